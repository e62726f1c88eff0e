using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>f32x4 and f64x2 arithmetic: NaN propagation (quiet results), ±0 in min/max, pseudo-min/max, rounding.</summary>
public class SimdFloatArithmeticTests
{
    [Fact]
    public void ArithmeticQuietsSignallingNaNsAndFollowsIeee()
    {
        var r = Bits32(Call("f32x4.mul", U32(SignallingNaN32, B(2f), B(float.PositiveInfinity), B(-0f)), F32(1f, 3f, 0f, 5f)));
        Assert.True(IsQuietNaN32(r[0]), $"{r[0]:x}");
        Assert.Equal(B(6f), r[1]);
        Assert.True(float.IsNaN(F32Bits(r[2])));               // inf * 0
        Assert.Equal(B(-0f), r[3]);
        r = Bits32(Call("f32x4.div", F32(1f, -1f, 0f, 1f), F32(0f, 0f, 0f, 3f)));
        Assert.Equal(new[] { B(float.PositiveInfinity), B(float.NegativeInfinity) }, r[..2]);
        Assert.True(float.IsNaN(F32Bits(r[2])));
        Assert.Equal(B(1f / 3f), r[3]);
        Assert.Equal(new[] { B(0f), B(-0f), B(3f), B(float.MaxValue) },
            Bits32(Call("f32x4.add", F32(-0f, -0f, 1f, float.MaxValue), F32(0f, -0f, 2f, 1f))));
        Assert.Equal(new[] { B(-0f), B(-2f), B(0.5f), B(0f) },
            Bits32(Call("f32x4.sub", F32(-0f, -1f, 1f, 1f), F32(0f, 1f, 0.5f, 1f))));
        var d = Bits64(Call("f64x2.add", U64(SignallingNaN64, B(0.1)), F64(1, 0.2)));
        Assert.True(IsQuietNaN64(d[0]), $"{d[0]:x}");
        Assert.Equal(B(0.1 + 0.2), d[1]);
        Assert.Equal(new[] { B(6.0), B(-0.0) }, Bits64(Call("f64x2.mul", F64(2, -0.0), F64(3, 7))));
        Assert.Equal(new[] { B(2.0), B(double.NegativeInfinity) }, Bits64(Call("f64x2.div", F64(6, -1), F64(3, 0))));
        Assert.Equal(new[] { B(-1.0), B(0.0) }, Bits64(Call("f64x2.sub", F64(1, -0.0), F64(2, -0.0))));
        Assert.Equal(new[] { B(3f), B(-0f), B(float.PositiveInfinity) }, Bits32(Call("f32x4.sqrt", F32(9f, -0f, float.PositiveInfinity, -1f)))[..3]);
        Assert.True(float.IsNaN(F32Bits(Bits32(Call("f32x4.sqrt", F32(9f, -0f, float.PositiveInfinity, -1f)))[3])));
        Assert.Equal(new[] { B(1.5), B(-0.0) }, Bits64(Call("f64x2.sqrt", F64(2.25, -0.0))));
    }

    [Fact]
    public void AbsAndNegOnlyTouchTheSignBitEvenOfNaNs()
    {
        Assert.Equal(new[] { SignallingNaN32, B(0f), B(1f), 0x7FC0_1234u },
            Bits32(Call("f32x4.abs", U32(SignallingNaN32 | 0x8000_0000, B(-0f), B(-1f), 0xFFC0_1234))));
        Assert.Equal(new[] { SignallingNaN32 | 0x8000_0000, B(0f), B(-1f), 0xFFC0_1234u },
            Bits32(Call("f32x4.neg", U32(SignallingNaN32, B(-0f), B(1f), 0x7FC0_1234))));
        Assert.Equal(new[] { SignallingNaN64, B(2.0) }, Bits64(Call("f64x2.abs", U64(SignallingNaN64 | 0x8000_0000_0000_0000, B(-2.0)))));
        Assert.Equal(new[] { SignallingNaN64 | 0x8000_0000_0000_0000, B(0.0) }, Bits64(Call("f64x2.neg", U64(SignallingNaN64, B(-0.0)))));
    }

