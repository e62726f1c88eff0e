using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Strand.Runtime;

/// <summary>
/// Threads-proposal atomics on linear memory, called by compiled code with a bounds-checked and
/// alignment-checked native address. Loads are volatile reads, stores are sequentially consistent
/// exchanges, read-modify-writes use <see cref="Interlocked"/> (compare-exchange loops for the
/// operations it lacks). Narrow results are zero-extended, as the <c>_u</c> forms require.
/// </summary>
internal static unsafe class AtomicOps
{
    public static int Load8(nint p) => Volatile.Read(ref *(byte*)p);
    public static int Load16(nint p) => Volatile.Read(ref *(ushort*)p);
    public static int Load32(nint p) => Volatile.Read(ref *(int*)p);
    public static long Load64(nint p) => Volatile.Read(ref *(long*)p);

    public static void Store8(nint p, int v) => Interlocked.Exchange(ref *(byte*)p, (byte)v);
    public static void Store16(nint p, int v) => Interlocked.Exchange(ref *(ushort*)p, (ushort)v);
    public static void Store32(nint p, int v) => Interlocked.Exchange(ref *(int*)p, v);
    public static void Store64(nint p, long v) => Interlocked.Exchange(ref *(long*)p, v);

    public static int Xchg8(nint p, int v) => Interlocked.Exchange(ref *(byte*)p, (byte)v);
    public static int Xchg16(nint p, int v) => Interlocked.Exchange(ref *(ushort*)p, (ushort)v);
    public static int Xchg32(nint p, int v) => Interlocked.Exchange(ref *(int*)p, v);
    public static long Xchg64(nint p, long v) => Interlocked.Exchange(ref *(long*)p, v);

    // cmpxchg compares with the expected value wrapped to the access width.
    public static int Cmpxchg8(nint p, int expected, int replacement) => Interlocked.CompareExchange(ref *(byte*)p, (byte)replacement, (byte)expected);
    public static int Cmpxchg16(nint p, int expected, int replacement) => Interlocked.CompareExchange(ref *(ushort*)p, (ushort)replacement, (ushort)expected);
    public static int Cmpxchg32(nint p, int expected, int replacement) => Interlocked.CompareExchange(ref *(int*)p, replacement, expected);
    public static long Cmpxchg64(nint p, long expected, long replacement) => Interlocked.CompareExchange(ref *(long*)p, replacement, expected);

    public static int Add32(nint p, int v) => Interlocked.Add(ref *(int*)p, v) - v;
    public static long Add64(nint p, long v) => Interlocked.Add(ref *(long*)p, v) - v;
    public static int Sub32(nint p, int v) => Interlocked.Add(ref *(int*)p, -v) + v;
    public static long Sub64(nint p, long v) => Interlocked.Add(ref *(long*)p, -v) + v;
    public static int And32(nint p, int v) => Interlocked.And(ref *(int*)p, v);
    public static long And64(nint p, long v) => Interlocked.And(ref *(long*)p, v);
    public static int Or32(nint p, int v) => Interlocked.Or(ref *(int*)p, v);
    public static long Or64(nint p, long v) => Interlocked.Or(ref *(long*)p, v);

    public static int Xor32(nint p, int v)
    {
        ref int cell = ref *(int*)p;
        int old = Volatile.Read(ref cell);
        while (true)
        {
            int seen = Interlocked.CompareExchange(ref cell, old ^ v, old);
            if (seen == old) return old;
            old = seen;
        }
    }

    public static long Xor64(nint p, long v)
    {
        ref long cell = ref *(long*)p;
        long old = Volatile.Read(ref cell);
        while (true)
        {
            long seen = Interlocked.CompareExchange(ref cell, old ^ v, old);
            if (seen == old) return old;
            old = seen;
        }
    }

    // 8- and 16-bit add/sub/and/or/xor: compare-exchange loops on the narrow cell.
    public static int Add8(nint p, int v) => Rmw8(p, v, 0);
    public static int Sub8(nint p, int v) => Rmw8(p, v, 1);
    public static int And8(nint p, int v) => Rmw8(p, v, 2);
    public static int Or8(nint p, int v) => Rmw8(p, v, 3);
    public static int Xor8(nint p, int v) => Rmw8(p, v, 4);
    public static int Add16(nint p, int v) => Rmw16(p, v, 0);
    public static int Sub16(nint p, int v) => Rmw16(p, v, 1);
    public static int And16(nint p, int v) => Rmw16(p, v, 2);
    public static int Or16(nint p, int v) => Rmw16(p, v, 3);
    public static int Xor16(nint p, int v) => Rmw16(p, v, 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Apply(int op, int old, int v) => op switch
    {
        0 => old + v,
        1 => old - v,
        2 => old & v,
        3 => old | v,
        _ => old ^ v,
    };

    private static int Rmw8(nint p, int v, int op)
    {
        ref byte cell = ref *(byte*)p;
        byte old = Volatile.Read(ref cell);
        while (true)
        {
            byte seen = Interlocked.CompareExchange(ref cell, (byte)Apply(op, old, v), old);
            if (seen == old) return old;
            old = seen;
        }
    }

    private static int Rmw16(nint p, int v, int op)
    {
        ref ushort cell = ref *(ushort*)p;
        ushort old = Volatile.Read(ref cell);
        while (true)
        {
            ushort seen = Interlocked.CompareExchange(ref cell, (ushort)Apply(op, old, v), old);
            if (seen == old) return old;
            old = seen;
        }
    }

    public static void Fence() => Interlocked.MemoryBarrier();

    // ---------------- wait / notify ----------------

    /// <summary>memory.atomic.notify: wakes up to <paramref name="count"/> waiters on the address (oldest first); returns how many were woken. An unshared memory has no waiters.</summary>
    public static int Notify(nint p, int count, Memory memory, int address) =>
        memory.Shared ? memory.ParkingLot.Notify(memory, WaitAddress(p, memory), (uint)count) : 0;

    /// <summary>memory.atomic.wait32: 0 = woken, 1 = value differed, 2 = timed out. Traps on unshared memory, and with "interrupted" when the instance's signal is raised while it waits.</summary>
    public static int Wait32(nint p, int expected, long timeoutNanoseconds, Memory memory, int address, Instance instance)
    {
        if (!memory.Shared) throw new TrapException(TrapCode.ExpectedSharedMemory);
        return Park(memory, WaitAddress(p, memory), () => Volatile.Read(ref *(int*)p) == expected, timeoutNanoseconds, instance);
    }

    public static int Wait64(nint p, long expected, long timeoutNanoseconds, Memory memory, int address, Instance instance)
    {
        if (!memory.Shared) throw new TrapException(TrapCode.ExpectedSharedMemory);
        return Park(memory, WaitAddress(p, memory), () => Volatile.Read(ref *(long*)p) == expected, timeoutNanoseconds, instance);
    }

    /// <summary>
    /// The waiters' key: the full effective address, from the checked native pointer (the compiled code's int address
    /// argument holds only its low 32 bits, which a 64-bit memory above 4 GiB would alias).
    /// </summary>
    private static ulong WaitAddress(nint p, Memory memory) => (ulong)(p - memory.BaseAddress);

    private static int Park(Memory memory, ulong address, Func<bool> stillExpected, long timeoutNanoseconds, Instance instance)
    {
        var result = memory.ParkingLot.Park(memory, address, stillExpected, ParkingLot.TimeoutFromNanoseconds(timeoutNanoseconds), instance.Signal);
        if (result == ParkResult.Interrupted) throw new TrapException(TrapCode.Interrupted);
        return (int)result;
    }
}
