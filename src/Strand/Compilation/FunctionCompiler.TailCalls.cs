using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// Tail calls (WebAssembly 3.0 <c>return_call</c>, <c>return_call_indirect</c>): a CIL call with the <c>tail.</c>
/// prefix directly followed by <c>ret</c>. RyuJIT honours an explicit tail call always: as a jump when the callee's
/// stack arguments fit in the caller's incoming area ("fast tail call"), otherwise through the runtime's tail-call
/// helpers, which copy the arguments into a per-thread buffer and call the target from a dispatcher frame that is
/// reused (constant stack either way); this holds for <c>call</c> and <c>calli</c>, in tier-0 and optimised code of
/// collectible dynamic assemblies. Multi-value results pass the caller's own result byrefs on (the callee's results
/// are the caller's). The operand values below the arguments are dropped first (a <c>tail.</c> call needs the CIL
/// stack to hold exactly its arguments). Inside a <c>try_table</c> or legacy <c>try</c> a tail call cannot be issued
/// (CIL forbids it in protected regions, and the wasm semantics drop the caller's handlers): the arguments are kept
/// in locals and the call is made after leaving every protected region (see FunctionCompiler.Exceptions.cs).
/// <c>return_call_ref</c> takes the callee from its reference operand (null traps "null function reference").
/// </summary>
internal sealed partial class FunctionCompiler
{
    private void DoReturnCall(Instruction ins)
    {
        bool indirect = ins.Opcode is Opcode.ReturnCallIndirect or Opcode.ReturnCallRef; // one more operand: table index or reference
        var type = indirect ? _module.Definition.Types[(int)ins.Index] : _module.FunctionTypes[ins.Index];
        int operands = type.Params.Length + (indirect ? 1 : 0);
        bool inRegion = _tryDepth > 0;
        if (inRegion || _stack.Count - CilBase > operands)
        {
            // Keep the arguments (and the table index) in locals, drop what lies below them.
            var args = new LocalBuilder[operands];
            for (int k = operands - 1; k >= 0; k--)
            {
                args[k] = Rent(ClrTypes.Of(_stack[^1]));
                _il.Emit(OpCodes.Stloc, args[k]);
                Pop();
            }
            if (inRegion)
            {
                LeaveRegionsTo(0, _ => EmitTailCall(ins, type, args));
            }
            else
            {
                for (int i = _stack.Count - CilBase; i > 0; i--) _il.Emit(OpCodes.Pop);
                EmitTailCall(ins, type, args);
            }
            // Reusable at once: at run time nothing else executes between the stores and the call that reads them.
            foreach (var arg in args) Release(arg);
        }
        else
        {
            EmitTailCall(ins, type, null);
            PopN(operands);
        }
        _unreachable = true;
    }

    /// <summary>
    /// With exactly the callee's arguments (and, for <c>return_call_indirect</c>, the table index) on the CIL stack, or
    /// in <paramref name="args"/>, emits <c>tail. call</c> (or <c>tail. calli</c>) and <c>ret</c>.
    /// </summary>
    private void EmitTailCall(Instruction ins, FuncType type, LocalBuilder[]? args)
    {
        if (args is not null)
            foreach (var arg in args) _il.Emit(OpCodes.Ldloc, arg);
        var (ret, ps) = ClrTypes.Signature(type);
        if (ins.Opcode == Opcode.ReturnCallRef)
        {
            _il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.CallRefTarget)));
            var target = Rent(typeof(FunctionReference));
            _il.Emit(OpCodes.Stloc, target);
            PassResultAddresses(type);
            TailCalli(target, ret, ps);
            Release(target);
            return;
        }
        if (ins.Opcode == Opcode.ReturnCallIndirect)
        {
            var index = Rent(typeof(int));
            _il.Emit(OpCodes.Stloc, index);
            PassResultAddresses(type);
            var function = Rent(typeof(FunctionReference));
            _il.Emit(OpCodes.Ldloc, index);
            _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index2]);
            if (_module.PortableTypeIds)
            {
                _il.Emit(OpCodes.Ldloc, _instance!);
                _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceTypeIds);
                Ldc((int)ins.Index);
                _il.Emit(OpCodes.Ldelem_I4);
            }
            else Ldc(_module.TypeId(ins.Index));
            _il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.ResolveIndirect)));
            _il.Emit(OpCodes.Stloc, function);
            TailCalli(function, ret, ps);
            Release(function);
            Release(index);
            return;
        }
        uint functionIndex = ins.Index;
        PassResultAddresses(type);
        if (functionIndex < _module.ImportedFunctionCount)
        {
            var function = Rent(typeof(FunctionReference));
            _il.Emit(OpCodes.Ldloc, _instance!);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceFunctions);
            Ldc((int)functionIndex);
            _il.Emit(OpCodes.Ldelem_Ref);
            _il.Emit(OpCodes.Stloc, function);
            TailCalli(function, ret, ps);
            Release(function);
        }
        else if (_unit.Local((int)functionIndex - _module.ImportedFunctionCount) is { } local)
        {
            Ldarg(_contextArg);
            _il.Emit(OpCodes.Tailcall);
            _il.Emit(OpCodes.Call, local);
            _il.Emit(OpCodes.Ret);
        }
        else
        {
            Ldarg(_contextArg);
            _il.Emit(OpCodes.Ldloc, _instance!);
            Ldc((int)functionIndex - _module.ImportedFunctionCount);
            _il.Emit(OpCodes.Call, RuntimeMembers.ResolveCode);
            _il.Emit(OpCodes.Tailcall);
            _il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ret, ps, null);
            _il.Emit(OpCodes.Ret);
        }
    }

    /// <summary>The callee's extra results are the caller's: pass on the caller's own result byrefs.</summary>
    private void PassResultAddresses(FuncType type)
    {
        for (int k = 1; k < type.Results.Length; k++) Ldarg(_paramCount + k - 1);
    }

    private void TailCalli(LocalBuilder function, Type ret, Type[] ps)
    {
        _il.Emit(OpCodes.Ldloc, function);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.FunctionContext);
        _il.Emit(OpCodes.Ldloc, function);
        _il.Emit(OpCodes.Call, RuntimeMembers.FunctionEntry);
        _il.Emit(OpCodes.Tailcall);
        _il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ret, ps, null);
        _il.Emit(OpCodes.Ret);
    }
}
