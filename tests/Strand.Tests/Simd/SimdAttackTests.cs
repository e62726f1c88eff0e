using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Simd;

/// <summary>
/// Faults found by attacking the SIMD support (differential tests against V8, hostile modules), one minimal module
/// each. Every expected value is V8's (node 20) answer, which is also the spec's.
/// </summary>
public class SimdAttackTests
{
    /// <summary>
    /// A signalling NaN that reaches an f32 as a value the JIT can fold (an <c>i32.const</c> reinterpreted, through a
    /// local, constant arithmetic, a call argument, or a lane of a constant vector) must keep its bits: the JIT keeps
    /// float literals as doubles, so a folded 0x7F800001 came out as 0x7FC00001. Splat, replace_lane, extract_lane,
    /// local and store are not arithmetic: the spec copies the bits.
    /// </summary>
    [Theory]
    [InlineData("(f32.reinterpret_i32 (i32.const 0x7f800001))")]
    [InlineData("(f32.reinterpret_i32 (i32.or (i32.const 0x7f800000) (i32.const 1)))")]
    [InlineData("(f32.reinterpret_i32 (local.get $i))")]
    [InlineData("(f32x4.extract_lane 2 (v128.const i32x4 0 0 0x7f800001 0))")]
    [InlineData("(f32x4.extract_lane 1 (i32x4.splat (i32.const 0x7f800001)))")]
    [InlineData("(f32x4.extract_lane 3 (i32x4.add (v128.const i32x4 0 0 0 0x7f800000) (v128.const i32x4 1 1 1 1)))")]
    [InlineData("(f32x4.extract_lane 0 (local.get $v))")]
    [InlineData("(f32x4.extract_lane 1 (f32x4.splat (f32.reinterpret_i32 (i32.const 0x7f800001))))")]
    [InlineData("(f32x4.extract_lane 2 (f32x4.replace_lane 2 (v128.const i32x4 0 0 0 0) (f32.reinterpret_i32 (i32.const 0x7f800001))))")]
    [InlineData("(call $id (f32.reinterpret_i32 (i32.const 0x7f800001)))")]
    public void SignallingNaNFromAFoldableValueKeepsItsBits(string f32Expression)
    {
        var instance = Instantiate($$"""
            (module
              (memory 1)
              (func $id (param f32) (result f32) (local.get 0))
              (func (export "f") (result i32) (local $i i32) (local $v v128)
                (local.set $i (i32.const 0x7f800001))
                (local.set $v (v128.const i32x4 0x7f800001 0 0 0))
                (f32.store (i32.const 16) {{f32Expression}})
                (i32.load (i32.const 16))))
            """);
        Assert.Equal(0x7F80_0001, instance.Invoke("f").Single().AsI32);
    }

    /// <summary>The same through a splat and a replace_lane: every lane keeps the signalling NaN's bits (sign included).</summary>
    [Fact]
    public void SignallingNaNSplatAndReplaceLaneKeepTheirBits()
    {
        var instance = Instantiate("""
            (module
              (func (export "splat") (result v128) (f32x4.splat (f32.reinterpret_i32 (i32.const 0xff800001))))
              (func (export "replace") (result v128)
                (f32x4.replace_lane 3 (v128.const i32x4 1 2 3 4) (f32.reinterpret_i32 (i32.const 0x7fa00000)))))
            """);
        Assert.Equal([0xFF80_0001u, 0xFF80_0001u, 0xFF80_0001u, 0xFF80_0001u], Simd.Bits32(instance.Invoke("splat").Single()));
        Assert.Equal([1u, 2u, 3u, 0x7FA0_0000u], Simd.Bits32(instance.Invoke("replace").Single()));
    }
}
