using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// Loop versioning: a loop whose accesses go through induction variables (a pointer or index that adds a constant once per
/// iteration) and whose exit compares one of them with a loop-invariant bound is compiled twice, a copy whose accesses
/// through those variables are not checked and the ordinary checked copy; a guard at entry computes how many iterations
/// can run and enters the unchecked copy only when every such access of every one of them is inside memory 0.
/// </summary>
/// <remarks>
/// The shapes (docs/compiler.md, "Loop versioning"):
/// <list type="bullet">
/// <item>an induction variable: an i32 local whose only write in the loop is <c>local.get $v; i32.const c; i32.add;
/// (local.tee $w)*; local.set/tee $v</c> at the top level of the body (so once per iteration), |c| ≤ 65536, with every
/// branch back to the loop after it;</item>
/// <item>the exit test, a <c>br_if</c> on <c>x op n</c>, <c>x</c> or <c>eqz x</c> (x an induction variable, read or
/// just incremented; n an i32 constant or a local the loop never writes): the loop's final <c>br_if 0</c> (continue when
/// true); a top-level <c>br_if</c> out of the loop (leave when true); or a top-level block that starts with the test
/// (<c>br_if 0</c> to its end when the loop goes on) and whose remaining body can only leave the loop (it ends with
/// <c>return</c>, <c>unreachable</c> or a <c>br</c> out of the loop, and nothing else branches to the block's end). Every
/// branch back to the loop comes after the test.</item>
/// </list>
/// Then at most iterations 0..J run, J the first whose test fails (<see cref="LoopGuards.ExitIteration"/>), iteration J
/// only up to the test; an induction variable read in iteration j holds its entry value plus (j + 1 if read after its
/// increment, else j) steps. The compile-time stack mirror tags each value of the form <c>base + const + (v &lt;&lt; k)</c>
/// (base a local the loop never writes) through <see cref="ValueRange.Affine"/>, and through locals within straight-line
/// code; in the unchecked copy an access through such a value skips its check and records its group, which the guard
/// tests (<see cref="LoopGuards.Fits"/>). Memory never shrinks, so a guard passed at entry holds for the whole loop,
/// whatever the body calls or grows, on a shared memory too. The guard fails (the checked copy runs, trapping exactly
/// where the program does) whenever it cannot prove every group in bounds. Only innermost loops without calls, with a
/// few accesses, in small functions are versioned (the limits below): elsewhere the second copy cost more than it saved.
/// </remarks>
internal sealed partial class FunctionCompiler
{
    /// <summary>Loops of more instructions than this are not versioned (their IL would be emitted twice).</summary>
    private const int VersionedLoopMaxInstructions = 120;
    /// <summary>Loops with fewer memory-0 loads and stores than this are not versioned.</summary>
    private const int VersionedLoopMinAccesses = 3;
    /// <summary>
    /// Loops whose guard would test more groups than this always run the checked copy: each group costs the guard about
    /// fifteen instructions at every entry (measured: blind-sig's bignum loop of eight groups, short and entered very
    /// often, made it 7% slower versioned).
    /// </summary>
    private const int VersionedLoopMaxGroups = 7;
    /// <summary>
    /// Loops whose unchecked copy saves fewer checks per iteration than this always run the checked copy. Settable for the
    /// tests (tests/Strand.Tests/Compilation/LoopVersioning*Tests.cs), whose small loops exercise both copies with 1;
    /// the value changes only which loops take the unchecked copy, never what a program does.
    /// </summary>
    internal static int VersionedLoopMinSavedChecks = 2;
    /// <summary>Instructions a function may emit twice through versioning, in all.</summary>
    private const int VersionedInstructionsPerFunction = 600;
    /// <summary>Functions of more instructions than this keep their loops as they are.</summary>
    private const int VersionedFunctionMaxInstructions = 2_000;
    private int _versionedInstructions;
    /// <summary>Versioned loops compiled with a guard that can enter the unchecked copy, process-wide (a test's witness that its loops are versioned).</summary>
    internal static int GuardedLoops;

    /// <summary>An affine address <c>base + ConstOffset + (Iv &lt;&lt; Shift)</c> in the versioned loop's iteration (see the remarks above).</summary>
    private readonly record struct AffineAddress(bool Valid, int Iv, int BasePlusOne, ulong ConstOffset, int Shift, bool After);

