using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>
/// Relaxed SIMD: Strand's deterministic choices (documented on SimdOps and in docs/compiler.md), each one of the
/// results the proposal allows. Inputs are picked where the allowed results differ, so the choice is pinned down.
/// </summary>
public class SimdRelaxedTests
{
    [Fact]
    public void MaddAndNmaddRoundTheProductFirst()
    {
        // a*b = 1 - 2^-46 exactly: fused would give -2^-46 and 2^-46; unfused rounds the product to 1 first.
        var a = F32(1f + MathF.Pow(2, -23), 2f, float.NaN, 1f);
        var b = F32(1f - MathF.Pow(2, -23), 3f, 1f, float.PositiveInfinity);
        Assert.Equal(new[] { B(0f), B(7f) }, Bits32(Call("f32x4.relaxed_madd", a, b, F32(-1f, 1f, 0f, 0f)))[..2]);
        Assert.Equal(new[] { B(0f), B(-5f) }, Bits32(Call("f32x4.relaxed_nmadd", a, b, F32(1f, 1f, 0f, 0f)))[..2]);
        Assert.True(IsQuietNaN32(Bits32(Call("f32x4.relaxed_madd", a, b, F32(0, 0, 0, float.NegativeInfinity)))[3]));   // inf - inf
        var c = F64(1 + Math.Pow(2, -52), -2);
        var d = F64(1 - Math.Pow(2, -52), 4);
        Assert.Equal(new[] { B(0.0), B(-7.0) }, Bits64(Call("f64x2.relaxed_madd", c, d, F64(-1, 1))));
        Assert.Equal(new[] { B(0.0), B(9.0) }, Bits64(Call("f64x2.relaxed_nmadd", c, d, F64(1, 1))));
    }

    [Fact]
    public void TruncationSaturatesLikeTruncSat()
    {
        Assert.Equal(new[] { 0, int.MaxValue, int.MinValue, 3 }, Lanes<int>(Call("i32x4.relaxed_trunc_f32x4_s", F32(float.NaN, 1e10f, -1e10f, 3.9f))));
        Assert.Equal(new uint[] { 0, uint.MaxValue, 0, 3 }, Lanes<uint>(Call("i32x4.relaxed_trunc_f32x4_u", F32(float.NaN, 1e10f, -1f, 3.9f))));
        Assert.Equal(new[] { int.MinValue, 0, 0, 0 }, Lanes<int>(Call("i32x4.relaxed_trunc_f64x2_s_zero", F64(-1e10, double.NaN))));
        Assert.Equal(new uint[] { uint.MaxValue, 0, 0, 0 }, Lanes<uint>(Call("i32x4.relaxed_trunc_f64x2_u_zero", F64(1e10, -1))));
    }

    [Fact]
    public void LaneselectIsBitselectAndMinMaxAreTheStrictOnes()
    {
        // A mask lane that is not all ones or all zeros: bitwise selection.
        Assert.Equal(new uint[] { 0xAAAA_5555, 0, 0, 0 },
            Lanes<uint>(Call("i32x4.relaxed_laneselect", U32(0xFFFF_FFFF, 0, 0, 0), U32(0, 0, 0, 0), U32(0xAAAA_5555, 0, 0, 0))));
        Assert.Equal(new ushort[] { 0x00FF, 0, 0, 0, 0, 0, 0, 0 },
            Lanes<ushort>(Call("i16x8.relaxed_laneselect", U16(0xFFFF, 0, 0, 0, 0, 0, 0, 0), U16(0, 0, 0, 0, 0, 0, 0, 0), U16(0x00FF, 0, 0, 0, 0, 0, 0, 0))));
        Assert.Equal(new ulong[] { 0xF0, 1 },
            Lanes<ulong>(Call("i64x2.relaxed_laneselect", U64(0xFF, 0), U64(0, 1), U64(0xF0, 0))));
        var min = Bits32(Call("f32x4.relaxed_min", F32(0f, float.NaN, 1f, -0f), F32(-0f, 1f, float.NaN, 0f)));
        Assert.Equal(B(-0f), min[0]);
        Assert.True(IsQuietNaN32(min[1]) && IsQuietNaN32(min[2]));
        Assert.Equal(B(-0f), min[3]);
        var max = Bits32(Call("f32x4.relaxed_max", F32(0f, float.NaN, 1f, -0f), F32(-0f, 1f, float.NaN, 0f)));
        Assert.Equal(B(0f), max[0]);
        Assert.Equal(B(0f), max[3]);
        Assert.Equal(B(-0.0), Bits64(Call("f64x2.relaxed_min", F64(0.0, 1), F64(-0.0, 2)))[0]);
        Assert.Equal(B(0.0), Bits64(Call("f64x2.relaxed_max", F64(0.0, 1), F64(-0.0, 2)))[0]);
    }

    [Fact]
    public void Q15MulrSaturatesAndDotProductsUseSignedLanes()
    {
        Assert.Equal(new short[] { short.MaxValue, 1, 0, 0, 0, 0, 0, 0 },
            Lanes<short>(Call("i16x8.relaxed_q15mulr_s", I16(short.MinValue, 16384, 0, 0, 0, 0, 0, 0), I16(short.MinValue, 2, 0, 0, 0, 0, 0, 0))));
        // -128 * -128 twice = 32768: Strand treats the second operand as signed and saturates the pair sum.
        var a = I8(-128, -128, 127, 127, -128, -128, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0);
        var b = I8(-128, -128, 127, 127, 127, 127, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0);
        Assert.Equal(new short[] { short.MaxValue, 32258, -32512, 11, 0, 0, 0, 0 }, Lanes<short>(Call("i16x8.relaxed_dot_i8x16_i7x16_s", a, b)));
        Assert.Equal(new[] { 32767 + 32258 + 1, -32512 + 11 - 1, 5, 0 },
            Lanes<int>(Call("i32x4.relaxed_dot_i8x16_i7x16_add_s", a, b, I32(1, -1, 5, 0))));
    }
}
