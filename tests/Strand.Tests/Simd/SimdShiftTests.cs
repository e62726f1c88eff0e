using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

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
