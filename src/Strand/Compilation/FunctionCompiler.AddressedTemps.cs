using System.Reflection.Emit;

namespace Strand.Compilation;

internal sealed partial class FunctionCompiler
{
    /// <summary>Free IL locals whose address was taken (<c>ldloca</c>), by type; never handed out by <see cref="Rent"/>.</summary>
    private readonly Dictionary<Type, Stack<LocalBuilder>> _addressedPool = new();

    /// <summary>
    /// A temporary whose address the caller takes (the out-parameters receiving a call's second and later results).
    /// RyuJIT marks a local whose address is taken anywhere in the method as address-exposed and keeps it in memory at
    /// every use, so such locals get their own pool: returned to the general one they would become the temporaries of
    /// later rotations, selects or stores and put those values on the stack for the whole method.
    /// </summary>
    private LocalBuilder RentAddressed(Type type) =>
        _addressedPool.TryGetValue(type, out var free) && free.Count > 0 ? free.Pop() : _il.DeclareLocal(type);

    private void ReleaseAddressed(LocalBuilder local)
    {
        if (!_addressedPool.TryGetValue(local.LocalType, out var free)) _addressedPool[local.LocalType] = free = new Stack<LocalBuilder>();
        free.Push(local);
    }
}
