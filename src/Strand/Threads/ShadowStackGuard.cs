using Strand.Runtime;

namespace Strand.Threads;

/// <summary>
/// Installed as an instance's global-set hook: checks every write of the stack-pointer global of one thread before
/// the store happens. It traps with <see cref="TrapCode.ShadowStackOverflow"/> only on what is certainly an overflow
/// out of the thread's own stack [floor, top] (top = the empty stack): a thread whose stack pointer is on its own
/// stack writes a value
/// <list type="bullet">
/// <item>below the floor but inside the memory Strand keeps unassigned below the stack (the red-zone band and, for a
/// stack Strand placed, the thread's own TLS block), strictly above its start (which is the top of what lies below):
/// no stack can legitimately be there;</item>
/// <item>below the floor by at most the largest constant frame the module's code allocates
/// (<see cref="StackPointerInfo.LargestFrame"/>): a prologue pushing a frame across the floor;</item>
/// <item>that wrapped below address 0 (a decrease modulo 2^32 to an address beyond the memory).</item>
/// </list>
/// Any other value outside the stack is a stack switch (fibers, coroutines, a heap-allocated stack, Asyncify
/// unwinding, a stack pointer raised above its top): allowed, and not checked by the rules above until the pointer
/// returns to the thread's own stack (except that a value in the memory kept free below the stack always traps) —
/// unless it lands where no stack of this thread can be, which traps too: strictly inside another live thread's own
/// stack (or on its top, for a value at the start of the free memory), or strictly inside memory the host grew for
/// thread stacks and TLS blocks, which the guest's allocator never hands out (a dynamically sized frame larger than
/// the stack). Optionally (the collision diagnostic) records every write in the memory's
/// <see cref="StackRegistry"/>, reports a value that enters another live thread's stack and, if asked, traps with
/// <see cref="TrapCode.ShadowStackCollision"/>.
/// </summary>
internal sealed class ShadowStackGuard
{
    private readonly uint _globalIndex;
    private readonly int _threadId;
    private readonly AddressRange? _bounds;
    private readonly ulong _reservedBelow;
    private readonly uint _largestFrame;
    private readonly string _remedy;
    private readonly StackRegistry? _registry;
    private readonly StackRegistry.Entry? _self;
    private readonly Action<StackCollision>? _report;
    private readonly bool _trapOnCollision;
    private readonly StackRegistry? _liveStacks;
    private readonly StackRegistry.Entry? _entry;
    private readonly MemoryRegions? _hostRegions;
    private readonly uint _memoryIndex;

    /// <param name="bounds">The thread's stack [floor, top); null: no bounds check.</param>
    /// <param name="reservedBelow">Start of the memory below the floor that no stack may use (the red-zone band, the
    /// thread's TLS block): a write in [reservedBelow, floor) is an overflow whatever its size.</param>
    /// <param name="largestFrame">The largest constant frame the module's code allocates, in bytes.</param>
    /// <param name="globalIndex">The stack-pointer global.</param>
    /// <param name="threadId">The guarded thread's id (for messages).</param>
    /// <param name="remedy">What to change when the stack overflows (for the trap message).</param>
    /// <param name="registry">The group's registry of live stacks, for collision checks; null: none.</param>
    /// <param name="self">This thread's entry in the registry.</param>
    /// <param name="report">Receives each collision; null: none.</param>
    /// <param name="trapOnCollision">Trap at the first collision instead of only reporting it.</param>
    /// <param name="liveStacks">The memory's live threads, whose private stacks no other thread's stack pointer may
    /// enter (checked with the bounds, whether or not the collision diagnostic is on).</param>
    /// <param name="entry">This thread's entry in <paramref name="liveStacks"/>, if it has one.</param>
    /// <param name="hostRegions">The memory's host-grown regions (other threads' stacks and TLS blocks).</param>
    /// <param name="memoryIndex">The index of the memory holding the shadow stack (multi-memory: not always 0).</param>
    public ShadowStackGuard(uint globalIndex, int threadId, AddressRange? bounds, ulong reservedBelow, uint largestFrame, string remedy,
        StackRegistry? registry, StackRegistry.Entry? self, Action<StackCollision>? report, bool trapOnCollision,
        StackRegistry? liveStacks = null, StackRegistry.Entry? entry = null, MemoryRegions? hostRegions = null, uint memoryIndex = 0)
    {
        _memoryIndex = memoryIndex;
        _liveStacks = liveStacks;
        _entry = entry;
        _hostRegions = hostRegions;
        _globalIndex = globalIndex;
        _threadId = threadId;
        _bounds = bounds;
        _reservedBelow = bounds is { } b ? Math.Min(reservedBelow, b.Start) : 0;
        _largestFrame = largestFrame;
        _remedy = remedy;
        _registry = registry;
        _self = self;
        _report = report;
        _trapOnCollision = trapOnCollision;
    }

