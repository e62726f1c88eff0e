using System.Runtime.CompilerServices;

namespace Strand.Threads;

/// <summary>
/// An instance created outside a <see cref="ThreadGroup"/> (<see cref="Linker.Instantiate"/>) on a shared memory that a
/// group's live threads use would start with the linker's stack pointer, on the stack of the group's first thread, and
/// corrupt its frames silently. Before its start function runs, such an instance gets a stack of its own (and a TLS
/// block, if the module has thread-locals), placed like an isolated thread's: a host-grown region with the red-zone
/// band below the stack. The region goes back to the memory's free list when the instance is garbage-collected.
/// Nothing is done when no group ever used the memory or when the module has no stack pointer the evidence strongly
/// supports. An instance whose linker stack no live thread uses keeps it, as the spec makes it, and claims it while it lives
/// (<see cref="StackRegistry.TryClaimLinkerStack"/>): a group's first thread started meanwhile, or a second instance
/// created outside a group, then gets a stack of its own. <see cref="Placed"/> reports each placement.
/// </summary>
public static class ForeignInstances
{
    private static readonly ConditionalWeakTable<Module, ModuleLayout> Layouts = new();
    private static readonly ConditionalWeakTable<Instance, Lease> Leases = new();

    /// <summary>The layout of <paramref name="module"/>, analysed once per module (shared with <see cref="EntryStackPointer"/>).</summary>
    internal static ModuleLayout LayoutOf(Module module) => Layouts.GetValue(module, m => ModuleLayout.Analyze(m.Definition));

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

    /// <summary>
    /// Holds an instance's claim on the linker's stack (<see cref="StackRegistry.TryClaimLinkerStack"/>) while the instance
    /// lives. The registry holds only the token, so this object (referenced by the instance alone) can be finalized.
    /// </summary>
    private sealed class LinkerStackClaim(StackRegistry registry)
    {
        public object Token { get; } = new();
        ~LinkerStackClaim() => registry.ReleaseLinkerStack(Token);
    }

    private static readonly ConditionalWeakTable<Instance, LinkerStackClaim> Claims = new();

    internal static void Prepare(Instance instance)
    {
        // Only a shared memory a group used matters; the layout (which memory holds the stack) is computed only then.
        bool used = false;
        foreach (var m in instance.Memories)
            if (m.Shared && MemoryRegions.Existing(m) is not null) used = true;
        if (!used) return;
        var layout = LayoutOf(instance.Module);
        if (layout.StackMemoryIndex is not { } index || index >= (uint)instance.Memories.Length) return;
        var memory = instance.Memories[index];
        if (!memory.Shared) return;
        if (MemoryRegions.Existing(memory) is not { } regions) return;
        if (StackRegistry.Existing(memory) is not { } registry) return;
        var sp = layout.StackPointer;
        if (sp is not { Evidence: StackEvidence.Strong, IsMutableI32: true, Imported: false, GlobalIndex: { } global, InitialValue: { } top }) return;
        bool onLiveStack = registry.Live.Any(e => e.StartStack is { } s && top > s.Start && top <= s.End);
        bool sharedWithOutsideInstance = false;
        if (!onLiveStack)
        {
            // The linker's stack is free: the instance keeps it, as the spec makes it, and claims it while it lives, so
            // that a group's first thread started later gets a stack of its own instead of the same one.
            var claim = new LinkerStackClaim(registry);
            if (registry.TryClaimLinkerStack(sp.Range ?? new AddressRange(0, top), claim.Token))
            {
                Claims.AddOrUpdate(instance, claim);
                return;
            }
            GC.SuppressFinalize(claim);
            // Claimed by another instance created outside a group: this one gets a stack of its own if one fits. If
            // none does, it keeps the linker's stack as the spec makes it (instances used one after another on one
            // host thread share it harmlessly; no thread of a group is on it).
            sharedWithOutsideInstance = true;
        }

        ulong size = sp.Range is { Size: > ModuleLayout.RedZoneSize } range ? (range.Size - ModuleLayout.RedZoneSize) & ~15UL : ThreadGroup.FallbackStackSize;
        uint tlsBytes = ThreadGroup.TlsBlockBytes(layout, out uint tlsAlign);
        ulong reserve = ThreadGroup.TlsReserve(tlsBytes, tlsAlign);
        AddressRange region;
        try
        {
            region = regions.Allocate(reserve + ModuleLayout.RedZoneSize + size,
                $"a {MemoryRegions.FormatSize(size)} shadow stack for an instance created outside its thread group",
                "create the instance through the group (ThreadGroup.Spawn) or relink with a larger --max-memory");
        }
        catch (ThreadSpawnException) when (sharedWithOutsideInstance)
        {
            return;
        }
        var stack = ThreadGroup.StackIn(region, reserve, size);
        ulong stackTop = stack.End;
        Leases.AddOrUpdate(instance, new Lease(regions, region, stack));
        instance.Globals[global].I32 = (int)stackTop;
        if (tlsBytes > 0) ThreadGroup.InitializeTls(layout, instance, memory, ThreadGroup.TlsBlockIn(region, tlsBytes, tlsAlign));
        Placed?.Invoke(instance, stack);
    }
}
