using Strand.Binary;
using Strand.Runtime;
using Strand.Text;

namespace Strand.Cli;

/// <summary>Loads a .wasm or .wat file into a compiled module, reporting problems in one clear line.</summary>
public static class ModuleLoader
{
    /// <summary>The largest module file strand reads: the engine's cap (<see cref="ModuleFile.MaxBytes"/>, 1 GiB).</summary>
    public const long MaxModuleFileSize = ModuleFile.MaxBytes;

    public static Module Load(string path) => Module.Compile(ReadWasm(path));

    /// <summary>
    /// Loads <paramref name="path"/> for <c>strand run</c>: a compiled module (<c>strand compile -o</c>) as is; a wasm or
    /// wat file from the compiled-module cache when it holds it (unless <paramref name="noCache"/>), else compiled lazily,
    /// and for a big module (see <see cref="WorthCaching"/>) the cache is filled by a background <c>strand compile</c>
    /// process, so this run does not wait for code it may never use. Progress shows on stderr if loading takes more than a
    /// second on a terminal (unless <paramref name="quiet"/>). The code is not collectible (<see cref="CompileOptions.CollectibleCode"/>),
    /// so it is tiered: call this once or a few times per process.
    /// </summary>
    public static Module Load(string path, bool quiet, bool noCache = true, string? cacheDir = null, InterpreterMode interpreter = InterpreterMode.Auto)
    {
        using var progress = ProgressReporter.ForConsole(quiet);
        // One module per process, alive until it exits: its code need not be collectible, and only then does .NET tier it
        // (tier-0 first, optimised when hot) instead of fully optimising every function on its first call.
        var options = new CompileOptions { Progress = progress.Report, CollectibleCode = false, Interpreter = interpreter };
        if (IsArtifactFile(path))
        {
            // Checked in one streaming pass and mapped, not read whole (with its ReadyToRun image, if any).
            try
            {
                return Module.DeserializeFile(path, options);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read {path}: {e.Message}");
            }
        }
        var bytes = ReadWasm(path);
        if (IsCompiledArtifact(bytes)) return Module.DeserializeAt(bytes, options, path); // replaced since IsArtifactFile
        if (noCache) return Module.Compile(bytes, options);
        var cache = new ModuleCache(cacheDir ?? ModuleCache.DefaultDirectory);
        if (cache.TryLoad(bytes, options) is { } cached) return cached;
        var module = Module.Compile(bytes, options);
        if (WorthCaching(module)) StartBackgroundCompile(path, cache);
        return module;
    }

    /// <summary>Modules of at least 2,000 functions or 1 MiB of code are cached: smaller ones compile in well under a second.</summary>
    public static bool WorthCaching(Module module) =>
        module.Definition.Bodies.Count >= 2_000 || module.Definition.Bodies.Sum(b => (long)(b.CodeEnd - b.CodeStart)) >= 1 << 20;

    public static bool IsCompiledArtifact(byte[] bytes) => Compilation.CompiledArtifact.LooksLikeArtifact(bytes);

    /// <summary>
    /// Whether <paramref name="path"/> is a regular file of at most <see cref="MaxModuleFileSize"/> bytes whose first or last
    /// bytes mark a compiled module, judged from those 16 bytes alone. False for anything else (devices and pipes report
    /// length 0 and are not opened), which <see cref="ReadWasm"/> then reads or reports.
    /// </summary>
    public static bool IsArtifactFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length < 16 || info.Length > MaxModuleFileSize) return false;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1);
            Span<byte> ends = stackalloc byte[16];
            if (!stream.CanSeek || stream.ReadAtLeast(ends[..8], 8, throwOnEndOfStream: false) < 8) return false;
            stream.Position = stream.Length - 8;
            return stream.ReadAtLeast(ends[8..], 8, throwOnEndOfStream: false) == 8 && Compilation.CompiledArtifact.LooksLikeArtifact(ends);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Errors that mean "this file is not a module Strand can run", reported in one line.</summary>
    public static bool IsModuleError(Exception e) =>
        e is WasmFormatException or Validation.WasmValidationException or WasmUnsupportedException or WasmImplementationLimitException
            or Text.WatParseException or InvalidDataException;

    /// <summary>An exclusive lock on a cache entry being filled (deleted when released), or null when another process holds it.</summary>
    public static IDisposable? TryLockEntry(ModuleCache cache, byte[] wasm)
    {
        try
        {
            Directory.CreateDirectory(cache.Directory);
            return new FileStream(cache.PathFor(wasm) + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts <c>strand compile FILE --cache-dir DIR --background</c> detached, at low priority, with no standard streams
    /// shared with this process. Only from the strand executable itself (not from a host embedding the CLI's classes).
    /// </summary>
    private static void StartBackgroundCompile(string path, ModuleCache cache)
    {
        if (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name != "Strand.Cli" || Environment.ProcessPath is not { } host) return;
        var psi = new System.Diagnostics.ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") psi.ArgumentList.Add(typeof(ModuleLoader).Assembly.Location);
        foreach (var a in new[] { "compile", Path.GetFullPath(path), "--cache-dir", Path.GetFullPath(cache.Directory), "--background" }) psi.ArgumentList.Add(a);
        try
        {
            var process = System.Diagnostics.Process.Start(psi);
            if (process is null) return;
            process.StandardInput.Close();
            try { process.PriorityClass = System.Diagnostics.ProcessPriorityClass.BelowNormal; } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Could not start: the cache simply stays empty.
        }
    }

    /// <summary>
    /// The module's binary (or compiled module): the file itself, or the encoding of its text if it is neither. Only a regular
    /// file of at most <paramref name="maxSize"/> bytes is read (not a directory, device or pipe); anything else is a
    /// usage error.
    /// </summary>
    public static byte[] ReadWasm(string path, long maxSize = MaxModuleFileSize)
    {
        if (Directory.Exists(path)) throw new UsageException($"{path} is a directory, not a module file");
        if (!File.Exists(path)) throw new UsageException($"no such file: {path}");
        byte[] bytes;
        try
        {
            // Devices, FIFOs, sockets and /proc files report length 0, and opening a FIFO blocks until a writer comes:
            // refuse them before opening. (An empty regular file is no module either.)
            if (new FileInfo(path).Length == 0)
                throw new UsageException($"{path} is empty or not a regular file (a device, pipe or socket); give a .wasm or .wat file");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            // A regular file is seekable and holds exactly its length; a pipe or socket cannot seek, and a device
            // (/dev/zero, /dev/urandom) reports length 0 but never ends. Read at most length + 1 bytes to tell.
            long length = stream.CanSeek ? stream.Length : -1;
            if (length > maxSize) throw new UsageException($"{path} is larger than {maxSize} bytes, the most strand reads as a module");
            var buffer = new byte[length < 0 ? 0 : length + 1];
            int total = 0, n;
            while (length >= 0 && total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
            if (length < 0 || total > length)
                throw new UsageException($"{path} is not a regular file (a device, pipe or socket); give a .wasm or .wat file");
            bytes = buffer.AsSpan(0, total).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        bool isBinary = bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == (byte)'a' && bytes[2] == (byte)'s' && bytes[3] == (byte)'m';
        return isBinary || IsCompiledArtifact(bytes) ? bytes : WatParser.ParseModule(System.Text.Encoding.UTF8.GetString(bytes));
    }
}
