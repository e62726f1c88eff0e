using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector128<byte>;

namespace Strand.Runtime;

/// <summary>
/// The semantics of every SIMD instruction (WebAssembly 2.0 fixed-width SIMD, spec 4.3.2 and 4.4.3, and relaxed SIMD),
/// one method per opcode, named as <see cref="Binary.Opcode"/> names it. Compiled code calls them (the compiler finds
/// them by name, see <c>FunctionCompiler.Simd.cs</c>) and the JIT inlines them into hardware instructions. A v128 is a
/// <see cref="Vector128{T}"/> of bytes; operands come bottom of the stack first, lane indices and memory addresses
/// (native, already bounds-checked) as the compiler passes them.
/// <para>
/// Cross-platform <see cref="Vector128"/> operations are used where their semantics are the spec's on every platform;
/// hardware-specific paths (SSE, AdvSimd) only where the portable one is missing or slow, each with a portable
/// fallback. Where hardware differs from the spec (float min/max, saturating truncation, out-of-range swizzle
/// indices) the code computes the spec's answer explicitly.
/// </para>
/// <para>
/// Relaxed SIMD: deterministic choices, each one of the results the proposal allows: <c>relaxed_swizzle</c> =
/// <c>swizzle</c>; <c>relaxed_trunc*</c> = <c>trunc_sat*</c>; <c>relaxed_madd/nmadd</c> = unfused <c>a*b+c</c> /
/// <c>-(a*b)+c</c> (two roundings); <c>relaxed_laneselect</c> = <c>bitselect</c>; <c>relaxed_min/max</c> =
/// <c>min/max</c>; <c>relaxed_q15mulr_s</c> = <c>q15mulr_sat_s</c>; <c>relaxed_dot_i8x16_i7x16_s</c> = signed ×
/// signed products, pairs added with signed saturation; <c>relaxed_dot_i8x16_i7x16_add_s</c> = that, pairs of lanes
/// widened and added, plus the accumulator (wrapping).
/// </para>
/// </summary>
internal static unsafe class SimdOps
{
    private const MethodImplOptions Inline = MethodImplOptions.AggressiveInlining;

    // ------------------------------------------------------------------ constants, loads and stores

    [MethodImpl(Inline)] public static V V128Const(long low, long high) => Vector128.Create(low, high).AsByte();

