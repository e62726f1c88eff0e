using Strand.Runtime;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>Fixture modules for the thread tests (compiled once per test run).</summary>
internal static class ThreadFixtures
{
    /// <summary>Every wait in these tests is bounded, so a bug fails the test instead of hanging CI.</summary>
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, Module> Cache = new();

    public static Module Load(string relativePath)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(relativePath, out var module))
                Cache[relativePath] = module = Module.FromFile(Path.Combine(AppContext.BaseDirectory, "fixtures", relativePath));
            return module;
        }
    }

    /// <summary>Waits (bounded) for every thread; returns the group's failure instead of throwing it.</summary>
    public static Exception? Finish(ThreadGroup group)
    {
        try
        {
            Assert.True(group.WaitAll(JoinTimeout), "the thread group did not finish within the time limit");
            return null;
        }
        catch (Exception e) when (e is ThreadGroupException or OperationCanceledException or TimeoutException)
        {
            return e;
        }
    }
}

public class ThreadGroupTests
{
    // frame_check: each thread fills a 16 KiB frame with its own pattern, meets the others on an atomic
    // barrier (memory.atomic.wait32/notify in the guest), then counts the words that lost its pattern.
    private const int FrameWords = 4096;
    private const int BarrierCounter = 0x1F000; // inside the initial 2 pages, outside every stack and the data

    private static (ThreadGroup Group, WasmThread[] Threads) RunFrameCheck(StackMode mode, int threadCount)
    {
        var group = new ThreadGroup(ThreadFixtures.Load("threads/frame_check.wasm"), new ThreadGroupOptions { StackMode = mode });
        var threads = Enumerable.Range(0, threadCount)
            .Select(i => group.Spawn("fill_and_check", Value.I32(1000 + i), Value.I32(BarrierCounter), Value.I32(threadCount)))
            .ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        return (group, threads);
    }

    [Fact]
    public void SharedStacksCorruptFramesAndEveryCollisionIsReported()
    {
        var (group, threads) = RunFrameCheck(StackMode.Shared, 4);
        using var _ = group;
        // All threads fill before anyone checks, so exactly one thread's pattern survives.
        Assert.Equal(3 * FrameWords, threads.Sum(t => t.Result![0].AsI32));
        // The linker's stack [1056, 66592) minus the 128-byte red-zone band at its bottom (frame_check has a red-zone leaf).
        Assert.All(threads, t => Assert.Equal(new AddressRange(1056 + 128, 66592), t.StackRange));
        Assert.All(threads, t => Assert.Equal(new AddressRange(1056, 1056 + 128), t.RedZoneBand));

        // Thread k starts inside each of threads 1..k-1 (all alive: they wait on the barrier): 1 + 2 + 3 reports.
        var collisions = group.Collisions;
        Assert.Equal(6, collisions.Count);
        Assert.Equal(
            [(2, 1), (3, 1), (3, 2), (4, 1), (4, 2), (4, 3)],
            collisions.Select(c => (c.ThreadId, c.OtherThreadId)).ToArray());
        Assert.Equal("thread 2 starts with __stack_pointer 0x00010420 inside thread 1's live stack [0x000004a0, 0x00010420)", collisions[0].Message);
    }

