using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>i8x16.shuffle (constant lane indices over two vectors) and i8x16.swizzle (out-of-range indices give 0).</summary>
public class SimdShuffleTests
{
    private static readonly Value Low = U8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    private static readonly Value High = U8(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);

    [Fact]
    public void ShuffleSelectsFromBothOperands()
    {
        // ops.wat: lanes 31 0 30 1 29 2 28 3 27 4 26 5 25 6 24 7
        Assert.Equal(new byte[] { 31, 0, 30, 1, 29, 2, 28, 3, 27, 4, 26, 5, 25, 6, 24, 7 }, Lanes<byte>(Call("i8x16.shuffle", Low, High)));
        Assert.Equal(new byte[] { 15, 16, 14, 17, 13, 18, 12, 19, 11, 20, 10, 21, 9, 22, 8, 23 }, Lanes<byte>(Call("i8x16.shuffle", High, Low)));
    }

    [Fact]
    public void SwizzleGivesZeroForIndicesFrom16()
    {
        var indices = U8(15, 0, 16, 255, 128, 0x70, 0x8F, 17, 1, 2, 3, 4, 5, 6, 7, 8);
        var expected = new byte[] { 25, 10, 0, 0, 0, 0, 0, 0, 11, 12, 13, 14, 15, 16, 17, 18 };
        var table = U8(10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25);
        Assert.Equal(expected, Lanes<byte>(Call("i8x16.swizzle", table, indices)));
        Assert.Equal(expected, Lanes<byte>(Call("i8x16.relaxed_swizzle", table, indices)));   // Strand's relaxed choice
    }

    [Fact]
    public void OperationsOnConstantsGiveTheSpecResultsWhenTheJitFoldsThem()
    {
        var instance = Load("constants");
        var f32 = Bits32(instance.Invoke("f32x4_fold").Single());
        Assert.True(IsQuietNaN32(f32[0]) && IsQuietNaN32(f32[1]), $"{f32[0]:x} {f32[1]:x}");
        Assert.Equal(new[] { B(0f), B(0f) }, f32[2..]);            // (+0 * 1) + -0 = +0
        var min = Bits64(instance.Invoke("f64x2_min_fold").Single());
        Assert.Equal(B(-0.0), min[0]);
        Assert.True(IsQuietNaN64(min[1]));
        Assert.Equal(new sbyte[] { 127, -128, 2, 0 }, Lanes<sbyte>(instance.Invoke("i8x16_add_sat_fold").Single())[..4]);
        Assert.Equal(new byte[] { 10, 25, 0, 0, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 }, Lanes<byte>(instance.Invoke("swizzle_fold").Single()));
        Assert.Equal(new[] { 0, int.MaxValue, int.MinValue, -1 }, Lanes<int>(instance.Invoke("trunc_sat_fold").Single()));
    }
}
