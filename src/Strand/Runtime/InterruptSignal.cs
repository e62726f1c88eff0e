namespace Strand.Runtime;

/// <summary>
/// A flag compiled code polls at function entries (of functions that call) and at every loop
/// iteration: one volatile load. Setting it makes running guest code trap with
/// <see cref="TrapCode.Interrupted"/> at its next check. Several instances may share one signal
/// (the threads layer gives all threads of a group the same one), so one store stops them all.
/// </summary>
internal sealed class InterruptSignal
{
    /// <summary>Non-zero when an interruption is requested. Read by compiled code with a volatile load.</summary>
    internal int Requested;

    public bool IsRequested => Volatile.Read(ref Requested) != 0;

    public void Request() => Volatile.Write(ref Requested, 1);

    public void Clear() => Volatile.Write(ref Requested, 0);
}

/// <summary>
/// Called by compiled code before a <c>global.set</c> of a mutable i32 global stores
/// <paramref name="value"/>, when installed on the instance (threads layer: shadow-stack bounds checks).
/// May throw a <see cref="TrapException"/> to stop the store.
/// </summary>
internal delegate void GlobalSetHook(Instance instance, uint globalIndex, int value);
