using System.Text;
using Microsoft.Extensions.Logging;
using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// <see cref="Diagnostic"/>s reach an <see cref="ILogger"/> through the one-line adapter docs/embedding.md gives:
/// compile reports, stack collisions, failed threads and stopped groups. Threads are ordered by flags and joins, never by timing.
/// </summary>
public class DiagnosticTests
{
    /// <summary>An ILogger that keeps what it is given.</summary>
    private sealed class RecordingLogger : ILogger
    {
        public readonly List<(LogLevel Level, EventId Id, Exception? Exception, string Message)> Entries = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries) Entries.Add((logLevel, eventId, exception, formatter(state, exception)));
        }
    }

    /// <summary>The adapter of docs/embedding.md, as a user writes it.</summary>
    private static Action<Diagnostic> ToLogger(ILogger logger) =>
        d => logger.Log((LogLevel)d.Level, new EventId((int)d.Event, d.Event.ToString()), d.Exception, "{Message}", d.Message);

    [Fact]
    public void LevelsMatchLogLevel()
    {
        foreach (var level in Enum.GetValues<DiagnosticLevel>())
            Assert.Equal(level.ToString(), ((LogLevel)level).ToString());
    }

    [Fact]
    public void AFailedThreadIsLoggedAsAnErrorWithItsTrap()
    {
        var logger = new RecordingLogger();
        var module = Module.Compile(WatParser.ParseModule("""
            (module (memory 1 1 shared)
              (func (export "ok") (result i32) (i32.const 1))
              (func (export "boom") (unreachable)))
            """));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { Diagnostics = ToLogger(logger) });
        var ok = group.Spawn("ok");
        Assert.True(ok.Join(ThreadFixtures.JoinTimeout));
        var boom = group.Spawn("boom");
        Assert.True(boom.Join(ThreadFixtures.JoinTimeout));
        Assert.Throws<ThreadGroupException>(() => group.WaitAll());

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal(new EventId(2, "ThreadFailed"), entry.Id);
        Assert.Equal(TrapCode.Unreachable, Assert.IsType<TrapException>(entry.Exception).Code);
        Assert.StartsWith("thread 2 failed: ", entry.Message);
    }

    [Fact]
    public void ACancelledGroupIsLoggedOnceAndItsInterruptedThreadsAreNotFailures()
    {
        var logger = new RecordingLogger();
        var module = Module.Compile(WatParser.ParseModule("""
            (module (memory 1 1 shared)
              (func (export "spin") (i32.atomic.store (i32.const 0) (i32.const 1)) (loop (br 0))))
            """));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { Diagnostics = ToLogger(logger) });
        var spinner = group.Spawn("spin");
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref group.Memory!.GetSpan(0, 1)[0]) != 0, ThreadFixtures.JoinTimeout));
        group.Cancel();
        Assert.True(spinner.Join(ThreadFixtures.JoinTimeout));
        Assert.ThrowsAny<OperationCanceledException>(() => group.WaitAll());

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal(new EventId(3, "ThreadGroupStopped"), entry.Id);
        Assert.IsType<OperationCanceledException>(entry.Exception);
    }

    [Fact]
    public void AStackCollisionIsLoggedAsAWarningWithItsStructuredRecord()
    {
        var diagnostics = new List<Diagnostic>();
        // Thread 2 sets its stack top inside what thread 1 was seen to use, [0xff00, 0x10000), while thread 1 is parked on a flag.
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (memory 4 16 shared)
              (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
              (func (export "park")
                (global.set $sp (i32.const 0xff00))
                (i32.atomic.store (i32.const 0x100) (i32.const 1))
                (block $released (loop $wait
                  (br_if $released (i32.atomic.load (i32.const 0x104)))
                  (drop (memory.atomic.wait32 (i32.const 0x104) (i32.const 0) (i64.const -1)))
                  (br $wait))))
              (func (export "collide") (global.set $sp (i32.const 0xff80)))
              (func (export "release")
                (i32.atomic.store (i32.const 0x104) (i32.const 1))
                (drop (memory.atomic.notify (i32.const 0x104) (i32.const -1)))))
            """));
        using var group = new ThreadGroup(module, new ThreadGroupOptions
        {
            StackMode = StackMode.GuestPlaced,
            CheckStackBounds = false,
            DetectCrossThreadStackPointers = true,
            Diagnostics = d => { lock (diagnostics) diagnostics.Add(d); },
        });
        var main = group.Spawn("park");
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref group.Memory!.GetSpan(0x100, 1)[0]) != 0, ThreadFixtures.JoinTimeout));
        var collider = group.Spawn("collide");
        Assert.True(collider.Join(ThreadFixtures.JoinTimeout));
        group.Spawn("release");
        Assert.Null(ThreadFixtures.Finish(group));

        var d = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticLevel.Warning, d.Level);
        Assert.Equal(DiagnosticEvent.StackCollision, d.Event);
        Assert.Equal(2, d.ThreadId);
        Assert.Equal(group.Collisions.Single(), d.Collision);
        Assert.Equal(d.Collision!.Message, d.Message);
    }

    [Fact]
    public void AFunctionTooBigToOptimiseIsReportedOnceWhenGenerated()
    {
        // About 48,000 instructions of straight-line code: well over the JIT's 60,000-byte IL limit. Inside a try_table,
        // so the function splitter (which outlines nothing inside a try) cannot bring it under the limit.
        var body = new StringBuilder();
        for (int i = 0; i < 12000; i++) body.Append("(local.set 0 (i32.add (local.get 0) (i32.const ").Append(i).Append(")))\n");
        var wat = $"(module (func (export \"small\") (result i32) (i32.const 1)) (func (export \"big\") (param i32) (result i32) (block $h (try_table (catch_all $h) {body})) (local.get 0)))";
        var logger = new RecordingLogger();
        var module = Module.Compile(WatParser.ParseModule(wat), new CompileOptions { Diagnostics = ToLogger(logger) });
        var instance = new Linker().Instantiate(module);
        Assert.Equal(1, instance.Invoke("small")[0].AsI32);
        Assert.Equal(Enumerable.Range(0, 12000).Sum(), instance.Invoke("big", Value.I32(0))[0].AsI32);
        Assert.Equal(Enumerable.Range(0, 12000).Sum() + 2, instance.Invoke("big", Value.I32(2))[0].AsI32);

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(new EventId(4, "FunctionNotOptimized"), entry.Id);
        Assert.Contains("over the JIT's optimisation limit of 60,000", entry.Message);
    }
}
