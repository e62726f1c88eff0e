using System.Runtime.CompilerServices;
using Strand.Binary;
using Strand.Validation;

namespace Strand.Compilation;

/// <summary>
/// Splits a function too big for the JIT's optimiser into an outer function and outlined regions, each a separate
/// CIL method small enough to be optimised (docs/compiler.md, "Big functions: split").
/// <para>
/// RyuJIT compiles a method over about 60,000 bytes of IL, 20,000 IL instructions or 2,000 basic blocks with MinOpts
/// (no optimisation at all); <see cref="Plan"/> decides from a dry run whether a function is split. This pass works on the decoded wasm instructions, before any
/// CIL is emitted, and produces ordinary wasm instruction lists that <see cref="FunctionCompiler"/> compiles unchanged:
/// </para>
/// <list type="bullet">
/// <item>A <em>region</em> is a run of whole instructions inside one block body that starts and ends with the body's
/// operand stack empty (heights from the validator), contains no exception-handling construct and no tail call, and is
/// not inside a <c>try</c>/<c>try_table</c>. Such a run neither consumes nor produces operands.</item>
/// <item>The region becomes a function whose parameters are the wasm locals it reads that are live at its entry (copied
/// in) and whose results are an exit code, the locals it writes that are live where it leaves (copied out;
/// <see cref="LocalLiveness"/>) and the values its exits carry. Each label outside the region that
/// it branches to (and <c>return</c>) is an <em>exit</em>: inside the region function such a branch targets a wrapper
/// block, after which the function returns the exit's number. Exits carry at most one value.</item>
/// <item>The outer function calls it (a call with a synthetic function index, <see cref="FunctionCompiler"/>'s
/// outlined-call hook), stores the results back into its locals, and dispatches on the exit code with a
/// <c>br_table</c> to stubs that redo the branch (or <c>return</c>) from the region's position.</item>
/// <item>Inside a loop, a region must hold a loop of its own, except in an interpreter loop (a loop around a switch whose
/// cases do not loop), when no other split fits: then the cases with at most <see cref="Splitter.MaxCaseExits"/> exits
/// are outlined, largest first, the dispatch and the small cases staying in the outer function.</item>
/// </list>
/// <para>
/// Traps and exceptions propagate out of the region's method unchanged (no region is inside a handler, so an
/// exception leaving it leaves the whole function and its locals are dead). The call marks the cached memory limits
/// stale like any call. A region method polls for interruption and checks the native stack like any function.
/// </para>
/// </summary>
internal static partial class FunctionSplitter
{
    /// <summary>
    /// A forced region size in <see cref="Weight"/> units (a testing knob): the environment variable
    /// <c>STRAND_SPLIT_UNITS</c>; null (the default) when unset: functions are split only when the JIT would not optimise them.
    /// A small value splits nearly every function, which is how the spec suite and the fuzzer exercise the splitter.
    /// </summary>
    public static readonly int? ConfiguredUnits =
        int.TryParse(Environment.GetEnvironmentVariable("STRAND_SPLIT_UNITS"), out int units) && units > 0 ? units : null;

    private static readonly bool Trace = Environment.GetEnvironmentVariable("STRAND_SPLIT_TRACE") is not null;

    /// <summary>
    /// A function without loops of at least this many <see cref="Weight"/> units (about 80 KB of IL at the 2 bytes per
    /// unit of yosys's static initialisers) is split into regions of <see cref="LoopFreeRegionUnits"/>. The JIT's time
    /// grows faster than linearly with a method's size: yosys's biggest initialiser, 397 KB of IL run once, took 87 ms to
    /// compile at tier 0 (219 ns per IL byte, against 70–130 for methods of 30 KB), and 30 ms as 12 regions and an outer
    /// function (docs/compiler.md, "Big functions: split").
    /// </summary>
    internal const int LoopFreeSplitFromUnits = 40_000;

    /// <summary>Region size for <see cref="LoopFreeSplitFromUnits"/> (about 31 KB of IL).</summary>
    internal const int LoopFreeRegionUnits = 15_000;

    /// <summary>Functions smaller than this (in <see cref="Weight"/> units) are never measured: far below every JIT limit.</summary>
    private const int MeasureFromUnits = 9_000;

    // RyuJIT's MinOpts switch (DEFAULT_MIN_OPTS_CODE_SIZE 60,000, _INSTR_COUNT 20,000, _BB_COUNT 2,000, _LV_NUM_COUNT 2,000)
    // with a margin; the counter's blocks are an upper bound (10-25% over the JIT's count on the sightglass functions).
    private const int LimitBytes = 57_000, LimitInstructions = 19_000, LimitBlocks = 2_000;
    /// <summary>RyuJIT's DEFAULT_MIN_OPTS_LV_REF_COUNT (8,000 loads, stores and addresses of locals and arguments), with a margin.</summary>
    private const int LimitLocalRefs = 7_600;
    /// <summary>Locals plus the temporaries of inlined helpers: RyuJIT stops inlining at 512 (MAX_LV_NUM_COUNT_FOR_INLINING).</summary>
    private const int LimitInlineLocals = 480;

