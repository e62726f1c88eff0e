using Strand.Runtime;
using Strand.Text;

namespace Strand.Cli;

/// <summary>Loads a .wasm or .wat file into a compiled module, reporting problems in one clear line.</summary>
public static class ModuleLoader
{
    public static Module Load(string path) => Module.Compile(ReadWasm(path));

    /// <summary>The module's binary: the file itself, or the encoding of its text if it is not a wasm binary.</summary>
    public static byte[] ReadWasm(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"no such file: {path}");
        byte[] bytes;
        try
        {
            bytes = ModuleFile.ReadAllBytes(path); // capped (1 GiB): /dev/zero or an endless pipe is refused
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        bool isBinary = bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == (byte)'a' && bytes[2] == (byte)'s' && bytes[3] == (byte)'m';
        return isBinary ? bytes : WatParser.ParseModule(System.Text.Encoding.UTF8.GetString(bytes));
    }
}
