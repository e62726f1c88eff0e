using Strand.Binary;
using Strand.Runtime;

namespace Strand;

/// <summary>
/// An instantiated module: its memories, tables, globals and functions. All mutable state of the
/// guest lives here (or in shared externs), never in the compiled code, so many instances of one
/// <see cref="Module"/> can run concurrently on different threads.
/// <para>
/// <see cref="Dispose"/> releases at once the memory the instance defined (not an imported one), see
/// <see cref="Strand.Memory.Dispose"/>; without it, the memory is released when the garbage collector finds it dead.
/// </para>
/// </summary>
public sealed class Instance : IDisposable
{
    // ---- state read by compiled code (see Compilation.RuntimeMembers) ----
    internal Memory? Memory0;
    /// <summary>The memory index space (imports first): memory 0 is also <see cref="Memory0"/>; code reads others from here (multi-memory).</summary>
    internal Memory[] Memories;
    internal Global[] Globals;
    internal Table[] Tables;
    /// <summary>Tag index space (exception handling): imports, then one new <see cref="Tag"/> per tag the module defines.</summary>
    internal Tag[] Tags;
    /// <summary>Function index space. Imports are filled at instantiation; defined functions on first use.</summary>
    internal FunctionReference?[] Functions;
    /// <summary>The module's code table (<see cref="Compilation.CompiledModule.Code"/>), read by calls between chunks.</summary>
    internal nint[] Code;
    /// <summary>Canonical type id of each type of the module's type section (read by code loaded from a compiled artifact).</summary>
    internal int[] TypeIds;
    internal InterruptSignal Signal = new();
    /// <summary>
    /// The stack window of the thread running this instance's code, read by the entry check of functions that call
    /// (<see cref="Runtime.StackWindow"/>; <see cref="StackWindow.Empty"/> until a thread claims it in the check's slow path).
    /// </summary>
    internal StackWindow StackWindow = StackWindow.Empty;
    internal GlobalSetHook? GlobalSetHook;

    private readonly RefValue[]?[] _elementSegments;
    private readonly bool[] _droppedData;
    private readonly Dictionary<string, Extern> _exports;
    /// <summary>The memories this instance created from its own definition (released by <see cref="Dispose"/>).</summary>
    private readonly List<Memory> _definedMemories = new();

