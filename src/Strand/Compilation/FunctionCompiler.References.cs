using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// Typed function references (WebAssembly 3.0): <c>call_ref</c>, <c>ref.as_non_null</c>, <c>br_on_null</c>,
/// <c>br_on_non_null</c> (<c>return_call_ref</c> is a tail call: FunctionCompiler.TailCalls.cs). A reference is a
/// <see cref="RefValue"/> whatever its wasm type (<see cref="EmitRefNull"/>); validation guarantees that a <c>(ref null $t)</c> operand is null or a
/// <see cref="FunctionReference"/> of type <c>$t</c>, so <c>call_ref</c> needs no type check, only a null check (unlike
/// <c>call_indirect</c>, which checks the callee's type id).
/// </summary>
internal sealed partial class FunctionCompiler
{
    private void EmitReference(Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.CallRef:
                DoCallRef(ins);
                break;
            case Opcode.RefAsNonNull:
            {
                Call(nameof(WasmOps.RefAsNonNull));
                var t = _stack[^1];
                Pop();
                Push(t.WithNullable(false));
                break;
            }
            case Opcode.BrOnNull:
            {
                // [t* ref] -> [t* ref]: on null, drop it and branch with t*.
                var t = _stack[^1];
                var notNull = _il.DefineLabel();
                _il.Emit(OpCodes.Dup);
                _il.Emit(OpCodes.Ldfld, RuntimeMembers.RefObject);
                _il.Emit(OpCodes.Brtrue, notNull);
                _il.Emit(OpCodes.Pop);
                Pop();
                EmitBranchTo(Target(ins.Index));
                _il.MarkLabel(notNull);
                Push(t.WithNullable(false));
                break;
            }
            case Opcode.BrOnNonNull:
            {
                // [t* ref] -> [t*]: when not null, branch with t* ref.
                var t = _stack[^1];
                var isNull = _il.DefineLabel();
                _il.Emit(OpCodes.Dup);
                _il.Emit(OpCodes.Ldfld, RuntimeMembers.RefObject);
                _il.Emit(OpCodes.Brfalse, isNull);
                Pop();
                Push(t.WithNullable(false));
                EmitBranchTo(Target(ins.Index));
                _il.MarkLabel(isNull);
                _il.Emit(OpCodes.Pop);
                Pop();
                break;
            }
        }
    }

    /// <summary><c>call_ref $t</c>: [args (ref null $t)] -> results, trapping on null.</summary>
    private void DoCallRef(Instruction ins)
    {
        var type = _module.Definition.Types[(int)ins.Index];
        Call(nameof(WasmOps.CallRefTarget));
        Pop(); // the reference
        var function = Rent(typeof(FunctionReference));
        _il.Emit(OpCodes.Stloc, function);
        var extras = PushResultAddresses(type);
        EmitCalli(function, type);
        Release(function);
        FinishCall(type, extras);
    }

    /// <summary>Pushes <c>ref.null</c>: a zeroed <see cref="RefValue"/>.</summary>
    private void EmitRefNull() => _il.Emit(OpCodes.Call, RuntimeMembers.RefNull);

    /// <summary>Wraps the object on the stack (a GC object, function or exception, never a boxed i31) as a <see cref="RefValue"/>.</summary>
    private void EmitRefWrap() => _il.Emit(OpCodes.Call, RuntimeMembers.RefWrap);
}