    /// <summary>
    /// How far over the JIT's MinOpts limits a method is (above 1: it would be compiled without optimisation). The locals
    /// limit is not among them: the outer function keeps all its locals, so splitting cannot bring it under that one.
    /// </summary>
    private static double HardOvershoot(ILCounter c) => Math.Max(
        Math.Max((double)c.Bytes / LimitBytes, (double)c.Instructions / LimitInstructions),
        Math.Max((double)c.Blocks / LimitBlocks, (double)c.LocalRefs / LimitLocalRefs));

    /// <summary>How far over the inlining limit a method is (above 1: some helpers would stay calls).</summary>
    private static double SoftOvershoot(ILCounter c) => (double)(c.Locals + c.InlineLocals) / LimitInlineLocals;

    /// <summary>
    /// Decides whether defined function <paramref name="definedIndex"/> (decoded: <paramref name="code"/>) is split, and
    /// how: null to compile it whole. With <paramref name="forcedUnits"/>, any function over that size is split into
    /// regions of at most that size. Otherwise a dry run (<see cref="FunctionCompiler.Measure"/>) tells whether the JIT
    /// would optimise the method (the hard limits) and inline all its helpers (the soft one). If the hard limits are
    /// passed, the function is split with a region size scaled by how far over both it is, and the outer function and
    /// every region are measured again, with regions half as big, up to three tries (fewer once the outer function stops
    /// shrinking), until all fit both; when no split fits the soft limit (a long straight-line run of vector operations
    /// is one region at best), the first that fits the hard ones is used. When none fits the hard limits either, the
    /// split whose outer function came closest is still used if that outer function is at most three quarters of the
    /// whole (it stays over the limits, as the whole would). A function over the soft limit only is compiled whole; one
    /// without loops is compiled whole unless giant (<see cref="LoopFreeSplitFromUnits"/>). The planning time is
    /// printed with <c>STRAND_SPLIT_TRACE</c> set.
    /// </summary>
    public static Result? Plan(ModuleCompilation module, CodeUnit unit, int definedIndex, List<Instruction> code, int? forcedUnits)
    {
        if (!Trace) return PlanCore(module, unit, definedIndex, code, forcedUnits);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = PlanCore(module, unit, definedIndex, code, forcedUnits);
        TracedTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        if (result is not null) Console.Error.WriteLine($"split: planning so far {TracedTicks * 1000 / System.Diagnostics.Stopwatch.Frequency} ms");
        return result;
    }

    private static long TracedTicks; // only with STRAND_SPLIT_TRACE (a diagnostic; not synchronised)

