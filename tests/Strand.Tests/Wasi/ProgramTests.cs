using System.Text;
using Strand.Runtime;
using Strand.Text;
using Strand.Wasi;
using Xunit;

namespace Strand.Tests.Wasi;

/// <summary>
/// Runs the C programs of fixtures/wasi (wasi-libc, clang-14) through <see cref="WasiHost.RunCommand"/>
/// and compares their output and exit code with what Node's node:wasi produced for the same program,
/// arguments, environment, standard input and preopen (recorded with bench/node/wasi-run.mjs,
/// see fixtures/README.md). Clock and random programs print properties, not values.
/// </summary>
public sealed class ProgramTests : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>A fresh directory per test; the guest's preopen is its "sandbox" subdirectory.</summary>
    private readonly string _root = Path.Combine(Path.GetTempPath(), "strand-wasiprog-" + Guid.NewGuid().ToString("N"));

    public ProgramTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "sandbox"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private string Sandbox => Path.Combine(_root, "sandbox");

    internal static string FixturePath(string directory, string name) =>
        Path.Combine(AppContext.BaseDirectory, "fixtures", directory, name + ".wasm");

    private sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs fixtures/wasi/<paramref name="name"/>.wasm with argv[0] = its file name, as `strand run` does.</summary>
    private Outcome Run(string name, string[]? arguments = null, string stdin = "", Action<WasiConfiguration>? configure = null)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var configuration = new WasiConfiguration()
            .WithArguments([name + ".wasm", .. arguments ?? []])
            .WithStandardInput(new MemoryStream(Utf8.GetBytes(stdin)))
            .WithStandardOutput(stdout)
            .WithStandardError(stderr)
            .WithPreopenedDirectory(Sandbox, "/sandbox");
        configure?.Invoke(configuration);
        using var context = configuration.Build();
        int exitCode = WasiHost.RunCommand(Module.FromFile(FixturePath("wasi", name)), context);
        return new Outcome(exitCode, Utf8.GetString(stdout.ToArray()), Utf8.GetString(stderr.ToArray()));
    }

    [Fact]
    public void StdioWritesBothStreamsAndReadsStandardInputToTheEnd()
    {
        var outcome = Run("stdio", stdin: "first line\nsecond line\nno newline at end");
        Assert.Equal(
            """
            hello from stdout
            formatted: -42 3.250 x
            stdin: 40 bytes, 2 lines
            FIRST LINE
            SECOND LINE
            NO NEWLINE AT END
            """, outcome.Stdout);
        Assert.Equal("hello from stderr\ndone\n", outcome.Stderr);
        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public void StdioWithEmptyStandardInput()
    {
        var outcome = Run("stdio");
        Assert.Equal("hello from stdout\nformatted: -42 3.250 x\nstdin: 0 bytes, 0 lines\n", outcome.Stdout);
        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public void ArgumentsAndEnvironmentArriveInOrder()
    {
        var outcome = Run("args_env", ["one", "two words", "", "ünï", "--flag=x"], configure: c => c
            .WithEnvironmentVariable("GREETING", "hello, world")
            .WithEnvironmentVariable("EMPTY", "")
            .WithEnvironmentVariable("UNICODE", "héllo ✓"));
        Assert.Equal(
            """
            argc=6
            argv[1]=[one]
            argv[2]=[two words]
            argv[3]=[]
            argv[4]=[ünï]
            argv[5]=[--flag=x]
            env[0]=[GREETING=hello, world]
            env[1]=[EMPTY=]
            env[2]=[UNICODE=héllo ✓]
            environ count=3
            getenv(GREETING)=[hello, world]
            getenv(EMPTY)=[]
            getenv(MISSING)=(null)

            """, outcome.Stdout);
        Assert.Equal("", outcome.Stderr);
        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public void NoArgumentsAndNoEnvironment()
    {
        var outcome = Run("args_env");
        Assert.Equal("argc=1\nenviron count=0\ngetenv(GREETING)=(null)\ngetenv(EMPTY)=(null)\ngetenv(MISSING)=(null)\n", outcome.Stdout);
    }

    [Theory]
    [InlineData("exit", 3, "mode exit")]      // exit() flushes stdio
    [InlineData("return", 7, "mode return")]  // returning from main flushes too
    [InlineData("_Exit", 4, "")]              // _Exit does not: the buffered text is lost
    [InlineData("zero", 0, "mode zero")]
    [InlineData("256", 256, "mode 256")]      // RunCommand reports the guest's code; strand run exits 255 (CliProcessTests)
    [InlineData("minus1", -1, "mode minus1")]
    public void ExitCodes(string mode, int expectedCode, string expectedStdout)
    {
        var outcome = Run("exit_code", [mode]);
        Assert.Equal(expectedStdout, outcome.Stdout);
        Assert.Equal("", outcome.Stderr);
        Assert.Equal(expectedCode, outcome.ExitCode);
    }

    [Fact]
    public void FilesInThePreopenedDirectory()
    {
        var outcome = Run("files", ["/sandbox"]);
        Assert.Equal(
            """
            mkdir work: ok
            mkdir work again: error 20 (File exists)
            stat work: directory
            create work/data.txt: ok
            write "hello, file": 12
            close: ok
            stat work/data.txt: file, 12 bytes
            open work/data.txt read-write: ok
            read 5: 5 [hello]
            lseek SEEK_CUR 0: 5
            lseek SEEK_SET 7: 7
            read rest: 5
            lseek SEEK_END 0: 12
            lseek SEEK_CUR -5: 7
            write "FILE": 4
            lseek SEEK_SET -1: -1 (errno 28 Invalid argument)
            pread 4 at 0: 4 [hell]
            close: ok
            contents of work/data.txt (12 bytes): hello, FILE\n
            open work/data.txt append: ok
            write "more": 5
            write "again": 6
            close: ok
            contents of work/data.txt (23 bytes): hello, FILE\nmore\nagain\n
            stat work/data.txt: file, 23 bytes
            truncate to 5: ok
            contents of work/data.txt (5 bytes): hello
            write on read-only fd: -1 (errno 8 Bad file descriptor)
            create existing with O_EXCL: error 20 (File exists)
            rename data.txt -> renamed.txt: ok
            stat work/data.txt: error 44 (No such file or directory)
            stat work/renamed.txt: file, 5 bytes
            mkdir work/sub: ok
            list work (6 entries): . .. a.txt b.txt renamed.txt sub
            list work/sub (2 entries): . ..
            opendir missing: error 44 (No such file or directory)
            open missing.txt: error 44 (No such file or directory)
            open a.txt/child: error 54 (Not a directory)
            opendir-like open of a file with O_DIRECTORY: error 54 (Not a directory)
            rmdir work (not empty): error 55 (Directory not empty)
            unlink work/sub (a directory): error 31 (Is a directory)
            unlink work/a.txt: ok
            unlink work/a.txt again: error 44 (No such file or directory)
            unlink work/b.txt: ok
            unlink work/renamed.txt: ok
            rmdir work/sub: ok
            list work (2 entries): . ..
            rmdir work: ok
            stat work: error 44 (No such file or directory)
            list . (2 entries): . ..

            """, outcome.Stdout);
        Assert.Equal("", outcome.Stderr);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Sandbox));
    }

    [Fact]
    public void SandboxEscapesAreRefused()
    {
        const string secret = "outside secret\n";
        string outside = Path.Combine(_root, "outside.txt");
        File.WriteAllText(outside, secret);
        File.CreateSymbolicLink(Path.Combine(Sandbox, "link_out"), outside);

        var outcome = Run("sandbox", ["/sandbox"]);
        Assert.Equal(
            """
            open DIR/../outside.txt: refused, errno 76 (Capabilities insufficient)
            open /etc/passwd: refused, errno 76 (Capabilities insufficient)
            open ../outside.txt: refused, errno 76 (Capabilities insufficient)
            openat(DIR, ../outside.txt): refused, errno 76 (Capabilities insufficient)
            mkdir DIR/sub: ok
            openat(DIR, sub/../../outside.txt): refused, errno 76 (Capabilities insufficient)
            openat(DIR, /etc/passwd): refused, errno 76 (Capabilities insufficient)
            open DIR/link_out: refused, errno 76 (Capabilities insufficient)
            stat DIR/link_out (follows): refused, errno 76 (Capabilities insufficient)
            symlink up_link -> ../outside.txt: Capabilities insufficient
            symlink abs_link -> /etc/passwd: Operation not permitted
            create DIR/../created.txt: refused, errno 76 (Capabilities insufficient)
            mkdir DIR/../made: refused, errno 76 (Capabilities insufficient)
            rename inside.txt -> ../moved.txt: refused, errno 76 (Capabilities insufficient)
            unlink ../outside.txt: refused, errno 76 (Capabilities insufficient)

            """, outcome.Stdout);
        Assert.Equal(0, outcome.ExitCode);

        // Nothing outside the preopen changed; inside, only what the program made legitimately.
        Assert.Equal(secret, File.ReadAllText(outside));
        Assert.Equal(["outside.txt", "sandbox"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName).Order());
        Assert.Equal(["inside.txt", "link_out", "sub"], Directory.EnumerateFileSystemEntries(Sandbox).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void ClocksHavePlausibleProperties()
    {
        var outcome = Run("clocks");
        Assert.Equal(
            """
            clock_getres(MONOTONIC): 0, in (0, 1ms]: yes
            clock_getres(REALTIME): 0, in (0, 1ms]: yes
            monotonic never goes back: yes
            nanosleep 20ms: 0, monotonic advanced >= 20ms: yes, < 10s: yes
            clock_gettime(REALTIME): 0, between 2020 and 2100: yes
            time() within 5s of REALTIME: yes
            gettimeofday within 5s of REALTIME: yes, usec < 1e6: yes
            clock_gettime(PROCESS_CPUTIME): 0, non-negative: yes

            """, outcome.Stdout);
        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public void ClocksProgramSeesTheConfiguredClock()
    {
        // A real-time clock stuck in 1999 is noticed by the program: the output depends on clock_time_get.
        const long year1999 = 915_148_800L * 1_000_000_000L;
        var outcome = Run("clocks", configure: c => c.WithClock(WasiClockId.Realtime, () => year1999));
        Assert.Contains("clock_gettime(REALTIME): 0, between 2020 and 2100: no\n", outcome.Stdout);
        Assert.Contains("time() within 5s of REALTIME: yes\n", outcome.Stdout);
    }

    [Fact]
    public void RandomBytesAreNonZeroAndDiffer()
    {
        var outcome = Run("random");
        Assert.Equal(
            """
            getentropy(32): 0
            non-zero: yes
            getentropy(32) again: 0
            draws differ: yes
            getentropy(257): -1 (errno 29 I/O error)
            arc4random_uniform(6) in range: yes

            """, outcome.Stdout);
        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public void RandomProgramSeesTheConfiguredSource()
    {
        var outcome = Run("random", configure: c => c.WithRandomSource(buffer => buffer.Clear()));
        Assert.Contains("non-zero: no\n", outcome.Stdout);
        Assert.Contains("draws differ: no\n", outcome.Stdout);
    }

    [Fact]
    public void TrapEndsTheProgramAfterFlushedOutput()
    {
        var stdout = new MemoryStream();
        using var context = new WasiConfiguration().WithArguments("trap.wasm")
            .WithStandardInput(new MemoryStream()).WithStandardOutput(stdout).WithStandardError(new MemoryStream()).Build();
        var trap = Assert.Throws<TrapException>(() => WasiHost.RunCommand(Module.FromFile(FixturePath("wasi", "trap")), context));
        Assert.Equal(TrapCode.Unreachable, trap.Code);
        Assert.Equal("before the trap\n", Utf8.GetString(stdout.ToArray()));
        Assert.Null(context.ExitCode);
    }

    [Fact]
    public void UnknownWasiFunctionFailsAtInstantiationNamingIt()
    {
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "_start")))
            """));
        using var context = new WasiConfiguration().WithStandardOutput(new MemoryStream()).Build();
        var error = Assert.Throws<LinkException>(() => WasiHost.RunCommand(module, context));
        Assert.Contains("wasi_snapshot_preview1.fd_frobnicate", error.Message);
    }

    [Fact]
    public void WasiFunctionWithTheWrongSignatureFailsNamingIt()
    {
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "_start")))
            """));
        using var context = new WasiConfiguration().WithStandardOutput(new MemoryStream()).Build();
        var error = Assert.Throws<LinkException>(() => WasiHost.RunCommand(module, context));
        Assert.Contains("wasi_snapshot_preview1.fd_write", error.Message);
    }

    [Fact]
    public void ModuleWithoutStartIsNotACommand()
    {
        var module = Module.Compile(WatParser.ParseModule("""(module (memory (export "memory") 1) (func (export "main")))"""));
        using var context = new WasiConfiguration().WithStandardOutput(new MemoryStream()).Build();
        var error = Assert.Throws<LinkException>(() => WasiHost.RunCommand(module, context));
        Assert.Contains("_start", error.Message);
    }
}
