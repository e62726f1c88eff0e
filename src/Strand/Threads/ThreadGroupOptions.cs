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
}

/// <summary>Settings of a <see cref="ThreadGroup"/>. Every property has a usable default.</summary>
public sealed class ThreadGroupOptions
{
    /// <summary>The default OS stack of a guest thread: deep wasm recursion reaches the engine's guard long before it.</summary>
    public const int DefaultThreadStackSize = 64 * 1024 * 1024;

    public StackMode StackMode { get; init; } = StackMode.Isolated;

    /// <summary>
    /// Bytes of shadow stack for each thread after the first (isolated mode). Null: the size of the module's
    /// own stack as inferred by <see cref="ModuleLayout"/>. Rounded up to a multiple of 16.
    /// </summary>
    public uint? StackSize { get; init; }

    /// <summary>Provides the module's other imports (and, if it defines one, the memory import). Not modified.</summary>
    public Linker? Linker { get; init; }

    /// <summary>Cancelling stops every thread of the group: running code traps at its next loop or call, waiting code at once.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>A deadline for the whole group, counted from its creation; when it passes, the group is cancelled.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>OS stack size of each guest thread, in bytes.</summary>
    public int ThreadStackSize { get; init; } = DefaultThreadStackSize;

    /// <summary>
    /// Check every write of the stack-pointer global against the thread's own stack bounds and trap with
    /// <see cref="Runtime.TrapCode.ShadowStackOverflow"/> when it leaves them. On by default.
    /// </summary>
    public bool CheckStackBounds { get; init; } = true;

    /// <summary>
    /// Diagnostic: on every write of the stack-pointer global, trap when the new value lies inside another
    /// live thread's stack (useful for modules that place their stacks themselves, e.g. wasi-threads builds,
    /// where the bounds of a thread's stack are the guest's business). Off by default.
    /// </summary>
    public bool DetectCrossThreadStackPointers { get; init; }

    /// <summary>
    /// When true, spawned threads instantiate their module and then wait until <see cref="ThreadGroup.Start"/>
    /// (or <see cref="ThreadGroup.WaitAll()"/>) releases them all at once, so their guest code overlaps in time.
    /// </summary>
    public bool StartTogether { get; init; }
}