    private static Result? PlanCore(ModuleCompilation module, CodeUnit unit, int definedIndex, List<Instruction> code, int? forcedUnits)
    {
        if (forcedUnits is int forced) return TrySplit(module, definedIndex, code, forced, forced: true);
        long total = 0;
        bool loops = false;
        foreach (ref readonly var ins in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(code))
        {
            total += Weight(ins);
            loops |= ins.Opcode == Opcode.Loop;
        }
        // A function without loops runs each instruction at most once per call: optimising it pays only if it is called
        // often, and most such big functions are initialisers that run once (MinOpts compiles them faster). Only a giant
        // one is cut, with no dry run, into regions the JIT compiles in linear time (see LoopFreeSplitFromUnits).
        if (!loops) return total >= LoopFreeSplitFromUnits ? TrySplit(module, definedIndex, code, LoopFreeRegionUnits) : null;
        if (total < MeasureFromUnits) return null;
        var type = module.FunctionTypes[module.ImportedFunctionCount + definedIndex];
        var locals = module.Definition.Bodies[definedIndex].ExpandLocals();
        var whole = FunctionCompiler.Measure(module, unit, definedIndex, type, locals, code);
        double hard = HardOvershoot(whole), soft = SoftOvershoot(whole);
        if (Trace) Console.Error.WriteLine($"split: f{module.ImportedFunctionCount + definedIndex} {total} units, {whole.Bytes} B, {whole.Instructions} ins, {whole.Blocks} bb, {whole.LocalRefs} refs, {whole.Locals} loc, {whole.InlineLocals} inl");
        // Over the inlining limit only: compiled whole. Splitting such functions for that alone was measured to cost more
        // (the calls and the copies of locals) than the helpers left as calls (pulldown-cmark 12.3 → 14.1 ms).
        if (hard <= 1) return null;
        int startUnits = (int)(total / Math.Max(hard, soft) * 0.8);
        var heights = OperandHeights(module, definedIndex, code);
        var liveness = LocalLiveness.Compute(code, type.Params.Length + locals.Length);
        // Regions inside a loop must hold a loop of their own; when no such split fits (an interpreter loop: a loop around
        // a switch whose cases do not loop), the cases themselves are outlined, largest first, the small ones left inline.
        Result? partial = null; // the split whose outer function came closest to fitting, when none fits
        double partialOuter = double.MaxValue;
        if (Attempts(loopFree: false) is { } split) return split;
        // crossgen2 never compiles a method with MinOpts: in a ReadyToRun image the whole function is optimised, and
        // outlined cases would only add calls (the SQLite shell from a ReadyToRun cache: 0.50 s of CPU whole, 0.55 split).
        if (!module.ForReadyToRun && HasDispatch(code) && Attempts(loopFree: true) is { } cases)
        {
            cases.HotCases = true;
            return cases;
        }
        // No split fits: the function stays over the hard limits either way. Outlining what can be outlined (regions
        // holding loops) still makes the MinOpts method smaller, which the JIT compiles faster than linearly (see
        // LoopFreeSplitFromUnits), and lets the regions be optimised: taken when the outer function shrinks by a
        // quarter or more (yosys's biggest function with loops: 614 KB of IL as one method, 283 KB and 79 regions). Not for
        // a ReadyToRun image, where crossgen2 optimises the whole function whatever its size and outlined regions only
        // add calls (the SQLite shell from such a cache: 0.42 s whole, 0.55 s with sqlite3VdbeExec split so).
        return !module.ForReadyToRun && partial is not null && partialOuter <= hard * 0.75 ? partial : null;

        Result? Attempts(bool loopFree)
        {
            int units = startUnits;
            // Outlined cases are calls on the interpreter's hot path: the outer function keeps as many as fit under the
            // hard limits (its target shrinks only if it does not fit), while the regions' size limit halves.
            int outerUnits = (int)(total / hard);
            Result? firstHardFit = null;
            double previousOuter = double.MaxValue;
            for (int attempt = 0; attempt < 3 && units >= 200; attempt++, units = units / 2)
            {
                var split = TrySplit(module, definedIndex, code, units, heights: heights, liveness: liveness, loopFree: loopFree,
                    outerUnits: loopFree ? outerUnits : units);
                if (split is null) break;
                var outer = FunctionCompiler.Measure(module, unit, definedIndex, type, locals, code, split);
                double outerOver = HardOvershoot(outer);
                // Smaller regions leave more in the outer function when the big runs are loop-free code inside a loop (see
                // Outlinable): once the outer function stops shrinking, no smaller size will fit.
                if (!loopFree && outerOver > 1 && outerOver >= previousOuter) break;
                previousOuter = outerOver;
                bool hardFit = outerOver <= 1, softFit = SoftOvershoot(outer) <= 1;
                if (!loopFree && outerOver < partialOuter)
                {
                    partial = split;
                    partialOuter = outerOver;
                }
                if (Trace) Console.Error.WriteLine($"split:   {units} units{(loopFree ? $" (loop-free cases, outer {outerUnits})" : "")}: {split.Regions.Count} regions, outer {outer.Bytes} B, {outer.Instructions} ins, {outer.Blocks} bb, {outer.LocalRefs} refs, {outer.InlineLocals} inl");
                if (loopFree && outerOver > 1) outerUnits = (int)(outerUnits / outerOver * 0.95);
                foreach (var region in split.Regions)
                {
                    var r = FunctionCompiler.Measure(module, unit, definedIndex, region.Type, region.Locals, region.Code, region: true);
                    if (Trace) Console.Error.WriteLine($"split:     region {r.Bytes} B, {r.Instructions} ins, {r.Blocks} bb, {r.LocalRefs} refs, {r.Locals} loc, {r.InlineLocals} inl, {region.Type.Params.Length} locals in, {region.Type.Results.Length} out, at 0x{region.Code[0].Offset:x}, {region.Code.Count} wasm ins, {region.Code.Sum(i => (long)Weight(i))} units");
                    hardFit &= HardOvershoot(r) <= 1;
                    softFit &= SoftOvershoot(r) <= 1;
                }
                if (hardFit && softFit) return split;
                if (hardFit) firstHardFit ??= split;
            }
            return firstHardFit;
        }
    }

    /// <summary>A <c>br_table</c> with this many distinct targets inside a loop makes the loop an interpreter's.</summary>
    private const int MinDispatchTargets = 16;

    /// <summary>
    /// Whether <paramref name="code"/> has an interpreter loop: a loop holding a <c>br_table</c> with at least
    /// <see cref="MinDispatchTargets"/> distinct targets (a switch over opcodes). Other big loops with loop-free bodies
    /// (yosys has a dozen) are left to MinOpts: outlining their code would cost first runs the optimised compilation
    /// of many regions that mostly run a few times.
    /// </summary>
    private static bool HasDispatch(List<Instruction> code)
    {
        int loops = 0;
        var open = new Stack<bool>();
        foreach (var ins in code)
        {
            switch (ins.Opcode)
            {
                case Opcode.Block or Opcode.If or Opcode.Try or Opcode.TryTable: open.Push(false); break;
                case Opcode.Loop: open.Push(true); loops++; break;
                case Opcode.End when open.Count > 0: if (open.Pop()) loops--; break;
                case Opcode.BrTable when loops > 0 && ins.Labels!.Length + 1 >= MinDispatchTargets:
                    if (ins.Labels.Append(ins.Index).Distinct().Count() >= MinDispatchTargets) return true;
                    break;
            }
        }
        return false;
    }

    /// <summary>Regions with fewer locals than this are outlined; more would make a costly call (each is copied in and out).</summary>
    private const int MaxRegionLocals = 400;

    /// <summary>An outlined region: a function of <see cref="Type"/> with declared locals <see cref="Locals"/> and body <see cref="Code"/>.</summary>
    public sealed class Region
    {
        public required FuncType Type { get; init; }
        public required ValType[] Locals { get; init; }
        public required List<Instruction> Code { get; init; }
    }

