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
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "memory accesses are 1, 2, 4 or 8 bytes"),
    };

    /// <summary>An out-of-line bounds-check slow path (see <see cref="EmitEffectiveAddress"/>).</summary>
    private readonly record struct BoundsSlowPath(Label Entry, Label Resume, LocalBuilder Address, LocalBuilder Limit, int Size);

    private readonly List<BoundsSlowPath> _boundsSlowPaths = new();

    /// <summary>
    /// Emitted after the body's final return, so the JIT lays them out away from the hot path: there a
    /// bounds check is a compare and a branch that is not taken.
    /// </summary>
    private void EmitBoundsCheckSlowPaths()
    {
        foreach (var slow in _boundsSlowPaths)
        {
            _il.MarkLabel(slow.Entry);
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

    // ------------------------------------------------------------------ memory

    /// <summary>
    /// With the i32 address on the stack, traps unless [address + offset, address + offset + size) is inside
    /// the memory (one unsigned 64-bit comparison against the current length), then leaves the native
    /// address of the first byte on the stack.
    /// </summary>
    private void EmitEffectiveAddress(ulong offset, int size, int addressLocal = -1)
    {
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
        _boundsSlowPaths.Add(new BoundsSlowPath(slow, ok, ea, limit, size));
        _il.MarkLabel(ok);
    }

    private void Load(Instruction ins, int size, OpCode load, OpCode? widen, ValType result)
    {
        int addressLocal = _origin[^1];
        Pop();
        EmitEffectiveAddress(ins.MemOffset, size, addressLocal);
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
        EmitEffectiveAddress(ins.MemOffset, size, addressLocal);
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
    private LocalBuilder EmitAtomicAddress(ulong offset, int size)
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
        EmitBoundsCheck(ea, size);
        _il.Emit(OpCodes.Ldloc, _memoryBase!);
        _il.Emit(OpCodes.Ldloc, ea);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Add);
        return ea;
    }
}
