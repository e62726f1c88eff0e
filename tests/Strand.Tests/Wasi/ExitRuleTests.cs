using System.Diagnostics;
using System.Text;
using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Strand.Wasi;
using Xunit;

namespace Strand.Tests.Wasi;

/// <summary>
/// wasi-threads' exit rules (proc_exit, a trap or _start returning ends every thread, at once) and interruption of
/// blocked programs. Ordering is made deterministic with host imports and events, never with sleeps; the time
/// bounds asserted (a few seconds against waits of an hour or forever) only detect hangs.
/// </summary>
public sealed class ExitRuleTests
{
    /// <summary>Generous bound for "at once": the programs below would otherwise block for an hour or forever.</summary>
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(5);

    /// <summary>A standard input whose reads block until the test ends (an idle pipe); <see cref="Reading"/> is set inside a read.</summary>
    private sealed class BlockingInput : Stream
    {
        private readonly ManualResetEventSlim _release = new();
        public readonly ManualResetEventSlim Reading = new();
        public override int Read(byte[] buffer, int offset, int count)
        {
            Reading.Set();
            _release.Wait();
            return 0;
        }
        public void Release() => _release.Set();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private const string Imports = """
          (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (import "env" "wait_until_reading" (func $wait_until_reading))
        """;

    /// <summary>Reads one byte from fd 0 (iovec at 100, buffer at 200, count at 300).</summary>
    private const string ReadStdin = """
        (i32.store (i32.const 100) (i32.const 200)) (i32.store (i32.const 104) (i32.const 1))
        (drop (call $fd_read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 300)))
        """;

    /// <summary>poll_oneoff on one relative monotonic clock of an hour (subscription at 400, event at 512, count at 600).</summary>
    private const string SleepAnHour = """
        (i32.store8 (i32.const 408) (i32.const 0)) (i32.store (i32.const 416) (i32.const 1))
        (i64.store (i32.const 424) (i64.const 3600000000000)) (i32.store16 (i32.const 440) (i32.const 0))
        (drop (call $poll (i32.const 400) (i32.const 512) (i32.const 1) (i32.const 600)))
        """;

