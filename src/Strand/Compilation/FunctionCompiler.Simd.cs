using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// The SIMD instructions. One emission path serves all of them: the operation is the <see cref="SimdOps"/> method
/// named like the opcode (the JIT inlines it into vector instructions), the stack effect comes from the
/// <see cref="SimdOpcodes"/> table, and the immediates decide what is pushed before the call: nothing, the lane
/// index, a constant vector (<c>v128.const</c>, <c>i8x16.shuffle</c>'s indices) or, for memory instructions, the
/// bounds-checked native address (the same check as scalar accesses, for the instruction's access size).
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>The <see cref="SimdOps"/> method of every SIMD opcode, resolved once.</summary>
    private static readonly Dictionary<Opcode, MethodInfo> SimdMethods = Enum.GetValues<Opcode>()
        .Where(SimdOpcodes.IsSimd)
        .Distinct()
        .ToDictionary(op => op, op => RuntimeMembers.Op(typeof(SimdOps), op.ToString()));

    private void EmitSimd(Instruction ins)
    {
        var info = SimdOpcodes.Info(ins.Opcode);
        var method = SimdMethods[ins.Opcode];
        switch (info.Immediate)
        {
            case SimdImmediate.Const:
                EmitV128Constant(ins.Immediate, ins.ImmediateHigh);
                Push(ValType.V128);
                return;
            case SimdImmediate.Shuffle:
                EmitV128Constant(ins.Immediate, ins.ImmediateHigh);
                break;
            case SimdImmediate.Lane:
                Ldc(ins.Lane);
                break;
            case SimdImmediate.MemArg or SimdImmediate.MemArgLane:
                EmitSimdMemory(ins, info, method);
                return;
        }
        _il.Emit(OpCodes.Call, method);
        PopN(info.Operands.Length);
        foreach (var result in info.Results) Push(result);
    }

    /// <summary>
    /// Loads: [address] → [v128]. Stores and lane accesses: [address, v128] → the vector is set aside while the
    /// address is checked, then the helper gets (native address, vector[, lane]).
    /// </summary>
    private void EmitSimdMemory(Instruction ins, SimdOpcodeInfo info, MethodInfo method)
    {
        LocalBuilder? vector = null;
        if (info.Operands.Length == 2)
        {
            vector = Rent(ClrTypes.Of(ValType.V128));
            _il.Emit(OpCodes.Stloc, vector);
            Pop();
        }
        int addressLocal = _origin[^1];
        Pop();
        EmitEffectiveAddress(ins.MemOffset, info.AccessSize, addressLocal, ins.Memory);
        if (vector is not null)
        {
            _il.Emit(OpCodes.Ldloc, vector);
            Release(vector);
        }
        if (info.Immediate == SimdImmediate.MemArgLane) Ldc(ins.Lane);
        _il.Emit(OpCodes.Call, method);
        foreach (var result in info.Results) Push(result);
    }

    private void EmitV128Constant(ulong low, ulong high)
    {
        _il.Emit(OpCodes.Ldc_I8, (long)low);
        _il.Emit(OpCodes.Ldc_I8, (long)high);
        _il.Emit(OpCodes.Call, SimdMethods[Opcode.V128Const]);
    }
}