    /// <summary>The outer function's new body, the locals it declares in addition to its own, and its regions.</summary>
    public sealed class Result
    {
        public required List<Instruction> Code { get; init; }
        public required ValType[] ExtraLocals { get; init; }
        public required List<Region> Regions { get; init; }
        /// <summary>Region r is called as function index <see cref="CallBase"/> + r.</summary>
        public required uint CallBase { get; init; }
        /// <summary>
        /// The regions include loop-free runs inside a loop (the cases of an interpreter loop, called at every iteration
        /// that runs them): their methods are compiled fully optimised on first call, without tier-0.
        /// </summary>
        public bool HotCases { get; set; }
    }

    /// <summary>
    /// A rough estimate of the IL instructions an instruction compiles to (the JIT's binding limit is usually its
    /// instruction count): a memory access is a bounds check and the access, a call reloads the cached memory limits
    /// after it, a loop header polls for interruption, an i32 <c>global.set</c> tests the hook.
    /// </summary>
    public static int Weight(in Instruction ins)
    {
        var op = ins.Opcode;
        switch (op)
        {
            case Opcode.LocalGet or Opcode.LocalSet or Opcode.LocalTee or Opcode.I32Const or Opcode.I64Const or Opcode.Drop
                or Opcode.Nop or Opcode.Block or Opcode.If or Opcode.Else or Opcode.End:
                return 1;
            case Opcode.Br or Opcode.BrIf or Opcode.F32Const or Opcode.F64Const:
                return 2;
            case Opcode.Select or Opcode.Return:
                return 3;
            case Opcode.GlobalGet:
                return 4;
            case Opcode.Loop:
                return 6;
            case Opcode.GlobalSet:
                return 12;
            case Opcode.BrTable:
                return 2 + ins.Labels!.Length;
            case Opcode.Call:
                return 20;
            case Opcode.CallIndirect or Opcode.CallRef:
                return 26;
        }
        if (FunctionCompiler.IsMemoryInstruction(op)) return 10;
        return 2;
    }

    /// <summary>Per instruction, the operand stack height above the innermost block's base (-1: unreachable).</summary>
    private static int[] OperandHeights(ModuleCompilation module, int definedIndex, List<Instruction> code) =>
        OperandHeights(module, definedIndex, code, out _, out _);

    /// <summary><see cref="OperandHeights(ModuleCompilation, int, List{Instruction})"/> and the function's frame figures (as validation records them).</summary>
    private static int[] OperandHeights(ModuleCompilation module, int definedIndex, List<Instruction> code, out int maxOperandDepth, out long branchSpillUnits)
    {
        var definition = module.Definition;
        var context = Contexts.GetValue(definition, static d => ModuleValidator.BuildContext(d, TypeRegistry.CanonicalIds(d)));
        return FunctionValidator.OperandHeights(definition, context, (uint)(module.ImportedFunctionCount + definedIndex),
            module.FunctionTypes[module.ImportedFunctionCount + definedIndex], definition.Bodies[definedIndex], code,
            out maxOperandDepth, out branchSpillUnits);
    }

    private static readonly ConditionalWeakTable<ModuleDefinition, ModuleContext> Contexts = new();

    private sealed class Ctl
    {
        public required ValType[] BranchTypes;
        public bool IsLoop;
        /// <summary>Where a branch to this label goes (a loop's start, another construct's end); -1: the function's exit.</summary>
        public int Target = -1;
    }

    /// <summary>
    /// The labels around a position while the splitter searches (innermost <see cref="Head"/>), shared by every nested
    /// level instead of copied at each: a copy per level made a nest of n constructs cost O(n²) (65,000 nested loops
    /// took the process past 24 GB). A candidate region gets its own list (<see cref="ToList"/>).
    /// </summary>
    private sealed class CtlChain(Ctl head, CtlChain? parent)
    {
        public Ctl Head { get; } = head;
        public CtlChain? Parent { get; } = parent;
        public int Count { get; } = (parent?.Count ?? 0) + 1;
        public bool HasLoop { get; } = head.IsLoop || (parent?.HasLoop ?? false);

        /// <summary>The labels, the function's first.</summary>
        public List<Ctl> ToList()
        {
            var list = new Ctl[Count];
            int k = Count;
            for (var c = this; c is not null; c = c.Parent) list[--k] = c.Head;
            return [.. list];
        }
    }

    private sealed class Candidate
    {
        public int Start, End; // [Start, End)
        public long Size;
        public required List<Ctl> Controls; // enclosing labels at the region's level, the function first
    }

    /// <summary>
    /// Splits defined function <paramref name="definedIndex"/> (decoded: <paramref name="code"/>) when its size is over
    /// <paramref name="units"/>; null when it is not, or when no region can be outlined.
    /// </summary>
    public static Result? TrySplit(ModuleCompilation module, int definedIndex, List<Instruction> code, int units, bool forced = false,
        int[]? heights = null, LocalLiveness? liveness = null, bool loopFree = false, int? outerUnits = null)
    {
        long total = 0;
        foreach (ref readonly var ins in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(code)) total += Weight(ins);
        if (total <= units) return null;

        var definition = module.Definition;
        var type = module.FunctionTypes[module.ImportedFunctionCount + definedIndex];
        var body = definition.Bodies[definedIndex];
        heights ??= OperandHeights(module, definedIndex, code);
        var localTypes = (ValType[])[.. type.Params, .. body.ExpandLocals()];
        liveness ??= LocalLiveness.Compute(code, localTypes.Length);
        var splitter = new Splitter(module, code, heights, units, forced, liveness, loopFree, outerUnits ?? units);
        return splitter.Run(type, localTypes);
    }

