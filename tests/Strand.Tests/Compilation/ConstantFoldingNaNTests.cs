using System.Runtime.Intrinsics;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// RyuJIT folds float <c>x * 1</c>, <c>x / 1</c>, <c>x - 0</c>, <c>x + -0</c>, <c>-0 - x</c> and <c>-1 * x</c> once it sees the
/// constant, wherever the constant came from; for a signalling NaN <c>x</c> that returns x unchanged, where wasm requires
/// an arithmetic (quiet) NaN (spec 4.3.3, <c>nans</c>). Each body routes an identity constant to the arithmetic another
/// way; <c>x</c> is a signalling NaN with a payload, and the result must have the quiet bit set. Found by the SIMD
/// differential test (select, block results, <c>f32.convert_i32_s</c> of a constant). Only an optimised
/// <c>Strand.dll</c> (Release) inlines the helpers these depend on.
/// </summary>
public class ConstantFoldingNaNTests
{
    private const uint SignallingNaN32 = 0x7FA0_1234;
    private const ulong SignallingNaN64 = 0x7FF4_0000_0000_1234;

    public static TheoryData<string> Routes => new()
    {
        // select, with a constant or a runtime condition
        "(T.mul (local.get 0) (select (T.const 1) (T.const 1) (local.get 1)))",
        "(T.mul (local.get 0) (select (T.const 1) (T.const 2) (i32.const 1)))",
        "(T.add (local.get 0) (select (T.const -0) (T.const 3) (i32.const 1)))",
        "(T.sub (select (T.const -0) (T.const -0) (local.get 1)) (local.get 0))",
        // block, if and br results
        "(T.mul (local.get 0) (block (result T) (T.const 1)))",
        "(T.sub (local.get 0) (block (result T) (T.const 0)))",
        "(T.div (local.get 0) (if (result T) (i32.const 1) (then (T.const 1)) (else (T.const 1))))",
        "(T.mul (local.get 0) (if (result T) (local.get 1) (then (T.const -1)) (else (T.const -1))))",
        "(T.mul (local.get 0) (block (result T) (br 0 (T.const 1))))",
        "(T.mul (local.get 0) (block (result T) (br_if 0 (T.const 1) (i32.const 1)) (drop) (T.const 1)))",
        "(T.mul (local.get 0) (block (result T) (br_table 0 0 (T.const 1) (local.get 1))))",
        "(T.mul (block (result T) (T.const 1)) (local.get 0))",
        // a callee returning the constant (the JIT inlines it)
        "(T.mul (local.get 0) (call $one))",
        "(T.mul (local.get 0) (call $identity (T.const 1)))",
        // integer constants converted or reinterpreted, directly, through locals, arguments and arithmetic
        "(T.mul (local.get 0) (T.convert_i32_s (i32.const 1)))",
        "(T.mul (local.get 0) (T.convert_i32_u (i32.const 1)))",
        "(T.mul (local.get 0) (T.convert_i64_s (i64.const 1)))",
        "(T.mul (local.get 0) (T.convert_i64_u (i64.const 1)))",
        "(T.mul (local.get 0) (T.convert_i32_s (i32.sub (i32.const 3) (i32.const 2))))",
        "(local.set 2 (i32.const 1)) (T.mul (local.get 0) (T.convert_i32_s (local.get 2)))",
        "(T.mul (local.get 0) (call $convert (i32.const 1)))",
        "(T.mul (local.get 0) (T.reinterpret_iN (iN.const ONE_BITS)))",
        // constants that become 1 or -0 when the JIT folds constant arithmetic
        "(T.mul (local.get 0) (T.mul (T.const 0.5) (T.const 2)))",
        "(T.mul (local.get 0) (T.sub (T.const 3) (T.const 2)))",
        "(T.mul (local.get 0) (T.floor (T.const 1.5)))",
        "(T.mul (local.get 0) (T.sqrt (T.const 1)))",
        "(T.mul (local.get 0) (T.neg (T.const -1)))",
        "(T.add (local.get 0) (T.neg (T.const 0)))",
        "(T.mul (local.get 0) (T.min (T.const 1) (T.const 2)))",
        "(T.mul (local.get 0) (T.copysign (T.const 1) (T.const 2)))",
        "(T.mul (local.get 0) (T.PROMOTE (OTHER.const 1)))",
        // min/max (their NaN path adds the operands)
        "(T.min (local.get 0) (select (T.const -0) (T.const -0) (local.get 1)))",
        "(T.max (block (result T) (T.const -0)) (local.get 0))",
        // through locals
        "(local.set 3 (T.const 1)) (T.mul (local.get 0) (local.get 3))",
        "(local.set 3 (T.const 0.5)) (local.set 4 (T.const 2)) (T.mul (local.get 0) (T.mul (local.get 3) (local.get 4)))",
        "(local.set 3 (T.const 1)) (if (i32.const 0) (then (local.set 3 (local.get 0)))) (T.mul (local.get 0) (local.get 3))",
    };

