using System.Runtime.CompilerServices;

namespace Strand.Threads;

/// <summary>
/// An instance created outside a <see cref="ThreadGroup"/> (<see cref="Linker.Instantiate"/>) on a shared memory that a
/// group's live threads use would start with the linker's stack pointer, on the stack of the group's first thread, and
/// corrupt its frames silently. Before its start function runs, such an instance gets a stack of its own (and a TLS
/// block, if the module has thread-locals), placed like an isolated thread's: a host-grown region with the red-zone
/// band below the stack. The region goes back to the memory's free list when the instance is garbage-collected.
/// Nothing is done when no group ever used the memory, when none of its threads is live, or when the module has no
/// stack pointer the evidence strongly supports. <see cref="Placed"/> reports each placement.
/// </summary>
public static class ForeignInstances
{
    private static readonly ConditionalWeakTable<Module, ModuleLayout> Layouts = new();
    private static readonly ConditionalWeakTable<Instance, Lease> Leases = new();

    /// <summary>
    /// Called (on the instantiating thread) for each instance given a stack of its own: the instance and its stack.
    /// For diagnostics and tests; an exception from the handler fails the instantiation.
    /// </summary>
    public static event Action<Instance, AddressRange>? Placed;

    /// <summary>The stack a foreign instance was given, if it was given one.</summary>
    public static AddressRange? StackOf(Instance instance) => Leases.TryGetValue(instance, out var lease) ? lease.Stack : null;

    /// <summary>Releases an instance's region when the instance is collected.</summary>
    private sealed class Lease(MemoryRegions regions, AddressRange region, AddressRange stack)
    {
        public AddressRange Stack { get; } = stack;
        ~Lease() => regions.Release(region);
    }

    internal static void Prepare(Instance instance, Memory memory)
    {
        if (MemoryRegions.Existing(memory) is not { } regions) return;
        if (StackRegistry.Existing(memory) is not { } registry || registry.Live.Count == 0) return;
        var layout = Layouts.GetValue(instance.Module, m => ModuleLayout.Analyze(m.Definition));
        var sp = layout.StackPointer;
        if (sp is not { Evidence: StackEvidence.Strong, IsMutableI32: true, Imported: false, GlobalIndex: { } global, InitialValue: { } top }) return;
        // Only when the linker's stack pointer lies on a live thread's stack (else the instance harms no one).
        bool onLiveStack = registry.Live.Any(e => e.StartStack is { } s && top > s.Start && top <= s.End);
        if (!onLiveStack) return;

        ulong size = sp.Range is { Size: > ModuleLayout.RedZoneSize } range ? (range.Size - ModuleLayout.RedZoneSize) & ~15UL : ThreadGroup.FallbackStackSize;
        uint tlsBytes = ThreadGroup.TlsBlockBytes(layout, out uint tlsAlign);
        ulong reserve = ThreadGroup.TlsReserve(tlsBytes, tlsAlign);
        var region = regions.Allocate(reserve + ModuleLayout.RedZoneSize + size,
            $"a {MemoryRegions.FormatSize(size)} shadow stack for an instance created outside its thread group",
            "create the instance through the group (ThreadGroup.Spawn) or relink with a larger --max-memory");
        ulong stackTop = region.End & ~15UL;
        var stack = new AddressRange(stackTop - size, stackTop);
        Leases.AddOrUpdate(instance, new Lease(regions, region, stack));
        instance.Globals[global].I32 = (int)stackTop;
        if (tlsBytes > 0) ThreadGroup.InitializeTls(layout, instance, memory, ThreadGroup.TlsBlockIn(region, tlsBytes, tlsAlign));
        Placed?.Invoke(instance, stack);
    }
}
