using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// <c>local.tee</c> is emitted as a store and a reload of the local (FunctionCompiler.LocalTee.cs). The reloaded value may
/// stay pending on the IL stack while the same local is read or assigned again; each case checks that the value left by
/// the tee, and values read before it, are the ones the spec gives (4.4.5.3), for locals and parameters of each type.
/// </summary>
public class LocalTeeTests
{
    [Theory]
    [InlineData(5, 5 - 12)]
    [InlineData(-7, -7 - 12)]
    public void OldValueReadBeforeTheTeeIsKept(int x, int expected) =>
        // x - (x := 12): the first operand is read before the tee overwrites the parameter
        Assert.Equal(expected, Eval("(param i32) (result i32)",
            "(i32.sub (local.get 0) (local.tee 0 (i32.const 12)))", Value.I32(x)).AsI32);

    [Fact]
    public void TeedValueSurvivesLaterAssignmentsOfTheLocal()
    {
        // the tee leaves 1; the local then becomes 2, then 40: 1 + 2 + 40 * 1000 = 40003
        var result = Eval("(result i32) (local $l i32)", """
            (local.tee $l (i32.const 1))
            (local.set $l (i32.const 2))
            (local.get $l)
            i32.add
            (local.tee $l (i32.const 40))
            (i32.mul (i32.const 1000))
            i32.add
            """);
        Assert.Equal(40003, result.AsI32);
    }

    [Fact]
    public void TeedParameterSurvivesItsNextTee()
    {
        // (p := p + 1) then, while that is pending, (p := p * 10): (x + 1) * 100 + (x + 1) * 10 for x = 3
        var result = Eval("(param i64) (result i64)", """
            (local.tee 0 (i64.add (local.get 0) (i64.const 1)))
            (i64.mul (i64.const 100))
            (local.tee 0 (i64.mul (local.get 0) (i64.const 10)))
            i64.add
            """, Value.I64(3));
        Assert.Equal(440L, result.AsI64);
    }

    [Fact]
    public void TeesOfEachTypeInALoop()
    {
        // each iteration tees i (counting down from 5) and accumulates the teed values of each type; the locals are
        // assigned again in the same iteration after their teed value was pushed
        var instance = Instantiate("""
            (module
              (func (export "f") (result i32 i64 f32 f64 i32)
                (local $i i32) (local $a i32) (local $b i64) (local $c f32) (local $d f64) (local $v v128)
                (local $sa i32) (local $sb i64) (local $sc f32) (local $sd f64) (local $sv i32)
                (local.set $i (i32.const 5))
                (loop $again
                  (local.set $sa (i32.add (local.get $sa) (local.tee $a (local.get $i))))
                  (local.set $a (i32.const -100))
                  (local.set $sb (i64.add (local.tee $b (i64.extend_i32_u (local.get $i))) (i64.add (local.get $sb) (local.tee $b (i64.const 1000)))))
                  (local.set $sc (f32.add (local.tee $c (f32.convert_i32_s (local.get $i))) (f32.add (local.get $sc) (f32.mul (local.get $c) (local.tee $c (f32.const 0))))))
                  (local.set $sd (f64.add (local.get $sd) (f64.sub (local.tee $d (f64.convert_i32_s (local.get $i))) (local.tee $d (f64.const 0.5)))))
                  (local.set $sv (i32.add (local.get $sv)
                    (i32x4.extract_lane 2 (i32x4.add (local.tee $v (i32x4.splat (local.get $i))) (local.tee $v (v128.const i32x4 0 0 7 0))))))
                  (br_if $again (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
                (local.get $sa) (local.get $sb) (local.get $sc) (local.get $sd) (local.get $sv)))
            """);
        var r = instance.Invoke("f");
        Assert.Equal(15, r[0].AsI32);          // 5+4+3+2+1
        Assert.Equal(15 + 5000L, r[1].AsI64);  // each i plus 1000
        Assert.Equal(15f, r[2].AsF32);         // c * 0 with c = i read before the second tee
        Assert.Equal(15 - 2.5, r[3].AsF64);    // i - 0.5
        Assert.Equal(15 + 35, r[4].AsI32);     // lane 2: i + 7
    }
}
