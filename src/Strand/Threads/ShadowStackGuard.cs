using Strand.Runtime;

namespace Strand.Threads;

/// <summary>
/// Installed as an instance's global-set hook: checks every write of the stack-pointer global of one thread.
/// Leaving the thread's bounds [low, high] (high = the empty stack) traps with
/// <see cref="TrapCode.ShadowStackOverflow"/> before the store happens, so a runaway recursion stops at its
/// own stack instead of overwriting the data or another thread's frames. Optionally (the collision diagnostic)
/// records every write in the memory's <see cref="StackRegistry"/>, reports a value that enters another live
/// thread's stack and, if asked, traps with <see cref="TrapCode.ShadowStackCollision"/>.
/// </summary>
internal sealed class ShadowStackGuard
{
    private readonly uint _globalIndex;
    private readonly int _threadId;
    private readonly AddressRange? _bounds;
    private readonly string _remedy;
    private readonly StackRegistry? _registry;
    private readonly StackRegistry.Entry? _self;
    private readonly Action<StackCollision>? _report;
    private readonly bool _trapOnCollision;

    public ShadowStackGuard(uint globalIndex, int threadId, AddressRange? bounds, string remedy,
        StackRegistry? registry, StackRegistry.Entry? self, Action<StackCollision>? report, bool trapOnCollision)
    {
        _globalIndex = globalIndex;
        _threadId = threadId;
        _bounds = bounds;
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
        if (_bounds is { } b && (sp < b.Start || sp > b.End))
        {
            string side = sp < b.Start ? "below" : "above";
            throw new TrapException(TrapCode.ShadowStackOverflow,
                $"shadow stack overflow in thread {_threadId}: __stack_pointer would be 0x{sp:x8}, {side} its stack {b}; {_remedy}");
        }
        if (_registry is not null && _self is not null && _registry.OnStackPointerWrite(_self, sp) is { } collisions)
        {
            foreach (var collision in collisions) _report?.Invoke(collision);
            if (_trapOnCollision)
                throw new TrapException(TrapCode.ShadowStackCollision, "stack collision: " + collisions[0].Message);
        }
    }
}
