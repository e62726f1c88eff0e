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
