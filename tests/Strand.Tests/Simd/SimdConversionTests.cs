using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>Narrowing (saturating), widening, float↔int conversions (saturating truncation, exact rounding), demote/promote.</summary>
public class SimdConversionTests
{
    [Fact]
    public void NarrowingSaturatesSignedOrUnsigned()
    {
        var a = I16(300, -300, 127, -128, 255, 256, -1, 0);
        var b = I16(1, 2, 3, 4, 5, 6, 7, short.MinValue);
        Assert.Equal(new sbyte[] { 127, -128, 127, -128, 127, 127, -1, 0, 1, 2, 3, 4, 5, 6, 7, -128 }, Lanes<sbyte>(Call("i8x16.narrow_i16x8_s", a, b)));
        Assert.Equal(new byte[] { 255, 0, 127, 0, 255, 255, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0 }, Lanes<byte>(Call("i8x16.narrow_i16x8_u", a, b)));
        var c = I32(70000, -70000, 65535, -1);
        var d = I32(32767, -32768, 32768, 0);
        Assert.Equal(new short[] { 32767, -32768, 32767, -1, 32767, -32768, 32767, 0 }, Lanes<short>(Call("i16x8.narrow_i32x4_s", c, d)));
        Assert.Equal(new ushort[] { 65535, 0, 65535, 0, 32767, 0, 32768, 0 }, Lanes<ushort>(Call("i16x8.narrow_i32x4_u", c, d)));
    }

    [Fact]
    public void ExtendingTakesTheLowOrHighHalf()
    {
        var a = I8(-1, 2, -128, 127, 0, 0, 0, 5, -2, 3, 0, 0, 0, 0, 0, -7);
        Assert.Equal(new short[] { -1, 2, -128, 127, 0, 0, 0, 5 }, Lanes<short>(Call("i16x8.extend_low_i8x16_s", a)));
        Assert.Equal(new short[] { -2, 3, 0, 0, 0, 0, 0, -7 }, Lanes<short>(Call("i16x8.extend_high_i8x16_s", a)));
        Assert.Equal(new short[] { 255, 2, 128, 127, 0, 0, 0, 5 }, Lanes<short>(Call("i16x8.extend_low_i8x16_u", a)));
        Assert.Equal(new short[] { 254, 3, 0, 0, 0, 0, 0, 249 }, Lanes<short>(Call("i16x8.extend_high_i8x16_u", a)));
        var b = I16(-1, 2, short.MinValue, 4, 5, -6, 7, short.MaxValue);
        Assert.Equal(new[] { -1, 2, -32768, 4 }, Lanes<int>(Call("i32x4.extend_low_i16x8_s", b)));
        Assert.Equal(new[] { 5, -6, 7, 32767 }, Lanes<int>(Call("i32x4.extend_high_i16x8_s", b)));
        Assert.Equal(new[] { 65535, 2, 32768, 4 }, Lanes<int>(Call("i32x4.extend_low_i16x8_u", b)));
        Assert.Equal(new[] { 5, 65530, 7, 32767 }, Lanes<int>(Call("i32x4.extend_high_i16x8_u", b)));
        var c = I32(-1, int.MinValue, 3, -4);
        Assert.Equal(new[] { -1L, int.MinValue }, Lanes<long>(Call("i64x2.extend_low_i32x4_s", c)));
        Assert.Equal(new[] { 3L, -4L }, Lanes<long>(Call("i64x2.extend_high_i32x4_s", c)));
        Assert.Equal(new[] { 0xFFFF_FFFFL, 0x8000_0000L }, Lanes<long>(Call("i64x2.extend_low_i32x4_u", c)));
        Assert.Equal(new[] { 3L, 0xFFFF_FFFCL }, Lanes<long>(Call("i64x2.extend_high_i32x4_u", c)));
    }

    [Fact]
    public void TruncationSaturatesAndMapsNaNToZero()
    {
        Assert.Equal(new[] { 0, int.MaxValue, int.MinValue, -1 }, Lanes<int>(Call("i32x4.trunc_sat_f32x4_s", F32(float.NaN, 3e9f, -3e9f, -1.9f))));
        Assert.Equal(new[] { int.MaxValue, int.MinValue, 2147483520, 0 }, Lanes<int>(Call("i32x4.trunc_sat_f32x4_s", F32(float.PositiveInfinity, float.NegativeInfinity, 2147483520f, -0.9f))));
        Assert.Equal(new uint[] { 0, uint.MaxValue, 0, 4294967040 }, Lanes<uint>(Call("i32x4.trunc_sat_f32x4_u", F32(float.NaN, 5e9f, -1f, 4294967040f))));
        Assert.Equal(new uint[] { 2147483648, 1, 0, uint.MaxValue }, Lanes<uint>(Call("i32x4.trunc_sat_f32x4_u", F32(2147483648f, 1.99f, -0.99f, float.PositiveInfinity))));
        Assert.Equal(new[] { int.MaxValue, -3, 0, 0 }, Lanes<int>(Call("i32x4.trunc_sat_f64x2_s_zero", F64(1e10, -3.99))));
        Assert.Equal(new[] { 0, int.MinValue, 0, 0 }, Lanes<int>(Call("i32x4.trunc_sat_f64x2_s_zero", F64(double.NaN, -1e300))));
        Assert.Equal(new uint[] { uint.MaxValue, 0, 0, 0 }, Lanes<uint>(Call("i32x4.trunc_sat_f64x2_u_zero", F64(4294967296.0, -5))));
        Assert.Equal(new uint[] { 4294967295, 0, 0, 0 }, Lanes<uint>(Call("i32x4.trunc_sat_f64x2_u_zero", F64(4294967295.9, double.NaN))));
    }

    [Fact]
    public void IntegerToFloatRoundsOnce()
    {
        Assert.Equal(new[] { B(-1f), B(2147483648f), B(16777216f), B(-2147483648f) }, Bits32(Call("f32x4.convert_i32x4_s", I32(-1, int.MaxValue, 16777217, int.MinValue))));
        // 0xFFFFFFFF rounds up to 2^32; 0x80000081 is just above a tie and rounds up; 16777217 ties to even.
        Assert.Equal(new[] { B(4294967296f), B(2147483904f), B(16777216f), B(2147483648f) },
            Bits32(Call("f32x4.convert_i32x4_u", U32(uint.MaxValue, 0x8000_0081, 16777217, 0x8000_0000))));
        Assert.Equal(new[] { B(-1.0), B((double)int.MinValue) }, Bits64(Call("f64x2.convert_low_i32x4_s", I32(-1, int.MinValue, 7, 7))));
        Assert.Equal(new[] { B(4294967295.0), B(2147483648.0) }, Bits64(Call("f64x2.convert_low_i32x4_u", U32(uint.MaxValue, 0x8000_0000, 7, 7))));
    }

    [Fact]
    public void DemoteAndPromoteUseTheLowLanes()
    {
        var demoted = Bits32(Call("f32x4.demote_f64x2_zero", F64(1e300, 0.1)));
        Assert.Equal(new[] { B(float.PositiveInfinity), B(0.1f), 0u, 0u }, demoted);
        Assert.True(IsQuietNaN32(Bits32(Call("f32x4.demote_f64x2_zero", U64(SignallingNaN64, 0)))[0]));
        Assert.Equal(new[] { B((double)0.1f), B(-0.0) }, Bits64(Call("f64x2.promote_low_f32x4", F32(0.1f, -0f, 9f, 9f))));
        Assert.True(IsQuietNaN64(Bits64(Call("f64x2.promote_low_f32x4", U32(SignallingNaN32, 0, 0, 0)))[0]));
    }
}