    private static (int? ExitCode, Exception? Error, TimeSpan Elapsed) Run(string wat, BlockingInput input, CancellationToken cancel = default,
        Action<Linker>? define = null)
    {
        var module = Module.Compile(WatParser.ParseModule(wat));
        var linker = new Linker();
        if (define is not null) define(linker);
        if (!linker.TryGet("env", "wait_until_reading", out _))
            linker.DefineFunction("env", "wait_until_reading", new Action(() =>
            {
                if (!input.Reading.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("the other thread never read");
            }));
        using var context = new WasiConfiguration().WithArguments("p").WithStandardInput(input)
            .WithStandardOutput(new MemoryStream()).WithStandardError(new MemoryStream()).Build();
        var clock = Stopwatch.StartNew();
        int? code = null;
        Exception? error = null;
        // On its own thread, so that a hang is a failed assertion rather than a test run that never ends.
        var runner = new Thread(() =>
        {
            try { code = WasiHost.RunCommand(module, context, linker, cancellationToken: cancel); }
            catch (Exception e) { error = e; }
        }, 16 * 1024 * 1024) { IsBackground = true };
        runner.Start();
        bool ended = runner.Join(TimeSpan.FromSeconds(30));
        var elapsed = clock.Elapsed;
        input.Release(); // let an abandoned reader go
        Assert.True(ended, "the program did not end within 30 s");
        return (code, error, elapsed);
    }

    [Fact]
    public void ProcExitOnAThreadEndsTheProgramWhileStartIsBlockedInARead()
    {
        var input = new BlockingInput();
        var (code, error, elapsed) = Run($$"""
            (module {{Imports}}
              (memory (export "memory") 1 1 shared)
              (func (export "wasi_thread_start") (param i32 i32) (call $wait_until_reading) (call $exit (i32.const 7)))
              (func (export "_start") (drop (call $spawn (i32.const 0))) {{ReadStdin}} unreachable))
            """, input);
        Assert.Null(error);
        Assert.Equal(7, code);
        Assert.True(elapsed < HangBound, $"took {elapsed}");
    }

    [Fact]
    public void ProcExitOnStartEndsTheProgramWhileAThreadIsBlockedInARead()
    {
        var input = new BlockingInput();
        var (code, error, elapsed) = Run($$"""
            (module {{Imports}}
              (memory (export "memory") 1 1 shared)
              (func (export "wasi_thread_start") (param i32 i32) {{ReadStdin}} unreachable)
              (func (export "_start") (drop (call $spawn (i32.const 0))) (call $wait_until_reading) (call $exit (i32.const 9))))
            """, input);
        Assert.Null(error);
        Assert.Equal(9, code);
        Assert.True(elapsed < HangBound, $"took {elapsed}");
    }

    [Fact]
    public void ReturningFromStartEndsTheProgramWhileAThreadIsBlockedInARead()
    {
        var input = new BlockingInput();
        var (code, error, elapsed) = Run($$"""
            (module {{Imports}}
              (memory (export "memory") 1 1 shared)
              (func (export "wasi_thread_start") (param i32 i32) {{ReadStdin}} unreachable)
              (func (export "_start") (drop (call $spawn (i32.const 0))) (call $wait_until_reading)))
            """, input);
        Assert.Null(error);
        Assert.Equal(0, code);
        Assert.True(elapsed < HangBound, $"took {elapsed}");
    }

    [Fact]
    public void ATrapOnAThreadEndsTheProgramWhileStartSleepsInPollOneoff()
    {
        var input = new BlockingInput();
        // Thread: waits (atomically) until _start has announced it is about to sleep, then traps.
        var (code, error, elapsed) = Run($$"""
            (module {{Imports}}
              (memory (export "memory") 1 1 shared)
              (func (export "wasi_thread_start") (param i32 i32)
                (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
                unreachable)
              (func (export "_start")
                (drop (call $spawn (i32.const 0)))
                (i32.atomic.store (i32.const 0) (i32.const 1))
                (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
                {{SleepAnHour}}))
            """, input);
        Assert.Null(code);
        var trap = Assert.IsType<TrapException>(error);
        Assert.Equal(TrapCode.Unreachable, trap.Code);
        Assert.Equal(2, Assert.IsType<ThreadGroupException>(trap.InnerException).ThreadId);
        Assert.True(elapsed < HangBound, $"took {elapsed}");
    }

    [Fact]
    public void CancellingAThreadedProgramIsReportedAsAnInterruptionNotASuccess()
    {
        var input = new BlockingInput();
        using var cancel = new CancellationTokenSource();
        // _start spins; the spawned thread has the host cancel the run, then sleeps an hour.
        var (code, error, elapsed) = Run($$"""
            (module {{Imports}}
              (import "env" "cancel" (func $cancel))
              (memory (export "memory") 1 1 shared)
              (func (export "wasi_thread_start") (param i32 i32) (call $cancel) {{SleepAnHour}})
              (func (export "_start") (drop (call $spawn (i32.const 0))) (loop $l (br $l))))
            """, input, cancel.Token, linker => linker.DefineFunction("env", "cancel", new Action(cancel.Cancel)));
        Assert.Null(code);
        var trap = Assert.IsType<TrapException>(error);
        Assert.Equal(TrapCode.Interrupted, trap.Code);
        Assert.StartsWith("interrupted", trap.Message);
        Assert.True(elapsed < HangBound, $"took {elapsed}");
    }

    [Fact]
    public void CancellingAProgramSleepingInPollOneoffWakesIt()
    {
        using var cancel = new CancellationTokenSource();
        var (code, error, elapsed) = Run($$"""
            (module {{Imports.Replace("(import \"wasi\" \"thread-spawn\" (func $spawn (param i32) (result i32)))", "")}}
              (import "env" "cancel" (func $cancel))
              (memory (export "memory") 1)
              (func (export "_start") (call $cancel) {{SleepAnHour}}))
            """, new BlockingInput(), cancel.Token, linker => linker.DefineFunction("env", "cancel", new Action(cancel.Cancel)));
        Assert.Null(code);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(error).Code);
        Assert.True(elapsed < HangBound, $"took {elapsed}");
    }