    private readonly record struct AccessGroup(int Iv, int BasePlusOne, ulong ConstOffset, int Shift, bool After, bool Passed);

    private sealed class LoopPlan
    {
        public int Start, End;
        /// <summary>Induction variables: their step and the position of their only write.</summary>
        public readonly Dictionary<int, (int Step, int Write)> Inductions = new();
        public int Governor, BoundLocal = -1, BoundConst, Op;
        public bool TestAfterIncrement;
        /// <summary>Positions after this one (to the loop's end) run only in iterations whose test passed.</summary>
        public int PassedFrom = int.MaxValue;
        /// <summary>The exit test's first instruction and its br_if.</summary>
        public int TestStart, TestPosition;
        /// <summary>Checks the unchecked copy leaves out (per iteration, along the body).</summary>
        public int SavedChecks;
        /// <summary>The accesses the unchecked copy left unchecked, by group: the largest offset + size.</summary>
        public readonly Dictionary<AccessGroup, ulong> Groups = new();
    }

    /// <summary>The loop being compiled twice (both copies), or null.</summary>
    private LoopPlan? _versionedLoop;
    /// <summary>True while the unchecked copy is compiled.</summary>
    private bool _versionUnchecked;
    /// <summary>Locals holding an affine address computed earlier in the current straight-line code of the versioned loop.</summary>
    private readonly Dictionary<int, AffineAddress> _affineLocals = new();

    /// <summary>
    /// At a reachable <c>loop</c> at <see cref="_position"/>: when it has the shape above, compiles it versioned (both
    /// copies and the guard), leaves <see cref="_position"/> at its end and returns true; otherwise emits nothing.
    /// </summary>
    private bool TryCompileVersionedLoop()
    {
        if (PlanVersionedLoop(_position) is not { } plan) return false;
        EmitMemory0LimitRefresh(Opcode.Loop);
        _versionedInstructions += plan.End - plan.Start;
        var fast = _il.DefineLabel();
        var slow = _il.DefineLabel();
        var guard = _il.DefineLabel();
        var after = _il.DefineLabel();
        // The stack is empty here (a condition of the plan), so the copies may be entered by backward branches.
        _il.Emit(OpCodes.Br, guard);
        var saved = SaveCompilerState();
        _versionedLoop = plan;
        _versionUnchecked = true;
        _il.MarkLabel(fast);
        CompileRange(plan.Start, plan.End);
        if (!_unreachable) _il.Emit(OpCodes.Br, after);
        RestoreCompilerState(saved);
        _versionUnchecked = false;
        _il.MarkLabel(slow);
        CompileRange(plan.Start, plan.End);
        if (!_unreachable) _il.Emit(OpCodes.Br, after);
        _versionedLoop = null;
        _affineLocals.Clear();
        _il.MarkLabel(guard);
        EmitLoopGuard(plan, fast, slow);
        _il.MarkLabel(after);
        _position = plan.End;
        return true;
    }

