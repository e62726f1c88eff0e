namespace Strand.Runtime;

/// <summary>
/// Internal knobs of instantiation used by the threads layer, which creates several instances of one module
/// on one shared memory. The defaults reproduce the spec's instantiation exactly.
/// </summary>
internal sealed class InstantiationOptions
{
    /// <summary>
    /// Memory <see cref="MemoryIndex"/> of the new instance. For an imported memory it replaces the linker's definition; for a memory the
    /// module defines, it is used instead of allocating a new one (a thread group's later instances share the first
    /// instance's memory).
    /// </summary>
    public Memory? Memory { get; init; }
    /// <summary>The memory index <see cref="Memory"/> stands for (multi-memory: the memory the threads share need not be memory 0).</summary>
    public uint MemoryIndex { get; init; }

    /// <summary>
    /// Do not apply active data segments (they are dropped as if applied): the memory was already initialised by an
    /// earlier instance, and applying them again would overwrite what the running threads wrote since.
    /// </summary>
    public bool SkipActiveData { get; init; }

    /// <summary>
    /// Active data segments must end at or below this many bytes, else instantiation traps "out of bounds memory
    /// access" as it would on the module's own memory: the threads layer passes the memory's size before the host
    /// grew it for thread stacks, so a segment out of bounds for the module is never written into those pages.
    /// </summary>
    public ulong? ActiveDataLimit { get; init; }

    /// <summary>The interrupt signal compiled code polls (shared by all instances of a thread group).</summary>
    public InterruptSignal? Signal { get; init; }

    /// <summary>Installed before any guest code of the instance runs (shadow-stack checks).</summary>
    public GlobalSetHook? GlobalSetHook { get; init; }

    /// <summary>
    /// Called after globals, tables, exports and segments are set up and before the start function runs: the
    /// threads layer sets the stack pointer and TLS of the thread here, so that the start function already runs
    /// on the thread's own stack.
    /// </summary>
    public Action<Instance>? BeforeStart { get; init; }
}
