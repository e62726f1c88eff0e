using Strand.Binary;

namespace Strand.Compilation;

/// <summary>What an interpreter does after a loop entry (<see cref="LoopOutline"/>) returned exit code k.</summary>
internal enum LoopExitKind
{
    /// <summary>The loop ended by reaching its <c>end</c>: continue with the instruction after it.</summary>
    FallThrough,
    /// <summary>A branch out of the loop: redo <c>br <see cref="LoopExit.Depth"/></c> from the instruction after the loop's <c>end</c>.</summary>
    Branch,
    /// <summary>A <c>return</c> (or a branch to the function's own label) from inside the loop: the function returns.</summary>
    Return,
}

/// <summary>
/// One exit of an outlined loop (<see cref="LoopOutline.Exits"/>, indexed by exit code).
/// <para>
/// <see cref="Depth"/> (for <see cref="LoopExitKind.Branch"/>; 0 otherwise) is the label depth of the exit's target as seen
/// from the position right after the loop's <c>end</c>, that is the immediate of the <c>br</c> one would write there: 0 is
/// the innermost construct enclosing the loop. It never names the function's own label: a branch there is reported as
/// <see cref="LoopExitKind.Return"/>. <see cref="CarriedType"/> is the type of the one value the exit carries to its
/// target (the target block's result, the target loop's parameter, or the function's single result for a return), null
/// when it carries none; the value is result number <see cref="CarriedResult"/> of the loop function (-1 when none).
/// The interpreter pushes it on its operand stack before redoing the branch or the return; the operand values of outer
/// blocks that were on its stack when it entered the loop are still there, untouched.
/// </para>
/// </summary>
internal readonly record struct LoopExit(LoopExitKind Kind, int Depth, ValType? CarriedType, int CarriedResult);

/// <summary>
/// One loop of a function outlined as a function of its own, for on-stack replacement: an interpreter that has spent long
/// in the loop calls the compiled loop with its locals and continues at the loop's exit (docs/compiler.md, "Loop entries
/// for on-stack replacement"). Made by <see cref="FunctionSplitter.OutlineLoop"/> with the function splitter's region rules.
/// <para>
/// Shape of the loop function (<see cref="Type"/>):
/// <code>
/// params:  local InLocals[0], ..., local InLocals[n-1]          (the outer locals the loop reads that are live at its entry)
/// results: i32 exit code,
///          local OutLocals[0], ..., local OutLocals[m-1]        (the outer locals the loop writes that are live where it leaves)
///          carried values, one per distinct carried type          (in order of first appearance in the loop; see LoopExit)
/// </code>
/// <see cref="InLocals"/> and <see cref="OutLocals"/> hold outer local indices (parameters first, as in <c>local.get</c>) in
/// ascending order. The interpreter calls the loop function at the loop's head (instead of running the <c>loop</c>
/// instruction, or at a branch back to it) with the current values of <see cref="InLocals"/>, then stores each result
/// after the exit code into its <see cref="OutLocals"/> local, and acts on <see cref="Exits"/>[exit code]. Locals the loop
/// writes but that are dead after it are not returned (their interpreter copies are stale but never read again); locals it
/// reads but that are not live at its entry are written before any read inside it, so they are not passed either.
/// A trap, a thrown exception or an interruption inside the loop leaves the loop function as the exception the same
/// code would throw when compiled whole (the loop is never inside a <c>try</c>, so it leaves the wasm function too).
/// </para>
/// </summary>
internal sealed class LoopOutline
{
    /// <summary>The loop as a wasm function: its type, its declared locals (after the parameters) and its body.</summary>
    public required FunctionSplitter.Region Region { get; init; }
    /// <summary>The loop function's type (see the class summary for the order of parameters and results).</summary>
    public FuncType Type => Region.Type;
    /// <summary>Outer local index of each parameter, in parameter order (ascending).</summary>
    public required int[] InLocals { get; init; }
    /// <summary>Outer local index of each result after the exit code, in result order (ascending): result 1 + j is local OutLocals[j].</summary>
    public required int[] OutLocals { get; init; }
    /// <summary>The exits by exit code: [0] is <see cref="LoopExitKind.FallThrough"/>, then one per branch target outside the loop.</summary>
    public required LoopExit[] Exits { get; init; }
    /// <summary>Index in the function's decoded code of the <c>loop</c> instruction.</summary>
    public required int LoopIndex { get; init; }
    /// <summary>Index in the function's decoded code of the loop's matching <c>end</c>; the interpreter continues at EndIndex + 1 after a fall-through.</summary>
    public required int EndIndex { get; init; }
    /// <summary>
    /// An upper bound of the native frame of the loop function's method (<see cref="FrameGuard.EstimateFrameBytes"/>'s
    /// estimate, with the region's locals and the operand figures of a validation pass over the function, which a body
    /// from a compiled artifact lacks).
    /// </summary>
    public long FrameBytes { get; internal set; }
}

