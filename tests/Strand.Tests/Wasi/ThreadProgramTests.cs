using System.Text;
using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Strand.Wasi;
using Xunit;

namespace Strand.Tests.Wasi;

/// <summary>
/// The fixtures/wasi-threads programs (freestanding C, their own wasi_thread_start) through
/// <see cref="WasiHost.RunCommand"/>, compared with what bench/node/wasi-threads-run.mjs printed in Node.
/// </summary>
public sealed class ThreadProgramTests
{
    private sealed record Outcome(int ExitCode, string Stdout, string Stderr, WasiContext Context);

    private static Outcome Run(string name, WasiThreadsOptions? options = null)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var context = new WasiConfiguration().WithArguments(name + ".wasm")
            .WithStandardInput(new MemoryStream()).WithStandardOutput(stdout).WithStandardError(stderr).Build();
        int exitCode = WasiHost.RunCommand(Module.FromFile(ProgramTests.FixturePath("wasi-threads", name)), context, threads: options);
        context.Dispose();
        return new Outcome(exitCode, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()), context);
    }

    [Fact]
    public void ThreadsShareWorkThroughAtomicsOnTheirOwnStacks()
    {
        var outcome = Run("counter");
        Assert.Equal(
            """
            spawning threads
            threads done: 4
            sum: 100000
            expected: 100000
            thread ids valid and unique: 1
            threads saw their own id: 1
            stack words damaged: 0

            """, outcome.Stdout);
        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public void ProcExitOnASpawnedThreadEndsTheProgram()
    {
        var outcome = Run("exit_thread");
        Assert.Equal("main: spawning\nthread: exiting with 5\n", outcome.Stdout);
        Assert.Equal(5, outcome.ExitCode);
        Assert.Equal(5, outcome.Context.ExitCode);
    }

    [Fact]
    public void TrapOnASpawnedThreadEndsTheProgramWithThatTrap()
    {
        var stdout = new MemoryStream();
        using var context = new WasiConfiguration().WithArguments("trap_thread.wasm")
            .WithStandardInput(new MemoryStream()).WithStandardOutput(stdout).WithStandardError(new MemoryStream()).Build();
        var trap = Assert.Throws<TrapException>(() =>
            WasiHost.RunCommand(Module.FromFile(ProgramTests.FixturePath("wasi-threads", "trap_thread")), context));
        Assert.Equal(TrapCode.Unreachable, trap.Code);
        Assert.Equal("unreachable", trap.Message);
        // The group's report says which thread failed: the spawned one (group thread 2; _start is 1).
        var failure = Assert.IsType<ThreadGroupException>(trap.InnerException);
        Assert.Equal(2, failure.ThreadId);
        Assert.Equal("main: spawning\nthread: trapping\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Null(context.ExitCode);
    }

    [Fact]
    public void ReturningFromStartEndsTheProgramWhileAThreadSpins()
    {
        var outcome = Run("main_returns");
        Assert.Equal("main: spawned thread 1\nmain: thread is spinning, returning from _start\n", outcome.Stdout);
        Assert.Equal(0, outcome.ExitCode);
    }

    // shared_stack.c's thread A (group thread 2, tid 1) runs on [A's lowest stack pointer, A's top); in the
    // committed fixtures its top is 0x00004430 and thread_entry's frame takes 0x800 bytes.
    private static readonly AddressRange ALiveStack = new(0x3c30, 0x4430);

    private static (Outcome Outcome, List<StackCollision> Collisions) RunDetecting(string name)
    {
        var collisions = new List<StackCollision>();
        var outcome = Run(name, new WasiThreadsOptions
        {
            DetectStackCollisions = true,
            StackCollisionDetected = c => { lock (collisions) collisions.Add(c); },
        });
        return (outcome, collisions);
    }

    [Fact]
    public void AGuestHandingTwoThreadsOneStackIsReportedWhenTheSecondSetsItUp()
    {
        for (int run = 0; run < 3; run++) // the same report on every run: the guest orders its threads with atomics
        {
            var (outcome, collisions) = RunDetecting("same_stack");
            Assert.Equal("threads done: 2\nB's stack top minus A's: 0\nA's scratch words overwritten by B: 512\n", outcome.Stdout);
            Assert.Equal(0, outcome.ExitCode);
            var collision = Assert.Single(collisions);
            Assert.Equal(new StackCollision(3, 0x4430, 2, ALiveStack, StackCollisionKind.StackPlaced), collision);
            Assert.Equal("thread 3 set its stack top to 0x00004430, on thread 2's live stack [0x00003c30, 0x00004430)", collision.Message);
        }
    }

    [Fact]
    public void AThreadWhoseFirstFrameRunsIntoAnotherLiveStackIsReportedOnce()
    {
        for (int run = 0; run < 3; run++)
        {
            var (outcome, collisions) = RunDetecting("overlapping_stack");
            Assert.Equal("threads done: 2\nB's stack top minus A's: 256\nA's scratch words overwritten by B: 448\n", outcome.Stdout);
            // B's top is 0x4530; its first frame (0x800 bytes) puts its stack pointer 0x700 bytes into A's stack.
            Assert.Equal([new StackCollision(3, 0x3d30, 2, ALiveStack, StackCollisionKind.StackPointerEntered)], collisions);
        }
    }

    [Fact]
    public void ThreadsOnTheirOwnStacksAreNeverReported()
    {
        var (outcome, collisions) = RunDetecting("counter");
        Assert.Contains("stack words damaged: 0\n", outcome.Stdout);
        Assert.Contains("sum: 100000\n", outcome.Stdout);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Empty(collisions);
    }

    [Fact]
    public void TrapOnStackCollisionEndsTheProgramAtTheCollidingWrite()
    {
        var stdout = new MemoryStream();
        using var context = new WasiConfiguration().WithArguments("same_stack.wasm")
            .WithStandardInput(new MemoryStream()).WithStandardOutput(stdout).WithStandardError(new MemoryStream()).Build();
        var trap = Assert.Throws<TrapException>(() => WasiHost.RunCommand(
            Module.FromFile(ProgramTests.FixturePath("wasi-threads", "same_stack")), context,
            threads: new WasiThreadsOptions { TrapOnStackCollision = true }));
        Assert.Equal(TrapCode.ShadowStackCollision, trap.Code);
        Assert.Equal("stack collision: thread 3 set its stack top to 0x00004430, on thread 2's live stack [0x00003c30, 0x00004430)", trap.Message);
        Assert.Equal(3, Assert.IsType<ThreadGroupException>(trap.InnerException).ThreadId);
        Assert.Equal("", Encoding.UTF8.GetString(stdout.ToArray())); // _start never got to print
    }

    [Fact]
    public void SpawnBeforeAGroupIsAttachedFails()
    {
        Assert.Equal(-1, new WasiThreads().Spawn(1234));
    }

    /// <summary>
    /// A hand-made module: _start spawns <paramref name="spawns"/> threads (each wasi_thread_start stores its tid
    /// at 16 + 4 * start_arg and counts itself at address 0), waits until all have run, and exits with 0.
    /// </summary>
    private static Module SpawningModule(int spawns) => Module.Compile(WatParser.ParseModule($$"""
        (module
          (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (import "env" "memory" (memory 1 1 shared))
          (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
            (i32.store (i32.add (i32.const 16) (i32.shl (local.get $arg) (i32.const 2))) (local.get $tid))
            (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
            (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
          (func (export "_start") (local $i i32) (local $done i32)
            (block $spawned
              (loop $next
                (br_if $spawned (i32.eq (local.get $i) (i32.const {{spawns}})))
                ;; a failed spawn exits with 99
                (if (i32.le_s (call $spawn (local.get $i)) (i32.const 0)) (then (call $exit (i32.const 99))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (block $all
              (loop $wait
                (local.set $done (i32.atomic.load (i32.const 0)))
                (br_if $all (i32.eq (local.get $done) (i32.const {{spawns}})))
                (drop (memory.atomic.wait32 (i32.const 0) (local.get $done) (i64.const -1)))
                (br $wait)))))
        """));

    [Fact]
    public void ThreadIdsAreUniqueAndStartAtOne()
    {
        const int spawns = 24;
        var linker = new Linker();
        var memory = new Memory(1, 1, shared: true);
        linker.Define("env", "memory", memory);
        using var context = new WasiConfiguration().WithStandardOutput(new MemoryStream()).Build();
        Assert.Equal(0, WasiHost.RunCommand(SpawningModule(spawns), context, linker));
        var ids = Enumerable.Range(0, spawns).Select(i => BitConverter.ToInt32(memory.GetSpan(16 + 4 * i, 4))).ToArray();
        Assert.Equal(Enumerable.Range(1, spawns), ids.Order());
        Assert.Equal(spawns, BitConverter.ToInt32(memory.GetSpan(0, 4)));
    }

    [Fact]
    public void ModuleWithoutWasiThreadStartFailsToLink()
    {
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (import "wasi" "thread-spawn" (func (param i32) (result i32)))
              (import "env" "memory" (memory 1 1 shared))
              (func (export "_start")))
            """));
        using var context = new WasiConfiguration().WithStandardOutput(new MemoryStream()).Build();
        var error = Assert.Throws<LinkException>(() => WasiHost.RunCommand(module, context));
        Assert.Contains("wasi_thread_start", error.Message);
    }

    [Fact]
    public void WasiThreadStartWithTheWrongTypeFailsToLink()
    {
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (import "wasi" "thread-spawn" (func (param i32) (result i32)))
              (import "env" "memory" (memory 1 1 shared))
              (func (export "wasi_thread_start") (param i32))
              (func (export "_start")))
            """));
        using var context = new WasiConfiguration().WithStandardOutput(new MemoryStream()).Build();
        var error = Assert.Throws<LinkException>(() => WasiHost.RunCommand(module, context));
        Assert.Contains("wasi_thread_start", error.Message);
    }

    [Fact]
    public void UnsharedMemoryFailsToLink()
    {
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (import "wasi" "thread-spawn" (func (param i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "wasi_thread_start") (param i32 i32))
              (func (export "_start")))
            """));
        using var context = new WasiConfiguration().WithStandardOutput(new MemoryStream()).Build();
        var error = Assert.Throws<LinkException>(() => WasiHost.RunCommand(module, context));
        Assert.Contains("shared memory", error.Message);
    }
}