    /// <summary>The same for f32x4 arithmetic (a v128 parameter with signalling NaN lanes).</summary>
    public static TheoryData<string> VectorRoutes => new()
    {
        "(f32x4.mul (local.get 0) (select (v128.const f32x4 1 1 1 1) (v128.const f32x4 2 2 2 2) (i32.const 1)))",
        "(f32x4.mul (local.get 0) (block (result v128) (v128.const f32x4 1 1 1 1)))",
        "(f32x4.mul (local.get 0) (block (result v128) (br 0 (v128.const f32x4 1 1 1 1))))",
        "(f32x4.add (local.get 0) (if (result v128) (local.get 1) (then (v128.const f32x4 -0 -0 -0 -0)) (else (v128.const f32x4 -0 -0 -0 -0))))",
        "(local.set 2 (v128.const f32x4 1 1 1 1)) (if (i32.const 0) (then (local.set 2 (local.get 0)))) (f32x4.mul (local.get 0) (local.get 2))",
        "(f32x4.mul (local.get 0) (call $vone))",
        "(f32x4.mul (local.get 0) (call $videntity (v128.const f32x4 1 1 1 1)))",
    };

    [Theory]
    [MemberData(nameof(VectorRoutes))]
    public void F32x4ResultIsAQuietNaN(string body)
    {
        var instance = Instantiate($$"""
            (module
              (func $vone (result v128) (v128.const f32x4 1 1 1 1))
              (func $videntity (param v128) (result v128) (local.get 0))
              (func (export "f") (param v128 i32) (result v128) (local v128)
                {{body}}))
            """);
        var nan = Value.V128(Vector128.Create(SignallingNaN32).AsByte());
        for (int i = 0; i < 40; i++)
        {
            var lanes = instance.Invoke("f", nan, Value.I32(1)).Single().AsV128.AsUInt32();
            for (int l = 0; l < 4; l++)
                Assert.True((lanes.GetElement(l) & 0x7FC0_0000) == 0x7FC0_0000, $"lane {l}: 0x{lanes.GetElement(l):X8} is not a quiet NaN (call {i})");
        }
    }

    private static string Module(string type, string body)
    {
        bool f32 = type == "f32";
        string text = body.Replace("T.", type + ".").Replace("(result T)", $"(result {type})")
            .Replace("iN.", f32 ? "i32." : "i64.").Replace("reinterpret_iN", f32 ? "reinterpret_i32" : "reinterpret_i64")
            .Replace("ONE_BITS", f32 ? "0x3F800000" : "0x3FF0000000000000")
            .Replace("PROMOTE", f32 ? "demote_f64" : "promote_f32").Replace("OTHER.", f32 ? "f64." : "f32.");
        return $$"""
            (module
              (func $one (result {{type}}) ({{type}}.const 1))
              (func $identity (param {{type}}) (result {{type}}) (local.get 0))
              (func $convert (param i32) (result {{type}}) ({{type}}.convert_i32_s (local.get 0)))
              (func (export "f") (param {{type}} i32) (result {{type}}) (local i32 {{type}} {{type}})
                {{text}}))
            """;
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void F32ResultIsAQuietNaN(string body)
    {
        var instance = Instantiate(Module("f32", body));
        // Several calls: tiered compilation re-optimises the function (constant propagation happens there).
        for (int i = 0; i < 40; i++)
        {
            uint bits = (uint)instance.Invoke("f", Value.F32Bits(SignallingNaN32), Value.I32(1)).Single().Bits;
            Assert.True((bits & 0x7FC0_0000) == 0x7FC0_0000, $"0x{bits:X8} is not a quiet NaN (call {i})");
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void F64ResultIsAQuietNaN(string body)
    {
        var instance = Instantiate(Module("f64", body));
        for (int i = 0; i < 40; i++)
        {
            ulong bits = instance.Invoke("f", Value.F64Bits(SignallingNaN64), Value.I32(1)).Single().Bits;
            Assert.True((bits & 0x7FF8_0000_0000_0000) == 0x7FF8_0000_0000_0000, $"0x{bits:X16} is not a quiet NaN (call {i})");
        }
    }
}
