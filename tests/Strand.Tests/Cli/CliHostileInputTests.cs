using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Strand.Wasi;
using Xunit;

namespace Strand.Tests.Cli;

/// <summary>
/// Hostile inputs that used to end the CLI with exit code 70 (an internal error), exhaust memory or hang it:
/// each must get a clear error, a trap or the timeout's exit code.
/// </summary>
[Collection(nameof(CliCollection))]
public class CliHostileInputTests
{
    private static (int ExitCode, string Out, string Err) Run(params string[] args) => CliTests.Run(args);

    private static (int ExitCode, string Out, string Err) RunWat(string wat, params string[] args)
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-hostile-{Guid.NewGuid():N}.wat");
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

    private const string StartLoops = "(loop $l (br $l))";
    private const string StartWaits = "(drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))";

    /// <summary>
    /// A WASI command whose start function never returns: `--timeout` must interrupt it (exit 124). Before, the
    /// interruption was registered only after instantiation, so the start function ran forever.
    /// </summary>
    [Theory]
    [InlineData(StartLoops)]
    [InlineData(StartWaits)]
    public void TimeoutInterruptsAWasiCommandsStartFunction(string startBody)
    {
        string wat = $"(module (memory (export \"memory\") 1 1 shared) (func $s {startBody}) (start $s) (func (export \"_start\")))";
        var started = DateTime.UtcNow;
        var (code, _, err) = RunWat(wat, "--timeout", "0.3");
        Assert.Equal(124, code);
        Assert.Contains("interrupted", err);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
    }

    /// <summary>The same through the API: cancelling <see cref="WasiHost.RunCommand"/> interrupts the start function.</summary>
    [Theory]
    [InlineData(StartLoops)]
    [InlineData(StartWaits)]
    public void CancellationInterruptsAWasiCommandsStartFunction(string startBody)
    {
        var module = Module.Compile(WatParser.ParseModule(
            $"(module (memory (export \"memory\") 1 1 shared) (func $s {startBody}) (start $s) (func (export \"_start\")))"));
        using var context = new WasiConfiguration().Build();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                WasiHost.RunCommand(module, context, cancellationToken: cancel.Token);
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the start function was not interrupted");
        var trap = Assert.IsType<TrapException>(error);
        Assert.Equal(TrapCode.Interrupted, trap.Code);
    }

    /// <summary>
    /// <c>--threads N</c> when thread 1's start function traps or outlives <c>--timeout</c>: the group stops and the
    /// later spawns are refused; the CLI reported that refusal as an internal error (exit 70).
    /// </summary>
    [Fact]
    public void ThreadsWhoseStartFunctionTrapsReportTheTrap()
    {
        var (code, output, err) = RunWat("(module (memory 1 1 shared) (func $s unreachable) (start $s) (func (export \"f\")))",
            "--invoke", "f", "--threads", "3");
        Assert.Equal(134, code);
        Assert.Contains("thread 1: trap: unreachable", output);
        Assert.Contains("wasm trap in thread 1: unreachable", err);
        Assert.DoesNotContain("internal error", err);
    }

    [Fact]
    public void ThreadsWhoseStartFunctionLoopsAreInterruptedByTimeout()
    {
        var (code, _, err) = RunWat($"(module (memory 1 1 shared) (func $s {StartLoops}) (start $s) (func (export \"f\")))",
            "--invoke", "f", "--threads", "3", "--timeout", "0.3");
        Assert.Equal(124, code);
        Assert.Contains("interrupted", err);
        Assert.DoesNotContain("internal error", err);
    }

    /// <summary>
    /// An endless file (<c>/dev/zero</c>) as a WAST script: refused at the size cap (exit 1, "implementation limit");
    /// before, the whole file was read until the array limit and the CLI exited 70 with OutOfMemoryException. (As a
    /// module for run or inspect it is refused before reading, as not a regular file: CliConventionTests.) The cap is
    /// lowered to 4 MiB here so that the test does not allocate 1 GiB (it runs alone: the CLI collection).
    /// </summary>
    /// <summary>
    /// A table bigger than Strand creates is an implementation limit of instantiation: exit 1 with one line, on every
    /// run path (it was reported as a wasm trap, exit 134, and as an internal error, exit 70, for a WASI command).
    /// </summary>
    [Theory]
    [InlineData("(func (export \"f\") (result i32) (i32.const 1))", "--invoke", "f")]
    [InlineData("(memory 1 1 shared) (func (export \"f\") (result i32) (i32.const 1))", "--invoke", "f", "--threads", "2")]
    [InlineData("(memory (export \"memory\") 1) (func (export \"_start\"))")]
    public void ATableBeyondTheImplementationLimitIsNotATrap(string fields, params string[] args)
    {
        var (code, _, err) = RunWat($"(module (table 4294967295 funcref) {fields})", args);
        Assert.Equal(1, code);
        Assert.Contains("cannot instantiate", err);
        Assert.Contains("implementation limit: a table of 4294967295 elements: Strand creates tables of at most 10000000 elements", err);
        Assert.DoesNotContain("trap", err);
        Assert.DoesNotContain("internal error", err);
    }

    /// <summary>A 64-bit memory above the 64 GiB Strand reserves: the same implementation limit on every run path (the group's memory was exit 70).</summary>
    [Theory]
    [InlineData("(func (export \"f\") (result i32) (i32.const 1))", "--invoke", "f")]
    [InlineData("(func (export \"f\") (result i32) (i32.const 1))", "--invoke", "f", "--threads", "2")]
    [InlineData("(export \"memory\" (memory 0)) (func (export \"_start\"))")]
    public void AMemory64BeyondTheImplementationLimitIsNotATrap(string fields, params string[] args)
    {
        var (code, _, err) = RunWat($"(module (memory i64 0x10_0001) {fields})", args);
        Assert.Equal(1, code);
        Assert.Contains("cannot instantiate", err);
        Assert.Contains("implementation limit: a 64-bit memory of 1048577 pages", err);
        Assert.DoesNotContain("internal error", err);
    }

    [Fact]
    public void AnEndlessScriptIsRefused()
    {
        if (!File.Exists("/dev/zero")) return; // Unix only
        using var cap = ModuleFile.LowerCapForTests(4 << 20);
        var (code, output, err) = Run("wast", "/dev/zero");
        Assert.Equal(1, code);
        Assert.Contains("/dev/zero: cannot read: implementation limit", err);
        Assert.Contains("0 passed, 1 failed", output);
        Assert.DoesNotContain("internal error", err);
    }

    [Fact]
    public void ModuleFileReadsAreCappedForEveryKindOfFile()
    {
        if (File.Exists("/dev/zero"))
        {
            Assert.Contains("larger than 1048576 bytes", Assert.Throws<WasmImplementationLimitException>(() => ModuleFile.ReadAllBytes("/dev/zero", 1 << 20)).Message);
            Assert.Throws<WasmImplementationLimitException>(() => ModuleFile.ReadAllBytes("/dev/zero", 3 << 20));
        }
        string path = Path.Combine(Path.GetTempPath(), $"strand-hostile-{Guid.NewGuid():N}.bin");
        var content = new byte[(1 << 20) + 17];
        new Random(5).NextBytes(content);
        File.WriteAllBytes(path, content);
        try
        {
            Assert.Equal(content, ModuleFile.ReadAllBytes(path, content.Length));
            Assert.Throws<WasmImplementationLimitException>(() => ModuleFile.ReadAllBytes(path, content.Length - 1));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
