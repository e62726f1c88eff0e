using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>Comparisons (all-ones lanes for true; signed vs unsigned; ordered float compares) and bitwise operations.</summary>
public class SimdCompareTests
{
    private static int[] Mask(Value v) => Lanes<int>(v);

    [Fact]
    public void IntegerComparisonsDistinguishSignedAndUnsigned()
    {
        var a = I8(-1, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -128);
        var b = I8(1, -1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127);
        var ltS = Lanes<sbyte>(Call("i8x16.lt_s", a, b));
        Assert.Equal(new sbyte[] { -1, 0, 0 }, ltS[..3]);
        Assert.Equal(-1, ltS[15]);
        Assert.Equal(new sbyte[] { 0, -1, 0 }, Lanes<sbyte>(Call("i8x16.lt_u", a, b))[..3]);
        Assert.Equal(new sbyte[] { 0, -1, 0 }, Lanes<sbyte>(Call("i8x16.gt_s", a, b))[..3]);
        Assert.Equal(new sbyte[] { -1, 0, 0 }, Lanes<sbyte>(Call("i8x16.gt_u", a, b))[..3]);
        Assert.Equal(new sbyte[] { -1, 0, -1 }, Lanes<sbyte>(Call("i8x16.le_s", a, b))[..3]);
        Assert.Equal(new sbyte[] { 0, -1, -1 }, Lanes<sbyte>(Call("i8x16.le_u", a, b))[..3]);
        Assert.Equal(new sbyte[] { 0, -1, -1 }, Lanes<sbyte>(Call("i8x16.ge_s", a, b))[..3]);
        Assert.Equal(new sbyte[] { -1, 0, -1 }, Lanes<sbyte>(Call("i8x16.ge_u", a, b))[..3]);
        Assert.Equal(new sbyte[] { 0, 0, -1 }, Lanes<sbyte>(Call("i8x16.eq", a, b))[..3]);
        Assert.Equal(new sbyte[] { -1, -1, 0 }, Lanes<sbyte>(Call("i8x16.ne", a, b))[..3]);

        var c = I16(-1, 1, 7, short.MinValue, 0, 0, 0, 0);
        var d = I16(1, -1, 7, short.MaxValue, 0, 0, 0, 0);
        Assert.Equal(new short[] { -1, 0, 0, -1 }, Lanes<short>(Call("i16x8.lt_s", c, d))[..4]);
        Assert.Equal(new short[] { 0, -1, 0, 0 }, Lanes<short>(Call("i16x8.lt_u", c, d))[..4]);
        Assert.Equal(new short[] { 0, -1, 0, 0 }, Lanes<short>(Call("i16x8.gt_s", c, d))[..4]);
        Assert.Equal(new short[] { -1, 0, 0, -1 }, Lanes<short>(Call("i16x8.gt_u", c, d))[..4]);
        Assert.Equal(new short[] { -1, 0, -1, -1 }, Lanes<short>(Call("i16x8.le_s", c, d))[..4]);
        Assert.Equal(new short[] { 0, -1, -1, 0 }, Lanes<short>(Call("i16x8.le_u", c, d))[..4]);
        Assert.Equal(new short[] { 0, -1, -1, 0 }, Lanes<short>(Call("i16x8.ge_s", c, d))[..4]);
        Assert.Equal(new short[] { -1, 0, -1, -1 }, Lanes<short>(Call("i16x8.ge_u", c, d))[..4]);
        Assert.Equal(new short[] { 0, 0, -1, 0 }, Lanes<short>(Call("i16x8.eq", c, d))[..4]);
        Assert.Equal(new short[] { -1, -1, 0, -1 }, Lanes<short>(Call("i16x8.ne", c, d))[..4]);

        var e = I32(-1, 1, 7, int.MinValue);
        var f = I32(1, -1, 7, int.MaxValue);
        Assert.Equal(new[] { -1, 0, 0, -1 }, Mask(Call("i32x4.lt_s", e, f)));
        Assert.Equal(new[] { 0, -1, 0, 0 }, Mask(Call("i32x4.lt_u", e, f)));
        Assert.Equal(new[] { 0, -1, 0, 0 }, Mask(Call("i32x4.gt_s", e, f)));
        Assert.Equal(new[] { -1, 0, 0, -1 }, Mask(Call("i32x4.gt_u", e, f)));
        Assert.Equal(new[] { -1, 0, -1, -1 }, Mask(Call("i32x4.le_s", e, f)));
        Assert.Equal(new[] { 0, -1, -1, 0 }, Mask(Call("i32x4.le_u", e, f)));
        Assert.Equal(new[] { 0, -1, -1, 0 }, Mask(Call("i32x4.ge_s", e, f)));
        Assert.Equal(new[] { -1, 0, -1, -1 }, Mask(Call("i32x4.ge_u", e, f)));
        Assert.Equal(new[] { 0, 0, -1, 0 }, Mask(Call("i32x4.eq", e, f)));
        Assert.Equal(new[] { -1, -1, 0, -1 }, Mask(Call("i32x4.ne", e, f)));

        var g = I64(long.MinValue, 3);
        var h = I64(long.MaxValue, 3);
        Assert.Equal(new[] { -1L, 0 }, Lanes<long>(Call("i64x2.lt_s", g, h)));
        Assert.Equal(new[] { 0L, 0 }, Lanes<long>(Call("i64x2.gt_s", g, h)));
        Assert.Equal(new[] { -1L, -1 }, Lanes<long>(Call("i64x2.le_s", g, h)));
        Assert.Equal(new[] { 0L, -1 }, Lanes<long>(Call("i64x2.ge_s", g, h)));
        Assert.Equal(new[] { 0L, -1 }, Lanes<long>(Call("i64x2.eq", g, h)));
        Assert.Equal(new[] { -1L, 0 }, Lanes<long>(Call("i64x2.ne", g, h)));
    }

