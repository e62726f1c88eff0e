using Strand.Binary;
using Strand.Runtime;
using Strand.Threads;

namespace Strand.Wasi;

/// <summary>
/// The host side of the wasi-threads proposal: the import <c>wasi.thread-spawn (i32) -> i32</c>.
/// Each call starts a new instance of the same module, on a new OS thread of a <see cref="ThreadGroup"/>
/// sharing the program's memory, and calls its export <c>wasi_thread_start(tid, start_arg)</c>.
/// </summary>
/// <remarks>
/// <para>Thread ids are 1, 2, 3, ... in spawn order (the main thread, which runs <c>_start</c>, has none),
/// always in [1, 2^29). <c>thread-spawn</c> returns -1 when no thread can be started: ids are exhausted,
/// the program is ending, or the host cannot create the thread.</para>
/// <para>The guest places its own stacks (wasi-libc's pthread_create allocates them and its
/// <c>wasi_thread_start</c> sets <c>__stack_pointer</c>), so the group runs in <see cref="StackMode.GuestPlaced"/>
/// without bounds checks: every instance starts with the linker's stack pointer and the guest moves it.
/// <see cref="WasiThreadsOptions.DetectStackCollisions"/> learns each thread's stack from those writes and reports
/// a thread whose stack pointer enters another live thread's stack.</para>
/// <para>In the group (and in its collision reports) thread 1 runs <c>_start</c>, and the thread that
/// <c>thread-spawn</c> returned <c>tid</c> for is thread <c>tid + 1</c>.</para>
/// <para><c>proc_exit</c> or a trap on any thread ends every thread; <see cref="WasiHost.RunCommand"/> reports it once.</para>
/// </remarks>
public sealed class WasiThreads
{
    /// <summary>The import module of wasi-threads' <c>thread-spawn</c>.</summary>
    public const string ModuleName = "wasi";
    /// <summary>The import name of the spawn function: <c>thread-spawn</c>.</summary>
    public const string SpawnFunctionName = "thread-spawn";
    /// <summary>The export each new thread starts at: <c>wasi_thread_start(tid, arg)</c>.</summary>
    public const string StartExportName = "wasi_thread_start";

    /// <summary>The largest thread id the proposal allows (ids are in [1, 2^29)).</summary>
    public const int MaxThreadId = (1 << 29) - 1;

    private readonly object _spawnLock = new();
    private ThreadGroup? _group;
    private int _lastThreadId;

    /// <summary>True when <paramref name="module"/> imports <c>wasi.thread-spawn</c>.</summary>
    public static bool IsImportedBy(Module module) =>
        module.Definition.Imports.Any(i => i.Kind == ExternalKind.Function && i.Module == ModuleName && i.Name == SpawnFunctionName);

    /// <summary>Defines <c>wasi.thread-spawn</c> in <paramref name="linker"/>. Spawning works once a group is attached.</summary>
    public void Define(Linker linker)
    {
        ArgumentNullException.ThrowIfNull(linker);
        linker.DefineFunction(ModuleName, SpawnFunctionName, new Func<int, int>(Spawn));
    }

    /// <summary>The group new threads join: it runs the module whose instances call <c>thread-spawn</c>.</summary>
    public void Attach(ThreadGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (Interlocked.CompareExchange(ref _group, group, null) is not null)
            throw new InvalidOperationException("a thread group is already attached");
    }

    /// <summary>
    /// <c>thread-spawn(start_arg)</c>: starts <c>wasi_thread_start(tid, start_arg)</c> on a new thread and
    /// returns its id, or -1 if no thread could be started.
    /// </summary>
    public int Spawn(int startArgument)
    {
        var group = Volatile.Read(ref _group);
        if (group is null) return -1;
        // One spawn at a time, so that tids follow the group's thread ids (tid + 1: the group's thread 1 is _start).
        lock (_spawnLock)
        {
            // The group's next thread is SpawnedCount + 1, and its tid is one less (the group's thread 1 is _start).
            int id = Math.Max(_lastThreadId + 1, group.SpawnedCount);
            if (id > MaxThreadId) return -1; // never wrap around into reused ids
            try
            {
                group.Spawn(StartExportName, Value.I32(id), Value.I32(startArgument));
            }
            catch (Exception e) when (e is ThreadSpawnException or InvalidOperationException or OutOfMemoryException or ThreadStartException)
            {
                return -1; // the group is stopping, or the host has no room for another thread
            }
            _lastThreadId = id;
            return id;
        }
    }

