using Strand.Compilation;

namespace Strand;

/// <summary>
/// A directory of compiled modules (<see cref="Module.Serialize"/> artifacts), keyed by the SHA-256 of the wasm binary
/// and the build of Strand (like wasmtime's cache). Safe for several processes at once: an entry is written to a
/// temporary file and renamed into place, so a reader sees a complete old entry, a complete new one, or none.
/// An entry that is corrupt, truncated or from another build is detected (checksums, engine id) and deleted, never loaded.
/// </summary>
public sealed class ModuleCache
{
    /// <summary>File name extension of cache entries.</summary>
    public const string Extension = ".strandc";

    /// <summary>A cache in <paramref name="directory"/> (created when the first entry is stored). Its entries are code
    /// strand loads and runs: the directory must be writable only by the user running strand.</summary>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty.</exception>
    public ModuleCache(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
    }

    /// <summary>The cache directory (created on first store).</summary>
    public string Directory { get; }

    /// <summary>
    /// The default directory: <c>$STRAND_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/strand</c>, else <c>~/.cache/strand</c>
    /// (on Windows, <c>%LOCALAPPDATA%\strand\cache</c>).
    /// </summary>
    public static string DefaultDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("STRAND_CACHE_DIR") is { Length: > 0 } explicitDir) return explicitDir;
            if (OperatingSystem.IsWindows())
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "strand", "cache");
            if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "strand");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "strand");
        }
    }

    /// <summary>The entry's path for <paramref name="wasm"/> (whether or not it exists).</summary>
    public string PathFor(byte[] wasm) => Path.Combine(Directory, CompiledArtifact.CacheKey(wasm) + Extension);

    /// <summary>
    /// Loads the cached compiled module of <paramref name="wasm"/>. Returns null on a miss; an unusable entry
    /// (corrupt, stale, or for another binary) is deleted and counts as a miss.
    /// </summary>
    public Module? TryLoad(byte[] wasm, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        string path = PathFor(wasm);
        byte[] artifact;
        try
        {
            artifact = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // unreadable: compile instead
        }
        try
        {
            var module = Module.Deserialize(artifact, options);
            if (module.Definition.Bytes.AsSpan().SequenceEqual(wasm)) return module;
        }
        catch (InvalidDataException)
        {
        }
        TryDelete(path);
        return null;
    }

    /// <summary>
    /// Compiles <paramref name="module"/> fully (<see cref="Module.Serialize"/>) and stores it; returns the entry's path.
    /// Another process storing the same entry at the same time is harmless (the last complete file wins).
    /// </summary>
    public string Store(Module module, Action<CompileProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var artifact = module.Serialize(progress);
        string path = PathFor(module.Definition.Bytes);
        System.IO.Directory.CreateDirectory(Directory);
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temporary, artifact);
            try
            {
                File.Move(temporary, path, overwrite: true);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Windows: the entry is open in another process; its complete entry stands.
            }
        }
        finally
        {
            TryDelete(temporary);
        }
        return path;
    }

    /// <summary>The cached module of <paramref name="wasm"/>, or, on a miss, the module compiled now and stored.</summary>
    public Module GetOrCompile(byte[] wasm, CompileOptions? options = null)
    {
        if (TryLoad(wasm, options) is { } cached) return cached;
        var module = Module.Compile(wasm, options);
        Store(module, options?.Progress);
        return module;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
