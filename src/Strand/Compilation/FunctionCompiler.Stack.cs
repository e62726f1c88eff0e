using System.Reflection.Emit;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>The entry check of functions that call: "call stack exhausted" instead of a CLR stack overflow.</summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>The slow path of the entry check, emitted after the body (cold), or null when the function has no check.</summary>
    private Label? _stackSlowPath;
    private Label _stackChecked;
    /// <summary>The local whose address the entry check compares (the slow path passes it on).</summary>
    private LocalBuilder? _stackProbe;

    /// <summary>
    /// One compare of the native stack pointer (the address of a local of this frame) with the instance's stack window
    /// (<see cref="Instance.StackWindow"/>: a range of the running thread's stack that thread has verified,
    /// <see cref="StackWindow"/>): <c>probe - Low &lt;= High - Low</c>, unsigned. Outside it (another thread's window, an
    /// empty one, or deeper than verified), the cold path calls <see cref="WasmOps.EnterStack"/>, which checks against the
    /// thread's own verified limit (a thread-static), extends it if needed (the runtime's margin) and claims the instance's
    /// window for this thread, or the function traps. The guarantee is the one
    /// <c>RuntimeHelpers.TryEnsureSufficientExecutionStack()</c> in the prologue gave (the runtime's 128 KiB margin below
    /// the frame), for two loads and a compare instead of five nanoseconds (or a thread-static read, a call to
    /// <c>__tls_get_addr</c> on linux-x64).
    /// </summary>
    private void EmitStackCheck()
    {
        var probe = _il.DeclareLocal(typeof(byte));
        var window = _il.DeclareLocal(typeof(StackWindow));
        _stackSlowPath = _il.DefineLabel();
        _stackChecked = _il.DefineLabel();
        _stackProbe = probe;
        _il.Emit(OpCodes.Ldloc, _instance!);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceStackWindow);
        _il.Emit(OpCodes.Stloc, window);
        _il.Emit(OpCodes.Ldloca, probe);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Ldloc, window);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.StackWindowLow);
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Ldloc, window);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.StackWindowHigh);
        _il.Emit(OpCodes.Ldloc, window);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.StackWindowLow);
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Bgt_Un, _stackSlowPath.Value);
        _il.MarkLabel(_stackChecked);
    }

    private void EmitStackCheckSlowPath()
    {
        if (_stackSlowPath is not { } slow) return;
        _il.MarkLabel(slow);
        _il.Emit(OpCodes.Ldloca, _stackProbe!);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Ldloc, _instance!);
        _il.Emit(OpCodes.Call, RuntimeMembers.EnterStack);
        _il.Emit(OpCodes.Brtrue, _stackChecked);
        EmitTrap(TrapCode.CallStackExhausted);
    }
}
