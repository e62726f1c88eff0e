using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>Integer lane arithmetic: wrapping, saturating, min/max, averages, products and pairwise sums.</summary>
public class SimdIntegerArithmeticTests
{
    [Fact]
    public void AddSubAndMulWrapInEveryShape()
    {
        Assert.Equal(new sbyte[] { -128, 0, 2, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127 },
            Lanes<sbyte>(Call("i8x16.add", I8(127, -1, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1), I8(1, 1, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -128))));
        Assert.Equal(new short[] { short.MaxValue, -2, 0, 0, 0, 0, 0, 0 },
            Lanes<short>(Call("i16x8.sub", I16(short.MinValue, -1, 0, 0, 0, 0, 0, 0), I16(1, 1, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new short[] { 0, -2, 6, 0, 0, 0, 0, 0 },
            Lanes<short>(Call("i16x8.mul", I16(256, -1, 2, 0, 0, 0, 0, 0), I16(256, 2, 3, 0, 0, 0, 0, 0))));
        Assert.Equal(new[] { 0, -6, int.MinValue, 1 },
            Lanes<int>(Call("i32x4.mul", I32(65536, 2, 1 << 30, -1), I32(65536, -3, 2, -1))));
        Assert.Equal(new[] { long.MinValue, 0x0000_0001_0000_0000L * 3 },
            Lanes<long>(Call("i64x2.mul", I64(1L << 62, 0x1_0000_0000L), I64(2, 3))));
        Assert.Equal(new[] { long.MinValue, -1L }, Lanes<long>(Call("i64x2.add", I64(long.MaxValue, 0), I64(1, -1))));
        Assert.Equal(new uint[] { 0, uint.MaxValue, 5, 7 }, Lanes<uint>(Call("i32x4.sub", U32(1, 0, 10, 8), U32(1, 1, 5, 1))));
    }

    [Fact]
    public void SaturatingAddAndSubtractClampToTheLaneRange()
    {
        Assert.Equal(new sbyte[] { 127, -128, 3, -3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
            Lanes<sbyte>(Call("i8x16.add_sat_s", I8(100, -100, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), I8(100, -100, 2, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new byte[] { 255, 255, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
            Lanes<byte>(Call("i8x16.add_sat_u", U8(200, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), U8(100, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new sbyte[] { -128, 127, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
            Lanes<sbyte>(Call("i8x16.sub_sat_s", I8(-100, 100, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), I8(100, -100, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new byte[] { 0, 254, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
            Lanes<byte>(Call("i8x16.sub_sat_u", U8(1, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), U8(2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new short[] { short.MaxValue, short.MinValue, 0, 0, 0, 0, 0, 0 },
            Lanes<short>(Call("i16x8.add_sat_s", I16(30000, -30000, 1, 0, 0, 0, 0, 0), I16(30000, -30000, -1, 0, 0, 0, 0, 0))));
        Assert.Equal(new ushort[] { ushort.MaxValue, 0, 0, 0, 0, 0, 0, 0 },
            Lanes<ushort>(Call("i16x8.add_sat_u", U16(65000, 0, 0, 0, 0, 0, 0, 0), U16(1000, 0, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new short[] { short.MinValue, short.MaxValue, 0, 0, 0, 0, 0, 0 },
            Lanes<short>(Call("i16x8.sub_sat_s", I16(-30000, 30000, 0, 0, 0, 0, 0, 0), I16(30000, -30000, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new ushort[] { 0, 1, 0, 0, 0, 0, 0, 0 },
            Lanes<ushort>(Call("i16x8.sub_sat_u", U16(5, 65535, 0, 0, 0, 0, 0, 0), U16(6, 65534, 0, 0, 0, 0, 0, 0))));
    }

    [Fact]
    public void MinMaxAreSignedOrUnsignedAsNamed()
    {
        var a = I8(-1, 1, -128, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        var b = I8(1, -1, 127, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        Assert.Equal(new sbyte[] { -1, -1, -128, -128 }, Lanes<sbyte>(Call("i8x16.min_s", a, b))[..4]);
        Assert.Equal(new sbyte[] { 1, 1, 127, 127 }, Lanes<sbyte>(Call("i8x16.max_s", a, b))[..4]);
        Assert.Equal(new byte[] { 1, 1, 127, 127 }, Lanes<byte>(Call("i8x16.min_u", a, b))[..4]);
        Assert.Equal(new byte[] { 255, 255, 128, 128 }, Lanes<byte>(Call("i8x16.max_u", a, b))[..4]);
        Assert.Equal(new short[] { -2, 3, 0, 0, 0, 0, 0, 0 }, Lanes<short>(Call("i16x8.min_s", I16(-2, 3, 0, 0, 0, 0, 0, 0), I16(5, 4, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new ushort[] { 5, 65535, 0, 0, 0, 0, 0, 0 }, Lanes<ushort>(Call("i16x8.max_u", U16(5, 65535, 0, 0, 0, 0, 0, 0), U16(4, 1, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new ushort[] { 4, 1, 0, 0, 0, 0, 0, 0 }, Lanes<ushort>(Call("i16x8.min_u", U16(5, 65535, 0, 0, 0, 0, 0, 0), U16(4, 1, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new short[] { 5, 4, 0, 0, 0, 0, 0, 0 }, Lanes<short>(Call("i16x8.max_s", I16(5, -1, 0, 0, 0, 0, 0, 0), I16(4, 4, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new[] { int.MinValue, -1, 0, 0 }, Lanes<int>(Call("i32x4.min_s", I32(int.MinValue, -1, 0, 0), I32(int.MaxValue, 1, 0, 0))));
        Assert.Equal(new[] { int.MaxValue, 1, 0, 0 }, Lanes<int>(Call("i32x4.min_u", I32(int.MinValue, -1, 0, 0), I32(int.MaxValue, 1, 0, 0))));
        Assert.Equal(new[] { int.MaxValue, 1, 0, 0 }, Lanes<int>(Call("i32x4.max_s", I32(int.MinValue, -1, 0, 0), I32(int.MaxValue, 1, 0, 0))));
        Assert.Equal(new[] { int.MinValue, -1, 0, 0 }, Lanes<int>(Call("i32x4.max_u", I32(int.MinValue, -1, 0, 0), I32(int.MaxValue, 1, 0, 0))));
    }

    [Fact]
    public void AverageRoundsUpWithoutOverflow()
    {
        Assert.Equal(new byte[] { 255, 128, 1, 2 }, Lanes<byte>(Call("i8x16.avgr_u", U8(255, 255, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), U8(255, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))[..4]);
        Assert.Equal(new ushort[] { 65535, 32768, 1, 0, 0, 0, 0, 0 }, Lanes<ushort>(Call("i16x8.avgr_u", U16(65535, 65535, 1, 0, 0, 0, 0, 0), U16(65535, 0, 0, 0, 0, 0, 0, 0))));
    }

    [Fact]
    public void AbsAndNegWrapAtTheMinimum()
    {
        Assert.Equal(new sbyte[] { -128, 127, 1, 0 }, Lanes<sbyte>(Call("i8x16.abs", I8(-128, -127, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))[..4]);
        Assert.Equal(new sbyte[] { -128, 127, -1, 0 }, Lanes<sbyte>(Call("i8x16.neg", I8(-128, -127, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))[..4]);
        Assert.Equal(new short[] { short.MinValue, short.MaxValue, 5, 0, 0, 0, 0, 0 }, Lanes<short>(Call("i16x8.abs", I16(short.MinValue, -short.MaxValue, -5, 0, 0, 0, 0, 0))));
        Assert.Equal(new[] { int.MinValue, int.MaxValue, 7, 0 }, Lanes<int>(Call("i32x4.abs", I32(int.MinValue, -int.MaxValue, -7, 0))));
        Assert.Equal(new[] { int.MinValue, -int.MaxValue, 7, 0 }, Lanes<int>(Call("i32x4.neg", I32(int.MinValue, int.MaxValue, -7, 0))));
        Assert.Equal(new[] { long.MinValue, 9L }, Lanes<long>(Call("i64x2.abs", I64(long.MinValue, -9))));
        Assert.Equal(new[] { long.MinValue, -9L }, Lanes<long>(Call("i64x2.neg", I64(long.MinValue, 9))));
        Assert.Equal(new short[] { short.MinValue, 1, 0, 0, 0, 0, 0, 0 }, Lanes<short>(Call("i16x8.neg", I16(short.MinValue, -1, 0, 0, 0, 0, 0, 0))));
    }

    [Fact]
    public void PopcntCountsBitsPerByte()
    {
        Assert.Equal(new byte[] { 0, 1, 8, 4, 4, 2, 1, 7, 0, 0, 0, 0, 0, 0, 0, 1 },
            Lanes<byte>(Call("i8x16.popcnt", U8(0, 1, 255, 0x0F, 0xF0, 0x81, 0x80, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x10))));
    }

    [Fact]
    public void Q15MulrRoundsAndSaturatesOnlyTheOverflow()
    {
        Assert.Equal(new short[] { short.MaxValue, -32767, 16384, 0, 1, -1, 0, 0 },
            Lanes<short>(Call("i16x8.q15mulr_sat_s",
                I16(short.MinValue, short.MinValue, 16384, 1, 16384, -16384, 0, 0),
                I16(short.MinValue, short.MaxValue, short.MaxValue, 1, 2, 2, 0, 0))));
    }

    [Fact]
    public void DotProductAddsAdjacentProductsWrapping()
    {
        Assert.Equal(new[] { int.MinValue, 1 * 5 + 2 * 6, -3 * 7 + 4 * -8, 0 },
            Lanes<int>(Call("i32x4.dot_i16x8_s",
                I16(short.MinValue, short.MinValue, 1, 2, -3, 4, 0, 0),
                I16(short.MinValue, short.MinValue, 5, 6, 7, -8, 0, 0))));
    }

    [Fact]
    public void ExtendedMultiplicationUsesTheLowOrHighHalf()
    {
        var a = I8(-128, 2, 3, 4, 5, 6, 7, -1, 127, -128, 10, 11, 12, 13, 14, -2);
        var b = I8(-128, 3, 3, 4, 5, 6, 7, -1, 127, 127, 10, 11, 12, 13, 14, 2);
        Assert.Equal(new short[] { 16384, 6, 9, 16, 25, 36, 49, 1 }, Lanes<short>(Call("i16x8.extmul_low_i8x16_s", a, b)));
        Assert.Equal(new short[] { 16129, -16256, 100, 121, 144, 169, 196, -4 }, Lanes<short>(Call("i16x8.extmul_high_i8x16_s", a, b)));
        Assert.Equal(new ushort[] { 16384, 6, 9, 16, 25, 36, 49, 65025 }, Lanes<ushort>(Call("i16x8.extmul_low_i8x16_u", a, b)));
        Assert.Equal(new ushort[] { 16129, 16256, 100, 121, 144, 169, 196, 254 * 2 }, Lanes<ushort>(Call("i16x8.extmul_high_i8x16_u", a, b)));
        Assert.Equal(new[] { 1 << 30, -65534, 0, 0 }, Lanes<int>(Call("i32x4.extmul_low_i16x8_s", I16(short.MinValue, -2, 0, 0, 9, 9, 9, 9), I16(short.MinValue, short.MaxValue, 0, 0, 9, 9, 9, 9))));
        Assert.Equal(new uint[] { 65535u * 65535u, 0, 0, 0 }, Lanes<uint>(Call("i32x4.extmul_high_i16x8_u", U16(0, 0, 0, 0, 65535, 0, 0, 0), U16(0, 0, 0, 0, 65535, 0, 0, 0))));
        Assert.Equal(new[] { (long)int.MinValue * int.MinValue, -2L }, Lanes<long>(Call("i64x2.extmul_low_i32x4_s", I32(int.MinValue, -1, 0, 0), I32(int.MinValue, 2, 0, 0))));
        Assert.Equal(new[] { (ulong)uint.MaxValue * uint.MaxValue, 6UL }, Lanes<ulong>(Call("i64x2.extmul_high_i32x4_u", U32(0, 0, uint.MaxValue, 2), U32(0, 0, uint.MaxValue, 3))));
        Assert.Equal(new[] { -2L * 3, (long)int.MinValue * 2 }, Lanes<long>(Call("i64x2.extmul_high_i32x4_s", I32(0, 0, -2, int.MinValue), I32(0, 0, 3, 2))));
        Assert.Equal(new[] { (ulong)uint.MaxValue * 2, 0UL }, Lanes<ulong>(Call("i64x2.extmul_low_i32x4_u", U32(uint.MaxValue, 0, 9, 9), U32(2, 0, 9, 9))));
        Assert.Equal(new[] { -4, 4, 0, 0 }, Lanes<int>(Call("i32x4.extmul_high_i16x8_s", I16(0, 0, 0, 0, -2, 2, 0, 0), I16(0, 0, 0, 0, 2, 2, 0, 0))));
        Assert.Equal(new uint[] { 65535u * 2, 0, 0, 0 }, Lanes<uint>(Call("i32x4.extmul_low_i16x8_u", U16(65535, 0, 0, 0, 9, 9, 9, 9), U16(2, 0, 0, 0, 9, 9, 9, 9))));
    }

    [Fact]
    public void PairwiseAdditionWidensEachPair()
    {
        var a = I8(-128, -128, 127, 127, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        Assert.Equal(new short[] { -256, 254, 0, 0, 0, 0, 0, 0 }, Lanes<short>(Call("i16x8.extadd_pairwise_i8x16_s", a)));
        Assert.Equal(new ushort[] { 256, 254, 256, 0, 0, 0, 0, 0 }, Lanes<ushort>(Call("i16x8.extadd_pairwise_i8x16_u", a)));
        var b = I16(short.MinValue, short.MinValue, short.MaxValue, short.MaxValue, -1, 1, 0, 0);
        Assert.Equal(new[] { -65536, 65534, 0, 0 }, Lanes<int>(Call("i32x4.extadd_pairwise_i16x8_s", b)));
        Assert.Equal(new uint[] { 65536, 65534, 65536, 0 }, Lanes<uint>(Call("i32x4.extadd_pairwise_i16x8_u", b)));
    }
}
