using Strand.Benchmarks;
using Xunit;

namespace Strand.Tests.Cli;

[Collection(nameof(CliCollection))]
public sealed class CompileCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strand-compile-test-" + Guid.NewGuid().ToString("N"));

    public CompileCommandTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int ExitCode, string Out, string Err) Run(params string[] args) => CliTests.Run(args);

    private string WriteModule(int functions)
    {
        string path = Path.Combine(_directory, $"many{functions}.wasm");
        File.WriteAllBytes(path, ManyFunctions.Generate(functions));
        return path;
    }

    [Fact]
    public void CompileToAFileThenRunTheCompiledModule()
    {
        string wasm = WriteModule(300);
        string output = Path.Combine(_directory, "out.strandc");
        var (code, stdout, stderr) = Run("compile", wasm, "-o", output);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.StartsWith(output + " (", stdout);
        Assert.True(Module.Deserialize(File.ReadAllBytes(output)).IsPrecompiled);

        (code, stdout, _) = Run("run", output, "--invoke", "f", "9");
        Assert.Equal(0, code);
        Assert.Equal(ManyFunctions.Expected(300, 9).ToString(System.Globalization.CultureInfo.InvariantCulture), stdout.Trim());
    }

    /// <summary>
    /// <c>-o</c> naming an existing file that is not a regular one (a FIFO here; /dev/null likewise) is written into, not
    /// replaced: a temporary file renamed over it, as for a regular file, replaced /dev/null itself when run as root.
    /// A directory is a usage error, and so is <c>--ready-to-run</c> (its image goes next to OUT) with such an OUT.
    /// </summary>
    [Fact]
    public void CompileIntoAFifoWritesIntoItInsteadOfReplacingIt()
    {
        if (!Strand.Wasi.HostFileSystem.Supported) return;
        string wasm = WriteModule(50);
        string fifo = Path.Combine(_directory, "pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        Assert.Equal(Strand.Wasi.WasiFileType.Unknown, Strand.Wasi.HostFileSystem.TypeOfPath(fifo)); // a FIFO

        var (code, _, stderr) = Run("compile", wasm, "-o", fifo, "--ready-to-run");
        Assert.Equal(2, code);
        Assert.Contains("must name a regular file", stderr);
        (code, _, stderr) = Run("compile", wasm, "-o", _directory);
        Assert.Equal(2, code);
        Assert.Contains("is a directory", stderr);

        byte[]? received = null;
        var reader = new Thread(() => received = File.ReadAllBytes(fifo)) { IsBackground = true }; // opening a FIFO blocks until the writer opens it
        reader.Start();
        (code, var stdout, stderr) = Run("compile", wasm, "-o", fifo);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.StartsWith(fifo + " (", stdout);
        Assert.True(reader.Join(TimeSpan.FromMinutes(1)));
        var module = Module.Deserialize(received!);
        Assert.True(module.IsPrecompiled);
        Assert.Equal(Strand.Wasi.WasiFileType.Unknown, Strand.Wasi.HostFileSystem.TypeOfPath(fifo)); // still the FIFO
        Assert.Equal(["pipe", "many50.wasm"], Directory.GetFiles(_directory).Select(Path.GetFileName).Order().Reverse());
    }

    /// <summary>
    /// An OUT that cannot be written (its folder missing, a cache folder that is a file) is one line naming it, exit code 1,
    /// not an internal error; an OUT whose name is as long as a file name may be (255 bytes) is written, though a
    /// temporary file named after it would not fit; no temporary file is left behind either way.
    /// </summary>
    [Fact]
    public void AnOutputThatCannotBeWrittenIsOneLineExitOneAndLeavesNoTemporary()
    {
        string wasm = WriteModule(20);
        string missing = Path.Combine(_directory, "nowhere", "out.strandc");
        var (code, _, stderr) = Run("compile", wasm, "-o", missing);
        Assert.Equal(1, code);
        Assert.StartsWith($"strand: cannot write {missing}: ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));

        string notAFolder = Path.Combine(_directory, "file");
        File.WriteAllText(notAFolder, "x");
        (code, _, stderr) = Run("compile", wasm, "--cache-dir", notAFolder);
        Assert.Equal(1, code);
        Assert.StartsWith("strand: cannot write ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));

        string longest = Path.Combine(_directory, new string('o', 255));
        (code, _, stderr) = Run("compile", wasm, "-o", longest);
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.True(Module.Deserialize(File.ReadAllBytes(longest)).IsPrecompiled);
        Assert.Equal(["file", "many20.wasm", Path.GetFileName(longest)], Directory.GetFileSystemEntries(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// An OUT that is a symbolic link to a regular file, or a dangling one, stays a link: the file it leads to is (re)placed,
    /// and runs from the link; no temporary file is left.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void CompileThroughASymbolicLinkReplacesItsTargetAndKeepsTheLink(bool targetExists, bool relative)
    {
        string wasm = WriteModule(30);
        Directory.CreateDirectory(Path.Combine(_directory, "real"));
        string target = Path.Combine(_directory, "real", "out.strandc");
        if (targetExists) File.WriteAllText(target, "old");
        string link = Path.Combine(_directory, "link.strandc");
        // relative: through a second link, in the folder, whose target is relative ("real/out.strandc")
        if (relative)
        {
            File.CreateSymbolicLink(Path.Combine(_directory, "real", "hop"), "out.strandc");
            File.CreateSymbolicLink(link, Path.Combine("real", "hop"));
            target = Path.Combine(_directory, "real", "hop");
        }
        else File.CreateSymbolicLink(link, target);
        var (code, _, stderr) = Run("compile", wasm, "-o", link);
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal(relative ? Path.Combine("real", "hop") : target, new FileInfo(link).LinkTarget);
        if (relative) Assert.Equal("out.strandc", new FileInfo(target).LinkTarget);
        Assert.True(Module.Deserialize(File.ReadAllBytes(Path.Combine(_directory, "real", "out.strandc"))).IsPrecompiled);
        (code, var stdout, _) = Run("run", link, "--invoke", "f", "4");
        Assert.Equal(0, code);
        Assert.Equal(ManyFunctions.Expected(30, 4).ToString(System.Globalization.CultureInfo.InvariantCulture), stdout.Trim());
        Assert.Equal(["link.strandc", "many30.wasm", "real"], Directory.GetFileSystemEntries(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(relative ? ["hop", "out.strandc"] : ["out.strandc"], Directory.GetFileSystemEntries(Path.Combine(_directory, "real")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>A cycle of symbolic links as OUT: one line, exit code 1, nothing written anywhere (the cycle stays).</summary>
    [Fact]
    public void CompileIntoACycleOfSymbolicLinksIsOneLineExitOne()
    {
        string wasm = WriteModule(10);
        string a = Path.Combine(_directory, "a"), b = Path.Combine(_directory, "b");
        File.CreateSymbolicLink(a, "b");
        File.CreateSymbolicLink(b, "a");
        var (code, _, stderr) = Run("compile", wasm, "-o", a);
        Assert.Equal(1, code);
        Assert.StartsWith($"strand: cannot write {a}: too many levels of symbolic links", stderr);
        Assert.Equal("b", new FileInfo(a).LinkTarget);
        Assert.Equal("a", new FileInfo(b).LinkTarget);
        Assert.Equal(["a", "b", "many10.wasm"], Directory.GetFileSystemEntries(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void CompileReadyToRunWritesANativeImageThatRunUses()
    {
        Strand.Cli.Crossgen2.FindOrFetch(quiet: true); // fetched once for the machine, as the command itself would
        string wasm = WriteModule(40);
        string output = Path.Combine(_directory, "native.strandc");
        var (code, stdout, stderr) = Run("compile", wasm, "-o", output, "--ready-to-run");
        Assert.Equal(0, code);
        Assert.Contains("strand: compiling to native code with crossgen2 (", stderr);
        Assert.Matches(@"^" + System.Text.RegularExpressions.Regex.Escape(output) + @" \(\d+ KB, ReadyToRun image \d+ KB, \d+ functions, ", stdout);
        Assert.True(Module.DeserializeFile(output).IsReadyToRun);

        (code, stdout, _) = Run("run", output, "--invoke", "f", "3");
        Assert.Equal(0, code);
        Assert.Equal(ManyFunctions.Expected(40, 3).ToString(System.Globalization.CultureInfo.InvariantCulture), stdout.Trim());
    }

    [Fact]
    public void ABadCrossgen2IsOneLineAndExitOne()
    {
        string wasm = WriteModule(5);
        string fake = Path.Combine(_directory, "crossgen2");
        File.WriteAllText(fake, "#!/bin/sh\necho 'error: no thanks' >&2\nexit 3\n");
        if (OperatingSystem.IsWindows()) return; // a shell script stands in for crossgen2
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Process-wide: ReadyToRunTests share this test's collection, so nothing else looks for crossgen2 meanwhile.
        Environment.SetEnvironmentVariable("STRAND_CROSSGEN2", fake);
        try
        {
            var (code, _, stderr) = Run("compile", wasm, "-o", Path.Combine(_directory, "x.strandc"), "--ready-to-run", "--quiet");
            Assert.Equal(1, code);
            Assert.Equal($"strand: {wasm}: crossgen2 failed (exit 3): error: no thanks", stderr.Trim());
            Environment.SetEnvironmentVariable("STRAND_CROSSGEN2", Path.Combine(_directory, "missing"));
            (code, _, stderr) = Run("compile", wasm, "-o", Path.Combine(_directory, "x.strandc"), "--ready-to-run", "--quiet");
            Assert.Equal(2, code);
            Assert.Contains("STRAND_CROSSGEN2 is set to", stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable("STRAND_CROSSGEN2", null);
        }
    }

    [Fact]
    public void CompileFillsTheCacheThatRunUsesAndNoCacheIgnoresIt()
    {
        string wasm = WriteModule(300);
        string cacheDir = Path.Combine(_directory, "cache");
        var (code, stdout, _) = Run("compile", wasm, "--cache-dir", cacheDir);
        Assert.Equal(0, code);
        var cache = new ModuleCache(cacheDir);
        string entry = cache.PathFor(File.ReadAllBytes(wasm));
        Assert.StartsWith(entry + " (", stdout);
        Assert.True(File.Exists(entry));

        string expected = ManyFunctions.Expected(300, 4).ToString(System.Globalization.CultureInfo.InvariantCulture);
        (code, stdout, _) = Run("run", wasm, "--cache-dir", cacheDir, "--invoke", "f", "4");
        Assert.Equal(0, code);
        Assert.Equal(expected, stdout.Trim());

        // A corrupt entry is not loaded: the run compiles instead (and the entry is dropped).
        File.WriteAllBytes(entry, [.. "STRANDC\u0001"u8, 1, 2, 3]);
        (code, stdout, _) = Run("run", wasm, "--cache-dir", cacheDir, "--invoke", "f", "4");
        Assert.Equal(0, code);
        Assert.Equal(expected, stdout.Trim());
        Assert.False(File.Exists(entry));

        (code, stdout, _) = Run("run", wasm, "--no-cache", "--cache-dir", cacheDir, "--invoke", "f", "4");
        Assert.Equal(0, code);
        Assert.Equal(expected, stdout.Trim());
        Assert.False(File.Exists(entry));
    }

    [Fact]
    public void ACorruptCompiledModuleIsReportedInOneLine()
    {
        string output = Path.Combine(_directory, "bad.strandc");
        File.WriteAllBytes(output, [.. "STRANDC\u0001"u8, 0, 0, 0]);
        var (code, _, stderr) = Run("run", output, "--invoke", "f", "1");
        Assert.Equal(1, code);
        Assert.Equal($"strand: {output}: not a compiled Strand module", stderr.Trim());

        // A real one, damaged in the middle or cut short: found by its checksum or by its trailer, before anything is loaded.
        string good = Path.Combine(_directory, "good.strandc");
        Assert.Equal(0, Run("compile", WriteModule(50), "-o", good).ExitCode);
        var bytes = File.ReadAllBytes(good);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(output, bytes);
        (code, _, stderr) = Run("run", output, "--invoke", "f", "1");
        Assert.Equal(1, code);
        Assert.Equal($"strand: {output}: compiled module is corrupt (checksum)", stderr.Trim());
        File.WriteAllBytes(output, File.ReadAllBytes(good)[..^1000]);
        (code, _, stderr) = Run("run", output, "--invoke", "f", "1");
        Assert.Equal(1, code);
        Assert.StartsWith($"strand: {output}: ", stderr.Trim());
    }

    [Fact]
    public void CompileReportsUsageAndModuleErrors()
    {
        Assert.Equal(2, Run("compile").ExitCode);
        string invalid = Path.Combine(_directory, "invalid.wat");
        File.WriteAllText(invalid, "(module (func (result i32) (i64.const 0)))");
        var (code, _, stderr) = Run("compile", invalid, "-o", Path.Combine(_directory, "x.strandc"));
        Assert.Equal(1, code);
        Assert.Contains("type mismatch", stderr);
        Assert.False(File.Exists(Path.Combine(_directory, "x.strandc")));
    }
}
