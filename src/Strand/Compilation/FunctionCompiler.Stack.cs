using System.Reflection.Emit;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>The entry check of functions that call: "call stack exhausted" instead of a CLR stack overflow.</summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>The slow path of the entry check, emitted after the body (cold), or null when the function has no check.</summary>
    private Label? _stackSlowPath;
    private Label _stackChecked;

    /// <summary>
    /// One compare of the native stack pointer (the address of a local of this frame) with the thread's verified
    /// limit (<see cref="WasmOps.StackLowInverted"/>, an inlined thread-static read); below it, the cold path calls
    /// <see cref="WasmOps.ExtendStack"/>, which checks the runtime's margin and lowers the limit, or the function traps.
    /// The guarantee is the one <c>RuntimeHelpers.TryEnsureSufficientExecutionStack()</c> in the prologue gave (the
    /// runtime's 128 KiB margin below the frame), for about a nanosecond instead of five.
    /// </summary>
    private void EmitStackCheck()
    {
        var probe = _il.DeclareLocal(typeof(byte));
        _stackSlowPath = _il.DefineLabel();
        _stackChecked = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloca, probe);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Ldsfld, RuntimeMembers.StackLowInverted);
        _il.Emit(OpCodes.Not);
        _il.Emit(OpCodes.Blt_Un, _stackSlowPath.Value);
        _il.MarkLabel(_stackChecked);
    }

    private void EmitStackCheckSlowPath()
    {
        if (_stackSlowPath is not { } slow) return;
        _il.MarkLabel(slow);
        _il.Emit(OpCodes.Call, RuntimeMembers.ExtendStack);
        _il.Emit(OpCodes.Brtrue, _stackChecked);
        EmitTrap(TrapCode.CallStackExhausted);
    }
}