    /// <summary>One function's analysis. <c>forced</c> is the testing mode: regions inside loops need no loop of their own (every region shape is exercised).</summary>
    private sealed partial class Splitter(ModuleCompilation module, List<Instruction> code, int[] heights, int units, bool forced,
        LocalLiveness? liveness, bool loopFree, int outerUnits)
    {
        private readonly int[] _match = new int[code.Count]; // block/loop/if/try/try_table → its end; if → also _else
        private readonly int[] _else = new int[code.Count];
        private readonly long[] _prefix = new long[code.Count + 1];
        private readonly List<Candidate> _candidates = new();
        /// <summary>Smaller runs are not outlined: the call and the dispatch would cost about as much as they save.</summary>
        private readonly int _minUnits = Math.Clamp(units / 16, 4, 64);

        private long Size(int start, int end) => _prefix[end] - _prefix[start];

        public Result? Run(FuncType type, ValType[] localTypes)
        {
            var open = new Stack<int>();
            for (int i = 0; i < code.Count; i++)
            {
                _prefix[i + 1] = _prefix[i] + Weight(code[i]);
                _else[i] = -1;
                switch (code[i].Opcode)
                {
                    case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable: open.Push(i); break;
                    case Opcode.Else: _else[open.Peek()] = i; break;
                    case Opcode.End or Opcode.Delegate when open.Count > 0: _match[open.Pop()] = i; break;
                }
            }
            // The function body: [0, final end).
            Visit(0, code.Count - 1, new CtlChain(new Ctl { BranchTypes = type.Results }, null), type.Results.Length == 0);
            if (_candidates.Count == 0) return null;

            // Largest regions first, until the outer function is under the limit (with a margin for the calls).
            long outer = _prefix[code.Count];
            var chosen = new List<(Candidate C, Analysis A)>();
            foreach (var c in _candidates.OrderByDescending(c => c.Size))
            {
                if (outer <= outerUnits * 9L / 10) break;
                var a = Analyze(c, type, localTypes);
                if (a is null) continue;
                chosen.Add((c, a));
                outer -= c.Size - a.CallUnits;
            }
            if (chosen.Count == 0) return null;
            chosen.Sort((x, y) => x.C.Start.CompareTo(y.C.Start));
            return Build(chosen, localTypes);
        }

        /// <summary>Finds candidate regions in the body [start, end) (end: its end/else), whose labels are <paramref name="ctls"/>.</summary>
        private void Visit(int start, int end, CtlChain ctls, bool noResults)
        {
            bool inLoop = !forced && ctls.HasLoop;
            // Boundaries: item starts at this level with an empty body stack, and the body's end when that is one too.
            var bounds = new List<int>();
            for (int i = start; i < end; i = Next(i))
                if (heights[i] == 0) bounds.Add(i);
            if (heights[end] == 0 || (heights[end] == -1 && noResults)) bounds.Add(end);

            // Segments between consecutive boundaries; consecutive fitting ones are packed into runs.
            int runStart = -1, runEnd = -1;
            void Flush()
            {
                if (runStart >= 0 && Size(runStart, runEnd) >= _minUnits)
                    _candidates.Add(new Candidate { Start = runStart, End = runEnd, Size = Size(runStart, runEnd), Controls = ctls.ToList() });
                runStart = -1;
            }
            for (int b = 0; b + 1 < bounds.Count; b++)
            {
                int s = bounds[b], e = bounds[b + 1];
                long size = Size(s, e);
                if (size <= units && Outlinable(s, e, inLoop))
                {
                    if (runStart >= 0 && Size(runStart, e) > units) Flush();
                    if (runStart < 0) runStart = s;
                    runEnd = e;
                    continue;
                }
                Flush();
                Descend(s, e, ctls);
            }
            Flush();
            // Code before the first boundary or after the last (operands on the stack) can still hold big constructs.
            if (bounds.Count == 0) Descend(start, end, ctls);
            else
            {
                if (bounds[0] > start) Descend(start, bounds[0], ctls);
                if (bounds[^1] < end) Descend(bounds[^1], end, ctls);
            }
        }

        /// <summary>Visits the bodies of the constructs at the level of [start, end) whose size makes them worth it.</summary>
        private void Descend(int start, int end, CtlChain ctls)
        {
            if (Size(start, end) <= _minUnits) return;
            // Visit and Descend recurse once per nesting level: a hostile nest of 65,536 loops must not overflow the
            // stack. Where the stack runs short, deeper constructs are simply not searched (fewer candidates, same code).
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) return;
            for (int i = start; i < end; i = Next(i))
            {
                var op = code[i].Opcode;
                if (op is not (Opcode.Block or Opcode.Loop or Opcode.If)) continue; // try bodies are never split
                if (Size(i, _match[i] + 1) <= _minUnits) continue;
                var (ps, rs) = Signature(code[i].Block);
                var inner = new CtlChain(
                    new Ctl { BranchTypes = op == Opcode.Loop ? ps : rs, IsLoop = op == Opcode.Loop, Target = op == Opcode.Loop ? i : _match[i] }, ctls);
                if (op == Opcode.If && _else[i] >= 0)
                {
                    Visit(i + 1, _else[i], inner, rs.Length == 0);
                    Visit(_else[i] + 1, _match[i], inner, rs.Length == 0);
                }
                else Visit(i + 1, _match[i], inner, rs.Length == 0);
            }
        }

