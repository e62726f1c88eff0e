using Strand.Text;
using Xunit;

namespace Strand.Tests.Text;

public class LiteralTests
{
    private static uint F32(string text)
    {
        Assert.True(Literals.TryParseF32(text, out var bits, out bool outOfRange), text);
        Assert.False(outOfRange, text);
        return bits;
    }

    private static ulong F64(string text)
    {
        Assert.True(Literals.TryParseF64(text, out var bits, out bool outOfRange), text);
        Assert.False(outOfRange, text);
        return bits;
    }

    [Theory]
    [InlineData("0", 0u)]
    [InlineData("4294967295", 0xFFFFFFFFu)]
    [InlineData("-2147483648", 0x80000000u)]
    [InlineData("-1", 0xFFFFFFFFu)]
    [InlineData("+7", 7u)]
    [InlineData("0x7fff_ffff", 0x7FFFFFFFu)]
    [InlineData("1_000_000", 1000000u)]
    [InlineData("-0x80000000", 0x80000000u)]
    [InlineData("0000000000000000000000000000000001", 1u)]
    public void ParsesI32(string text, uint expected)
    {
        Assert.True(Literals.TryParseInt(text, 32, out var v, out bool oor));
        Assert.False(oor);
        Assert.Equal(expected, (uint)v);
    }

    [Theory]
    [InlineData("4294967296")]
    [InlineData("-2147483649")]
    [InlineData("0x1_0000_0000")]
    [InlineData("99999999999999999999999999999999999999999999999")]
    public void I32OutOfRange(string text)
    {
        Assert.True(Literals.TryParseInt(text, 32, out _, out bool oor));
        Assert.True(oor);
    }

    [Theory]
    [InlineData("0xffff_ffff_ffff_ffff", ulong.MaxValue)]
    [InlineData("-9223372036854775808", 0x8000000000000000UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void ParsesI64(string text, ulong expected)
    {
        Assert.True(Literals.TryParseInt(text, 64, out var v, out bool oor));
        Assert.False(oor);
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("_1")]
    [InlineData("1_")]
    [InlineData("1__0")]
    [InlineData("0x")]
    [InlineData("0x_1")]
    [InlineData("1x")]
    [InlineData("")]
    [InlineData("--1")]
    public void RejectsMalformedIntegers(string text) => Assert.False(Literals.TryParseInt(text, 32, out _, out _));

    [Theory]
    [InlineData("0x1.fp-3", 0.2421875)]
    [InlineData("0x1p0", 1.0)]
    [InlineData("0x0.8", 0.5)]
    [InlineData("0x1P+4", 16.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("1.5E-1", 0.15)]
    [InlineData("1_000.000_1", 1000.0001)]
    [InlineData("-0.0", -0.0)]
    [InlineData("12", 12.0)]
    [InlineData("0x10", 16.0)]
    public void ParsesF64Values(string text, double expected) =>
        Assert.Equal(BitConverter.DoubleToUInt64Bits(expected), F64(text));

    [Theory]
    [InlineData("0x1p-149", 0x00000001u)]              // smallest subnormal
    [InlineData("0x1p-150", 0x00000000u)]              // exactly half the smallest subnormal: ties to even (zero)
    [InlineData("0x1.8p-149", 0x00000002u)]            // 1.5 ulp: ties to even (2)
    [InlineData("0x1.fffffep127", 0x7F7FFFFFu)]        // largest finite
    [InlineData("0x1.fffffefffffffffffp127", 0x7F7FFFFFu)] // just below the rounding boundary
    [InlineData("0x1.000001p0", 0x3F800000u)]          // tie between 1 and next: to even
    [InlineData("0x1.000003p0", 0x3F800002u)]          // tie: to even (upward)
    [InlineData("0x1.0000010000000000001p0", 0x3F800001u)] // just above the tie
    [InlineData("0x1p-126", 0x00800000u)]              // smallest normal
    [InlineData("0x0.fffffffp-126", 0x00800000u)]      // subnormal rounding up into the normal range
    [InlineData("inf", 0x7F800000u)]
    [InlineData("-inf", 0xFF800000u)]
    [InlineData("nan", 0x7FC00000u)]
    [InlineData("-nan", 0xFFC00000u)]
    [InlineData("+nan:0x200000", 0x7FA00000u)]
    [InlineData("nan:0x1", 0x7F800001u)]
    [InlineData("-nan:0x7f_ffff", 0xFFFFFFFFu)]
    [InlineData("3.4028235e38", 0x7F7FFFFFu)]
    [InlineData("1e-45", 0x00000001u)]
    public void ParsesF32Bits(string text, uint expected) => Assert.Equal(expected, F32(text));

    [Theory]
    [InlineData("nan:0x8000000000000", 0x7FF8000000000000UL)]
    [InlineData("-nan:0x1", 0xFFF0000000000001UL)]
    [InlineData("0x1p-1074", 0x0000000000000001UL)]
    [InlineData("0x1.fffffffffffffp1023", 0x7FEFFFFFFFFFFFFFUL)]
    [InlineData("0x1.00000000000008p0", 0x3FF0000000000000UL)] // tie: to even
    [InlineData("0x1.00000000000018p0", 0x3FF0000000000002UL)]
    public void ParsesF64Bits(string text, ulong expected) => Assert.Equal(expected, F64(text));

    [Theory]
    [InlineData("nan:0x0")]
    [InlineData("nan:0x800000")]
    [InlineData("0x1p128")]
    [InlineData("0x1.ffffffp127")]   // rounds up to infinity
    [InlineData("1e39")]
    [InlineData("340282356779733661637539395458142568448")] // max + half ulp: ties to even = infinity
    public void F32OutOfRange(string text)
    {
        Assert.True(Literals.TryParseF32(text, out _, out bool oor), text);
        Assert.True(oor, text);
    }

    [Theory]
    [InlineData("1.")]
    [InlineData("0x1.")]
    [InlineData("1e+1")]
    [InlineData("0x1p-1")]
    public void AcceptsOptionalFractionDigits(string text) => Assert.True(Literals.TryParseF32(text, out _, out _), text);

    [Theory]
    [InlineData(".5")]
    [InlineData("0x.8")] // a hex float needs a digit before the point
    [InlineData("1e")]
    [InlineData("0x1p")]
    [InlineData("1_.0")]
    [InlineData("1._0")]
    [InlineData("0x1.0_p1")]
    [InlineData("nan:1")]
    [InlineData("infinity")]
    [InlineData("0xg")]
    public void RejectsMalformedFloats(string text) => Assert.False(Literals.TryParseF32(text, out _, out _), text);
}
