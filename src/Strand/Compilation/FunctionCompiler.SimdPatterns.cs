using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Instruction sequences with a better single instruction on the hardware (what V8 and Cranelift pattern-match too):
/// <list type="bullet">
/// <item><c>i32x4</c> rotations written as two shifts and an or/xor (<c>local.tee L; i32.const c; i32x4.shl; local.get L;
/// i32.const 32-c; i32x4.shr_u; v128.or</c>, either shift first): <c>vprold</c> with AVX-512VL, <c>shl</c> + <c>sri</c> on
/// Arm64, a byte shuffle for multiples of 8, else the shifts with immediate counts.</item>
/// <item>a shuffle of a shuffle's result through a local that is overwritten right after (<c>i8x16.shuffle S1; local.tee L;
/// local.get L; i8x16.shuffle S2; local.tee/set L</c>, BLAKE3's 16-bit rotation as two half shuffles): one shuffle.</item>
/// <item><c>i8x16.shuffle</c> with whole 32-bit lanes: one operand, <c>pshufd</c> (<c>Vector128.Shuffle</c> of <c>uint</c>
/// lanes); two operands, <c>punpck[lh]dq</c>/<c>punpck[lh]qdq</c> or <c>shufps</c> on x64, <c>zip1/zip2/uzp1/uzp2</c> on
/// Arm64; any other two-operand shuffle is one two-register <c>tbl</c> on Arm64.</item>
/// </list>
/// The instruction set is chosen when the IL is generated (<see cref="SimdIsa"/>; branching on <c>IsSupported</c> in the
/// IL would make the JIT spill the whole evaluation stack at each branch), so compiled artifacts record it in
/// <see cref="CompiledArtifact.EngineId"/>. The semantics are the plain sequence's; the fallback is portable
/// <see cref="Vector128"/> code.
/// </summary>
internal sealed partial class FunctionCompiler
{
    private static readonly Type U32 = typeof(Vector128<uint>);

