using System.Diagnostics;
using System.Text.RegularExpressions;
using Strand.Cli;
using Xunit;

namespace Strand.Tests.Cli;

/// <summary>Help, documented examples, usage errors (one line, exit 2) and the other "found" items of the CLI issue.</summary>
[Collection(nameof(CliCollection))]
public class CliConventionTests
{
    private static (int ExitCode, string Out, string Err) Run(params string[] args) => CliTests.Run(args);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Strand.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private static void AssertUsageError((int ExitCode, string Out, string Err) result, string expected)
    {
        Assert.Equal(2, result.ExitCode);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("strand: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", result.Err);
    }

    public static TheoryData<string> CommandNames() => new(CommandHelp.Commands.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void EveryCommandHasHelpWithEveryOptionExamplesAndExitCodes(string name)
    {
        var spec = CommandHelp.Find(name)!;
        foreach (var form in new[] { new[] { name, "--help" }, new[] { name, "-h" }, new[] { "help", name } })
        {
            var (code, output, error) = Run(form);
            Assert.Equal(0, code);
            Assert.Equal("", error);
            Assert.StartsWith($"usage: strand {name}", output);
            foreach (var option in spec.Options) Assert.Contains(option.Spelling, output);
            Assert.Contains("examples", output);
            foreach (var example in spec.Examples) Assert.Contains(example, output);
            Assert.Contains("exit codes:", output);
            foreach (var (exit, _) in spec.ExitCodes) Assert.Matches($@"\n\s+{exit}  ", output);
        }
        // The global help names every command and how to get its help.
        var global = Run("--help").Out;
        Assert.Contains(spec.Synopsis, global);
        Assert.Contains("strand COMMAND --help", global);
    }

    /// <summary>Every option a command's help lists is one its parser knows (the help table and the parsers agree).</summary>
    [Theory]
    [MemberData(nameof(CommandNames))]
    public void EveryDocumentedOptionIsAccepted(string name)
    {
        foreach (var option in CommandHelp.Find(name)!.Options)
        {
            if (option.Spelling.StartsWith("-- ", StringComparison.Ordinal) || option.Spelling.Contains("--help")) continue;
            string[] tokens = option.Spelling.Split(' ');
            string? placeholder = tokens.FirstOrDefault(t => !t.StartsWith('-'));
            string? value = placeholder is not null ? placeholder switch
            {
                "N" => "2",
                "SECONDS" => "1",
                "SIZE" => "64k",
                "MODE" => "shared",
                "NAME" => "f",
                "HOST[::GUEST]" => Path.GetTempPath(),
                "NAME=VALUE" => "A=B",
                "OUT.svg" => Path.Combine(Path.GetTempPath(), "unused.svg"),
                "OUT" => Path.Combine(Path.GetTempPath(), "unused.cwasm"),
                "DIR" => Path.Combine(Path.GetTempPath(), "unused-strand-cache"),
                var other => throw new InvalidOperationException($"no sample value for {other} ({option.Spelling})"),
            } : null;
            foreach (var spelling in tokens.Where(t => t.StartsWith('-')).Select(t => t.TrimEnd(',')))
            {
                // Without a FILE (demo: with one) every command stops with a usage error after reading its options.
                string[] args = value is null ? [name, spelling] : [name, spelling, value];
                if (name == "demo") args = [.. args, "extra"];
                var (code, _, error) = Run(args);
                Assert.Equal(2, code);
                Assert.DoesNotContain("unknown option", error);
            }
        }
    }

    [Fact]
    public void HelpAfterDashDashBelongsToTheGuest()
    {
        // The guest writes to the process's own stdout (not Console.Out): the help must not have been printed instead.
        var (code, output, _) = Run("run", Fixture("wasi", "args_env.wasm"), "--", "--help");
        Assert.Equal(0, code);
        Assert.DoesNotContain("usage:", output);
    }

    private static string Fixture(params string[] parts) => Path.Combine([RepoRoot(), "fixtures", .. parts]);

    /// <summary>Every example in every command's help and every <c>strand ...</c> line of the README's examples.</summary>
    public static TheoryData<string> DocumentedExamples()
    {
        // An example both in a command's help and in the README runs once (xUnit skips a repeated case with a warning).
        var data = new TheoryData<string>();
        foreach (var e in CommandHelp.Commands.SelectMany(c => c.Examples).Concat(ReadmeExamples()).Distinct(StringComparer.Ordinal)) data.Add(e);
        return data;
    }

    private static IEnumerable<string> ReadmeExamples()
    {
        string readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        int start = readme.IndexOf("<!-- examples: run by CliConventionTests -->", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has the examples block");
        int end = readme.IndexOf("```\n\n", readme.IndexOf("```sh", start, StringComparison.Ordinal) + 5, StringComparison.Ordinal);
        return readme[start..end].Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("strand ", StringComparison.Ordinal))
            .Select(l => l.Split('#')[0].Trim());
    }

    [Fact]
    public void TheReadmeHasExamples() => Assert.True(ReadmeExamples().Count() >= 4);

    [Theory]
    [MemberData(nameof(DocumentedExamples))]
    public void DocumentedExampleRuns(string example)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"strand-example-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            var args = example.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(a => a.StartsWith("fixtures/", StringComparison.Ordinal) ? Path.Combine(RepoRoot(), a)
                    : a.EndsWith(".svg", StringComparison.Ordinal) || a.EndsWith(".cwasm", StringComparison.Ordinal) ? Path.Combine(temp, a) : a)
                .ToArray();
            var (code, output, error) = Run(args);
            Assert.True(code == 0, $"{example}: exit {code}\n{error}");
            Assert.Equal("", error);
            // A WASI program writes to the process's stdout itself; strand's own output goes through Console.Out.
            if (!example.Contains("wasi/")) Assert.NotEqual("", output);
            if (args.Any(a => a.EndsWith(".svg", StringComparison.Ordinal)))
                Assert.StartsWith("<svg", File.ReadAllText(args.First(a => a.EndsWith(".svg", StringComparison.Ordinal))));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [Fact]
    public void VersionIsThePackageVersion()
    {
        string props = File.ReadAllText(Path.Combine(RepoRoot(), "Directory.Build.props"));
        string version = Regex.Match(props, "<Version>([^<]+)</Version>").Groups[1].Value;
        Assert.NotEqual("", version);
        var (code, output, _) = Run("--version");
        Assert.Equal(0, code);
        Assert.Equal(version, output.Trim());
        Assert.Contains($"strand {version}", Run("--help").Out);
    }

