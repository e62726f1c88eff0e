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
                _facts[^1] = ConstantFacts(ins.Immediate, ins.ImmediateHigh);
                return;
            case SimdImmediate.Shuffle:
                EmitV128Constant(ins.Immediate, ins.ImmediateHigh);
                break;
            case SimdImmediate.Lane:
                Ldc(ins.Lane);
                break;
            case SimdImmediate.MemArg or SimdImmediate.MemArgLane:
                EmitSimdMemory(ins, info, method);
                if (info.Results.Length == 1) _facts[^1] = ValueFacts.NonConstantVector;
                return;
        }
        if (FoldableFloatArithmetic.Contains(ins.Opcode)) HideFoldableOperands(ins.Opcode, info.Operands.Length);
        // A result computed from a non-constant vector (or a splat of a scalar just loaded) is not a constant either.
        bool nonConstant = info.Operands is [not ValType.V128] && _position > 0 && _code[_position - 1].Opcode is >= Opcode.I32Load and <= Opcode.I64Load32U;
        for (int i = 1; i <= info.Operands.Length; i++)
            if (info.Operands[^i] == ValType.V128 && (_facts[^i] & ValueFacts.NonConstantVector) != 0) nonConstant = true;
        _il.Emit(OpCodes.Call, method);
        PopN(info.Operands.Length);
        foreach (var result in info.Results) Push(result);
        if (nonConstant && info.Results is [ValType.V128]) _facts[^1] = ValueFacts.NonConstantVector;
    }

    /// <summary>The instructions whose float arithmetic RyuJIT folds with constant operands (see <see cref="SimdOps.Opaque"/>).</summary>
    private static readonly HashSet<Opcode> FoldableFloatArithmetic =
    [
        Opcode.F32x4Add, Opcode.F32x4Sub, Opcode.F32x4Mul, Opcode.F32x4Div, Opcode.F32x4Min, Opcode.F32x4Max,
        Opcode.F64x2Add, Opcode.F64x2Sub, Opcode.F64x2Mul, Opcode.F64x2Div, Opcode.F64x2Min, Opcode.F64x2Max,
        Opcode.F32x4RelaxedMadd, Opcode.F32x4RelaxedNmadd, Opcode.F64x2RelaxedMadd, Opcode.F64x2RelaxedNmadd,
        Opcode.F32x4RelaxedMin, Opcode.F32x4RelaxedMax, Opcode.F64x2RelaxedMin, Opcode.F64x2RelaxedMax,
    ];

    /// <summary>
    /// Passes each operand of a float arithmetic instruction that may be a JIT constant the instruction folds with
    /// through <see cref="SimdOps.Opaque"/>, so a signalling NaN operand still gives a quiet NaN. Known non-constants
    /// (loads and what is computed from them, through locals) and benign constants are left alone, so hot loops pay
    /// nothing; a zero vector (a declared local not yet assigned) is hidden only as the subtrahend (<c>x - 0</c>).
    /// Facts follow a local's last assignment in code order, as <see cref="ValueFacts"/> does.
    /// </summary>
    private void HideFoldableOperands(Opcode op, int count)
    {
        var opaque = RuntimeMembers.Op(typeof(SimdOps), nameof(SimdOps.Opaque));
        bool isSub = op is Opcode.F32x4Sub or Opcode.F64x2Sub;
        var saved = new List<LocalBuilder>();
        for (int i = count - 1; i >= 0; i--) // operand i is at _facts[^(count - i)]; the top of the stack first
        {
            var facts = _facts[^(count - i)];
            bool safe = (facts & (ValueFacts.NonConstantVector | ValueFacts.BenignConstantVector)) != 0
                || ((facts & ValueFacts.ZeroVector) != 0 && !(isSub && i == 1));
            if (!safe) _il.Emit(OpCodes.Call, opaque);
            if (i > 0)
            {
                var temp = Rent(ClrTypes.Of(ValType.V128));
                _il.Emit(OpCodes.Stloc, temp);
                saved.Add(temp);
            }
        }
        for (int i = saved.Count - 1; i >= 0; i--)
        {
            _il.Emit(OpCodes.Ldloc, saved[i]);
            Release(saved[i]);
        }
    }

    /// <summary>What a <c>v128.const</c> is to <see cref="HideFoldableOperands"/>: zero, benign, or possibly foldable.</summary>
    private static ValueFacts ConstantFacts(ulong low, ulong high)
    {
        if (low == 0 && high == 0) return ValueFacts.ZeroVector;
        bool AllLanes(Func<float, bool> f32, Func<double, bool> f64) =>
            f32(Lane(low)) && f32(Lane(low >> 32)) && f32(Lane(high)) && f32(Lane(high >> 32))
            || f64(BitConverter.UInt64BitsToDouble(low)) && f64(BitConverter.UInt64BitsToDouble(high));
        bool anyNaN = !AllLanes(x => !float.IsNaN(x), _ => false) || !AllLanes(_ => false, x => !double.IsNaN(x));
        bool identityLanes = AllLanes(x => MathF.Abs(x) is 0f or 1f, x => Math.Abs(x) is 0.0 or 1.0);
        return anyNaN || identityLanes ? ValueFacts.None : ValueFacts.BenignConstantVector;
    }

    private static float Lane(ulong bits) => BitConverter.UInt32BitsToSingle((uint)bits);

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
        EmitEffectiveAddress(ins.MemOffset, info.AccessSize, addressLocal);
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
