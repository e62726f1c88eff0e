using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Strand.Runtime;

/// <summary>Read-modify-write operations of the threads proposal; the value is passed to <see cref="AtomicOps"/> by compiled code.</summary>
internal enum RmwOp
{
    Add,
    Sub,
    And,
    Or,
    Xor,
    Xchg,
}

/// <summary>
/// The threads proposal's memory instructions, called by compiled code. Every access is sequentially
/// consistent (interlocked instructions, which are full fences on every platform .NET runs on). The
/// effective address is computed in 64 bits (no wrap-around); an access that is not naturally aligned traps
/// with "unaligned atomic" (checked before bounds, as the reference interpreter does), one that is out of
/// bounds with "out of bounds memory access". Parameters follow the operand stack, then the memory, then
/// the static offset (and operation), like <see cref="WasmOps"/>. Little-endian hosts only (as the rest of the engine).
/// </summary>
internal static unsafe class AtomicOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void* At(int address, Memory memory, long offset, int size)
    {
        ulong effective = (uint)address + (ulong)offset;
        if ((effective & (ulong)(size - 1)) != 0) ThrowUnaligned();
        if (!memory.InBounds(effective, (ulong)size)) ThrowOutOfBounds();
        return (byte*)memory.BaseAddress + effective;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUnaligned() => throw new TrapException(TrapCode.UnalignedAtomic);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutOfBounds() => throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);

    // ---------------- loads (zero-extending) ----------------

    public static int I32Load(int address, Memory memory, long offset) => Volatile.Read(ref *(int*)At(address, memory, offset, 4));
    public static int I32Load8U(int address, Memory memory, long offset) => Volatile.Read(ref *(byte*)At(address, memory, offset, 1));
    public static int I32Load16U(int address, Memory memory, long offset) => Volatile.Read(ref *(ushort*)At(address, memory, offset, 2));
    public static long I64Load(int address, Memory memory, long offset) => Volatile.Read(ref *(long*)At(address, memory, offset, 8));
    public static long I64Load8U(int address, Memory memory, long offset) => Volatile.Read(ref *(byte*)At(address, memory, offset, 1));
    public static long I64Load16U(int address, Memory memory, long offset) => Volatile.Read(ref *(ushort*)At(address, memory, offset, 2));
    public static long I64Load32U(int address, Memory memory, long offset) => Volatile.Read(ref *(uint*)At(address, memory, offset, 4));

    // ---------------- stores (wrapping; an exchange makes them sequentially consistent) ----------------

    public static void I32Store(int address, int value, Memory memory, long offset) => Interlocked.Exchange(ref *(int*)At(address, memory, offset, 4), value);
    public static void I32Store8(int address, int value, Memory memory, long offset) => Interlocked.Exchange(ref *(byte*)At(address, memory, offset, 1), (byte)value);
    public static void I32Store16(int address, int value, Memory memory, long offset) => Interlocked.Exchange(ref *(ushort*)At(address, memory, offset, 2), (ushort)value);
    public static void I64Store(int address, long value, Memory memory, long offset) => Interlocked.Exchange(ref *(long*)At(address, memory, offset, 8), value);
    public static void I64Store8(int address, long value, Memory memory, long offset) => Interlocked.Exchange(ref *(byte*)At(address, memory, offset, 1), (byte)value);
    public static void I64Store16(int address, long value, Memory memory, long offset) => Interlocked.Exchange(ref *(ushort*)At(address, memory, offset, 2), (ushort)value);
    public static void I64Store32(int address, long value, Memory memory, long offset) => Interlocked.Exchange(ref *(uint*)At(address, memory, offset, 4), (uint)value);

    // ---------------- read-modify-write: return the old value, zero-extended ----------------

    public static int I32Rmw(int address, int value, Memory memory, long offset, int op) =>
        (int)Rmw32((uint*)At(address, memory, offset, 4), (uint)value, (RmwOp)op);
    public static int I32Rmw8U(int address, int value, Memory memory, long offset, int op) =>
        (int)Rmw8((byte*)At(address, memory, offset, 1), (byte)value, (RmwOp)op);
    public static int I32Rmw16U(int address, int value, Memory memory, long offset, int op) =>
        (int)Rmw16((ushort*)At(address, memory, offset, 2), (ushort)value, (RmwOp)op);
    public static long I64Rmw(int address, long value, Memory memory, long offset, int op) =>
        (long)Rmw64((ulong*)At(address, memory, offset, 8), (ulong)value, (RmwOp)op);
    public static long I64Rmw8U(int address, long value, Memory memory, long offset, int op) =>
        Rmw8((byte*)At(address, memory, offset, 1), (byte)value, (RmwOp)op);
    public static long I64Rmw16U(int address, long value, Memory memory, long offset, int op) =>
        Rmw16((ushort*)At(address, memory, offset, 2), (ushort)value, (RmwOp)op);
    public static long I64Rmw32U(int address, long value, Memory memory, long offset, int op) =>
        Rmw32((uint*)At(address, memory, offset, 4), (uint)value, (RmwOp)op);

    // ---------------- compare-exchange: the expected value is wrapped to the access width first ----------------

    public static int I32Cmpxchg(int address, int expected, int replacement, Memory memory, long offset) =>
        Interlocked.CompareExchange(ref *(int*)At(address, memory, offset, 4), replacement, expected);
    public static int I32Cmpxchg8U(int address, int expected, int replacement, Memory memory, long offset) =>
        Interlocked.CompareExchange(ref *(byte*)At(address, memory, offset, 1), (byte)replacement, (byte)expected);
    public static int I32Cmpxchg16U(int address, int expected, int replacement, Memory memory, long offset) =>
        Interlocked.CompareExchange(ref *(ushort*)At(address, memory, offset, 2), (ushort)replacement, (ushort)expected);
    public static long I64Cmpxchg(int address, long expected, long replacement, Memory memory, long offset) =>
        Interlocked.CompareExchange(ref *(long*)At(address, memory, offset, 8), replacement, expected);
    public static long I64Cmpxchg8U(int address, long expected, long replacement, Memory memory, long offset) =>
        Interlocked.CompareExchange(ref *(byte*)At(address, memory, offset, 1), (byte)replacement, (byte)expected);
    public static long I64Cmpxchg16U(int address, long expected, long replacement, Memory memory, long offset) =>
        Interlocked.CompareExchange(ref *(ushort*)At(address, memory, offset, 2), (ushort)replacement, (ushort)expected);
    public static long I64Cmpxchg32U(int address, long expected, long replacement, Memory memory, long offset) =>
        Interlocked.CompareExchange(ref *(uint*)At(address, memory, offset, 4), (uint)replacement, (uint)expected);

    // ---------------- wait / notify / fence ----------------

    /// <summary><c>memory.atomic.wait32</c>: 0 woken, 1 not equal, 2 timed out. Traps on an unshared memory.</summary>
    public static int Wait32(int address, int expected, long timeoutNanoseconds, Memory memory, long offset, Instance instance)
    {
        int* cell = (int*)At(address, memory, offset, 4);
        if (!memory.Shared) throw new TrapException(TrapCode.ExpectedSharedMemory);
        return Park(memory, (ulong)((byte*)cell - (byte*)memory.BaseAddress), () => Volatile.Read(ref *cell) == expected, timeoutNanoseconds, instance);
    }

    /// <summary><c>memory.atomic.wait64</c>: 0 woken, 1 not equal, 2 timed out. Traps on an unshared memory.</summary>
    public static int Wait64(int address, long expected, long timeoutNanoseconds, Memory memory, long offset, Instance instance)
    {
        long* cell = (long*)At(address, memory, offset, 8);
        if (!memory.Shared) throw new TrapException(TrapCode.ExpectedSharedMemory);
        return Park(memory, (ulong)((byte*)cell - (byte*)memory.BaseAddress), () => Volatile.Read(ref *cell) == expected, timeoutNanoseconds, instance);
    }

    private static int Park(Memory memory, ulong address, Func<bool> stillExpected, long timeoutNanoseconds, Instance instance)
    {
        var result = ParkingLot.Shared.Park(memory, address, stillExpected, ParkingLot.TimeoutFromNanoseconds(timeoutNanoseconds), instance.Signal);
        if (result == ParkResult.Interrupted) throw new TrapException(TrapCode.Interrupted);
        return (int)result;
    }

    /// <summary><c>memory.atomic.notify</c>: wakes up to <paramref name="count"/> waiters (FIFO); an unshared memory has none, so 0.</summary>
    public static int Notify(int address, int count, Memory memory, long offset)
    {
        byte* cell = (byte*)At(address, memory, offset, 4);
        if (!memory.Shared) return 0;
        return ParkingLot.Shared.Notify(memory, (ulong)(cell - (byte*)memory.BaseAddress), (uint)count);
    }

    public static void Fence() => Interlocked.MemoryBarrier();

    // ---------------- RMW cores ----------------

    private static uint Apply(uint old, uint operand, RmwOp op) => op switch
    {
        RmwOp.Add => old + operand,
        RmwOp.Sub => old - operand,
        RmwOp.And => old & operand,
        RmwOp.Or => old | operand,
        RmwOp.Xor => old ^ operand,
        _ => operand,
    };

    private static uint Rmw8(byte* cell, byte operand, RmwOp op)
    {
        if (op == RmwOp.Xchg) return Interlocked.Exchange(ref *cell, operand);
        byte old = Volatile.Read(ref *cell);
        while (true)
        {
            byte seen = Interlocked.CompareExchange(ref *cell, (byte)Apply(old, operand, op), old);
            if (seen == old) return old;
            old = seen;
        }
    }

    private static uint Rmw16(ushort* cell, ushort operand, RmwOp op)
    {
        if (op == RmwOp.Xchg) return Interlocked.Exchange(ref *cell, operand);
        ushort old = Volatile.Read(ref *cell);
        while (true)
        {
            ushort seen = Interlocked.CompareExchange(ref *cell, (ushort)Apply(old, operand, op), old);
            if (seen == old) return old;
            old = seen;
        }
    }

    private static uint Rmw32(uint* cell, uint operand, RmwOp op) => op switch
    {
        RmwOp.Add => Interlocked.Add(ref *cell, operand) - operand,
        RmwOp.Sub => Interlocked.Add(ref *cell, unchecked(0u - operand)) + operand,
        RmwOp.And => Interlocked.And(ref *cell, operand),
        RmwOp.Or => Interlocked.Or(ref *cell, operand),
        RmwOp.Xchg => Interlocked.Exchange(ref *cell, operand),
        _ => Rmw32Loop(cell, operand, op),
    };

    private static uint Rmw32Loop(uint* cell, uint operand, RmwOp op)
    {
        uint old = Volatile.Read(ref *cell);
        while (true)
        {
            uint seen = Interlocked.CompareExchange(ref *cell, Apply(old, operand, op), old);
            if (seen == old) return old;
            old = seen;
        }
    }

    private static ulong Rmw64(ulong* cell, ulong operand, RmwOp op)
    {
        switch (op)
        {
            case RmwOp.Add: return Interlocked.Add(ref *cell, operand) - operand;
            case RmwOp.Sub: return Interlocked.Add(ref *cell, unchecked(0ul - operand)) + operand;
            case RmwOp.And: return Interlocked.And(ref *cell, operand);
            case RmwOp.Or: return Interlocked.Or(ref *cell, operand);
            case RmwOp.Xchg: return Interlocked.Exchange(ref *cell, operand);
        }
        ulong old = Volatile.Read(ref *cell);
        while (true)
        {
            ulong seen = Interlocked.CompareExchange(ref *cell, old ^ operand, old);
            if (seen == old) return old;
            old = seen;
        }
    }
}
