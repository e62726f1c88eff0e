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

    private static readonly Type V128 = typeof(System.Runtime.Intrinsics.Vector128<byte>);

    private void EmitSimd(Instruction ins)
    {
        var info = SimdOpcodes.Info(ins.Opcode);
        switch (info.Immediate)
        {
            case SimdImmediate.Const:
                EmitV128Constant(ins.Immediate, ins.ImmediateHigh);
                Push(ValType.V128);
                _facts[^1] = ConstantFacts(ins.Immediate, ins.ImmediateHigh);
                return;
            case SimdImmediate.Shuffle:
                EmitShuffle(ins.Immediate, ins.ImmediateHigh);
                PopN(2);
                Push(ValType.V128);
                return;
            case SimdImmediate.MemArg or SimdImmediate.MemArgLane:
                EmitSimdMemory(ins, info, SimdMethods[ins.Opcode]);
                if (info.Results.Length == 1) _facts[^1] = ValueFacts.NonConstant;
                return;
        }
        if (ins.Opcode is Opcode.I32x4Shl or Opcode.I32x4ShrU && TryEmitRotation(ins)) return;
        if (FoldableFloatArithmetic.Contains(ins.Opcode)) HideFoldableOperands(ins.Opcode, info.Operands.Length);
        // A result computed from a non-constant vector (or a splat of a scalar just loaded) is not a constant either.
        bool nonConstant = info.Operands is [not ValType.V128] && _position > 0 && _code[_position - 1].Opcode is >= Opcode.I32Load and <= Opcode.I64Load32U;
        for (int i = 1; i <= info.Operands.Length; i++)
            if (info.Operands[^i] == ValType.V128 && (_facts[^i] & ValueFacts.NonConstant) != 0) nonConstant = true;
        if (SimdIntrinsics.Table.TryGetValue(ins.Opcode, out var direct)) EmitIntrinsic(direct, ins.Lane);
        else
        {
            if (info.Immediate == SimdImmediate.Lane) Ldc(ins.Lane);
            _il.Emit(OpCodes.Call, SimdMethods[ins.Opcode]);
        }
        PopN(info.Operands.Length);
        foreach (var result in info.Results) Push(result);
        if (nonConstant && info.Results is [ValType.V128]) _facts[^1] = ValueFacts.NonConstant;
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
        bool isSub = op is Opcode.F32x4Sub or Opcode.F64x2Sub;
        var hide = new bool[count];
        int lowest = count;
        for (int i = count - 1; i >= 0; i--) // operand i is at _facts[^(count - i)]
        {
            var facts = _facts[^(count - i)];
            hide[i] = (facts & (ValueFacts.NonConstant | ValueFacts.BenignConstant)) == 0
                && ((facts & ValueFacts.Zero) == 0 || (isSub && i == 1));
            if (hide[i]) lowest = i;
        }
        if (lowest == count) return; // nothing to hide: no extra code
        var opaque = RuntimeMembers.Op(typeof(SimdOps), nameof(SimdOps.Opaque));
        var saved = new List<LocalBuilder>();
        for (int i = count - 1; i >= lowest; i--) // the operands above the lowest hidden one are set aside, top first
        {
            if (hide[i]) _il.Emit(OpCodes.Call, opaque);
            if (i == lowest) break;
            var temp = Rent(ClrTypes.Of(ValType.V128));
            _il.Emit(OpCodes.Stloc, temp);
            saved.Add(temp);
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
        if (low == 0 && high == 0) return ValueFacts.Zero;
        bool AllLanes(Func<float, bool> f32, Func<double, bool> f64) =>
            f32(Lane(low)) && f32(Lane(low >> 32)) && f32(Lane(high)) && f32(Lane(high >> 32))
            || f64(BitConverter.UInt64BitsToDouble(low)) && f64(BitConverter.UInt64BitsToDouble(high));
        bool anyNaN = !AllLanes(x => !float.IsNaN(x), _ => false) || !AllLanes(_ => false, x => !double.IsNaN(x));
        bool identityLanes = AllLanes(x => MathF.Abs(x) is 0f or 1f, x => Math.Abs(x) is 0.0 or 1.0);
        return anyNaN || identityLanes ? ValueFacts.None : ValueFacts.BenignConstant;
    }

    private static float Lane(ulong bits) => BitConverter.UInt32BitsToSingle((uint)bits);

    /// <summary>One <see cref="SimdIntrinsics"/> operation, its operands reinterpreted to its lane type and back.</summary>
    private void EmitIntrinsic(SimdIntrinsics.Entry op, byte lane)
    {
        var lanes = typeof(System.Runtime.Intrinsics.Vector128<>).MakeGenericType(op.Lane);
        void ToLanes() { if (op.Lane != typeof(byte)) _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(byte), op.Lane)); }
        var resultLane = op.ResultLane ?? op.Lane;
        void FromLanes() { if (resultLane != typeof(byte)) _il.Emit(OpCodes.Call, SimdIntrinsics.As(resultLane, typeof(byte))); }
        switch (op.Kind)
        {
            case SimdIntrinsics.Kind.Unary:
                ToLanes();
                _il.Emit(OpCodes.Call, op.Method);
                FromLanes();
                break;
            case SimdIntrinsics.Kind.Binary when op.Lane == typeof(byte):
                _il.Emit(OpCodes.Call, op.Method);
                if (op.Negated) _il.Emit(OpCodes.Call, op.Not);
                FromLanes();
                break;
            case SimdIntrinsics.Kind.Binary:
            {
                var b = Rent(V128);
                _il.Emit(OpCodes.Stloc, b);
                ToLanes();
                _il.Emit(OpCodes.Ldloc, b);
                ToLanes();
                Release(b);
                _il.Emit(OpCodes.Call, op.Method);
                if (op.Negated) _il.Emit(OpCodes.Call, op.Not);
                FromLanes();
                break;
            }
            case SimdIntrinsics.Kind.Shift when _position > 0 && _code[_position - 1].Opcode == Opcode.I32Const:
                // a constant count: the immediate form of the shift
                _il.Emit(OpCodes.Pop);
                ToLanes();
                Ldc(_code[_position - 1].I32 & (LaneBytes(op.Lane) * 8 - 1));
                _il.Emit(OpCodes.Call, op.Method);
                FromLanes();
                break;
            case SimdIntrinsics.Kind.Shift:
            {
                var count = Rent(typeof(int));
                _il.Emit(OpCodes.Stloc, count);
                ToLanes();
                _il.Emit(OpCodes.Ldloc, count);
                Ldc(LaneBytes(op.Lane) * 8 - 1);
                _il.Emit(OpCodes.And);
                Release(count);
                _il.Emit(OpCodes.Call, op.Method);
                FromLanes();
                break;
            }
            case SimdIntrinsics.Kind.Select:
            {
                // [a b c] → ConditionalSelect(c, a, b)
                var c = Rent(V128);
                var b = Rent(V128);
                _il.Emit(OpCodes.Stloc, c);
                _il.Emit(OpCodes.Stloc, b);
                var a = Rent(V128);
                _il.Emit(OpCodes.Stloc, a);
                _il.Emit(OpCodes.Ldloc, c);
                _il.Emit(OpCodes.Ldloc, a);
                _il.Emit(OpCodes.Ldloc, b);
                Release(a);
                Release(b);
                Release(c);
                _il.Emit(OpCodes.Call, op.Method);
                break;
            }
            case SimdIntrinsics.Kind.Splat:
                EmitNarrow(op.Lane);
                _il.Emit(OpCodes.Call, op.Method);
                FromLanes();
                break;
            case SimdIntrinsics.Kind.Reduce:
                ToLanes();
                _il.Emit(OpCodes.Call, op.Method);
                break;
            case SimdIntrinsics.Kind.Extract:
                ToLanes();
                Ldc(lane);
                _il.Emit(OpCodes.Call, op.Method);
                break;
            case SimdIntrinsics.Kind.Replace:
            {
                var x = Rent(ClrTypes.Of(_stack[^1]));
                _il.Emit(OpCodes.Stloc, x);
                ToLanes();
                Ldc(lane);
                _il.Emit(OpCodes.Ldloc, x);
                EmitNarrow(op.Lane);
                Release(x);
                _il.Emit(OpCodes.Call, op.Method);
                FromLanes();
                break;
            }
        }
    }

    private static int LaneBytes(Type lane) => System.Runtime.InteropServices.Marshal.SizeOf(lane);

    /// <summary>Narrows an i32 on the stack to an 8- or 16-bit lane value (the wrap the spec's splat/replace_lane apply).</summary>
    private void EmitNarrow(Type lane)
    {
        if (lane == typeof(byte)) _il.Emit(OpCodes.Conv_U1);
        else if (lane == typeof(ushort)) _il.Emit(OpCodes.Conv_U2);
    }

    /// <summary>
    /// <c>i8x16.shuffle</c> with constant lane indices, [a b] → [result]: shuffles that follow through an overwritten
    /// local are folded in, whole-lane shuffles and (on Arm64) every two-operand one become single instructions
    /// (FunctionCompiler.SimdPatterns.cs); the rest is <see cref="EmitShuffleOfTwo"/>.
    /// </summary>
    private void EmitShuffle(ulong low, ulong high)
    {
        var indices = ComposeShuffles(ShuffleIndices(low, high));
        if (TryEmitLaneShuffle(indices)) return;
        if (SimdIsa.AdvSimdArm64 && indices.Any(i => i < 16) && indices.Any(i => i >= 16))
        {
            var b = Rent(V128);
            var a = Rent(V128);
            _il.Emit(OpCodes.Stloc, b);
            _il.Emit(OpCodes.Stloc, a);
            EmitTableLookup2(a, b, indices);
            Release(a);
            Release(b);
        }
        else EmitShuffleOfTwo(indices);
    }

    /// <summary>
    /// [a b] → <c>Shuffle(a, ia) | Shuffle(b, ib)</c>, where ia keeps the indices below 16 and ib the others less 16,
    /// every other lane 0x80 (out of range: selects 0). A shuffle that takes every lane from one operand is one
    /// <c>Shuffle</c>; the JIT makes each a <c>pshufb</c>/<c>tbl</c> with a constant.
    /// </summary>
    private void EmitShuffleOfTwo(byte[] indices)
    {
        ulong first = 0, firstHigh = 0, second = 0, secondHigh = 0;
        bool usesFirst = false, usesSecond = false;
        for (int i = 0; i < 16; i++)
        {
            int index = indices[i];
            ulong a = index < 16 ? (ulong)index : 0x80, b = index >= 16 ? (ulong)(index - 16) : 0x80;
            usesFirst |= index < 16;
            usesSecond |= index >= 16;
            if (i < 8)
            {
                first |= a << (8 * i);
                second |= b << (8 * i);
            }
            else
            {
                firstHigh |= a << (8 * (i - 8));
                secondHigh |= b << (8 * (i - 8));
            }
        }
        var right = Rent(V128);
        _il.Emit(OpCodes.Stloc, right);
        if (usesFirst)
        {
            EmitV128Constant(first, firstHigh);
            _il.Emit(OpCodes.Call, SimdIntrinsics.ShuffleBytes);
        }
        else _il.Emit(OpCodes.Pop);
        if (usesSecond)
        {
            _il.Emit(OpCodes.Ldloc, right);
            EmitV128Constant(second, secondHigh);
            _il.Emit(OpCodes.Call, SimdIntrinsics.ShuffleBytes);
            if (usesFirst) _il.Emit(OpCodes.Call, SimdIntrinsics.OrBytes);
        }
        Release(right);
    }

    /// <summary>
    /// Loads: [address] → [v128]. Stores and lane accesses: [address, v128] → the vector is set aside while the
    /// address is checked, then the helper gets (native address, vector[, lane]). <c>v128.load</c> and
    /// <c>v128.store</c> are the unaligned read/write intrinsics.
    /// </summary>
    private void EmitSimdMemory(Instruction ins, SimdOpcodeInfo info, MethodInfo method)
    {
        LocalBuilder? vector = null;
        if (info.Operands.Length == 2)
        {
            vector = Rent(V128);
            _il.Emit(OpCodes.Stloc, vector);
            Pop();
        }
        int addressLocal = _origin[^1];
        Pop();
        EmitEffectiveAddress(ins.MemOffset, info.AccessSize, addressLocal, ins.Memory);
        if (ins.Opcode == Opcode.V128Load)
        {
            _il.Emit(OpCodes.Call, SimdIntrinsics.LoadBytes);
        }
        else if (ins.Opcode == Opcode.V128Store)
        {
            _il.Emit(OpCodes.Ldloc, vector!);
            _il.Emit(OpCodes.Call, SimdIntrinsics.StoreBytes);
        }
        else if (SimdIntrinsics.Memory.TryGetValue(ins.Opcode, out var access))
        {
            EmitMemoryIntrinsic(access, vector, ins.Lane);
        }
        else
        {
            if (vector is not null) _il.Emit(OpCodes.Ldloc, vector);
            if (info.Immediate == SimdImmediate.MemArgLane) Ldc(ins.Lane);
            _il.Emit(OpCodes.Call, method);
        }
        if (vector is not null) Release(vector);
        foreach (var result in info.Results) Push(result);
    }

    /// <summary>With the checked native address on the stack: the access as intrinsics (see <see cref="SimdIntrinsics.Memory"/>).</summary>
    private void EmitMemoryIntrinsic(SimdIntrinsics.MemoryEntry access, LocalBuilder? vector, byte lane)
    {
        var toByte = SimdIntrinsics.As(access.Lane, typeof(byte));
        switch (access.Kind)
        {
            case SimdIntrinsics.MemoryKind.Splat:
                _il.Emit(OpCodes.Call, access.Read);
                _il.Emit(OpCodes.Call, SimdIntrinsics.CreateOf(access.Lane));
                _il.Emit(OpCodes.Call, toByte);
                break;
            case SimdIntrinsics.MemoryKind.Zero:
                _il.Emit(OpCodes.Call, access.Read);
                _il.Emit(OpCodes.Call, SimdIntrinsics.CreateScalarOf(access.Lane));
                _il.Emit(OpCodes.Call, toByte);
                break;
            case SimdIntrinsics.MemoryKind.Extend:
                _il.Emit(OpCodes.Call, access.Read);
                _il.Emit(OpCodes.Call, SimdIntrinsics.CreateScalarOf(typeof(ulong)));
                _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(ulong), access.Lane));
                _il.Emit(OpCodes.Call, SimdIntrinsics.WidenLowerOf(access.Lane));
                _il.Emit(OpCodes.Call, SimdIntrinsics.As(access.Result!, typeof(byte)));
                break;
            case SimdIntrinsics.MemoryKind.LoadLane:
            {
                var address = Rent(typeof(nint));
                _il.Emit(OpCodes.Stloc, address);
                _il.Emit(OpCodes.Ldloc, vector!);
                _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(byte), access.Lane));
                Ldc(lane);
                _il.Emit(OpCodes.Ldloc, address);
                _il.Emit(OpCodes.Call, access.Read);
                _il.Emit(OpCodes.Call, SimdIntrinsics.WithElementOf(access.Lane));
                _il.Emit(OpCodes.Call, toByte);
                Release(address);
                break;
            }
            case SimdIntrinsics.MemoryKind.StoreLane:
                _il.Emit(OpCodes.Ldloc, vector!);
                _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(byte), access.Lane));
                Ldc(lane);
                _il.Emit(OpCodes.Call, SimdIntrinsics.GetElementOf(access.Lane));
                _il.Emit(OpCodes.Call, access.Write);
                break;
        }
    }

    private void EmitV128Constant(ulong low, ulong high)
    {
        _il.Emit(OpCodes.Ldc_I8, (long)low);
        _il.Emit(OpCodes.Ldc_I8, (long)high);
        _il.Emit(OpCodes.Call, SimdIntrinsics.CreateFromLongs);
        _il.Emit(OpCodes.Call, SimdIntrinsics.AsLongToByte);
    }
}
