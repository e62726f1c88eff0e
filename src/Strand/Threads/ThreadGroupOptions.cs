namespace Strand.Threads;

/// <summary>How the threads of a <see cref="ThreadGroup"/> get their shadow stacks.</summary>
public enum StackMode
{
    /// <summary>
    /// Thread 1 keeps the linker's stack; every further thread gets a private region of memory that the host
    /// grows for it, and its stack pointer global is set to the region's top before any of its guest code runs.
    /// </summary>
    Isolated,

    /// <summary>
    /// Every thread keeps the linker's constant stack pointer, as a host that knows nothing about shadow stacks
    /// would do (the seed's "unsafe run"). Their frames overlap; the group reports each collision in
    /// <see cref="ThreadGroup.Collisions"/>. For demonstrations and diagnosis only.
    /// </summary>
    Shared,

    /// <summary>
    /// The guest places its own stacks: every thread starts with the linker's stack pointer and the guest's start
    /// routine moves it (wasi-threads: wasi-libc allocates each thread's stack and its <c>wasi_thread_start</c>
    /// sets <c>__stack_pointer</c>). Thread 1 owns the linker's stack; the stacks of later threads are unknown to
    /// the group (<see cref="WasmThread.StackRange"/> is null), so no collision is reported when they start and
    /// bounds are checked for thread 1 only. <see cref="ThreadGroupOptions.DetectCrossThreadStackPointers"/>
    /// learns each thread's stack from its stack-pointer writes.
    /// </summary>
    GuestPlaced,
}

/// <summary>Settings of a <see cref="ThreadGroup"/>. Every property has a usable default.</summary>
public sealed class ThreadGroupOptions
{
    /// <summary>The default OS stack of a guest thread: deep wasm recursion reaches the engine's guard long before it.</summary>
    public const int DefaultThreadStackSize = 64 * 1024 * 1024;

    /// <summary>Isolated (default): a private shadow stack per thread; Shared: every thread keeps the linker's (demonstrates collisions); GuestPlaced: the guest places stacks itself (wasi-threads).</summary>
    public StackMode StackMode { get; init; } = StackMode.Isolated;

    /// <summary>
    /// Bytes of shadow stack for each thread after the first (isolated mode). Null: the size of the module's
    /// own stack as inferred by <see cref="ModuleLayout"/> minus the 128-byte red-zone band kept free below every
    /// stack (so the thread's region takes as many pages as the linker's stack). Rounded up to a multiple of 16.
    /// Zero is rejected (<see cref="ArgumentOutOfRangeException"/> from the group's constructor); a size that does not
    /// fit in the memory's maximum makes <see cref="ThreadGroup.Spawn"/> throw <see cref="ThreadSpawnException"/>.
    /// </summary>
    public uint? StackSize { get; init; }

    /// <summary>Provides the module's other imports (and, if it defines one, the memory import). Not modified.</summary>
    public Linker? Linker { get; init; }

    /// <summary>Cancelling stops every thread of the group: running code traps at its next loop or call, waiting code at once.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// A deadline for the whole group, counted from its creation; when it passes, the group is cancelled. Null or
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>: none. A negative value or one above 49.7 days (what
    /// <see cref="System.Threading.Timer"/> accepts) is refused with <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Drop each thread from <see cref="ThreadGroup.Threads"/> when it finishes, so that the group's memory use is
    /// bounded by its live threads (its instance, its <see cref="WasmThread"/> record and its OS thread become garbage).
    /// For long-running programs that spawn many short threads (wasi-threads sets it). Off by default: every thread,
    /// with its result, stays listed. Thread ids keep counting up either way.
    /// </summary>
    public bool ForgetCompletedThreads { get; init; }

    /// <summary>OS stack size of each guest thread, in bytes.</summary>
    public int ThreadStackSize { get; init; } = DefaultThreadStackSize;

    /// <summary>
    /// Check every write of the stack-pointer global against the thread's own stack bounds and trap with
    /// <see cref="Runtime.TrapCode.ShadowStackOverflow"/> when it leaves them. On by default.
    /// </summary>
    public bool CheckStackBounds { get; init; } = true;

    /// <summary>
    /// Diagnostic: check every write of the stack-pointer global against the stacks of the other live threads on
    /// the memory (of every group using it) and report a write that enters one in <see cref="ThreadGroup.Collisions"/>
    /// and <see cref="StackCollisionDetected"/>, each pair of threads once; with <see cref="TrapOnStackCollision"/>
    /// the write traps instead of happening. A stack the group assigned (isolated mode) is protected whole. A stack
    /// it did not assign (shared and guest-placed modes) is learned from the thread's writes: its top is the
    /// thread's initial stack pointer (thread 1 in guest-placed mode, every thread in shared mode) or else the first
    /// value the thread writes (a guest start routine setting up its stack), and its extent runs down to the lowest
    /// value written since; a thread's first write that lands inside another stack or on its top (two threads given
    /// the same stack) is a collision too. Off by default, and then costs nothing. When on, every stack-pointer
    /// write (LLVM writes it in the prologue and epilogue of each function with a frame) costs a delegate call and
    /// a lock-free scan of the live threads, O(threads); the lock is taken only when a collision is found.
    /// </summary>
    public bool DetectCrossThreadStackPointers { get; init; }

    /// <summary>
    /// Turns on <see cref="DetectCrossThreadStackPointers"/>, and a stack-pointer write that collides traps with
    /// <see cref="Runtime.TrapCode.ShadowStackCollision"/> (<c>stack collision: thread 3's __stack_pointer 0x00011f00
    /// entered thread 2's live stack [0x00011000, 0x00012000)</c>) before the store, which stops the group. Off by
    /// default: the collision is only reported and the thread continues.
    /// </summary>
    public bool TrapOnStackCollision { get; init; }

    /// <summary>
    /// Called for every collision as it is found (also those found when a thread starts), after it is added to
    /// <see cref="ThreadGroup.Collisions"/>. Write-time collisions are reported on the colliding guest thread, inside
    /// its stack-pointer write: keep the handler short; an exception from it fails that thread.
    /// </summary>
    public Action<StackCollision>? StackCollisionDetected { get; init; }

    /// <summary>
    /// Receives the group's <see cref="Diagnostic"/>s, for a logger: <see cref="DiagnosticEvent.StackCollision"/> (as
    /// <see cref="StackCollisionDetected"/>, on the same thread), <see cref="DiagnosticEvent.ThreadFailed"/> for every thread
    /// that fails (not only the first, which <see cref="ThreadGroup.WaitAll()"/> throws; threads interrupted because the group
    /// was already stopping are not failures) and <see cref="DiagnosticEvent.ThreadGroupStopped"/> when it is cancelled, times
    /// out or is disposed while running. Called on guest threads and timer threads, concurrently: it must be thread-safe, and an
    /// exception from it is ignored (a logger must not change what the program does).
    /// </summary>
    public Action<Diagnostic>? Diagnostics { get; init; }

    /// <summary>
    /// When true, spawned threads instantiate their module and then wait until <see cref="ThreadGroup.Start"/>
    /// (or <see cref="ThreadGroup.WaitAll()"/>) releases them all at once, so their guest code overlaps in time.
    /// </summary>
    public bool StartTogether { get; init; }
}