    /// <summary>
    /// Guest code reads static fields of the runtime helpers in hot loops (<see cref="WasmOps.OpaqueZero"/>): their
    /// classes are initialised before any guest code runs, so the JIT emits no class-initialisation check there
    /// (measured: a float loop took 3x as long with the check and the spills around it).
    /// </summary>
    static Instance()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(WasmOps).TypeHandle);
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(SimdOps).TypeHandle);
    }

    private Instance(Module module)
    {
        Module = module;
        var def = module.Definition;
        Functions = new FunctionReference?[def.TotalFunctionCount];
        Code = module.Compiled.Code;
        TypeIds = module.TypeIds;
        Globals = new Global[def.TotalGlobalCount];
        Tables = new Table[def.TotalTableCount];
        Memories = new Memory[def.TotalMemoryCount];
        Tags = new Tag[def.TotalTagCount];
        _elementSegments = new RefValue[]?[def.Elements.Count];
        _droppedData = new bool[def.Data.Count];
        _exports = new Dictionary<string, Extern>(def.Exports.Count, StringComparer.Ordinal);
    }

    /// <summary>The compiled module this instance was created from.</summary>
    public Module Module { get; }

    /// <summary>The exports by name.</summary>
    public IReadOnlyDictionary<string, Extern> Exports => _exports;

    // ------------------------------------------------------------------ instantiation

    /// <summary>
    /// Instantiates <paramref name="module"/> with already resolved and type-checked imports (in import order).
    /// Follows the spec: allocate, export, run active element then data segments (a trapping segment leaves
    /// the earlier ones applied), drop them, then run the start function.
    /// </summary>
    internal static Instance Create(Module module, Extern[] imports, InstantiationOptions? options = null)
    {
        module.Compiled.StartBackgroundGeneration(); // imports are resolved: code generation may begin
        var instance = new Instance(module);
        try
        {
            instance.Initialize(imports, options);
            return instance;
        }
        catch
        {
            instance.Dispose(); // nobody can reach a failed instance: release its memory now
            throw;
        }
    }

    private void Initialize(Extern[] imports, InstantiationOptions? options)
    {
        var module = Module;
        var def = module.Definition;
        var instance = this;
        if (options?.Signal is { } signal) instance.Signal = signal;
        instance.GlobalSetHook = options?.GlobalSetHook;
        int functionCount = 0, tableCount = 0, globalCount = 0, memoryCount = 0, tagCount = 0;
        for (int i = 0; i < imports.Length; i++)
        {
            switch (imports[i])
            {
                case FunctionReference f: instance.Functions[functionCount++] = f; break;
                case Table t: instance.Tables[tableCount++] = t; break;
                case Memory m: instance.Memories[memoryCount++] = m; break;
                case Global g: instance.Globals[globalCount++] = g; break;
                case Tag tag: instance.Tags[tagCount++] = tag; break;
            }
        }
        foreach (var typeIndex in def.Tags) instance.Tags[tagCount++] = new Tag(module.CanonicalType(typeIndex), module.TypeIds[typeIndex]);

        foreach (var memoryType in def.Memories)
        {
            if (options?.Memory is { } given && options.MemoryIndex == (uint)memoryCount) instance.Memories[memoryCount++] = given;
            else
            {
                var created = new Memory(memoryType);
                instance._definedMemories.Add(created);
                instance.Memories[memoryCount++] = created;
            }
        }
        if (instance.Memories.Length > 0) instance.Memory0 = instance.Memories[0];
        for (int i = 0; i < def.Globals.Count; i++)
            instance.Globals[globalCount++] = new Global(module.Canonical(def.Globals[i].Type), module.GlobalInitializers[i].Evaluate(instance));
        // Tables after globals: a table's initializer (3.0) may read imported globals and take ref.func.
        for (int i = 0; i < def.Tables.Count; i++)
        {
            var type = module.Canonical(def.Tables[i]);
            instance.Tables[tableCount++] = def.TableInitializers.TryGetValue(i, out var init)
                ? new Table(type, new ConstantExpression(init, def.Bytes).Evaluate(instance))
                : new Table(type);
        }

        for (int i = 0; i < def.Elements.Count; i++) instance._elementSegments[i] = instance.EvaluateElements(i);

        foreach (var export in def.Exports)
        {
            instance._exports[export.Name] = export.Kind switch
            {
                ExternalKind.Function => instance.GetFunction(export.Index),
                ExternalKind.Table => instance.Tables[export.Index],
                ExternalKind.Memory => instance.Memories[export.Index],
                ExternalKind.Tag => instance.Tags[export.Index],
                _ => instance.Globals[export.Index],
            };
        }

        for (int i = 0; i < def.Elements.Count; i++)
        {
            var segment = def.Elements[i];
            if (segment.Mode == SegmentMode.Active)
            {
                var table = instance.Tables[segment.TableIndex];
                var offsetValue = module.ElementOffsets[i]!.Evaluate(instance);
                ulong offset = table.Is64 ? (ulong)offsetValue.AsI64 : (uint)offsetValue.AsI32;
                var items = instance._elementSegments[i]!;
                instance.InitializeTable(table, i, (uint)Math.Min(offset, uint.MaxValue), 0, (uint)items.Length);
            }
            if (segment.Mode != SegmentMode.Passive) instance._elementSegments[i] = null;
        }

        for (int i = 0; i < def.Data.Count; i++)
        {
            var segment = def.Data[i];
            if (segment.Mode != SegmentMode.Active) continue;
            if (options is { SkipActiveData: true } && segment.MemoryIndex == options.MemoryIndex)
            {
                // The memory was initialised by an earlier instance (threads): treat the segment as applied.
                instance._droppedData[i] = true;
                continue;
            }
            var memory = instance.Memories[segment.MemoryIndex];
            var offsetValue = module.DataOffsets[i]!.Evaluate(instance);
            ulong offset = memory.Is64 ? (ulong)offsetValue.AsI64 : (uint)offsetValue.AsI32;
            if (options?.ActiveDataLimit is { } limit && segment.MemoryIndex == options.MemoryIndex
                && (offset > limit || (ulong)segment.DataLength > limit - offset))
                throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);
            memory.Initialize(offset, segment.GetBytes(def), 0, (ulong)segment.DataLength);
            instance._droppedData[i] = true;
        }

        options?.BeforeStart?.Invoke(instance);
        // Instantiated outside a thread group on a memory whose group has live threads: a stack (and TLS block) of its own.
        if (options is null) Threads.ForeignInstances.Prepare(instance);
        if (def.StartFunction is { } start) instance.GetFunction(start).Invoke();
    }

    private RefValue[] EvaluateElements(int segmentIndex)
    {
        var segment = Module.Definition.Elements[segmentIndex];
        if (segment.FunctionIndices is { } indices)
        {
            var items = new RefValue[indices.Length];
            for (int k = 0; k < indices.Length; k++) items[k] = RefValue.Wrap(GetFunction(indices[k]));
            return items;
        }
        var expressions = Module.ElementItems[segmentIndex]!;
        var values = new RefValue[expressions.Length];
        for (int k = 0; k < expressions.Length; k++) values[k] = RefValue.Of(expressions[k].Evaluate(this).Reference);
        return values;
    }

    // ------------------------------------------------------------------ runtime support for compiled code

    /// <summary>The function at <paramref name="index"/> of the function index space (created on first use, then always the same object).</summary>
    internal FunctionReference GetFunction(uint index)
    {
        var existing = Volatile.Read(ref Functions[index]);
        if (existing is not null) return existing;
        int defined = (int)index - Module.Definition.ImportedFunctionCount;
        var created = new WasmFunction(Module.FunctionTypes[index], Module.Compiled.GetEntry(defined), this, index);
        return Interlocked.CompareExchange(ref Functions[index], created, null) ?? created;
    }

    internal ReadOnlySpan<byte> GetDataSegment(int index) =>
        _droppedData[index] ? ReadOnlySpan<byte>.Empty : Module.Definition.Data[index].GetBytes(Module.Definition);

    internal void DropDataSegment(int index) => _droppedData[index] = true;

    internal void DropElementSegment(int index) => _elementSegments[index] = null;

    /// <summary>The items of element segment <paramref name="index"/> (empty once dropped): array.new_elem, array.init_elem.</summary>
    internal RefValue[] GetElementSegment(int index) => _elementSegments[index] ?? [];

    /// <summary>table.init semantics: bounds-checked copy of segment items [source, source+count) to the table at destination.</summary>
    internal void InitializeTable(Table table, int segmentIndex, uint destination, uint source, uint count)
    {
        var items = _elementSegments[segmentIndex] ?? [];
        var elements = table.Elements;
        if ((ulong)source + count > (ulong)items.Length || (ulong)destination + count > (ulong)elements.Length)
            throw new TrapException(TrapCode.OutOfBoundsTableAccess);
        Array.Copy(items, source, elements, destination, count);
    }

    /// <summary>
    /// Asks running guest code of this instance (and of all instances sharing its signal) to trap with
    /// <see cref="TrapCode.Interrupted"/>; code waiting in <c>memory.atomic.wait</c> on the instance's memory wakes and traps at once.
    /// </summary>
    internal void RequestInterrupt()
    {
        Signal.Request();
        foreach (var memory in Memories)
            if (memory.Shared) memory.ParkingLot.Interrupt(Signal);
    }

    internal void ClearInterrupt() => Signal.Clear();

    // ------------------------------------------------------------------ public accessors

    /// <summary>Calls an exported function with untyped arguments (checked against its type).</summary>
    public Value[] Invoke(string exportName, params Value[] args) => GetFunction(exportName).Invoke(args);

    /// <summary>
    /// Calls an exported function like <see cref="Invoke(string, Value[])"/>, interruptible: when
    /// <paramref name="cancellationToken"/> is cancelled, the running guest code traps with <see cref="TrapCode.Interrupted"/>
    /// at its next loop iteration or call (at once while it waits in <c>memory.atomic.wait</c> on a shared memory), and the
    /// call throws <see cref="OperationCanceledException"/> carrying the token (the trap as its inner exception). A host
    /// function blocked in a call of its own is not interrupted; it should take the token itself. The interrupt is cleared
    /// when the call ends, so the instance can be called again. Throws at once if the token is already cancelled.
    /// </summary>
    public Value[] Invoke(string exportName, CancellationToken cancellationToken, params Value[] args) =>
        GetFunction(exportName).Invoke(cancellationToken, args);

    /// <summary>An exported function. Throws <see cref="KeyNotFoundException"/> if there is no function export of that name.</summary>
    public FunctionReference GetFunction(string exportName) =>
        _exports.TryGetValue(exportName, out var e) && e is FunctionReference f
            ? f
            : throw new KeyNotFoundException($"the instance has no exported function named \"{exportName}\"");

    /// <summary>An exported function as a typed delegate, for example <c>Func&lt;int, int, int&gt;</c>.</summary>
    public TDelegate GetFunction<TDelegate>(string exportName) where TDelegate : Delegate =>
        GetFunction(exportName).ToDelegate<TDelegate>();

    /// <summary>
    /// An exported function as a typed delegate whose every call can be stopped by <paramref name="cancellationToken"/>, as
    /// <see cref="Invoke(string, CancellationToken, Value[])"/> describes: a cancelled call throws <see cref="OperationCanceledException"/>.
    /// See <see cref="FunctionReference.ToDelegate{TDelegate}(CancellationToken)"/>.
    /// </summary>
    public TDelegate GetFunction<TDelegate>(string exportName, CancellationToken cancellationToken) where TDelegate : Delegate =>
        GetFunction(exportName).ToDelegate<TDelegate>(cancellationToken);

    /// <summary>The exported memory named <paramref name="exportName"/>, or null if there is no memory export of that name.</summary>
    public Memory? GetMemory(string exportName) => _exports.GetValueOrDefault(exportName) as Memory;
    /// <summary>The exported global named <paramref name="exportName"/>, or null if there is no global export of that name.</summary>
    public Global? GetGlobal(string exportName) => _exports.GetValueOrDefault(exportName) as Global;
    /// <summary>The exported table named <paramref name="exportName"/>, or null if there is no table export of that name.</summary>
    public Table? GetTable(string exportName) => _exports.GetValueOrDefault(exportName) as Table;
    /// <summary>The exported tag (exception handling) <paramref name="exportName"/>, or null: throw a <see cref="Runtime.WasmException"/> of it from a host function, or catch one.</summary>
    public Tag? GetTag(string exportName) => _exports.GetValueOrDefault(exportName) as Tag;

    /// <summary>The instance's memory 0 (imported or defined), if it has one.</summary>
    public Memory? Memory => Memory0;

    /// <summary>The instance's memories in index order (imports first; several with multi-memory).</summary>
    public IReadOnlyList<Memory> AllMemories => Memories;

    /// <summary>
    /// Releases the memories the instance defined (its pages at once; see <see cref="Strand.Memory.Dispose"/>). Imported
    /// memories belong to whoever created them. Calling the instance afterwards traps at its first memory access
    /// ("out of bounds memory access"). Idempotent.
    /// </summary>
    public void Dispose()
    {
        foreach (var memory in _definedMemories) memory.Dispose();
    }
}
