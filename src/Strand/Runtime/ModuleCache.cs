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

    /// <summary>The default of <see cref="MaxTotalBytes"/>: 1 GiB, wasmtime's default soft limit for its cache.</summary>
    public const long DefaultMaxTotalBytes = 1L << 30;

    /// <summary>
    /// Soft limit on the total size of the entries, in bytes. After each <see cref="Store"/>, when the entries add up to
    /// more, the least recently used ones (last stored or loaded) are deleted until they fit in 90% of it (<see cref="Trim()"/>);
    /// the entry just stored is kept even if it alone is larger. 0 or less: no limit. Default <see cref="DefaultMaxTotalBytes"/>.
    /// </summary>
    public long MaxTotalBytes { get; init; } = DefaultMaxTotalBytes;

    /// <summary>A temporary file this old is left over from a process that died while storing, and is deleted by <see cref="Trim()"/>.</summary>
    private static readonly TimeSpan AbandonedTemporaryAge = TimeSpan.FromHours(1);

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
    public string PathFor(byte[] wasm) => PathForHash(System.Security.Cryptography.SHA256.HashData(wasm));

    /// <summary>The entry's path for a binary whose SHA-256 is <paramref name="wasmSha256"/>.</summary>
    private string PathForHash(ReadOnlySpan<byte> wasmSha256) => Path.Combine(Directory, CompiledArtifact.CacheKeyOfHash(wasmSha256) + Extension);

    /// <summary>
    /// Loads the cached compiled module of <paramref name="wasm"/>. Returns null on a miss; an unusable entry
    /// (corrupt, stale, or for another binary) is deleted and counts as a miss.
    /// </summary>
    public Module? TryLoad(byte[] wasm, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        byte[] sha256 = System.Security.Cryptography.SHA256.HashData(wasm);
        string path = PathForHash(sha256);
        // A miss is the common first case: no exception for it (the first one thrown in a process costs milliseconds).
        // Anything but a regular file is a miss too, never opened (a FIFO would block the reader).
        if (!CompiledArtifact.IsRegularFile(path)) return null;
        try
        {
            var module = Module.DeserializeFileAt(path, options, expectedWasm: wasm, expectedWasmSha256: sha256);
            Touch(path);
            return module;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (InvalidDataException)
        {
            // corrupt, stale or for another binary: deleted below
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // unreadable: compile instead
        }
        CompiledArtifact.TryDelete(path);
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
            CompiledArtifact.TryDelete(temporary);
        }
        if (MaxTotalBytes > 0) TrimKeeping(keep: path);
        return path;
    }

    /// <summary>
    /// Deletes the least recently used entries until the rest fit in 90% of <see cref="MaxTotalBytes"/> (when they exceed
    /// it), and temporary files abandoned by processes that died while storing. Safe while other processes use the cache:
    /// a reader whose entry disappears counts a miss. Returns the number of entries deleted.
    /// </summary>
    public int Trim() => TrimKeeping(keep: null);

    private int TrimKeeping(string? keep)
    {
        FileInfo[] files;
        try
        {
            files = new DirectoryInfo(Directory).GetFiles();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        var now = DateTime.UtcNow;
        var entries = new List<FileInfo>();
        long total = 0;
        foreach (var file in files)
        {
            if ((file.Name.EndsWith(".tmp", StringComparison.Ordinal) || file.Name.EndsWith(".tmp.dll", StringComparison.Ordinal)) && file.Name.Contains(Extension + ".", StringComparison.Ordinal))
            {
                if (now - file.LastWriteTimeUtc > AbandonedTemporaryAge) CompiledArtifact.TryDelete(file.FullName);
            }
            else if (file.Name.EndsWith(Extension, StringComparison.Ordinal))
            {
                entries.Add(file);
                total += file.Length;
            }
            else if (file.Name.EndsWith(Extension + ".r2r", StringComparison.Ordinal) || file.Name.EndsWith(Extension + ".r2r.check", StringComparison.Ordinal))
            {
                // A ReadyToRun image counts with its entry; one whose entry is gone is deleted.
                string entry = Path.Combine(Directory, file.Name[..(file.Name.IndexOf(Extension, StringComparison.Ordinal) + Extension.Length)]);
                if (File.Exists(entry)) total += file.Length;
                else CompiledArtifact.TryDelete(file.FullName);
            }
        }
        if (MaxTotalBytes <= 0 || total <= MaxTotalBytes) return 0;
        long target = MaxTotalBytes / 10 * 9;
        int deleted = 0;
        foreach (var entry in entries.OrderBy(LastUsed))
        {
            if (total <= target) break;
            if (keep is not null && string.Equals(entry.FullName, Path.GetFullPath(keep), StringComparison.Ordinal)) continue;
            if (!CompiledArtifact.TryDelete(entry.FullName)) continue;
            deleted++;
            total -= entry.Length;
            var image = new FileInfo(NativeImage.ImagePath(entry.FullName));
            if (image.Exists) total -= image.Length;
            NativeImage.Delete(entry.FullName);
        }
        return deleted;
    }

    /// <summary>When an entry was last stored or loaded: loads set its access time explicitly (mounts with
    /// <c>relatime</c> or <c>noatime</c> would not).</summary>
    private static DateTime LastUsed(FileInfo entry) =>
        entry.LastAccessTimeUtc > entry.LastWriteTimeUtc ? entry.LastAccessTimeUtc : entry.LastWriteTimeUtc;

    private static void Touch(string path)
    {
        try
        {
            File.SetLastAccessTimeUtc(path, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache still serves; its entries just age.
        }
    }

    /// <summary>
    /// Adds a ReadyToRun image (native code) to the entry of <paramref name="wasm"/>, which must have been stored; later
    /// loads of the entry use it (see <see cref="ReadyToRunCompiler"/>). Returns the image's path. Throws
    /// <see cref="FileNotFoundException"/> when there is no entry, and what <see cref="ReadyToRunCompiler.CompileArtifact"/> throws.
    /// </summary>
    public string StoreReadyToRun(byte[] wasm, ReadyToRunCompiler compiler, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(compiler);
        string path = PathFor(wasm);
        if (!File.Exists(path)) throw new FileNotFoundException($"the cache has no entry for this module: {path}", path);
        compiler.CompileArtifact(path, timeout, cancellationToken);
        return NativeImage.ImagePath(path);
    }

    /// <summary>The cached module of <paramref name="wasm"/>, or, on a miss, the module compiled now and stored.</summary>
    public Module GetOrCompile(byte[] wasm, CompileOptions? options = null)
    {
        if (TryLoad(wasm, options) is { } cached) return cached;
        var module = Module.Compile(wasm, options);
        Store(module, options?.Progress);
        return module;
    }
}