    private static string WriteTemp(string text, string extension = ".wat")
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-cli-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, text);
        return path;
    }

    private const string AddModule = "(module (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))";

    [Fact]
    public void BadArgumentsAreOneLineUsageErrors()
    {
        string add = WriteTemp(AddModule);
        try
        {
            AssertUsageError(Run("run", add, "--invoke", "add", "0x", "1"), "'0x' is not a valid i32");
            AssertUsageError(Run("run", add, "--invoke", "add", "0xg", "1"), "'0xg' is not a valid i32");
            AssertUsageError(Run("run", add, "--invoke", "add", "-", "1"), "'-' is not a valid i32");
            AssertUsageError(Run("run", add, "--invoke", "add", "0x100000000", "1"), "'0x100000000' is not a valid i32");
            AssertUsageError(Run("run", add, "--invoke", "add", "-0x80000001", "1"), "is not a valid i32");
            AssertUsageError(Run("run", add, "--invoke", "add", "1"), "takes 2 argument(s)");
            AssertUsageError(Run("run", add, "--bogus"), "unknown option '--bogus'");
            AssertUsageError(Run("run", Fixture("seed", "algorithm_threads.wasm"), "--invoke", "algorithm", "--threads", "2", "--stack-size", "99999999999g"), "--stack-size");
            AssertUsageError(Run("inspect", Fixture("seed", "algorithm_threads.wasm"), "--stack-size", "99999999999g"), "too large");
            AssertUsageError(Run("inspect", add, "--stack-size", "-5"), "cannot read size '-5'");
            AssertUsageError(Run("run", Fixture("wasi", "args_env.wasm"), "--dir", Path.GetTempPath() + "::"), "non-empty GUEST");
            AssertUsageError(Run("run", Fixture("wasi", "args_env.wasm"), "--dir", "::/x"), "non-empty HOST");
            AssertUsageError(Run("run", Fixture("wasi", "args_env.wasm"), "--env", "=x"), "--env expects NAME=VALUE");
            AssertUsageError(Run("run", Fixture("wasi", "args_env.wasm"), "--timeout", "abc"), "--timeout");
            AssertUsageError(Run("frobnicate"), "unknown command 'frobnicate'");
            AssertUsageError(Run("help", "frobnicate"), "unknown command 'frobnicate'");
        }
        finally
        {
            File.Delete(add);
        }
    }

    [Theory]
    [InlineData("-0x5", "2", "-3")]
    [InlineData("0x10", "0X1", "17")]
    [InlineData("4294967295", "1", "0")]
    [InlineData("-2147483648", "-1", "2147483647")]
    [InlineData("+7", "0xffffffff", "6")]
    public void IntegerArgumentsInDecimalAndHex(string a, string b, string expected)
    {
        string add = WriteTemp(AddModule);
        try
        {
            var (code, output, error) = Run("run", add, "--invoke", "add", a, b);
            Assert.True(code == 0, error);
            Assert.Equal(expected, output.Trim());
        }
        finally
        {
            File.Delete(add);
        }
    }

    [Fact]
    public void OnlyRegularFilesAreReadAsModules()
    {
        AssertUsageError(Run("run", Path.GetTempPath()), "is a directory");
        AssertUsageError(Run("inspect", Path.GetTempPath()), "is a directory");
        if (File.Exists("/dev/zero"))
        {
            var watch = Stopwatch.StartNew();
            AssertUsageError(Run("run", "/dev/zero"), "not a regular file");
            AssertUsageError(Run("inspect", "/dev/zero"), "not a regular file");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        }
        if (OperatingSystem.IsLinux())
        {
            // A FIFO nobody writes to: opening it would block forever.
            string fifo = Path.Combine(Path.GetTempPath(), $"strand-fifo-{Guid.NewGuid():N}");
            using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!) mkfifo.WaitForExit();
            try
            {
                AssertUsageError(Run("run", fifo), "not a regular file");
            }
            finally
            {
                File.Delete(fifo);
            }
        }
        string empty = Path.GetTempFileName();
        try
        {
            AssertUsageError(Run("inspect", empty), "is empty");
        }
        finally
        {
            File.Delete(empty);
        }
        string small = Path.Combine(Path.GetTempPath(), $"strand-small-{Guid.NewGuid():N}.wasm");
        File.WriteAllBytes(small, [0, (byte)'a', (byte)'s', (byte)'m', 1, 0, 0, 0]);
        try
        {
            var e = Assert.Throws<UsageException>(() => ModuleLoader.ReadWasm(small, maxSize: 7));
            Assert.Contains("larger than 7 bytes", e.Message);
            Assert.Equal(8, ModuleLoader.ReadWasm(small, maxSize: 8).Length);
        }
        finally
        {
            File.Delete(small);
        }
    }

    [Fact]
    public void InvokeProvidesTheWasiHostAndRunsInitializeFirst()
    {
        var (code, output, error) = Run("run", Fixture("wasi", "reactor.wat"), "--invoke", "count", "2");
        Assert.True(code == 0, error);
        Assert.EndsWith("12", output.Trim()); // _initialize set the base to 10
        // A WASI command's export can be called too, and proc_exit's code is the exit code.
        (code, output, _) = Run("run", Fixture("wasi", "exit_code.wasm"), "--invoke", "_start", "--", "exit");
        Assert.Equal(3, code);
    }

    [Fact]
    public void InspectAndRunAgreeOnWhatTheyAccept()
    {
        var run = Run("run", Fixture("seed", "algorithm_threads.wasm"), "--invoke", "algorithm", "--threads", "2", "--stack-size", "4g");
        var inspect = Run("inspect", Fixture("seed", "algorithm_threads.wasm"), "--threads", "2", "--stack-size", "4g");
        AssertUsageError(run, "--stack-size must be below 4 GiB");
        AssertUsageError(inspect, "--stack-size must be below 4 GiB");

        // Threads on an unshared memory: run refuses the second thread, inspect says it cannot place them, same reason.
        var (code, _, error) = Run("run", Fixture("seed", "algorithm.wasm"), "--invoke", "algorithm", "--threads", "2");
        Assert.Equal(1, code);
        Assert.Contains("the module's memory is not shared, so only one thread may use it", error);
        var (inspectCode, output, _) = Run("inspect", Fixture("seed", "algorithm.wasm"), "--threads", "2");
        Assert.Equal(0, inspectCode);
        Assert.Contains("note: the module's memory is not shared, so only one thread may use it: strand run refuses thread 2", output);
    }

    [Fact]
    public void TinyTimeoutsAreShownAsGiven()
    {
        string spin = WriteTemp("(module (func (export \"spin\") (loop (br 0))))");
        try
        {
            var (code, _, error) = Run("run", spin, "--invoke", "spin", "--timeout", "0.000001");
            Assert.Equal(124, code);
            Assert.Contains("--timeout 0.000001 s", error);
        }
        finally
        {
            File.Delete(spin);
        }
        Assert.Equal("0.0000001 s", Strand.Cli.Commands.RunCommand.FormatSeconds(TimeSpan.FromTicks(1)));
        Assert.Equal("2.5 s", Strand.Cli.Commands.RunCommand.FormatSeconds(TimeSpan.FromSeconds(2.5)));
    }

    [Fact]
    public void ManyCollisionsAreSummarisedPerPair()
    {
        var writer = new StringWriter();
        var summary = new CollisionSummary(writer, "c: ");
        var range = new Strand.Threads.AddressRange(0, 0x100);
        for (int i = 0; i < 1000; i++)
            summary.Report(new Strand.Threads.StackCollision(2 + i % 3, 0x80, 1, range));
        summary.WriteSummary();
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(CollisionSummary.FullReports + 1 + 3, lines.Length);
        Assert.Contains("c: 1000 collisions in all (980 not shown) between 3 pair(s) of threads:", lines);
        Assert.Contains("c:   thread 2 into thread 1's stack: 334", lines);
        Assert.Contains("c:   thread 3 into thread 1's stack: 333", lines);
        Assert.Contains("c:   thread 4 into thread 1's stack: 333", lines);

        // Few collisions: all in full, no summary.
        writer = new StringWriter();
        summary = new CollisionSummary(writer, "c: ");
        summary.Report(new Strand.Threads.StackCollision(2, 0x80, 1, range));
        summary.WriteSummary();
        Assert.Single(writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void SvgDrawsTlsBlocksLegendOnlyWhatIsShownAndLabelsDoNotOverlap()
    {
        string svg = Path.Combine(Path.GetTempPath(), $"strand-{Guid.NewGuid():N}.svg");
        try
        {
            var (code, output, _) = Run("inspect", Fixture("threads", "tls.wasm"), "--threads", "3", "--svg", svg);
            Assert.Equal(0, code);
            Assert.DoesNotContain("((", output);
            Assert.DoesNotContain("))", output);
            string text = File.ReadAllText(svg);
            foreach (int t in new[] { 1, 2, 3 }) Assert.Contains($">T{t} TLS</text>", text);
            Assert.Contains(">TLS block</text>", text);
            Assert.DoesNotContain(">data segment</text>", text); // tls.wasm's data is only its TLS template

            // Labels above the bar: none overlaps another on the same row (estimated widths, as the renderer uses).
            var labels = Regex.Matches(text, "<text x=\"([0-9.]+)\" y=\"([0-9.]+)\" text-anchor=\"(start|middle)\" font-size=\"([0-9.]+)\"[^>]*>([^<]*)</text>")
                .Select(m => (X: double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                              Y: double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
                              Anchor: m.Groups[3].Value,
                              Width: m.Groups[5].Value.Length * double.Parse(m.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture) * 0.55))
                .Where(l => l.Y > 50 && l.Y < 120)
                .Select(l => (l.Y, Low: l.Anchor == "middle" ? l.X - l.Width / 2 : l.X, High: l.Anchor == "middle" ? l.X + l.Width / 2 : l.X + l.Width))
                .ToList();
            Assert.Contains(labels, l => true);
            Assert.Contains("end of initial memory", text);
            foreach (var a in labels)
                foreach (var b in labels)
                    if (a != b && a.Y == b.Y) Assert.False(a.Low < b.High && b.Low < a.High, $"labels overlap at y={a.Y}: {a} and {b}");
        }
        finally
        {
            File.Delete(svg);
        }
    }
}

/// <summary>The embedding API's cancellable call (docs/embedding.md).</summary>
public class EmbeddingCancellationTests
{
    [Fact]
    public void InvokeWithACancellationTokenInterruptsALoopAndTheInstanceStaysUsable()
    {
        var module = Strand.Module.Compile(Strand.Text.WatParser.ParseModule("""
            (module
              (func (export "spin") (loop (br 0)))
              (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
            """));
        using var instance = new Strand.Linker().Instantiate(module);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var e = Assert.Throws<OperationCanceledException>(() => { instance.Invoke("spin", cts.Token); });
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal(Strand.Runtime.TrapCode.Interrupted, Assert.IsType<Strand.Runtime.TrapException>(e.InnerException).Code);
        // Cleared: the next call runs normally.
        Assert.Equal(5, instance.Invoke("add", CancellationToken.None, Strand.Runtime.Value.I32(2), Strand.Runtime.Value.I32(3))[0].AsI32);
        Assert.Throws<OperationCanceledException>(() => { instance.Invoke("add", cts.Token, Strand.Runtime.Value.I32(2), Strand.Runtime.Value.I32(3)); });
    }

    [Fact]
    public void WastWithoutAModuleSaysSo()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strand-{Guid.NewGuid():N}.wast");
        File.WriteAllText(path, "(assert_return (invoke \"f\") (i32.const 1))\n(register \"m\")\n");
        try
        {
            var result = Strand.Tools.WastRunner.RunFile(path);
            Assert.Equal(2, result.Failed);
            Assert.All(result.Failures, f => Assert.EndsWith("no module defined yet", f));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
