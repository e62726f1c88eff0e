using System.Diagnostics;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Threads;

/// <summary>
/// Runs several instances of one compiled <see cref="Module"/> on dedicated OS threads that share one memory.
/// Each thread costs one instantiation (no compilation). The module's start function runs once per instance,
/// as the spec says; active data segments are applied by the group's first instance only. Each thread gets
/// its own shadow stack (<see cref="StackMode.Isolated"/>) and TLS block, set before any of its guest code
/// runs. A trap in any thread, a cancellation or the timeout stops every thread of the group promptly.
/// </summary>
/// <example>
/// <code>
/// using var group = new ThreadGroup(module);
/// var a = group.Spawn("algorithm");
/// var b = group.Spawn("algorithm");
/// group.WaitAll();                 // throws ThreadGroupException for the first failure
/// Console.WriteLine(a.Result![0]); // every thread ran on its own stack
/// </code>
/// </example>
public sealed class ThreadGroup : IDisposable
{
    /// <summary>Used when the module's stack size cannot be inferred and no size is given (LLVM's size for Rust).</summary>
    public const uint FallbackStackSize = 1024 * 1024;
    private const uint StackAlignment = 16;

    /// <summary>Null only in a placement preview (<see cref="PreviewPlacement(ModuleDefinition, int, ThreadGroupOptions?)"/>), which runs nothing.</summary>
    private readonly Module? _module;
    private readonly ThreadGroupOptions _options;
    private readonly Extern[] _imports;
    private readonly InterruptSignal _signal = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ManualResetEventSlim _startGate;
    private readonly ManualResetEventSlim _firstInstanceReady = new(false);
    private readonly object _lock = new();
    private readonly List<WasmThread> _threads = [];
    private readonly List<StackCollision> _collisions = [];
    private readonly CancellationTokenRegistration _tokenRegistration;
    private readonly Timer? _timer;
    private readonly StackRegistry? _registry;
    private readonly MemoryRegions? _regions;
    private readonly AddressRange? _mainGuarded;
    private readonly ulong? _dataLimit;
    private bool _mainStackTaken;
    /// <summary>Threads spawned so far (ids are 1..this); with ForgetCompletedThreads it exceeds the listed ones.</summary>
    private int _spawned;
    /// <summary>Index in the module's imports of an imported __stack_pointer that each thread gets its own Global for.</summary>
    private readonly int? _stackPointerImport;
    private ThreadGroupException? _firstError;
    private Exception? _stopReason;
    private bool _disposed;

    /// <summary>A group for <paramref name="module"/>: creates (or takes from <see cref="ThreadGroupOptions.Linker"/>) the memory its threads share and resolves the imports once; no thread runs until <see cref="Spawn"/>.</summary>
    public ThreadGroup(Module module, ThreadGroupOptions? options = null)
        : this((module ?? throw new ArgumentNullException(nameof(module))).Definition, module, options)
    {
    }

