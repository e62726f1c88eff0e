using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Which wasm locals of a function are live (may be read, by <c>local.get</c>, before being written again) at each
/// instruction: a backward dataflow analysis over the basic blocks of the function's structured control flow
/// (<c>block</c>/<c>loop</c>/<c>if</c>/<c>else</c>/<c>end</c>, <c>br</c>, <c>br_if</c>, <c>br_table</c>, the
/// <c>br_on_*</c> branches, <c>return</c>, <c>unreachable</c>; spec 4.4.8). <see cref="FunctionSplitter"/> uses it to
/// copy into a region only the locals live at its entry, and out of it only those live where it exits
/// (docs/compiler.md, "Big functions: split").
/// <para>
/// A <c>local.set</c> or <c>local.tee</c> defines its local, a <c>local.get</c> uses it; nothing is live after
/// <c>return</c>, a branch to the function's label, the function's final <c>end</c>, <c>unreachable</c> or a tail call
/// (a trap or exception leaving the function ends its locals too). Functions with exception handling
/// (<c>try</c>, <c>try_table</c>, <c>throw</c>, ...) are not analysed (<see cref="Compute"/> returns null): a handler
/// is reached from any call inside its body, which this block graph does not model.
/// </para>
/// </summary>
internal sealed class LocalLiveness
{
    private readonly List<Instruction> _code;
    private readonly int _words;
    private readonly int[] _blockOf;    // instruction → basic block
    private readonly int[] _blockLast;  // basic block → its last instruction
    private readonly ulong[] _liveOut;  // basic block b's live-out set at [b * _words, (b + 1) * _words)

    private LocalLiveness(List<Instruction> code, int words, int[] blockOf, int[] blockLast, ulong[] liveOut)
    {
        _code = code;
        _words = words;
        _blockOf = blockOf;
        _blockLast = blockLast;
        _liveOut = liveOut;
    }

