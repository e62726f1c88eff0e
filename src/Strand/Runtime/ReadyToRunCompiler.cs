using System.Diagnostics;
using System.Runtime.InteropServices;
using Strand.Compilation;

namespace Strand;

/// <summary>
/// Precompiles a compiled module's code to native code with crossgen2, .NET's ReadyToRun compiler (an external program,
/// NuGet package <c>Microsoft.NETCore.App.Crossgen2.RID</c>), so that later processes loading it
/// (<see cref="Module.DeserializeFile"/>, <see cref="ModuleCache"/>) skip most JIT compilation. The image is written next
/// to the artifact (<c>ARTIFACT.r2r</c> and its check <c>ARTIFACT.r2r.check</c>) and is used only while it matches the
/// artifact exactly. Measured on SQLite's shell: a cached start went from 1.4 s to 0.17 s of CPU (docs/compiler.md,
/// "ReadyToRun images"). ReadyToRun code is never unloaded, and crossgen2 takes time and memory proportional to the
/// module (minutes and gigabytes for 30,000+ functions), so it is an explicit step (<c>strand compile --ready-to-run</c>).
/// </summary>
public sealed class ReadyToRunCompiler
{
    /// <summary>Uses the crossgen2 executable at <paramref name="crossgen2Path"/>.</summary>
    /// <exception cref="FileNotFoundException">there is no file at <paramref name="crossgen2Path"/>.</exception>
    public ReadyToRunCompiler(string crossgen2Path)
    {
        ArgumentException.ThrowIfNullOrEmpty(crossgen2Path);
        if (!File.Exists(crossgen2Path)) throw new FileNotFoundException($"no crossgen2 at {crossgen2Path}", crossgen2Path);
        Crossgen2Path = Path.GetFullPath(crossgen2Path);
    }

    /// <summary>The crossgen2 executable.</summary>
    public string Crossgen2Path { get; }

    /// <summary>The runtime identifier crossgen2 targets and its package is named after: <c>linux-x64</c>, <c>osx-arm64</c>, <c>win-x64</c>, ...</summary>
    public static string RuntimeIdentifier
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            return $"{os}-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
        }
    }

    /// <summary>The NuGet package that holds crossgen2 for this machine: <c>Microsoft.NETCore.App.Crossgen2.</c><see cref="RuntimeIdentifier"/>.</summary>
    public static string PackageId => "Microsoft.NETCore.App.Crossgen2." + RuntimeIdentifier;

    /// <summary>The version of the running .NET runtime (for example 10.0.12): the crossgen2 package version to use.</summary>
    public static string RuntimeVersion => Environment.Version.ToString(3);

    /// <summary>
    /// Finds crossgen2: <c>$STRAND_CROSSGEN2</c> if set, else in the NuGet package folder (<c>$NUGET_PACKAGES</c>, else
    /// <c>~/.nuget/packages</c>) the package <see cref="PackageId"/> of version <see cref="RuntimeVersion"/>, else its highest
    /// version of the same major version. Null when there is none (any <c>dotnet publish -p:PublishReadyToRun=true</c>, or a
    /// <c>dotnet restore</c> of a project with a <c>PackageDownload</c> of it, puts it there).
    /// </summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("STRAND_CROSSGEN2") is { Length: > 0 } configured) return File.Exists(configured) ? configured : null;
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var root = new DirectoryInfo(Path.Combine(packages, PackageId.ToLowerInvariant()));
        if (!root.Exists) return null;
        string exe = OperatingSystem.IsWindows() ? "crossgen2.exe" : "crossgen2";
        var candidates = root.GetDirectories()
            .Select(d => (Directory: d, Version: Version.TryParse(d.Name.Split('-')[0], out var v) ? v : null))
            .Where(c => c.Version is { } v && v.Major == Environment.Version.Major && File.Exists(Path.Combine(c.Directory.FullName, "tools", exe)))
            .OrderByDescending(c => c.Directory.Name == RuntimeVersion)
            .ThenByDescending(c => c.Version)
            .ToList();
        return candidates.Count == 0 ? null : Path.Combine(candidates[0].Directory.FullName, "tools", exe);
    }

    /// <summary>
    /// Compiles the artifact at <paramref name="artifactPath"/> (<see cref="Module.Serialize"/>'s output in a file, or a
    /// <see cref="ModuleCache"/> entry) to a ReadyToRun image next to it, replacing any earlier one. Runs crossgen2 with this
    /// runtime's framework and this Strand.dll as references; it may use every core. Throws <see cref="InvalidDataException"/>
    /// for a bad artifact, <see cref="TimeoutException"/> when crossgen2 runs longer than <paramref name="timeout"/> (it is
    /// killed), <see cref="OperationCanceledException"/> when cancelled, and <see cref="InvalidOperationException"/> with
    /// crossgen2's last output lines when it fails.
    /// </summary>
    public void CompileArtifact(string artifactPath, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(artifactPath);
        var artifact = File.ReadAllBytes(artifactPath);
        CompiledArtifact.Read(artifact); // checks it
        string engine = typeof(ReadyToRunCompiler).Assembly.Location;
        if (engine.Length == 0) throw new InvalidOperationException("Strand.dll has no file location (a single-file app): crossgen2 needs it as a reference");
        // Short names next to the artifact (one named after it does not fit when the artifact's own name is long), marked
        // as the cache's temporaries: "<guid>.strandc.r2r.<pid>".
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(artifactPath))!, $"{Guid.NewGuid():N}{ModuleCache.Extension}.r2r.{Environment.ProcessId}");
        // crossgen2 wants a .dll input; ".tmp.dll" marks both as temporaries for ModuleCache.Trim.
        string input = stem + ".il.tmp.dll", output = stem + ".tmp.dll";
        try
        {
            File.WriteAllBytes(input, CompiledArtifact.Image(artifact).ToArray());
            var psi = new ProcessStartInfo(Crossgen2Path)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            string os = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            foreach (var a in new[]
                     {
                         input, "-o", output, "-O", "--targetos", os, "--targetarch", RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
                         "-r", Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"), "-r", engine,
                     })
                psi.ArgumentList.Add(a);
            using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Crossgen2Path}");
            process.StandardInput.Close();
            var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
            void Keep(string? line)
            {
                if (line is null) return;
                log.Enqueue(line);
                while (log.Count > 20) log.TryDequeue(out _);
            }
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using (cancellationToken.Register(() => Kill(process)))
            {
                if (!process.WaitForExit(timeout))
                {
                    Kill(process);
                    throw new TimeoutException($"crossgen2 did not finish within {timeout.TotalSeconds:0} s");
                }
                process.WaitForExit(); // drains the output
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (process.ExitCode != 0 || !File.Exists(output))
                throw new InvalidOperationException($"crossgen2 failed (exit {process.ExitCode}): {string.Join(" | ", log.Where(l => l.Length > 0).TakeLast(5))}");
            NativeImage.Store(artifactPath, CompiledArtifact.Checksum(artifact), output);
        }
        finally
        {
            CompiledArtifact.TryDelete(input);
            CompiledArtifact.TryDelete(output);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already ended.
        }
    }
}
