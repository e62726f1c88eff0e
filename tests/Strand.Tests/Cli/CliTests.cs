using Strand.Cli;
using Xunit;

namespace Strand.Tests.Cli;

/// <summary>Console redirection is process-wide, so these tests never run in parallel with each other.</summary>
[CollectionDefinition(nameof(CliCollection), DisableParallelization = true)]
public sealed class CliCollection;

[Collection(nameof(CliCollection))]
public class CliTests
{
    private static string Fixture(params string[] parts) =>
        Path.Combine(new[] { AppContext.BaseDirectory, "fixtures" }.Concat(parts).ToArray());

    internal static (int ExitCode, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int code = Strand.Cli.Program.Main(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    [Fact]
    public void RunInvokesAnExportAndPrintsItsResult()
    {
        var (code, output, _) = Run("run", Fixture("seed", "algorithm.wasm"), "--invoke", "algorithm");
        Assert.Equal(0, code);
        Assert.Equal("5172326400000", output.Trim());
    }

    [Fact]
    public void RunAcceptsWatFilesAndTypedArguments()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wat");
        File.WriteAllText(path, "(module (func (export \"mix\") (param i32 i64 f64) (result i64 f64) (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)) (f64.mul (local.get 2) (f64.const 2))))");
        try
        {
            var (code, output, _) = Run("run", path, "--invoke", "mix", "-5", "0x10", "1.25");
            Assert.Equal(0, code);
            Assert.Equal(new[] { "11", "2.5" }, output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RunInvokesGcFunctionsAndPrintsReferences()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wat");
        File.WriteAllText(path, """
            (module
              (type $node (struct (field $v i32) (field $next (ref null $node))))
              (func $build (param $n i32) (result (ref null $node)) (local $l (ref null $node))
                (loop $k (local.set $l (struct.new $node (local.get $n) (local.get $l)))
                  (br_if $k (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
                (local.get $l))
              (func (export "sum") (param i32) (result i32) (local $l (ref null $node)) (local $s i32)
                (local.set $l (call $build (local.get 0)))
                (block $done (loop $k (br_if $done (ref.is_null (local.get $l)))
                  (local.set $s (i32.add (local.get $s) (struct.get $node $v (local.get $l))))
                  (local.set $l (struct.get $node $next (local.get $l))) (br $k)))
                (local.get $s))
              (func (export "i31") (param i32) (result i31ref) (ref.i31 (local.get 0)))
              (func (export "null_field") (result i32) (struct.get $node $v (ref.null $node))))
            """);
        try
        {
            var (code, output, _) = Run("run", path, "--invoke", "sum", "100");
            Assert.Equal((0, "5050"), (code, output.Trim()));
            (code, output, _) = Run("run", path, "--invoke", "i31", "-5000000");
            Assert.Equal((0, "i31 -5000000"), (code, output.Trim()));
            (code, _, var error) = Run("run", path, "--invoke", "null_field");
            Assert.Equal(134, code);
            Assert.Contains("null structure reference", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ShadowStackOverflowTrapsInsteadOfCorruptingData()
    {
        var (code, _, error) = Run("run", Fixture("threads", "recursion.wasm"), "--invoke", "recurse", "64");
        Assert.Equal(134, code);
        Assert.Contains("shadow stack overflow in thread 1: __stack_pointer would be 0x", error);
    }

    [Fact]
    public void RunOnThreadsGivesEveryThreadItsOwnStack()
    {
        var (code, output, _) = Run("run", Fixture("seed", "algorithm_threads.wasm"), "--invoke", "algorithm", "--threads", "2");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Contains(": 5172326400000   stack [0x", l));
    }

    [Fact]
    public void SharedStackModeReportsTheCollision()
    {
        var (code, output, _) = Run("run", Fixture("seed", "algorithm_threads.wasm"), "--invoke", "algorithm", "--threads", "2", "--stack-mode", "shared");
        Assert.Equal(0, code);
        Assert.Contains("collision: thread 2 starts with __stack_pointer 0x00010400 inside thread 1's live stack [0x00000000, 0x00010400)", output);
    }

    [Fact]
    public void TrapOnStackCollisionReportsAWasiThreadEnteringAnotherThreadsStack()
    {
        var (code, _, error) = Run("run", Fixture("wasi-threads", "same_stack.wasm"), "--trap-on-stack-collision");
        Assert.Equal(134, code);
        Assert.Equal("strand: wasm trap: stack collision: thread 3 set its stack top to 0x00004430, on thread 2's live stack [0x00003c30, 0x00004430)\n",
            error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void DetectStackCollisionsNeedsThreads()
    {
        var (code, _, error) = Run("run", Fixture("seed", "algorithm.wasm"), "--invoke", "algorithm", "--detect-stack-collisions");
        Assert.Equal(2, code);
        Assert.Contains("--detect-stack-collisions and --trap-on-stack-collision need --threads N, or a WASI program with threads", error);
        // With isolated stacks (the default) there is nothing to report.
        (code, var output, _) = Run("run", Fixture("seed", "algorithm_threads.wasm"), "--invoke", "algorithm", "--threads", "2", "--detect-stack-collisions");
        Assert.Equal(0, code);
        Assert.DoesNotContain("collision", output);
    }

    [Fact]
    public void InspectReportsTheStackPointerFoundByName()
    {
        string svg = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.svg");
        try
        {
            var (code, output, _) = Run("inspect", Fixture("seed", "algorithm_threads.wasm"), "--svg", svg);
            Assert.Equal(0, code);
            Assert.Contains("__stack_pointer: global 0 (found via name section)", output);
            Assert.Contains("initial value: 0x00010400 (66560)", output);
            Assert.Contains("UNSAFE", output);
            Assert.StartsWith("<svg", File.ReadAllText(svg).TrimStart());
        }
        finally
        {
            File.Delete(svg);
        }
    }

    [Fact]
    public void InspectAnalysesAWasiModuleUsingSimdWithoutCompilingOrLinkingIt()
    {
        // Its code uses SIMD and it imports wasi_snapshot_preview1, which inspect neither compiles nor links.
        // (The fixture sits in unsupported/ from before Strand implemented SIMD.)
        var (code, output, error) = Run("inspect", Fixture("unsupported", "simd_wasi.wasm"), "--threads", "2");
        Assert.True(code == 0, error);
        Assert.Contains("__stack_pointer: global 0 (found via name section)", output);
        Assert.Contains("wasi_snapshot_preview1.fd_write: func [i32 i32 i32 i32] -> [i32]", output);
        Assert.DoesNotContain("not-supported", output);
        // Thread 1 keeps the linker's stack (its top is __stack_pointer's initial value); thread 2 gets one of the same
        // size at the top of the memory grown for it (the low ends come from the layout analysis's data-end inference).
        Assert.Matches(@"thread 1: stack \[0x[0-9a-f]{8}, 0x000116a0\)", output);
        Assert.Matches(@"thread 2: stack \[0x[0-9a-f]{8}, 0x00040000\)", output);
        Assert.Contains("memory after placement: 4 pages", output);
        // It runs (its output goes to the process's stdout; SimdEmbeddingTests checks it).
        (code, _, error) = Run("run", Fixture("unsupported", "simd_wasi.wasm"));
        Assert.True(code == 0, error);
    }

    [Fact]
    public void ExceptionHandlingRunsAndAnUncaughtExceptionIsNamed()
    {
        var (code, output, error) = Run("inspect", Fixture("exceptions", "legacy_try.wasm"));
        Assert.True(code == 0, error);
        Assert.Contains("__stack_pointer: global 0 (found via export \"__stack_pointer\")", output);
        Assert.Contains("[0] active, 18 bytes, 0x00000400..0x00000412 (from its offset)", output);
        Assert.DoesNotContain("not-supported", output);
        (code, output, error) = Run("run", Fixture("exceptions", "legacy_try.wasm"), "--invoke", "run", "7");
        Assert.True(code == 0, error);
        Assert.Equal("7", output.Trim());
        // A C++ exception nobody catches: exit code 134, named as an exception, not a trap.
        (code, _, error) = Run("run", Fixture("exceptions", "cxx_exceptions.wasm"), "--invoke", "run_uncaught", "10", "3");
        Assert.Equal(134, code);
        Assert.StartsWith("strand: uncaught wasm exception (tag [i32] -> []: i32:", error);
        // C++ catch by type through the CLI: caught by catch (const Base&), rethrown, caught by catch (const Derived&).
        (code, output, error) = Run("run", Fixture("exceptions", "cxx_exceptions.wasm"), "--invoke", "typed", "4", "10");
        Assert.True(code == 0, error);
        Assert.Equal("308801110", output.Trim());
    }

    [Fact]
    public void AStartFunctionTrapWithThreadsIsReportedNotAnUnhandledException()
    {
        // Thread 1's instantiation traps in the start function and stops the group; spawning thread 2 then threw an
        // InvalidOperationException that reached the user as "Unhandled exception" (Node reports the trap).
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wat");
        File.WriteAllText(path, """
            (module
              (import "env" "memory" (memory 2 16 shared))
              (global (export "__stack_pointer") (mut i32) (i32.const 0x10000))
              (func $start unreachable)
              (start $start)
              (func (export "f") (result i32) (i32.const 1)))
            """);
        try
        {
            var (code, output, error) = Run("run", path, "--invoke", "f", "--threads", "3");
            Assert.Equal(134, code);
            Assert.Contains("thread 1: trap: unreachable", output);
            Assert.Contains("strand: wasm trap in thread 1: unreachable", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ASingleRunWhoseStackDoesNotFitIsAnErrorNotAnUnhandledException()
    {
        // An imported __stack_pointer gets a stack region of its own (1 MiB by default), which a 16-page memory cannot
        // hold: the ThreadSpawnException reached the user as "Unhandled exception" from a plain run --invoke.
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wat");
        File.WriteAllText(path, """
            (module
              (import "env" "__stack_pointer" (global $sp (mut i32)))
              (import "env" "memory" (memory 2 16 shared))
              (func (export "f") (result i32) (global.get $sp)))
            """);
        try
        {
            var (code, _, error) = Run("run", path, "--invoke", "f");
            Assert.Equal(1, code);
            Assert.Contains("strand: cannot place a 1 MiB shadow stack for thread 1: memory has 2 of at most 16 pages", error);
            // With a stack that fits, it runs on its own stack.
            (code, var output, error) = Run("run", path, "--invoke", "f", "--threads", "1", "--stack-size", "4k");
            Assert.True(code == 0, error);
            Assert.Contains("thread 1: 196608", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void InspectNeverCompiles()
    {
        // Decodable but invalid: i32.add on an empty stack. Compiling it fails; inspect, --threads included, must not.
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wat");
        File.WriteAllText(path, """
            (module
              (memory 2 8 shared)
              (global (export "__stack_pointer") (mut i32) (i32.const 65536))
              (func (export "f") (result i32) (i32.add)))
            """);
        try
        {
            var (code, output, error) = Run("inspect", path, "--threads", "2", "--stack-size", "64k");
            Assert.True(code == 0, error);
            Assert.Contains("thread 1: stack [0x00000000, 0x00010000) (64 KiB)", output);
            // A 64 KiB stack plus the red-zone band below it needs two pages: the band takes the page below.
            Assert.Contains("thread 2: stack [0x00030000, 0x00040000) (64 KiB), red-zone band [0x00020000, 0x00030000)", output);
            Assert.Contains("memory after placement: 4 pages", output);
            (code, _, error) = Run("run", path, "--invoke", "f");
            Assert.Equal(1, code);
            Assert.Contains("type mismatch", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void InspectPreviewOfAnInvalidMemoryIsReportedNotACrash()
    {
        // Memory 10..5 pages: invalid (the minimum is above the maximum); only decoded, so the preview meets it.
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wasm");
        File.WriteAllBytes(path, [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x05, 0x04, 0x01, 0x01, 0x0A, 0x05]);
        try
        {
            var (code, output, error) = Run("inspect", path, "--threads", "2");
            Assert.True(code == 0, error);
            Assert.Contains("pages: min 10 (640 KiB), max 5 (320 KiB)", output);
            Assert.Contains("cannot place them: maximum must be between the minimum and 65536 pages", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DemoShowsCollisionsThenCorrectIsolatedResults()
    {
        var (code, output, _) = Run("demo", "--threads", "2");
        Assert.Equal(0, code);
        Assert.Contains("thread 2 starts with __stack_pointer 0x00010400 inside thread 1's live stack", output);
        Assert.Contains("2 of 2 results correct", output);
    }

    [Fact]
    public void WastReportsCountsAndFailsOnFailure()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wast");
        File.WriteAllText(path, """
            (module (func (export "f") (param i32) (result i32) (i32.div_u (i32.const 10) (local.get 0))))
            (assert_return (invoke "f" (i32.const 2)) (i32.const 5))
            (assert_trap (invoke "f" (i32.const 0)) "integer divide by zero")
            (assert_return (invoke "f" (i32.const 5)) (i32.const 3))
            (assert_invalid (module (func (result i32) (i64.const 1))) "type mismatch")
            (assert_malformed (module quote "(func (i32.bogus))") "unknown operator")
            """);
        try
        {
            var (code, output, _) = Run("wast", path);
            Assert.Equal(1, code);
            Assert.Contains("5 passed, 1 failed, 0 skipped", output);
            Assert.Contains(":4: result 0: expected", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WastTimeoutInterruptsACommandAndCountsEveryCommand()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wast");
        File.WriteAllText(path, """
            (module (func (export "spin") (loop (br 0))) (func (export "one") (result i32) (i32.const 1)))
            (invoke "spin")
            (register "m")
            (assert_return (invoke "one") (v128.const i32x4 1 1 1))
            (assert_return (invoke "one") (i32.const 1))
            """);
        try
        {
            var (code, output, _) = Run("wast", "--timeout", "0.5", path);
            Assert.Equal(1, code);
            Assert.Contains(":2: action trapped: interrupted (the command ran out of time: --timeout 0.5 s)", output);
            Assert.Contains(":4: cannot parse (assert_return ...): at 4:54: wrong number of lane literals: i32x4 needs 4, got 3", output);
            Assert.EndsWith("3 passed, 2 failed, 0 skipped", output.TrimEnd());
            Assert.Equal(2, Run("wast", "--timeout", "0", path).ExitCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UsageErrorsExitWithTwo()
    {
        Assert.Equal(2, Run("frobnicate").ExitCode);
        Assert.Equal(2, Run("run").ExitCode);
        var (code, _, error) = Run("run", Fixture("seed", "algorithm.wasm"), "--invoke", "algorithm", "--threads", "zero");
        Assert.Equal(2, code);
        Assert.Contains("--threads must be an integer", error);
    }

    [Fact]
    public void TheInterpreterModeIsAnOption()
    {
        // The same result whichever tier runs the seed's algorithm (with "always" it starts interpreted: docs/interpreter.md).
        var results = new[] { "auto", "always", "never" }
            .Select(mode => Run("run", "--interpreter", mode, Fixture("seed", "algorithm.wasm"), "--invoke", "algorithm"))
            .ToList();
        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        Assert.Single(results.Select(r => r.Out).Distinct());
        Assert.NotEqual("", results[0].Out.Trim());
        var (code, _, error) = Run("run", "--interpreter", "sometimes", Fixture("seed", "algorithm.wasm"), "--invoke", "algorithm");
        Assert.Equal(2, code);
        Assert.Contains("--interpreter takes auto, always or never, not 'sometimes'", error);
        // The loader hands the mode to the engine: the small seed module gets the interpreter only when asked.
        string seed = Fixture("seed", "algorithm.wasm");
        Assert.NotNull(ModuleLoader.Load(seed, quiet: true, noCache: true, interpreter: InterpreterMode.Always).Compiled.FirstTier);
        Assert.Null(ModuleLoader.Load(seed, quiet: true, noCache: true, interpreter: InterpreterMode.Auto).Compiled.FirstTier);
        Assert.Null(ModuleLoader.Load(seed, quiet: true, noCache: true, interpreter: InterpreterMode.Never).Compiled.FirstTier);
    }

    [Fact]
    public void MalformedModuleIsReportedInOneLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wasm");
        File.WriteAllBytes(path, new byte[] { 0, 0x61, 0x73, 0x6D, 1, 0, 0, 0, 0x01, 0xFF });
        try
        {
            var (code, _, error) = Run("run", path, "--invoke", "f");
            Assert.Equal(1, code);
            Assert.Contains("malformed module at byte 0x", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TimeoutInterruptsARunawayLoop()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wat");
        File.WriteAllText(path, "(module (func (export \"spin\") (loop (br 0))))");
        try
        {
            var (code, _, error) = Run("run", path, "--invoke", "spin", "--timeout", "0.2");
            Assert.Equal(124, code);
            Assert.Contains("interrupted: the guest was still running after --timeout 0.2 s", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TimeoutInterruptsAWasiProgram()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wat");
        File.WriteAllText(path, "(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func (param i32))) (memory (export \"memory\") 1) (func (export \"_start\") (loop (br 0))))");
        try
        {
            var (code, _, _) = Run("run", path, "--timeout", "0.2");
            Assert.Equal(124, code);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs the CLI on a temporary .wat file with <paramref name="args"/> after its path.</summary>
    private static (int ExitCode, string Out, string Err) RunWat(string wat, params string[] args)
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}.wat");
        File.WriteAllText(path, wat);
        try
        {
            return Run(["run", path, .. args]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    // _start spins; the spawned thread spins too.
    [InlineData("(loop $l (br $l))", "(loop $l (br $l))")]
    // _start waits forever on the shared memory; the spawned thread sleeps an hour in poll_oneoff.
    [InlineData("(drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))",
        "(i32.store (i32.const 416) (i32.const 1)) (i64.store (i32.const 424) (i64.const 3600000000000)) (drop (call $poll (i32.const 400) (i32.const 512) (i32.const 1) (i32.const 600)))")]
    public void TimeoutInterruptsAWasiThreadsProgramWithExitCode124(string main, string thread)
    {
        var (code, _, error) = RunWat($$"""
            (module
              (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
              (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1 1 shared)
              (func (export "wasi_thread_start") (param i32 i32) {{thread}})
              (func (export "_start") (drop (call $spawn (i32.const 0))) {{main}}))
            """, "--timeout", "0.2");
        Assert.Equal(124, code);
        Assert.Equal("strand: interrupted: the guest was still running after --timeout 0.2 s\n", error.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("(drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))", "(memory (export \"memory\") 1 1 shared)")]
    [InlineData("(i32.store (i32.const 416) (i32.const 1)) (i64.store (i32.const 424) (i64.const 3600000000000)) (drop (call $poll (i32.const 400) (i32.const 512) (i32.const 1) (i32.const 600)))",
        "(memory (export \"memory\") 1)")]
    public void TimeoutInterruptsAPlainWasiProgramThatWaitsOrSleeps(string body, string memory)
    {
        var (code, _, error) = RunWat($$"""
            (module
              (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
              {{memory}}
              (func (export "_start") {{body}}))
            """, "--timeout", "0.2");
        Assert.Equal(124, code);
        Assert.Contains("interrupted: the guest was still running after --timeout 0.2 s", error);
    }

    [Fact]
    public void AStartOfTheWrongTypeIsALinkErrorWithExitCode1()
    {
        var (code, _, error) = RunWat("(module (memory (export \"memory\") 1) (func (export \"_start\") (param i32)))");
        Assert.Equal(1, code);
        Assert.Contains("cannot link", error);
        Assert.Contains("\"_start\" must have type [] -> [], not [i32] -> []", error);
    }

    [Fact]
    public void AnImplementationLimitIsReportedWithExitCode1()
    {
        var wat = new System.Text.StringBuilder("(module (func (export \"f\") (result i32) ");
        for (int i = 0; i < 60_000; i++) wat.Append("(i32.const 1)");
        for (int i = 1; i < 60_000; i++) wat.Append("(i32.add)");
        var (code, _, error) = RunWat(wat.Append("))").ToString(), "--invoke", "f");
        Assert.Equal(1, code);
        Assert.Contains("implementation limit: func[0] <f> reaches an operand stack of 60000 values; Strand compiles at most 50000", error);
    }

    [Fact]
    public void AnInternalErrorIsOneLineAndExitCode70()
    {
        var stderr = new StringWriter();
        var oldErr = Console.Error;
        Console.SetError(stderr);
        try
        {
            int code = Strand.Cli.Program.RunGuarded(() => throw new InvalidOperationException("something broke\nbadly"));
            Assert.Equal(Strand.Cli.Program.InternalErrorExitCode, code);
            Assert.Equal(70, code);
        }
        finally
        {
            Console.SetError(oldErr);
        }
        Assert.Equal("strand: internal error: InvalidOperationException: something broke badly\n", stderr.ToString().ReplaceLineEndings("\n"));
    }
}