        private int Next(int i) => code[i].Opcode is Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable ? _match[i] + 1 : i + 1;

        private (ValType[] Params, ValType[] Results) Signature(BlockType bt) => bt.Kind switch
        {
            BlockTypeKind.Empty => ([], []),
            BlockTypeKind.Value => ([], [bt.Value]),
            _ => (module.Definition.Types[(int)bt.TypeIndex].Params, module.Definition.Types[(int)bt.TypeIndex].Results),
        };

        /// <summary>
        /// No instruction in [start, end) rules out outlining (exits are checked by <see cref="Analyze"/>), and, inside a
        /// loop of the function (<paramref name="inLoop"/>), the run has a loop of its own. A region without a loop inside
        /// one is called at every iteration: the SQLite shell's interpreter loop with its switch cases outlined ran
        /// slower (5.6 s of CPU against 3.9 s for an 800k-row script) than the whole function compiled with MinOpts.
        /// </summary>
        private bool Outlinable(int start, int end, bool inLoop)
        {
            bool loop = false;
            for (int i = start; i < end && inLoop && !loop; i++) loop = code[i].Opcode == Opcode.Loop;
            if (inLoop && !loop && !loopFree) return false;
            if (inLoop && loopFree && Exits(start, end) > MaxCaseExits) return false;
            for (int i = start; i < end; i++)
                if (code[i].Opcode is Opcode.Try or Opcode.TryTable or Opcode.Catch or Opcode.CatchAll or Opcode.Delegate
                    or Opcode.Rethrow or Opcode.ReturnCall or Opcode.ReturnCallIndirect or Opcode.ReturnCallRef)
                    return false;
            return true;
        }

        /// <summary>
        /// A loop-free run inside a loop with more exits than this is not outlined: it is (or holds) the dispatch of an
        /// interpreter loop, run at every iteration (its switch's <c>br_table</c> branches to every case), while a case
        /// leaves to the loop's head and a few shared error paths.
        /// </summary>
        public const int MaxCaseExits = 8;

        /// <summary>The distinct labels outside [start, end) that branches in it target (stopping past <see cref="MaxCaseExits"/>).</summary>
        private int Exits(int start, int end)
        {
            var exits = new HashSet<long>();
            int n = 0;
            void Add(uint depth)
            {
                if (depth >= n) exits.Add(depth - n); // relative to the run's level
            }
            for (int i = start; i < end && exits.Count <= MaxCaseExits; i++)
            {
                var ins = code[i];
                switch (ins.Opcode)
                {
                    case Opcode.Block or Opcode.Loop or Opcode.If: n++; break;
                    case Opcode.End: n--; break;
                    case Opcode.Br or Opcode.BrIf or Opcode.BrOnNull or Opcode.BrOnNonNull or Opcode.BrOnCast or Opcode.BrOnCastFail: Add(ins.Index); break;
                    case Opcode.BrTable:
                        foreach (var l in ins.Labels!) Add(l);
                        Add(ins.Index);
                        break;
                    case Opcode.Return: exits.Add(-1); break;
                }
            }
            return exits.Count;
        }

        private sealed class Analysis
        {
            public required List<int> Used;       // outer local indices, ascending
            public required List<int> In;         // subset of Used live at the region's entry: copied in (parameters)
            public required List<int> Out;        // written in the region and live where it exits: copied out (results)
            public required List<int> Exits;      // outer control indices (0: the function)
            public required List<ValType> Carried; // distinct types of carried values
            public long CallUnits;
        }

        private Analysis? Analyze(Candidate c, FuncType type, ValType[] localTypes)
        {
            var used = new SortedSet<int>();
            var written = new SortedSet<int>();
            var exits = new List<int>();
            var carried = new List<ValType>();
            int n = 0, count = c.Controls.Count;
            bool ok = true;
            void Exit(uint depth)
            {
                int target = count - 1 - (int)(depth - n);
                if (exits.Contains(target)) return;
                var types = c.Controls[target].BranchTypes;
                if (types.Length > 1) { ok = false; return; }
                exits.Add(target);
                if (types.Length == 1 && !carried.Contains(types[0])) carried.Add(types[0]);
            }
            for (int i = c.Start; i < c.End && ok; i++)
            {
                var ins = code[i];
                switch (ins.Opcode)
                {
                    case Opcode.Block or Opcode.Loop or Opcode.If: n++; break;
                    case Opcode.End: n--; break;
                    case Opcode.LocalGet: used.Add((int)ins.Index); break;
                    case Opcode.LocalSet or Opcode.LocalTee: used.Add((int)ins.Index); written.Add((int)ins.Index); break;
                    case Opcode.Br or Opcode.BrIf or Opcode.BrOnNull or Opcode.BrOnNonNull or Opcode.BrOnCast or Opcode.BrOnCastFail when ins.Index >= n: Exit(ins.Index); break;
                    case Opcode.BrTable:
                        foreach (var l in ins.Labels!) if (l >= n) Exit(l);
                        if (ins.Index >= n) Exit(ins.Index);
                        break;
                    case Opcode.Return: Exit((uint)(n + count - 1)); break;
                }
            }
            if (!ok || used.Count > MaxRegionLocals) return null;
            // Copied in: the locals the region reads that are live at its entry (the others are written before any read on
            // every path from there, so the region's zeroed copy serves). Copied out: the locals it writes that are live
            // where it falls through or at an exit's target. A local written on some paths only and live after the region
            // is live at its entry too (the paths that do not write it read the incoming value), so it is copied in.
            List<int> @in = [.. used], @out = [.. written];
            if (liveness is not null)
            {
                var entry = liveness.LiveBefore(c.Start);
                var after = liveness.LiveBefore(c.End);
                foreach (int target in exits)
                {
                    var live = liveness.LiveBefore(c.Controls[target].Target);
                    for (int w = 0; w < after.Length; w++) after[w] |= live[w];
                }
                @in = [.. used.Where(x => LocalLiveness.Contains(entry, x))];
                @out = [.. written.Where(x => LocalLiveness.Contains(after, x))];
            }
            int arity = @in.Count + 1 + @out.Count + carried.Count;
            if (arity > ImplementationLimits.MaxFunctionTypeArity) return null;
            return new Analysis
            {
                Used = [.. used], In = @in, Out = @out, Exits = exits, Carried = carried,
                CallUnits = 4 + @in.Count + 2L * @out.Count + 2L * carried.Count + 6L * exits.Count,
            };
        }

