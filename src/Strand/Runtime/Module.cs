using Strand.Binary;
using Strand.Validation;
using Strand.Compilation;
using Strand.Runtime;

namespace Strand;

/// <summary>
/// A decoded, validated and compiled WebAssembly module. Immutable and thread-safe: instantiate it
/// any number of times, on any thread; instantiation compiles nothing.
/// </summary>
public sealed class Module
{
    private Module(ModuleDefinition definition, bool backgroundGeneration = false)
    {
        EnterLive(); // undone by the finalizer, which runs even when this constructor throws
        Definition = definition;
        Compiled = new CompiledModule(definition) { BackgroundGeneration = backgroundGeneration };

        // Types as the runtime sees them: canonical (type indices replaced by process-wide ids), so they compare across modules.
        TypeIds = TypeRegistry.CanonicalIds(definition);
        var types = new List<FuncType>();
        var imports = new List<ImportInfo>();
        foreach (var import in definition.Imports)
        {
            imports.Add(import.Kind switch
            {
                ExternalKind.Function => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.Describe(CanonicalType(import.FunctionTypeIndex)))
                    { FunctionType = CanonicalType(import.FunctionTypeIndex) },
                ExternalKind.Table => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.Describe(Canonical(import.Table!))) { TableType = Canonical(import.Table!) },
                ExternalKind.Memory => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.Describe(import.Memory!)) { MemoryType = import.Memory },
                ExternalKind.Tag => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.DescribeTag(CanonicalType(import.TagTypeIndex))) { TagType = CanonicalType(import.TagTypeIndex) },
                _ => new ImportInfo(import.Module, import.Name, import.Kind, TypeText.Describe(Canonical(import.Global))) { GlobalType = Canonical(import.Global) },
            });
            if (import.Kind == ExternalKind.Function) types.Add(CanonicalType(import.FunctionTypeIndex));
        }
        foreach (var typeIndex in definition.FunctionTypeIndices) types.Add(CanonicalType(typeIndex));
        FunctionTypes = types.ToArray();
        FunctionTypeIds = Enumerable.Range(0, definition.TotalFunctionCount).Select(f => TypeIds[definition.GetFunctionTypeIndex((uint)f)]).ToArray();
        Imports = imports;

        Exports = definition.Exports.Select(e => e.Kind switch
        {
            ExternalKind.Function => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.Describe(FunctionTypes[e.Index])) { FunctionType = FunctionTypes[e.Index] },
            ExternalKind.Table => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.Describe(Canonical(definition.GetTableType(e.Index)))) { TableType = Canonical(definition.GetTableType(e.Index)) },
            ExternalKind.Memory => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.Describe(definition.GetMemoryType(e.Index))) { MemoryType = definition.GetMemoryType(e.Index) },
            ExternalKind.Tag => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.DescribeTag(CanonicalType(definition.GetTagTypeIndex(e.Index)))) { TagType = CanonicalType(definition.GetTagTypeIndex(e.Index)) },
            _ => new ExportInfo(e.Name, e.Kind, e.Index, TypeText.Describe(Canonical(definition.GetGlobalType(e.Index)))) { GlobalType = Canonical(definition.GetGlobalType(e.Index)) },
        }).ToArray();

        GlobalInitializers = definition.Globals.Select(g => new ConstantExpression(g.Init, definition.Bytes)).ToArray();
        ElementOffsets = definition.Elements.Select(e => e.Offset is null ? null : new ConstantExpression(e.Offset, definition.Bytes)).ToArray();
        ElementItems = definition.Elements.Select(e => e.Expressions?.Select(x => new ConstantExpression(x, definition.Bytes)).ToArray()).ToArray();
        DataOffsets = definition.Data.Select(d => d.Offset is null ? null : new ConstantExpression(d.Offset, definition.Bytes)).ToArray();
    }

    /// <summary>Decodes, validates and compiles a module binary.</summary>
    public static Module Compile(byte[] wasm) => Compile(wasm, null);

    /// <summary>
    /// Decodes and validates a module binary and prepares it for instantiation. Code is generated lazily, when a
    /// function is first called (docs/compiler.md, "Lazy code generation"), so this does work proportional to the
    /// module's size but no code generation. Throws <see cref="WasmFormatException"/>, <see cref="Validation.WasmValidationException"/>,
    /// <see cref="WasmUnsupportedException"/> or <see cref="WasmImplementationLimitException"/>.
    /// </summary>
    public static Module Compile(byte[] wasm, CompileOptions? options)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        return Build(wasm, options, validate: true);
    }

    /// <summary>Decodes <paramref name="wasm"/> and validates it, or (<paramref name="validate"/> false: the binary of a checked artifact) decodes it as trusted (<see cref="ModuleDecoder.DecodeTrusted"/>), and makes the module (reporting progress).</summary>
    private static Module Build(byte[] wasm, CompileOptions? options, bool validate)
    {
        var progress = options?.Progress;
        progress?.Invoke(new CompileProgress("decode", 0, wasm.Length));
        var definition = validate ? ModuleDecoder.DecodeDeferringBodyScan(wasm) : ModuleDecoder.DecodeTrusted(wasm);
        progress?.Invoke(new CompileProgress("decode", wasm.Length, wasm.Length));
        if (validate)
            Validation.ModuleValidator.Validate(definition, progress is null ? null : done => progress(new CompileProgress("validate", done, definition.Bodies.Count)));
        var module = new Module(definition, options?.BackgroundCodeGeneration ?? false);
        module.Compiled.Diagnostics = options?.Diagnostics;
        module.Compiled.Collectible = options?.CollectibleCode ?? true;
        if (options?.SplitUnits is int units) module.Compiled.SplitUnits = units;
        if (validate) module.InstallInterpreter(options);
        return module;
    }

    /// <summary>
    /// Generates the code of every function now instead of on first call (for hosts that prefer to pay up front),
    /// on the calling thread. Progress is reported as stage <c>"generate"</c>, in chunks.
    /// </summary>
    public void GenerateAllCode(Action<CompileProgress>? progress = null) => Compiled.GenerateAll(progress);

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

    /// <summary>Leaves the count of live modules (<see cref="MaxLiveModules"/>) when the module is collected.</summary>
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

    /// <summary>
    /// The module compiled ahead of time: its binary and the code of every function as a portable assembly, for
    /// <see cref="Deserialize"/> in a later process (like <c>wasmtime compile</c>). Generates all code (on the
    /// calling thread; proportional to the module's size). Format: see docs/compiler.md, "Compiled modules and the cache".
    /// </summary>
    public byte[] Serialize(Action<CompileProgress>? progress = null) =>
        CompiledArtifact.Write(Definition.Bytes, Compiled.EmitPortableAssembly(progress));

    /// <summary>
    /// Loads a module from <see cref="Serialize"/>'s output: decodes and validates its binary, and takes the functions'
    /// code from the artifact instead of generating it. Throws <see cref="InvalidDataException"/> when the artifact is
    /// truncated, corrupt, or written by another build of Strand (nothing of it is loaded then). Artifacts are trusted
    /// code: load only files this host or its cache wrote.
    /// </summary>
    public static Module Deserialize(byte[] artifact, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var (wasm, image) = CompiledArtifact.Check(artifact);
        var module = FromArtifactBinary(artifact.AsSpan(wasm.Offset, wasm.Length).ToArray(), options);
        module.Compiled.LoadCode(new MemoryStream(artifact, image.Offset, image.Length, writable: false, publiclyVisible: true));
        module.InstallInterpreter(options);
        return module;
    }

    /// <summary>
    /// The interpreter as first tier (docs/interpreter.md) for code that is JIT-compiled on first call: generated code, or
    /// an artifact's IL; not a ReadyToRun image, whose code is native already.
    /// </summary>
    private void InstallInterpreter(CompileOptions? options) =>
        Compiled.FirstTier = Interpreter.InterpreterTier.For(Compiled, Definition, options?.Interpreter ?? InterpreterMode.Auto, options?.InterpreterThresholds);

    /// <summary>
    /// Loads a compiled module from the file <paramref name="path"/> (<see cref="Serialize"/>'s output, as
    /// <c>strand compile -o</c> and <see cref="ModuleCache"/> write it), like <see cref="Deserialize(byte[], CompileOptions?)"/>.
    /// When a ReadyToRun image made for exactly this artifact lies next to it (<c>PATH.r2r</c> with its check
    /// <c>PATH.r2r.check</c>, see <see cref="ReadyToRunCompiler"/>) and hashes to the recorded value, the code is taken from it,
    /// so most functions run without being JIT-compiled (<see cref="IsReadyToRun"/>); such code is never unloaded. A missing,
    /// stale or corrupt image is ignored (a corrupt one deleted) and the artifact's IL is used. Throws
    /// <see cref="InvalidDataException"/> for a bad artifact, and <see cref="IOException"/> when the file cannot be read.
    /// </summary>
    public static Module DeserializeFile(string path, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return DeserializeFileAt(path, options, expectedWasm: null);
    }

    /// <summary>
    /// <see cref="DeserializeFile"/>: checks the file in one streaming pass, then lets the runtime map its image (the file's
    /// first bytes) instead of copying it. With <paramref name="expectedWasm"/> (the cache's key), the embedded binary must
    /// equal it (else <see cref="InvalidDataException"/>), and the module keeps that array. The file could be replaced between
    /// the check and the mapping only by another complete artifact of the same name: in the cache, the same binary compiled
    /// by the same build (entries are renamed into place, never written in place).
    /// </summary>
    internal static Module DeserializeFileAt(string path, CompileOptions? options, byte[]? expectedWasm, byte[]? expectedWasmSha256 = null)
    {
        // A cache hit with a ReadyToRun image: the image (checked whole against its own record, which names the artifact's
        // checksum) holds all the code, and the binary is the caller's, so only the artifact's trailer is read: not its IL
        // image, which is not used (yosys from the cache: 113 MB of hashing saved, docs/compiler.md "ReadyToRun images").
        if (expectedWasm is not null && expectedWasmSha256 is not null && CompiledArtifact.IsRegularFile(NativeImage.CheckPath(path)))
        {
            ulong recorded;
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1))
                recorded = CompiledArtifact.CheckTrailerFor(file, expectedWasm.Length, expectedWasmSha256);
            if (NativeImage.TryFind(path, CompiledArtifact.ChecksumBytes(recorded)) is { } image)
            {
                var fast = FromArtifactBinary(expectedWasm, options);
                fast.Compiled.LoadNativeCode(image);
                return fast;
            }
        }
        byte[] wasm;
        ulong checksum;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan))
            (wasm, checksum, _) = CompiledArtifact.CheckFile(file, expectedWasm);
        var module = FromArtifactBinary(wasm, options);
        if (NativeImage.TryFind(path, CompiledArtifact.ChecksumBytes(checksum)) is { } native) module.Compiled.LoadNativeCode(native);
        else
        {
            module.Compiled.LoadCodeFile(path);
            module.InstallInterpreter(options);
        }
        return module;
    }

    /// <summary><see cref="DeserializeFile"/> of an artifact already read from <paramref name="path"/> (<c>strand run ARTIFACT</c>).</summary>
    internal static Module DeserializeAt(byte[] artifact, CompileOptions? options, string path)
    {
        var (wasmAt, image) = CompiledArtifact.Check(artifact);
        var module = FromArtifactBinary(artifact.AsSpan(wasmAt.Offset, wasmAt.Length).ToArray(), options);
        if (NativeImage.TryFind(path, CompiledArtifact.Checksum(artifact)) is { } native) module.Compiled.LoadNativeCode(native);
        else
        {
            module.Compiled.LoadCode(new MemoryStream(artifact, image.Offset, image.Length, writable: false, publiclyVisible: true));
            module.InstallInterpreter(options);
        }
        return module;
    }

    /// <summary>
    /// The module of an artifact's wasm binary: decoded but not validated again. The artifact's checksums prove the binary
    /// is the one this build of Strand validated when it wrote the artifact (<see cref="Serialize"/> needs a compiled,
    /// hence validated, module), and an artifact is trusted code anyway; validation was a third of a cached start's CPU
    /// time for big modules (docs/compiler.md, "Compiled modules and the cache").
    /// </summary>
    private static Module FromArtifactBinary(byte[] wasm, CompileOptions? options) => Build(wasm, options, validate: false);

    /// <summary>Whether this module's code comes from a compiled artifact (<see cref="Deserialize(byte[], CompileOptions?)"/>) rather than being generated.</summary>
    public bool IsPrecompiled => Compiled.IsLoaded;

    /// <summary>Whether this module's code comes from a ReadyToRun image (<see cref="DeserializeFile"/>): native code, mostly not JIT-compiled.</summary>
    public bool IsReadyToRun => Compiled.IsNative;

    /// <summary>Compiles an already validated definition.</summary>
    internal static Module FromValidatedDefinition(ModuleDefinition definition) => new(definition);

    /// <summary>The decoded module: types, imports, functions, tables, memories, globals, exports, segments and names.</summary>
    public ModuleDefinition Definition { get; }
    /// <summary>The module's imports, in order, with their types.</summary>
    public IReadOnlyList<ImportInfo> Imports { get; }
    /// <summary>The module's exports, in order, with their types.</summary>
    public IReadOnlyList<ExportInfo> Exports { get; }

    internal CompiledModule Compiled { get; }
    internal FuncType[] FunctionTypes { get; }
    internal int[] FunctionTypeIds { get; }
    /// <summary>Canonical type id of each entry of the type section.</summary>
    internal int[] TypeIds { get; }

    /// <summary>The module's type <paramref name="typeIndex"/> in canonical form (<see cref="TypeRegistry"/>).</summary>
    internal FuncType CanonicalType(uint typeIndex) => TypeRegistry.GetType(TypeIds[typeIndex]);
    /// <summary><paramref name="type"/> with its type index (if any) replaced by the canonical id.</summary>
    internal ValType Canonical(ValType type) => TypeRegistry.Canonical(type, TypeIds);
    internal GlobalType Canonical(GlobalType type) => type with { Type = Canonical(type.Type) };
    internal TableType Canonical(TableType type) => type with { ElementType = Canonical(type.ElementType) };
    internal ConstantExpression[] GlobalInitializers { get; }
    internal ConstantExpression?[] ElementOffsets { get; }
    internal ConstantExpression[]?[] ElementItems { get; }
    internal ConstantExpression?[] DataOffsets { get; }
}