    /// <summary>A group of <paramref name="module"/>, or with <paramref name="module"/> null a preview group of a definition: nothing linked, nothing run.</summary>
    private ThreadGroup(ModuleDefinition definition, Module? module, ThreadGroupOptions? options)
    {
        _module = module;
        _options = options ?? new ThreadGroupOptions();
        if (_options.ThreadStackSize < 256 * 1024)
            throw new ArgumentOutOfRangeException(nameof(options), "ThreadStackSize must be at least 256 KiB");
        // Checked before anything is registered: System.Threading.Timer takes up to 0xFFFFFFFE ms (about 49.7 days).
        if (_options.Timeout is { } limit && limit != System.Threading.Timeout.InfiniteTimeSpan
            && (limit < TimeSpan.Zero || limit.TotalMilliseconds > uint.MaxValue - 1.0))
            throw new ArgumentOutOfRangeException(nameof(options), $"Timeout must be between 0 and 49.7 days, or Timeout.InfiniteTimeSpan for none (got {limit})");
        if (_options.StackSize == 0)
            throw new ArgumentOutOfRangeException(nameof(options), "StackSize must be at least 1 byte (it is rounded up to 16); null means the module's own stack size");
        Layout = ModuleLayout.Analyze(definition);
        // With several memories (multi-memory) the threads share the one that holds the shadow stack. When that cannot be
        // told, one thread still runs (on memory 0's index, its stack pointer neither moved nor guarded); a second is refused.
        uint memoryIndex = Layout.StackMemoryIndex ?? 0;
        MemoryIndex = memoryIndex;
        Memory = CreateOrFindMemory(definition, _options.Linker, memoryIndex);
        // An imported __stack_pointer (position-independent code) would be one Global shared by every instance. In
        // isolated mode each thread's instance gets a Global of its own instead (the linker's, if it defines one, is
        // not used by the threads), set to the top of the thread's stack.
        if (_options.StackMode == StackMode.Isolated && Layout.StackPointer is { Imported: true, IsMutableI32: true, Evidence: StackEvidence.Strong, GlobalIndex: { } imported })
        {
            // The import that defines global `imported` (globals are numbered imports first, in import order); found by
            // its import name or, e.g., by the name section.
            int globals = 0;
            for (int i = 0; i < definition.Imports.Count; i++)
            {
                if (definition.Imports[i].Kind != ExternalKind.Global) continue;
                if (globals++ == imported) _stackPointerImport = i;
            }
        }
        _imports = module is null ? [] : (_options.Linker ?? new Linker()).ResolveImports(module, Memory,
            i => i == _stackPointerImport ? new Global(ValType.I32, mutable: true, Value.I32(0)) : null, memoryIndex);
        if (Memory is not null)
        {
            _registry = StackRegistry.For(Memory);
            _regions = MemoryRegions.For(Memory);
        }
        _startGate = new ManualResetEventSlim(!_options.StartTogether);

        // Only a global the evidence strongly supports is moved and guarded (a weak heuristic pick may be, e.g., a
        // bump allocator's pointer, and guarding it would stop a correct program).
        StackPointerGlobal = Layout.StackMemoryIndex is not null
            && Layout.StackPointer is { Found: true, IsMutableI32: true, Evidence: StackEvidence.Strong, GlobalIndex: { } g } ? g : null;
        MainStack = Layout.StackPointer.Range;
        _mainGuarded = Layout.StackPointer.GuardedRange;
        if (StackPointerGlobal is not null && Layout.StackPointer.InitialValue is { } top && MainStack is null)
            MainStack = _mainGuarded = new AddressRange(0, top); // unknown extent: at most everything below the initial value
        // Active data segments are checked against the memory as the module sees it, not against pages the host
        // grew for thread stacks (which may exist before the first instance applies its segments).
        if (Memory is not null) _dataLimit = _regions!.SizeBeforeHostGrowth ?? (ulong)Memory.Length;

        _tokenRegistration = _options.CancellationToken.Register(() => Stop(new OperationCanceledException("the thread group was cancelled", _options.CancellationToken)));
        if (_options.Timeout is { } timeout && timeout != System.Threading.Timeout.InfiniteTimeSpan)
            _timer = new Timer(_ => Stop(new TimeoutException($"the thread group did not finish within {timeout.TotalSeconds:0.#######} s")), null, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The static analysis of the module (stack pointer, TLS, data).</summary>
    public ModuleLayout Layout { get; }

    /// <summary>The memory every thread shares (created by the group for the module's import or definition, or taken from the linker). Null if the module has none.</summary>
    public Memory? Memory { get; }

    /// <summary>The index of <see cref="Memory"/> in the module's memory index space (0 unless the module has several memories).</summary>
    public uint MemoryIndex { get; }

    /// <summary>Index of the stack-pointer global the group manages, or null when the module has none that it could find.</summary>
    public uint? StackPointerGlobal { get; }

    /// <summary>
    /// The linker's stack (thread 1's in isolated mode, everyone's in shared mode), including its red-zone band
    /// (<see cref="StackPointerInfo.RedZoneBand"/>); the part the stack pointer may use is the thread's
    /// <see cref="WasmThread.StackRange"/>.
    /// </summary>
    public AddressRange? MainStack { get; }

    /// <summary>How thread stacks are placed (<see cref="ThreadGroupOptions.StackMode"/>).</summary>
    public StackMode StackMode => _options.StackMode;

    /// <summary>The threads spawned so far, in id order (without completed ones when <see cref="ThreadGroupOptions.ForgetCompletedThreads"/> is set).</summary>
    public IReadOnlyList<WasmThread> Threads
    {
        get { lock (_lock) return _threads.ToArray(); }
    }

    /// <summary>
    /// Every stack collision found, in the order found: when a thread started (shared mode, or stacks that overlap
    /// another group's on the same memory) and, with <see cref="ThreadGroupOptions.DetectCrossThreadStackPointers"/>,
    /// at stack-pointer writes of this group's threads (each pair of threads once).
    /// </summary>
    public IReadOnlyList<StackCollision> Collisions
    {
        get { lock (_lock) return _collisions.ToArray(); }
    }

    /// <summary>The first thread failure (null if none): its thread id and, as inner exception, the trap.</summary>
    public ThreadGroupException? FirstError => Volatile.Read(ref _firstError);

    /// <summary>Why the group was stopped from outside (cancellation or timeout), if it was.</summary>
    public Exception? StopReason => Volatile.Read(ref _stopReason);

    // ------------------------------------------------------------------ spawning

    /// <summary>
    /// Starts a thread that instantiates the module and calls <paramref name="export"/> with <paramref name="args"/>.
    /// Its stack and TLS block are placed before it starts. Throws <see cref="ThreadSpawnException"/> when they do
    /// not fit in the memory, <see cref="ArgumentException"/> for an unknown export or wrong arguments.
    /// </summary>
    public WasmThread Spawn(string export, params Value[] args)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(args);
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckExport(export, args);
        WaitForFirstInstance();

        lock (_lock)
        {
            if (StopReason is not null || FirstError is not null)
                throw new InvalidOperationException("the thread group has been stopped; no new threads can join it");
            int id = _spawned + 1;
            if (id > 1 && Layout.StackMemoryIndex is null)
                throw new ThreadSpawnException($"cannot start thread {id}: {Layout.StackMemoryReason}");
            if (id > 1 && Memory is { Shared: false })
                throw new ThreadSpawnException($"cannot start thread {id}: the module's memory is not shared, so only one thread may use it");
            if (id > 1 && _options.StackMode != StackMode.GuestPlaced && Layout.Tls.Unaccounted is { } tlsLike)
                throw new ThreadSpawnException($"cannot start thread {id}: the module has TLS-like state that Strand cannot give each thread a copy of ({tlsLike}); all threads would share it. Link with the TLS symbols kept (--export=__tls_base, __tls_size, __tls_align, __wasm_init_tls) or run one thread");

            var thread = new WasmThread(id, export, (Value[])args.Clone());
            var plan = PlaceThread(thread);
            var osThread = new Thread(() => Run(thread, plan), _options.ThreadStackSize)
            {
                Name = $"strand thread {id}",
                IsBackground = true,
            };
            try
            {
                osThread.Start();
            }
            catch
            {
                Unplace(thread, plan);
                throw;
            }
            _spawned = id;
            _threads.Add(thread);
            return thread;
        }
    }

    [ThreadStatic] private static ThreadGroup? t_running;

    /// <summary>
    /// The host grows the memory for a later thread's stack; that must not happen before the first instance has
    /// applied its data segments and run its start function, which must see the module's own memory. A spawn from
    /// outside the group therefore waits (bounded by the group's stop) for the first instance; a spawn from one of
    /// the group's own threads (wasi-threads) cannot come before it.
    /// </summary>
    private void WaitForFirstInstance()
    {
        if (t_running == this || _firstInstanceReady.IsSet) return;
        lock (_lock)
        {
            if (_threads.Count == 0) return;
        }
        try
        {
            _firstInstanceReady.Wait(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException("the thread group has been stopped; no new threads can join it");
        }
    }

    /// <summary>
    /// Where the stacks and TLS blocks of <paramref name="threads"/> threads would be placed, using the same
    /// rules as <see cref="Spawn"/> but running nothing (for <c>strand inspect --threads</c>). It grows this
    /// group's memory, so preview on a group made for the purpose and dispose it afterwards.
    /// </summary>
    internal IReadOnlyList<WasmThread> PreviewPlacement(int threads)
    {
        var planned = new List<WasmThread>();
        lock (_lock)
        {
            for (int id = 1; id <= threads; id++)
            {
                var thread = new WasmThread(id, "(preview)", []);
                PlaceThread(thread, preview: true);
                planned.Add(thread);
            }
        }
        return planned;
    }

    /// <summary>
    /// Where <paramref name="threads"/> threads' stacks and TLS blocks would go, by the same rules as <see cref="Spawn"/>,
    /// for a module that is only decoded (<see cref="ModuleDecoder.DecodeForAnalysis"/> will do): nothing is compiled,
    /// linked or run; the memory is a scratch one made to the module's limits. For <c>strand inspect --threads</c>.
    /// </summary>
    /// <returns>The planned threads and the scratch memory's size in pages after placement (null without a memory).</returns>
    /// <exception cref="ThreadSpawnException">The stacks do not fit in the memory's maximum.</exception>
    /// <exception cref="LinkException">The module imports a shared memory without a maximum.</exception>
    internal static (IReadOnlyList<WasmThread> Threads, uint? PagesAfter) PreviewPlacement(ModuleDefinition definition, int threads, ThreadGroupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        using var group = new ThreadGroup(definition, null, options);
        var planned = group.PreviewPlacement(threads);
        return (planned, group.Memory?.Pages);
    }

    private Module CompiledModule => _module ?? throw new InvalidOperationException("a placement preview group runs nothing");

    /// <summary>Releases threads spawned with <see cref="ThreadGroupOptions.StartTogether"/> (no effect otherwise).</summary>
    public void Start() => _startGate.Set();

    /// <summary>Stops every thread: running code traps with "interrupted" at its next loop iteration or call, waiting code at once.</summary>
    public void Cancel() => Stop(new OperationCanceledException("the thread group was cancelled"));

    /// <summary>
    /// Waits until every thread has finished (releasing <see cref="ThreadGroupOptions.StartTogether"/> threads first).
    /// Throws <see cref="FirstError"/> if a thread failed, or the cancellation / timeout exception if the group was stopped.
    /// </summary>
    public void WaitAll()
    {
        Start();
        foreach (var t in Threads) t.Join(Timeout.InfiniteTimeSpan);
        ThrowIfFailed();
    }

    /// <summary>Like <see cref="WaitAll()"/> but gives up after <paramref name="timeout"/>: returns false if some thread is still running.</summary>
    public bool WaitAll(TimeSpan timeout) => WaitAll(timeout, throwOnFailure: true);

    /// <summary>
    /// Like <see cref="WaitAll()"/>, and cancelling <paramref name="cancellationToken"/> ends the wait with
    /// <see cref="OperationCanceledException"/> (carrying that token). Only the wait is cancelled, as with
    /// <see cref="Task.Wait(CancellationToken)"/>: the threads keep running; to stop them, call <see cref="Cancel"/> or set
    /// <see cref="ThreadGroupOptions.CancellationToken"/>.
    /// </summary>
    public void WaitAll(CancellationToken cancellationToken)
    {
        Start();
        foreach (var t in Threads) t.Join(Timeout.InfiniteTimeSpan, cancellationToken);
        ThrowIfFailed();
    }

    /// <summary>
    /// Waits asynchronously until every thread spawned so far has finished (releasing <see cref="ThreadGroupOptions.StartTogether"/>
    /// threads first), without blocking a thread. The task fails as <see cref="WaitAll()"/> throws: with <see cref="FirstError"/>,
    /// or the group's cancellation or timeout exception; cancelling <paramref name="cancellationToken"/> cancels only the wait.
    /// </summary>
    public async Task WaitAllAsync(CancellationToken cancellationToken = default)
    {
        Start();
        await Task.WhenAll(Threads.Select(t => t.Completion)).WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfFailed();
    }

    private bool WaitAll(TimeSpan timeout, bool throwOnFailure)
    {
        Start();
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var t in Threads)
        {
            var remaining = TimeSpan.FromSeconds(Math.Max(0, (deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
            if (!t.Join(remaining)) return false;
        }
        if (throwOnFailure) ThrowIfFailed();
        return true;
    }

    private void ThrowIfFailed()
    {
        if (FirstError is { } error) throw error;
        if (StopReason is { } reason) throw reason;
    }

    private void CheckExport(string export, Value[] args)
    {
        var info = CompiledModule.Exports.FirstOrDefault(e => e.Name == export && e.Kind == ExternalKind.Function)
            ?? throw new ArgumentException($"the module has no exported function named \"{export}\"", nameof(export));
        var type = info.FunctionType!;
        if (args.Length != type.Params.Length)
            throw new ArgumentException($"\"{export}\" takes {type.Params.Length} argument(s) {type}, got {args.Length}", nameof(args));
        for (int i = 0; i < args.Length; i++)
            if (args[i].Type != type.Params[i])
                throw new ArgumentException($"argument {i + 1} of \"{export}\" must be {type.Params[i].ToWat()}, got {args[i].Type.ToWat()}", nameof(args));
    }

    // ------------------------------------------------------------------ stack and TLS placement

    /// <summary>Where a thread's stack and TLS go; decided on the spawning thread so reports are deterministic.</summary>
    private sealed record ThreadPlan(
        AddressRange? OwnedRegion,
        AddressRange? TlsRegion,
        StackRegistry.Entry? Registration,
        ShadowStackGuard? Guard)
    {
        /// <summary>Thread 1's TLS block is placed after its instantiation (set by <see cref="Run"/>).</summary>
        public bool DeferTls { get; init; }
        public AddressRange? DeferredTlsRegion { get; set; }
    }

    /// <param name="preview">Place everything now (inspect); otherwise thread 1's separate TLS block is placed after its
    /// instance is created (<see cref="Run"/>), so that nothing grows the memory before the first instantiation.</param>
    /// <param name="thread">The thread to place.</param>
    private ThreadPlan PlaceThread(WasmThread thread, bool preview = false)
    {
        if (Memory is null || _regions is null) return new ThreadPlan(null, null, null, null);
        AddressRange? owned = null, tlsRegion = null;
        bool deferTls = false;
        uint tlsAlign = StackAlignment;
        try
        {
            // In guest-placed mode the guest's own start routine places TLS as well as the stack (wasi-libc's
            // pthread_create allocates both; the linker's __wasm_init_memory sets up the main thread's): no host block.
            uint tlsBytes = _options.StackMode == StackMode.GuestPlaced ? 0 : TlsBlockBytes(out tlsAlign);
            if (StackPointerGlobal is not null && _options.StackMode == StackMode.GuestPlaced)
            {
                // Every thread starts on the linker's stack pointer and its guest code moves it; the first owns that stack.
                if (MainStack is { } main)
                {
                    thread.InitialStackPointer = (uint)main.End;
                    if (!_mainStackTaken)
                    {
                        thread.StackRange = _mainGuarded ?? main;
                        thread.RedZoneBand = Layout.StackPointer.RedZoneBand;
                    }
                    _mainStackTaken = true;
                }
            }
            else if (StackPointerGlobal is not null)
            {
                // Isolated: the group's first thread takes the linker's stack, unless a live thread of another group on the
                // memory has it (the claim is per memory, so two groups' first threads never share it).
                bool useMainStack = _options.StackMode == StackMode.Shared
                    || (!_mainStackTaken && MainStack is { } linkers && (preview || _registry!.TryClaimLinkerStack(linkers, thread)));
                if (useMainStack && MainStack is { } main)
                {
                    _mainStackTaken = true;
                    thread.StackRange = _mainGuarded ?? main;
                    thread.RedZoneBand = Layout.StackPointer.RedZoneBand;
                    thread.InitialStackPointer = (uint)main.End;
                }
                else
                {
                    if (Layout.StackPointer.Imported && _stackPointerImport is null)
                        throw new ThreadSpawnException($"cannot give thread {thread.Id} its own stack: the stack pointer is an imported global that every instance shares; define a separate global per thread in the linker");
                    // In 64 bits: a size near 4 GiB rounded up to 16 must not wrap to a zero-byte stack.
                    ulong size = AlignUp((ulong)(_options.StackSize ?? DefaultStackSize()), StackAlignment);
                    ulong reserve = TlsReserve(tlsBytes, tlsAlign);
                    owned = _regions.Allocate(reserve + ModuleLayout.RedZoneSize + size,
                        $"a {MemoryRegions.FormatSize(size)} shadow stack for thread {thread.Id}",
                        "relink with a larger --max-memory or lower --stack-size");
                    var region = owned.Value;
                    // The stack is exactly the configured size, at the top of the region; the TLS block, if any, at its
                    // bottom; between them at least RedZoneSize bytes stay unassigned (the red-zone band), so a leaf
                    // function at the bottom of the stack never reaches the TLS block or the region below.
                    var stack = StackIn(region, reserve, size);
                    ulong top = stack.End;
                    thread.StackRange = stack;
                    thread.RedZoneBand = new AddressRange(region.Start + reserve, stack.Start);
                    thread.InitialStackPointer = (uint)top;
                    if (tlsBytes > 0) thread.TlsBlock = TlsBlockIn(region, tlsBytes, tlsAlign);
                }
            }
            if (tlsBytes > 0 && thread.TlsBlock is null && !preview && thread.Id == 1)
            {
                deferTls = true; // placed in Run once the first instance exists
            }
            else if (tlsBytes > 0 && thread.TlsBlock is null && preview && thread.Id == 1
                     && Layout.Start?.StaticTlsBlocks.FirstOrDefault(b => b.Global == Layout.Tls.TlsBase!.GlobalIndex && b.Address != 0) is { } staticBlock)
            {
                // As Run will find: the start function gives the first instance wasm-ld's static main-thread block.
                thread.TlsBlock = new AddressRange(staticBlock.Address, (ulong)staticBlock.Address + tlsBytes);
            }
            else if (tlsBytes > 0 && thread.TlsBlock is null)
            {
                tlsRegion = _regions.Allocate(TlsReserve(tlsBytes, tlsAlign),
                    $"a {MemoryRegions.FormatSize(tlsBytes)} TLS block for thread {thread.Id}",
                    "relink with a larger --max-memory");
                thread.TlsBlock = TlsBlockIn(tlsRegion.Value, tlsBytes, tlsAlign);
            }

            StackRegistry.Entry? entry = null;
            ShadowStackGuard? guard = null;
            bool detect = _options.DetectCrossThreadStackPointers || _options.TrapOnStackCollision;
            if (StackPointerGlobal is { } index && (thread.StackRange is not null || detect))
            {
                // A stack the group assigned is known whole; one it did not assign is learned from the thread's writes,
                // from its initial stack pointer if the group placed it on a stack, else from its first write.
                uint? knownTop = thread.StackRange is not null ? thread.InitialStackPointer : null;
                entry = new StackRegistry.Entry(this, thread.Id, thread.StackRange, _options.StackMode == StackMode.Isolated, knownTop);
                foreach (var collision in _registry!.Register(entry, thread.InitialStackPointer ?? 0))
                    RecordCollision(collision);
                if (detect) thread.Registration = entry;
                bool ownsMainStack = MainStack is { } m && thread.StackRange is { } own && own.End == m.End && own.Start >= m.Start;
                string remedy = ownsMainStack
                    ? "relink with a larger stack (wasm-ld -z stack-size=N)"
                    : "raise --stack-size (ThreadGroupOptions.StackSize)";
                var bounds = _options.CheckStackBounds ? thread.StackRange : null;
                if (bounds is not null || detect)
                {
                    // Below the floor, what no stack may use: the red-zone band and, in a region the group made, the TLS block.
                    ulong reservedBelow = owned is { } r ? r.Start : thread.RedZoneBand?.Start ?? thread.StackRange?.Start ?? 0;
                    guard = new ShadowStackGuard(index, thread.Id, bounds, reservedBelow, Layout.StackPointer.LargestFrame, remedy,
                        detect ? _registry : null, entry, detect ? RecordCollision : null, _options.TrapOnStackCollision,
                        bounds is null ? null : _registry, entry, bounds is null ? null : _regions, MemoryIndex);
                }
            }
            return new ThreadPlan(owned, tlsRegion, entry, guard) { DeferTls = deferTls };
        }
        catch
        {
            _registry?.ReleaseLinkerStack(thread);
            if (owned is { } o) _regions.Release(o);
            if (tlsRegion is { } t) _regions.Release(t);
            throw;
        }
    }

    /// <summary>Adds a collision to <see cref="Collisions"/> and tells <see cref="ThreadGroupOptions.StackCollisionDetected"/>.</summary>
    private void RecordCollision(StackCollision collision)
    {
        lock (_lock) _collisions.Add(collision);
        _options.StackCollisionDetected?.Invoke(collision);
        Report(new Diagnostic(_options.TrapOnStackCollision ? DiagnosticLevel.Error : DiagnosticLevel.Warning, DiagnosticEvent.StackCollision, collision.Message)
            { ThreadId = collision.ThreadId, Collision = collision });
    }

    /// <summary>Hands a report to <see cref="ThreadGroupOptions.Diagnostics"/>; the handler's exceptions are dropped.</summary>
    private void Report(Diagnostic diagnostic)
    {
        if (_options.Diagnostics is not { } sink) return;
        try
        {
            sink(diagnostic);
        }
        catch (Exception)
        {
            // A logger must not change what the program does (ThreadGroupOptions.Diagnostics).
        }
    }

    /// <summary>
    /// The module's own stack size minus the red-zone band, so that a thread's region (band + stack) takes as many
    /// pages as the linker's stack; <see cref="FallbackStackSize"/> when the size cannot be inferred.
    /// </summary>
    private uint DefaultStackSize() =>
        MainStack is { Size: > ModuleLayout.RedZoneSize and <= uint.MaxValue } main
            ? (uint)(main.Size - ModuleLayout.RedZoneSize) & ~(StackAlignment - 1)
            : FallbackStackSize;

    /// <summary>Bytes of one TLS block (0 when the module has no thread-locals the host can relocate) and its alignment.</summary>
    private uint TlsBlockBytes(out uint alignment) => TlsBlockBytes(Layout, out alignment);

    internal static uint TlsBlockBytes(ModuleLayout layout, out uint alignment)
    {
        var tls = layout.Tls;
        alignment = Math.Max(1, tls.TlsAlign?.ConstValue ?? StackAlignment);
        if (!tls.HasThreadLocals || tls.TlsBase is not { IsMutableI32: true, Imported: false }) return 0;
        return tls.BlockSize is { } size and > 0 ? size : 0;
    }

    /// <summary>
    /// Bytes to reserve at the bottom of a region (whose start is page-aligned) for a TLS block of <paramref name="tlsBytes"/>
    /// aligned to <paramref name="tlsAlign"/> (<c>__tls_align</c>): the block rounded up to its alignment (at least 16),
    /// plus, for an alignment above a page, the slack needed to align the block inside the region. In 64 bits, so that a
    /// hostile <c>__tls_size</c> near 4 GiB cannot wrap to a small reservation.
    /// </summary>
    internal static ulong TlsReserve(uint tlsBytes, uint tlsAlign)
    {
        if (tlsBytes == 0) return 0;
        uint align = Math.Max(tlsAlign, StackAlignment);
        // Above a page: the block starts at most align - 64 KiB above the region's start.
        return align > Memory.PageSize
            ? align - (ulong)Memory.PageSize + AlignUp((ulong)tlsBytes, StackAlignment)
            : AlignUp((ulong)tlsBytes, align);
    }

    /// <summary>
    /// The stack in a region with <paramref name="reserve"/> bytes of TLS at its bottom: <paramref name="size"/> bytes at
    /// the top, 16-byte aligned. A stack pointer is an i32, so a region that ends at 4 GiB (the top page of a memory of
    /// 65536 pages) has its top 16 bytes below that (2^32 would be 0 as a stack pointer); if that leaves less than the
    /// red-zone band below the stack, the stack is 16 bytes smaller instead.
    /// </summary>
    internal static AddressRange StackIn(AddressRange region, ulong reserve, ulong size)
    {
        ulong top = Math.Min(region.End, (ulong)uint.MaxValue + 1 - StackAlignment) & ~(ulong)(StackAlignment - 1);
        ulong start = Math.Max(top - Math.Min(size, top), region.Start + reserve + ModuleLayout.RedZoneSize);
        return new AddressRange(Math.Min(start, top), top);
    }

    /// <summary>The TLS block at the bottom of <paramref name="region"/>, its start aligned to <paramref name="tlsAlign"/>.</summary>
    internal static AddressRange TlsBlockIn(AddressRange region, uint tlsBytes, uint tlsAlign)
    {
        ulong start = AlignUp(region.Start, Math.Max(tlsAlign, 1));
        return new AddressRange(start, start + tlsBytes);
    }

    private static ulong AlignUp(ulong value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    // ------------------------------------------------------------------ running

    private void Run(WasmThread thread, ThreadPlan plan)
    {
        bool first = thread.Id == 1;
        t_running = this;
        try
        {
            // Later instances must not run before the first one has initialised the memory.
            if (!first) _firstInstanceReady.Wait(_stop.Token);
            var options = new InstantiationOptions
            {
                Memory = Memory,
                MemoryIndex = MemoryIndex,
                SkipActiveData = !first,
                ActiveDataLimit = _dataLimit,
                Signal = _signal,
                GlobalSetHook = plan.Guard is { } guard ? guard.OnGlobalSet : null,
                BeforeStart = instance => PrepareThread(instance, thread),
            };
            var imports = _imports;
            if (_stackPointerImport is { } slot)
            {
                // This thread's own stack pointer (an imported one would otherwise be shared by every instance).
                imports = (Extern[])_imports.Clone();
                imports[slot] = new Global(ValType.I32, mutable: true, Value.I32((int)(thread.InitialStackPointer ?? 0)));
            }
            Instance instance;
            try
            {
                instance = Instance.Create(CompiledModule, imports, options);
                thread.Instance = instance;
                if (plan.DeferTls)
                {
                    // Thread 1's own TLS block, placed now that the first instance has initialised the memory as the
                    // module sees it (its start function ran with the linker's __tls_base, as without Strand), and
                    // before later threads are placed, so the placement stays deterministic.
                    uint bytes = TlsBlockBytes(out uint align);
                    uint tlsBase = Layout.Tls.TlsBase!.GlobalIndex;
                    uint current = (uint)instance.Globals[tlsBase].I32;
                    if (current != 0 && Layout.Start?.StaticTlsBlocks.Any(b => b.Global == tlsBase && b.Address == current) == true)
                    {
                        // The start function (wasm-ld 15 and later) gave this instance, the one that initialised the
                        // memory, the main thread's static TLS block: no other instance gets it, so thread 1 keeps it
                        // (and a memory already at its maximum does not stop the program).
                        thread.TlsBlock = new AddressRange(current, (ulong)current + bytes);
                    }
                    else
                    {
                        var region = _regions!.Allocate(TlsReserve(bytes, align), $"a {MemoryRegions.FormatSize(bytes)} TLS block for thread {thread.Id}", "relink with a larger --max-memory");
                        plan.DeferredTlsRegion = region;
                        thread.TlsBlock = TlsBlockIn(region, bytes, align);
                        InitializeTls(instance, thread.TlsBlock.Value);
                    }
                }
            }
            catch (Exception e) when (first && !(e is OperationCanceledException && _stop.IsCancellationRequested))
            {
                // Record the failure before releasing the spawns that wait for the first instance, so that they see
                // the group stopped instead of starting threads on a memory the first instance never initialised.
                thread.Error = e;
                Fail(thread.Id, e);
                throw;
            }
            finally
            {
                if (first) _firstInstanceReady.Set();
            }
            _startGate.Wait(_stop.Token);
            var function = instance.GetFunction(thread.Export);
            long started = Stopwatch.GetTimestamp();
            try
            {
                thread.Result = function.Invoke([.. thread.Arguments]);
            }
            finally
            {
                thread.Elapsed = Stopwatch.GetElapsedTime(started);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            thread.Error = new TrapException(TrapCode.Interrupted, "interrupted before the thread started: the group was stopped");
        }
        catch (Exception e)
        {
            thread.Error = e;
            Fail(thread.Id, e);
        }
        finally
        {
            t_running = null;
            try
            {
                Unplace(thread, plan);
            }
            catch (Exception e)
            {
                // Nothing may escape a guest thread (it would end the process): deliver it as the thread's failure.
                thread.Error ??= e;
                Fail(thread.Id, e);
            }
            if (_options.ForgetCompletedThreads)
                lock (_lock) _threads.Remove(thread);
            thread.Complete();
        }
    }

    /// <summary>Gives back what <see cref="PlaceThread"/> (and Run, for thread 1's deferred TLS block) took for a thread: its claim on the linker's stack, registration, stack region and TLS block.</summary>
    private void Unplace(WasmThread thread, ThreadPlan plan)
    {
        _registry?.ReleaseLinkerStack(thread);
        if (plan.Registration is { } entry) _registry!.Unregister(entry);
        if (plan.OwnedRegion is { } region) _regions!.Release(region);
        if (plan.TlsRegion is { } tls) _regions!.Release(tls);
        if (plan.DeferredTlsRegion is { } deferred) _regions!.Release(deferred);
    }

    /// <summary>Runs on the thread before the start function: its stack pointer and TLS block.</summary>
    private void PrepareThread(Instance instance, WasmThread thread)
    {
        if (StackPointerGlobal is { } sp && thread.InitialStackPointer is { } top)
            instance.Globals[sp].I32 = (int)top;
        if (thread.TlsBlock is { } block) InitializeTls(instance, block);
    }

    private void InitializeTls(Instance instance, AddressRange block) => InitializeTls(Layout, instance, Memory!, block);

    /// <summary>Clears <paramref name="block"/> and makes it the instance's TLS block (via __wasm_init_tls, else by setting __tls_base and copying the template).</summary>
    internal static void InitializeTls(ModuleLayout layout, Instance instance, Memory memory, AddressRange block)
    {
        var tls = layout.Tls;
        // A reused region may hold an earlier thread's values.
        memory.GetSpan((long)block.Start, (int)block.Size).Clear();
        if (tls.InitTls is { } init)
        {
            // __wasm_init_tls(block): sets __tls_base and copies .tdata (may be unexported: called by index).
            instance.GetFunction(init.FunctionIndex).Invoke(Value.I32((int)block.Start));
            return;
        }
        instance.Globals[tls.TlsBase!.GlobalIndex].I32 = (int)block.Start;
        if (tls.TemplateSegment is { } segment)
        {
            var bytes = instance.Module.Definition.Data[segment].GetBytes(instance.Module.Definition);
            memory.WriteBytes((long)block.Start, bytes[..Math.Min(bytes.Length, (int)block.Size)]);
        }
    }

    // ------------------------------------------------------------------ stopping

    private void Fail(int threadId, Exception error)
    {
        // Threads interrupted because the group is already stopping are consequences, not causes.
        if (error is TrapException { Code: TrapCode.Interrupted } && (_signal.IsRequested || StopReason is not null)) return;
        Report(new Diagnostic(DiagnosticLevel.Error, DiagnosticEvent.ThreadFailed, $"thread {threadId} failed: {error.Message}")
            { ThreadId = threadId, Exception = error });
        if (Interlocked.CompareExchange(ref _firstError, new ThreadGroupException(threadId, error), null) is null)
            Interrupt();
    }

    private void Stop(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, reason, null) is not null) return;
        Report(new Diagnostic(reason is TimeoutException ? DiagnosticLevel.Warning : DiagnosticLevel.Information, DiagnosticEvent.ThreadGroupStopped,
            $"the thread group was stopped: {reason.Message}") { Exception = reason });
        Interrupt();
    }

    private void Interrupt()
    {
        _signal.Request();
        // Threads of this group can only wait on its memory (memory 0): wake them there.
        Memory?.ParkingLot.Interrupt(_signal);
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Threads spawned so far: the next thread's id is this + 1 (also when completed threads are forgotten).</summary>
    internal int SpawnedCount
    {
        get { lock (_lock) return _spawned; }
    }

    /// <summary>Cancelled when the group stops: on the first failure, a cancellation, the timeout or <see cref="Cancel"/>.</summary>
    internal CancellationToken Stopping => _stop.Token;

    /// <summary>How long <see cref="Dispose()"/> waits, in all, for running threads to notice the stop.</summary>
    public static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Stops running threads (if any), waits for them at most <see cref="DisposeWait"/> in all and releases the group's
    /// timer and registrations. Guest code stops within one loop iteration or call; a thread blocked inside a host
    /// function (a read on an idle pipe) cannot be stopped and is abandoned: it is a background thread, and its guest
    /// code traps with "interrupted" at its next check if the host call ever returns.
    /// </summary>
    public void Dispose() => Dispose(DisposeWait);

    /// <summary>As <see cref="Dispose()"/>, waiting at most <paramref name="wait"/> for the threads.</summary>
    internal void Dispose(TimeSpan wait)
    {
        if (_disposed) return;
        _disposed = true;
        if (Threads.Any(t => !t.IsCompleted))
        {
            Stop(new OperationCanceledException("the thread group was disposed while threads were running"));
            WaitAll(wait, throwOnFailure: false);
        }
        _timer?.Dispose();
        _tokenRegistration.Dispose();
    }

    private static Memory? CreateOrFindMemory(ModuleDefinition def, Linker? linker, uint index)
    {
        if (index < def.ImportedMemoryCount)
        {
            var import = def.Imports.Where(i => i.Kind == ExternalKind.Memory).ElementAt((int)index);
            if (linker is not null && linker.TryGet(import.Module, import.Name, out var provided) && provided is Memory given)
                return given;
            var limits = import.Memory!.Limits;
            if (limits.Shared && limits.Max is null)
                throw new LinkException($"the memory import {import.Module}.{import.Name} is shared but has no maximum");
            return new Memory(import.Memory);
        }
        return index < def.TotalMemoryCount ? new Memory(def.Memories[(int)(index - (uint)def.ImportedMemoryCount)]) : null;
    }
}
