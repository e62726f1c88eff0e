using Strand.Runtime;
using Strand.Text;

namespace Strand.Cli;

/// <summary>Loads a .wasm or .wat file into a compiled module, reporting problems in one clear line.</summary>
public static class ModuleLoader
{
    /// <summary>
    /// The largest module file strand reads (1 GiB): well above any real module, and it keeps a device or a huge file
    /// from being read until memory runs out.
    /// </summary>
    public const long MaxModuleFileSize = 1L << 30;

    public static Module Load(string path) => Module.Compile(ReadWasm(path));

    /// <summary>
    /// The module's binary: the file itself, or the encoding of its text if it is not a wasm binary. Only a regular
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
        return isBinary ? bytes : WatParser.ParseModule(System.Text.Encoding.UTF8.GetString(bytes));
    }
}
