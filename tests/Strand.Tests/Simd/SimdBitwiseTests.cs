using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

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
