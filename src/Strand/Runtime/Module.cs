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
        EnterLive(); // undone by the finalizer, which runs even when this constructor throws
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
    /// The most compiled modules alive at once (<see cref="WasmImplementationLimitException"/> beyond it): each one's
    /// generated code (a collectible dynamic assembly, its JIT code and its instances' stubs) costs the process about
    /// seven kernel memory mappings, and Linux caps them (vm.max_map_count, 65530 by default); running out killed the
    /// process ("Failed to create RW mapping for RX memory", SIGABRT), e.g. a wast script of 17,000 named modules.
    /// With linear memories (<see cref="AddressSpaceReservation.MaxLiveReservations"/>) this stays below the cap.
    /// </summary>
    public const int MaxLiveModules = 4096;

    /// <summary>Above this many live modules, every 256th compilation first collects dead ones (their code is unloaded).</summary>
    private const int CollectThreshold = 1024;

    private static int s_live;
    private static long s_lastFutileCollect = long.MinValue / 2;

    /// <summary>Compiled modules not yet finalized (tests).</summary>
    internal static int LiveCount => Volatile.Read(ref s_live);

    private static void EnterLive()
    {
        int live = Interlocked.Increment(ref s_live);
        if (live > CollectThreshold && live % 256 == 0) Collect();
        if (Volatile.Read(ref s_live) > MaxLiveModules)
        {
            // After a collection that freed none, compilations are refused without another one for 250 ms, rather than
            // a full collection per refused compilation (a script of 17,000 modules took minutes to fail).
            long now = Environment.TickCount64;
            if (now - Volatile.Read(ref s_lastFutileCollect) >= 250)
            {
                Collect();
                if (Volatile.Read(ref s_live) > MaxLiveModules) Volatile.Write(ref s_lastFutileCollect, Environment.TickCount64);
            }
            if (Volatile.Read(ref s_live) > MaxLiveModules)
                throw new WasmImplementationLimitException(
                    $"more than {MaxLiveModules} compiled modules alive at once (each costs kernel memory mappings, which Linux caps); " +
                    "drop references to unused modules and their instances so they can be collected");
        }
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    ~Module() => Interlocked.Decrement(ref s_live);

    /// <summary>Collects dropped modules now and forgets a futile collection (tests: leave no refusal window behind).</summary>
    internal static void CollectDeadModules()
    {
        Collect();
        Volatile.Write(ref s_lastFutileCollect, long.MinValue / 2);
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
