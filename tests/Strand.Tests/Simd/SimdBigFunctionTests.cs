using System.Text;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>
/// A function with thousands of vector operations: past the JIT's inlining budget, helper-based instructions stay real
/// calls (vectors passed by value) while direct intrinsics are expanded. Both must give the same values there.
/// </summary>
public class SimdBigFunctionTests
{
    [Fact]
    public void ThousandsOfVectorOperationsInOneFunctionComputeTheRightValues()
    {
        const int Rounds = 1500;
        var body = new StringBuilder("(local.get 0)\n");
        for (int i = 0; i < Rounds; i++)
        {
            // add 1 (direct intrinsic), then identities through helpers and intrinsics:
            // avgr_u(x, x) = x, pmin(x, x) = x (helpers), min_u(x, x) = x, extract/replace of lane 2.
            body.Append("(v128.const i32x4 1 1 1 1) (i32x4.add) (local.tee 1) (local.get 1) (i16x8.avgr_u) ")
                .Append("(local.tee 1) (local.get 1) (f32x4.pmin) (local.tee 1) (local.get 1) (i8x16.min_u) ")
                .Append("(local.tee 1) (local.get 1) (i32x4.extract_lane 2) (i32x4.replace_lane 2)\n");
        }
        string wat = $"(module (func (export \"f\") (param v128) (result v128) (local v128) {body}))";
        var instance = new Linker().Instantiate(Module.Compile(Strand.Text.WatParser.ParseModule(wat)));
        var result = instance.Invoke("f", I32(1, 2, 3, 4)).Single();
        Assert.Equal(new[] { 1 + Rounds, 2 + Rounds, 3 + Rounds, 4 + Rounds }, Lanes<int>(result));
        // Called again (tiered up, or not yet): the same.
        for (int i = 0; i < 3; i++) Assert.Equal(result, instance.Invoke("f", I32(1, 2, 3, 4)).Single());
    }
}