    [Fact]
    public void MinAndMaxPropagateNaNAndOrderNegativeZeroBelowPositiveZero()
    {
        var a = F32(0f, -0f, float.NaN, 1f);
        var b = U32(B(-0f), B(0f), B(1f), SignallingNaN32);
        var min = Bits32(Call("f32x4.min", a, b));
        Assert.Equal(new[] { B(-0f), B(-0f) }, min[..2]);
        Assert.True(IsQuietNaN32(min[2]) && IsQuietNaN32(min[3]), string.Join(",", min.Select(x => x.ToString("x"))));
        var max = Bits32(Call("f32x4.max", a, b));
        Assert.Equal(new[] { B(0f), B(0f) }, max[..2]);
        Assert.True(IsQuietNaN32(max[2]) && IsQuietNaN32(max[3]));
        Assert.Equal(new[] { B(-1f), B(2f), B(-5f), B(0f) }, Bits32(Call("f32x4.min", F32(-1f, 2f, -5f, 0f), F32(3f, 5f, 7f, 0f))));
        Assert.Equal(new[] { B(3f), B(5f), B(7f), B(0f) }, Bits32(Call("f32x4.max", F32(-1f, 2f, -5f, 0f), F32(3f, 5f, 7f, 0f))));
        // The canonical NaN stays canonical.
        Assert.Equal(CanonicalNaN64, Bits64(Call("f64x2.min", U64(CanonicalNaN64, B(1.0)), F64(1, 2)))[0]);
        Assert.Equal(new[] { B(-0.0), B(-1.0) }, Bits64(Call("f64x2.min", F64(0.0, -1), F64(-0.0, 5))));
        Assert.Equal(new[] { B(0.0), B(5.0) }, Bits64(Call("f64x2.max", F64(0.0, -1), F64(-0.0, 5))));
        Assert.True(IsQuietNaN64(Bits64(Call("f64x2.max", U64(B(1.0), SignallingNaN64), F64(2, 0)))[1]));
    }

    [Fact]
    public void PseudoMinAndMaxReturnTheFirstOperandUnlessTheComparisonHolds()
    {
        // pmin(a, b) = b < a ? b : a; pmax(a, b) = a < b ? b : a
        var a = F32(0f, -0f, float.NaN, 1f);
        var b = F32(-0f, 0f, 1f, float.NaN);
        Assert.Equal(new[] { B(0f), B(-0f), B(float.NaN), B(1f) }, Bits32(Call("f32x4.pmin", a, b)));
        Assert.Equal(new[] { B(0f), B(-0f), B(float.NaN), B(1f) }, Bits32(Call("f32x4.pmax", a, b)));
        Assert.Equal(new[] { B(1f), B(3f) }, Bits32(Call("f32x4.pmin", F32(2f, 3f, 0, 0), F32(1f, 4f, 0, 0)))[..2]);
        Assert.Equal(new[] { B(2f), B(4f) }, Bits32(Call("f32x4.pmax", F32(2f, 3f, 0, 0), F32(1f, 4f, 0, 0)))[..2]);
        Assert.Equal(new[] { B(1.0), B(-0.0) }, Bits64(Call("f64x2.pmin", F64(2, -0.0), F64(1, 0.0))));
        Assert.Equal(new[] { B(2.0), B(-0.0) }, Bits64(Call("f64x2.pmax", F64(2, -0.0), F64(1, 0.0))));
    }

    [Fact]
    public void RoundingInstructionsKeepSignsAndRoundHalfToEven()
    {
        var x = F32(2.5f, -0.5f, -1.5f, 3.7f);
        Assert.Equal(new[] { B(3f), B(-0f), B(-1f), B(4f) }, Bits32(Call("f32x4.ceil", x)));
        Assert.Equal(new[] { B(2f), B(-1f), B(-2f), B(3f) }, Bits32(Call("f32x4.floor", x)));
        Assert.Equal(new[] { B(2f), B(-0f), B(-1f), B(3f) }, Bits32(Call("f32x4.trunc", x)));
        Assert.Equal(new[] { B(2f), B(-0f), B(-2f), B(4f) }, Bits32(Call("f32x4.nearest", x)));
        Assert.Equal(new[] { B(3.0), B(-0.0) }, Bits64(Call("f64x2.ceil", F64(2.5, -0.5))));
        Assert.Equal(new[] { B(2.0), B(-1.0) }, Bits64(Call("f64x2.floor", F64(2.5, -0.5))));
        Assert.Equal(new[] { B(2.0), B(-0.0) }, Bits64(Call("f64x2.trunc", F64(2.5, -0.5))));
        Assert.Equal(new[] { B(2.0), B(-4.0) }, Bits64(Call("f64x2.nearest", F64(2.5, -3.5))));
        Assert.True(IsQuietNaN32(Bits32(Call("f32x4.nearest", U32(SignallingNaN32, 0, 0, 0)))[0]));
        Assert.True(IsQuietNaN64(Bits64(Call("f64x2.floor", U64(SignallingNaN64, 0)))[0]));
    }
}
