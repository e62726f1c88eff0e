using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>Bugs found by the differential fuzzer (tools/Strand.Fuzz, docs/fuzzing.md), one minimised module each.</summary>
public class FuzzRegressionTests
{
    /// <summary>
    /// RyuJIT dropped the zero test after a rotation by a constant (it thinks rol/ror set ZF): the compare read a
    /// stale flag. The loop makes the flag stale: the first iteration's rotated value is non-zero, but the flag
    /// still holds the "local is zero" test that chose it, so eqz said 1. Only an optimised Strand.dll shows the
    /// bug (a Debug build's helpers are not inlined, so the rotation is a call): run with <c>dotnet test -c Release</c>.
    /// </summary>
    [Theory]
    [InlineData("i64", "i64.rotl", "(i64.const 1)")]
    [InlineData("i64", "i64.rotr", "(i64.const 5)")]
    [InlineData("i32", "i32.rotl", "(i32.const 1)")]
    [InlineData("i32", "i32.rotr", "(i32.const 31)")]
    [InlineData("i64", "i64.rotl", "(local.get $count)")]
    public void ZeroTestAfterRotationByAConstant(string type, string rotate, string count)
    {
        string module = $$"""
            (module
              (import "env" "log" (func $log (param i32)))
              (func (export "eqz") (local $selector i32) (local $n i32) (local $count {{type}})
                ({{type}}.const 1) (local.set $count)
                (i32.const 2) (local.set $n)
                (loop $again
                  (call $log
                    ({{type}}.eqz
                      ({{rotate}}
                        (if (result {{type}}) (local.get $selector) (then ({{type}}.const 0)) (else ({{type}}.const 6)))
                        {{count}})))
                  (local.set $selector (i32.const 238))
                  (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
              (func (export "br_if") (local $selector i32) (local $n i32) (local $count {{type}})
                ({{type}}.const 1) (local.set $count)
                (i32.const 2) (local.set $n)
                (loop $again
                  (block $nonzero
                    (br_if $nonzero
                      ({{type}}.ne ({{type}}.const 0)
                        ({{rotate}}
                          (if (result {{type}}) (local.get $selector) (then ({{type}}.const 0)) (else ({{type}}.const 6)))
                          {{count}})))
                    (call $log (i32.const 1)))
                  (local.set $selector (i32.const 238))
                  (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
            """;
        var logged = new List<int>();
        var linker = new Linker().DefineFunction("env", "log", (Action<int>)logged.Add);
        var instance = Instantiate(module, linker);

        instance.Invoke("eqz");
        Assert.Equal([0, 1], logged); // 6 rotated is non-zero, 0 rotated is zero
        logged.Clear();
        instance.Invoke("br_if");
        Assert.Equal([1], logged); // only the second iteration's rotated value is zero
    }

    /// <summary>
    /// RyuJIT recognises <c>(x shl n) xor (x shr_u (w - n))</c> as a rotation by n, but for n a multiple of the
    /// width the xor is 0 (both shifts are by 0) while the rotation is x. Needs an optimised Strand.dll too.
    /// </summary>
    [Theory]
    [InlineData(0, 0)]
    [InlineData(32, 0)]
    [InlineData(64, 0)]
    [InlineData(4, 0x23456781)]
    public void XorOfShiftsIsNotARotation(int count, int expected32)
    {
        const string module = """
            (module
              (func $xor32 (param $x i32) (param $n i32) (result i32)
                (i32.xor (i32.shl (local.get $x) (local.get $n))
                         (i32.shr_u (local.get $x) (i32.sub (i32.const 32) (local.get $n)))))
              (func $xor64_locals (param $x i64) (param $n i64) (result i64) (local $high i64) (local $low i64)
                (local.set $high (i64.shl (local.get $x) (local.get $n)))
                (local.set $low (i64.shr_u (local.get $x) (i64.sub (i64.const 64) (local.get $n))))
                (i64.xor (local.get $high) (local.get $low)))
              (func (export "xor32") (param i32) (result i32) (call $xor32 (i32.const 0x12345678) (local.get 0)))
              (func (export "xor64") (param i64) (result i64) (call $xor64_locals (i64.const 0x1234) (local.get 0))))
            """;
        var instance = Instantiate(module);
        Assert.Equal(expected32, instance.Invoke("xor32", Value.I32(count))[0].AsI32);
        long expected64 = count % 64 == 0 ? 0 : (0x1234L << count) ^ (long)(0x1234UL >> (64 - count));
        Assert.Equal(expected64, instance.Invoke("xor64", Value.I64(count))[0].AsI64);
    }

