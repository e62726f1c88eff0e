using Strand.Binary;
using Strand.Compilation;
using Strand.Runtime;

namespace Strand;

/// <summary>
/// A decoded, validated and compiled WebAssembly module. Immutable and thread-safe: instantiate it
/// any number of times, on any thread; instantiation compiles nothing.
/// </summary>
public sealed class Module
{
    private Module(ModuleDefinition definition)
    {
        Definition = definition;
        Compiled = ModuleCompiler.Compile(definition);

        var types = new List<FuncType>();
        var imports = new List<ImportInfo>();
        foreach (var import in definition.Imports)
        {
            imports.Add(import.Kind switch
            {
                ExternalKind.Function => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.Describe(definition.Types[(int)import.FunctionTypeIndex]))
                    { FunctionType = definition.Types[(int)import.FunctionTypeIndex] },
                ExternalKind.Table => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.Describe(import.Table!)) { TableType = import.Table },
                ExternalKind.Memory => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.Describe(import.Memory!)) { MemoryType = import.Memory },
                _ => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.Describe(import.Global)) { GlobalType = import.Global },
            });
            if (import.Kind == ExternalKind.Function) types.Add(definition.Types[(int)import.FunctionTypeIndex]);
        }
        foreach (var typeIndex in definition.FunctionTypeIndices) types.Add(definition.Types[(int)typeIndex]);
        FunctionTypes = types.ToArray();
        FunctionTypeIds = FunctionTypes.Select(TypeRegistry.GetId).ToArray();
        Imports = imports;

        Exports = definition.Exports.Select(e => e.Kind switch
        {
            ExternalKind.Function => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.Describe(FunctionTypes[e.Index])) { FunctionType = FunctionTypes[e.Index] },
            ExternalKind.Table => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.Describe(definition.GetTableType(e.Index))) { TableType = definition.GetTableType(e.Index) },
            ExternalKind.Memory => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.Describe(definition.GetMemoryType(e.Index))) { MemoryType = definition.GetMemoryType(e.Index) },
            _ => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.Describe(definition.GetGlobalType(e.Index))) { GlobalType = definition.GetGlobalType(e.Index) },
        }).ToArray();

        GlobalInitializers = definition.Globals.Select(g => new ConstantExpression(g.Init, definition.Bytes)).ToArray();
        ElementOffsets = definition.Elements.Select(e => e.Offset is null ? null : new ConstantExpression(e.Offset, definition.Bytes)).ToArray();
        ElementItems = definition.Elements.Select(e => e.Expressions?.Select(x => new ConstantExpression(x, definition.Bytes)).ToArray()).ToArray();
        DataOffsets = definition.Data.Select(d => d.Offset is null ? null : new ConstantExpression(d.Offset, definition.Bytes)).ToArray();
    }

    /// <summary>Decodes, validates and compiles a module binary.</summary>
    public static Module Compile(byte[] wasm)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        var definition = ModuleDecoder.Decode(wasm);
        Validation.ModuleValidator.Validate(definition);
        return new Module(definition);
    }

    /// <summary>
    /// Reads and compiles a module binary file. A file over <see cref="ModuleFile.MaxBytes"/> (1 GiB; also an endless
    /// source such as <c>/dev/zero</c>) throws <see cref="WasmImplementationLimitException"/>.
    /// </summary>
    public static Module FromFile(string path) => Compile(ModuleFile.ReadAllBytes(path));

    /// <summary>Compiles an already validated definition.</summary>
    internal static Module FromValidatedDefinition(ModuleDefinition definition) => new(definition);

    public ModuleDefinition Definition { get; }
    public IReadOnlyList<ImportInfo> Imports { get; }
    public IReadOnlyList<ExportInfo> Exports { get; }

    internal CompiledModule Compiled { get; }
    internal FuncType[] FunctionTypes { get; }
    internal int[] FunctionTypeIds { get; }
    internal ConstantExpression[] GlobalInitializers { get; }
    internal ConstantExpression?[] ElementOffsets { get; }
    internal ConstantExpression[]?[] ElementItems { get; }
    internal ConstantExpression?[] DataOffsets { get; }
}
