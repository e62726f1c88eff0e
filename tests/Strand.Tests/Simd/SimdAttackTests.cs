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

    /// <summary>
    /// Float arithmetic on a signalling NaN must give a quiet NaN, also when the other operand is a constant the JIT
    /// folds with: RyuJIT turned <c>x * 1</c>, <c>x / 1</c>, <c>x + -0</c>, <c>x - 0</c> into <c>x</c> and <c>x + sNaN</c> into
    /// the constant, so the signalling NaN came out unchanged (V8 and the spec: quiet bit set). The constant reaches the
    /// instruction directly, through a local, a splat or an inlined call. Lanes: sNaN, -sNaN, a quiet NaN, 1.
    /// </summary>
    [Theory]
    [InlineData("f32x4.mul", "$x", "(v128.const f32x4 1 1 1 1)")]
    [InlineData("f32x4.mul", "(v128.const f32x4 1 1 1 1)", "$x")]
    [InlineData("f32x4.div", "$x", "(v128.const f32x4 1 1 1 1)")]
    [InlineData("f32x4.add", "$x", "(v128.const f32x4 -0 -0 -0 -0)")]
    [InlineData("f32x4.add", "(v128.const f32x4 -0 -0 -0 -0)", "$x")]
    [InlineData("f32x4.sub", "$x", "(v128.const f32x4 0 0 0 0)")]
    [InlineData("f32x4.sub", "$x", "(local.get $zero)")]
    [InlineData("f32x4.mul", "$x", "(local.get $one)")]
    [InlineData("f32x4.mul", "$x", "(f32x4.splat (f32.const 1))")]
    [InlineData("f32x4.mul", "$x", "(i32x4.splat (i32.const 0x3f800000))")]
    [InlineData("f32x4.add", "$x", "(v128.const i32x4 0x7f800001 0x7f800001 0x7f800001 0x7f800001)")]
    [InlineData("f32x4.sub", "(v128.const i32x4 0x7f800001 0x7f800001 0x7f800001 0x7f800001)", "$x")]
    [InlineData("f32x4.min", "$x", "(v128.const i32x4 0x7f800001 0x7f800001 0x7f800001 0x7f800001)")]
    [InlineData("f32x4.max", "(v128.const i32x4 0x7f800001 0x7f800001 0x7f800001 0x7f800001)", "$x")]
    [InlineData("f32x4.relaxed_madd", "$x", "(v128.const f32x4 1 1 1 1) (v128.const f32x4 -0 -0 -0 -0)")]
    [InlineData("f32x4.relaxed_nmadd", "$x", "(v128.const f32x4 -1 -1 -1 -1) (v128.const f32x4 -0 -0 -0 -0)")]
    [InlineData("call $mul", "$x", "(v128.const f32x4 1 1 1 1)")]
    public void SignallingNaNThroughArithmeticWithAFoldableConstantComesOutQuiet(string instruction, string first, string rest)
    {
        var instance = Instantiate($$"""
            (module
              (memory 1)
              (data (i32.const 0) "\01\00\80\7f\00\00\a0\ff\00\00\c0\7f\00\00\80\3f")
              (func $mul (param v128 v128) (result v128) (f32x4.mul (local.get 0) (local.get 1)))
              (func (export "f") (result v128) (local $zero v128) (local $one v128)
                (local.set $one (v128.const f32x4 1 1 1 1))
                ({{instruction}} {{first.Replace("$x", "(v128.load (i32.const 0))")}} {{rest.Replace("$x", "(v128.load (i32.const 0))")}})))
            """);
        var lanes = Simd.Bits32(instance.Invoke("f").Single());
        for (int i = 0; i < 3; i++) Assert.True(Simd.IsQuietNaN32(lanes[i]), $"lane {i}: 0x{lanes[i]:X8} is not a quiet NaN");
    }

    /// <summary>The same for f64x2: lanes sNaN and -sNaN with payload 4.</summary>
    [Theory]
    [InlineData("f64x2.mul", "(v128.const f64x2 1 1)")]
    [InlineData("f64x2.div", "(v128.const f64x2 1 1)")]
    [InlineData("f64x2.add", "(v128.const f64x2 -0 -0)")]
    [InlineData("f64x2.sub", "(v128.const f64x2 0 0)")]
    [InlineData("f64x2.max", "(v128.const i64x2 0x7ff0000000000001 0x7ff0000000000001)")]
    [InlineData("f64x2.relaxed_madd", "(v128.const f64x2 1 1) (v128.const f64x2 -0 -0)")]
    public void SignallingNaNF64x2ThroughArithmeticWithAFoldableConstantComesOutQuiet(string instruction, string rest)
    {
        var instance = Instantiate($$"""
            (module
              (memory 1)
              (data (i32.const 0) "\01\00\00\00\00\00\f0\7f\04\00\00\00\00\00\f0\ff")
              (func (export "f") (result v128) ({{instruction}} (v128.load (i32.const 0)) {{rest}})))
            """);
        var lanes = Simd.Bits64(instance.Invoke("f").Single());
        Assert.All(lanes, bits => Assert.True(Simd.IsQuietNaN64(bits), $"0x{bits:X16} is not a quiet NaN"));
    }

    /// <summary>Benign constants and accumulators keep computing the right values (they are not hidden from the JIT).</summary>
    [Fact]
    public void FloatArithmeticWithConstantsAndAccumulatorsComputesTheSpecValues()
    {
        var instance = Instantiate("""
            (module
              (memory 1)
              (data (i32.const 0) "\00\00\80\3f\00\00\00\40\00\00\40\40\00\00\80\40")
              (func (export "f") (result v128) (local $acc v128) (local $i i32)
                (loop $l
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.const 0)) (v128.const f32x4 0.5 2 -3 1.5))))
                  (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 4))))
                (f32x4.sub (f32x4.div (local.get $acc) (v128.const f32x4 1 1 1 2)) (v128.const f32x4 0 0 0 0))))
            """);
        Assert.Equal([2f, 16f, -36f, 12f], Simd.Lanes<float>(instance.Invoke("f").Single()));
    }

    /// <summary>
    /// The scalar form of the fault above: the compiler hid a 0 or 1 constant only when it fed float arithmetic within
    /// a few instructions; stored into a local (used later), passed to an inlined callee or negated first, it was folded.
    /// </summary>
    [Theory]
    [InlineData("(local.set $one (f32.const 1)) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop) (nop)", "(f32.mul $x (local.get $one))")]
    [InlineData("(local.set $one (f32.const 1))", "(f32.div $x (local.get $one))")]
    [InlineData("(local.set $zero (f32.const -0))", "(f32.add (local.get $zero) $x)")]
    [InlineData("", "(call $mul $x (f32.const 1))")]
    [InlineData("", "(f32.add $x (f32.neg (f32.const 0)))")]
    public void ScalarSignallingNaNThroughArithmeticWithAConstantFromALocalOrCallComesOutQuiet(string setup, string expression)
    {
        var instance = Instantiate($$"""
            (module
              (memory 1)
              (data (i32.const 0) "\01\00\80\7f")
              (func $mul (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
              (func (export "f") (result i32) (local $one f32) (local $zero f32)
                {{setup}}
                (f32.store (i32.const 16) {{expression.Replace("$x", "(f32.load (i32.const 0))")}})
                (i32.load (i32.const 16))))
            """);
        Assert.Equal(0x7FC0_0001, instance.Invoke("f").Single().AsI32);
    }

    /// <summary>
    /// A vector load's or store's <c>offset=</c> on a 64-bit memory is a u64, as for scalar accesses: the SIMD text path
    /// capped it at 32 bits ("offset constant out of range"). The encoded offset must reach the bounds check unchanged.
    /// </summary>
    [Fact]
    public void VectorMemargOffsetOnA64BitMemoryIsAU64()
    {
        var instance = Instantiate("""
            (module
              (memory $m32 1)
              (memory $m64 i64 1)
              (data (memory $m64) (i64.const 65520) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
              (func (export "far") (result v128) (v128.load $m64 offset=0x100000000 (i64.const 0)))
              (func (export "huge") (param i64) (v128.store64_lane $m64 offset=0xffffffffffffffff 1 (local.get 0) (v128.const i64x2 0 0)))
              (func (export "near") (result v128) (v128.load8_splat $m64 offset=65535 (i64.const 0)))
              (func (export "last") (result v128) (v128.load $m64 offset=0xfff0 (i64.const 0))))
            """);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("far")).Code);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("huge", Value.I64(1))).Code);
        Assert.Equal(Enumerable.Repeat((byte)0x10, 16), Simd.Lanes<byte>(instance.Invoke("near").Single()));
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (byte)i), Simd.Lanes<byte>(instance.Invoke("last").Single()));
        Assert.Throws<Strand.Text.WatParseException>(() => Compile("(module (memory 1) (func (drop (v128.load offset=0x100000000 (i32.const 0)))))"));
    }
}
