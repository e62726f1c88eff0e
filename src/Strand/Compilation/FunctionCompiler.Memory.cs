using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

// Memory access: effective addresses, bounds checks and their out-of-line slow paths, loads and stores.
internal sealed partial class FunctionCompiler
{
    private static int SizeSlot(int size) => size switch
    {
        1 => 0,
        2 => 1,
        4 => 2,
        8 => 3,
        16 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "memory accesses are 1, 2, 4, 8 or 16 bytes"),
    };

    /// <summary>An out-of-line bounds-check slow path (see <see cref="EmitEffectiveAddress"/>).</summary>
    private readonly record struct BoundsSlowPath(Label Entry, Label Resume, LocalBuilder Address, LocalBuilder Limit, int Size, uint Memory = 0, bool Is64 = false);

    private readonly List<BoundsSlowPath> _boundsSlowPaths = new();

    /// <summary>
    /// Emitted after the body's final return, so the JIT lays them out away from the hot path: there a
    /// bounds check is a compare and a branch that is not taken.
    /// </summary>
    private void EmitBoundsCheckSlowPaths()
    {
        foreach (var slow in _boundsSlowPaths) EmitBoundsSlowPath(slow);
        foreach (var trap in _outOfBoundsTraps.Values)
        {
            _il.MarkLabel(trap);
            EmitTrap(TrapCode.OutOfBoundsMemoryAccess);
        }
    }

    /// <summary>
    /// Out of line, after the body; inside a try region (exception handling) inline instead: a branch may neither leave
    /// nor enter a CIL protected region.
    /// </summary>
    private void AddBoundsSlowPath(BoundsSlowPath slow)
    {
        if (_tryDepth > 0) EmitBoundsSlowPath(slow);
        else _boundsSlowPaths.Add(slow);
    }

    private void EmitBoundsSlowPath(BoundsSlowPath slow)
    {
        {
            _il.MarkLabel(slow.Entry);
            if (slow.Memory != 0 || slow.Is64)
            {
                EmitOtherSlowPath(slow);
                return;
            }
            // The cached limit may be stale (this function, a callee or another thread of a shared
            // memory grew the memory). Memory only grows, so re-read it once before trapping.
            _il.Emit(OpCodes.Ldloc, _instance!);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceMemory);
            _il.Emit(OpCodes.Volatile);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryLength);
            _il.Emit(OpCodes.Ldc_I8, (long)slow.Size);
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Stloc, slow.Limit);
            _il.Emit(OpCodes.Ldloc, slow.Address);
            _il.Emit(OpCodes.Ldloc, slow.Limit);
            _il.Emit(OpCodes.Ble, slow.Resume);
            EmitTrap(TrapCode.OutOfBoundsMemoryAccess);
        }
    }

    /// <summary>
    /// The slow path of a memory other than a 32-bit memory 0: re-reads the length, recomputes the cached limit (for a 64-bit
    /// memory <c>max(length - size + 1, 0)</c>, compared unsigned), resumes when the access fits, else traps.
    /// </summary>
    private void EmitOtherSlowPath(BoundsSlowPath slow)
    {
        var state = _memoryStates[slow.Memory];
        _il.Emit(OpCodes.Ldloc, state.Memory);
        EmitLimit(slow.Size, slow.Is64);
        _il.Emit(OpCodes.Stloc, slow.Limit);
        _il.Emit(OpCodes.Ldloc, slow.Address);
        _il.Emit(OpCodes.Ldloc, slow.Limit);
        if (slow.Is64) _il.Emit(OpCodes.Blt_Un, slow.Resume);
        else _il.Emit(OpCodes.Ble, slow.Resume);
        EmitTrap(TrapCode.OutOfBoundsMemoryAccess);
    }

    /// <summary>With a <see cref="Memory"/> on the stack, replaces it by the cached limit for accesses of <paramref name="size"/> bytes.</summary>
    private void EmitLimit(int size, bool is64)
    {
        _il.Emit(OpCodes.Volatile);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryLength);
        if (is64)
        {
            // 64-bit memories: limit = max(length - size + 1, 0), and an access fits when ea <u limit; this also traps
            // every access to an empty memory, where length - size would be negative (and huge as an unsigned number).
            Ldc(size - 1);
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Call, typeof(Math).GetMethod(nameof(Math.Max), [typeof(long), typeof(long)])!);
        }
        else
        {
            _il.Emit(OpCodes.Ldc_I8, (long)size);
            _il.Emit(OpCodes.Sub);
        }
    }

    /// <summary>What a function caches of a memory it uses, other than a 32-bit memory 0 (see <see cref="_memory"/>).</summary>
    private sealed class MemoryState
    {
        public required LocalBuilder Memory;
        public required LocalBuilder Base;
        public required bool Is64;
        /// <summary>Limits for accesses of 1, 2, 4, 8 and 16 bytes (see <see cref="EmitLimit"/>), as <see cref="_memoryLimits"/>.</summary>
        public readonly LocalBuilder?[] Limits = new LocalBuilder?[5];
    }

    private readonly Dictionary<uint, MemoryState> _memoryStates = new();
    /// <summary>
    /// Labels that trap "out of bounds memory access", shared by the function's checks (a 64-bit effective address that
    /// wrapped; any failed check on a memory 0 that is not shared), one per shape of the CIL evaluation stack at the
    /// branch: every branch to a label must leave the same stack (types, bottom first), else the JIT rejects the method.
    /// </summary>
    private readonly Dictionary<string, Label> _outOfBoundsTraps = new();

    /// <summary>
    /// Emits <paramref name="branch"/> to a trap "out of bounds memory access": the shared one for the current stack (see
    /// <see cref="OutOfBoundsTrap"/>), or inside a try region (exception handling), where a branch may not leave the region,
    /// a local one after a branch over it.
    /// </summary>
    private void EmitOutOfBoundsBranch(OpCode branch, Type? extra = null)
    {
        if (_tryDepth == 0) _il.Emit(branch, OutOfBoundsTrap(extra));
        else EmitLocalTrapBranch(branch, () => EmitTrap(TrapCode.OutOfBoundsMemoryAccess));
    }

    /// <summary>
    /// <paramref name="branch"/> to a trap emitted here by <paramref name="emitTrap"/>, with a branch over it: for traps
    /// inside a try region, which a branch to the function's shared trap block may not leave.
    /// </summary>
    private void EmitLocalTrapBranch(OpCode branch, Action emitTrap)
    {
        var trap = _il.DefineLabel();
        var fits = _il.DefineLabel();
        _il.Emit(branch, trap);
        _il.Emit(OpCodes.Br, fits);
        _il.MarkLabel(trap);
        emitTrap();
        _il.MarkLabel(fits);
    }

    /// <summary>
    /// The shared trap label for the current evaluation stack: the values the compile-time mirror <see cref="_stack"/>
    /// describes, then <paramref name="extra"/> when given.
    /// </summary>
    private Label OutOfBoundsTrap(Type? extra = null)
    {
        var key = new System.Text.StringBuilder();
        foreach (var type in _stack) key.Append(ClrTypes.Of(type).FullName).Append(';');
        if (extra is not null) key.Append(extra.FullName);
        string shape = key.ToString();
        if (!_outOfBoundsTraps.TryGetValue(shape, out var label))
        {
            label = _il.DefineLabel();
            _outOfBoundsTraps[shape] = label;
        }
        return label;
    }

    /// <summary>The memory indices the function's memory instructions use.</summary>
    private static SortedSet<uint> MemoriesUsed(List<Instruction> code)
    {
        var used = new SortedSet<uint>();
        foreach (ref readonly var ins in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(code))
        {
            if (!IsMemoryInstruction(ins.Opcode)) continue;
            used.Add(ins.Memory);
            if (ins.Opcode == Opcode.MemoryCopy) used.Add(ins.Memory2);
        }
        return used;
    }

    /// <summary>
    /// Function entry: for memory 0 with 32-bit addresses, the base and the limits exactly as before multi-memory (the hot
    /// path the benchmarks measure); for every other memory used, the same in a <see cref="MemoryState"/>.
    /// </summary>
    private void EmitMemoryPrologue(List<Instruction> code)
    {
        foreach (uint index in MemoriesUsed(code))
        {
            bool is64 = _module.Definition.GetMemoryType(index).Limits.Is64;
            if (index == 0 && !is64)
            {
                EmitMemory0Prologue(code);
                continue;
            }
            var state = new MemoryState { Memory = _il.DeclareLocal(typeof(Memory)), Base = _il.DeclareLocal(typeof(nint)), Is64 = is64 };
            _il.Emit(OpCodes.Ldloc, _instance!);
            if (index == 0) _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceMemory);
            else
            {
                _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceMemories);
                Ldc((int)index);
                _il.Emit(OpCodes.Ldelem_Ref);
            }
            _il.Emit(OpCodes.Dup);
            _il.Emit(OpCodes.Stloc, state.Memory);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryBase);
            _il.Emit(OpCodes.Stloc, state.Base);
            for (int slot = 0; slot < state.Limits.Length; slot++)
            {
                var limit = _il.DeclareLocal(typeof(long));
                state.Limits[slot] = limit;
                _il.Emit(OpCodes.Ldloc, state.Memory);
                EmitLimit(1 << slot, is64);
                _il.Emit(OpCodes.Stloc, limit);
            }
            _memoryStates[index] = state;
        }
    }

    private void EmitMemory0Prologue(List<Instruction> code)
    {
        if (!_module.Definition.GetMemoryType(0).Limits.Shared)
        {
            _memory0LimitSlots = Memory0LimitSlots(code);
            _compactChecks = code.Count > CompactCheckInstructions;
        }
        _memory = _il.DeclareLocal(typeof(Memory));
        _memoryBase = _il.DeclareLocal(typeof(nint));
        _il.Emit(OpCodes.Ldloc, _instance!);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceMemory);
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Stloc, _memory);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryBase);
        _il.Emit(OpCodes.Stloc, _memoryBase);
        // Register copies of (length - access size) for the fast bounds check (see EmitEffectiveAddress).
        for (int slot = 0; slot < _memoryLimits.Length; slot++) _memoryLimits[slot] = _il.DeclareLocal(typeof(long));
        if (_memory0LimitSlots is not null)
        {
            // Not shared: one plain read of the length for the limits the function uses (the reload after calls).
            EmitMemory0LimitReload();
            return;
        }
        // Shared: a volatile read per limit; the JIT drops the ones a function never uses.
        for (int slot = 0; slot < _memoryLimits.Length; slot++)
        {
            var limit = _memoryLimits[slot]!;
            _il.Emit(OpCodes.Ldloc, _memory);
            _il.Emit(OpCodes.Volatile);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryLength);
            _il.Emit(OpCodes.Ldc_I8, (long)(1 << slot));
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Stloc, limit);
        }
    }

    /// <summary>
    /// For a 32-bit memory 0 that is not shared: a bit per limit slot (<see cref="SizeSlot"/>) that the function's accesses
    /// use; such a memory only grows in this thread, at a <c>memory.grow</c> or in a call, after which the limits are
    /// refreshed, so its bounds checks need no slow path. Null for a shared memory 0 (another thread may grow it at any time).
    /// </summary>
    private int? _memory0LimitSlots;

    /// <summary>
    /// Functions of more wasm instructions than this (about 18,000 IL instructions and up, near the JIT's MinOpts limit of
    /// 20,000) keep a checked effective address on the CIL stack instead of in a local: 3 IL instructions less per access.
    /// Smaller functions use the local, which measured a few percent faster once optimised (regex, blind-sig).
    /// </summary>
    private const int CompactCheckInstructions = 6_500;

    /// <summary>Whether this function uses the compact check (see <see cref="CompactCheckInstructions"/>).</summary>
    private bool _compactChecks;

    /// <summary>The limit slots (bit <see cref="SizeSlot"/>) of the accesses to memory 0 in <paramref name="code"/>; may over-approximate.</summary>
    private static int Memory0LimitSlots(List<Instruction> code)
    {
        int slots = 0;
        foreach (ref readonly var ins in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(code))
        {
            var op = ins.Opcode;
            if (ins.Memory != 0 || !IsMemoryInstruction(op)
                || op is Opcode.MemorySize or Opcode.MemoryGrow or Opcode.MemoryFill or Opcode.MemoryCopy or Opcode.MemoryInit)
                continue;
            int size = SimdOpcodes.IsSimd(op) ? SimdOpcodes.Info(op).AccessSize : 1 << InstructionDecoder.NaturalAlignment(op);
            slots |= 1 << SizeSlot(size);
        }
        return slots;
    }

    /// <summary>The limit local of memory 0 for <paramref name="size"/>-byte accesses, which the prescan must have seen (see <see cref="_memory0LimitSlots"/>).</summary>
    private LocalBuilder Memory0Limit(int size)
    {
        int slot = SizeSlot(size);
        if (_memory0LimitSlots is int slots && (slots & (1 << slot)) == 0)
            throw new InvalidOperationException($"compiler fault: a {size}-byte access to memory 0 that the prescan missed");
        return _memoryLimits[slot]!;
    }

    /// <summary>
    /// True after an instruction that may have grown memory 0 (a call, which may reach <c>memory.grow</c> or a host
    /// function, or <c>memory.grow</c> itself) until the limits are reloaded (see <see cref="_memory0LimitSlots"/>).
    /// </summary>
    private bool _memory0LimitsStale;

    /// <summary>
    /// After instruction <paramref name="ins"/>: marks the limits stale when it may have grown memory 0 (a direct call only
    /// when the callee may grow a memory, see <see cref="MemoryGrowthAnalysis"/>).
    /// </summary>
    private void NoteMemory0Growth(in Instruction ins)
    {
        if (_memory0LimitSlots is int slots && slots != 0
            && (ins.Opcode is Opcode.CallIndirect or Opcode.CallRef or Opcode.MemoryGrow
                || (ins.Opcode == Opcode.Call && _module.CallMayGrowMemory(ins.Index))))
            _memory0LimitsStale = true;
    }

    /// <summary>
    /// Before instruction <paramref name="op"/>: reloads stale limits (see <see cref="_memory0LimitsStale"/>) unless
    /// <paramref name="op"/> neither accesses memory nor branches nor merges control flow (locals, globals, constants,
    /// numeric operators, drop, select, further calls). So a run of calls and arithmetic reloads once, before the next
    /// access, branch, block, loop, if, else or end: every path to an access has reloaded since its last call.
    /// </summary>
    private void EmitMemory0LimitRefresh(Opcode op)
    {
        if (!_memory0LimitsStale
            || op is Opcode.Call or Opcode.CallIndirect or Opcode.CallRef or Opcode.MemoryGrow or Opcode.Nop or Opcode.Drop or Opcode.Select
                or (>= Opcode.LocalGet and <= Opcode.GlobalSet) or (>= Opcode.I32Const and <= Opcode.I64Extend32S))
            return;
        EmitMemory0LimitReload();
    }

    /// <summary>
    /// Reloads the limits of a memory 0 that is not shared now (also at the start of an exception handler: the callee that
    /// threw may have grown the memory).
    /// </summary>
    private void EmitMemory0LimitReload()
    {
        _memory0LimitsStale = false;
        if (_memory0LimitSlots is not int slots || slots == 0) return;
        _il.Emit(OpCodes.Ldloc, _memory!);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryLength);
        for (int slot = 0; slot < _memoryLimits.Length; slot++)
        {
            if ((slots & (1 << slot)) == 0) continue;
            slots &= ~(1 << slot);
            if (slots != 0) _il.Emit(OpCodes.Dup);
            _il.Emit(OpCodes.Ldc_I8, (long)(1 << slot));
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Stloc, _memoryLimits[slot]!);
        }
    }

    /// <summary>The local holding memory <paramref name="index"/> (a <see cref="Memory"/>).</summary>
    private LocalBuilder MemoryLocal(uint index) => _memoryStates.TryGetValue(index, out var state) ? state.Memory : _memory!;

    /// <summary>True when memory <paramref name="index"/> has 64-bit addresses.</summary>
    private bool IsMemory64(uint index) => _memoryStates.TryGetValue(index, out var state) && state.Is64;

    // ------------------------------------------------------------------ memory

    /// <summary>
    /// With the address on the stack (i32, or i64 for a 64-bit memory), traps unless [address + offset, address + offset +
    /// size) is inside memory <paramref name="memory"/> (for a 32-bit memory one signed 64-bit comparison against a cached
    /// limit; for a 64-bit one an unsigned comparison plus, with a non-zero offset, a wrap-around check), then leaves the
    /// native address of the first byte on the stack. <paramref name="addressLocal"/>: the wasm local the address was read
    /// from, or -1 (redundant checks are skipped through it, on memory 0). <paramref name="checkEnd"/>, when larger than
    /// offset + size: the end the check covers (a merged check, see FunctionCompiler.CheckMerging.cs).
    /// </summary>
    private void EmitEffectiveAddress(ulong offset, int size, int addressLocal = -1, uint memory = 0, ulong checkEnd = 0, ValueRange range = default)
    {
        if (memory != 0 || IsMemory64(memory))
        {
            EmitOtherEffectiveAddress(offset, size, memory);
            return;
        }
        ulong end = offset + (ulong)size;
        if ((addressLocal >= 0 && _checkedAddressLocals.TryGetValue(addressLocal, out ulong checkedEnd) && end <= checkedEnd)
            || StaticallyInBounds(range, offset, size) || CoveredByLoopGuard(range, offset, size, addressLocal))
        {
            // Already proven in bounds (see _checkedAddressLocals): base + zext(address) + offset.
            EmitWidenedAddress(offset);
            _il.Emit(OpCodes.Conv_U);
            var address = Rent(typeof(nint));
            _il.Emit(OpCodes.Stloc, address);
            _il.Emit(OpCodes.Ldloc, _memoryBase!);
            _il.Emit(OpCodes.Ldloc, address);
            _il.Emit(OpCodes.Add);
            Release(address);
            return;
        }
        ulong extra = checkEnd > end ? checkEnd - end : 0;
        if (addressLocal >= 0)
            _checkedAddressLocals[addressLocal] = Math.Max(end + extra, _checkedAddressLocals.GetValueOrDefault(addressLocal));
        if (_memory0LimitSlots is not null && _compactChecks)
        {
            // Memory 0 not shared, a big function: ea stays on the stack (the trap label takes it along), 6 IL instructions
            // instead of 9 (8 and 11 with an offset).
            EmitWidenedAddress(offset);
            _il.Emit(OpCodes.Dup);
            _il.Emit(OpCodes.Ldloc, Memory0Limit(size));
            EmitOutOfBoundsBranch(OpCodes.Bgt, typeof(long));
            _il.Emit(OpCodes.Conv_U);
            _il.Emit(OpCodes.Ldloc, _memoryBase!);
            _il.Emit(OpCodes.Add);
            return;
        }
        var ea = Rent(typeof(long));
        EmitWidenedAddress(offset);
        _il.Emit(OpCodes.Stloc, ea);
        EmitBoundsCheck(ea, size, extra);
        _il.Emit(OpCodes.Ldloc, _memoryBase!);
        _il.Emit(OpCodes.Ldloc, ea);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Add);
        Release(ea);
    }

    /// <summary>Traps unless ea + size &lt;= current memory length (unsigned 64-bit, cannot overflow).</summary>

    /// <summary>
    /// Replaces the i32 address on the stack by the 64-bit effective address zext(address) + offset,
    /// which cannot wrap (both are below 2^32), so one comparison decides bounds.
    /// </summary>
    private void EmitWidenedAddress(ulong offset)
    {
        _il.Emit(OpCodes.Conv_U8);
        if (offset == 0) return;
        _il.Emit(OpCodes.Ldc_I8, (long)offset);
        _il.Emit(OpCodes.Add);
    }

    /// <summary>The effective address and bounds check of a memory other than a 32-bit memory 0 (see <see cref="EmitEffectiveAddress"/>).</summary>
    private void EmitOtherEffectiveAddress(ulong offset, int size, uint memory)
    {
        var state = _memoryStates[memory];
        var ea = Rent(typeof(long));
        EmitWidenedAddress(offset);
        _il.Emit(OpCodes.Stloc, ea);
        EmitBoundsCheck(ea, size, memory, offset);
        _il.Emit(OpCodes.Ldloc, state.Base);
        _il.Emit(OpCodes.Ldloc, ea);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Add);
        Release(ea);
    }

    /// <summary>
    /// Traps unless the effective address <paramref name="ea"/> (address + <paramref name="offset"/>, 64-bit) and
    /// <paramref name="size"/> bytes fit in memory <paramref name="memory"/>; a 64-bit address plus offset that wrapped
    /// around 2^64 traps too (it is out of bounds, never a small address).
    /// </summary>
    private void EmitBoundsCheck(LocalBuilder ea, int size, uint memory, ulong offset)
    {
        if (memory == 0 && !IsMemory64(0))
        {
            EmitBoundsCheck(ea, size);
            return;
        }
        var state = _memoryStates[memory];
        var ok = _il.DefineLabel();
        var slow = _il.DefineLabel();
        var limit = state.Limits[SizeSlot(size)]!;
        if (state.Is64 && offset != 0)
        {
            _il.Emit(OpCodes.Ldloc, ea);
            _il.Emit(OpCodes.Ldc_I8, (long)offset);
            EmitOutOfBoundsBranch(OpCodes.Blt_Un);
        }
        _il.Emit(OpCodes.Ldloc, ea);
        _il.Emit(OpCodes.Ldloc, limit);
        _il.Emit(state.Is64 ? OpCodes.Bge_Un : OpCodes.Bgt, slow);
        AddBoundsSlowPath(new BoundsSlowPath(slow, ok, ea, limit, size, memory, state.Is64));
        _il.MarkLabel(ok);
    }

    /// <summary>
    /// Traps unless <paramref name="ea"/> + <paramref name="size"/> + <paramref name="extra"/> fits in memory 0 (extra: bytes
    /// a merged check also covers, only on a memory 0 that is not shared).
    /// </summary>
    private void EmitBoundsCheck(LocalBuilder ea, int size, ulong extra = 0)
    {
        if (_memory0LimitSlots is not null)
        {
            // A memory that is not shared: the cached limits are exact (refreshed after every call and memory.grow, see
            // EmitMemory0LimitRefresh), so a failed check traps at once, through one trap block shared by the function.
            _il.Emit(OpCodes.Ldloc, ea);
            if (extra != 0)
            {
                _il.Emit(OpCodes.Ldc_I8, (long)extra);
                _il.Emit(OpCodes.Add);
            }
            _il.Emit(OpCodes.Ldloc, Memory0Limit(size));
            EmitOutOfBoundsBranch(OpCodes.Bgt);
            return;
        }
        var ok = _il.DefineLabel();
        var slow = _il.DefineLabel();
        var limit = _memoryLimits[SizeSlot(size)]!;
        // Fast path: ea <= length - size, a signed comparison against a register (the limit is
        // negative when the memory is smaller than the access, and ea is never negative).
        _il.Emit(OpCodes.Ldloc, ea);
        _il.Emit(OpCodes.Ldloc, limit);
        _il.Emit(OpCodes.Bgt, slow);
        AddBoundsSlowPath(new BoundsSlowPath(slow, ok, ea, limit, size));
        _il.MarkLabel(ok);
    }

    private void Load(Instruction ins, int size, OpCode load, OpCode? widen, ValType result)
    {
        int addressLocal = _origin[^1];
        var range = _ranges[^1];
        Pop();
        ulong checkEnd = ins.Memory == 0 ? MergedLoadEnd(addressLocal, ins.MemOffset + (ulong)size) : 0;
        EmitEffectiveAddress(ins.MemOffset, size, addressLocal, ins.Memory, checkEnd, range);
        if (size > 1) _il.Emit(OpCodes.Unaligned, (byte)1);
        _il.Emit(load);
        if (widen is { } w) _il.Emit(w);
        Push(result);
    }

    private void Store(Instruction ins, int size, OpCode store, ValType valueType)
    {
        var value = Rent(ClrTypes.Of(valueType));
        _il.Emit(OpCodes.Stloc, value);
        int addressLocal = _origin[^2];
        var range = _ranges[^2];
        Pop();
        Pop();
        EmitEffectiveAddress(ins.MemOffset, size, addressLocal, ins.Memory, range: range);
        _il.Emit(OpCodes.Ldloc, value);
        // Narrow i64 values for the 8/16/32-bit stores (stind.i1/i2/i4 take an int32).
        if (valueType == ValType.I64 && size < 8) _il.Emit(OpCodes.Conv_I4);
        if (size > 1) _il.Emit(OpCodes.Unaligned, (byte)1);
        _il.Emit(store);
        Release(value);
    }

    /// <summary>
    /// Like <see cref="EmitEffectiveAddress"/>, and also traps with "unaligned atomic" unless the effective address
    /// is a multiple of the access size. Returns the local holding the 64-bit effective address (caller releases it).
    /// </summary>
    private LocalBuilder EmitAtomicAddress(ulong offset, int size, uint memory = 0)
    {
        var ea = Rent(typeof(long));
        EmitWidenedAddress(offset);
        _il.Emit(OpCodes.Stloc, ea);
        if (size > 1)
        {
            var aligned = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, ea);
            _il.Emit(OpCodes.Conv_I4);
            Ldc(size - 1);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Brfalse, aligned);
            Call(nameof(WasmOps.ThrowUnalignedAtomic));
            _il.MarkLabel(aligned);
        }
        EmitBoundsCheck(ea, size, memory, offset);
        _il.Emit(OpCodes.Ldloc, _memoryStates.TryGetValue(memory, out var state) ? state.Base : _memoryBase!);
        _il.Emit(OpCodes.Ldloc, ea);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Add);
        return ea;
    }

    // ------------------------------------------------------------------ memory.size, grow, fill, copy, init

    /// <summary>
    /// memory.size, memory.grow, memory.fill, memory.copy and memory.init on any memory. On a 32-bit memory 0 (and a copy
    /// within it) the 32-bit helpers are called as before; otherwise the operands are widened to u64 (an i32 operand
    /// zero-extended) and the 64-bit helpers of <see cref="MemoryOps"/> called, results narrowed back for 32-bit memories.
    /// </summary>
    private void EmitMemoryOperation(Instruction ins)
    {
        bool simple = ins.Memory == 0 && !IsMemory64(0) && (ins.Opcode != Opcode.MemoryCopy || ins.Memory2 == 0);
        var memory = MemoryLocal(ins.Memory);
        bool is64 = IsMemory64(ins.Memory);
        switch (ins.Opcode)
        {
            case Opcode.MemorySize:
                _il.Emit(OpCodes.Ldloc, memory);
                if (simple) Call(nameof(WasmOps.MemorySize));
                else _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(MemoryOps), is64 ? nameof(MemoryOps.Size64) : nameof(MemoryOps.Size32)));
                Push(is64 ? I64 : I32);
                break;
            case Opcode.MemoryGrow:
                _il.Emit(OpCodes.Ldloc, memory);
                if (simple) Call(nameof(WasmOps.MemoryGrow));
                else _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(MemoryOps), is64 ? nameof(MemoryOps.Grow64) : nameof(MemoryOps.Grow32)));
                break;
            case Opcode.MemoryFill:
                if (simple)
                {
                    _il.Emit(OpCodes.Ldloc, memory);
                    Call(nameof(WasmOps.MemoryFill));
                }
                else
                {
                    WidenOperands(3, zeroExtend: [true, false, true]);
                    _il.Emit(OpCodes.Ldloc, memory);
                    _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(MemoryOps), nameof(MemoryOps.Fill)));
                }
                PopN(3);
                break;
            case Opcode.MemoryCopy:
                if (simple)
                {
                    _il.Emit(OpCodes.Ldloc, memory);
                    Call(nameof(WasmOps.MemoryCopy));
                }
                else
                {
                    WidenOperands(3, zeroExtend: [true, true, true]);
                    _il.Emit(OpCodes.Ldloc, memory);
                    _il.Emit(OpCodes.Ldloc, MemoryLocal(ins.Memory2));
                    _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(MemoryOps), nameof(MemoryOps.Copy)));
                }
                PopN(3);
                break;
            case Opcode.MemoryInit:
                if (simple)
                {
                    _il.Emit(OpCodes.Ldloc, memory);
                    _il.Emit(OpCodes.Ldloc, _instance!);
                    Ldc((int)ins.Index);
                    Call(nameof(WasmOps.MemoryInit));
                }
                else
                {
                    WidenOperands(3, zeroExtend: [true, true, true]);
                    _il.Emit(OpCodes.Ldloc, memory);
                    _il.Emit(OpCodes.Ldloc, _instance!);
                    Ldc((int)ins.Index);
                    _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(MemoryOps), nameof(MemoryOps.Init)));
                }
                PopN(3);
                break;
        }
    }

    /// <summary>
    /// Rewrites the top <paramref name="count"/> operands on the CIL stack (the compile-time mirror keeps their wasm types)
    /// so that each one flagged in <paramref name="zeroExtend"/> (bottom first) is an i64: an i32 is zero-extended. Others stay.
    /// </summary>
    private void WidenOperands(int count, bool[] zeroExtend)
    {
        var temps = new LocalBuilder[count];
        for (int k = count - 1; k >= 0; k--)
        {
            temps[k] = Rent(ClrTypes.Of(_stack[_stack.Count - count + k]));
            _il.Emit(OpCodes.Stloc, temps[k]);
        }
        for (int k = 0; k < count; k++)
        {
            _il.Emit(OpCodes.Ldloc, temps[k]);
            if (zeroExtend[k] && _stack[_stack.Count - count + k] == I32) _il.Emit(OpCodes.Conv_U8);
            Release(temps[k]);
        }
    }
}