    [MethodImpl(Inline)] public static V V128Load(nint address) => Unsafe.ReadUnaligned<V>((void*)address);
    [MethodImpl(Inline)] private static Vector128<T> Low64<T>(nint address) where T : struct =>
        Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>((void*)address)).As<ulong, T>();
    [MethodImpl(Inline)] public static V V128Load8x8S(nint address) => Vector128.WidenLower(Low64<sbyte>(address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load8x8U(nint address) => Vector128.WidenLower(Low64<byte>(address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load16x4S(nint address) => Vector128.WidenLower(Low64<short>(address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load16x4U(nint address) => Vector128.WidenLower(Low64<ushort>(address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load32x2S(nint address) => Vector128.WidenLower(Low64<int>(address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load32x2U(nint address) => Vector128.WidenLower(Low64<uint>(address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load8Splat(nint address) => Vector128.Create(*(byte*)address);
    [MethodImpl(Inline)] public static V V128Load16Splat(nint address) => Vector128.Create(Unsafe.ReadUnaligned<ushort>((void*)address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load32Splat(nint address) => Vector128.Create(Unsafe.ReadUnaligned<uint>((void*)address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load64Splat(nint address) => Vector128.Create(Unsafe.ReadUnaligned<ulong>((void*)address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load32Zero(nint address) => Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>((void*)address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load64Zero(nint address) => Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>((void*)address)).AsByte();
    [MethodImpl(Inline)] public static void V128Store(nint address, V v) => Unsafe.WriteUnaligned((void*)address, v);

    [MethodImpl(Inline)] public static V V128Load8Lane(nint address, V v, int lane) => v.WithElement(lane, *(byte*)address);
    [MethodImpl(Inline)] public static V V128Load16Lane(nint address, V v, int lane) => v.AsUInt16().WithElement(lane, Unsafe.ReadUnaligned<ushort>((void*)address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load32Lane(nint address, V v, int lane) => v.AsUInt32().WithElement(lane, Unsafe.ReadUnaligned<uint>((void*)address)).AsByte();
    [MethodImpl(Inline)] public static V V128Load64Lane(nint address, V v, int lane) => v.AsUInt64().WithElement(lane, Unsafe.ReadUnaligned<ulong>((void*)address)).AsByte();
    [MethodImpl(Inline)] public static void V128Store8Lane(nint address, V v, int lane) => *(byte*)address = v.GetElement(lane);
    [MethodImpl(Inline)] public static void V128Store16Lane(nint address, V v, int lane) => Unsafe.WriteUnaligned((void*)address, v.AsUInt16().GetElement(lane));
    [MethodImpl(Inline)] public static void V128Store32Lane(nint address, V v, int lane) => Unsafe.WriteUnaligned((void*)address, v.AsUInt32().GetElement(lane));
    [MethodImpl(Inline)] public static void V128Store64Lane(nint address, V v, int lane) => Unsafe.WriteUnaligned((void*)address, v.AsUInt64().GetElement(lane));

    // ------------------------------------------------------------------ shuffles, splats, lanes

    /// <summary>Lane i of the result is table[indices[i]], or 0 when indices[i] &gt;= 16 (spec: <c>i8x16.swizzle</c>).</summary>
    [MethodImpl(Inline)]
    private static V Swizzle(V table, V indices)
    {
        // pshufb zeroes a lane whose index has the top bit set and uses the low 4 bits otherwise: a saturating
        // add of 0x70 sets the top bit exactly for indices >= 16.
        if (Ssse3.IsSupported) return Ssse3.Shuffle(table, Sse2.AddSaturate(indices, Vector128.Create((byte)0x70)));
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.VectorTableLookup(table, indices);
        return Vector128.Shuffle(table, indices); // out-of-range indices select 0
    }

    [MethodImpl(Inline)] public static V I8x16Swizzle(V a, V s) => Swizzle(a, s);
    /// <summary><c>i8x16.shuffle</c>: indices 0..15 select from a, 16..31 from b (the validator checked &lt; 32).</summary>
    [MethodImpl(Inline)] public static V I8x16Shuffle(V a, V b, V indices) =>
        Swizzle(a, indices) | Swizzle(b, indices - Vector128.Create((byte)16));

    [MethodImpl(Inline)] public static V I8x16Splat(int x) => Vector128.Create((byte)x);
    [MethodImpl(Inline)] public static V I16x8Splat(int x) => Vector128.Create((ushort)x).AsByte();
    [MethodImpl(Inline)] public static V I32x4Splat(int x) => Vector128.Create(x).AsByte();
    [MethodImpl(Inline)] public static V I64x2Splat(long x) => Vector128.Create(x).AsByte();
    [MethodImpl(Inline)] public static V F32x4Splat(float x) => Vector128.Create(x).AsByte();
    [MethodImpl(Inline)] public static V F64x2Splat(double x) => Vector128.Create(x).AsByte();

    [MethodImpl(Inline)] public static int I8x16ExtractLaneS(V v, int lane) => v.AsSByte().GetElement(lane);
    [MethodImpl(Inline)] public static int I8x16ExtractLaneU(V v, int lane) => v.GetElement(lane);
    [MethodImpl(Inline)] public static V I8x16ReplaceLane(V v, int x, int lane) => v.WithElement(lane, (byte)x);
    [MethodImpl(Inline)] public static int I16x8ExtractLaneS(V v, int lane) => v.AsInt16().GetElement(lane);
    [MethodImpl(Inline)] public static int I16x8ExtractLaneU(V v, int lane) => v.AsUInt16().GetElement(lane);
    [MethodImpl(Inline)] public static V I16x8ReplaceLane(V v, int x, int lane) => v.AsUInt16().WithElement(lane, (ushort)x).AsByte();
    [MethodImpl(Inline)] public static int I32x4ExtractLane(V v, int lane) => v.AsInt32().GetElement(lane);
    [MethodImpl(Inline)] public static V I32x4ReplaceLane(V v, int x, int lane) => v.AsInt32().WithElement(lane, x).AsByte();
    [MethodImpl(Inline)] public static long I64x2ExtractLane(V v, int lane) => v.AsInt64().GetElement(lane);
    [MethodImpl(Inline)] public static V I64x2ReplaceLane(V v, long x, int lane) => v.AsInt64().WithElement(lane, x).AsByte();
    /// <summary>
    /// Through the lane's bits with <see cref="WasmOps.OpaqueZero"/> or-ed in: the JIT folds an extraction from a constant
    /// vector into a float literal, which it keeps as a double, and a signalling NaN lane would come out quiet.
    /// </summary>
    [MethodImpl(Inline)] public static float F32x4ExtractLane(V v, int lane) => BitConverter.Int32BitsToSingle(v.AsInt32().GetElement(lane) | WasmOps.OpaqueZero);
    [MethodImpl(Inline)] public static V F32x4ReplaceLane(V v, float x, int lane) => v.AsSingle().WithElement(lane, x).AsByte();
    [MethodImpl(Inline)] public static double F64x2ExtractLane(V v, int lane) => v.AsDouble().GetElement(lane);
    [MethodImpl(Inline)] public static V F64x2ReplaceLane(V v, double x, int lane) => v.AsDouble().WithElement(lane, x).AsByte();

    // ------------------------------------------------------------------ comparisons (all-ones lanes for true)

    [MethodImpl(Inline)] public static V I8x16Eq(V a, V b) => Vector128.Equals(a, b);
    [MethodImpl(Inline)] public static V I8x16Ne(V a, V b) => ~Vector128.Equals(a, b);
    [MethodImpl(Inline)] public static V I8x16LtS(V a, V b) => Vector128.LessThan(a.AsSByte(), b.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I8x16LtU(V a, V b) => Vector128.LessThan(a, b);
    [MethodImpl(Inline)] public static V I8x16GtS(V a, V b) => Vector128.GreaterThan(a.AsSByte(), b.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I8x16GtU(V a, V b) => Vector128.GreaterThan(a, b);
    [MethodImpl(Inline)] public static V I8x16LeS(V a, V b) => Vector128.LessThanOrEqual(a.AsSByte(), b.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I8x16LeU(V a, V b) => Vector128.LessThanOrEqual(a, b);
    [MethodImpl(Inline)] public static V I8x16GeS(V a, V b) => Vector128.GreaterThanOrEqual(a.AsSByte(), b.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I8x16GeU(V a, V b) => Vector128.GreaterThanOrEqual(a, b);
    [MethodImpl(Inline)] public static V I16x8Eq(V a, V b) => Vector128.Equals(a.AsUInt16(), b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8Ne(V a, V b) => (~Vector128.Equals(a.AsUInt16(), b.AsUInt16())).AsByte();
    [MethodImpl(Inline)] public static V I16x8LtS(V a, V b) => Vector128.LessThan(a.AsInt16(), b.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8LtU(V a, V b) => Vector128.LessThan(a.AsUInt16(), b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8GtS(V a, V b) => Vector128.GreaterThan(a.AsInt16(), b.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8GtU(V a, V b) => Vector128.GreaterThan(a.AsUInt16(), b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8LeS(V a, V b) => Vector128.LessThanOrEqual(a.AsInt16(), b.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8LeU(V a, V b) => Vector128.LessThanOrEqual(a.AsUInt16(), b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8GeS(V a, V b) => Vector128.GreaterThanOrEqual(a.AsInt16(), b.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8GeU(V a, V b) => Vector128.GreaterThanOrEqual(a.AsUInt16(), b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I32x4Eq(V a, V b) => Vector128.Equals(a.AsUInt32(), b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4Ne(V a, V b) => (~Vector128.Equals(a.AsUInt32(), b.AsUInt32())).AsByte();
    [MethodImpl(Inline)] public static V I32x4LtS(V a, V b) => Vector128.LessThan(a.AsInt32(), b.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4LtU(V a, V b) => Vector128.LessThan(a.AsUInt32(), b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4GtS(V a, V b) => Vector128.GreaterThan(a.AsInt32(), b.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4GtU(V a, V b) => Vector128.GreaterThan(a.AsUInt32(), b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4LeS(V a, V b) => Vector128.LessThanOrEqual(a.AsInt32(), b.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4LeU(V a, V b) => Vector128.LessThanOrEqual(a.AsUInt32(), b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4GeS(V a, V b) => Vector128.GreaterThanOrEqual(a.AsInt32(), b.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4GeU(V a, V b) => Vector128.GreaterThanOrEqual(a.AsUInt32(), b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I64x2Eq(V a, V b) => Vector128.Equals(a.AsInt64(), b.AsInt64()).AsByte();
    [MethodImpl(Inline)] public static V I64x2Ne(V a, V b) => (~Vector128.Equals(a.AsInt64(), b.AsInt64())).AsByte();
    [MethodImpl(Inline)] public static V I64x2LtS(V a, V b) => Vector128.LessThan(a.AsInt64(), b.AsInt64()).AsByte();
    [MethodImpl(Inline)] public static V I64x2GtS(V a, V b) => Vector128.GreaterThan(a.AsInt64(), b.AsInt64()).AsByte();
    [MethodImpl(Inline)] public static V I64x2LeS(V a, V b) => Vector128.LessThanOrEqual(a.AsInt64(), b.AsInt64()).AsByte();
    [MethodImpl(Inline)] public static V I64x2GeS(V a, V b) => Vector128.GreaterThanOrEqual(a.AsInt64(), b.AsInt64()).AsByte();
    // Float comparisons are ordered (false with a NaN operand) except ne.
    [MethodImpl(Inline)] public static V F32x4Eq(V a, V b) => Vector128.Equals(a.AsSingle(), b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4Ne(V a, V b) => (~Vector128.Equals(a.AsSingle(), b.AsSingle())).AsByte();
    [MethodImpl(Inline)] public static V F32x4Lt(V a, V b) => Vector128.LessThan(a.AsSingle(), b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4Gt(V a, V b) => Vector128.GreaterThan(a.AsSingle(), b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4Le(V a, V b) => Vector128.LessThanOrEqual(a.AsSingle(), b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4Ge(V a, V b) => Vector128.GreaterThanOrEqual(a.AsSingle(), b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Eq(V a, V b) => Vector128.Equals(a.AsDouble(), b.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Ne(V a, V b) => (~Vector128.Equals(a.AsDouble(), b.AsDouble())).AsByte();
    [MethodImpl(Inline)] public static V F64x2Lt(V a, V b) => Vector128.LessThan(a.AsDouble(), b.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Gt(V a, V b) => Vector128.GreaterThan(a.AsDouble(), b.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Le(V a, V b) => Vector128.LessThanOrEqual(a.AsDouble(), b.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Ge(V a, V b) => Vector128.GreaterThanOrEqual(a.AsDouble(), b.AsDouble()).AsByte();

    // ------------------------------------------------------------------ bitwise

    [MethodImpl(Inline)] public static V V128Not(V a) => ~a;
    [MethodImpl(Inline)] public static V V128And(V a, V b) => a & b;
    [MethodImpl(Inline)] public static V V128Andnot(V a, V b) => Vector128.AndNot(a, b);
    [MethodImpl(Inline)] public static V V128Or(V a, V b) => a | b;
    [MethodImpl(Inline)] public static V V128Xor(V a, V b) => a ^ b;
    /// <summary>Bits of a where c is 1, of b where c is 0.</summary>
    [MethodImpl(Inline)] public static V V128Bitselect(V a, V b, V c) => Vector128.ConditionalSelect(c, a, b);
    [MethodImpl(Inline)] public static int V128AnyTrue(V a) => a != V.Zero ? 1 : 0;

    // ------------------------------------------------------------------ integer lane arithmetic

    [MethodImpl(Inline)] public static V I8x16Abs(V a) => Abs(a.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I16x8Abs(V a) => Abs(a.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I32x4Abs(V a) => Abs(a.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I64x2Abs(V a) => Abs(a.AsInt64()).AsByte();
    /// <summary>Wrapping absolute value (the minimum stays itself): (x ^ s) - s with s the sign mask.</summary>
    [MethodImpl(Inline)]
    private static Vector128<T> Abs<T>(Vector128<T> x) where T : struct
    {
        var sign = x >> (Unsafe.SizeOf<T>() * 8 - 1); // arithmetic for the signed lane types used here
        return (x ^ sign) - sign;
    }

    [MethodImpl(Inline)] public static V I8x16Neg(V a) => (V.Zero - a);
    [MethodImpl(Inline)] public static V I16x8Neg(V a) => (Vector128<ushort>.Zero - a.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I32x4Neg(V a) => (Vector128<uint>.Zero - a.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I64x2Neg(V a) => (Vector128<ulong>.Zero - a.AsUInt64()).AsByte();

    [MethodImpl(Inline)]
    public static V I8x16Popcnt(V a)
    {
        var counts = Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var low = a & Vector128.Create((byte)0x0F);
        var high = Vector128.ShiftRightLogical(a, 4);
        return Swizzle(counts, low) + Swizzle(counts, high);
    }

    [MethodImpl(Inline)] public static int I8x16AllTrue(V a) => Vector128.EqualsAny(a, V.Zero) ? 0 : 1;
    [MethodImpl(Inline)] public static int I16x8AllTrue(V a) => Vector128.EqualsAny(a.AsUInt16(), Vector128<ushort>.Zero) ? 0 : 1;
    [MethodImpl(Inline)] public static int I32x4AllTrue(V a) => Vector128.EqualsAny(a.AsUInt32(), Vector128<uint>.Zero) ? 0 : 1;
    [MethodImpl(Inline)] public static int I64x2AllTrue(V a) => Vector128.EqualsAny(a.AsUInt64(), Vector128<ulong>.Zero) ? 0 : 1;
    [MethodImpl(Inline)] public static int I8x16Bitmask(V a) => (int)Vector128.ExtractMostSignificantBits(a);
    [MethodImpl(Inline)] public static int I16x8Bitmask(V a) => (int)Vector128.ExtractMostSignificantBits(a.AsUInt16());
    [MethodImpl(Inline)] public static int I32x4Bitmask(V a) => (int)Vector128.ExtractMostSignificantBits(a.AsUInt32());
    [MethodImpl(Inline)] public static int I64x2Bitmask(V a) => (int)Vector128.ExtractMostSignificantBits(a.AsUInt64());

    // Shifts take the count modulo the lane width.
    [MethodImpl(Inline)] public static V I8x16Shl(V a, int n) => Vector128.ShiftLeft(a, n & 7);
    [MethodImpl(Inline)] public static V I8x16ShrS(V a, int n) => Vector128.ShiftRightArithmetic(a.AsSByte(), n & 7).AsByte();
    [MethodImpl(Inline)] public static V I8x16ShrU(V a, int n) => Vector128.ShiftRightLogical(a, n & 7);
    [MethodImpl(Inline)] public static V I16x8Shl(V a, int n) => Vector128.ShiftLeft(a.AsUInt16(), n & 15).AsByte();
    [MethodImpl(Inline)] public static V I16x8ShrS(V a, int n) => Vector128.ShiftRightArithmetic(a.AsInt16(), n & 15).AsByte();
    [MethodImpl(Inline)] public static V I16x8ShrU(V a, int n) => Vector128.ShiftRightLogical(a.AsUInt16(), n & 15).AsByte();
    [MethodImpl(Inline)] public static V I32x4Shl(V a, int n) => Vector128.ShiftLeft(a.AsUInt32(), n & 31).AsByte();
    [MethodImpl(Inline)] public static V I32x4ShrS(V a, int n) => Vector128.ShiftRightArithmetic(a.AsInt32(), n & 31).AsByte();
    [MethodImpl(Inline)] public static V I32x4ShrU(V a, int n) => Vector128.ShiftRightLogical(a.AsUInt32(), n & 31).AsByte();
    [MethodImpl(Inline)] public static V I64x2Shl(V a, int n) => Vector128.ShiftLeft(a.AsUInt64(), n & 63).AsByte();
    [MethodImpl(Inline)] public static V I64x2ShrS(V a, int n) => Vector128.ShiftRightArithmetic(a.AsInt64(), n & 63).AsByte();
    [MethodImpl(Inline)] public static V I64x2ShrU(V a, int n) => Vector128.ShiftRightLogical(a.AsUInt64(), n & 63).AsByte();

    [MethodImpl(Inline)] public static V I8x16Add(V a, V b) => a + b;
    [MethodImpl(Inline)] public static V I8x16Sub(V a, V b) => a - b;
    [MethodImpl(Inline)] public static V I16x8Add(V a, V b) => (a.AsUInt16() + b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8Sub(V a, V b) => (a.AsUInt16() - b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8Mul(V a, V b) => (a.AsUInt16() * b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I32x4Add(V a, V b) => (a.AsUInt32() + b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4Sub(V a, V b) => (a.AsUInt32() - b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4Mul(V a, V b) => (a.AsUInt32() * b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I64x2Add(V a, V b) => (a.AsUInt64() + b.AsUInt64()).AsByte();
    [MethodImpl(Inline)] public static V I64x2Sub(V a, V b) => (a.AsUInt64() - b.AsUInt64()).AsByte();
    [MethodImpl(Inline)] public static V I64x2Mul(V a, V b) => (a.AsUInt64() * b.AsUInt64()).AsByte();

    [MethodImpl(Inline)]
    public static V I8x16AddSatS(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.AddSaturate(a.AsSByte(), b.AsSByte()).AsByte();
        if (AdvSimd.IsSupported) return AdvSimd.AddSaturate(a.AsSByte(), b.AsSByte()).AsByte();
        return NarrowS16(Vector128.WidenLower(a.AsSByte()) + Vector128.WidenLower(b.AsSByte()),
            Vector128.WidenUpper(a.AsSByte()) + Vector128.WidenUpper(b.AsSByte()));
    }

    [MethodImpl(Inline)]
    public static V I8x16SubSatS(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.SubtractSaturate(a.AsSByte(), b.AsSByte()).AsByte();
        if (AdvSimd.IsSupported) return AdvSimd.SubtractSaturate(a.AsSByte(), b.AsSByte()).AsByte();
        return NarrowS16(Vector128.WidenLower(a.AsSByte()) - Vector128.WidenLower(b.AsSByte()),
            Vector128.WidenUpper(a.AsSByte()) - Vector128.WidenUpper(b.AsSByte()));
    }

    [MethodImpl(Inline)]
    public static V I16x8AddSatS(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.AddSaturate(a.AsInt16(), b.AsInt16()).AsByte();
        if (AdvSimd.IsSupported) return AdvSimd.AddSaturate(a.AsInt16(), b.AsInt16()).AsByte();
        return NarrowS32(Vector128.WidenLower(a.AsInt16()) + Vector128.WidenLower(b.AsInt16()),
            Vector128.WidenUpper(a.AsInt16()) + Vector128.WidenUpper(b.AsInt16()));
    }

    [MethodImpl(Inline)]
    public static V I16x8SubSatS(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.SubtractSaturate(a.AsInt16(), b.AsInt16()).AsByte();
        if (AdvSimd.IsSupported) return AdvSimd.SubtractSaturate(a.AsInt16(), b.AsInt16()).AsByte();
        return NarrowS32(Vector128.WidenLower(a.AsInt16()) - Vector128.WidenLower(b.AsInt16()),
            Vector128.WidenUpper(a.AsInt16()) - Vector128.WidenUpper(b.AsInt16()));
    }

    // Unsigned saturation: a wrapped sum below an operand overflowed; max(a, b) - b never underflows.
    [MethodImpl(Inline)] public static V I8x16AddSatU(V a, V b) { var s = a + b; return s | Vector128.LessThan(s, a); }
    [MethodImpl(Inline)] public static V I8x16SubSatU(V a, V b) => Vector128.Max(a, b) - b;
    [MethodImpl(Inline)] public static V I16x8AddSatU(V a, V b) { var s = a.AsUInt16() + b.AsUInt16(); return (s | Vector128.LessThan(s, a.AsUInt16())).AsByte(); }
    [MethodImpl(Inline)] public static V I16x8SubSatU(V a, V b) => (Vector128.Max(a.AsUInt16(), b.AsUInt16()) - b.AsUInt16()).AsByte();

    [MethodImpl(Inline)] public static V I8x16MinS(V a, V b) => Vector128.Min(a.AsSByte(), b.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I8x16MinU(V a, V b) => Vector128.Min(a, b);
    [MethodImpl(Inline)] public static V I8x16MaxS(V a, V b) => Vector128.Max(a.AsSByte(), b.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I8x16MaxU(V a, V b) => Vector128.Max(a, b);
    [MethodImpl(Inline)] public static V I16x8MinS(V a, V b) => Vector128.Min(a.AsInt16(), b.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8MinU(V a, V b) => Vector128.Min(a.AsUInt16(), b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8MaxS(V a, V b) => Vector128.Max(a.AsInt16(), b.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I16x8MaxU(V a, V b) => Vector128.Max(a.AsUInt16(), b.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I32x4MinS(V a, V b) => Vector128.Min(a.AsInt32(), b.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4MinU(V a, V b) => Vector128.Min(a.AsUInt32(), b.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4MaxS(V a, V b) => Vector128.Max(a.AsInt32(), b.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I32x4MaxU(V a, V b) => Vector128.Max(a.AsUInt32(), b.AsUInt32()).AsByte();

    /// <summary>Unsigned rounding average (a + b + 1) / 2 without overflow: (a | b) - ((a ^ b) &gt;&gt; 1).</summary>
    [MethodImpl(Inline)]
    public static V I8x16AvgrU(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.Average(a, b);
        return (a | b) - Vector128.ShiftRightLogical(a ^ b, 1);
    }

    [MethodImpl(Inline)]
    public static V I16x8AvgrU(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.Average(a.AsUInt16(), b.AsUInt16()).AsByte();
        var x = a.AsUInt16();
        var y = b.AsUInt16();
        return ((x | y) - Vector128.ShiftRightLogical(x ^ y, 1)).AsByte();
    }

    /// <summary>Q15 rounding multiply, saturated: (a*b + 2^14) &gt;&gt; 15; only -32768 * -32768 overflows.</summary>
    [MethodImpl(Inline)]
    public static V I16x8Q15mulrSatS(V a, V b)
    {
        var x = a.AsInt16();
        var y = b.AsInt16();
        if (Ssse3.IsSupported)
        {
            // pmulhrsw computes the same rounding but gives 0x8000 for the overflow; that result with equal
            // operands (a non-negative product) can only be the overflow.
            var r = Ssse3.MultiplyHighRoundScale(x, y);
            var overflow = Vector128.Equals(r, Vector128.Create(short.MinValue)) & Vector128.Equals(x, y);
            return (r ^ overflow).AsByte();
        }
        var round = Vector128.Create(0x4000);
        var low = Vector128.ShiftRightArithmetic(Vector128.WidenLower(x) * Vector128.WidenLower(y) + round, 15);
        var high = Vector128.ShiftRightArithmetic(Vector128.WidenUpper(x) * Vector128.WidenUpper(y) + round, 15);
        return NarrowS32(low, high);
    }

    [MethodImpl(Inline)]
    public static V I32x4DotI16x8S(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16()).AsByte();
        var x = a.AsInt32();
        var y = b.AsInt32();
        var even = Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 16), 16) * Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(y, 16), 16);
        var odd = Vector128.ShiftRightArithmetic(x, 16) * Vector128.ShiftRightArithmetic(y, 16);
        return (even + odd).AsByte();
    }

    // ------------------------------------------------------------------ narrowing, widening

    [MethodImpl(Inline)] private static Vector128<T> Clamp<T>(Vector128<T> x, T low, T high) where T : struct =>
        Vector128.Min(Vector128.Max(x, Vector128.Create(low)), Vector128.Create(high));

    [MethodImpl(Inline)] private static V NarrowS16(Vector128<short> low, Vector128<short> high) =>
        Vector128.Narrow(Clamp(low, (short)sbyte.MinValue, (short)sbyte.MaxValue), Clamp(high, (short)sbyte.MinValue, (short)sbyte.MaxValue)).AsByte();
    [MethodImpl(Inline)] private static V NarrowS32(Vector128<int> low, Vector128<int> high) =>
        Vector128.Narrow(Clamp(low, short.MinValue, short.MaxValue), Clamp(high, short.MinValue, short.MaxValue)).AsByte();

    [MethodImpl(Inline)]
    public static V I8x16NarrowI16x8S(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.PackSignedSaturate(a.AsInt16(), b.AsInt16()).AsByte();
        return NarrowS16(a.AsInt16(), b.AsInt16());
    }

    [MethodImpl(Inline)]
    public static V I8x16NarrowI16x8U(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.PackUnsignedSaturate(a.AsInt16(), b.AsInt16());
        return Vector128.Narrow(Clamp(a.AsInt16(), (short)0, (short)255).AsUInt16(), Clamp(b.AsInt16(), (short)0, (short)255).AsUInt16());
    }

    [MethodImpl(Inline)]
    public static V I16x8NarrowI32x4S(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.PackSignedSaturate(a.AsInt32(), b.AsInt32()).AsByte();
        return NarrowS32(a.AsInt32(), b.AsInt32());
    }

    [MethodImpl(Inline)]
    public static V I16x8NarrowI32x4U(V a, V b)
    {
        if (Sse41.IsSupported) return Sse41.PackUnsignedSaturate(a.AsInt32(), b.AsInt32()).AsByte();
        return Vector128.Narrow(Clamp(a.AsInt32(), 0, 65535).AsUInt32(), Clamp(b.AsInt32(), 0, 65535).AsUInt32()).AsByte();
    }

    [MethodImpl(Inline)] public static V I16x8ExtendLowI8x16S(V a) => Vector128.WidenLower(a.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I16x8ExtendHighI8x16S(V a) => Vector128.WidenUpper(a.AsSByte()).AsByte();
    [MethodImpl(Inline)] public static V I16x8ExtendLowI8x16U(V a) => Vector128.WidenLower(a).AsByte();
    [MethodImpl(Inline)] public static V I16x8ExtendHighI8x16U(V a) => Vector128.WidenUpper(a).AsByte();
    [MethodImpl(Inline)] public static V I32x4ExtendLowI16x8S(V a) => Vector128.WidenLower(a.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I32x4ExtendHighI16x8S(V a) => Vector128.WidenUpper(a.AsInt16()).AsByte();
    [MethodImpl(Inline)] public static V I32x4ExtendLowI16x8U(V a) => Vector128.WidenLower(a.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I32x4ExtendHighI16x8U(V a) => Vector128.WidenUpper(a.AsUInt16()).AsByte();
    [MethodImpl(Inline)] public static V I64x2ExtendLowI32x4S(V a) => Vector128.WidenLower(a.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I64x2ExtendHighI32x4S(V a) => Vector128.WidenUpper(a.AsInt32()).AsByte();
    [MethodImpl(Inline)] public static V I64x2ExtendLowI32x4U(V a) => Vector128.WidenLower(a.AsUInt32()).AsByte();
    [MethodImpl(Inline)] public static V I64x2ExtendHighI32x4U(V a) => Vector128.WidenUpper(a.AsUInt32()).AsByte();

    // Products of the widened lanes fit the wide lanes exactly.
    [MethodImpl(Inline)] public static V I16x8ExtmulLowI8x16S(V a, V b) => (Vector128.WidenLower(a.AsSByte()) * Vector128.WidenLower(b.AsSByte())).AsByte();
    [MethodImpl(Inline)] public static V I16x8ExtmulHighI8x16S(V a, V b) => (Vector128.WidenUpper(a.AsSByte()) * Vector128.WidenUpper(b.AsSByte())).AsByte();
    [MethodImpl(Inline)] public static V I16x8ExtmulLowI8x16U(V a, V b) => (Vector128.WidenLower(a) * Vector128.WidenLower(b)).AsByte();
    [MethodImpl(Inline)] public static V I16x8ExtmulHighI8x16U(V a, V b) => (Vector128.WidenUpper(a) * Vector128.WidenUpper(b)).AsByte();
    [MethodImpl(Inline)] public static V I32x4ExtmulLowI16x8S(V a, V b) => (Vector128.WidenLower(a.AsInt16()) * Vector128.WidenLower(b.AsInt16())).AsByte();
    [MethodImpl(Inline)] public static V I32x4ExtmulHighI16x8S(V a, V b) => (Vector128.WidenUpper(a.AsInt16()) * Vector128.WidenUpper(b.AsInt16())).AsByte();
    [MethodImpl(Inline)] public static V I32x4ExtmulLowI16x8U(V a, V b) => (Vector128.WidenLower(a.AsUInt16()) * Vector128.WidenLower(b.AsUInt16())).AsByte();
    [MethodImpl(Inline)] public static V I32x4ExtmulHighI16x8U(V a, V b) => (Vector128.WidenUpper(a.AsUInt16()) * Vector128.WidenUpper(b.AsUInt16())).AsByte();
    [MethodImpl(Inline)] public static V I64x2ExtmulLowI32x4S(V a, V b) => (Vector128.WidenLower(a.AsInt32()) * Vector128.WidenLower(b.AsInt32())).AsByte();
    [MethodImpl(Inline)] public static V I64x2ExtmulHighI32x4S(V a, V b) => (Vector128.WidenUpper(a.AsInt32()) * Vector128.WidenUpper(b.AsInt32())).AsByte();
    [MethodImpl(Inline)] public static V I64x2ExtmulLowI32x4U(V a, V b) => (Vector128.WidenLower(a.AsUInt32()) * Vector128.WidenLower(b.AsUInt32())).AsByte();
    [MethodImpl(Inline)] public static V I64x2ExtmulHighI32x4U(V a, V b) => (Vector128.WidenUpper(a.AsUInt32()) * Vector128.WidenUpper(b.AsUInt32())).AsByte();

    // Pairwise sums: the even lane of each pair, extended, plus the odd one.
    [MethodImpl(Inline)]
    public static V I16x8ExtaddPairwiseI8x16S(V a)
    {
        var x = a.AsInt16();
        return (Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 8), 8) + Vector128.ShiftRightArithmetic(x, 8)).AsByte();
    }

    [MethodImpl(Inline)]
    public static V I16x8ExtaddPairwiseI8x16U(V a)
    {
        var x = a.AsUInt16();
        return ((x & Vector128.Create((ushort)0xFF)) + Vector128.ShiftRightLogical(x, 8)).AsByte();
    }

    [MethodImpl(Inline)]
    public static V I32x4ExtaddPairwiseI16x8S(V a)
    {
        var x = a.AsInt32();
        return (Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 16), 16) + Vector128.ShiftRightArithmetic(x, 16)).AsByte();
    }

    [MethodImpl(Inline)]
    public static V I32x4ExtaddPairwiseI16x8U(V a)
    {
        var x = a.AsUInt32();
        return ((x & Vector128.Create(0xFFFFu)) + Vector128.ShiftRightLogical(x, 16)).AsByte();
    }

    // ------------------------------------------------------------------ floating point

    [MethodImpl(Inline)] public static V F32x4Abs(V a) => (a.AsUInt32() & Vector128.Create(0x7FFF_FFFFu)).AsByte();
    [MethodImpl(Inline)] public static V F32x4Neg(V a) => (a.AsUInt32() ^ Vector128.Create(0x8000_0000u)).AsByte();
    [MethodImpl(Inline)] public static V F64x2Abs(V a) => (a.AsUInt64() & Vector128.Create(0x7FFF_FFFF_FFFF_FFFFul)).AsByte();
    [MethodImpl(Inline)] public static V F64x2Neg(V a) => (a.AsUInt64() ^ Vector128.Create(0x8000_0000_0000_0000ul)).AsByte();
    [MethodImpl(Inline)] public static V F32x4Sqrt(V a) => Vector128.Sqrt(a.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Sqrt(V a) => Vector128.Sqrt(a.AsDouble()).AsByte();
    /// <summary>
    /// The same bits, but not a constant to the JIT (<see cref="WasmOps.OpaqueZero"/> or-ed into the low lane). RyuJIT folds
    /// <c>x * 1</c>, <c>1 * x</c>, <c>x / 1</c>, <c>x + -0</c>, <c>-0 + x</c>, <c>x - 0</c> to <c>x</c> and <c>x + NaN</c>
    /// (also -, *, /) to the NaN constant when an operand is a constant vector (a <c>v128.const</c> or a splat, also through
    /// locals or an inlined call): a signalling NaN stays signalling, where wasm requires a quiet (arithmetic) NaN. The
    /// compiler passes the operands of float arithmetic (add, sub, mul, div, min, max, relaxed madd/nmadd/min/max) that may
    /// be such constants through this (<c>FunctionCompiler.Simd.cs</c>, <c>HideFoldableOperands</c>).
    /// </summary>
    [MethodImpl(Inline)] public static V Opaque(V v) => v | Vector128.CreateScalar(WasmOps.OpaqueZero).AsByte();

    [MethodImpl(Inline)] public static V F32x4Add(V a, V b) => (a.AsSingle() + b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4Sub(V a, V b) => (a.AsSingle() - b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4Mul(V a, V b) => (a.AsSingle() * b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4Div(V a, V b) => (a.AsSingle() / b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Add(V a, V b) => (a.AsDouble() + b.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Sub(V a, V b) => (a.AsDouble() - b.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Mul(V a, V b) => (a.AsDouble() * b.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Div(V a, V b) => (a.AsDouble() / b.AsDouble()).AsByte();

    /// <summary>
    /// IEEE 754-2019 minimum / maximum as wasm defines them: a NaN operand gives a NaN (a + b, which quiets it), and
    /// -0 is below +0 (for equal operands, OR of the bits gives -0 for min, AND gives +0 for max).
    /// </summary>
    [MethodImpl(Inline)]
    private static Vector128<T> MinMax<T>(Vector128<T> a, Vector128<T> b, bool max) where T : struct
    {
        var aFirst = max ? Vector128.GreaterThan(a, b) : Vector128.LessThan(a, b);
        var bFirst = max ? Vector128.GreaterThan(b, a) : Vector128.LessThan(b, a);
        var equal = max ? a & b : a | b;
        var result = Vector128.ConditionalSelect(aFirst, a, Vector128.ConditionalSelect(bFirst, b, equal));
        var nan = ~(Vector128.Equals(a, a) & Vector128.Equals(b, b));
        return Vector128.ConditionalSelect(nan, a + b, result);
    }

    [MethodImpl(Inline)] public static V F32x4Min(V a, V b) => MinMax(a.AsSingle(), b.AsSingle(), max: false).AsByte();
    [MethodImpl(Inline)] public static V F32x4Max(V a, V b) => MinMax(a.AsSingle(), b.AsSingle(), max: true).AsByte();
    [MethodImpl(Inline)] public static V F64x2Min(V a, V b) => MinMax(a.AsDouble(), b.AsDouble(), max: false).AsByte();
    [MethodImpl(Inline)] public static V F64x2Max(V a, V b) => MinMax(a.AsDouble(), b.AsDouble(), max: true).AsByte();
    // Pseudo-min/max: b < a ? b : a and a < b ? b : a, exactly (NaN and ±0 give a).
    [MethodImpl(Inline)] public static V F32x4Pmin(V a, V b) => Vector128.ConditionalSelect(Vector128.LessThan(b.AsSingle(), a.AsSingle()), b.AsSingle(), a.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4Pmax(V a, V b) => Vector128.ConditionalSelect(Vector128.LessThan(a.AsSingle(), b.AsSingle()), b.AsSingle(), a.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Pmin(V a, V b) => Vector128.ConditionalSelect(Vector128.LessThan(b.AsDouble(), a.AsDouble()), b.AsDouble(), a.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2Pmax(V a, V b) => Vector128.ConditionalSelect(Vector128.LessThan(a.AsDouble(), b.AsDouble()), b.AsDouble(), a.AsDouble()).AsByte();

    /// <summary>Sets the quiet bit of NaN lanes (the scalar fallbacks of the roundings may keep a signalling NaN).</summary>
    [MethodImpl(Inline)]
    private static Vector128<float> Quiet(Vector128<float> x) =>
        (x.AsUInt32() | (~Vector128.Equals(x, x).AsUInt32() & Vector128.Create(0x0040_0000u))).AsSingle();

    [MethodImpl(Inline)]
    private static Vector128<double> Quiet(Vector128<double> x) =>
        (x.AsUInt64() | (~Vector128.Equals(x, x).AsUInt64() & Vector128.Create(0x0008_0000_0000_0000ul))).AsDouble();

    [MethodImpl(Inline)]
    public static V F32x4Ceil(V a)
    {
        if (Sse41.IsSupported) return Sse41.Ceiling(a.AsSingle()).AsByte();
        if (AdvSimd.IsSupported) return AdvSimd.Ceiling(a.AsSingle()).AsByte();
        return Quiet(Vector128.Ceiling(a.AsSingle())).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F32x4Floor(V a)
    {
        if (Sse41.IsSupported) return Sse41.Floor(a.AsSingle()).AsByte();
        if (AdvSimd.IsSupported) return AdvSimd.Floor(a.AsSingle()).AsByte();
        return Quiet(Vector128.Floor(a.AsSingle())).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F32x4Trunc(V a)
    {
        if (Sse41.IsSupported) return Sse41.RoundToZero(a.AsSingle()).AsByte();
        if (AdvSimd.IsSupported) return AdvSimd.RoundToZero(a.AsSingle()).AsByte();
        var x = a.AsSingle();
        return Quiet(Vector128.Create(MathF.Truncate(x[0]), MathF.Truncate(x[1]), MathF.Truncate(x[2]), MathF.Truncate(x[3]))).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F32x4Nearest(V a)
    {
        if (Sse41.IsSupported) return Sse41.RoundToNearestInteger(a.AsSingle()).AsByte();
        if (AdvSimd.IsSupported) return AdvSimd.RoundToNearest(a.AsSingle()).AsByte();
        var x = a.AsSingle();
        return Quiet(Vector128.Create(MathF.Round(x[0], MidpointRounding.ToEven), MathF.Round(x[1], MidpointRounding.ToEven),
            MathF.Round(x[2], MidpointRounding.ToEven), MathF.Round(x[3], MidpointRounding.ToEven))).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F64x2Ceil(V a)
    {
        if (Sse41.IsSupported) return Sse41.Ceiling(a.AsDouble()).AsByte();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.Ceiling(a.AsDouble()).AsByte();
        return Quiet(Vector128.Ceiling(a.AsDouble())).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F64x2Floor(V a)
    {
        if (Sse41.IsSupported) return Sse41.Floor(a.AsDouble()).AsByte();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.Floor(a.AsDouble()).AsByte();
        return Quiet(Vector128.Floor(a.AsDouble())).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F64x2Trunc(V a)
    {
        if (Sse41.IsSupported) return Sse41.RoundToZero(a.AsDouble()).AsByte();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.RoundToZero(a.AsDouble()).AsByte();
        var x = a.AsDouble();
        return Quiet(Vector128.Create(Math.Truncate(x[0]), Math.Truncate(x[1]))).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F64x2Nearest(V a)
    {
        if (Sse41.IsSupported) return Sse41.RoundToNearestInteger(a.AsDouble()).AsByte();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.RoundToNearest(a.AsDouble()).AsByte();
        var x = a.AsDouble();
        return Quiet(Vector128.Create(Math.Round(x[0], MidpointRounding.ToEven), Math.Round(x[1], MidpointRounding.ToEven))).AsByte();
    }

    // ------------------------------------------------------------------ conversions

    [MethodImpl(Inline)]
    public static V F32x4DemoteF64x2Zero(V a)
    {
        if (Sse2.IsSupported) return Sse2.ConvertToVector128Single(a.AsDouble()).AsByte();
        var x = a.AsDouble();
        return Vector128.Create((float)x[0], (float)x[1], 0f, 0f).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F64x2PromoteLowF32x4(V a)
    {
        if (Sse2.IsSupported) return Sse2.ConvertToVector128Double(a.AsSingle()).AsByte();
        var x = a.AsSingle();
        return Vector128.Create((double)x[0], (double)x[1]).AsByte();
    }

    [MethodImpl(Inline)] public static V F32x4ConvertI32x4S(V a) => Vector128.ConvertToSingle(a.AsInt32()).AsByte();

    /// <summary>u32 → f32 with one rounding: the high 16 bits (scaled, exact) plus the low 16 bits (exact).</summary>
    [MethodImpl(Inline)]
    public static V F32x4ConvertI32x4U(V a)
    {
        var x = a.AsInt32();
        var high = Vector128.ConvertToSingle(Vector128.ShiftRightLogical(x, 16)) * Vector128.Create(65536f);
        var low = Vector128.ConvertToSingle(x & Vector128.Create(0xFFFF));
        return (high + low).AsByte();
    }

    [MethodImpl(Inline)]
    public static V F64x2ConvertLowI32x4S(V a)
    {
        if (Sse2.IsSupported) return Sse2.ConvertToVector128Double(a.AsInt32()).AsByte();
        return Vector128.ConvertToDouble(Vector128.WidenLower(a.AsInt32())).AsByte();
    }

    [MethodImpl(Inline)] public static V F64x2ConvertLowI32x4U(V a) => Vector128.ConvertToDouble(Vector128.WidenLower(a.AsUInt32())).AsByte();

    /// <summary>f32 → i32, saturating; NaN → 0.</summary>
    [MethodImpl(Inline)]
    public static V I32x4TruncSatF32x4S(V a)
    {
        var x = a.AsSingle();
        var converted = Vector128.ConvertToInt32(x); // whatever it gives out of range is fixed below
        converted = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128.Create(2147483648f)).AsInt32(), Vector128.Create(int.MaxValue), converted);
        converted = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(-2147483648f)).AsInt32(), Vector128.Create(int.MinValue), converted);
        return (converted & Vector128.Equals(x, x).AsInt32()).AsByte();
    }

    /// <summary>f32 → u32, saturating; NaN and negatives → 0. Values from 2^31 are converted less 2^31, then 2^31 is added back.</summary>
    [MethodImpl(Inline)]
    public static V I32x4TruncSatF32x4U(V a)
    {
        var x = a.AsSingle();
        x = Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero); // NaN, -0 and negatives → 0
        var two31 = Vector128.Create(2147483648f);
        var big = Vector128.GreaterThanOrEqual(x, two31);
        var converted = Vector128.ConvertToInt32(Vector128.ConditionalSelect(big, x - two31, x));
        converted += big.AsInt32() & Vector128.Create(int.MinValue);
        converted = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128.Create(4294967296f)).AsInt32(), Vector128.Create(-1), converted);
        return converted.AsByte();
    }

    [MethodImpl(Inline)]
    public static V I32x4TruncSatF64x2SZero(V a)
    {
        var x = a.AsDouble();
        return Vector128.Create(WasmOps.I32TruncSatF64S(x[0]), WasmOps.I32TruncSatF64S(x[1]), 0, 0).AsByte();
    }

    [MethodImpl(Inline)]
    public static V I32x4TruncSatF64x2UZero(V a)
    {
        var x = a.AsDouble();
        return Vector128.Create(WasmOps.I32TruncSatF64U(x[0]), WasmOps.I32TruncSatF64U(x[1]), 0, 0).AsByte();
    }

    // ------------------------------------------------------------------ relaxed SIMD (deterministic choices, see the class summary)

    [MethodImpl(Inline)] public static V I8x16RelaxedSwizzle(V a, V s) => Swizzle(a, s);
    [MethodImpl(Inline)] public static V I32x4RelaxedTruncF32x4S(V a) => I32x4TruncSatF32x4S(a);
    [MethodImpl(Inline)] public static V I32x4RelaxedTruncF32x4U(V a) => I32x4TruncSatF32x4U(a);
    [MethodImpl(Inline)] public static V I32x4RelaxedTruncF64x2SZero(V a) => I32x4TruncSatF64x2SZero(a);
    [MethodImpl(Inline)] public static V I32x4RelaxedTruncF64x2UZero(V a) => I32x4TruncSatF64x2UZero(a);
    [MethodImpl(Inline)] public static V F32x4RelaxedMadd(V a, V b, V c) => (a.AsSingle() * b.AsSingle() + c.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F32x4RelaxedNmadd(V a, V b, V c) => (c.AsSingle() - a.AsSingle() * b.AsSingle()).AsByte();
    [MethodImpl(Inline)] public static V F64x2RelaxedMadd(V a, V b, V c) => (a.AsDouble() * b.AsDouble() + c.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V F64x2RelaxedNmadd(V a, V b, V c) => (c.AsDouble() - a.AsDouble() * b.AsDouble()).AsByte();
    [MethodImpl(Inline)] public static V I8x16RelaxedLaneselect(V a, V b, V m) => Vector128.ConditionalSelect(m, a, b);
    [MethodImpl(Inline)] public static V I16x8RelaxedLaneselect(V a, V b, V m) => Vector128.ConditionalSelect(m, a, b);
    [MethodImpl(Inline)] public static V I32x4RelaxedLaneselect(V a, V b, V m) => Vector128.ConditionalSelect(m, a, b);
    [MethodImpl(Inline)] public static V I64x2RelaxedLaneselect(V a, V b, V m) => Vector128.ConditionalSelect(m, a, b);
    [MethodImpl(Inline)] public static V F32x4RelaxedMin(V a, V b) => F32x4Min(a, b);
    [MethodImpl(Inline)] public static V F32x4RelaxedMax(V a, V b) => F32x4Max(a, b);
    [MethodImpl(Inline)] public static V F64x2RelaxedMin(V a, V b) => F64x2Min(a, b);
    [MethodImpl(Inline)] public static V F64x2RelaxedMax(V a, V b) => F64x2Max(a, b);
    [MethodImpl(Inline)] public static V I16x8RelaxedQ15mulrS(V a, V b) => I16x8Q15mulrSatS(a, b);

    [MethodImpl(Inline)]
    public static V I16x8RelaxedDotI8x16I7x16S(V a, V b)
    {
        var x = a.AsInt16();
        var y = b.AsInt16();
        var even = Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 8), 8) * Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(y, 8), 8);
        var odd = Vector128.ShiftRightArithmetic(x, 8) * Vector128.ShiftRightArithmetic(y, 8);
        return I16x8AddSatS(even.AsByte(), odd.AsByte());
    }

    [MethodImpl(Inline)]
    public static V I32x4RelaxedDotI8x16I7x16AddS(V a, V b, V c) =>
        (I32x4ExtaddPairwiseI16x8S(I16x8RelaxedDotI8x16I7x16S(a, b)).AsInt32() + c.AsInt32()).AsByte();
}
