using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

public class FloatTests
{
    private const uint SignallingNaN32 = 0x7FA00000;
    private const ulong SignallingNaN64 = 0x7FF4000000000000;

    private static uint F32Bits(string op, uint a, uint b) =>
        (uint)Eval("(param f32 f32) (result f32)", $"({op} (local.get 0) (local.get 1))", Value.F32Bits(a), Value.F32Bits(b)).Bits;

    private static uint F32Unary(string op, uint a) =>
        (uint)Eval("(param f32) (result f32)", $"({op} (local.get 0))", Value.F32Bits(a)).Bits;

    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    [Theory]
    [InlineData("f32.add", 1.5f, 2.25f, 3.75f)]
    [InlineData("f32.sub", 1.0f, 3.0f, -2.0f)]
    [InlineData("f32.mul", 1.5f, -2.0f, -3.0f)]
    [InlineData("f32.div", 1.0f, 3.0f, 1.0f / 3.0f)]
    [InlineData("f32.copysign", 2.0f, -0.0f, -2.0f)]
    public void F32Arithmetic(string op, float a, float b, float expected) => Assert.Equal(Bits(expected), F32Bits(op, Bits(a), Bits(b)));

    [Fact]
    public void F32ArithmeticStaysSinglePrecision()
    {
        // 16777216 + 1 is not representable in f32 (rounds back to 16777216); in f64 it would be exact.
        Assert.Equal(Bits(16777216f), F32Bits("f32.add", Bits(16777216f), Bits(1f)));
    }