    /// <summary>
    /// RyuJIT imported Int32BitsToSingle of an 8/16-bit load as a 4-byte float load of the same address, so the
    /// bytes after the loaded ones leaked into the result (and a load at the end of memory read past it). It does
    /// so through a single-use local and after inlining a callee too. Needs an optimised Strand.dll.
    /// </summary>
    [Theory]
    [InlineData("direct")]
    [InlineData("through_local")]
    [InlineData("through_block")]
    [InlineData("through_call")]
    [InlineData("load8_s")]
    public void ReinterpretOfANarrowLoadSeesOnlyTheLoadedBytes(string export)
    {
        const string module = """
            (module
              (memory 1)
              (data (i32.const 0) "\01\00\80\7f")
              (func $bits (param i32) (result f32) (f32.reinterpret_i32 (local.get 0)))
              (func (export "direct") (result i32)
                (i32.reinterpret_f32 (f32.reinterpret_i32 (i32.load16_u (i32.const 0)))))
              (func (export "through_local") (result i32) (local i32)
                (local.set 0 (i32.load16_u (i32.const 0)))
                (i32.reinterpret_f32 (f32.reinterpret_i32 (local.get 0))))
              (func (export "through_block") (result i32)
                (i32.reinterpret_f32 (f32.reinterpret_i32 (block (result i32) (i32.load16_u (i32.const 0))))))
              (func (export "through_call") (result i32)
                (i32.reinterpret_f32 (call $bits (i32.load16_u (i32.const 0)))))
              (func (export "load8_s") (result i32)
                (i32.reinterpret_f32 (f32.reinterpret_i32 (i32.load8_s (i32.const 0))))))
            """;
        var instance = Instantiate(module);
        Assert.Equal(1, instance.Invoke(export)[0].AsI32); // not 0x7f800001 (+inf's bits and the loaded ones)
    }
    /// <summary>
    /// RyuJIT crashed the process (SIGSEGV) compiling a branch to the first instruction of two nested protected regions:
    /// a block left by <c>br_if</c> whose end is where a <c>try</c> and the <c>try</c> inside it both begin (found by
    /// <c>Strand.Fuzz --eh-gen</c>, seed 1195, minimised). Every region now starts after a <c>nop</c>. The loop form
    /// branches back to a region's start from inside it.
    /// </summary>
    [Theory]
    [InlineData("(block (br_if 0 (local.get $x))) (try (do (try (do))))", 40, 43)]
    [InlineData("(block (br_if 0 (local.get $x))) (try (do (try (do) (catch_all))) (catch $t))", 40, 43)]
    [InlineData("(block $b (br_if $b (local.get $x))) (block $o (try_table (catch_all $o) (block $i (try_table (catch_all $i)))))", 40, 43)]
    [InlineData("(loop $l (try (do (try (do (local.set $x (i32.sub (local.get $x) (i32.const 1))) (br_if $l (i32.gt_s (local.get $x) (i32.const 0)))) (catch_all))) (catch_all)))", 39, 40)]
    public void ABranchToTheStartOfNestedTryRegions(string body, int forZero, int forThree)
    {
        var instance = Instantiate($$"""
            (module
              (tag $t)
              (func (export "f") (param $p i32) (result i32) (local $x i32)
                (local.set $x (local.get $p))
                {{body}}
                (i32.add (local.get $x) (i32.const 40))))
            """);
        Assert.Equal(forZero, instance.Invoke("f", Value.I32(0))[0].AsI32);
        Assert.Equal(forThree, instance.Invoke("f", Value.I32(3))[0].AsI32);
    }
}
