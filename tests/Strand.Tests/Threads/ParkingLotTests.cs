using System.Collections.Concurrent;
using Strand.Runtime;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// The parking lot behind memory.atomic.wait/notify. Threads are ordered with the lot's own waiter
/// count (a bounded spin on an observable condition), never with sleeps; every join has a timeout.
/// </summary>
public class ParkingLotTests
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);
    private readonly object _memory = new();

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + JoinTimeout;
        var spin = new SpinWait();
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting until {what}");
            spin.SpinOnce();
        }
    }

    private static Thread Start(Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true };
        thread.Start();
        return thread;
    }

    private static void Join(Thread thread) => Assert.True(thread.Join(JoinTimeout), "thread did not finish in time");

    [Fact]
    public void ValidationFailureReturnsNotEqualWithoutParking()
    {
        var lot = new ParkingLot();
        Assert.Equal(ParkResult.NotEqual, lot.Park(_memory, 8, () => false, null));
        Assert.Equal(0, lot.CountWaiters(_memory, 8));
    }

    [Fact]
    public void ZeroTimeoutReturnsTimedOutImmediately()
    {
        var lot = new ParkingLot();
        Assert.Equal(ParkResult.TimedOut, lot.Park(_memory, 8, () => true, TimeSpan.Zero));
        Assert.Equal(0, lot.CountWaiters(_memory, 8));
    }

    [Fact]
    public void ShortTimeoutExpiresAndLeavesTheQueue()
    {
        var lot = new ParkingLot();
        var started = DateTime.UtcNow;
        Assert.Equal(ParkResult.TimedOut, lot.Park(_memory, 16, () => true, TimeSpan.FromMilliseconds(20)));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(15));
        Assert.Equal(0, lot.CountWaiters(_memory, 16));
        Assert.Equal(0, lot.Notify(_memory, 16, 1));
    }

    [Fact]
    public void NotifyWithoutWaitersReturnsZero()
    {
        var lot = new ParkingLot();
        Assert.Equal(0, lot.Notify(_memory, 0, uint.MaxValue));
    }

    [Fact]
    public void WaitersAreWokenInArrivalOrder()
    {
        var lot = new ParkingLot();
        var wokenOrder = new ConcurrentQueue<int>();
        var threads = new List<Thread>();
        for (int i = 0; i < 3; i++)
        {
            int id = i;
            threads.Add(Start(() =>
            {
                Assert.Equal(ParkResult.Woken, lot.Park(_memory, 64, () => true, null));
                wokenOrder.Enqueue(id);
            }));
            WaitUntil(() => lot.CountWaiters(_memory, 64) == id + 1, $"waiter {id} is parked");
        }
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(1, lot.Notify(_memory, 64, 1));
            Join(threads[i]);
            Assert.Equal(i + 1, wokenOrder.Count);
        }
        Assert.Equal([0, 1, 2], wokenOrder.ToArray());
    }

    [Fact]
    public void NotifyCountIsLimitedAndReported()
    {
        var lot = new ParkingLot();
        var threads = new List<Thread>();
        for (int i = 0; i < 4; i++)
        {
            threads.Add(Start(() => lot.Park(_memory, 128, () => true, null)));
        }
        WaitUntil(() => lot.CountWaiters(_memory, 128) == 4, "four waiters are parked");
        Assert.Equal(3, lot.Notify(_memory, 128, 3));
        Assert.Equal(1, lot.CountWaiters(_memory, 128));
        Assert.Equal(1, lot.Notify(_memory, 128, 10));
        foreach (var t in threads) Join(t);
    }

    [Fact]
    public void AddressesAndMemoriesAreSeparateQueues()
    {
        var lot = new ParkingLot();
        var otherMemory = new object();
        var result = ParkResult.NotEqual;
        var waiter = Start(() => result = lot.Park(_memory, 4, () => true, null));
        WaitUntil(() => lot.CountWaiters(_memory, 4) == 1, "the waiter is parked");
        Assert.Equal(0, lot.Notify(_memory, 8, 1));
        Assert.Equal(0, lot.Notify(otherMemory, 4, 1));
        Assert.Equal(1, lot.CountWaiters(_memory, 4));
        Assert.Equal(1, lot.Notify(_memory, 4, 1));
        Join(waiter);
        Assert.Equal(ParkResult.Woken, result);
    }

    [Fact]
    public void InterruptWakesOnlyWaitersWithThatSignal()
    {
        var lot = new ParkingLot();
        var signal = new InterruptSignal();
        var other = new InterruptSignal();
        ParkResult interruptedResult = ParkResult.NotEqual, otherResult = ParkResult.NotEqual;
        var interrupted = Start(() => interruptedResult = lot.Park(_memory, 32, () => true, null, signal));
        var untouched = Start(() => otherResult = lot.Park(_memory, 32, () => true, null, other));
        WaitUntil(() => lot.CountWaiters(_memory, 32) == 2, "both waiters are parked");

        signal.Request();
        Assert.Equal(1, lot.Interrupt(signal));
        Join(interrupted);
        Assert.Equal(ParkResult.Interrupted, interruptedResult);
        Assert.Equal(1, lot.CountWaiters(_memory, 32));

        Assert.Equal(1, lot.Notify(_memory, 32, 1));
        Join(untouched);
        Assert.Equal(ParkResult.Woken, otherResult);
    }

    [Fact]
    public void RaisedSignalPreventsParking()
    {
        var lot = new ParkingLot();
        var signal = new InterruptSignal();
        signal.Request();
        Assert.Equal(ParkResult.Interrupted, lot.Park(_memory, 0, () => true, null, signal));
        Assert.Equal(0, lot.CountWaiters(_memory, 0));
    }

    [Fact]
    public void PingPongLosesNoWakeUps()
    {
        // Two threads hand a turn back and forth 20000 times; each waits only while it is not its turn.
        // A lost wake-up would leave both parked forever (bounded here by the join timeout).
        var lot = new ParkingLot();
        int turn = 0;
        const int rounds = 20000;
        void Play(int me)
        {
            for (int i = 0; i < rounds; i++)
            {
                while (Volatile.Read(ref turn) != me)
                    lot.Park(_memory, 0, () => Volatile.Read(ref turn) != me, TimeSpan.FromSeconds(30));
                Volatile.Write(ref turn, 1 - me);
                lot.Notify(_memory, 0, 1);
            }
        }
        var a = Start(() => Play(0));
        var b = Start(() => Play(1));
        Join(a);
        Join(b);
        Assert.Equal(0, Volatile.Read(ref turn));
    }

    [Fact]
    public void MixedTimeoutsNotifiesAndInterruptsLeaveNoWaiterBehind()
    {
        // 8 threads park 500 times each with short timeouts while the main thread notifies; then the signal
        // stops whoever is still parked. Every thread must finish and the lot must end up empty.
        var lot = new ParkingLot();
        var signal = new InterruptSignal();
        int finished = 0;
        var outcomes = new int[4];
        var threads = Enumerable.Range(0, 8).Select(i => Start(() =>
        {
            for (int round = 0; round < 500; round++)
            {
                var result = lot.Park(_memory, (ulong)(i % 2), () => true, TimeSpan.FromMilliseconds(round % 3), signal);
                Interlocked.Increment(ref outcomes[(int)result]);
                if (result == ParkResult.Interrupted) break;
            }
            Interlocked.Increment(ref finished);
        })).ToList();
        while (Volatile.Read(ref finished) < 4)
        {
            lot.Notify(_memory, 0, 1);
            lot.Notify(_memory, 1, 2);
            Thread.Yield();
        }
        signal.Request();
        lot.Interrupt(signal);
        foreach (var t in threads) Join(t);
        Assert.Equal(0, lot.CountWaiters(_memory, 0) + lot.CountWaiters(_memory, 1));
        Assert.Equal(0, outcomes[(int)ParkResult.NotEqual]);
        Assert.True(outcomes[(int)ParkResult.TimedOut] > 0);
    }

    [Theory]
    [InlineData(-1L, null)]
    [InlineData(0L, 0L)]
    [InlineData(1L, 1L)]
    [InlineData(100L, 1L)]
    [InlineData(101L, 2L)]
    [InlineData(1_000_000L, 10_000L)]
    public void WasmTimeoutsRoundUpToTicks(long nanoseconds, long? expectedTicks) =>
        Assert.Equal(expectedTicks, ParkingLot.TimeoutFromNanoseconds(nanoseconds)?.Ticks);
}
