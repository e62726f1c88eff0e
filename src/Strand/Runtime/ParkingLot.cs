using System.Diagnostics;

namespace Strand.Runtime;

/// <summary>Outcome of <see cref="ParkingLot.Park"/>; the numeric values are <c>memory.atomic.wait</c>'s results.</summary>
internal enum ParkResult
{
    /// <summary>Woken by a notify ("ok").</summary>
    Woken = 0,
    /// <summary>The validation failed: the memory did not hold the expected value, the thread never slept.</summary>
    NotEqual = 1,
    /// <summary>The timeout elapsed before a notify.</summary>
    TimedOut = 2,
    /// <summary>The waiter's interrupt signal was raised (the caller traps with <see cref="TrapCode.Interrupted"/>).</summary>
    Interrupted = 3,
}

/// <summary>
/// Where threads blocked in <c>memory.atomic.wait32/64</c> sleep (each shared memory has one, <see cref="Memory.ParkingLot"/>), keyed by (memory, address), in the spirit of
/// wasmtime's <c>parking_spot</c>. Waiters on one address are woken in FIFO order. The value check and the
/// enqueue happen under the same lock that <see cref="Notify"/> takes, so a store followed by a notify can
/// never slip between a waiter's check and its sleep (no lost wake-ups). A waiter may carry an
/// <see cref="InterruptSignal"/>; <see cref="Interrupt"/> wakes every waiter carrying that signal, which is how a
/// thread group stops threads that are blocked rather than running.
/// </summary>
/// <remarks>
/// One lock guards the whole lot; every waiter sleeps on its own monitor so a notify wakes exactly the threads
/// it dequeued. Lock order is always lot lock, then waiter lock; a sleeping thread holds only its own.
/// Queues are removed when they become empty, so the lot holds no memory once nobody waits.
/// </remarks>
internal sealed class ParkingLot
{
    private readonly object _lock = new();
    private readonly Dictionary<(object Memory, ulong Address), LinkedList<Waiter>> _queues = new();

    private sealed class Waiter(InterruptSignal? signal)
    {
        public readonly InterruptSignal? Signal = signal;
        public LinkedListNode<Waiter>? Node;
        /// <summary>Set (under both locks) by whoever removes the waiter from its queue: Woken or Interrupted.</summary>
        public ParkResult? Outcome;
    }

    /// <summary>Number of threads currently parked on (memory, address). For tests and diagnostics.</summary>
    public int CountWaiters(object memory, ulong address)
    {
        lock (_lock) return _queues.TryGetValue((memory, address), out var q) ? q.Count : 0;
    }

    /// <summary>
    /// Parks the calling thread on (<paramref name="memory"/>, <paramref name="address"/>) if
    /// <paramref name="stillExpected"/> returns true when evaluated under the lot's lock.
    /// </summary>
    /// <param name="timeout">Null waits forever. Zero checks and returns <see cref="ParkResult.TimedOut"/> if the check passed.</param>
    /// <param name="signal">When raised (before or during the wait, followed by <see cref="Interrupt"/>), the wait ends with <see cref="ParkResult.Interrupted"/>.</param>
    /// <param name="memory">The memory whose address is waited on (the key's first half).</param>
    /// <param name="address">The byte address waited on.</param>
    /// <param name="stillExpected">The wait condition (the value is still the expected one), evaluated under the lock.</param>
    public ParkResult Park(object memory, ulong address, Func<bool> stillExpected, TimeSpan? timeout, InterruptSignal? signal = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(stillExpected);
        long deadline = timeout is { } t ? Stopwatch.GetTimestamp() + ToStopwatchTicks(t) : long.MaxValue;
        var waiter = new Waiter(signal);
        var key = (memory, address);
        lock (_lock)
        {
            if (signal is not null && signal.IsRequested) return ParkResult.Interrupted;
            if (!stillExpected()) return ParkResult.NotEqual;
            if (timeout is { } zero && zero <= TimeSpan.Zero) return ParkResult.TimedOut;
            if (!_queues.TryGetValue(key, out var queue)) _queues[key] = queue = new LinkedList<Waiter>();
            waiter.Node = queue.AddLast(waiter);
        }

        lock (waiter)
        {
            while (waiter.Outcome is null)
            {
                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0) break;
                Monitor.Wait(waiter, ToTimeout(remaining));
            }
            if (waiter.Outcome is { } outcome) return outcome;
        }