    [Fact]
    public void IsolatedStacksKeepEveryFrameIntact()
    {
        var (group, threads) = RunFrameCheck(StackMode.Isolated, 4);
        using var _ = group;
        Assert.All(threads, t => Assert.Equal(0, t.Result![0].AsI32));
        Assert.Empty(group.Collisions);

        // Thread 1 keeps the linker's stack (minus its red-zone band); the others get 64 KiB regions above the
        // initial memory, disjoint: a band of 128 bytes, then a stack of the same usable size as thread 1's.
        Assert.Equal(new AddressRange(1056 + 128, 66592), threads[0].StackRange);
        var ranges = threads.Select(t => t.StackRange!.Value).ToArray();
        for (int i = 0; i < ranges.Length; i++)
            for (int j = i + 1; j < ranges.Length; j++)
                Assert.False(ranges[i].Overlaps(ranges[j]), $"stacks {ranges[i]} and {ranges[j]} overlap");
        foreach (var r in ranges.Skip(1))
        {
            Assert.True(r.Start >= 2 * 65536, $"stack {r} lies inside the module's initial memory");
            Assert.Equal(0u, (uint)(r.End % 16));
            Assert.Equal(ranges[0].Size, r.Size);
        }
        foreach (var t in threads.Skip(1))
        {
            Assert.Equal(65536UL - 128, t.StackRange!.Value.Size);
            Assert.Equal(new AddressRange(t.StackRange.Value.Start - 128, t.StackRange.Value.Start), t.RedZoneBand);
            Assert.Equal(0UL, t.RedZoneBand!.Value.Start % 65536); // the band is the bottom of the thread's page-aligned region
        }
        Assert.Equal(2u + 3u, group.Memory!.Pages);
    }

    [Fact]
    public void ThreadIdsAreOneBasedAndInstancesShareTheMemory()
    {
        var (group, threads) = RunFrameCheck(StackMode.Isolated, 2);
        using var _ = group;
        Assert.Equal([1, 2], threads.Select(t => t.Id).ToArray());
        Assert.All(threads, t => Assert.Same(group.Memory, t.Instance!.Memory));
        Assert.Equal(2, group.Memory!.ReadInt32(BarrierCounter));
    }

    [Theory]
    [InlineData("seed/algorithm_threads.wasm")]
    [InlineData("seed/algorithm_threads_stripped.wasm")]
    public void SeedAlgorithmIsCorrectOnIsolatedStacks(string fixture)
    {
        using var group = new ThreadGroup(ThreadFixtures.Load(fixture), new ThreadGroupOptions { StartTogether = true });
        var threads = new[] { group.Spawn("algorithm"), group.Spawn("algorithm") };
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.All(threads, t => Assert.Equal(5172326400000L, t.Result![0].AsI64));
        Assert.Equal(0u, group.StackPointerGlobal);
        Assert.Equal(new AddressRange(0, 66560), threads[0].StackRange);
        Assert.False(threads[0].StackRange!.Value.Overlaps(threads[1].StackRange!.Value));
    }

    [Fact]
    public void ThreadLocalsAreInitialisedPerThreadWithInitTls()
    {
        using var group = new ThreadGroup(ThreadFixtures.Load("threads/tls.wasm"));
        var values = Enumerable.Range(0, 3).Select(_ => group.Spawn("tls_get")).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.All(values, t => Assert.Equal(42, t.Result![0].AsI32));
    }

    [Theory]
    [InlineData("threads/tls.wasm")]
    [InlineData("threads/tls_unexported.wasm")]
    public void EachThreadHasItsOwnTlsBlock(string fixture)
    {
        using var group = new ThreadGroup(ThreadFixtures.Load(fixture), new ThreadGroupOptions { StartTogether = true });
        var threads = Enumerable.Range(0, 3).Select(_ => group.Spawn("tls_value_address")).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        var addresses = threads.Select(t => t.Result![0].AsI32).ToArray();
        Assert.Equal(3, addresses.Distinct().Count());
        foreach (var t in threads)
        {
            Assert.Equal((int)t.TlsBlock!.Value.Start, t.Result![0].AsI32);
            Assert.False(t.TlsBlock!.Value.Overlaps(t.StackRange!.Value));
            // The template was copied: tls_value starts at 42 in every block.
            Assert.Equal(42, group.Memory!.ReadInt32((long)t.TlsBlock!.Value.Start));
        }
    }

    [Fact]
    public void ThreadLocalCountersAreIndependentAndTheSharedCounterIsShared()
    {
        using var group = new ThreadGroup(ThreadFixtures.Load("threads/tls_unexported.wasm"));
        var first = group.Spawn("tls_bump");
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        var second = group.Spawn("tls_bump");
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(1, first.Result![0].AsI32);
        Assert.Equal(1, second.Result![0].AsI32);
        Assert.Equal(2, group.Memory!.ReadInt32(1032)); // process_counter
    }

