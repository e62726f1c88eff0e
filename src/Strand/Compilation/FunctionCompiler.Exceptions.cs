using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// Exception handling (WebAssembly 3.0 <c>try_table</c>, <c>throw</c>, <c>throw_ref</c>, and the legacy
/// <c>try</c>/<c>catch</c>/<c>catch_all</c>/<c>rethrow</c>/<c>delegate</c>) mapped onto CIL exception blocks.
/// <para>
/// A wasm exception is a <see cref="WasmException"/> (tag object and payload); a trap is a
/// <see cref="TrapException"/>, which no handler here ever catches: every handler is an exception <em>filter</em> that
/// accepts only a <see cref="WasmException"/> (of the clause's tag), so traps, "call stack exhausted" and
/// interruption pass in one dispatch, never caught and rethrown.
/// </para>
/// <para>
/// CIL rules shape the code: the evaluation stack is empty when a protected region is entered and when it is left
/// (by <c>leave</c>, the only way out), branches cannot cross a region's boundary and <c>ret</c>/<c>tail.</c> are
/// not allowed inside one. So at a <c>try_table</c> (with catch clauses) or a legacy <c>try</c>, the values on the CIL
/// stack are spilled into locals and the block's parameters are reloaded inside the region. A branch (br, br_if,
/// br_table, return, a catch clause, delegate, return_call) from inside a region to a label outside stores the values
/// it carries in the target's slot locals, then <c>leave</c>s to a stub placed after the region; the stub either
/// leaves the next region outwards or, at the target's level, reloads the spilled values the target expects below it
/// and branches (or returns, or makes the tail call, or throws for <c>delegate</c>).
/// </para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>One protected CIL region: a <c>try_table</c> with catch clauses, or a legacy <c>try</c> and its handlers.</summary>
    private sealed class TryRegion
    {
        public required Control Owner;
        /// <summary>Mirror index of the first value spilled at entry (the enclosing region's base).</summary>
        public required int SpillBase;
        /// <summary>The values of mirror[SpillBase .. Owner.Height), spilled at entry.</summary>
        public required LocalBuilder[] Spill;
        /// <summary>Branches out of the region waiting for their stubs after it.</summary>
        public readonly List<(Label Stub, int Depth, Action<TryRegion> Emit)> Exits = new();
        /// <summary>try_table: the clauses and their targets (resolved outside the try_table).</summary>
        public CatchClause[] Clauses = [];
        public Control[] ClauseTargets = [];
        /// <summary>Legacy try: a handler was begun (catch, catch_all, delegate).</summary>
        public bool HasHandler;
        /// <summary>Legacy try: the exception being handled by the current catch (for rethrow).</summary>
        public LocalBuilder? Caught;
    }

    /// <summary>Number of CIL protected regions (try bodies and handlers) around the current instruction.</summary>
    private int _tryDepth;
    private readonly List<TryRegion> _regions = new();

    /// <summary>Mirror index of the first value that is on the CIL stack (below it: spilled by the innermost region).</summary>
    private int CilBase => _regions.Count == 0 ? 0 : _regions[^1].Owner.Height;

    /// <summary>Compiles an exception-handling or tail-call instruction (dispatched from the main switch).</summary>
    private void EmitExceptionOrTailCall(Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.TryTable when ins.Catches!.Length == 0:
                DoBlock(ins); // no clause: a plain block
                break;
            case Opcode.TryTable or Opcode.Try: BeginTry(ins); break;
            case Opcode.Catch or Opcode.CatchAll: BeginLegacyCatch(ins); break;
            case Opcode.Delegate: DoDelegate(ins); break;
            case Opcode.Throw: DoThrow(ins.Index); break;
            case Opcode.ThrowRef:
                _il.Emit(OpCodes.Call, ExceptionOp(nameof(ExceptionOps.ThrowRef)));
                _il.Emit(OpCodes.Throw);
                Pop();
                _unreachable = true;
                break;
            case Opcode.Rethrow:
                _il.Emit(OpCodes.Ldloc, Target(ins.Index).Region!.Caught!);
                _il.Emit(OpCodes.Throw);
                _unreachable = true;
                break;
            case Opcode.ReturnCall or Opcode.ReturnCallIndirect or Opcode.ReturnCallRef: DoReturnCall(ins); break;
            default: throw new InvalidOperationException($"not an exception or tail-call opcode: {ins.Opcode}");
        }
    }

    private static MethodInfo ExceptionOp(string name) => RuntimeMembers.Op(typeof(ExceptionOps), name);

    // ------------------------------------------------------------------ throw

    private void DoThrow(uint tag)
    {
        var types = _module.Definition.Types[(int)_module.Definition.GetTagTypeIndex(tag)].Params;
        var payload = Rent(typeof(Value[]));
        Ldc(types.Length);
        _il.Emit(OpCodes.Newarr, typeof(Value));
        _il.Emit(OpCodes.Stloc, payload);
        for (int k = types.Length - 1; k >= 0; k--)
        {
            var value = Rent(ClrTypes.Of(types[k]));
            _il.Emit(OpCodes.Stloc, value);
            _il.Emit(OpCodes.Ldloc, payload);
            Ldc(k);
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Call, ExceptionOps.ValueFactory(_module.Canonical(types[k])));
            _il.Emit(OpCodes.Stelem, typeof(Value));
            Release(value);
            Pop();
        }
        _il.Emit(OpCodes.Ldloc, _instance!);
        Ldc((int)tag);
        _il.Emit(OpCodes.Ldloc, payload);
        _il.Emit(OpCodes.Call, ExceptionOp(nameof(ExceptionOps.Throw)));
        _il.Emit(OpCodes.Throw);
        Release(payload);
        _unreachable = true;
    }

    // ------------------------------------------------------------------ regions

    private void BeginTry(Instruction ins)
    {
        ForgetCheckedAddresses();
        var (ps, rs) = BlockSignature(ins.Block);
        var c = new Control { Kind = ControlKind.Block, Params = ps, Results = rs, Height = _stack.Count - ps.Length, Label = _il.DefineLabel(), Depth = _tryDepth };
        var clauses = ins.Catches ?? [];
        var targets = new Control[clauses.Length];
        for (int i = 0; i < clauses.Length; i++) targets[i] = Target(clauses[i].Label);

        // The CIL stack must be empty at the region's entry: spill it (parameters included, reloaded inside).
        int spillBase = CilBase;
        var spill = new LocalBuilder[c.Height - spillBase];
        var parameters = new LocalBuilder[ps.Length];
        for (int i = _stack.Count - 1; i >= spillBase; i--)
        {
            var local = Rent(ClrTypes.Of(_stack[i]));
            _il.Emit(OpCodes.Stloc, local);
            if (i >= c.Height) parameters[i - c.Height] = local;
            else spill[i - spillBase] = local;
        }
        var region = new TryRegion { Owner = c, SpillBase = spillBase, Spill = spill, Clauses = clauses, ClauseTargets = targets };
        c.Region = region;
        _controls.Add(c);
        _regions.Add(region);
        // Never start a region on a branch target or where an enclosing region starts: RyuJIT crashes (SIGSEGV) on a
        // branch to the first instruction of two nested regions (`block ... br_if 0 end` then `try (try ...)`, found by
        // Strand.Fuzz --eh-gen). The nop (dropped by the optimiser) keeps every region's start distinct.
        _il.Emit(OpCodes.Nop);
        _il.BeginExceptionBlock();
        _tryDepth++;
        foreach (var local in parameters)
        {
            _il.Emit(OpCodes.Ldloc, local);
            Release(local);
        }
    }

    /// <summary>At the end of a try body or a handler: the block's results (on the CIL stack) go to its slots.</summary>
    private void StoreRegionResults(Control c)
    {
        if (_unreachable) return;
        if (c.Results.Length > 0)
        {
            c.Slots ??= RentSlots(c.Results);
            for (int k = c.Results.Length - 1; k >= 0; k--) _il.Emit(OpCodes.Stloc, c.Slots[k]);
        }
        c.Branched = true;
    }

    /// <summary>Starts a filter accepting the wasm exceptions of <paramref name="tag"/> (or any wasm exception, for null), then its handler.</summary>
    private void BeginFilteredHandler(uint? tag)
    {
        _il.BeginExceptFilterBlock();
        if (tag is { } t)
        {
            _il.Emit(OpCodes.Ldloc, _instance!);
            Ldc((int)t);
            _il.Emit(OpCodes.Call, ExceptionOp(nameof(ExceptionOps.Matches)));
        }
        else _il.Emit(OpCodes.Call, ExceptionOp(nameof(ExceptionOps.IsWasmException)));
        _il.BeginCatchBlock(null!); // ends the filter (endfilter); the handler starts with the exception on the stack
        _il.Emit(OpCodes.Castclass, typeof(WasmException));
        EmitMemory0LimitReload();
    }

    /// <summary>Pushes the payload of the exception in <paramref name="exception"/> onto the CIL stack (and the mirror).</summary>
    private void PushPayload(LocalBuilder exception, ValType[] types)
    {
        for (int k = 0; k < types.Length; k++)
        {
            _il.Emit(OpCodes.Ldloc, exception);
            Ldc(k);
            _il.Emit(OpCodes.Call, ExceptionOp(ExceptionOps.PayloadGetter(types[k])));
            Push(types[k]);
        }
    }

    private ValType[] TagParams(uint tag) => _module.Definition.Types[(int)_module.Definition.GetTagTypeIndex(tag)].Params;

    /// <summary>The try_table's handlers: one filter and handler per clause, in order (the first match wins).</summary>
    private void EmitCatchClauses(TryRegion region)
    {
        for (int i = 0; i < region.Clauses.Length; i++)
        {
            var clause = region.Clauses[i];
            var target = region.ClauseTargets[i];
            bool tagged = clause.Kind is CatchKind.Catch or CatchKind.CatchRef;
            BeginFilteredHandler(tagged ? clause.Tag : null);
            var exception = Rent(typeof(WasmException));
            _il.Emit(OpCodes.Stloc, exception);
            int height = _stack.Count;
            if (tagged) PushPayload(exception, TagParams(clause.Tag));
            if (clause.Kind is CatchKind.CatchRef or CatchKind.CatchAllRef)
            {
                _il.Emit(OpCodes.Ldloc, exception);
                EmitRefWrap();
                Push(ValTypes.Ref(AbstractHeapType.Exn, nullable: false));
            }
            Release(exception);
            EmitExitBranch(target);
            ResetStack(height, []);
        }
    }

    private void BeginLegacyCatch(Instruction ins)
    {
        var c = _controls[^1];
        var region = c.Region!;
        StoreRegionResults(c);
        ForgetCheckedAddresses();
        bool all = ins.Opcode == Opcode.CatchAll;
        BeginFilteredHandler(all ? null : ins.Index);
        // The caught exception lives as long as its handler (rethrow may use it anywhere inside).
        if (region.Caught is { } previous) Release(previous);
        var exception = Rent(typeof(WasmException));
        _il.Emit(OpCodes.Stloc, exception);
        region.Caught = exception;
        region.HasHandler = true;
        ResetStack(c.Height, []);
        if (!all) PushPayload(exception, TagParams(ins.Index));
        _unreachable = false;
    }

    private void DoDelegate(Instruction ins)
    {
        var c = _controls[^1];
        var region = c.Region!;
        StoreRegionResults(c);
        ForgetCheckedAddresses();
        // Rethrown where the label's block is: inside the region of a try there (its handlers apply), else at its level.
        var target = Target(ins.Index + 1);
        int depth = target.Region is not null ? target.Depth + 1 : target.Depth;
        BeginFilteredHandler(null);
        var exception = Rent(typeof(WasmException));
        _il.Emit(OpCodes.Stloc, exception);
        region.HasHandler = true;
        LeaveRegionsTo(depth, _ =>
        {
            _il.Emit(OpCodes.Ldloc, exception);
            _il.Emit(OpCodes.Throw);
        });
        // Reusable at once: at run time nothing else executes between this leave and the stubs that read it.
        Release(exception);
        _unreachable = true;
        EndTry();
    }

    /// <summary>The end of a try_table or a legacy try/catch: handlers, the region's end, the stubs of branches leaving it.</summary>
    private void EndTry()
    {
        ForgetCheckedAddresses();
        var c = _controls[^1];
        var region = c.Region!;
        StoreRegionResults(c);
        _unreachable = false;
        if (region.Clauses.Length > 0) EmitCatchClauses(region);
        else if (!region.HasHandler)
        {
            // A legacy try without handlers: CIL needs one; this one never matches.
            _il.BeginExceptFilterBlock();
            _il.Emit(OpCodes.Pop);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.BeginCatchBlock(null!);
            _il.Emit(OpCodes.Pop);
        }
        _il.EndExceptionBlock();
        if (region.Caught is { } caught) Release(caught);
        _tryDepth--;
        _regions.RemoveAt(_regions.Count - 1);

        // The body's normal end: its results are in the slots; reload what was spilled below them.
        foreach (var local in region.Spill) _il.Emit(OpCodes.Ldloc, local);
        _il.Emit(OpCodes.Br, c.Label);
        foreach (var (stub, depth, emit) in region.Exits)
        {
            _il.MarkLabel(stub);
            if (depth == _tryDepth) emit(region);
            else LeaveRegionsTo(depth, emit);
        }
        _il.MarkLabel(c.Label);
        foreach (var local in region.Spill) Release(local);
        ResetStack(c.Height, c.Results);
        if (c.Slots is not null)
        {
            foreach (var slot in c.Slots) _il.Emit(OpCodes.Ldloc, slot);
            ReturnSlots(c.Slots);
        }
        _controls.RemoveAt(_controls.Count - 1);
    }

    /// <summary>Leaves the innermost region to a stub that continues outwards until region depth <paramref name="depth"/>, where <paramref name="emit"/> runs (on an empty CIL stack).</summary>
    private void LeaveRegionsTo(int depth, Action<TryRegion> emit)
    {
        var stub = _il.DefineLabel();
        _regions[^1].Exits.Add((stub, depth, emit));
        _il.Emit(OpCodes.Leave, stub);
    }

    /// <summary>
    /// A branch to <paramref name="c"/>, which is outside the current region: the carried values go to its slots,
    /// then the code leaves region by region; at the target's level the values below the target are reloaded.
    /// </summary>
    private void EmitExitBranch(Control c)
    {
        var types = c.Kind == ControlKind.Function ? _type.Results : c.BranchTypes;
        if (types.Length > 0)
        {
            c.Slots ??= RentSlots(types);
            for (int k = types.Length - 1; k >= 0; k--) _il.Emit(OpCodes.Stloc, c.Slots[k]);
        }
        if (c.Kind is ControlKind.Block or ControlKind.If) c.Branched = true;
        LeaveRegionsTo(c.Depth, region =>
        {
            if (c.Kind == ControlKind.Function)
            {
                var slots = c.Slots ?? [];
                for (int k = 1; k < slots.Length; k++)
                {
                    Ldarg(_paramCount + k - 1);
                    _il.Emit(OpCodes.Ldloc, slots[k]);
                    _il.Emit(OpCodes.Stobj, ClrTypes.Of(_type.Results[k]));
                }
                if (slots.Length > 0) _il.Emit(OpCodes.Ldloc, slots[0]);
                EmitKeepContextAlive();
                _il.Emit(OpCodes.Ret);
                return;
            }
            for (int i = 0; i < c.Height - region.SpillBase; i++) _il.Emit(OpCodes.Ldloc, region.Spill[i]);
            _il.Emit(OpCodes.Br, c.Label);
        });
    }
}
