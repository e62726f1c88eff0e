using System.Diagnostics;
using Xunit;

namespace Strand.Tests.Wasi;

/// <summary>
/// `strand run` as a separate process, for what only a real process shows: the file type of its standard
/// streams (a pipe, a file) and its exit status.
/// </summary>
public sealed class CliProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strand-cli-process-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private static string Cli => Path.Combine(AppContext.BaseDirectory, "Strand.Cli.dll");

    private static string Fixture(string name) => ProgramTests.FixturePath("wasi", name);

    /// <summary>Runs a shell command line (so redirections to files are the shell's), returns exit code and stdout.</summary>
    private static (int ExitCode, string Stdout) Shell(string commandLine)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(commandLine);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "strand run did not finish");
        Assert.Equal("", stderr.Result);
        return (process.ExitCode, stdout);
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''") + "'";

    [Fact]
    public void StandardStreamsReportWhatTheyAre()
    {
        if (!OperatingSystem.IsLinux()) return;
        // stdin and stderr pipes, stdout a pipe: none is a terminal, none is a character device.
        var (code, piped) = Shell($"exec dotnet {Quote(Cli)} run {Quote(Fixture("stdio_type"))}");
        Assert.Equal(0, code);
        Assert.Equal("fd 0: isatty=0 errno=0 filetype=0\nfd 1: isatty=0 errno=0 filetype=0\nfd 2: isatty=0 errno=0 filetype=0\n", piped);

        // stdout redirected to a file: a regular file; stdin from a file too.
        string output = Path.Combine(_directory, "out.txt"), input = Path.Combine(_directory, "in.txt");
        File.WriteAllText(input, "");
        (code, _) = Shell($"exec dotnet {Quote(Cli)} run {Quote(Fixture("stdio_type"))} > {Quote(output)} < {Quote(input)}");
        Assert.Equal(0, code);
        Assert.Equal("fd 0: isatty=0 errno=0 filetype=4\nfd 1: isatty=0 errno=0 filetype=4\nfd 2: isatty=0 errno=0 filetype=0\n", File.ReadAllText(output));

        // /dev/null is a character device but no terminal: not reported as one (isatty would be true).
        (code, piped) = Shell($"exec dotnet {Quote(Cli)} run {Quote(Fixture("stdio_type"))} < /dev/null");
        Assert.Equal(0, code);
        Assert.StartsWith("fd 0: isatty=0 errno=0 filetype=0\n", piped);
    }

    [Fact]
    public void StandardStreamsOnATerminalAreCharacterDevices()
    {
        // util-linux's script(1) runs the command on a pseudo-terminal.
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/script")) return;
        var (code, output) = Shell($"exec /usr/bin/script -qec {Quote($"dotnet {Quote(Cli)} run {Quote(Fixture("stdio_type"))}")} /dev/null");
        Assert.Equal(0, code);
        for (int fd = 0; fd < 3; fd++) Assert.Contains($"fd {fd}: isatty=1 errno=0 filetype=2\r\n", output);
    }

    [Theory]
    [InlineData("zero", 0)]
    [InlineData("exit", 3)]
    [InlineData("256", 255)]   // would read as 0 (success) if truncated to 8 bits
    [InlineData("minus1", 255)]
    public void ExitStatusOfStrandRun(string mode, int expected)
    {
        if (!OperatingSystem.IsLinux()) return;
        var (code, stdout) = Shell($"exec dotnet {Quote(Cli)} run {Quote(Fixture("exit_code"))} -- {mode}");
        Assert.Equal($"mode {mode}", stdout);
        Assert.Equal(expected, code);
    }
}
