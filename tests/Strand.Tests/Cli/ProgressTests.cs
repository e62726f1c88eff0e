using Strand.Benchmarks;
using Strand.Cli;
using Xunit;

namespace Strand.Tests.Cli;

public class ProgressTests
{
    [Fact]
    public void CompileReportsDecodingAndEveryValidatedBody()
    {
        const int count = 3_000;
        var reports = new System.Collections.Concurrent.ConcurrentBag<CompileProgress>();
        var module = Module.Compile(ManyFunctions.Generate(count), new CompileOptions { Progress = reports.Add });
        var validate = reports.Where(r => r.Stage == "validate").ToList();
        Assert.All(validate, r => Assert.Equal(count + 1, r.Total));
        Assert.Equal(count + 1, validate.Max(r => r.Done));
        Assert.True(validate.Count >= (count + 1) / 64);
        Assert.Contains(reports, r => r.Stage == "decode" && r.Done == r.Total);

        var generate = new List<CompileProgress>();
        module.GenerateAllCode(generate.Add);
        Assert.Equal(module.Compiled.ChunkCount, generate.Count);
        Assert.Equal(Enumerable.Range(1, generate.Count).Select(i => (long)i), generate.Select(g => g.Done));
        Assert.Equal(module.Compiled.ChunkCount, module.Compiled.GeneratedChunks);
    }

    [Fact]
    public void TheReporterIsSilentDuringTheFirstSecondThenRewritesOneLineAndErasesIt()
    {
        var now = TimeSpan.Zero;
        var writer = new StringWriter();
        var reporter = new ProgressReporter(writer, () => now);
        reporter.Report(new CompileProgress("validate", 10, 100));
        Assert.Equal("", writer.ToString());
        now = TimeSpan.FromSeconds(1.5);
        reporter.Report(new CompileProgress("validate", 50, 100));
        Assert.Equal("\rstrand: validating functions 50/100 (50%), 1.5 s", writer.ToString());
        reporter.Report(new CompileProgress("validate", 60, 100)); // within 100 ms: skipped
        now = TimeSpan.FromSeconds(2);
        reporter.Report(new CompileProgress("validate", 100, 100));
        Assert.EndsWith("\rstrand: validating functions 100/100 (100%), 2.0 s", writer.ToString());
        Assert.True(reporter.Showing);
        reporter.Dispose();
        Assert.EndsWith("\r" + new string(' ', "strand: validating functions 100/100 (100%), 2.0 s".Length) + "\r", writer.ToString());
        Assert.False(reporter.Showing);
    }

    [Fact]
    public void ADisabledReporterWritesNothing()
    {
        var reporter = new ProgressReporter(null, () => TimeSpan.FromSeconds(10));
        reporter.Report(new CompileProgress("validate", 1, 2));
        Assert.False(reporter.Showing);
        reporter.Dispose();
        // The CLI's reporter is disabled when stderr is redirected (as under the test runner) or with --quiet.
        Assert.False(ProgressReporter.ForConsole(quiet: true).Showing);
    }
}