    /// <summary>At an <c>i32x4.shl</c>/<c>i32x4.shr_u</c>: when it starts a rotation, emits it and skips the rest.</summary>
    private bool TryEmitRotation(Instruction ins)
    {
        int p = _position;
        if (p < 2 || p + 4 >= _code.Count) return false;
        var count = _code[p - 1];
        var source = _code[p - 2];
        if (count.Opcode != Opcode.I32Const || source.Opcode is not (Opcode.LocalTee or Opcode.LocalGet)) return false;
        var other = ins.Opcode == Opcode.I32x4Shl ? Opcode.I32x4ShrU : Opcode.I32x4Shl;
        if (_code[p + 1].Opcode != Opcode.LocalGet || _code[p + 1].Index != source.Index
            || _code[p + 2].Opcode != Opcode.I32Const || _code[p + 3].Opcode != other
            || _code[p + 4].Opcode is not (Opcode.V128Or or Opcode.V128Xor)) return false;
        int first = count.I32 & 31, second = _code[p + 2].I32 & 31;
        if (first == 0 || (first + second) != 32) return false;
        int left = ins.Opcode == Opcode.I32x4Shl ? first : second;

        _il.Emit(OpCodes.Pop); // the count
        Pop();
        var facts = _facts[^1];
        var x = Rent(V128);
        _il.Emit(OpCodes.Stloc, x);
        if (SimdIsa.Avx512VL)
        {
            LoadAs(x, typeof(uint));
            Ldc(left);
            _il.Emit(OpCodes.Call, typeof(Avx512F.VL).GetMethod(nameof(Avx512F.VL.RotateLeft), [U32, typeof(byte)])!);
            _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(uint), typeof(byte)));
        }
        else if (SimdIsa.AdvSimd)
        {
            // sri(x << left, x, 32 - left): the low `left` bits of x << left become x >> (32 - left)
            LoadAs(x, typeof(uint));
            Ldc(left);
            _il.Emit(OpCodes.Call, U32.GetMethod("op_LeftShift", [U32, typeof(int)])!);
            LoadAs(x, typeof(uint));
            Ldc(32 - left);
            _il.Emit(OpCodes.Call, typeof(AdvSimd).GetMethod(nameof(AdvSimd.ShiftRightAndInsert), [U32, U32, typeof(byte)])!);
            _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(uint), typeof(byte)));
        }
        else if (left % 8 == 0)
        {
            // whole bytes: result byte i of each lane is source byte (i - left/8) mod 4
            ulong low = 0, high = 0;
            for (int i = 0; i < 16; i++)
            {
                ulong index = (ulong)((i & ~3) + (((i & 3) - left / 8) & 3));
                if (i < 8) low |= index << (8 * i);
                else high |= index << (8 * (i - 8));
            }
            _il.Emit(OpCodes.Ldloc, x);
            EmitV128Constant(low, high);
            _il.Emit(OpCodes.Call, SimdIntrinsics.ShuffleBytes);
        }
        else
        {
            LoadAs(x, typeof(uint));
            Ldc(left);
            _il.Emit(OpCodes.Call, U32.GetMethod("op_LeftShift", [U32, typeof(int)])!);
            LoadAs(x, typeof(uint));
            Ldc(32 - left);
            _il.Emit(OpCodes.Call, U32.GetMethod("op_UnsignedRightShift", [U32, typeof(int)])!);
            _il.Emit(OpCodes.Call, U32.GetMethod("op_BitwiseOr", [U32, U32])!);
            _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(uint), typeof(byte)));
        }
        Release(x);
        Pop();
        Push(ValType.V128);
        _facts[^1] = facts & ValueFacts.NonConstant;
        _position += 4;
        return true;
    }

    private void LoadAs(LocalBuilder vector, Type lane)
    {
        _il.Emit(OpCodes.Ldloc, vector);
        if (lane != typeof(byte)) _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(byte), lane));
    }

    /// <summary>
    /// <c>i8x16.shuffle</c> indices (0..31) after folding in the shuffles that follow through an overwritten local
    /// (see the class summary); advances past the instructions folded in.
    /// </summary>
    private byte[] ComposeShuffles(byte[] indices)
    {
        while (_position + 4 < _code.Count
               && _code[_position + 1].Opcode == Opcode.LocalTee
               && _code[_position + 2].Opcode == Opcode.LocalGet && _code[_position + 2].Index == _code[_position + 1].Index
               && _code[_position + 3].Opcode == Opcode.I8x16Shuffle
               && _code[_position + 4].Opcode is Opcode.LocalTee or Opcode.LocalSet && _code[_position + 4].Index == _code[_position + 1].Index)
        {
            var next = ShuffleIndices(_code[_position + 3].Immediate, _code[_position + 3].ImmediateHigh);
            var composed = new byte[16];
            for (int i = 0; i < 16; i++) composed[i] = indices[next[i] & 15]; // both operands of the second are the first's result
            indices = composed;
            _position += 3;
        }
        return indices;
    }

    private static byte[] ShuffleIndices(ulong low, ulong high)
    {
        var indices = new byte[16];
        for (int i = 0; i < 16; i++) indices[i] = (byte)((i < 8 ? low : high) >> (8 * (i & 7)));
        return indices;
    }

    /// <summary>
    /// With [a, b] on the stack: a shuffle whose every 32-bit result lane is a whole 32-bit lane of a or b, as the best
    /// instruction the hardware has (see the class summary). False (nothing emitted) for other shuffles.
    /// </summary>
    private bool TryEmitLaneShuffle(byte[] indices)
    {
        var lanes = new int[4]; // 0..7: lanes of a then b
        for (int l = 0; l < 4; l++)
        {
            int first = indices[4 * l];
            if (first % 4 != 0) return false;
            for (int k = 1; k < 4; k++) if (indices[4 * l + k] != first + k) return false;
            lanes[l] = first / 4;
        }
        bool oneOperand = lanes.All(l => l < 4) || lanes.All(l => l >= 4);
        bool swap = false;
        var x64 = oneOperand || !SimdIsa.Sse2 ? null : X64TwoOperandShuffle(lanes, out swap);
        var arm = oneOperand || !SimdIsa.AdvSimdArm64 ? null : Arm64TwoOperandShuffle(lanes);
        if (!oneOperand && x64 is null && arm is null && !SimdIsa.AdvSimdArm64) return false;
        var b = Rent(V128);
        var a = Rent(V128);
        _il.Emit(OpCodes.Stloc, b);
        _il.Emit(OpCodes.Stloc, a);
        if (oneOperand)
        {
            // Vector128.Shuffle of uint lanes with constant indices (pshufd on x64)
            LoadAs(lanes[0] < 4 ? a : b, typeof(uint));
            for (int l = 0; l < 4; l++) Ldc(lanes[l] & 3);
            _il.Emit(OpCodes.Call, SimdIntrinsics.CreateOf4(typeof(uint)));
            _il.Emit(OpCodes.Call, typeof(Vector128).GetMethod(nameof(Vector128.Shuffle), [U32, U32])!);
            _il.Emit(OpCodes.Call, SimdIntrinsics.As(typeof(uint), typeof(byte)));
        }
        else if ((x64 ?? arm) is { } method)
        {
            var lane = method.GetParameters()[0].ParameterType.GetGenericArguments()[0];
            LoadAs(swap ? b : a, lane);
            LoadAs(swap ? a : b, lane);
            if (method.GetParameters().Length == 3) Ldc(ShufpsControl(lanes));
            _il.Emit(OpCodes.Call, method);
            _il.Emit(OpCodes.Call, SimdIntrinsics.As(lane, typeof(byte)));
        }
        else EmitTableLookup2(a, b, indices);
        Release(a);
        Release(b);
        return true;
    }

    /// <summary>One two-register <c>tbl</c> (Arm64) over [a, b] with the shuffle's indices (all below 32).</summary>
    private void EmitTableLookup2(LocalBuilder a, LocalBuilder b, byte[] indices)
    {
        var pair = typeof(ValueTuple<Vector128<byte>, Vector128<byte>>);
        _il.Emit(OpCodes.Ldloc, a);
        _il.Emit(OpCodes.Ldloc, b);
        _il.Emit(OpCodes.Newobj, pair.GetConstructor([V128, V128])!);
        ulong low = 0, high = 0;
        for (int i = 0; i < 16; i++)
            if (i < 8) low |= (ulong)indices[i] << (8 * i);
            else high |= (ulong)indices[i] << (8 * (i - 8));
        EmitV128Constant(low, high);
        _il.Emit(OpCodes.Call, typeof(AdvSimd.Arm64).GetMethod(nameof(AdvSimd.Arm64.VectorTableLookup), [pair, V128])!);
    }

    /// <summary>x64: punpck[lh]dq / punpck[lh]qdq for interleaves, else shufps when two lanes come from each operand.</summary>
    private static MethodInfo? X64TwoOperandShuffle(int[] lanes, out bool swap)
    {
        swap = false;
        Type u64 = typeof(Vector128<ulong>);
        if (lanes.SequenceEqual([0, 4, 1, 5])) return typeof(Sse2).GetMethod(nameof(Sse2.UnpackLow), [U32, U32]);
        if (lanes.SequenceEqual([2, 6, 3, 7])) return typeof(Sse2).GetMethod(nameof(Sse2.UnpackHigh), [U32, U32]);
        if (lanes.SequenceEqual([0, 1, 4, 5])) return typeof(Sse2).GetMethod(nameof(Sse2.UnpackLow), [u64, u64]);
        if (lanes.SequenceEqual([2, 3, 6, 7])) return typeof(Sse2).GetMethod(nameof(Sse2.UnpackHigh), [u64, u64]);
        var f32 = typeof(Vector128<float>);
        if (lanes[0] < 4 && lanes[1] < 4 && lanes[2] >= 4 && lanes[3] >= 4) return typeof(Sse).GetMethod(nameof(Sse.Shuffle), [f32, f32, typeof(byte)]);
        if (lanes[0] >= 4 && lanes[1] >= 4 && lanes[2] < 4 && lanes[3] < 4)
        {
            swap = true;
            return typeof(Sse).GetMethod(nameof(Sse.Shuffle), [f32, f32, typeof(byte)]);
        }
        return null;
    }

    /// <summary>shufps's control byte: result lanes 0, 1 from the first operand, 2, 3 from the second (lane numbers mod 4).</summary>
    private static int ShufpsControl(int[] lanes) => (lanes[0] & 3) | (lanes[1] & 3) << 2 | (lanes[2] & 3) << 4 | (lanes[3] & 3) << 6;

    /// <summary>Arm64: zip1/zip2 (32- and 64-bit interleaves) and uzp1/uzp2 (even/odd lanes of a then b).</summary>
    private static MethodInfo? Arm64TwoOperandShuffle(int[] lanes)
    {
        Type u64 = typeof(Vector128<ulong>);
        string? name = lanes switch
        {
            [0, 4, 1, 5] or [0, 1, 4, 5] => nameof(AdvSimd.Arm64.ZipLow),
            [2, 6, 3, 7] or [2, 3, 6, 7] => nameof(AdvSimd.Arm64.ZipHigh),
            [0, 2, 4, 6] => nameof(AdvSimd.Arm64.UnzipEven),
            [1, 3, 5, 7] => nameof(AdvSimd.Arm64.UnzipOdd),
            _ => null,
        };
        if (name is null) return null;
        var lane = lanes is [0, 1, 4, 5] or [2, 3, 6, 7] ? u64 : U32;
        return typeof(AdvSimd.Arm64).GetMethod(name, [lane, lane]);
    }
}

/// <summary>
/// The instruction sets the SIMD compiler specialises on, read once (they follow the runtime's configuration, e.g.
/// <c>DOTNET_EnableAVX512=0</c>). Code generated for one set must not run on a machine without it: <see cref="Fingerprint"/>
/// is part of <see cref="CompiledArtifact.EngineId"/>.
/// </summary>
internal static class SimdIsa
{
    public static readonly bool Avx512VL = Avx512F.VL.IsSupported;
    public static readonly bool Sse2 = System.Runtime.Intrinsics.X86.Sse2.IsSupported;
    public static readonly bool AdvSimd = System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
    public static readonly bool AdvSimdArm64 = System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported;

    public static int Fingerprint => (Avx512VL ? 1 : 0) | (Sse2 ? 2 : 0) | (AdvSimd ? 4 : 0) | (AdvSimdArm64 ? 8 : 0);
}
