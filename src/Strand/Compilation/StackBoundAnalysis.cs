using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Which functions of a module that call need no entry stack check (and no entry interrupt poll): those that cannot
/// recurse, call only defined functions directly, and whose frames down to the next function that checks use at most
/// <see cref="BudgetBytes"/> of stack by the compiler's estimates, no more than a leaf (which has never had the check).
/// </summary>
/// <remarks>
/// <para>
/// The entry check (FunctionCompiler.Stack.cs) guarantees the runtime's margin (128 KiB) below the checking function's
/// frame; a leaf relies on the check of a caller and uses at most <see cref="FrameGuard.SmallFrameBytes"/> of that margin
/// (a bigger frame gets the guarded entry of <see cref="FrameGuard"/>). This generalises the leaf: the invariant kept is
/// that the frames below the lowest checked frame on the stack take at most <see cref="BudgetBytes"/>. A function must
/// check when it is on a cycle of the direct-call graph (every recursion then passes a check and an interrupt poll), calls
/// an import (host code runs with the margin its guest caller checked, as before) or calls through a table (which may hold
/// a host function), or lacks the facts validation records. Otherwise its unchecked depth is
/// U(f) = frame(f) + max over its callees c of (c checks ? frame(c) : U(c)), frame being
/// <see cref="FrameGuard.EstimateFrameBytes"/> (doubled with a loop, as FrameGuard does for on-stack replacement; a
/// checking callee's frame is allocated before its check runs); f checks when U(f) exceeds the budget.
/// A function that skips the check also skips the entry interrupt poll, which exists to interrupt recursion: every
/// recursion goes through a checking function, and every loop still polls at its header.
/// </para>
/// <para>
/// Computed once per module from the facts validation recorded (<see cref="FunctionBody.DirectCallees"/> etc.): strongly
/// connected components (Tarjan's algorithm, iterative: no recursion in the compiler), which come out callees first, so U
/// is computed in the same pass. O(functions + call edges).
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
        var unchecked_ = new long[total]; // U(f) for functions that do not check
        for (int f = 0; f < imported; f++) check[f] = true;

        // Tarjan's strongly connected components over the defined functions, iteratively.
        var index = new int[total];
        var low = new int[total];
        var onStack = new bool[total];
        Array.Fill(index, -1);
        var components = new Stack<int>();
        var search = new Stack<(int Function, int NextCallee)>();
        int counter = 0;
        for (int root = imported; root < total; root++)
        {
            if (index[root] >= 0) continue;
            search.Push((root, 0));
            while (search.Count > 0)
            {
                var (f, next) = search.Pop();
                var callees = definition.Bodies[f - imported].DirectCallees ?? [];
                if (next == 0)
                {
                    index[f] = low[f] = counter++;
                    components.Push(f);
                    onStack[f] = true;
                }
                else low[f] = Math.Min(low[f], low[callees[next - 1]]); // back from the search of callee next - 1
                bool descended = false;
                while (next < callees.Length)
                {
                    uint callee = callees[next++];
                    if (callee < (uint)imported || callee >= (uint)total) continue;
                    if (index[callee] < 0)
                    {
                        search.Push((f, next));
                        search.Push(((int)callee, 0));
                        descended = true;
                        break;
                    }
                    if (onStack[callee]) low[f] = Math.Min(low[f], index[callee]);
                }
                if (descended || low[f] != index[f]) continue;
                // f roots a component: pop it; every callee outside it is decided already (components come out callees first).
                var members = new List<int>();
                int member;
                do
                {
                    member = components.Pop();
                    onStack[member] = false;
                    members.Add(member);
                } while (member != f);
                foreach (int m in members) Decide(m, recursive: members.Count > 1);
            }
        }
        return check;

        void Decide(int f, bool recursive)
        {
            var body = definition.Bodies[f - imported];
            frame[f] = OwnFrame(definition, functionTypes, f - imported);
            if (recursive || body.DirectCallees is null || body.ControlCount < 0 || body.CallsIndirectly)
            {
                check[f] = true;
                return;
            }
            long depth = frame[f];
            foreach (uint callee in body.DirectCallees)
            {
                if (callee < (uint)imported || callee >= (uint)total || callee == (uint)f)
                {
                    check[f] = true;
                    return;
                }
                long below = check[callee] ? frame[callee] : unchecked_[callee];
                depth = Math.Max(depth, frame[f] + below);
            }
            unchecked_[f] = depth;
            check[f] = depth > BudgetBytes;
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