        private Result Build(List<(Candidate C, Analysis A)> chosen, ValType[] localTypes)
        {
            uint callBase = (uint)module.FunctionTypes.Length;
            var outer = new List<Instruction>(code.Count);
            var regions = new List<Region>();
            var extra = new List<ValType>();
            int firstExtra = localTypes.Length;
            // Outer locals shared by all call sites: the exit code, and one per carried value type.
            int codeLocal = firstExtra;
            extra.Add(ValType.I32);
            var carriedLocal = new Dictionary<ValType, int>();
            int next = 0;
            for (int i = 0; i < code.Count; i++)
            {
                if (next < chosen.Count && chosen[next].C.Start == i)
                {
                    var (c, a) = chosen[next];
                    int offset = code[i].Offset;
                    foreach (var t in a.Carried)
                        if (!carriedLocal.ContainsKey(t))
                        {
                            carriedLocal[t] = firstExtra + extra.Count;
                            extra.Add(t);
                        }
                    regions.Add(BuildRegion(c, a, localTypes));
                    EmitCallSite(outer, c, a, callBase + (uint)(regions.Count - 1), codeLocal, carriedLocal, offset);
                    i = c.End - 1;
                    next++;
                    continue;
                }
                outer.Add(code[i]);
            }
            return new Result { Code = outer, ExtraLocals = [.. extra], Regions = regions, CallBase = callBase };
        }

        private static Instruction Make(Opcode op, int offset, uint index = 0) => new() { Opcode = op, Offset = offset, Index = index };

        private static void EmitCallSite(List<Instruction> outer, Candidate c, Analysis a, uint function, int codeLocal,
            Dictionary<ValType, int> carriedLocal, int offset)
        {
            foreach (var u in a.In) outer.Add(Make(Opcode.LocalGet, offset, (uint)u));
            outer.Add(Make(Opcode.Call, offset, function));
            for (int k = a.Carried.Count - 1; k >= 0; k--) outer.Add(Make(Opcode.LocalSet, offset, (uint)carriedLocal[a.Carried[k]]));
            for (int k = a.Out.Count - 1; k >= 0; k--) outer.Add(Make(Opcode.LocalSet, offset, (uint)a.Out[k]));
            int exits = a.Exits.Count;
            if (exits == 0)
            {
                outer.Add(Make(Opcode.Drop, offset));
                return;
            }
            outer.Add(Make(Opcode.LocalSet, offset, (uint)codeLocal));
            outer.Add(new Instruction { Opcode = Opcode.Block, Offset = offset, Block = BlockType.Empty }); // $done
            for (int k = 0; k < exits; k++) outer.Add(new Instruction { Opcode = Opcode.Block, Offset = offset, Block = BlockType.Empty });
            outer.Add(Make(Opcode.LocalGet, offset, (uint)codeLocal));
            // Code 0 (fell through) → $done (depth `exits`); code k → the end of the k-th stub block (depth k - 1).
            var labels = new uint[exits + 1];
            labels[0] = (uint)exits;
            for (int k = 1; k <= exits; k++) labels[k] = (uint)(k - 1);
            outer.Add(new Instruction { Opcode = Opcode.BrTable, Offset = offset, Labels = labels, Index = (uint)exits });
            for (int k = 1; k <= exits; k++)
            {
                outer.Add(Make(Opcode.End, offset));
                int target = a.Exits[k - 1];
                var types = c.Controls[target].BranchTypes;
                if (types.Length == 1) outer.Add(Make(Opcode.LocalGet, offset, (uint)carriedLocal[types[0]]));
                if (target == 0) outer.Add(Make(Opcode.Return, offset));
                else
                {
                    int depth = c.Controls.Count - 1 - target; // from the region's position
                    outer.Add(Make(Opcode.Br, offset, (uint)(depth + (exits - k) + 1)));
                }
            }
            outer.Add(Make(Opcode.End, offset)); // $done
        }