internal static partial class FunctionSplitter
{
    /// <summary>
    /// Outlines the loop at <paramref name="loopIndex"/> of defined function <paramref name="definedIndex"/> (decoded:
    /// <paramref name="code"/>, from <see cref="FunctionCompiler.Decode"/>, not modified): the region from the <c>loop</c>
    /// instruction through its matching <c>end</c>, with the splitter's region rules (<see cref="LoopOutline"/> gives the
    /// shape). Null when it cannot be outlined: the operand stack of the innermost enclosing block is not empty at the loop
    /// (heights from the validator; values of outer blocks below it are allowed and stay with the caller) or the loop is
    /// unreachable, the loop has parameters or results, it is inside a <c>try</c>/<c>try_table</c> (a body or a handler),
    /// it contains a <c>try</c>, <c>try_table</c>, <c>catch</c>, <c>catch_all</c>, <c>delegate</c>, <c>rethrow</c> or a tail
    /// call (<c>return_call*</c>), an exit carries more than one value (a branch to a block with several results, a return
    /// from a function with several), or the loop uses more than 400 locals or its function type would pass
    /// <see cref="ImplementationLimits.MaxFunctionTypeArity"/>. (<c>throw</c> and <c>throw_ref</c> are allowed: they leave
    /// like a trap.) Throws <see cref="ArgumentOutOfRangeException"/> only when <paramref name="loopIndex"/> is not the
    /// index of a <c>loop</c> in <paramref name="code"/> (a caller's error).
    /// </summary>
    internal static LoopOutline? OutlineLoop(ModuleCompilation module, int definedIndex, List<Instruction> code, int loopIndex)
    {
        if ((uint)loopIndex >= (uint)code.Count || code[loopIndex].Opcode != Opcode.Loop)
            throw new ArgumentOutOfRangeException(nameof(loopIndex), $"instruction {loopIndex} of the function is not a loop");
        var type = module.FunctionTypes[module.ImportedFunctionCount + definedIndex];
        // The labels enclosing the loop, the function's first (as the splitter's candidates have them), and the loop's end.
        var match = new int[code.Count];
        var open = new Stack<int>();
        for (int i = 0; i < code.Count; i++)
        {
            switch (code[i].Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable: open.Push(i); break;
                case Opcode.End or Opcode.Delegate when open.Count > 0: match[open.Pop()] = i; break;
            }
        }
        var enclosing = new List<int>();
        for (int i = 0; i < loopIndex; i++)
        {
            switch (code[i].Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable: enclosing.Add(i); break;
                case Opcode.End or Opcode.Delegate when enclosing.Count > 0: enclosing.RemoveAt(enclosing.Count - 1); break;
            }
        }
        foreach (int e in enclosing)
            if (code[e].Opcode is Opcode.Try or Opcode.TryTable) return null;
        var heights = OperandHeights(module, definedIndex, code, out int maxOperandDepth, out long branchSpillUnits);
        if (heights[loopIndex] != 0) return null;
        var localTypes = (ValType[])[.. type.Params, .. module.Definition.Bodies[definedIndex].ExpandLocals()];
        var liveness = LocalLiveness.Compute(code, localTypes.Length);
        var splitter = new Splitter(module, code, heights, int.MaxValue, forced: true, liveness, loopFree: false, int.MaxValue);
        var outline = splitter.OutlineLoop(loopIndex, match, enclosing, type, localTypes);
        if (outline is null) return null;
        // The region's frame: its own locals, the function's operand figures (bounds for any part of it), its blocks and
        // the wrapper blocks of its exits.
        int controls = outline.Exits.Length + 1;
        for (int i = loopIndex; i <= outline.EndIndex; i++)
            if (code[i].Opcode is Opcode.Block or Opcode.Loop or Opcode.If) controls++;
        outline.FrameBytes = FrameGuard.FrameBytes(outline.Type.Params.Length + outline.Region.Locals.Length, maxOperandDepth, controls, branchSpillUnits);
        return outline;
    }

    private sealed partial class Splitter
    {
        /// <summary>The loop from <paramref name="loopIndex"/> through its end as a region (see <see cref="FunctionSplitter.OutlineLoop"/>).</summary>
        /// <remarks><paramref name="match"/>: each construct's end; <paramref name="enclosing"/>: the constructs around the loop, outermost first.</remarks>
        public LoopOutline? OutlineLoop(int loopIndex, int[] match, List<int> enclosing, FuncType type, ValType[] localTypes)
        {
            int endIndex = match[loopIndex];
            var ctls = new List<Ctl> { new() { BranchTypes = type.Results } };
            foreach (int e in enclosing)
            {
                var (eps, ers) = Signature(code[e].Block);
                bool loop = code[e].Opcode == Opcode.Loop;
                ctls.Add(new Ctl { BranchTypes = loop ? eps : ers, IsLoop = loop, Target = loop ? e : match[e] });
            }
            var (ps, rs) = Signature(code[loopIndex].Block);
            if (ps.Length != 0 || rs.Length != 0) return null;
            if (!Outlinable(loopIndex, endIndex + 1, inLoop: false)) return null;
            var candidate = new Candidate { Start = loopIndex, End = endIndex + 1, Controls = ctls };
            var analysis = Analyze(candidate, type, localTypes);
            if (analysis is null) return null;
            var region = BuildRegion(candidate, analysis, localTypes);
            // Exit code k (1-based) is the branch to outer control analysis.Exits[k - 1] (BuildRegion's numbering).
            var exits = new LoopExit[analysis.Exits.Count + 1];
            exits[0] = new LoopExit(LoopExitKind.FallThrough, 0, null, -1);
            for (int k = 1; k < exits.Length; k++)
            {
                int target = analysis.Exits[k - 1];
                var carried = ctls[target].BranchTypes;
                ValType? value = carried.Length == 1 ? carried[0] : null;
                int at = value is { } t ? 1 + analysis.Out.Count + analysis.Carried.IndexOf(t) : -1;
                exits[k] = target == 0
                    ? new LoopExit(LoopExitKind.Return, 0, value, at)
                    : new LoopExit(LoopExitKind.Branch, ctls.Count - 1 - target, value, at);
            }
            return new LoopOutline
            {
                Region = region, InLocals = [.. analysis.In], OutLocals = [.. analysis.Out], Exits = exits,
                LoopIndex = loopIndex, EndIndex = endIndex,
            };
        }
    }
}
