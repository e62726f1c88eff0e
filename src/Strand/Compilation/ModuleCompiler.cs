using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// The code of a module, generated lazily in chunks (see docs/compiler.md, "Lazy code generation").
/// <para>
/// Defined functions are cut into chunks of consecutive functions (at most <see cref="ChunkFunctions"/> functions or
/// about <see cref="ChunkCodeBytes"/> bytes of wasm code). A chunk is one CLR type in the module's collectible dynamic
/// assembly, generated the first time one of its functions is called. <see cref="Code"/> holds each function's entry
/// point, 0 until its chunk exists; it is written once (volatile) after the type is created, so a reader on any thread
/// sees either 0 (and takes the slow path, which waits for the chunk under <see cref="_gate"/>) or the final code.
/// Calls inside a chunk, and to chunks generated with it (a group: CompiledModule.Groups.cs) or before it, are direct CIL
/// calls; calls to other chunks load the callee's entry from <see cref="Code"/> (through <see cref="Instance.Code"/>) and
/// use <c>calli</c>. A function that escapes (export, table element, <c>ref.func</c>) before its chunk exists gets a
/// <see cref="FunctionReference"/> without code (<see cref="GetEntry"/>), which its first call resolves
/// (<see cref="FunctionReference.EntryOf"/>).
/// </para>
/// </summary>
internal sealed partial class CompiledModule
{
    /// <summary>At most this many functions per chunk.</summary>
    internal const int ChunkFunctions = 4;
    /// <summary>A chunk is closed once its functions' code reaches this many wasm bytes.</summary>
    internal const int ChunkCodeBytes = 2 * 1024;

    private static int _assemblyCounter;

    private readonly ModuleDefinition _definition;
    private readonly int[] _chunkStart;
    private readonly int[] _chunkOf;
    private readonly object _gate = new();
    private readonly List<Type> _types = new();
    private ModuleBuilder? _module;
    /// <summary>Code loaded from a compiled artifact: chunks are looked up in it instead of generated.</summary>
    private Assembly? _loaded;
    /// <summary>Chunks whose generation failed, with the error (under <see cref="_gate"/>).</summary>
    private Dictionary<int, Exception>? _failures;
    private ModuleCompilation? _compilation;
    private int _generatedChunks;
    private long _generationTicks;