        private Region BuildRegion(Candidate c, Analysis a, ValType[] localTypes)
        {
            // Parameters: the locals copied in; declared locals: one per carried type, then the other locals it uses.
            var map = new Dictionary<int, uint>();
            var ps = new ValType[a.In.Count];
            for (int j = 0; j < a.In.Count; j++)
            {
                map[a.In[j]] = (uint)j;
                ps[j] = localTypes[a.In[j]];
            }
            // Results: the exit code, the locals copied out, one value per carried type.
            var rs = new List<ValType> { ValType.I32 };
            foreach (var w in a.Out) rs.Add(localTypes[w]);
            rs.AddRange(a.Carried);
            var carriedSlot = new Dictionary<ValType, uint>();
            for (int t = 0; t < a.Carried.Count; t++) carriedSlot[a.Carried[t]] = (uint)(ps.Length + t);
            var declared = new List<ValType>(a.Carried);
            // With several exits, the exit code goes to a local and all of them share one epilogue.
            uint codeSlot = (uint)(ps.Length + declared.Count);
            bool shared = a.Exits.Count > 1;
            if (shared) declared.Add(ValType.I32);
            foreach (var u in a.Used)
            {
                if (map.ContainsKey(u)) continue;
                map[u] = (uint)(ps.Length + declared.Count);
                declared.Add(localTypes[u]);
            }

            int exits = a.Exits.Count, count = c.Controls.Count, offset = code[c.Start].Offset;
            var body = new List<Instruction>(c.End - c.Start + 8 * exits + 16);
            if (shared) body.Add(new Instruction { Opcode = Opcode.Block, Offset = offset, Block = BlockType.Empty }); // $leave
            // Wrapper blocks: exit k (1-based) is the k-th innermost.
            for (int k = exits; k >= 1; k--)
            {
                var types = c.Controls[a.Exits[k - 1]].BranchTypes;
                body.Add(new Instruction
                {
                    Opcode = Opcode.Block, Offset = offset,
                    Block = types.Length == 0 ? BlockType.Empty : new BlockType(BlockTypeKind.Value, types[0]),
                });
            }
            uint ExitDepth(int n, uint depth) => (uint)(n + a.Exits.IndexOf(count - 1 - (int)(depth - n)));
            int n = 0;
            for (int i = c.Start; i < c.End; i++)
            {
                var ins = code[i];
                switch (ins.Opcode)
                {
                    case Opcode.Block or Opcode.Loop or Opcode.If: n++; break;
                    case Opcode.End: n--; break;
                    case Opcode.LocalGet or Opcode.LocalSet or Opcode.LocalTee: ins.Index = map[(int)ins.Index]; break;
                    case Opcode.Br or Opcode.BrIf or Opcode.BrOnNull or Opcode.BrOnNonNull or Opcode.BrOnCast or Opcode.BrOnCastFail when ins.Index >= n: ins.Index = ExitDepth(n, ins.Index); break;
                    case Opcode.BrTable:
                    {
                        var labels = (uint[])ins.Labels!.Clone();
                        for (int l = 0; l < labels.Length; l++) if (labels[l] >= n) labels[l] = ExitDepth(n, labels[l]);
                        ins.Labels = labels;
                        if (ins.Index >= n) ins.Index = ExitDepth(n, ins.Index);
                        break;
                    }
                    case Opcode.Return:
                        ins = Make(Opcode.Br, ins.Offset, ExitDepth(n, (uint)(n + count - 1)));
                        break;
                }
                body.Add(ins);
            }
            // Leaving with exit code k: after the region, or where exit k's wrapper ends (k - 1 wrappers closed).
            void Leave(int exitCode)
            {
                body.Add(new Instruction { Opcode = Opcode.I32Const, Offset = offset, Immediate = (ulong)(uint)exitCode });
                if (shared)
                {
                    body.Add(Make(Opcode.LocalSet, offset, codeSlot));
                    body.Add(Make(Opcode.Br, offset, (uint)(exits - exitCode))); // to $leave's end
                    return;
                }
                foreach (var w in a.Out) body.Add(Make(Opcode.LocalGet, offset, map[w]));
                foreach (var t in a.Carried) body.Add(Make(Opcode.LocalGet, offset, carriedSlot[t]));
                body.Add(Make(Opcode.Return, offset));
            }
            Leave(0);
            for (int k = 1; k <= exits; k++)
            {
                body.Add(Make(Opcode.End, offset));
                var types = c.Controls[a.Exits[k - 1]].BranchTypes;
                if (types.Length == 1) body.Add(Make(Opcode.LocalSet, offset, carriedSlot[types[0]]));
                Leave(k);
            }
            if (shared)
            {
                body.Add(Make(Opcode.End, offset)); // $leave
                body.Add(Make(Opcode.LocalGet, offset, codeSlot));
                foreach (var w in a.Out) body.Add(Make(Opcode.LocalGet, offset, map[w]));
                foreach (var t in a.Carried) body.Add(Make(Opcode.LocalGet, offset, carriedSlot[t]));
            }
            body.Add(Make(Opcode.End, offset)); // the function
            return new Region { Type = new FuncType(ps, [.. rs]), Locals = [.. declared], Code = body };
        }
    }
}
