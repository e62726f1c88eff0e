using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Which functions of a module that call need no entry stack check (and no entry interrupt poll): those that call only
/// defined functions directly, are not where the search below closes a cycle, and whose frames down to the next function
/// that checks use at most <see cref="BudgetBytes"/> of stack by the compiler's estimates, no more than a leaf (which has
/// never had the check).
/// </summary>
/// <remarks>
/// <para>
/// The entry check (FunctionCompiler.Stack.cs) guarantees the runtime's margin (128 KiB) below the checking function's
/// frame; a leaf relies on the check of a caller and uses at most <see cref="FrameGuard.SmallFrameBytes"/> of that margin
/// (a bigger frame gets the guarded entry of <see cref="FrameGuard"/>). This generalises the leaf: the invariant kept is
/// that the frames below the lowest checked frame on the stack take at most <see cref="BudgetBytes"/>. A function must
/// check when it is the target of a back edge of a depth-first search of the direct-call graph (every cycle has one, so
/// every recursion passes a check and an interrupt poll; one check per cycle, not one per function on it), calls an
/// import (host code runs with the margin its guest caller checked, as before) or calls through a table (which may hold
/// a host function), or lacks the facts validation records. Otherwise its unchecked depth is
/// U(f) = frame(f) + max over its callees c of (c checks ? frame(c) : U(c)), frame being
/// <see cref="FrameGuard.EstimateFrameBytes"/> (doubled with a loop, as FrameGuard does for on-stack replacement; a
/// checking callee's frame is allocated before its check runs); f checks when U(f) exceeds the budget.
/// A function that skips the check also skips the entry interrupt poll, which exists to interrupt recursion: every
/// recursion goes through a checking function, and every loop still polls at its header.
/// </para>
/// <para>
/// Computed once per module from the facts validation recorded (<see cref="FunctionBody.DirectCallees"/> etc.) by one
/// iterative depth-first search (no recursion in the compiler): without its back edges the graph is acyclic and the search
/// finishes callees before callers, so U is computed as functions finish. O(functions + call edges).
/// </para>
/// </remarks>
internal static class StackBoundAnalysis
{
    /// <summary>The stack the frames below the lowest checked frame may take, by the estimates: what one leaf may take.</summary>
    public const long BudgetBytes = FrameGuard.SmallFrameBytes;

    /// <summary>Per function index (imports first): true when the function needs its entry check (always for imports).</summary>
    public static bool[] NeedsEntryCheck(ModuleDefinition definition, FuncType[] functionTypes)
    {
        int imported = definition.ImportedFunctionCount;
        int total = imported + definition.Bodies.Count;
        var check = new bool[total];
        var frame = new long[total];
        var depth = new long[total]; // U(f) for functions that do not check
        var state = new byte[total]; // 0 not visited, 1 on the search path, 2 finished
        for (int f = 0; f < imported; f++)
        {
            check[f] = true;
            state[f] = 2;
        }
        for (int f = imported; f < total; f++) frame[f] = OwnFrame(definition, functionTypes, f - imported);

        // Depth-first search; a call to a function on the search path (a back edge) closes a cycle, and every cycle has a
        // back edge, so making each back edge's target check puts a check on every recursion. Without the back edges the
        // graph is acyclic, and the search finishes every other callee before its caller: U is computed at finish time.
        var search = new Stack<(int Function, int NextCallee)>();
        for (int root = imported; root < total; root++)
        {
            if (state[root] != 0) continue;
            state[root] = 1;
            search.Push((root, 0));
            while (search.Count > 0)
            {
                var (f, next) = search.Pop();
                var callees = definition.Bodies[f - imported].DirectCallees ?? [];
                bool descended = false;
                while (next < callees.Length)
                {
                    uint callee = callees[next++];
                    if (callee >= (uint)total || state[callee] == 2) continue;
                    if (state[callee] == 1)
                    {
                        check[callee] = true; // a back edge (a self-call included)
                        continue;
                    }
                    search.Push((f, next));
                    state[callee] = 1;
                    search.Push(((int)callee, 0));
                    descended = true;
                    break;
                }
                if (descended) continue;
                state[f] = 2;
                Decide(f);
            }
        }
        return check;

        void Decide(int f)
        {
            var body = definition.Bodies[f - imported];
            if (check[f] || body.DirectCallees is null || body.ControlCount < 0 || body.CallsIndirectly)
            {
                check[f] = true;
                return;
            }
            long below = 0;
            foreach (uint callee in body.DirectCallees)
            {
                if (callee < (uint)imported || callee >= (uint)total)
                {
                    check[f] = true;
                    return;
                }
                // A callee still on the search path is a back edge's target, which checks.
                below = Math.Max(below, check[callee] || state[callee] != 2 ? frame[callee] : depth[callee]);
            }
            depth[f] = frame[f] + below;
            check[f] = depth[f] > BudgetBytes;
        }
    }

    /// <summary>The frame estimate of defined function <paramref name="definedIndex"/>, as <see cref="FrameGuard"/> makes it.</summary>
    private static long OwnFrame(ModuleDefinition definition, FuncType[] functionTypes, int definedIndex)
    {
        var body = definition.Bodies[definedIndex];
        int controls = Math.Max(body.ControlCount, 0);
        long estimate = FrameGuard.EstimateFrameBytes(definition, definedIndex, functionTypes[definition.ImportedFunctionCount + definedIndex], controls);
        return body.LoopCount != 0 ? 2 * estimate : estimate;
    }
}
