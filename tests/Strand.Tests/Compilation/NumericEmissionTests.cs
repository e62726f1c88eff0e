using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// The operators emitted without helpers (FunctionCompiler.Numeric.cs): rotations as a shift pattern, bit counts and
/// rounding as JIT intrinsics, and div/rem by a constant as plain CIL. Each is checked on the inputs where a wrong
/// emission would show (counts at and beyond the width, negative counts, the constant cases that must still trap),
/// and inside a function big enough to exhaust the JIT's inline budget.
/// </summary>
public class NumericEmissionTests
{
    [Theory]
    [InlineData("i32.rotl", 0x12345678, 0, 0x12345678)]
    [InlineData("i32.rotl", 0x12345678, 32, 0x12345678)]
    [InlineData("i32.rotl", 0x12345678, 36, 0x23456781)]
    [InlineData("i32.rotl", 0x12345678, -4, unchecked((int)0x81234567))]
    [InlineData("i32.rotr", 0x12345678, 4, unchecked((int)0x81234567))]
    [InlineData("i32.rotr", 0x12345678, -28, unchecked((int)0x81234567))]
    [InlineData("i32.rotr", 0x12345678, 64, 0x12345678)]
    public void I32RotationsTakeTheCountModulo32(string op, int value, int count, int expected)
    {
        var instance = Instantiate($"(module (func (export \"f\") (param i32 i32) (result i32) ({op} (local.get 0) (local.get 1))))");
        Assert.Equal(expected, instance.Invoke("f", Value.I32(value), Value.I32(count))[0].AsI32);
        // A constant count, then a compare with zero (dotnet/runtime#129288's pattern).
        var constant = Instantiate($"(module (func (export \"f\") (param i32) (result i32) (i32.eqz ({op} (local.get 0) (i32.const {count})))))");
        Assert.Equal(expected == 0 ? 1 : 0, constant.Invoke("f", Value.I32(value))[0].AsI32);
    }

    [Theory]
    [InlineData("i64.rotl", 0x0123456789ABCDEF, 0, 0x0123456789ABCDEF)]
    [InlineData("i64.rotl", 0x0123456789ABCDEF, 64, 0x0123456789ABCDEF)]
    [InlineData("i64.rotl", 0x0123456789ABCDEF, 0x1_0000_0004, 0x123456789ABCDEF0)]
    [InlineData("i64.rotl", 0x0123456789ABCDEF, -4, unchecked((long)0xF0123456789ABCDE))]
    [InlineData("i64.rotr", 0x0123456789ABCDEF, 4, unchecked((long)0xF0123456789ABCDE))]
    [InlineData("i64.rotr", 0x0123456789ABCDEF, long.MinValue + 4, unchecked((long)0xF0123456789ABCDE))]
    public void I64RotationsTakeTheCountModulo64(string op, long value, long count, long expected)
    {
        var instance = Instantiate($"(module (func (export \"f\") (param i64 i64) (result i64) ({op} (local.get 0) (local.get 1))))");
        Assert.Equal(expected, instance.Invoke("f", Value.I64(value), Value.I64(count))[0].AsI64);
    }

    [Theory]
    [InlineData("i32.div_s", int.MinValue, 7, int.MinValue / 7)]
    [InlineData("i32.div_s", -100, -3, 33)]
    [InlineData("i32.div_u", -1, 7, (int)(uint.MaxValue / 7))]
    [InlineData("i32.rem_s", int.MinValue, 7, int.MinValue % 7)]
    [InlineData("i32.rem_s", int.MinValue, -1, 0)]
    [InlineData("i32.rem_u", -1, 10, 5)]
    [InlineData("i32.div_u", -1, -1, 1)]
    [InlineData("i32.rem_u", 5, -1, 5)]
    public void I32DivisionByAConstant(string op, int a, int divisor, int expected)
    {
        var instance = Instantiate($"(module (func (export \"f\") (param i32) (result i32) ({op} (local.get 0) (i32.const {divisor}))))");
        Assert.Equal(expected, instance.Invoke("f", Value.I32(a))[0].AsI32);
    }

