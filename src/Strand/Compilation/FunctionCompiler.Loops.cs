using Strand.Binary;

namespace Strand.Compilation;

/// <summary>Interrupt polls are left out of loops whose trip count is a small compile-time bound.</summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// Most wasm instructions (trip count × body length) a loop without its own poll may run between polls of the
    /// code around it: about a million, well under a millisecond. Polls inside the body (nested loops, callee entries)
    /// come on top, so an interrupt is seen at most this much later than with a poll per iteration.
    /// </summary>
    private const long UnpolledLoopBudget = 1 << 20;

    /// <summary>
    /// True when the loop at the current position certainly runs at most a few iterations, so the interrupt poll at
    /// its header can go (the code around it polls). The shape, LLVM's counted loop:
    /// <code>
    /// i32.const c  local.set $i
    /// loop (no parameters)
    ///   ...                                  ;; no other write of $i, no other branch back to this loop
    ///   local.get $i  i32.const step  i32.add  local.tee $i  i32.const n  (i32.ne | i32.lt_u | i32.lt_s)  br_if 0
    /// end
    /// </code>
    /// Every entry to the loop passes the <c>local.set</c> just before it (a loop label is only reachable from inside),
    /// the counter changes only by the final step, and the only back edge is the final <c>br_if</c>, so the trip count
    /// is the arithmetic one. The bound times the body's length must stay within <see cref="UnpolledLoopBudget"/>.
    /// The body may contain only instructions whose branching this scan understands (any other opcode: the poll stays).
    /// </summary>
    private bool IsShortCountedLoop() =>
        CountedLoopAt(_position) is { } loop && loop.Trips * (loop.End - _position) <= UnpolledLoopBudget;

    /// <summary>
    /// A counted loop (see <see cref="IsShortCountedLoop"/>, without the budget): its counter local, the counter's value
    /// at entry and its step, the number of iterations and the position of the loop's end.
    /// </summary>
    private readonly record struct CountedLoop(uint Counter, int Init, int Step, long Trips, int End);

    /// <summary>The counted loop whose <c>loop</c> instruction is at <paramref name="start"/>, or null (see <see cref="IsShortCountedLoop"/>).</summary>
    /// <remarks>Asked up to three times per loop (its poll, the float folding, the static bounds): the answer is kept.</remarks>
    private CountedLoop? CountedLoopAt(int start)
    {
        if (_countedLoops.TryGetValue(start, out var known)) return known;
        return _countedLoops[start] = FindCountedLoop(start);
    }

    private readonly Dictionary<int, CountedLoop?> _countedLoops = new();

    private CountedLoop? FindCountedLoop(int start)
    {
        if (start < 2 || _code[start].Block.Kind != BlockTypeKind.Empty) return null;
        var set = _code[start - 1];
        var init = _code[start - 2];
        if (set.Opcode != Opcode.LocalSet || init.Opcode != Opcode.I32Const || _localTypes[set.Index] != ValType.I32) return null;
        uint counter = set.Index;

        // The loop's end; only instructions whose nesting and branching this scan understands may occur.
        int depth = 0, end = -1;
        for (int i = start + 1; i < _code.Count && end < 0; i++)
        {
            switch (_code[i].Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If:
                    depth++;
                    break;
                case Opcode.End:
                    if (depth == 0) end = i;
                    else depth--;
                    break;
                case Opcode.Br or Opcode.BrIf or Opcode.BrTable or Opcode.LocalSet or Opcode.LocalTee
                    or Opcode.Else or Opcode.Nop or Opcode.Unreachable or Opcode.Return or Opcode.Call or Opcode.CallIndirect
                    or Opcode.Drop or Opcode.Select or Opcode.SelectTyped or Opcode.LocalGet or Opcode.GlobalGet or Opcode.GlobalSet
                    or (>= Opcode.I32Load and <= Opcode.MemoryGrow) or (>= Opcode.I32Const and <= Opcode.I64Extend32S):
                    break;
                default:
                    return null;
            }
        }
        if (end < start + 6) return null;
        // The counted tail: the last seven instructions of the body, or five when the br_if tests the counter itself
        // (LLVM's count up to zero: "local.tee $i; br_if 0", i32.ne 0).
        var back = _code[end - 1];
        bool toZero = _code[end - 2].Opcode == Opcode.LocalTee;
        int tail = toZero ? end - 5 : end - 7;
        if (tail <= start) return null;
        var get = _code[tail];
        var step = _code[tail + 1];
        var add = _code[tail + 2];
        var tee = _code[tail + 3];
        int limitValue = toZero ? 0 : _code[end - 3].I32;
        var compare = toZero ? Opcode.I32Ne : _code[end - 2].Opcode;
        if (get.Opcode != Opcode.LocalGet || get.Index != counter || step.Opcode != Opcode.I32Const || add.Opcode != Opcode.I32Add
            || tee.Opcode != Opcode.LocalTee || tee.Index != counter || (!toZero && _code[end - 3].Opcode != Opcode.I32Const)
            || back.Opcode != Opcode.BrIf || back.Index != 0)
            return null;
        // No other branch back to the loop, no other write of the counter.
        depth = 0;
        for (int i = start + 1; i < end - 1; i++)
        {
            var ins = _code[i];
            switch (ins.Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If: depth++; break;
                case Opcode.End: depth--; break;
                case Opcode.Br or Opcode.BrIf when ins.Index == depth: return null;
                case Opcode.BrTable when ins.Index == depth || ins.Labels!.Contains((uint)depth): return null;
                case Opcode.LocalSet or Opcode.LocalTee when ins.Index == counter && i != tail + 3: return null;
            }
        }
        long trips = TripCount(init.I32, step.I32, limitValue, compare);
        return trips > 0 ? new CountedLoop(counter, init.I32, step.I32, trips, end) : null;
    }

    /// <summary>
    /// Iterations of a loop whose counter starts at <paramref name="start"/>, adds <paramref name="step"/> at the end of
    /// each iteration and continues while <c>counter op limit</c> holds (i32 arithmetic, wrapping); 0 when not bounded
    /// by this simple rule.
    /// </summary>
    private static long TripCount(int start, int step, int limit, Opcode op)
    {
        if (step == 0) return 0;
        switch (op)
        {
            case Opcode.I32Ne:
            {
                // Ends when start + k·step ≡ limit (mod 2^32) for the first k ≥ 1; counted only when |step| divides the distance.
                uint distance = step > 0 ? (uint)(limit - start) : (uint)(start - limit);
                uint magnitude = step > 0 ? (uint)step : (uint)-(long)step;
                if (distance == 0 || distance % magnitude != 0) return 0;
                return distance / magnitude;
            }
            case Opcode.I32LtU:
                // Increasing from below the limit, which it reaches before it could wrap past 2^32.
                if (step < 0 || (uint)start >= (uint)limit || (ulong)(uint)limit + (ulong)step > 1UL << 32) return 0;
                return ((long)(uint)limit - (uint)start + step - 1) / step;
            case Opcode.I32LtS:
                if (step < 0 || start >= limit || (long)limit + step - 1 > int.MaxValue) return 0;
                return ((long)limit - start + step - 1) / step;
            default:
                return 0;
        }
    }
}
