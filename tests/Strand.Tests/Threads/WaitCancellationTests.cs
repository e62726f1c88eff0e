using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// Waiting for a thread group with a <see cref="CancellationToken"/> and asynchronously. The guest threads park on a flag
/// in shared memory that only the test sets, so whether they are still running is certain, never a matter of timing.
/// </summary>
public class WaitCancellationTests
{
    private const string Wat = """
        (module (memory 1 1 shared)
          (func (export "park") (result i32)
            (block $released (loop $wait
              (br_if $released (i32.atomic.load (i32.const 0)))
              (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
              (br $wait)))
            (i32.const 42))
          (func (export "release")
            (i32.atomic.store (i32.const 0) (i32.const 1))
            (drop (memory.atomic.notify (i32.const 0) (i32.const -1))))
          (func (export "boom") (unreachable)))
        """;

    private static readonly Lazy<Module> Compiled = new(() => Module.Compile(WatParser.ParseModule(Wat)));

    [Fact]
    public void WaitAllWithACancelledTokenStopsWaitingNotTheThreads()
    {
        using var group = new ThreadGroup(Compiled.Value);
        var parked = group.Spawn("park");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var e = Assert.ThrowsAny<OperationCanceledException>(() => group.WaitAll(cts.Token));
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Throws<OperationCanceledException>(() => parked.Join(Timeout.InfiniteTimeSpan, cts.Token));
        Assert.False(parked.IsCompleted);

        group.Spawn("release");
        group.WaitAll(CancellationToken.None);
        Assert.Equal(42, parked.Result![0].AsI32);
    }

    [Fact]
    public async Task WaitAllAsyncCompletesWhenTheLastThreadDoes()
    {
        using var group = new ThreadGroup(Compiled.Value);
        var parked = group.Spawn("park");
        var waiting = group.WaitAllAsync();
        Assert.False(waiting.IsCompleted); // the thread cannot finish before the release below
        Assert.False(parked.Completion.IsCompleted);
        group.Spawn("release");
        await waiting.WaitAsync(ThreadFixtures.JoinTimeout);
        Assert.True(parked.Completion.IsCompletedSuccessfully);
        Assert.Equal(42, parked.Result![0].AsI32);
    }

    [Fact]
    public async Task WaitAllAsyncFailsWithTheFirstError()
    {
        using var group = new ThreadGroup(Compiled.Value);
        var boom = group.Spawn("boom");
        var error = await Assert.ThrowsAsync<ThreadGroupException>(() => group.WaitAllAsync().WaitAsync(ThreadFixtures.JoinTimeout));
        Assert.Equal(boom.Id, error.ThreadId);
        Assert.Equal(TrapCode.Unreachable, Assert.IsType<TrapException>(error.InnerException).Code);
    }

    [Fact]
    public async Task CancellingWaitAllAsyncLeavesTheThreadsRunning()
    {
        using var group = new ThreadGroup(Compiled.Value);
        var parked = group.Spawn("park");
        using var cts = new CancellationTokenSource();
        var waiting = group.WaitAllAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.False(parked.IsCompleted);
        group.Spawn("release");
        await group.WaitAllAsync().WaitAsync(ThreadFixtures.JoinTimeout);
        Assert.Equal(42, parked.Result![0].AsI32);
    }
}
