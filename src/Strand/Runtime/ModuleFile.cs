using Strand.Binary;

namespace Strand.Runtime;

/// <summary>
/// Reads a module or script file with a size cap, so that a path naming an endless or huge source (<c>/dev/zero</c>,
/// a pipe that never ends, a multi-GB file) is refused with a clear error instead of exhausting memory
/// (before: <see cref="File.ReadAllBytes"/> grew its buffer until an <see cref="OutOfMemoryException"/>).
/// </summary>
internal static class ModuleFile
{
    /// <summary>The largest module binary or text file Strand reads: 1 GiB (the biggest real modules are ~100 MB).</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>
    /// The file's bytes. Throws <see cref="WasmImplementationLimitException"/> when it has more than <see cref="MaxBytes"/>
    /// (a regular file is judged by its length, before anything is read; other files, such as devices and pipes, are
    /// read up to the cap), and the usual <see cref="IOException"/>s and <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static byte[] ReadAllBytes(string path) => ReadAllBytes(path, s_cap);

    private static long s_cap = MaxBytes;

    /// <summary>Lowers the cap until the result is disposed (tests that must not allocate 1 GiB; not thread-safe).</summary>
    internal static IDisposable LowerCapForTests(long maxBytes)
    {
        s_cap = maxBytes;
        return new CapRestorer();
    }

    private sealed class CapRestorer : IDisposable
    {
        public void Dispose() => s_cap = MaxBytes;
    }

    /// <summary><see cref="ReadAllBytes(string)"/> with another cap (tests).</summary>
    internal static byte[] ReadAllBytes(string path, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (stream.CanSeek && stream.Length > maxBytes) throw TooLarge(path, maxBytes);
        if (stream.CanSeek)
        {
            var whole = new byte[stream.Length];
            stream.ReadExactly(whole);
            if (stream.ReadByte() < 0) return whole; // else the file grew while read: read on, as a stream
            stream.Position = 0;
        }
        // Chunks, not a doubling buffer: an endless source costs the cap once, not twice.
        var chunks = new List<byte[]>();
        long total = 0;
        while (true)
        {
            var chunk = new byte[1 << 20];
            int filled = 0, read;
            while (filled < chunk.Length && (read = stream.Read(chunk, filled, chunk.Length - filled)) > 0) filled += read;
            total += filled;
            if (total > maxBytes) throw TooLarge(path, maxBytes);
            if (filled < chunk.Length) Array.Resize(ref chunk, filled);
            chunks.Add(chunk);
            if (filled == 0 || chunk.Length < 1 << 20) break;
        }
        var bytes = new byte[total];
        long offset = 0;
        foreach (var c in chunks)
        {
            c.CopyTo(bytes, offset);
            offset += c.Length;
        }
        return bytes;
    }

    /// <summary>The file decoded as UTF-8 (a script or module text), with the same cap as <see cref="ReadAllBytes(string)"/>.</summary>
    public static string ReadAllText(string path)
    {
        var bytes = ReadAllBytes(path);
        int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0; // a BOM, as File.ReadAllText skips it
        return System.Text.Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }

    private static WasmImplementationLimitException TooLarge(string path, long maxBytes) =>
        new($"{path} is larger than {(maxBytes % (1 << 30) == 0 ? $"{maxBytes >> 30} GiB" : $"{maxBytes} bytes")}, the largest module or script file Strand reads");
}
