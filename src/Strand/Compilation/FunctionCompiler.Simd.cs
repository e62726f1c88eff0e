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
                return;
            case SimdImmediate.Shuffle:
                EmitShuffle(ins.Immediate, ins.ImmediateHigh);
                PopN(2);
                Push(ValType.V128);
                return;
            case SimdImmediate.MemArg or SimdImmediate.MemArgLane:
                EmitSimdMemory(ins, info, SimdMethods[ins.Opcode]);
                return;
        }
        if (SimdIntrinsics.Table.TryGetValue(ins.Opcode, out var direct)) EmitIntrinsic(direct, ins.Lane);
        else
        {
            if (info.Immediate == SimdImmediate.Lane) Ldc(ins.Lane);
            _il.Emit(OpCodes.Call, SimdMethods[ins.Opcode]);
        }
        PopN(info.Operands.Length);
        foreach (var result in info.Results) Push(result);
    }

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
    /// <c>i8x16.shuffle</c> with constant lane indices: <c>Shuffle(a, ia) | Shuffle(b, ib)</c>, where ia keeps the
    /// indices below 16 and ib the others less 16, every other lane 0x80 (out of range: selects 0). A shuffle that
    /// takes every lane from one operand is one <c>Shuffle</c>; the JIT makes each a <c>pshufb</c>/<c>tbl</c> with a constant.
    /// </summary>
    private void EmitShuffle(ulong low, ulong high)
    {
        ulong first = 0, firstHigh = 0, second = 0, secondHigh = 0;
        bool usesFirst = false, usesSecond = false;
        for (int i = 0; i < 16; i++)
        {
            int index = (int)((i < 8 ? low : high) >> (8 * (i & 7))) & 0xFF;
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
