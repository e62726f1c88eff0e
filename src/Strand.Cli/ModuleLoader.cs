using Strand.Binary;
using Strand.Runtime;
using Strand.Text;

namespace Strand.Cli;

/// <summary>Loads a .wasm or .wat file into a compiled module, reporting problems in one clear line.</summary>
public static class ModuleLoader
{
    public static Module Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"no such file: {path}");
        byte[] bytes = File.ReadAllBytes(path);
        bool isBinary = bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == (byte)'a' && bytes[2] == (byte)'s' && bytes[3] == (byte)'m';
        if (!isBinary) bytes = WatParser.ParseModule(System.Text.Encoding.UTF8.GetString(bytes));
        return Module.Compile(bytes);
    }

    /// <summary>
    /// Like wasmtime, a memory the module imports is created by the host to the import's limits
    /// (shared if the import says so), whatever its module and field names.
    /// </summary>
    public static Memory? DefineImportedMemory(Module module, Linker linker)
    {
        foreach (var import in module.Definition.Imports)
        {
            if (import.Kind != ExternalKind.Memory) continue;
            var memory = new Memory(import.Memory!);
            linker.Define(import.Module, import.Name, memory);
            return memory;
        }
        return null;
    }
}