    /// <summary>
    /// Analyses <paramref name="code"/> (a validated function body, final <c>end</c> included) with
    /// <paramref name="localCount"/> locals (parameters first); null when it contains an exception-handling instruction.
    /// </summary>
    public static LocalLiveness? Compute(List<Instruction> code, int localCount)
    {
        int n = code.Count;
        if (n == 0) return null;
        // Matching ends (block/loop/if → end) and the else of each if.
        var match = new int[n];
        var elseOf = new int[n];
        var elseIf = new Dictionary<int, int>(); // else → its if
        var open = new Stack<int>();
        for (int i = 0; i < n; i++)
        {
            elseOf[i] = -1;
            switch (code[i].Opcode)
            {
                case Opcode.Try or Opcode.Catch or Opcode.CatchAll or Opcode.Delegate or Opcode.TryTable or Opcode.Throw
                    or Opcode.ThrowRef or Opcode.Rethrow:
                    return null;
                case Opcode.Block or Opcode.Loop or Opcode.If: open.Push(i); break;
                case Opcode.Else: elseOf[open.Peek()] = i; elseIf[i] = open.Peek(); break;
                case Opcode.End when open.Count > 0: match[open.Pop()] = i; break;
            }
        }

        // Basic blocks: a leader at every structured instruction and after every control transfer.
        var leader = new bool[n + 1];
        leader[0] = true;
        for (int i = 0; i < n; i++)
        {
            switch (code[i].Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Else or Opcode.End:
                    leader[i] = true;
                    leader[i + 1] = true;
                    break;
                case Opcode.Br or Opcode.BrIf or Opcode.BrTable or Opcode.Return or Opcode.Unreachable or Opcode.BrOnNull
                    or Opcode.BrOnNonNull or Opcode.BrOnCast or Opcode.BrOnCastFail or Opcode.ReturnCall
                    or Opcode.ReturnCallIndirect or Opcode.ReturnCallRef:
                    leader[i + 1] = true;
                    break;
            }
        }
        var blockOf = new int[n];
        var lastList = new List<int>();
        int blocks = -1;
        for (int i = 0; i < n; i++)
        {
            if (leader[i])
            {
                if (blocks >= 0) lastList.Add(i - 1);
                blocks++;
            }
            blockOf[i] = blocks;
        }
        lastList.Add(n - 1);
        blocks++;
        var blockLast = lastList.ToArray();

        // Successors of each block, from its last instruction (a point p stands for the block starting there).
        var succStart = new int[blocks + 1];
        var succ = new List<int>();
        var ctl = new List<int>(); // enclosing constructs' start indices, innermost last
        int b = 0;
        for (int i = 0; i < n; i++)
        {
            var ins = code[i];
            // The point a branch of depth d at i goes to: a loop's start, another construct's end; -1: the function's exit.
            int Target(uint depth)
            {
                if (depth >= ctl.Count) return -1;
                int start = ctl[ctl.Count - 1 - (int)depth];
                return code[start].Opcode == Opcode.Loop ? start : match[start];
            }
            void Add(int point)
            {
                if (point >= 0 && point < n) succ.Add(blockOf[point]);
            }
            bool last = i == blockLast[b];
            if (last)
            {
                switch (ins.Opcode)
                {
                    case Opcode.Br: Add(Target(ins.Index)); break;
                    case Opcode.BrIf or Opcode.BrOnNull or Opcode.BrOnNonNull or Opcode.BrOnCast or Opcode.BrOnCastFail:
                        Add(i + 1);
                        Add(Target(ins.Index));
                        break;
                    case Opcode.BrTable:
                        foreach (var l in ins.Labels!) Add(Target(l));
                        Add(Target(ins.Index));
                        break;
                    case Opcode.Return or Opcode.Unreachable or Opcode.ReturnCall or Opcode.ReturnCallIndirect or Opcode.ReturnCallRef:
                        break;
                    case Opcode.If:
                        Add(i + 1);
                        Add(elseOf[i] >= 0 ? elseOf[i] + 1 : match[i]);
                        break;
                    case Opcode.Else: Add(match[elseIf[i]]); break; // the then arm fell through
                    default: Add(i + 1); break;                      // the function's final end has none
                }
                succStart[b + 1] = succ.Count;
                b++;
            }
            switch (ins.Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If: ctl.Add(i); break;
                case Opcode.End when ctl.Count > 0: ctl.RemoveAt(ctl.Count - 1); break;
            }
        }

        // gen (used before any definition in the block) and kill (defined in the block).
        int words = Math.Max(1, (localCount + 63) / 64);
        var gen = new ulong[blocks * words];
        var kill = new ulong[blocks * words];
        for (int k = 0; k < blocks; k++)
        {
            int first = k == 0 ? 0 : blockLast[k - 1] + 1;
            var g = gen.AsSpan(k * words, words);
            var d = kill.AsSpan(k * words, words);
            for (int t = blockLast[k]; t >= first; t--)
            {
                var ins = code[t];
                int x = (int)ins.Index;
                switch (ins.Opcode)
                {
                    case Opcode.LocalGet: g[x >> 6] |= 1UL << x; break;
                    case Opcode.LocalSet or Opcode.LocalTee:
                        g[x >> 6] &= ~(1UL << x);
                        d[x >> 6] |= 1UL << x;
                        break;
                }
            }
        }

        // Backward iteration to the fixed point (blocks in reverse order: one pass per loop nesting level, roughly).
        var liveIn = new ulong[blocks * words];
        var liveOut = new ulong[blocks * words];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int k = blocks - 1; k >= 0; k--)
            {
                var o = liveOut.AsSpan(k * words, words);
                for (int s = succStart[k]; s < succStart[k + 1]; s++)
                {
                    var si = liveIn.AsSpan(succ[s] * words, words);
                    for (int w = 0; w < words; w++) o[w] |= si[w];
                }
                var li = liveIn.AsSpan(k * words, words);
                var g = gen.AsSpan(k * words, words);
                var d = kill.AsSpan(k * words, words);
                for (int w = 0; w < words; w++)
                {
                    ulong v = g[w] | (o[w] & ~d[w]);
                    if (v != li[w])
                    {
                        li[w] = v;
                        changed = true;
                    }
                }
            }
        }
        return new LocalLiveness(code, words, blockOf, blockLast, liveOut);
    }

    /// <summary>
    /// The locals live just before instruction <paramref name="point"/> (0 ≤ point &lt; the code's length), as a bit set
    /// (bit x of word x / 64: local x); for -1 (the function's exit), the empty set.
    /// </summary>
    public ulong[] LiveBefore(int point)
    {
        var live = new ulong[_words];
        if (point < 0) return live;
        int b = _blockOf[point];
        _liveOut.AsSpan(b * _words, _words).CopyTo(live);
        for (int t = _blockLast[b]; t >= point; t--)
        {
            var ins = _code[t];
            int x = (int)ins.Index;
            switch (ins.Opcode)
            {
                case Opcode.LocalGet: live[x >> 6] |= 1UL << x; break;
                case Opcode.LocalSet or Opcode.LocalTee: live[x >> 6] &= ~(1UL << x); break;
            }
        }
        return live;
    }

    /// <summary>Whether local <paramref name="local"/> is in <paramref name="set"/> (from <see cref="LiveBefore"/>).</summary>
    public static bool Contains(ulong[] set, int local) => (set[local >> 6] & (1UL << local)) != 0;
}