    [Fact]
    public void DeepRecursionTrapsAtTheStackBoundInsteadOfCorruptingData()
    {
        var module = ThreadFixtures.Load("threads/recursion.wasm");
        using (var fits = new ThreadGroup(module))
        {
            var ok = fits.Spawn("recurse", Value.I32(63));
            Assert.Null(ThreadFixtures.Finish(fits));
            Assert.Equal(0, ok.Result![0].AsI32);
        }

        using var group = new ThreadGroup(module);
        var thread = group.Spawn("recurse", Value.I32(64));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(1, error.ThreadId);
        var trap = Assert.IsType<TrapException>(error.InnerException);
        Assert.Equal(TrapCode.ShadowStackOverflow, trap.Code);
        Assert.StartsWith("shadow stack overflow in thread 1: __stack_pointer would be 0x00000", trap.Message);
        Assert.Contains("below its stack [0x00000510, 0x00010510)", trap.Message);
        Assert.Same(trap, thread.Error);

        // The 256-byte data guard at 1024 (words alternating 0xA5A5A5A5, 0x5A5A5A5A) and the init flag (2) are intact.
        for (int i = 0; i < 64; i++) Assert.Equal(i % 2 == 0 ? unchecked((int)0xA5A5A5A5) : 0x5A5A5A5A, group.Memory!.ReadInt32(1024 + 4 * i));
        Assert.Equal(2, group.Memory!.ReadInt32(1280));
    }

    [Fact]
    public void ExtraThreadsOverflowTheirOwnConfiguredStack()
    {
        var module = ThreadFixtures.Load("threads/recursion.wasm");
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 16 * 1024 });
        var main = group.Spawn("recurse", Value.I32(30));
        Assert.True(main.Join(ThreadFixtures.JoinTimeout));
        var small = group.Spawn("recurse", Value.I32(10));
        Assert.True(small.Join(ThreadFixtures.JoinTimeout));
        Assert.Equal(0, small.Result![0].AsI32);
        var deep = group.Spawn("recurse", Value.I32(20));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(3, error.ThreadId);
        Assert.Contains("shadow stack overflow in thread 3", error.InnerException!.Message);
        Assert.Contains("raise --stack-size", error.InnerException.Message);
        Assert.Equal(0, main.Result![0].AsI32);
        Assert.Equal(16 * 1024UL, small.StackRange!.Value.Size);
        Assert.Equal(small.StackRange, deep.StackRange); // the finished thread's region was reused
    }

    [Fact]
    public void SpawnFailsWithAClearMessageWhenTheMemoryIsFull()
    {
        using var group = new ThreadGroup(ThreadFixtures.Load("threads/spin.wasm"));
        var first = group.Spawn("never_set_address");
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        Assert.NotEqual(-1, group.Memory!.Grow((uint)(group.Memory.MaximumPages!.Value - group.Memory.Pages)));
        var error = Assert.Throws<ThreadSpawnException>(() => group.Spawn("never_set_address"));
        Assert.Equal("cannot place a 65408 bytes shadow stack for thread 2: memory is at its maximum of 256 pages; relink with a larger --max-memory or lower --stack-size", error.Message);
    }
}

public class ThreadGroupStopTests
{
    private static Module Spin => ThreadFixtures.Load("threads/spin.wasm");
    private const int NeverSet = 1024;