    [Fact]
    public void MinMaxFollowIeee()
    {
        Assert.Equal(Bits(-0.0f), F32Bits("f32.min", Bits(0.0f), Bits(-0.0f)));
        Assert.Equal(Bits(0.0f), F32Bits("f32.max", Bits(-0.0f), Bits(0.0f)));
        uint nan = F32Bits("f32.min", Bits(1f), SignallingNaN32);
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle(nan)));
        Assert.Equal(0x00400000u, nan & 0x00400000u); // quiet (arithmetic) NaN
        Assert.Equal(BitConverter.DoubleToUInt64Bits(-0.0),
            Eval("(param f64 f64) (result f64)", "(f64.min (local.get 0) (local.get 1))", Value.F64(0.0), Value.F64(-0.0)).Bits);
    }

    [Fact]
    public void SignOperationsKeepNaNPayloads()
    {
        Assert.Equal(SignallingNaN32 | 0x80000000, F32Unary("f32.neg", SignallingNaN32));
        Assert.Equal(SignallingNaN32, F32Unary("f32.abs", SignallingNaN32 | 0x80000000));
        Assert.Equal(SignallingNaN32 | 0x80000000, F32Bits("f32.copysign", SignallingNaN32, Bits(-1f)));
        Assert.Equal(SignallingNaN64 | 0x8000000000000000,
            Eval("(param f64) (result f64)", "(f64.neg (local.get 0))", Value.F64Bits(SignallingNaN64)).Bits);
    }

    [Fact]
    public void ArithmeticOnSignallingNaNQuietsIt()
    {
        // x * 1.0 and x - 0.0 must not be folded away: the result must be a quiet NaN.
        var mul = (uint)Eval("(param f32) (result f32)", "(f32.mul (local.get 0) (f32.const 1))", Value.F32Bits(SignallingNaN32)).Bits;
        var sub = Eval("(param f64) (result f64)", "(f64.sub (f64.const -0) (local.get 0))", Value.F64Bits(SignallingNaN64)).Bits;
        var roundTrip = (uint)Eval("(param f32) (result f32)", "(f32.demote_f64 (f64.promote_f32 (local.get 0)))", Value.F32Bits(SignallingNaN32)).Bits;
        Assert.Equal(0x7FC00000u, mul & 0x7FC00000u);
        Assert.Equal(0x7FF8000000000000ul, sub & 0x7FF8000000000000ul);
        Assert.Equal(0x7FC00000u, roundTrip & 0x7FC00000u);
    }

    [Fact]
    public void ConstantsKeepSignallingNaNBits()
    {
        Assert.Equal(SignallingNaN32 | 0x1234, (uint)Eval("(result f32)", "(f32.const nan:0x201234)").Bits);
        Assert.Equal(0xFFF4000000000001, Eval("(result f64)", "(f64.const -nan:0x4000000000001)").Bits);
        Assert.Equal(unchecked((int)(SignallingNaN32 | 0x1234)), Eval("(result i32)", "(i32.reinterpret_f32 (f32.const nan:0x201234))").AsI32);
    }

    [Theory]
    [InlineData("f32.nearest", 2.5f, 2.0f)]
    [InlineData("f32.nearest", 3.5f, 4.0f)]
    [InlineData("f32.nearest", -0.5f, -0.0f)]
    [InlineData("f32.ceil", -0.5f, -0.0f)]
    [InlineData("f32.floor", -0.5f, -1.0f)]
    [InlineData("f32.trunc", -1.5f, -1.0f)]
    [InlineData("f32.sqrt", 2.25f, 1.5f)]
    public void Rounding(string op, float a, float expected) => Assert.Equal(Bits(expected), F32Unary(op, Bits(a)));

    [Fact]
    public void Comparisons()
    {
        uint nan = 0x7FC00000;
        Assert.Equal(0, Eval("(param f32 f32) (result i32)", "(f32.eq (local.get 0) (local.get 1))", Value.F32Bits(nan), Value.F32Bits(nan)).AsI32);
        Assert.Equal(1, Eval("(param f32 f32) (result i32)", "(f32.ne (local.get 0) (local.get 1))", Value.F32Bits(nan), Value.F32Bits(nan)).AsI32);
        Assert.Equal(0, Eval("(param f32 f32) (result i32)", "(f32.le (local.get 0) (local.get 1))", Value.F32Bits(nan), Value.F32(1)).AsI32);
        Assert.Equal(0, Eval("(param f64 f64) (result i32)", "(f64.ge (local.get 0) (local.get 1))", Value.F64(1), Value.F64Bits(0x7FF8000000000000)).AsI32);
        Assert.Equal(1, Eval("(param f64 f64) (result i32)", "(f64.le (local.get 0) (local.get 1))", Value.F64(-0.0), Value.F64(0.0)).AsI32);
    }

    [Theory]
    [InlineData("i32.trunc_f32_s", float.NaN, "invalid conversion to integer")]
    [InlineData("i32.trunc_f32_s", 2147483648f, "integer overflow")]
    [InlineData("i32.trunc_f32_u", -1f, "integer overflow")]
    public void TrappingTruncation(string op, float input, string message) =>
        Assert.Equal(message, Assert.Throws<TrapException>(() => Eval("(param f32) (result i32)", $"({op} (local.get 0))", Value.F32(input))).Message);

    [Theory]
    [InlineData("i32.trunc_f64_s", -2147483648.9, int.MinValue)]
    [InlineData("i32.trunc_f64_u", 4294967295.9, -1)]
    [InlineData("i32.trunc_sat_f64_s", 1e10, int.MaxValue)]
    [InlineData("i32.trunc_sat_f64_s", -1e10, int.MinValue)]
    [InlineData("i32.trunc_sat_f64_u", -5.0, 0)]
    [InlineData("i32.trunc_sat_f64_u", double.NaN, 0)]
    [InlineData("i32.trunc_sat_f64_u", 1e10, -1)]
    public void TruncationToI32(string op, double input, int expected) =>
        Assert.Equal(expected, Eval("(param f64) (result i32)", $"({op} (local.get 0))", Value.F64(input)).AsI32);

    [Theory]
    [InlineData("i64.trunc_f64_u", 18446744073709549568.0, -2048L)]
    [InlineData("i64.trunc_sat_f64_s", 1e300, long.MaxValue)]
    [InlineData("i64.trunc_sat_f64_u", 1e300, -1L)]
    [InlineData("i64.trunc_f64_s", -9223372036854775808.0, long.MinValue)]
    public void TruncationToI64(string op, double input, long expected) =>
        Assert.Equal(expected, Eval("(param f64) (result i64)", $"({op} (local.get 0))", Value.F64(input)).AsI64);

    [Fact]
    public void UnsignedConversionsRoundOnce()
    {
        // 0x8000_0080_0000_0001 -> f32 must round up (to 2^63 + 2^40); converting via f64 first would round to even (down).
        float expected = BitConverter.UInt32BitsToSingle(0x5F000001);
        Assert.Equal(expected, Eval("(param i64) (result f32)", "(f32.convert_i64_u (local.get 0))", Value.I64(unchecked((long)0x8000008000000001))).AsF32);
        Assert.Equal(4294967295.0, Eval("(param i32) (result f64)", "(f64.convert_i32_u (local.get 0))", Value.I32(-1)).AsF64);
        Assert.Equal(18446744073709551616.0, Eval("(param i64) (result f64)", "(f64.convert_i64_u (local.get 0))", Value.I64(-1)).AsF64);
        Assert.Equal(4294967296f, Eval("(param i32) (result f32)", "(f32.convert_i32_u (local.get 0))", Value.I32(-1)).AsF32);
    }

    [Fact]
    public void ReinterpretIsBitExact()
    {
        Assert.Equal(0x7FA00001L, Eval("(param f32) (result i32)", "(i32.reinterpret_f32 (local.get 0))", Value.F32Bits(0x7FA00001)).AsI32);
        Assert.Equal(0x7FF0000000000001ul, Eval("(param i64) (result f64)", "(f64.reinterpret_i64 (local.get 0))", Value.I64(0x7FF0000000000001)).Bits);
        Assert.Equal(-2.5, Eval("(param f32) (result f64)", "(f64.promote_f32 (local.get 0))", Value.F32(-2.5f)).AsF64);
        Assert.Equal(float.PositiveInfinity, Eval("(param f64) (result f32)", "(f32.demote_f64 (local.get 0))", Value.F64(1e300)).AsF32);
    }
}