    public void OnGlobalSet(Instance instance, uint globalIndex, int value)
    {
        if (globalIndex != _globalIndex) return;
        uint sp = (uint)value;
        if (_bounds is { } b && (sp < b.Start || sp > b.End)) CheckOverflow(instance, b, sp);
        if (_registry is not null && _self is not null && _registry.OnStackPointerWrite(_self, sp) is { } collisions)
        {
            foreach (var collision in collisions) _report?.Invoke(collision);
            if (_trapOnCollision)
                throw new TrapException(TrapCode.ShadowStackCollision, "stack collision: " + collisions[0].Message);
        }
    }

    private void CheckOverflow(Instance instance, AddressRange b, uint sp)
    {
        uint old = (uint)instance.Globals[_globalIndex].I32;
        // Strictly above its start: a value equal to the start is the top of whatever lies below (a stack in the
        // static data right below the main stack's band, a fiber's C stack declared as the last .bss array), not a
        // byte of the reserved memory; it is judged by the other rules (one frame below the floor, a live stack's top).
        bool inReserved = sp < b.Start && sp > _reservedBelow;
        // On another stack (switched away): the certain-overflow rules below do not apply, unless the value lands
        // where nothing may be.
        if ((old >= b.Start && old <= b.End) || inReserved)
        {
            if (sp > b.End)
            {
                // Raised above the top: a switch, unless the value is a decrease that wrapped below 0 (it then lies
                // beyond the memory, where no stack can be).
                long memoryBytes = _memoryIndex < (uint)instance.Memories.Length ? instance.Memories[_memoryIndex].Length : 0;
                uint decrease = old - sp; // modulo 2^32
                if (sp >= memoryBytes && decrease < 0x8000_0000)
                    throw new TrapException(TrapCode.ShadowStackOverflow,
                        $"shadow stack overflow in thread {_threadId}: __stack_pointer 0x{old:x8} minus {decrease} wraps below address 0 (to 0x{sp:x8}); its stack is {b}; {_remedy}");
            }
            else if (inReserved || old - sp <= _largestFrame)
            {
                // Below the floor: certain when it lands where nothing may be, or is one frame's step from the stack.
                string where = inReserved
                    ? $"in the {b.Start - sp} bytes below it that Strand keeps free (red-zone band, TLS block)"
                    : $"{b.Start - sp} bytes below its floor";
                throw new TrapException(TrapCode.ShadowStackOverflow,
                    $"shadow stack overflow in thread {_threadId}: __stack_pointer would be 0x{sp:x8}, below its stack {b}, {where}; {_remedy}");
            }
        }
        // Otherwise a stack switch (or a dynamically sized frame larger than any constant one), allowed unless the value
        // lies where no stack of this thread can be: on another live thread's own stack, or in memory the host grew for
        // other threads (which the guest's allocator never hands out, so no stack of the guest's own is there).
        if (_liveStacks?.PrivateStackAround(_entry, sp, includeTop: sp == _reservedBelow) is { } other)
            throw new TrapException(TrapCode.ShadowStackOverflow,
                $"shadow stack overflow in thread {_threadId}: __stack_pointer would be 0x{sp:x8}, inside thread {other.ThreadId}'s stack {other.PrivateStack}, outside its own {b} (a dynamically sized frame larger than the stack?); {_remedy}");
        if (_hostRegions?.HostGrownAround(sp) is { } region)
            throw new TrapException(TrapCode.ShadowStackOverflow,
                $"shadow stack overflow in thread {_threadId}: __stack_pointer would be 0x{sp:x8}, outside its stack {b}, inside memory {region} that Strand grew for threads' stacks and TLS blocks (a dynamically sized frame larger than the stack?); {_remedy}");
    }
}
