using System.Diagnostics;

namespace Strand.Cli.Commands;

/// <summary>
/// <c>strand compile FILE [-o OUT] [--cache-dir DIR] [--ready-to-run] [--quiet]</c>: compiles every function of a module ahead
/// of time. With <c>-o</c>, writes the compiled module to OUT (<c>strand run OUT</c> runs it); otherwise stores it in the cache
/// that <c>strand run FILE</c> uses, and prints the entry's path. With <c>--ready-to-run</c>, also precompiles it to native
/// code with crossgen2 (OUT.r2r), fetching crossgen2 from NuGet first if it is not on the machine.
/// </summary>
public static class CompileCommand
{
    public static int Execute(ArgumentReader args)
    {
        string? output = args.TakeOption("-o");
        string? cacheDir = args.TakeOption("--cache-dir");
        bool quiet = args.TakeFlag("--quiet");
        bool background = args.TakeFlag("--background");
        bool readyToRun = args.TakeFlag("--ready-to-run");
        args.EnsureNoOptionsLeft();
        if (args.Remaining.Count != 1) throw new UsageException("compile needs exactly one FILE");
        if (output is not null && cacheDir is not null) throw new UsageException("-o and --cache-dir exclude each other");
        string file = args.Remaining[0];
        // An existing OUT that is not a regular file (/dev/null, a FIFO, a device) is written into: renaming a temporary file
        // over it, as for a regular file, would replace it (run as root, /dev/null itself).
        var outputType = output is null ? null : Strand.Wasi.HostFileSystem.TypeOfPath(output);
        if (outputType == Strand.Wasi.WasiFileType.Directory) throw new UsageException($"-o {output} is a directory");
        bool writeInPlace = outputType is { } t && t != Strand.Wasi.WasiFileType.RegularFile;
        if (writeInPlace && readyToRun)
            throw new UsageException($"--ready-to-run writes its image next to the -o file, so -o must name a regular file ({output} is not one)");
        var wasm = ModuleLoader.ReadWasm(file);
        if (ModuleLoader.IsCompiledArtifact(wasm)) throw new UsageException($"{file} is already a compiled module");
        var cache = new ModuleCache(cacheDir ?? ModuleCache.DefaultDirectory);

        // A background fill started by `strand run` does nothing when another one holds the entry's lock.
        using var entryLock = background ? ModuleLoader.TryLockEntry(cache, wasm) : null;
        if (background && entryLock is null) return 0;

        // Explicitly asked for: crossgen2 must be there (fetched if need be). A background fill uses it only when present.
        string? crossgen2 = readyToRun ? Crossgen2.FindOrFetch(quiet) : background ? ReadyToRunCompiler.Find() : null;
        using var progress = ProgressReporter.ForConsole(quiet || background);
        var timer = Stopwatch.StartNew();
        Module module;
        try
        {
            module = Module.Compile(wasm, new CompileOptions { Progress = progress.Report });
        }
        catch (Exception e) when (ModuleLoader.IsModuleError(e))
        {
            progress.Dispose();
            Console.Error.WriteLine($"strand: {file}: {e.Message}");
            return 1;
        }
        module.Compiled.ForReadyToRun = crossgen2 is not null;
        string path;
        long? writtenBytes = null; // into a file that is not a regular one, whose length says nothing
        try
        {
            if (output is not null)
            {
                var artifact = module.Serialize(progress.Report);
                if (writeInPlace)
                {
                    using var stream = new FileStream(output, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
                    stream.Write(artifact);
                    writtenBytes = artifact.Length;
                }
                else
                {
                    // An OUT that is a symbolic link (dangling or to a regular file) stays one: its final target is replaced,
                    // as writing through the link would (cp, a linker), but by a rename, never rewritten under a reader.
                    string target = FinalTarget(output);
                    // A short name next to the target (one named after OUT would exceed the longest file name for a long
                    // OUT), deleted whatever happens: a failed write or rename leaves nothing behind.
                    string folder = Path.GetDirectoryName(target) is { Length: > 0 } d ? d : ".";
                    string temporary = Path.Combine(folder, $".strand-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
                    try
                    {
                        File.WriteAllBytes(temporary, artifact);
                        File.Move(temporary, target, overwrite: true);
                    }
                    finally
                    {
                        Compilation.CompiledArtifact.TryDelete(temporary);
                    }
                }
                path = output;
            }
            else
            {
                path = cache.Store(module, progress.Report);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not strand's fault and not the module's: a missing or read-only folder, a full disk, a file in a folder's place.
            progress.Dispose();
            Console.Error.WriteLine($"strand: cannot write {output ?? cache.Directory}: {e.Message}");
            return 1;
        }
        progress.Dispose();
        string native = "";
        if (crossgen2 is not null)
        {
            if (!quiet && !background) Console.Error.WriteLine($"strand: compiling to native code with crossgen2 ({module.Definition.Bodies.Count} functions)...");
            try
            {
                new ReadyToRunCompiler(crossgen2).CompileArtifact(path, Crossgen2.Timeout);
                native = $", ReadyToRun image {new FileInfo(path + ".r2r").Length / 1024} KB";
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or UnauthorizedAccessException)
            {
                if (background) return 0; // the IL entry stands
                Console.Error.WriteLine($"strand: {file}: {e.Message}");
                return 1;
            }
        }
        if (!quiet && !background)
            Console.Out.WriteLine($"{path} ({(writtenBytes ?? new FileInfo(path).Length) / 1024} KB{native}, {module.Definition.Bodies.Count} functions, {timer.Elapsed.TotalSeconds:0.0} s)");
        return 0;
    }

    /// <summary>
    /// The file <paramref name="path"/> leads to through symbolic links (itself when it is none), each relative target
    /// joined to its link's folder without normalising "..", which the kernel resolves (through linked folders) when the
    /// file is written. Throws <see cref="IOException"/> after 40 links (Linux's limit, ELOOP): a cycle.
    /// (<c>File.ResolveLinkTarget(path, returnFinalTarget: true)</c> returned a path at the file system's root for a cycle.)
    /// </summary>
    internal static string FinalTarget(string path)
    {
        string current = path;
        for (int links = 0; links <= 40; links++)
        {
            if (new FileInfo(current).LinkTarget is not { } next) return current;
            current = Path.IsPathRooted(next) ? next : Path.Combine(Path.GetDirectoryName(current) ?? "", next);
        }
        throw new IOException($"too many levels of symbolic links: {path}");
    }
}