        // Timed out: leave the queue, unless a notifier dequeued us between the wait's end and here.
        lock (_lock)
        {
            lock (waiter)
            {
                if (waiter.Outcome is { } lateOutcome) return lateOutcome;
                RemoveLocked(key, waiter);
                return ParkResult.TimedOut;
            }
        }
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters of (memory, address), oldest first; returns how many were woken.</summary>
    public int Notify(object memory, ulong address, uint count)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (count == 0) return 0;
        int woken = 0;
        lock (_lock)
        {
            var key = (memory, address);
            if (!_queues.TryGetValue(key, out var queue)) return 0;
            while (woken < count && queue.First is { } first)
            {
                Wake(first.Value, ParkResult.Woken);
                queue.RemoveFirst();
                first.Value.Node = null;
                woken++;
            }
            if (queue.Count == 0) _queues.Remove(key);
        }
        return woken;
    }

    /// <summary>
    /// Wakes every waiter (on any address) that carries <paramref name="signal"/>, with <see cref="ParkResult.Interrupted"/>.
    /// Raise the signal first: a thread that is about to park then sees it under the lock and does not sleep.
    /// </summary>
    public int Interrupt(InterruptSignal signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        int interrupted = 0;
        lock (_lock)
        {
            List<(object, ulong)>? emptied = null;
            foreach (var (key, queue) in _queues)
            {
                for (var node = queue.First; node is not null;)
                {
                    var next = node.Next;
                    if (ReferenceEquals(node.Value.Signal, signal))
                    {
                        Wake(node.Value, ParkResult.Interrupted);
                        queue.Remove(node);
                        node.Value.Node = null;
                        interrupted++;
                    }
                    node = next;
                }
                if (queue.Count == 0) (emptied ??= []).Add(key);
            }
            if (emptied is not null) foreach (var key in emptied) _queues.Remove(key);
        }
        return interrupted;
    }

    private static void Wake(Waiter waiter, ParkResult outcome)
    {
        lock (waiter)
        {
            waiter.Outcome = outcome;
            Monitor.Pulse(waiter);
        }
    }

    private void RemoveLocked((object, ulong) key, Waiter waiter)
    {
        if (waiter.Node is null || !_queues.TryGetValue(key, out var queue)) return;
        queue.Remove(waiter.Node);
        waiter.Node = null;
        if (queue.Count == 0) _queues.Remove(key);
    }

    private static long ToStopwatchTicks(TimeSpan span)
    {
        if (span <= TimeSpan.Zero) return 0;
        double ticks = span.TotalSeconds * Stopwatch.Frequency;
        return ticks >= long.MaxValue / 2 ? long.MaxValue / 2 : (long)Math.Ceiling(ticks);
    }

    /// <summary>Remaining stopwatch ticks as a Monitor.Wait timeout in milliseconds, rounded up and capped.</summary>
    private static int ToTimeout(long stopwatchTicks)
    {
        double ms = Math.Ceiling(stopwatchTicks * 1000.0 / Stopwatch.Frequency);
        return ms >= int.MaxValue ? int.MaxValue : Math.Max(1, (int)ms);
    }

    /// <summary>The wasm timeout operand (nanoseconds, negative = forever) as a <see cref="Park"/> timeout.</summary>
    public static TimeSpan? TimeoutFromNanoseconds(long nanoseconds) =>
        nanoseconds < 0 ? null : TimeSpan.FromTicks(nanoseconds / 100 + (nanoseconds % 100 == 0 ? 0 : 1));
}
