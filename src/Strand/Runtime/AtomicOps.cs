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

    /// <summary>memory.atomic.notify: wakes up to <paramref name="count"/> waiters on the address; returns how many were woken.</summary>
    public static int Notify(nint p, int count, Memory memory, int address) =>
        memory.Shared ? memory.ParkingLot.Notify((uint)address, (uint)count) : 0;

    /// <summary>memory.atomic.wait32: 0 = woken, 1 = value differed, 2 = timed out. Traps on unshared memory.</summary>
    public static int Wait32(nint p, int expected, long timeoutNanoseconds, Memory memory, int address)
    {
        if (!memory.Shared) throw new TrapException(TrapCode.ExpectedSharedMemory);
        return memory.ParkingLot.Wait((uint)address, () => Volatile.Read(ref *(int*)p) == expected, timeoutNanoseconds);
    }

    public static int Wait64(nint p, long expected, long timeoutNanoseconds, Memory memory, int address)
    {
        if (!memory.Shared) throw new TrapException(TrapCode.ExpectedSharedMemory);
        return memory.ParkingLot.Wait((uint)address, () => Volatile.Read(ref *(long*)p) == expected, timeoutNanoseconds);
    }
}

/// <summary>
/// Waiters of one shared memory, keyed by address, woken in FIFO order. The value check and the
/// enqueue happen under the same lock as notify, so a store followed by a notify is never missed.
/// </summary>
internal sealed class ParkingLot
{
    private sealed class Waiter
    {
        public bool Woken;
    }

    private readonly object _gate = new();
    private readonly Dictionary<uint, LinkedList<Waiter>> _queues = new();

    public int Wait(uint address, Func<bool> stillExpected, long timeoutNanoseconds)
    {
        var waiter = new Waiter();
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (!stillExpected()) return 1;
            if (!_queues.TryGetValue(address, out var queue)) _queues[address] = queue = new LinkedList<Waiter>();
            node = queue.AddLast(waiter);
            var deadline = timeoutNanoseconds < 0 ? (long?)null : Stopwatch.GetTimestamp() + (long)(timeoutNanoseconds / 1e9 * Stopwatch.Frequency);
            while (!waiter.Woken)
            {
                if (deadline is { } d)
                {
                    long remainingTicks = d - Stopwatch.GetTimestamp();
                    if (remainingTicks <= 0) break;
                    int ms = (int)Math.Min(int.MaxValue, Math.Max(1, remainingTicks * 1000 / Stopwatch.Frequency));
                    Monitor.Wait(_gate, ms);
                }
                else
                {
                    Monitor.Wait(_gate);
                }
            }
            if (waiter.Woken) return 0;
            queue.Remove(node);
            if (queue.Count == 0) _queues.Remove(address);
            return 2;
        }
    }

    public int Notify(uint address, uint count)
    {
        lock (_gate)
        {
            if (count == 0 || !_queues.TryGetValue(address, out var queue)) return 0;
            int woken = 0;
            while (woken < count && queue.First is { } first)
            {
                first.Value.Woken = true;
                queue.RemoveFirst();
                woken++;
            }
            if (queue.Count == 0) _queues.Remove(address);
            if (woken > 0) Monitor.PulseAll(_gate);
            return woken;
        }
    }
}