    [Fact]
    public void FloatComparisonsAreOrderedExceptNe()
    {
        var a = F32(float.NaN, -0f, 1f, 2f);
        var b = F32(float.NaN, 0f, 2f, 1f);
        Assert.Equal(new[] { 0, -1, 0, 0 }, Mask(Call("f32x4.eq", a, b)));
        Assert.Equal(new[] { -1, 0, -1, -1 }, Mask(Call("f32x4.ne", a, b)));
        Assert.Equal(new[] { 0, 0, -1, 0 }, Mask(Call("f32x4.lt", a, b)));
        Assert.Equal(new[] { 0, 0, 0, -1 }, Mask(Call("f32x4.gt", a, b)));
        Assert.Equal(new[] { 0, -1, -1, 0 }, Mask(Call("f32x4.le", a, b)));
        Assert.Equal(new[] { 0, -1, 0, -1 }, Mask(Call("f32x4.ge", a, b)));
        var c = F64(double.NaN, -0.0);
        var d = F64(1, 0.0);
        Assert.Equal(new[] { 0L, -1 }, Lanes<long>(Call("f64x2.eq", c, d)));
        Assert.Equal(new[] { -1L, 0 }, Lanes<long>(Call("f64x2.ne", c, d)));
        Assert.Equal(new[] { 0L, 0 }, Lanes<long>(Call("f64x2.lt", c, d)));
        Assert.Equal(new[] { 0L, 0 }, Lanes<long>(Call("f64x2.gt", c, d)));
        Assert.Equal(new[] { 0L, -1 }, Lanes<long>(Call("f64x2.le", c, d)));
        Assert.Equal(new[] { 0L, -1 }, Lanes<long>(Call("f64x2.ge", c, d)));
    }
}

/// <summary>Bitwise operations, bitselect and the boolean reductions (any_true, all_true, bitmask).</summary>
public class SimdBitwiseTests
{
    [Fact]
    public void BitwiseOperationsWorkOnAll128Bits()
    {
        var a = U64(0xFF00_FF00_1234_5678, 0x0F0F_0F0F_F0F0_F0F0);
        var b = U64(0xF0F0_F0F0_FFFF_0000, 0xFFFF_0000_0000_FFFF);
        Assert.Equal(new ulong[] { 0x00FF_00FF_EDCB_A987, 0xF0F0_F0F0_0F0F_0F0F }, Lanes<ulong>(Call("v128.not", a)));
        Assert.Equal(new ulong[] { 0xF000_F000_1234_0000, 0x0F0F_0000_0000_F0F0 }, Lanes<ulong>(Call("v128.and", a, b)));
        Assert.Equal(new ulong[] { 0x0F00_0F00_0000_5678, 0x0000_0F0F_F0F0_0000 }, Lanes<ulong>(Call("v128.andnot", a, b)));
        Assert.Equal(new ulong[] { 0xFFF0_FFF0_FFFF_5678, 0xFFFF_0F0F_F0F0_FFFF }, Lanes<ulong>(Call("v128.or", a, b)));
        Assert.Equal(new ulong[] { 0x0FF0_0FF0_EDCB_5678, 0xF0F0_0F0F_F0F0_0F0F }, Lanes<ulong>(Call("v128.xor", a, b)));
        // bitselect(a, b, c): bits of a where c is 1, of b where c is 0.
        Assert.Equal(new ulong[] { 0xFF00_FF00_FFFF_0000, 0x0F0F_0F0F_0000_FFFF },
            Lanes<ulong>(Call("v128.bitselect", a, b, U64(0xFFFF_FFFF_0000_0000, 0xFFFF_FFFF_0000_0000))));
        Assert.Equal(new ulong[] { 0x1234_5678_9ABC_DEF0, 0 }, Lanes<ulong>(Call("i8x16.relaxed_laneselect", U64(0x1234_5678_9ABC_DEF0, 0), U64(0, 0), U64(ulong.MaxValue, 0))));
    }