    public CompiledModule(ModuleDefinition definition)
    {
        _definition = definition;
        int count = definition.FunctionTypeIndices.Count;
        Code = new nint[count];
        _chunkOf = new int[count];
        // Arity limits up front (code is generated lazily): each function's type names the function; a type no function
        // has (used by call_indirect, or by nothing) names itself.
        var checkedTypes = new bool[definition.Types.Count];
        uint index = 0;
        foreach (var import in definition.Imports)
            if (import.Kind == ExternalKind.Function) CheckFunctionArity(definition, index++, import.FunctionTypeIndex, checkedTypes);
        for (int i = 0; i < count; i++) CheckFunctionArity(definition, index++, definition.FunctionTypeIndices[i], checkedTypes);
        for (int t = 0; t < checkedTypes.Length; t++)
            if (!checkedTypes[t]) CheckArity(definition.Types[t], $"type {t} (for call_indirect)");
        if (definition.TotalMemoryCount > ImplementationLimits.MaxMemories)
            throw new WasmImplementationLimitException(
                $"the module has {definition.TotalMemoryCount} memories; Strand instantiates at most {ImplementationLimits.MaxMemories}");
        var starts = new List<int>();
        int inChunk = 0;
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            var body = definition.Bodies[i];
            // Implementation limits are checked here, for every function, before any code exists: code is generated
            // lazily, and a limit must be a compile-time error, never a failure at a function's first call.
            if (body.MaxOperandDepth > ImplementationLimits.MaxOperandStackDepth)
                throw new WasmImplementationLimitException(
                    $"{definition.DescribeFunction((uint)(definition.ImportedFunctionCount + i))} reaches an operand stack of {body.MaxOperandDepth} values; " +
                    $"Strand compiles at most {ImplementationLimits.MaxOperandStackDepth}");
            if (body.BranchSpillUnits > ImplementationLimits.MaxBranchSpillUnits)
                throw new WasmImplementationLimitException(
                    $"{definition.DescribeFunction((uint)(definition.ImportedFunctionCount + i))} keeps {body.BranchSpillUnits} operand values across branches; " +
                    $"Strand compiles at most {ImplementationLimits.MaxBranchSpillUnits}");
            if (body.LoopCount > ImplementationLimits.MaxLoopsPerFunction)
                throw new WasmImplementationLimitException(
                    $"{definition.DescribeFunction((uint)(definition.ImportedFunctionCount + i))} has {body.LoopCount} loops; " +
                    $"Strand compiles at most {ImplementationLimits.MaxLoopsPerFunction} per function");
            if (body.TryRegionCount > ImplementationLimits.MaxTryRegionsPerFunction)
                throw new WasmImplementationLimitException(
                    $"{definition.DescribeFunction((uint)(definition.ImportedFunctionCount + i))} has {body.TryRegionCount} try blocks; " +
                    $"Strand compiles at most {ImplementationLimits.MaxTryRegionsPerFunction} per function");
            if (body.TryNestingUnits > ImplementationLimits.MaxTryNestingUnits)
                throw new WasmImplementationLimitException(
                    $"{definition.DescribeFunction((uint)(definition.ImportedFunctionCount + i))} nests try blocks {body.TryNestingUnits} deep in total; " +
                    $"Strand compiles at most {ImplementationLimits.MaxTryNestingUnits} (the sum over try blocks of their nesting depth)");
            if (body.TryExitUnits > ImplementationLimits.MaxTryExitUnits)
                throw new WasmImplementationLimitException(
                    $"{definition.DescribeFunction((uint)(definition.ImportedFunctionCount + i))} branches out of try blocks {body.TryExitUnits} times (counted per block left); " +
                    $"Strand compiles at most {ImplementationLimits.MaxTryExitUnits}");
            if (inChunk == 0 || inChunk >= ChunkFunctions || bytes >= ChunkCodeBytes)
            {
                starts.Add(i);
                inChunk = 0;
                bytes = 0;
            }
            _chunkOf[i] = starts.Count - 1;
            inChunk++;
            bytes += body.CodeEnd - body.CodeStart;
        }
        starts.Add(count);
        _chunkStart = starts.ToArray();
    }

    private static void CheckFunctionArity(ModuleDefinition definition, uint function, uint type, bool[] checkedTypes)
    {
        if (checkedTypes[type]) return;
        CheckArity(definition.Types[(int)type], definition.DescribeFunction(function));
        checkedTypes[type] = true;
    }

    /// <summary>Entry point of each defined function (index = function index minus imported functions), 0 until generated.</summary>
    public nint[] Code { get; }

    /// <summary>Number of chunks the module's functions are cut into.</summary>
    public int ChunkCount => _chunkStart.Length - 1;

    /// <summary>Number of chunks generated so far.</summary>
    public int GeneratedChunks => Volatile.Read(ref _generatedChunks);

    /// <summary>Time spent generating code (CIL and types, not the JIT) so far.</summary>
    public TimeSpan GenerationTime => System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref _generationTicks));

    /// <summary>The generated types (one per generated chunk). Holding them keeps the collectible code alive.</summary>
    public IReadOnlyList<Type> Types { get { lock (_gate) return _types.ToArray(); } }

    /// <summary>The final code of defined function <paramref name="definedIndex"/>, generating its chunk if needed.</summary>
    public nint GetCode(int definedIndex)
    {
        nint code = Volatile.Read(ref Code[definedIndex]);
        if (code != 0) return code;
        lock (_gate)
        {
            if (Code[definedIndex] == 0) GenerateChunk(_chunkOf[definedIndex]);
        }
        return Code[definedIndex];
    }

    /// <summary>
    /// An entry point for a function reference: the final code when generated (or, from a compiled artifact, looked up),
    /// otherwise 0, which the reference's first call resolves (<see cref="FunctionReference.EntryOf"/>): making a
    /// reference (a table element at instantiation, an export) generates and looks up nothing.
    /// </summary>
    public nint GetEntry(int definedIndex) => Volatile.Read(ref Code[definedIndex]);

    /// <summary>Generates every chunk not generated yet (eager compilation).</summary>
    public void GenerateAll(Action<CompileProgress>? progress = null)
    {
        for (int c = 0; c < ChunkCount; c++)
        {
            if (Volatile.Read(ref Code[_chunkStart[c]]) == 0)
            {
                lock (_gate)
                {
                    if (Code[_chunkStart[c]] == 0) GenerateChunk(c);
                }
            }
            progress?.Invoke(new CompileProgress("generate", c + 1, ChunkCount));
        }
    }

    /// <summary>
    /// RyuJIT compiles a method with more IL than this without optimisation (MinOpts), at every tier
    /// (DEFAULT_MIN_OPTS_CODE_SIZE; not configurable in release runtimes). See docs/compiler.md, "Big functions".
    /// </summary>
    internal const int JitOptimizationLimitBytes = 60_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> _oversized = new();

    /// <summary>Functions bigger than this are split (<see cref="FunctionSplitter"/>; <see cref="CompileOptions.SplitUnits"/>).</summary>
    internal int? SplitUnits { get; set; } = FunctionSplitter.ConfiguredUnits;

    /// <summary>The portable assembly will be compiled by crossgen2, which never drops to MinOpts (no interpreter case split).</summary>
    internal bool ForReadyToRun { get; set; }

    /// <summary>Functions generated split so far: defined index → number of outlined regions (docs/compiler.md, "Big functions: split").</summary>
    public IReadOnlyDictionary<int, int> SplitFunctions => _compilation?.SplitFunctions ?? (IReadOnlyDictionary<int, int>)new Dictionary<int, int>();

    /// <summary>Whether the code is unloaded with the module (<see cref="CompileOptions.CollectibleCode"/>; .NET does not tier collectible code).</summary>
    internal bool Collectible { get; set; } = true;

    /// <summary>Where <see cref="DiagnosticEvent.FunctionNotOptimized"/> goes (<see cref="CompileOptions.Diagnostics"/>).</summary>
    internal Action<Diagnostic>? Diagnostics { get; set; }

    /// <summary>Generated functions whose IL exceeds <see cref="JitOptimizationLimitBytes"/>: defined index → IL bytes.</summary>
    public IReadOnlyDictionary<int, int> OversizedFunctions => _oversized;

    /// <summary>Modules with at least this many functions get background generation (see <see cref="StartBackgroundGeneration"/>).</summary>
    internal const int BackgroundThreshold = 1_000;

    private Thread? _background;

    /// <summary>Whether <see cref="StartBackgroundGeneration"/> may start a thread (<see cref="CompileOptions.BackgroundCodeGeneration"/>).</summary>
    public bool BackgroundGeneration { get; init; }

    /// <summary>The background generation thread, if one was started (tests join it).</summary>
    internal Thread? BackgroundThread => Volatile.Read(ref _background);

    /// <summary>
    /// Uses a spare core for work the program will probably need: on the first instantiation of a big module (after its
    /// imports were resolved), a low-priority background thread walks the direct-call graph from the start function and
    /// the exported functions, breadth first, generating each reached chunk and JIT-compiling its methods (tier-0)
    /// ahead of the first call. The main thread never waits for it except for the one chunk it may be generating
    /// (generation is under <see cref="_gate"/>). Errors are left to the callers, which generate on demand.
    /// </summary>
    public void StartBackgroundGeneration()
    {
        if (!BackgroundGeneration || Code.Length < BackgroundThreshold || Environment.ProcessorCount < 2 || _loaded is not null) return;
        if (Interlocked.CompareExchange(ref _background, new Thread(BackgroundGenerate), null) is not null) return;
        var thread = _background!;
        thread.IsBackground = true;
        thread.Priority = ThreadPriority.BelowNormal;
        thread.Name = "strand code generation";
        thread.Start();
    }

    private void BackgroundGenerate()
    {
        try
        {
            int imported = _definition.ImportedFunctionCount;
            var seen = new bool[Code.Length];
            var queue = new Queue<int>();
            void Enqueue(uint functionIndex)
            {
                long d = (long)functionIndex - imported;
                if (d >= 0 && d < seen.Length && !seen[d])
                {
                    seen[d] = true;
                    queue.Enqueue((int)d);
                }
            }
            if (_definition.StartFunction is { } start) Enqueue(start);
            foreach (var export in _definition.Exports)
                if (export.Kind == ExternalKind.Function) Enqueue(export.Index);
            while (queue.TryDequeue(out int d))
            {
                if (Volatile.Read(ref Code[d]) == 0)
                {
                    Type? created = null;
                    lock (_gate)
                    {
                        if (Code[d] == 0) created = GenerateChunk(_chunkOf[d]);
                    }
                    // JIT outside the lock: the main thread may need the lock meanwhile.
                    if (created is not null)
                        foreach (var method in created.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
                            RuntimeHelpers.PrepareMethod(method.MethodHandle);
                }
                foreach (var ins in FunctionCompiler.Decode(_definition, d))
                    if (ins.Opcode == Opcode.Call) Enqueue(ins.Index);
            }
        }
        catch (Exception)
        {
            // Background work is only a head start: a function that fails to generate fails again, and is reported,
            // when it is called.
        }
    }

    /// <summary>Called by compiled code for a call to another chunk: the callee's code, generating it on first use.</summary>
    /// <remarks>
    /// Also optimised at once (no tier-0 copy): callers the JIT does not inline it into, those compiled with MinOpts
    /// (too big to optimise) or out of inline budget, call it at every cross-chunk call.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static nint Resolve(Instance instance, int definedIndex)
    {
        // definedIndex is a constant of the compiled call, below Code.Length (one entry per defined function): no bounds check.
        nint code = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(instance.Code), definedIndex);
        return code != 0 ? code : ResolveSlow(instance, definedIndex);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint ResolveSlow(Instance instance, int definedIndex) => instance.Module.Compiled.CallTarget(definedIndex, out _);

    /// <summary>
    /// The first tier (docs/interpreter.md), if the module has one: functions whose code is not generated run there on
    /// their first calls. Never used for a ReadyToRun image (native code already).
    /// </summary>
    internal FirstTier? FirstTier { get; set; }

    /// <summary>
    /// The address a caller about to call defined function <paramref name="definedIndex"/> jumps to: its code, or, while
    /// the function runs in the first tier, an entry valid for this call only (<paramref name="final"/> false; see
    /// <see cref="FirstTier.CallTarget"/>).
    /// </summary>
    internal nint CallTarget(int definedIndex, out bool final)
    {
        nint code = Volatile.Read(ref Code[definedIndex]);
        if (code != 0 || FirstTier is not { } tier || IsNative)
        {
            final = true;
            return code != 0 ? code : GetCode(definedIndex);
        }
        return tier.CallTarget(definedIndex, out final);
    }

    /// <summary>
    /// Methods generated into one dynamic assembly before generation starts another. The runtime's cost of creating a
    /// type in a dynamic module grows with the methods the module already holds (measured on .NET 10: a 4-method type
    /// took ~10 µs to create in a fresh module and ~300 µs in one holding 23,000 methods), so a big
    /// module's code is spread over several assemblies; calls between them are ordinary calls to created methods.
    /// </summary>
    internal const int MethodsPerDynamicAssembly = 1024;

    /// <summary>Methods generated into <see cref="_module"/> so far (functions; body and region methods not counted).</summary>
    private int _moduleMethods;

    /// <summary>
    /// The dynamic module the next generation step (a chunk or a group of <paramref name="methods"/>
    /// methods) emits into: a new assembly once the current one holds <see cref="MethodsPerDynamicAssembly"/>. A step
    /// never spans two assemblies (a group's types reference each other before they are created).
    /// </summary>
    private ModuleBuilder DynamicModule(int methods)
    {
        if (_module is not null && (_moduleMethods == 0 || _moduleMethods + methods <= MethodsPerDynamicAssembly))
        {
            _moduleMethods += methods;
            return _module;
        }
        _moduleMethods = methods;
        var name = new AssemblyName($"Strand.Wasm.M{Interlocked.Increment(ref _assemblyCounter)}");
        var assembly = AssemblyBuilder.DefineDynamicAssembly(name, Collectible ? AssemblyBuilderAccess.RunAndCollect : AssemblyBuilderAccess.Run);
        assembly.SetCustomAttribute(new CustomAttributeBuilder(
            typeof(IgnoresAccessChecksToAttribute).GetConstructor([typeof(string)])!,
            [typeof(ModuleCompiler).Assembly.GetName().Name!]));
        _module = assembly.DefineDynamicModule(name.Name!);
        return _module;
    }

    /// <summary>Generates chunk <paramref name="chunk"/> (caller holds <see cref="_gate"/>).</summary>
    private Type GenerateChunk(int chunk)
    {
        // A chunk that failed (an internal compiler error) fails the same way for every later caller.
        if (_failures is not null && _failures.TryGetValue(chunk, out var failure))
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        Type created;
        try
        {
            created = _loaded is not null
                ? _loaded.GetType(ChunkTypeName(chunk), throwOnError: true)!
                : GenerateGroup(chunk) // CompiledModule.Groups.cs: the chunk with the chunks it reaches by direct calls, published
                  ?? EmitChunk(DynamicModule(_chunkStart[chunk + 1] - _chunkStart[chunk]), Compilation, chunk, FreshChunkTypeName(chunk), GeneratedMethod).CreateType();
            // Publishing fails for loaded code that lacks a function's method: recorded like any failure, so that no later
            // caller finds the chunk half published and takes a missing function's code (0) for generated.
            if (Volatile.Read(ref Code[_chunkStart[chunk]]) == 0)
            {
                PublishChunk(chunk, created);
                Interlocked.Increment(ref _generatedChunks);
            }
        }
        catch (Exception e)
        {
            (_failures ??= new())[chunk] = e;
            throw;
        }
        Interlocked.Add(ref _generationTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        return created;
    }

    private static string ChunkTypeName(int chunk) => $"Chunk{chunk}";

    /// <summary>
    /// Fills <see cref="Code"/> for the functions of chunk <paramref name="chunk"/> from its created type: all of them or,
    /// when a method is missing (loaded code, <see cref="InvalidDataException"/>), none (a function's code is 0 only
    /// until its whole chunk is published: <see cref="GetCode"/> and the chunk test of <see cref="GenerateChunk"/> rely on it).
    /// </summary>
    private void PublishChunk(int chunk, Type created)
    {
        int first = _chunkStart[chunk], end = _chunkStart[chunk + 1];
        int imported = _definition.ImportedFunctionCount;
        var byName = new Dictionary<string, MethodInfo>((end - first) * 2, StringComparer.Ordinal);
        foreach (var method in created.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            byName[method.Name] = method;
        var methods = new MethodInfo[end - first];
        for (int i = first; i < end; i++)
        {
            if (!byName.TryGetValue(ModuleCompiler.MethodName(imported + i), out var method))
                throw new InvalidDataException($"compiled code has no method for {_definition.DescribeFunction((uint)(imported + i))}");
            methods[i - first] = method;
        }
        _types.Add(created);
        for (int i = first; i < end; i++)
        {
            CreatedMethods[i] = methods[i - first];
            Volatile.Write(ref Code[i], methods[i - first].MethodHandle.GetFunctionPointer());
        }
    }

    /// <summary>
    /// Emits the CIL of chunk <paramref name="chunk"/> into a new type of <paramref name="module"/> (not yet created).
    /// Calls to functions <paramref name="direct"/> gives a method for are direct CIL calls; other calls to other chunks go
    /// through the code table.
    /// </summary>
    private TypeBuilder EmitChunk(ModuleBuilder module, ModuleCompilation compilation, int chunk, string name, Func<int, MethodInfo?>? direct)
    {
        var (type, methods) = DefineChunk(module, chunk, name);
        EmitChunkBodies(compilation, chunk, type, methods, direct);
        return type;
    }

    /// <summary>The type of chunk <paramref name="chunk"/> and its functions' methods, without bodies.</summary>
    private (TypeBuilder Type, MethodBuilder[] Methods) DefineChunk(ModuleBuilder module, int chunk, string name)
    {
        int first = _chunkStart[chunk], end = _chunkStart[chunk + 1];
        int imported = _definition.ImportedFunctionCount;
        var type = module.DefineType(name, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract | TypeAttributes.Class);
        var methods = new MethodBuilder[end - first];
        for (int i = first; i < end; i++)
        {
            var (ret, ps) = ClrTypes.Signature(_definition.Types[(int)_definition.FunctionTypeIndices[i]]);
            methods[i - first] = type.DefineMethod(ModuleCompiler.MethodName(imported + i), MethodAttributes.Public | MethodAttributes.Static, ret, ps);
        }
        return (type, methods);
    }

    /// <summary>Emits the bodies of the methods <see cref="DefineChunk"/> defined.</summary>
    private void EmitChunkBodies(ModuleCompilation compilation, int chunk, TypeBuilder type, MethodBuilder[] methods, Func<int, MethodInfo?>? direct)
    {
        int first = _chunkStart[chunk], end = _chunkStart[chunk + 1];
        int imported = _definition.ImportedFunctionCount;
        var unit = new CodeUnit(first, methods, direct);
        for (int i = first; i < end; i++)
        {
            try
            {
                int size = FrameGuard.CompileFunction(compilation, unit, i, methods[i - first], type);
                if (size > JitOptimizationLimitBytes && _oversized.TryAdd(i, size))
                    Diagnostics?.Invoke(new Diagnostic(DiagnosticLevel.Warning, DiagnosticEvent.FunctionNotOptimized,
                        $"{_definition.DescribeFunction((uint)(imported + i))} compiles to {size:N0} bytes of IL, over the JIT's optimisation limit of {JitOptimizationLimitBytes:N0}: it runs unoptimised")
                    { FunctionIndex = (uint)(imported + i) });
            }
            catch (Exception e) when (e is not WasmUnsupportedException and not WasmImplementationLimitException)
            {
                throw new InvalidOperationException($"internal compiler error in {_definition.DescribeFunction((uint)(imported + i))}: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// The whole module's code as a portable assembly (PE image): every chunk, with call_indirect type ids read from
    /// the instance instead of baked in (ids are per process). Loaded back with <see cref="LoadCode"/>.
    /// </summary>
    public byte[] EmitPortableAssembly(Action<CompileProgress>? progress = null)
    {
        var name = new AssemblyName("Strand.Wasm.Compiled");
        var assembly = new PersistedAssemblyBuilder(name, typeof(object).Assembly);
        assembly.SetCustomAttribute(new CustomAttributeBuilder(
            typeof(IgnoresAccessChecksToAttribute).GetConstructor([typeof(string)])!,
            [typeof(ModuleCompiler).Assembly.GetName().Name!]));
        var module = assembly.DefineDynamicModule(name.Name!);
        var compilation = new ModuleCompilation(_definition) { PortableTypeIds = true, SplitUnits = SplitUnits, ForReadyToRun = ForReadyToRun };
        // Every chunk is in this one image, so every call between chunks is a direct CIL call (CompiledModule.Groups.cs).
        var chunks = new (TypeBuilder Type, MethodBuilder[] Methods)[ChunkCount];
        for (int c = 0; c < ChunkCount; c++) chunks[c] = DefineChunk(module, c, ChunkTypeName(c));
        MethodInfo Direct(int d) => chunks[_chunkOf[d]].Methods[d - _chunkStart[_chunkOf[d]]];
        for (int c = 0; c < ChunkCount; c++)
        {
            EmitChunkBodies(compilation, c, chunks[c].Type, chunks[c].Methods, Direct);
            chunks[c].Type.CreateType();
            progress?.Invoke(new CompileProgress("generate", c + 1, ChunkCount));
        }
        var stream = new MemoryStream();
        assembly.Save(stream);
        return stream.ToArray();
    }

    /// <summary>Throws <see cref="WasmImplementationLimitException"/> for a function type with too many parameters and results.</summary>
    internal static void CheckArity(FuncType type, string user)
    {
        int arity = type.Params.Length + type.Results.Length;
        if (arity > ImplementationLimits.MaxFunctionTypeArity)
            throw new WasmImplementationLimitException(
                $"{user} uses a function type with {type.Params.Length} parameters and {type.Results.Length} results; " +
                $"Strand compiles at most {ImplementationLimits.MaxFunctionTypeArity} together");
    }

    /// <summary>Whether the code comes from a compiled artifact (<see cref="LoadCode"/>) rather than being generated.</summary>
    public bool IsLoaded => _loaded is not null;

    /// <summary>Whether the code is a ReadyToRun image (<see cref="LoadNativeCode"/>): precompiled native code, no JIT for most methods.</summary>
    public bool IsNative { get; private set; }

    /// <summary>
    /// Makes this module take its code from the ReadyToRun image at <paramref name="path"/> (crossgen2's output for this
    /// module's <see cref="EmitPortableAssembly"/> image), before any code is used. The runtime uses an image's native code
    /// only when it is mapped from a file into a load context that is not collectible, so this code is never unloaded: it
    /// stays until the process ends (docs/compiler.md, "ReadyToRun images").
    /// </summary>
    public void LoadNativeCode(string path)
    {
        var context = new System.Runtime.Loader.AssemblyLoadContext($"Strand.Wasm.Native{Interlocked.Increment(ref _assemblyCounter)}", isCollectible: false);
        _loaded = context.LoadFromAssemblyPath(Path.GetFullPath(path));
        IsNative = true;
    }

    /// <summary>
    /// Makes this module take its code from <paramref name="image"/> (from <see cref="EmitPortableAssembly"/> of the same
    /// module and the same Strand build), loaded into a load context (collectible unless <see cref="Collectible"/> is false).
    /// Before any code is used. A <see cref="MemoryStream"/> whose buffer is publicly visible is read in place by
    /// <c>LoadFromStream</c> (the runtime makes its one copy); any other stream is first copied into an array.
    /// </summary>
    public void LoadCode(Stream image)
    {
        var context = new System.Runtime.Loader.AssemblyLoadContext($"Strand.Wasm.Cached{Interlocked.Increment(ref _assemblyCounter)}", isCollectible: Collectible);
        _loaded = context.LoadFromStream(image);
    }

    /// <summary>
    /// Like <see cref="LoadCode"/>, from the compiled artifact file at <paramref name="path"/>, whose first bytes are the
    /// image: the runtime maps the file (only the pages it touches are read) instead of copying the image.
    /// </summary>
    public void LoadCodeFile(string path)
    {
        var context = new System.Runtime.Loader.AssemblyLoadContext($"Strand.Wasm.Cached{Interlocked.Increment(ref _assemblyCounter)}", isCollectible: Collectible);
        _loaded = context.LoadFromAssemblyPath(Path.GetFullPath(path));
    }
}

/// <summary>
/// The chunk being generated: its first defined function and its methods (calls inside it are direct), and the methods of
/// other chunks it may call directly (<c>direct</c>: those generated with it or before it, see CompiledModule.Groups.cs).
/// </summary>
internal sealed class CodeUnit(int first, MethodBuilder[] methods, Func<int, MethodInfo?>? direct = null)
{
    /// <summary>The method of defined function <paramref name="definedIndex"/> when a direct CIL call can reach it, else null (call through the code table).</summary>
    public MethodInfo? Local(int definedIndex) =>
        definedIndex >= first && definedIndex < first + methods.Length ? methods[definedIndex - first] : direct?.Invoke(definedIndex);
}

internal static class ModuleCompiler
{
    internal static string MethodName(int functionIndex) => $"f{functionIndex}";
}

/// <summary>
/// Keeps guest recursion from overflowing the CLR stack whatever a function's frame size.
/// <para>
/// Every function that calls starts with a check equivalent to <see cref="RuntimeHelpers.TryEnsureSufficientExecutionStack"/>
/// (one compare against the instance's window of the running thread's verified stack, <see cref="StackWindow"/>), which guarantees the
/// runtime's margin (128 KiB on 64-bit, 64 KiB on 32-bit) below the caller's frame: enough for a
/// callee whose frame is small, plus the trap path (throwing and dispatching the exception). A function whose frame
/// may be larger than <see cref="SmallFrameBytes"/> (many locals, a deep operand stack, many blocks) is compiled into a
/// separate body method, and its entry point becomes a small method that first checks that the body's frame estimate
/// plus that margin is available (<see cref="WasmOps.EnsureStack"/>) and traps with "call stack exhausted" otherwise.
/// The check runs before the body's prologue allocates (and probes) the big frame.
/// </para>
/// </summary>
internal static class FrameGuard
{
    /// <summary>Frames up to this estimate are covered by the caller's margin.</summary>
    public const long SmallFrameBytes = WasmOps.FastCheckFrameBytes;

    /// <summary>
    /// A generous upper bound of the native frame of a function: 16 bytes (twice a JIT stack slot) per parameter,
    /// local, operand stack value, block (whose branch values travel in locals) and operand value spilled at a
    /// control-flow join (<see cref="FunctionBody.BranchSpillUnits"/>), plus 4 KiB.
    /// </summary>
    public static long EstimateFrameBytes(ModuleDefinition definition, int definedIndex, FuncType type, int controlCount)
    {
        var body = definition.Bodies[definedIndex];
        // Without a validator's figure, every instruction byte could push a value.
        long size = body.CodeEnd - body.CodeStart;
        long depth = body.MaxOperandDepth >= 0 ? body.MaxOperandDepth : size;
        long spills = body.BranchSpillUnits >= 0 ? body.BranchSpillUnits : 3 * size * depth;
        return FrameBytes(type.Params.Length + (long)body.LocalCount, depth, controlCount, spills);
    }

    /// <summary>The estimate of <see cref="EstimateFrameBytes"/> from its figures: parameters and locals, operand depth, blocks, spill units.</summary>
    public static long FrameBytes(long locals, long operandDepth, int controlCount, long spillUnits) =>
        16 * (locals + operandDepth + 2L * controlCount + spillUnits) + 4096;

    /// <returns>The IL size of the function's body method, in bytes.</returns>
    public static int CompileFunction(ModuleCompilation compilation, CodeUnit unit, int definedIndex, MethodBuilder entry, TypeBuilder owner)
    {
        var definition = compilation.Definition;
        var type = compilation.FunctionTypes[compilation.ImportedFunctionCount + definedIndex];
        var code = FunctionCompiler.Decode(definition, definedIndex);
        int controls = 0;
        bool loops = false, tailCalls = false;
        foreach (var ins in code)
        {
            if (ins.Opcode is Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable) controls++;
            loops |= ins.Opcode == Opcode.Loop;
            tailCalls |= ins.Opcode is Opcode.ReturnCall or Opcode.ReturnCallIndirect or Opcode.ReturnCallRef;
        }
        var split = FunctionSplitter.Plan(compilation, unit, definedIndex, code, compilation.SplitUnits);
        long frame = EstimateFrameBytes(definition, definedIndex, type, controls);
        // An outlined region's frame sits on top of the outer function's (and is no bigger).
        if (split is not null)
        {
            frame *= 2;
            compilation.SplitFunctions[definedIndex] = split.Regions.Count;
        }
        // Tiered compilation: a loop running long in tier-0 continues in an on-stack-replacement method whose frame
        // sits on top of the tier-0 frame, so such a function may use two frames' worth of stack.
        if (loops) frame *= 2;
        if (frame <= SmallFrameBytes)
        {
            return FunctionCompiler.Compile(compilation, unit, definedIndex, entry, code, owner, split);
        }

        var (ret, ps) = ClrTypes.Signature(type);
        var body = owner.DefineMethod(entry.Name + "_body", MethodAttributes.Public | MethodAttributes.Static, ret, ps);
        body.SetImplementationFlags(MethodImplAttributes.NoInlining);
        int size = FunctionCompiler.Compile(compilation, unit, definedIndex, body, code, owner, split);

        EmitFrameCheckEntry(entry, body, frame, ps, tailCalls);
        return size;
    }

    /// <summary>
    /// Emits <paramref name="entry"/>: traps with "call stack exhausted" unless <paramref name="frame"/> bytes (the body's
    /// frame estimate) plus the runtime's margin are available (<see cref="WasmOps.EnsureStack"/>), then calls
    /// <paramref name="body"/> (same parameters <paramref name="ps"/>, the context last) with its arguments.
    /// </summary>
    internal static void EmitFrameCheckEntry(MethodBuilder entry, MethodBuilder body, long frame, Type[] ps, bool tailCalls)
    {
        var il = CachedTokenILGenerator.For(entry);
        var ok = il.DefineLabel();
        // The body's frame estimate, plus the arguments this entry passes on the stack and its own small frame.
        il.Emit(OpCodes.Ldc_I8, frame + 16L * ps.Length + 4096);
        var probe = il.DeclareLocal(typeof(byte));
        il.Emit(OpCodes.Ldloca, probe);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Ldarg, (short)(ps.Length - 1)); // the context: always the function's Instance
        il.Emit(OpCodes.Call, RuntimeMembers.AsInstance);
        il.Emit(OpCodes.Call, RuntimeMembers.EnsureStackFor);
        il.Emit(OpCodes.Brtrue, ok);
        il.Emit(OpCodes.Ldc_I4, (int)TrapCode.CallStackExhausted);
        il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.Trap)));
        il.Emit(OpCodes.Throw);
        il.MarkLabel(ok);
        for (int p = 0; p < ps.Length; p++) il.Emit(OpCodes.Ldarg, (short)p);
        // A body that tail-calls must not leave this entry's frame behind at each round of a tail-call cycle.
        if (tailCalls) il.Emit(OpCodes.Tailcall);
        il.Emit(OpCodes.Call, body);
        il.Emit(OpCodes.Ret);
    }
}
