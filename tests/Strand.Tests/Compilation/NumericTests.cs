using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

public class NumericTests
{
    private static int I32(string op, int a, int b) =>
        Eval("(param i32 i32) (result i32)", $"({op} (local.get 0) (local.get 1))", Value.I32(a), Value.I32(b)).AsI32;

    private static long I64(string op, long a, long b) =>
        Eval("(param i64 i64) (result i64)", $"({op} (local.get 0) (local.get 1))", Value.I64(a), Value.I64(b)).AsI64;

    [Theory]
    [InlineData("i32.add", int.MaxValue, 1, int.MinValue)]
    [InlineData("i32.sub", int.MinValue, 1, int.MaxValue)]
    [InlineData("i32.mul", 0x10000, 0x10000, 0)]
    [InlineData("i32.div_s", -7, 2, -3)]
    [InlineData("i32.div_u", -1, 2, int.MaxValue)]
    [InlineData("i32.rem_s", -7, 2, -1)]
    [InlineData("i32.rem_s", int.MinValue, -1, 0)]
    [InlineData("i32.rem_u", -1, 10, 5)]
    [InlineData("i32.and", 0b1100, 0b1010, 0b1000)]
    [InlineData("i32.or", 0b1100, 0b1010, 0b1110)]
    [InlineData("i32.xor", 0b1100, 0b1010, 0b0110)]
    [InlineData("i32.shl", 1, 33, 2)]
    [InlineData("i32.shr_s", int.MinValue, 31, -1)]
    [InlineData("i32.shr_u", int.MinValue, 63, 1)]
    [InlineData("i32.rotl", unchecked((int)0x80000001), 1, 3)]
    [InlineData("i32.rotr", 3, 1, unchecked((int)0x80000001))]
    [InlineData("i32.lt_s", -1, 0, 1)]
    [InlineData("i32.lt_u", -1, 0, 0)]
    [InlineData("i32.ge_u", -1, 0, 1)]
    [InlineData("i32.le_s", 5, 5, 1)]
    [InlineData("i32.ne", 5, 5, 0)]
    public void I32Binary(string op, int a, int b, int expected) => Assert.Equal(expected, I32(op, a, b));

    [Theory]
    [InlineData("i64.add", long.MaxValue, 1, long.MinValue)]
    [InlineData("i64.mul", 0x100000000, 0x100000000, 0)]
    [InlineData("i64.div_s", -7, 2, -3)]
    [InlineData("i64.div_u", -1, 2, long.MaxValue)]
    [InlineData("i64.rem_s", long.MinValue, -1, 0)]
    [InlineData("i64.shl", 1, 65, 2)]
    [InlineData("i64.shr_s", long.MinValue, 63, -1)]
    [InlineData("i64.shr_u", long.MinValue, 127, 1)]
    [InlineData("i64.rotl", unchecked((long)0x8000000000000001), 1, 3)]
    [InlineData("i64.rotr", 3, 1, unchecked((long)0x8000000000000001))]
    public void I64Binary(string op, long a, long b, long expected) => Assert.Equal(expected, I64(op, a, b));

    [Theory]
    [InlineData("i32.clz", 1, 31)]
    [InlineData("i32.clz", 0, 32)]
    [InlineData("i32.ctz", 0, 32)]
    [InlineData("i32.ctz", 0x80, 7)]
    [InlineData("i32.popcnt", -1, 32)]
    [InlineData("i32.eqz", 0, 1)]
    [InlineData("i32.extend8_s", 0x80, -128)]
    [InlineData("i32.extend16_s", 0x8000, -32768)]
    public void I32Unary(string op, int a, int expected) =>
        Assert.Equal(expected, Eval("(param i32) (result i32)", $"({op} (local.get 0))", Value.I32(a)).AsI32);

    [Theory]
    [InlineData("i64.clz", 0, 64)]
    [InlineData("i64.ctz", 0x100000000, 32)]
    [InlineData("i64.popcnt", -1, 64)]
    [InlineData("i64.extend8_s", 0xFF, -1)]
    [InlineData("i64.extend16_s", 0x7FFF, 0x7FFF)]
    [InlineData("i64.extend32_s", 0x80000000, -2147483648)]
    public void I64Unary(string op, long a, long expected) =>
        Assert.Equal(expected, Eval("(param i64) (result i64)", $"({op} (local.get 0))", Value.I64(a)).AsI64);

    [Theory]
    [InlineData("i32.div_s", 1, 0, "integer divide by zero")]
    [InlineData("i32.div_u", 1, 0, "integer divide by zero")]
    [InlineData("i32.rem_s", 1, 0, "integer divide by zero")]
    [InlineData("i32.rem_u", 1, 0, "integer divide by zero")]
    [InlineData("i32.div_s", int.MinValue, -1, "integer overflow")]
    public void IntegerTraps(string op, int a, int b, string message) =>
        Assert.Equal(message, Assert.Throws<TrapException>(() => I32(op, a, b)).Message);

    [Fact]
    public void I64DivisionOverflowTraps() =>
        Assert.Equal(TrapCode.IntegerOverflow, Assert.Throws<TrapException>(() => I64("i64.div_s", long.MinValue, -1)).Code);

    [Fact]
    public void WrapAndExtend()
    {
        Assert.Equal(-1, Eval("(param i64) (result i32)", "(i32.wrap_i64 (local.get 0))", Value.I64(0x1FFFFFFFF)).AsI32);
        Assert.Equal(-1L, Eval("(param i32) (result i64)", "(i64.extend_i32_s (local.get 0))", Value.I32(-1)).AsI64);
        Assert.Equal(0xFFFFFFFFL, Eval("(param i32) (result i64)", "(i64.extend_i32_u (local.get 0))", Value.I32(-1)).AsI64);
        Assert.Equal(1, Eval("(param i64) (result i32)", "(i64.eqz (local.get 0))", Value.I64(0)).AsI32);
        Assert.Equal(1, Eval("(param i64 i64) (result i32)", "(i64.lt_u (local.get 0) (local.get 1))", Value.I64(1), Value.I64(-1)).AsI32);
    }
}