    [Fact]
    public void ReductionsTestEveryLane()
    {
        Assert.Equal(0, Call("v128.any_true", U64(0, 0)).AsI32);
        Assert.Equal(1, Call("v128.any_true", U64(0, 1UL << 63)).AsI32);
        Assert.Equal(1, Call("i8x16.all_true", U8(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 128)).AsI32);
        Assert.Equal(0, Call("i8x16.all_true", U8(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0)).AsI32);
        Assert.Equal(0, Call("i16x8.all_true", U16(1, 1, 1, 1, 1, 1, 0, 1)).AsI32);
        Assert.Equal(1, Call("i16x8.all_true", U16(0x100, 1, 1, 1, 1, 1, 1, 1)).AsI32);
        Assert.Equal(0, Call("i32x4.all_true", U32(0x100, 0, 1, 1)).AsI32);
        Assert.Equal(1, Call("i32x4.all_true", U32(0x100_0000, 1, 1, 1)).AsI32);
        Assert.Equal(0, Call("i64x2.all_true", U64(1UL << 40, 0)).AsI32);
        Assert.Equal(1, Call("i64x2.all_true", U64(1UL << 40, 1)).AsI32);
        Assert.Equal(0b1000_0000_0000_0101, Call("i8x16.bitmask", I8(-1, 1, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2)).AsI32);
        Assert.Equal(0b1000_0011, Call("i16x8.bitmask", I16(-1, short.MinValue, 1, 0, 0, 0, 0, -5)).AsI32);
        Assert.Equal(0b1010, Call("i32x4.bitmask", I32(1, -1, int.MaxValue, int.MinValue)).AsI32);
        Assert.Equal(0b01, Call("i64x2.bitmask", I64(-1, long.MaxValue)).AsI32);
    }
}

/// <summary>Shifts: the count is taken modulo the lane width; right shifts are arithmetic or logical as named.</summary>
public class SimdShiftTests
{
    [Fact]
    public void CountsAreModuloTheLaneWidth()
    {
        var bytes = I8(-128, 64, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        Assert.Equal(new sbyte[] { 0, -128, 2, -2 }, Lanes<sbyte>(Call("i8x16.shl", bytes, Value.I32(9)))[..4]);      // 9 mod 8 = 1
        Assert.Equal(new sbyte[] { -1, 0, 0, -1 }, Lanes<sbyte>(Call("i8x16.shr_s", bytes, Value.I32(-1)))[..4]);    // -1 mod 8 = 7
        Assert.Equal(new sbyte[] { 1, 0, 0, 1 }, Lanes<sbyte>(Call("i8x16.shr_u", bytes, Value.I32(15)))[..4]);
        Assert.Equal(new sbyte[] { -128, 64, 1, -1 }, Lanes<sbyte>(Call("i8x16.shl", bytes, Value.I32(8)))[..4]);     // 8 mod 8 = 0
        var shorts = I16(short.MinValue, 0x4000, 1, -1, 0, 0, 0, 0);
        Assert.Equal(new short[] { 0, short.MinValue, 2, -2 }, Lanes<short>(Call("i16x8.shl", shorts, Value.I32(17)))[..4]);
        Assert.Equal(new short[] { -16384, 0x2000, 0, -1 }, Lanes<short>(Call("i16x8.shr_s", shorts, Value.I32(1)))[..4]);
        Assert.Equal(new short[] { 0x4000, 0x2000, 0, 0x7FFF }, Lanes<short>(Call("i16x8.shr_u", shorts, Value.I32(33)))[..4]);
        var ints = I32(int.MinValue, 1, -8, 0x40000000);
        Assert.Equal(new[] { 0, 2, -16, int.MinValue }, Lanes<int>(Call("i32x4.shl", ints, Value.I32(33))));
        Assert.Equal(new[] { -1, 0, -1, 0 }, Lanes<int>(Call("i32x4.shr_s", ints, Value.I32(31))));
        Assert.Equal(new[] { int.MinValue, 1, -8, 0x40000000 }, Lanes<int>(Call("i32x4.shr_u", ints, Value.I32(32))));
        Assert.Equal(new[] { 0x8000, 0, 0xFFFF, 0x4000 }, Lanes<int>(Call("i32x4.shr_u", ints, Value.I32(16))));
        var longs = I64(long.MinValue, -2);
        Assert.Equal(new[] { long.MinValue, -2L }, Lanes<long>(Call("i64x2.shl", longs, Value.I32(64))));
        Assert.Equal(new[] { 0L, -4L }, Lanes<long>(Call("i64x2.shl", longs, Value.I32(65))));
        Assert.Equal(new[] { -1L, -1L }, Lanes<long>(Call("i64x2.shr_s", longs, Value.I32(63))));
        Assert.Equal(new[] { 1L, 1L }, Lanes<long>(Call("i64x2.shr_u", longs, Value.I32(127))));
    }
}
