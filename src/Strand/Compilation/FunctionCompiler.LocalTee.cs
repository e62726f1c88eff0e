namespace Strand.Compilation;

using System.Reflection.Emit;

internal sealed partial class FunctionCompiler
{
    private static readonly bool TeeReload = System.Environment.GetEnvironmentVariable("STRAND_TEE_RELOAD") == "1";

    /// <summary>local.tee as a store and a reload of the local (no <c>dup</c>).</summary>
    private void LocalTeeByReload(uint index)
    {
        var facts = _facts[^1];
        var range = _ranges[^1];
        var type = _stack[^1];
        LocalSet(index);
        if (index < _paramCount) Ldarg((int)index);
        else _il.Emit(OpCodes.Ldloc, _locals[index]!);
        Push(type);
        _origin[^1] = (int)index;
        _facts[^1] = facts;
        _ranges[^1] = range;
    }
}
