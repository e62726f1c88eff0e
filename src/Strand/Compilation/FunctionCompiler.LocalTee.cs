using System.Reflection.Emit;

namespace Strand.Compilation;

internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// <c>local.tee</c> (spec 4.4.5.3) as a store to the local and a load of it (<c>stloc n; ldloc n</c>), not
    /// <c>dup; stloc n</c>. RyuJIT imports a <c>dup</c> of a computed value by storing it to a new temporary, so each tee
    /// made a second variable holding the local's value, both live until the local's later reads: in blake3-scalar's
    /// compress function (464 tees in straight-line code) the register allocator spilled nearly every value to its own
    /// stack slot (frame 0x6C8 bytes, 961 stack operands). With the reload there is one variable per value; where the
    /// local is assigned again while the loaded value is still pending on the IL stack, the JIT copies it to a temporary
    /// first (ECMA-335 III.3.43: <c>ldloc</c> pushes the value the local holds at that point). The value's facts, interval
    /// and origin are those the <c>dup</c> kept.
    /// </summary>
    private void LocalTee(uint index)
    {
        var facts = _facts[^1];
        var range = _ranges[^1];
        var type = _stack[^1];
        LocalSet(index);
        if (index < _paramCount) Ldarg((int)index);
        else _il.Emit(OpCodes.Ldloc, _locals[index]!);
        Push(type);
        _origin[^1] = (int)index; // the value left on the stack is the local's new value
        _facts[^1] = facts;
        _ranges[^1] = range;
    }
}