    [Theory]
    [InlineData("i64.div_s", long.MinValue, 1000, long.MinValue / 1000)]
    [InlineData("i64.div_u", -1L, 10, (long)(ulong.MaxValue / 10))]
    [InlineData("i64.rem_s", long.MinValue, -1, 0)]
    [InlineData("i64.rem_u", -1L, 1000, (long)(ulong.MaxValue % 1000))]
    public void I64DivisionByAConstant(string op, long a, long divisor, long expected)
    {
        var instance = Instantiate($"(module (func (export \"f\") (param i64) (result i64) ({op} (local.get 0) (i64.const {divisor}))))");
        Assert.Equal(expected, instance.Invoke("f", Value.I64(a))[0].AsI64);
    }

    [Theory]
    [InlineData("i32.div_s", "i32", "0", TrapCode.IntegerDivideByZero)]
    [InlineData("i32.rem_u", "i32", "0", TrapCode.IntegerDivideByZero)]
    [InlineData("i32.div_s", "i32", "-1", TrapCode.IntegerOverflow)]
    [InlineData("i64.div_u", "i64", "0", TrapCode.IntegerDivideByZero)]
    [InlineData("i64.div_s", "i64", "-1", TrapCode.IntegerOverflow)]
    public void ConstantDivisorsThatTrapStillTrap(string op, string type, string divisor, TrapCode code)
    {
        var instance = Instantiate($"(module (func (export \"f\") (param {type}) (result {type}) ({op} (local.get 0) ({type}.const {divisor}))))");
        var minimum = type == "i32" ? Value.I32(int.MinValue) : Value.I64(long.MinValue);
        Assert.Equal(code, Assert.Throws<TrapException>(() => instance.Invoke("f", minimum)).Code);
    }

    [Fact]
    public void ManyRotationsInOneFunctionAreAllCorrect()
    {
        // 600 chained rotations (far past the JIT's inline budget, which made helper calls of the later ones before):
        // the result equals the same chain computed here.
        var body = new System.Text.StringBuilder("(local.get 0)");
        uint expected = 0x9E3779B9;
        for (int i = 0; i < 600; i++)
        {
            int count = (i * 7) % 45 - 6;
            bool left = i % 3 != 0;
            body.Insert(0, $"(i32.add (i32.const {i}) ({(left ? "i32.rotl" : "i32.rotr")} ");
            body.Append($" (i32.const {count})))");
            expected = (left ? System.Numerics.BitOperations.RotateLeft(expected, count) : System.Numerics.BitOperations.RotateRight(expected, count)) + (uint)i;
        }
        var instance = Instantiate($"(module (func (export \"f\") (param i32) (result i32) {body}))");
        Assert.Equal((int)expected, instance.Invoke("f", Value.I32(unchecked((int)0x9E3779B9)))[0].AsI32);
    }

    [Theory]
    [InlineData("f64.nearest", 2.5, 2.0)]
    [InlineData("f64.nearest", -3.5, -4.0)]
    [InlineData("f64.nearest", -0.4, -0.0)]
    [InlineData("f64.trunc", -2.7, -2.0)]
    [InlineData("f64.ceil", -0.5, -0.0)]
    [InlineData("f64.floor", 0.5, 0.0)]
    [InlineData("f64.abs", -0.0, 0.0)]
    [InlineData("f64.neg", 0.0, -0.0)]
    public void RoundingAndSignIntrinsicsKeepTheSign(string op, double value, double expected)
    {
        var instance = Instantiate($"(module (func (export \"f\") (param f64) (result i64) (i64.reinterpret_f64 ({op} (local.get 0)))))");
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), instance.Invoke("f", Value.F64(value))[0].AsI64);
    }

    [Fact]
    public void SignOperationsKeepNaNPayloads()
    {
        var instance = Instantiate("(module (func (export \"f\") (param i32) (result i32) (i32.reinterpret_f32 (f32.neg (f32.abs (f32.reinterpret_i32 (local.get 0)))))))");
        Assert.Equal(unchecked((int)0xFFA00001), instance.Invoke("f", Value.I32(0x7FA00001))[0].AsI32);
    }
}
