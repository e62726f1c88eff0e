using System.Diagnostics;

namespace Strand.Cli;

/// <summary>Finds crossgen2 for <c>strand compile --ready-to-run</c>, fetching its NuGet package when it is missing.</summary>
public static class Crossgen2
{
    /// <summary>How long crossgen2 may run: a 34,000-function module took 5.5 minutes on 2 loaded cores.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromHours(1);

    /// <summary>
    /// <see cref="ReadyToRunCompiler.Find"/>, else downloads the package into the NuGet package folder with <c>dotnet restore</c>
    /// of a throwaway project that only has a <c>PackageDownload</c> of it (the .NET SDK must be installed). Throws
    /// <see cref="UsageException"/> with what to do when that fails.
    /// </summary>
    public static string FindOrFetch(bool quiet)
    {
        if (ReadyToRunCompiler.Find() is { } found) return found;
        if (Environment.GetEnvironmentVariable("STRAND_CROSSGEN2") is { Length: > 0 } configured)
            throw new UsageException($"STRAND_CROSSGEN2 is set to {configured}, which does not exist");
        string package = ReadyToRunCompiler.PackageId, version = ReadyToRunCompiler.RuntimeVersion;
        if (!quiet) Console.Error.WriteLine($"strand: fetching crossgen2 (NuGet {package} {version}) with dotnet restore...");
        string project = Path.Combine(Path.GetTempPath(), $"strand-crossgen2-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(project);
        try
        {
            File.WriteAllText(Path.Combine(project, "fetch.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net{Environment.Version.Major}.0</TargetFramework></PropertyGroup>
                  <ItemGroup><PackageDownload Include="{package}" Version="[{version}]" /></ItemGroup>
                </Project>
                """);
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = project };
            foreach (var a in new[] { "restore", "--nologo", "-v", "q" }) psi.ArgumentList.Add(a);
            string output;
            int exit;
            try
            {
                using var process = Process.Start(psi)!;
                var error = process.StandardError.ReadToEndAsync();
                output = process.StandardOutput.ReadToEnd() + error.Result;
                process.WaitForExit();
                exit = process.ExitCode;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new UsageException($"crossgen2 is not installed and 'dotnet' could not be run to fetch it ({e.Message}); set STRAND_CROSSGEN2 to a crossgen2 executable");
            }
            if (exit != 0 || ReadyToRunCompiler.Find() is not { } fetched)
                throw new UsageException($"could not fetch {package} {version} (dotnet restore exit {exit}: {output.Trim().Split('\n').LastOrDefault()?.Trim()}); set STRAND_CROSSGEN2 to a crossgen2 executable");
            return fetched;
        }
        finally
        {
            try { Directory.Delete(project, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