    private void CompileRange(int start, int end)
    {
        var instructions = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_code);
        for (_position = start; _position <= end; _position++) CompileInstruction(instructions[_position]);
    }

    /// <summary>Computes J, then tests each group; enters <paramref name="fast"/> when all fit, else <paramref name="slow"/>.</summary>
    private void EmitLoopGuard(LoopPlan plan, Label fast, Label slow)
    {
        if (plan.Groups.Count == 0 || plan.Groups.Count > VersionedLoopMaxGroups || plan.SavedChecks < VersionedLoopMinSavedChecks)
        {
            // Not worth the guard (measured: memset's loop, whose four stores through one pointer need one check an
            // iteration, made blind-sig 20% slower versioned): the unchecked copy is never entered, the JIT drops it.
            _il.Emit(OpCodes.Br, slow);
            return;
        }
        Interlocked.Increment(ref GuardedLoops);
        var exit = Rent(typeof(long));
        EmitLocalValue(plan.Governor);
        if (plan.BoundLocal >= 0) EmitLocalValue(plan.BoundLocal);
        else Ldc(plan.BoundConst);
        Ldc(plan.Inductions[plan.Governor].Step);
        Ldc(plan.TestAfterIncrement ? 1 : 0);
        Ldc(plan.Op);
        _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(LoopGuards), nameof(LoopGuards.ExitIteration)));
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Stloc, exit);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Blt, slow);
        foreach (var (group, end) in plan.Groups)
        {
            _il.Emit(OpCodes.Ldloc, exit);
            Ldc(group.Passed ? 1 : 0);
            EmitLocalValue(group.Iv);
            Ldc(plan.Inductions[group.Iv].Step);
            Ldc(group.After ? 1 : 0);
            if (group.BasePlusOne > 0) EmitLocalValue(group.BasePlusOne - 1);
            else _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Ldc_I8, (long)group.ConstOffset);
            Ldc(group.Shift);
            _il.Emit(OpCodes.Ldc_I8, (long)end);
            _il.Emit(OpCodes.Ldloc, _memory!);
            _il.Emit(OpCodes.Volatile);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryLength);
            _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(LoopGuards), nameof(LoopGuards.Fits)));
            _il.Emit(OpCodes.Brfalse, slow);
        }
        Release(exit);
        _il.Emit(OpCodes.Br, fast);
    }

    private void EmitLocalValue(int index)
    {
        if (index < _paramCount) Ldarg(index);
        else _il.Emit(OpCodes.Ldloc, _locals[index]!);
    }

    /// <summary>
    /// In the unchecked copy: true when an access through <paramref name="range"/> (an affine address), at
    /// <paramref name="offset"/>, of <paramref name="size"/> bytes, is left to the guard; records its group.
    /// </summary>
    private bool CoveredByLoopGuard(ValueRange range, ulong offset, int size, int addressLocal)
    {
        if (!_versionUnchecked || _versionedLoop is not { } plan || !range.Affine.Valid) return false;
        var a = range.Affine;
        var group = new AccessGroup(a.Iv, a.BasePlusOne, a.ConstOffset, a.Shift, a.After, _position > plan.PassedFrom);
        ulong end = offset + (ulong)size;
        plan.Groups[group] = Math.Max(end, plan.Groups.GetValueOrDefault(group));
        plan.SavedChecks++;
        // The guard proves this access in bounds, as a check would: later accesses through the local within the end need
        // no check in this copy either (as in the checked one), and do not count as saved.
        if (addressLocal >= 0) _checkedAddressLocals[addressLocal] = Math.Max(end, _checkedAddressLocals.GetValueOrDefault(addressLocal));
        return true;
    }

    /// <summary>
    /// Inside the versioned loop, before instruction <paramref name="ins"/>: the affine address it pushes, if any; keeps
    /// <see cref="_affineLocals"/> (a write replaces the local's entry; any control instruction ends the straight-line code).
    /// </summary>
    private AffineAddress AffineBefore(in Instruction ins)
    {
        var plan = _versionedLoop!;
        switch (ins.Opcode)
        {
            case Opcode.LocalGet:
                if (plan.Inductions.TryGetValue((int)ins.Index, out var iv))
                    return new AffineAddress(true, (int)ins.Index, 0, 0, 0, _position > iv.Write);
                return _affineLocals.GetValueOrDefault((int)ins.Index);
            case Opcode.LocalSet or Opcode.LocalTee:
                _affineLocals.Remove((int)ins.Index);
                if (_ranges.Count > 0 && _ranges[^1].Affine.Valid) _affineLocals[(int)ins.Index] = _ranges[^1].Affine;
                return default;
            case Opcode.I32Add when _ranges.Count >= 2:
                if (_ranges[^2].Affine.Valid && !_ranges[^1].Affine.Valid) return AddTerm(plan, _ranges[^2].Affine, _ranges[^1], _origin[^1]);
                if (_ranges[^1].Affine.Valid && !_ranges[^2].Affine.Valid) return AddTerm(plan, _ranges[^1].Affine, _ranges[^2], _origin[^2]);
                return default;
            case Opcode.I32Shl when _ranges.Count >= 2 && _ranges[^2].Affine is { Valid: true, BasePlusOne: 0, ConstOffset: 0, Shift: 0 } pure
                                    && _ranges[^1] is { Known: true } shift && shift.Lo == shift.Hi && shift.Lo <= 8:
                return pure with { Shift = (int)shift.Lo };
            case Opcode.GlobalGet or Opcode.GlobalSet or Opcode.Drop or Opcode.Select or Opcode.SelectTyped or Opcode.Nop or Opcode.Call
                or Opcode.MemorySize or Opcode.MemoryGrow or (>= Opcode.I32Load and <= Opcode.I64Store32) or (>= Opcode.I32Const and <= Opcode.I64Extend32S):
                return default;
            default:
                // Anything else may branch, merge control flow or end reachable code (after which the compiler skips
                // instructions without seeing them, up to a merge): the straight-line code ends here.
                _affineLocals.Clear();
                return default;
        }
    }

    /// <summary>An affine address plus a constant or a loop-invariant local (as its base), when the sum keeps the form.</summary>
    private AffineAddress AddTerm(LoopPlan plan, AffineAddress address, ValueRange other, int otherLocal)
    {
        if (other.Known && other.Lo == other.Hi)
        {
            ulong sum = address.ConstOffset + other.Lo;
            return sum <= 1UL << 40 ? address with { ConstOffset = sum } : default;
        }
        if (otherLocal >= 0 && address.BasePlusOne == 0 && _localTypes[otherLocal] == ValType.I32 && !WrittenIn(otherLocal, plan.Start, plan.End))
            return address with { BasePlusOne = otherLocal + 1 };
        return default;
    }

    private bool WrittenIn(int local, int start, int end)
    {
        if (!_localWrites!.TryGetValue(local, out var positions)) return false;
        int i = positions.BinarySearch(start);
        if (i < 0) i = ~i;
        return i < positions.Count && positions[i] < end;
    }

    // ------------------------------------------------------------------ the plan

    private LoopPlan? PlanVersionedLoop(int start)
    {
        if (_versionedLoop is not null || _memory is null || _compactChecks || _split is not null || _tryDepth > 0 || _stack.Count != 0
            || _code[start].Block.Kind != BlockTypeKind.Empty || _code.Count > VersionedFunctionMaxInstructions)
            return null;
        PrescanCheckScopes();
        int end = _matchingEnd![start];
        if (end - start > VersionedLoopMaxInstructions || _versionedInstructions + (end - start) > VersionedInstructionsPerFunction)
            return null;

        // Depth of each position inside the body (0: the body's top level), the branches back to the loop, and whether
        // the body has an access to memory 0 at all.
        int length = end - start;
        var depth = new int[length + 1];
        var backEdges = new List<int>();
        int accesses = 0;
        var addresses = new HashSet<int>();
        int d = 0;
        for (int p = start + 1; p < end; p++)
        {
            var ins = _code[p];
            if (ins.Opcode == Opcode.End) d--;
            depth[p - start] = d;
            switch (ins.Opcode)
            {
                case Opcode.Loop:
                    return null; // innermost loops only: where the checks run most often, and the copies stay small
                case Opcode.Block or Opcode.If:
                    d++;
                    break;
                case Opcode.Br or Opcode.BrIf when ins.Index == (uint)d:
                    backEdges.Add(p);
                    break;
                case Opcode.BrTable when ins.Index == (uint)d || ins.Labels!.Contains((uint)d):
                    backEdges.Add(p);
                    break;
                case Opcode.Try or Opcode.TryTable or Opcode.Catch or Opcode.CatchAll or Opcode.Delegate or Opcode.Rethrow
                    or Opcode.BrOnNull or Opcode.BrOnNonNull or Opcode.BrOnCast or Opcode.BrOnCastFail:
                    return null;
                case >= Opcode.I32Load and <= Opcode.I64Store32 when ins.Memory == 0:
                    accesses++;
                    addresses.Add(AddressKey(p, ins.Opcode));
                    break;
                case Opcode.Call or Opcode.CallIndirect or Opcode.CallRef:
                    // A loop that calls: its iterations are long, its checks a small part of them (measured: versioning
                    // such loops made rust-html-rewriter slower).
                    return null;
            }
        }
        // The guard costs about as much as a few iterations' checks: loops with fewer accesses gain nothing measurable.
        if (accesses < VersionedLoopMinAccesses || addresses.Count < VersionedLoopMinSavedChecks) return null;

        var plan = new LoopPlan { Start = start, End = end };
        foreach (var (local, positions) in _localWrites!)
        {
            int i = positions.BinarySearch(start);
            if (i < 0) i = ~i;
            if (i >= positions.Count || positions[i] >= end) continue;
            if (i + 1 < positions.Count && positions[i + 1] < end) continue; // written twice
            int write = positions[i];
            if (depth[write - start] == 0 && IncrementStep(write, local) is int step) plan.Inductions[local] = (step, write);
        }
        if (plan.Inductions.Count == 0) return null;

        if (!FindExitTest(plan, depth, backEdges)) return null;
        // Every branch back to the loop comes after the test and after each induction variable's increment.
        int firstBack = backEdges.Count > 0 ? backEdges.Min() : int.MaxValue;
        if (plan.PassedFrom != int.MaxValue && firstBack <= plan.PassedFrom) return null;
        foreach (var local in plan.Inductions.Keys.ToList())
            if (plan.Inductions[local].Write >= firstBack) plan.Inductions.Remove(local);
        if (!plan.Inductions.ContainsKey(plan.Governor)) return null;
        // Worth two copies only when an induction variable is read other than by its increment and the test.
        for (int p = start + 1; p < end; p++)
        {
            if (_code[p].Opcode != Opcode.LocalGet || !plan.Inductions.TryGetValue((int)_code[p].Index, out var iv)) continue;
            if (p >= plan.TestStart && p <= plan.TestPosition) continue;
            int q = iv.Write - 1;
            while (_code[q].Opcode == Opcode.LocalTee) q--;
            if (p != q - 2) return plan;
        }
        return null;
    }

    /// <summary>
    /// What the access at <paramref name="position"/> goes through, as far as a glance tells: the local read right before
    /// a load (or before a store's plain value), whose later accesses the redundant-check facts cover in either copy;
    /// otherwise the position itself (a computed address). A loop whose accesses all go through one local saves at most one
    /// check an iteration, which the unchecked copy would not repay (its IL is emitted even when the guard never enters it).
    /// </summary>
    private int AddressKey(int position, Opcode op)
    {
        bool store = op is >= Opcode.I32Store and <= Opcode.I64Store32;
        int q = position - 1;
        if (store)
        {
            if (_code[q].Opcode is not (Opcode.LocalGet or Opcode.I32Const or Opcode.I64Const or Opcode.F32Const or Opcode.F64Const)) return -position - 1;
            q--;
        }
        return _code[q].Opcode == Opcode.LocalGet ? (int)_code[q].Index : -position - 1;
    }

    /// <summary>
    /// The step c when the write of <paramref name="local"/> at <paramref name="write"/> is
    /// <c>local.get $v; i32.const c; i32.add; (local.tee $w)*; local.set/tee $v</c>, else null.
    /// </summary>
    private int? IncrementStep(int write, int local)
    {
        if (_localTypes[local] != ValType.I32) return null;
        int q = write - 1;
        while (q > 0 && _code[q].Opcode == Opcode.LocalTee && _code[q].Index != (uint)local) q--;
        if (q < 2 || _code[q].Opcode != Opcode.I32Add || _code[q - 1].Opcode != Opcode.I32Const
            || _code[q - 2].Opcode != Opcode.LocalGet || _code[q - 2].Index != (uint)local)
            return null;
        int step = _code[q - 1].I32;
        return step != 0 && step is >= -65536 and <= 65536 ? step : null;
    }

    /// <summary>Finds the exit test (the loop's final br_if, a top-level br_if out, or a leading test block) and fills the plan's test fields.</summary>
    private bool FindExitTest(LoopPlan plan, int[] depth, List<int> backEdges)
    {
        int start = plan.Start, end = plan.End;
        // The loop's final br_if 0: continue while the condition holds; the only branch back.
        int last = end - 1;
        if (last > start && _code[last] is { Opcode: Opcode.BrIf, Index: 0 } && depth[last - start] == 0 && backEdges.Count == 1
            && ParseTest(plan, last, leaveWhenTrue: false, out _))
        {
            plan.PassedFrom = int.MaxValue;
            return true;
        }
        for (int p = start + 1; p < end; p++)
        {
            var ins = _code[p];
            if (ins.Opcode != Opcode.BrIf) continue;
            int level = depth[p - start] - (int)ins.Index;
            if (depth[p - start] == 0 && level < 0 && ParseTest(plan, p, leaveWhenTrue: true, out _))
            {
                plan.PassedFrom = p;
                return true;
            }
            // A leading test block: block; <test>; br_if 0; <code that only leaves the loop>; end.
            if (depth[p - start] == 1 && ins.Index == 0 && ParseTest(plan, p, leaveWhenTrue: false, out int first)
                && first - 1 > start && _code[first - 1] is { Opcode: Opcode.Block } block && block.Block.Kind == BlockTypeKind.Empty
                && depth[first - 1 - start] == 0 && LeavesLoop(start, first - 1, p, depth))
            {
                plan.PassedFrom = _matchingEnd![first - 1];
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// True when the block at <paramref name="block"/> (top level of the loop body) cannot reach its end after the test at
    /// <paramref name="test"/>: its last instruction leaves the loop and nothing after the test branches to the block.
    /// </summary>
    private bool LeavesLoop(int start, int block, int test, int[] depth)
    {
        int blockEnd = _matchingEnd![block];
        var lastIns = _code[blockEnd - 1];
        bool leaves = lastIns.Opcode is Opcode.Return or Opcode.Unreachable
            || (lastIns.Opcode == Opcode.Br && depth[blockEnd - 1 - start] - (int)lastIns.Index < 0);
        if (!leaves || depth[blockEnd - 1 - start] != 1) return false;
        for (int p = test + 1; p < blockEnd; p++)
        {
            var ins = _code[p];
            int dd = depth[p - start];
            switch (ins.Opcode)
            {
                case Opcode.Br or Opcode.BrIf when dd - (int)ins.Index is 1 or 0:
                    return false;
                case Opcode.BrTable when dd - (int)ins.Index is 1 or 0 || ins.Labels!.Any(l => dd - (int)l is 1 or 0):
                    return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Parses the condition of the br_if at <paramref name="test"/>: <c>x y cmp</c>, <c>x eqz</c> or <c>x</c>, one side an
    /// induction variable (read, or incremented right there), the other a constant or a local the loop never writes.
    /// Fills the plan's governor, bound, continue condition and whether the tested value is after the increment.
    /// <paramref name="first"/>: the position of the test's first instruction.
    /// </summary>
    private bool ParseTest(LoopPlan plan, int test, bool leaveWhenTrue, out int first)
    {
        first = -1;
        int q = test - 1;
        int op;
        Operand x, y;
        var cmp = _code[q].Opcode;
        if (cmp is >= Opcode.I32Eq and <= Opcode.I32GeU)
        {
            if (!ParseOperand(plan, q - 1, out y) || !ParseOperand(plan, y.First - 1, out x)) return false;
            op = cmp switch
            {
                Opcode.I32Eq => -1, Opcode.I32Ne => LoopGuards.Ne, Opcode.I32LtS => LoopGuards.LtS, Opcode.I32LtU => LoopGuards.LtU,
                Opcode.I32GtS => LoopGuards.GtS, Opcode.I32GtU => LoopGuards.GtU, Opcode.I32LeS => LoopGuards.LeS,
                Opcode.I32LeU => LoopGuards.LeU, Opcode.I32GeS => LoopGuards.GeS, _ => LoopGuards.GeU,
            };
        }
        else if (cmp == Opcode.I32Eqz)
        {
            if (!ParseOperand(plan, q - 1, out x)) return false;
            y = new Operand(OperandKind.Const, 0, 0, x.First);
            op = -1;
        }
        else
        {
            if (!ParseOperand(plan, q, out x)) return false;
            y = new Operand(OperandKind.Const, 0, 0, x.First);
            op = LoopGuards.Ne;
        }
        // The branch condition is "x op y"; continue while it holds (or, for a branch out, while it does not).
        if (leaveWhenTrue) op = Negate(op);
        if (y.Kind is OperandKind.Induction or OperandKind.Incremented && x.Kind is OperandKind.Const or OperandKind.Invariant)
        {
            (x, y) = (y, x);
            op = Swap(op);
        }
        if (op < 0 || x.Kind is not (OperandKind.Induction or OperandKind.Incremented) || y.Kind is not (OperandKind.Const or OperandKind.Invariant))
            return false;
        var (_, write) = plan.Inductions[x.Local];
        plan.Governor = x.Local;
        plan.TestAfterIncrement = x.Kind == OperandKind.Incremented || x.First > write;
        plan.BoundLocal = y.Kind == OperandKind.Invariant ? y.Local : -1;
        plan.BoundConst = y.Kind == OperandKind.Const ? y.Value : 0;
        plan.Op = op;
        first = Math.Min(x.First, y.First);
        plan.TestStart = first;
        plan.TestPosition = test;
        return true;
    }

    private enum OperandKind { Const, Invariant, Induction, Incremented }

    private readonly record struct Operand(OperandKind Kind, int Local, int Value, int First);

    /// <summary>The operand whose last instruction is at <paramref name="q"/>.</summary>
    private bool ParseOperand(LoopPlan plan, int q, out Operand operand)
    {
        operand = default;
        if (q <= plan.Start) return false;
        var ins = _code[q];
        switch (ins.Opcode)
        {
            case Opcode.I32Const:
                operand = new Operand(OperandKind.Const, -1, ins.I32, q);
                return true;
            case Opcode.LocalGet when plan.Inductions.ContainsKey((int)ins.Index):
                operand = new Operand(OperandKind.Induction, (int)ins.Index, 0, q);
                return true;
            case Opcode.LocalGet when _localTypes[ins.Index] == ValType.I32 && !WrittenIn((int)ins.Index, plan.Start, plan.End):
                operand = new Operand(OperandKind.Invariant, (int)ins.Index, 0, q);
                return true;
            case Opcode.LocalTee when plan.Inductions.TryGetValue((int)ins.Index, out var iv) && iv.Write == q && q - 3 > plan.Start
                                      && _code[q - 1].Opcode == Opcode.I32Add:
                operand = new Operand(OperandKind.Incremented, (int)ins.Index, 0, q - 3);
                return true;
            default:
                return false;
        }
    }

    private static int Negate(int op) => op switch
    {
        -1 => LoopGuards.Ne,
        LoopGuards.Ne => -1,
        LoopGuards.LtU => LoopGuards.GeU, LoopGuards.GeU => LoopGuards.LtU,
        LoopGuards.LtS => LoopGuards.GeS, LoopGuards.GeS => LoopGuards.LtS,
        LoopGuards.GtU => LoopGuards.LeU, LoopGuards.LeU => LoopGuards.GtU,
        LoopGuards.GtS => LoopGuards.LeS, LoopGuards.LeS => LoopGuards.GtS,
        _ => -1,
    };

    /// <summary>"n op x" as "x op' n".</summary>
    private static int Swap(int op) => op switch
    {
        LoopGuards.LtU => LoopGuards.GtU, LoopGuards.GtU => LoopGuards.LtU,
        LoopGuards.LtS => LoopGuards.GtS, LoopGuards.GtS => LoopGuards.LtS,
        LoopGuards.LeU => LoopGuards.GeU, LoopGuards.GeU => LoopGuards.LeU,
        LoopGuards.LeS => LoopGuards.GeS, LoopGuards.GeS => LoopGuards.LeS,
        _ => op,
    };

    // ------------------------------------------------------------------ compiling the body twice

    private sealed record CompilerState(
        List<ValType> Stack, List<int> Origin, List<ValueFacts> Facts, List<ValueRange> Ranges, Dictionary<int, ulong> Checked,
        List<Control> Controls, ValueFacts[] LocalFacts, bool[] FloatAssigned, bool[] FloatInitial, Dictionary<int, ValueRange> Counters,
        bool Stale, bool Unreachable, int SkipDepth);

    /// <summary>What compiling the loop changes in the compiler's state, as it is at the loop's start.</summary>
    private CompilerState SaveCompilerState() => new(
        [.. _stack], [.. _origin], [.. _facts], [.. _ranges], new(_checkedAddressLocals), [.. _controls],
        (ValueFacts[])_localFacts.Clone(), (bool[])_floatLocalAssigned.Clone(), (bool[])_floatLocalInitialReaches.Clone(),
        new(_counterRanges), _memory0LimitsStale, _unreachable, _skipDepth);

    private void RestoreCompilerState(CompilerState s)
    {
        Replace(_stack, s.Stack);
        Replace(_origin, s.Origin);
        Replace(_facts, s.Facts);
        Replace(_ranges, s.Ranges);
        Replace(_controls, s.Controls);
        _checkedAddressLocals.Clear();
        foreach (var (k, v) in s.Checked) _checkedAddressLocals[k] = v;
        _counterRanges.Clear();
        foreach (var (k, v) in s.Counters) _counterRanges[k] = v;
        Array.Copy(s.LocalFacts, _localFacts, _localFacts.Length);
        Array.Copy(s.FloatAssigned, _floatLocalAssigned, _floatLocalAssigned.Length);
        Array.Copy(s.FloatInitial, _floatLocalInitialReaches, _floatLocalInitialReaches.Length);
        _memory0LimitsStale = s.Stale;
        _unreachable = s.Unreachable;
        _skipDepth = s.SkipDepth;
        _affineLocals.Clear();
    }

    private static void Replace<T>(List<T> list, List<T> from)
    {
        list.Clear();
        list.AddRange(from);
    }
}