    [Fact]
    public void TrapInOneThreadStopsSpinningAndWaitingThreads()
    {
        using var group = new ThreadGroup(Spin);
        var spinner = group.Spawn("spin_forever");
        var waiter = group.Spawn("wait_forever", Value.I32(NeverSet));
        // Make sure the waiter is really parked before the trap, so the interruption reaches a blocked thread.
        WaitUntil(() => group.Memory!.ParkingLot.CountWaiters(group.Memory!, NeverSet) == 1);
        var trapper = group.Spawn("trap_now");

        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(3, error.ThreadId);
        Assert.Equal(TrapCode.Unreachable, Assert.IsType<TrapException>(error.InnerException).Code);
        Assert.Same(error, group.FirstError);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(spinner.Error).Code);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(waiter.Error).Code);
        Assert.Same(error.InnerException, trapper.Error);
        Assert.Equal(0, group.Memory!.ParkingLot.CountWaiters(group.Memory!, NeverSet));
    }

    [Fact]
    public void TimeoutStopsTheGroup()
    {
        using var group = new ThreadGroup(Spin, new ThreadGroupOptions { Timeout = TimeSpan.FromMilliseconds(200) });
        var a = group.Spawn("spin_forever");
        var b = group.Spawn("wait_forever", Value.I32(NeverSet));
        Assert.IsType<TimeoutException>(ThreadFixtures.Finish(group));
        Assert.Null(group.FirstError);
        Assert.All(new[] { a, b }, t => Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(t.Error).Code));
    }

    [Fact]
    public void CancellationTokenStopsTheGroup()
    {
        using var cts = new CancellationTokenSource();
        using var group = new ThreadGroup(Spin, new ThreadGroupOptions { CancellationToken = cts.Token });
        var a = group.Spawn("spin_forever");
        cts.Cancel();
        Assert.IsType<OperationCanceledException>(ThreadFixtures.Finish(group));
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(a.Error).Code);
        Assert.Throws<InvalidOperationException>(() => group.Spawn("spin_forever"));
    }

    [Fact]
    public void WaitTimeoutAndNotifyWorkAcrossThreads()
    {
        using var group = new ThreadGroup(Spin);
        var timedOut = group.Spawn("wait_timeout", Value.I32(NeverSet), Value.I32(0), Value.I64(20_000_000));
        Assert.True(timedOut.Join(ThreadFixtures.JoinTimeout));
        Assert.Equal(2, timedOut.Result![0].AsI32);
        var notEqual = group.Spawn("wait_timeout", Value.I32(NeverSet), Value.I32(7), Value.I64(-1));
        Assert.True(notEqual.Join(ThreadFixtures.JoinTimeout));
        Assert.Equal(1, notEqual.Result![0].AsI32);

        var waiter = group.Spawn("wait_forever", Value.I32(NeverSet));
        WaitUntil(() => group.Memory!.ParkingLot.CountWaiters(group.Memory!, NeverSet) == 1);
        var notifier = group.Spawn("notify", Value.I32(NeverSet), Value.I32(5));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(1, notifier.Result![0].AsI32);
        Assert.Equal(0, waiter.Result![0].AsI32);
    }

    internal static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + ThreadFixtures.JoinTimeout;
        var spin = new SpinWait();
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            spin.SpinOnce();
        }
    }
}

public class ThreadGroupAtomicsTests
{
    private static Module Counter => ThreadFixtures.Load("threads/counter.wasm");

    [Fact]
    public void AtomicAddsFromManyThreadsAreNotLost()
    {
        using var group = new ThreadGroup(Counter, new ThreadGroupOptions { StartTogether = true });
        for (int i = 0; i < 4; i++) group.Spawn("add_global_n", Value.I32(100_000));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(400_000, group.Memory!.ReadInt32(1024));
    }

    [Fact]
    public void PingPongWithWaitAndNotify()
    {
        using var group = new ThreadGroup(Counter, new ThreadGroupOptions { StartTogether = true });
        var a = group.Spawn("ping_pong", Value.I32(0), Value.I32(2000));
        var b = group.Spawn("ping_pong", Value.I32(1), Value.I32(2000));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(2000, a.Result![0].AsI32);
        Assert.Equal(2000, b.Result![0].AsI32);
        Assert.Equal(0, group.Memory!.ReadInt32(1028));
    }
}
