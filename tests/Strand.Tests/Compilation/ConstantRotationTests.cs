using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Rotations by a constant whose result feeds integer arithmetic are emitted with an immediate count (FunctionCompiler.Numeric.cs,
/// <c>ConstantRotationCount</c>), without the opaque zero that works around dotnet/runtime#129288 (the JIT dropping the zero
/// test after <c>rol</c>/<c>ror</c> by a constant). Each case compares with zero a value computed from such a rotation, in a
/// loop whose first iteration leaves the flags of a non-zero rotation: the second iteration's zero must be seen. (Run with
/// an optimised Strand.dll, <c>dotnet test -c Release</c>, as the other JIT regression tests.)
/// </summary>
public class ConstantRotationTests
{
    [Theory]
    [InlineData("i32", "rotl", 1)]
    [InlineData("i32", "rotr", 31)]
    [InlineData("i32", "rotl", 33)]  // counts are taken modulo the width
    [InlineData("i32", "rotl", 32)]  // a count of 0: the value itself
    [InlineData("i64", "rotl", 1)]
    [InlineData("i64", "rotr", 63)]
    [InlineData("i64", "rotr", 64)]
    public void ZeroTestsAfterRotationsThatFeedArithmetic(string t, string rotate, int count)
    {
        string module = $$"""
            (module
              (import "env" "log" (func $log (param i32)))
              ;; the rotation's result is tee'd into $r and added to 0; $r and the sum are compared with zero
              (func (export "tee") (local $selector i32) (local $n i32) (local $r {{t}}) (local $s {{t}})
                (local.set $n (i32.const 2))
                (loop $again
                  (local.set $s
                    ({{t}}.add
                      (local.tee $r ({{t}}.{{rotate}} (if (result {{t}}) (local.get $selector) (then ({{t}}.const 0)) (else ({{t}}.const 6))) ({{t}}.const {{count}})))
                      ({{t}}.const 0)))
                  (call $log ({{t}}.eqz (local.get $r)))
                  (call $log ({{t}}.eqz (local.get $s)))
                  (local.set $selector (i32.const 238))
                  (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
              ;; the rotation's result is xor-ed with another value (which is 0) and the result decides a br_if
              (func (export "xor_br_if") (local $selector i32) (local $n i32) (local $zero {{t}})
                (local.set $n (i32.const 2))
                (loop $again
                  (block $nonzero
                    (br_if $nonzero
                      ({{t}}.ne ({{t}}.const 0)
                        ({{t}}.xor
                          ({{t}}.{{rotate}} (if (result {{t}}) (local.get $selector) (then ({{t}}.const 0)) (else ({{t}}.const 6))) ({{t}}.const {{count}}))
                          (local.get $zero))))
                    (call $log (i32.const 1)))
                  (local.set $selector (i32.const 238))
                  (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
            """;
        var logged = new List<int>();
        var instance = Instantiate(module, new Linker().DefineFunction("env", "log", (Action<int>)logged.Add));
        instance.Invoke("tee");
        Assert.Equal([0, 0, 1, 1], logged); // 6 rotated is non-zero, 0 rotated is zero
        logged.Clear();
        instance.Invoke("xor_br_if");
        Assert.Equal([1], logged); // only the second iteration's value is zero
    }

    [Theory]
    [InlineData("(i32.rotl (local.get 0) (i32.const 8))", 0x12345678, 0x34567812)]
    [InlineData("(i32.rotr (local.get 0) (i32.const 8))", 0x12345678, 0x78123456)]
    [InlineData("(i32.rotl (local.get 0) (i32.const -24))", 0x12345678, 0x34567812)]
    [InlineData("(i32.rotr (local.get 0) (i32.const 0))", 0x12345678, 0x12345678)]
    public void ConstantRotationsGiveTheRotatedValue(string rotation, int input, int expected)
    {
        var instance = Instantiate($"(module (func (export \"f\") (param i32) (result i32) (i32.add {rotation} (i32.const 0))))");
        Assert.Equal(expected, instance.Invoke("f", Value.I32(input))[0].AsI32);
    }

    [Fact]
    public void ConstantI64RotationsGiveTheRotatedValue()
    {
        var instance = Instantiate("""
            (module
              (func (export "l") (param i64) (result i64) (i64.xor (i64.rotl (local.get 0) (i64.const 12)) (i64.const 0)))
              (func (export "r") (param i64) (result i64) (i64.or (i64.rotr (local.get 0) (i64.const 68)) (i64.const 0))))
            """);
        Assert.Equal(0x3456789ABCDEF012L, instance.Invoke("l", Value.I64(0x0123456789ABCDEFL))[0].AsI64);
        Assert.Equal(unchecked((long)0xF0123456789ABCDEUL), instance.Invoke("r", Value.I64(0x0123456789ABCDEFL))[0].AsI64);
    }
}