    [Fact]
    public void CancellingAProgramWaitingOnItsOwnSharedMemoryWakesIt()
    {
        using var cancel = new CancellationTokenSource();
        // A single-threaded program waits forever on its own (defined) shared memory; the host cancels from another
        // thread once the guest is about to wait (a wait that starts after the cancellation traps at once too).
        var (code, error, elapsed) = Run("""
            (module
              (import "env" "cancel_soon" (func $cancel_soon))
              (memory (export "memory") 1 1 shared)
              (func (export "_start")
                (call $cancel_soon)
                (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))
            """, new BlockingInput(), cancel.Token,
            linker => linker.DefineFunction("env", "cancel_soon", new Action(() => cancel.CancelAfter(50))));
        Assert.Null(code);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(error).Code);
        Assert.True(elapsed < HangBound, $"took {elapsed}");
    }

    [Theory]
    [InlineData("(func (export \"_start\") (param i32))", "\"_start\" must have type [] -> [], not [i32] -> []")]
    [InlineData("(func (export \"_start\") (result i32) (i32.const 0))", "\"_start\" must have type [] -> [], not [] -> [i32]")]
    [InlineData("(global (export \"_start\") i32 (i32.const 0))", "the module's \"_start\" export is a global, not a function")]
    public void AStartOfTheWrongKindOrTypeIsALinkError(string start, string message)
    {
        foreach (var threads in new[] { false, true })
        {
            string wat = threads
                ? $"(module (import \"wasi\" \"thread-spawn\" (func (param i32) (result i32))) (memory (export \"memory\") 1 1 shared) (func (export \"wasi_thread_start\") (param i32 i32)) {start})"
                : $"(module (memory (export \"memory\") 1) {start})";
            var (_, error, _) = Run(wat, new BlockingInput());
            Assert.Equal(message, Assert.IsType<LinkException>(error).Message);
        }
    }

    [Fact]
    public void SpawningWorksWhenTheMemoryIsAtItsMaximumAndTheModuleHasThreadLocals()
    {
        // A module with thread-locals (__tls_base and friends) in a memory that cannot grow: the guest places TLS
        // itself, so the host must not take a page per thread for a TLS block of its own (it used to fail to start _start).
        var (code, error, _) = Run($$"""
            (module {{Imports}}
              (memory (export "memory") 1 1 shared)
              (global $sp (export "__stack_pointer") (mut i32) (i32.const 4096))
              (global (export "__tls_base") (mut i32) (i32.const 0))
              (global (export "__tls_size") i32 (i32.const 64))
              (global (export "__tls_align") i32 (i32.const 16))
              (func (export "wasi_thread_start") (param $tid i32) (param i32)
                (i32.atomic.store (i32.const 0) (local.get $tid))
                (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
              (func (export "_start") (local $tid i32)
                (local.set $tid (call $spawn (i32.const 0)))
                (if (i32.le_s (local.get $tid) (i32.const 0)) (then (call $exit (i32.const 1))))
                (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
                (call $exit (i32.add (i32.const 40) (i32.atomic.load (i32.const 0))))))
            """, new BlockingInput(), default, linker => linker.DefineFunction("env", "wait_until_reading", new Action(() => { })));
        Assert.Null(error);
        Assert.Equal(41, code);
    }

    [Fact]
    public void ThreadSpawnReturnsANegativeValueWhenNoThreadCanBeStarted()
    {
        var threads = new WasiThreads();
        Assert.Equal(-1, threads.Spawn(0)); // no program attached
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (import "wasi" "thread-spawn" (func (param i32) (result i32)))
              (memory (export "memory") 1 1 shared)
              (func (export "wasi_thread_start") (param i32 i32))
              (func (export "_start")))
            """));
        var linker = new Linker();
        threads.Define(linker);
        using var group = new ThreadGroup(module, new ThreadGroupOptions { Linker = linker, StackMode = StackMode.GuestPlaced, CheckStackBounds = false });
        threads.Attach(group);
        int first = threads.Spawn(7);
        Assert.Equal(1, first);
        group.Cancel(); // the program is ending: no new thread may join it
        Assert.Equal(-1, threads.Spawn(8));
    }
}
