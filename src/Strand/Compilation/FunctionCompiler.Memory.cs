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
        if (_wrapTrap is { } wrap)
        {
            _il.MarkLabel(wrap);
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
    /// <summary>A shared label that traps "out of bounds memory access" (a 64-bit effective address that wrapped).</summary>
    private Label? _wrapTrap;

    /// <summary>The memory indices the function's memory instructions use.</summary>
    private static SortedSet<uint> MemoriesUsed(List<Instruction> code)
    {
        var used = new SortedSet<uint>();
        foreach (var ins in code)
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
                EmitMemory0Prologue();
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

    private void EmitMemory0Prologue()
    {
        _memory = _il.DeclareLocal(typeof(Memory));
        _memoryBase = _il.DeclareLocal(typeof(nint));
        _il.Emit(OpCodes.Ldloc, _instance!);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceMemory);
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Stloc, _memory);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryBase);
        _il.Emit(OpCodes.Stloc, _memoryBase);
        // Register copies of (length - access size) for the fast bounds check (see EmitEffectiveAddress);
        // the JIT drops the ones a function never uses.
        for (int slot = 0; slot < _memoryLimits.Length; slot++)
        {
            var limit = _il.DeclareLocal(typeof(long));
            _memoryLimits[slot] = limit;
            _il.Emit(OpCodes.Ldloc, _memory);
            _il.Emit(OpCodes.Volatile);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.MemoryLength);
            _il.Emit(OpCodes.Ldc_I8, (long)(1 << slot));
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Stloc, limit);
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
    /// from, or -1 (redundant checks are skipped through it, on memory 0).
    /// </summary>
    private void EmitEffectiveAddress(ulong offset, int size, int addressLocal = -1, uint memory = 0)
    {
        if (memory != 0 || IsMemory64(memory))
        {
            EmitOtherEffectiveAddress(offset, size, memory);
            return;
        }
        ulong end = offset + (ulong)size;
        if (addressLocal >= 0 && _checkedAddressLocals.TryGetValue(addressLocal, out ulong checkedEnd) && end <= checkedEnd)
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
        if (addressLocal >= 0)
            _checkedAddressLocals[addressLocal] = Math.Max(end, _checkedAddressLocals.GetValueOrDefault(addressLocal));
        var ea = Rent(typeof(long));
        EmitWidenedAddress(offset);
        _il.Emit(OpCodes.Stloc, ea);
        EmitBoundsCheck(ea, size);
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
            // One shared trap after the body; inside a try region a local one (no branch may leave the region).
            var wrap = _tryDepth > 0 ? _il.DefineLabel() : (_wrapTrap ??= _il.DefineLabel());
            _il.Emit(OpCodes.Ldloc, ea);
            _il.Emit(OpCodes.Ldc_I8, (long)offset);
            _il.Emit(OpCodes.Blt_Un, wrap);
            if (_tryDepth > 0)
            {
                var fits = _il.DefineLabel();
                _il.Emit(OpCodes.Br, fits);
                _il.MarkLabel(wrap);
                EmitTrap(TrapCode.OutOfBoundsMemoryAccess);
                _il.MarkLabel(fits);
            }
        }
        _il.Emit(OpCodes.Ldloc, ea);
        _il.Emit(OpCodes.Ldloc, limit);
        _il.Emit(state.Is64 ? OpCodes.Bge_Un : OpCodes.Bgt, slow);
        AddBoundsSlowPath(new BoundsSlowPath(slow, ok, ea, limit, size, memory, state.Is64));
        _il.MarkLabel(ok);
    }

    private void EmitBoundsCheck(LocalBuilder ea, int size)
    {
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
        Pop();
        EmitEffectiveAddress(ins.MemOffset, size, addressLocal, ins.Memory);
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
        Pop();
        Pop();
        EmitEffectiveAddress(ins.MemOffset, size, addressLocal, ins.Memory);
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