    /// <summary>
    /// Runs a command that imports <c>wasi.thread-spawn</c>: <c>_start</c> on the group's first thread, every
    /// spawned thread on its own. Ends when <c>_start</c> returns (exit code 0; the other threads are stopped),
    /// when any thread calls <c>proc_exit</c> (its code), or when any thread traps (rethrown as a
    /// <see cref="TrapException"/> with the trap's code and message; the inner exception names the thread).
    /// </summary>
    internal static int RunCommand(Module module, WasiHost host, Linker linker, WasiThreadsOptions? options = null)
    {
        options ??= new WasiThreadsOptions();
        var export = module.Exports.FirstOrDefault(e => e.Name == StartExportName && e.Kind == ExternalKind.Function)
            ?? throw new LinkException($"the module imports {ModuleName}.{SpawnFunctionName} but does not export \"{StartExportName}\"");
        var startType = export.FunctionType!;
        if (startType.Params is not [ValType.I32, ValType.I32] || startType.Results.Length != 0)
            throw new LinkException($"\"{StartExportName}\" must have type (i32, i32) -> (), not {startType}");
        WasiHost.CheckStartExport(module);

        var threads = new WasiThreads();
        threads.Define(linker);
        var memoryImport = module.Definition.Imports.FirstOrDefault(i => i.Kind == ExternalKind.Memory);
        bool memoryFromLinker = memoryImport is not null && linker.TryGet(memoryImport.Module, memoryImport.Name, out var given) && given is Memory;
        var group = new ThreadGroup(module, new ThreadGroupOptions
        {
            Linker = linker,
            StackMode = StackMode.GuestPlaced,
            CheckStackBounds = false,
            DetectCrossThreadStackPointers = options.DetectStackCollisions,
            TrapOnStackCollision = options.TrapOnStackCollision,
            StackCollisionDetected = options.StackCollisionDetected,
            Diagnostics = options.Diagnostics,
            CancellationToken = options.CancellationToken,
            // A long-running program may spawn millions of short threads: keep only the live ones.
            ForgetCompletedThreads = true,
        });
        try
        {
            if (group.Memory is not { Shared: true } memory)
                throw new LinkException($"a module that imports {ModuleName}.{SpawnFunctionName} needs a shared memory");
            host.BindMemory(memory);
            // Strand's own blocking host calls (poll_oneoff's sleep) wake up when the program ends.
            host.Stopping = group.Stopping;
            threads.Attach(group);

            var main = group.Spawn("_start");
            // The program ends when _start returns, or at once when any thread exits, traps or the run is cancelled,
            // even if _start itself is blocked in a host call (then it is abandoned, not waited for).
            WaitHandle.WaitAny([main.CompletedHandle, group.Stopping.WaitHandle]);
            if (group.FirstError is { } failure)
            {
                if (WasiHost.FindExit(failure) is { } exit) return exit.ExitCode;
                if (failure.InnerException is TrapException trap)
                    throw new TrapException(trap.Code, trap.Message, failure);
                throw new TrapException(TrapCode.HostError, failure.Message, failure);
            }
            if (group.StopReason is { } reason)
            {
                // Cancelled from outside (the embedder's token): reported as a single-threaded program reports it.
                throw new TrapException(TrapCode.Interrupted, "interrupted: " + reason.Message, reason);
            }
            group.Cancel(); // _start returned: the program is over, whatever the other threads are doing
            return 0;
        }
        finally
        {
            // Threads running guest code stop within one loop iteration or call; ones blocked in a host call are abandoned.
            group.Dispose(AbandonAfter);
            // The memory the group made for the program is released now (not when a GC finds it): an abandoned
            // thread that comes back to it traps at its next access.
            if (!memoryFromLinker) group.Memory?.Dispose();
        }
    }

    /// <summary>How long the end of a program waits for its other threads to stop before abandoning them.</summary>
    private static readonly TimeSpan AbandonAfter = TimeSpan.FromMilliseconds(10);
}

/// <summary>Diagnostics for a program run with <see cref="WasiThreads"/> (<see cref="WasiHost.RunCommand"/>).</summary>
public sealed class WasiThreadsOptions
{
    /// <summary>
    /// Learns each thread's stack from its <c>__stack_pointer</c> writes (its top is the first value its start routine
    /// writes, the linker's value for <c>_start</c>'s thread; it extends down to the lowest value since) and reports a
    /// thread whose stack pointer enters another live thread's stack, or whose new stack top lands on one (a guest
    /// allocator handing two threads the same stack). Each pair of threads is reported once, to
    /// <see cref="StackCollisionDetected"/>. Thread ids are the group's: 1 is <c>_start</c>, tid + 1 the spawned thread.
    /// Costs a host call and a scan of the live threads per stack-pointer write (see
    /// <see cref="ThreadGroupOptions.DetectCrossThreadStackPointers"/>). Off by default.
    /// </summary>
    public bool DetectStackCollisions { get; init; }

    /// <summary>Implies <see cref="DetectStackCollisions"/>; a collision traps (<see cref="TrapCode.ShadowStackCollision"/>), which ends the program.</summary>
    public bool TrapOnStackCollision { get; init; }

    /// <summary>Called for every collision, on the guest thread that caused it (keep it short).</summary>
    public Action<StackCollision>? StackCollisionDetected { get; init; }

    /// <summary>Receives the program's thread group's <see cref="Diagnostic"/>s (see <see cref="ThreadGroupOptions.Diagnostics"/>).</summary>
    public Action<Diagnostic>? Diagnostics { get; init; }

    /// <summary>Stops every thread (they trap with "interrupted") when cancelled; set by <see cref="WasiHost.RunCommand"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}
