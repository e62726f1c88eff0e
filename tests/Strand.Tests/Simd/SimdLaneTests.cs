using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>Splats, lane extraction (sign- or zero-extending) and replacement (ops.wat uses lane 1).</summary>
public class SimdLaneTests
{
    [Fact]
    public void SplatsRepeatTheScalarTruncatedToTheLane()
    {
        Assert.Equal(Enumerable.Repeat((byte)0x34, 16), Lanes<byte>(Call("i8x16.splat", Value.I32(0x1234))));
        Assert.Equal(Enumerable.Repeat(unchecked((short)0x8765), 8), Lanes<short>(Call("i16x8.splat", Value.I32(0x48765))));
        Assert.Equal(Enumerable.Repeat(-7, 4), Lanes<int>(Call("i32x4.splat", Value.I32(-7))));
        Assert.Equal(Enumerable.Repeat(long.MinValue, 2), Lanes<long>(Call("i64x2.splat", Value.I64(long.MinValue))));
        Assert.Equal(Enumerable.Repeat(SignallingNaN32, 4), Bits32(Call("f32x4.splat", Value.F32Bits(SignallingNaN32))));
        Assert.Equal(Enumerable.Repeat(B(-0.0), 2), Bits64(Call("f64x2.splat", Value.F64(-0.0))));
    }

    [Fact]
    public void ExtractLaneExtendsAsNamed()
    {
        var v = U8(0, 0xFF, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Assert.Equal(-1, Call("i8x16.extract_lane_s", v).AsI32);
        Assert.Equal(255, Call("i8x16.extract_lane_u", v).AsI32);
        var w = U16(0, 0x8001, 0, 0, 0, 0, 0, 0);
        Assert.Equal(-32767, Call("i16x8.extract_lane_s", w).AsI32);
        Assert.Equal(0x8001, Call("i16x8.extract_lane_u", w).AsI32);
        Assert.Equal(-2, Call("i32x4.extract_lane", I32(1, -2, 3, 4)).AsI32);
        Assert.Equal(long.MaxValue, Call("i64x2.extract_lane", I64(1, long.MaxValue)).AsI64);
        Assert.Equal(SignallingNaN32, (uint)Call("f32x4.extract_lane", U32(0, SignallingNaN32, 0, 0)).Bits);
        Assert.Equal(SignallingNaN64, Call("f64x2.extract_lane", U64(0, SignallingNaN64)).Bits);
    }

    [Fact]
    public void ReplaceLaneChangesOnlyThatLane()
    {
        Assert.Equal(new byte[] { 9, 0x78, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 },
            Lanes<byte>(Call("i8x16.replace_lane", U8(9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9), Value.I32(0x12345678))));
        Assert.Equal(new ushort[] { 1, 0x5678, 1, 1, 1, 1, 1, 1 }, Lanes<ushort>(Call("i16x8.replace_lane", U16(1, 1, 1, 1, 1, 1, 1, 1), Value.I32(0x12345678))));
        Assert.Equal(new[] { 1, -5, 3, 4 }, Lanes<int>(Call("i32x4.replace_lane", I32(1, 2, 3, 4), Value.I32(-5))));
        Assert.Equal(new[] { 1L, long.MinValue }, Lanes<long>(Call("i64x2.replace_lane", I64(1, 2), Value.I64(long.MinValue))));
        Assert.Equal(new[] { B(1f), SignallingNaN32, B(3f), B(4f) }, Bits32(Call("f32x4.replace_lane", F32(1, 2, 3, 4), Value.F32Bits(SignallingNaN32))));
        Assert.Equal(new[] { B(1.0), SignallingNaN64 }, Bits64(Call("f64x2.replace_lane", F64(1, 2), Value.F64Bits(SignallingNaN64))));
    }
}
