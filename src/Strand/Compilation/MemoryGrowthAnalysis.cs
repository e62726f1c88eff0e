using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Which functions of a module may grow a memory while they run, so that the compiler need not reload a non-shared
/// memory 0's cached limits after a direct <c>call</c> of one that cannot (see "Memory access" in docs/compiler.md).
/// </summary>
/// <remarks>
/// A function may grow a memory when its body has a <c>memory.grow</c> (of any memory: one <see cref="Memory"/>
/// may be imported as two memory indices), a <c>call_indirect</c> or <c>return_call_indirect</c> (a table may hold
/// imported functions and functions of other instances sharing the memory; tables can be written by the host), or a
/// direct call (<c>call</c>, <c>return_call</c>) of an imported function (a host function can grow any memory it
/// reaches: <c>Instance.Memory</c> is memory 0 even when not exported) or of a defined function that may grow one,
/// transitively. Everything else cannot grow memory: it runs only this module's code on this thread. A body without
/// the facts validation records (<see cref="FunctionBody.DirectCallees"/>) counts as one that may grow.
/// The result is the least fixed point over the direct-call graph, computed backwards from the functions that may grow
/// on their own: O(functions + call edges), from facts recorded while the bodies were validated (no decoding here).
/// </remarks>
internal static class MemoryGrowthAnalysis
{
    /// <summary>
    /// Per function index (imports first): true when a call of that function may grow a memory before it returns
    /// (imported functions always).
    /// </summary>
    public static bool[] MayGrowMemory(ModuleDefinition definition)
    {
        int imported = definition.ImportedFunctionCount;
        int total = imported + definition.Bodies.Count;
        var mayGrow = new bool[total];
        var worklist = new Stack<int>();
        for (int f = 0; f < imported; f++)
        {
            mayGrow[f] = true;
            worklist.Push(f);
        }

        // The reverse call graph in compressed form: callers of function e are callers[start[e]..start[e + 1]).
        var start = new int[total + 1];
        for (int d = 0; d < definition.Bodies.Count; d++)
            if (definition.Bodies[d].DirectCallees is { } callees)
                foreach (var callee in callees)
                    if (callee < (uint)total) start[callee + 1]++;
        for (int f = 0; f < total; f++) start[f + 1] += start[f];
        var callers = new int[start[total]];
        var fill = (int[])start.Clone();
        for (int d = 0; d < definition.Bodies.Count; d++)
        {
            var body = definition.Bodies[d];
            if (body.DirectCallees is { } callees)
            {
                foreach (var callee in callees)
                    if (callee < (uint)total) callers[fill[callee]++] = imported + d;
            }
            if (body.DirectCallees is null || body.GrowsMemory || body.CallsIndirectly)
            {
                if (!mayGrow[imported + d])
                {
                    mayGrow[imported + d] = true;
                    worklist.Push(imported + d);
                }
            }
        }

        while (worklist.Count > 0)
        {
            int f = worklist.Pop();
            for (int i = start[f]; i < start[f + 1]; i++)
            {
                int caller = callers[i];
                if (mayGrow[caller]) continue;
                mayGrow[caller] = true;
                worklist.Push(caller);
            }
        }
        return mayGrow;
    }
}
