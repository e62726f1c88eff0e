using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Adversarial inputs against the removal of memory-0 bounds checks (redundant-check facts, static bounds, merged checks):
/// each function here makes an unchecked out-of-bounds access (a read or write of host memory past the linear memory,
/// or a crash) if the compile-time mirror believes something about a value that is not true on every path. Each must
/// trap "out of bounds memory access" at the right access, after exactly the stores before it.
/// </summary>
public class BoundsAttackTests
{
    private static string Module(string memory) => $$"""
        (module
          (memory (export "mem") {{memory}})
          ;; A loop parameter: the entry value is the constant 8, a back edge brings $x. The mirror kept the entry value's
          ;; interval [8, 8] (and its local) for the parameter, so the access at the second iteration went unchecked.
          (func (export "loop_param_range") (param $x i32) (result i32)
            (local $n i32)
            (i32.const 8)
            (loop $l (param i32)
              ;; [address] → store n + 1 there
              (local.tee $n (i32.add (local.get $n) (i32.const 1)))
              (i32.store)
              (local.get $x)
              (br_if $l (i32.lt_u (local.get $n) (i32.const 2)))
              (drop))
            (local.get $n))
          ;; The same through the entry value's local: $p is checked before the loop, the parameter is read from $p, and
          ;; the back edge brings $x without writing $p.
          (func (export "loop_param_local") (param $p i32) (param $x i32) (result i32)
            (local $n i32)
            (drop (i32.load (local.get $p)))
            (local.get $p)
            (loop $l (param i32)
              (local.tee $n (i32.add (local.get $n) (i32.const 1)))
              (i32.store)
              (local.get $x)
              (br_if $l (i32.lt_u (local.get $n) (i32.const 2)))
              (drop))
            (local.get $n))
          ;; select's result is either operand: the mirror kept the first one's interval and local.
          (func (export "select_range") (param $x i32) (param $c i32) (result i32)
            (i32.load (select (i32.const 0) (local.get $x) (local.get $c))))
          (func (export "select_typed_range") (param $x i32) (param $c i32) (result i32)
            (i32.load (select (result i32) (i32.const 16) (local.get $x) (local.get $c))))
          (func (export "select_local") (param $p i32) (param $x i32) (param $c i32)
            (drop (i32.load (local.get $p)))
            (i32.store (select (local.get $p) (local.get $x) (local.get $c)) (i32.const 7)))
          ;; both operands known: their hull, in bounds (no check needed) or reaching past the minimum (checked)
          (func (export "select_hull") (param $c i32) (result i32)
            (i32.load (select (i32.const 0) (i32.const 65532) (local.get $c))))
          (func (export "select_hull_past") (param $c i32) (result i32)
            (i32.load (select (i32.const 0) (i32.const 65533) (local.get $c)))))
        """;

    public static TheoryData<string> Memories => new() { "1 1", "1 2 shared", "1" };

    private static void AssertOutOfBounds(Action action) =>
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(action).Code);

    [Theory]
    [MemberData(nameof(Memories))]
    public void ALoopParameterIsCheckedWithTheValueOfEachBackEdge(string memory)
    {
        var instance = new Linker().Instantiate(Compile(Module(memory)));
        var mem = instance.GetMemory("mem")!;
        // In bounds: iteration 1 stores 1 at 8, iteration 2 stores 2 at $x.
        Assert.Equal(2, instance.Invoke("loop_param_range", Value.I32(65532))[0].AsI32);
        Assert.Equal(1, mem.ReadInt32(8));
        Assert.Equal(2, mem.ReadInt32(65532));
        mem.WriteInt32(8, 0);
        // Iteration 2's store at 65533 reaches past the end: it traps, after iteration 1's store.
        AssertOutOfBounds(() => instance.Invoke("loop_param_range", Value.I32(65533)));
        Assert.Equal(1, mem.ReadInt32(8));
        AssertOutOfBounds(() => instance.Invoke("loop_param_range", Value.I32(-8)));

        mem.WriteInt32(8, 0);
        Assert.Equal(2, instance.Invoke("loop_param_local", Value.I32(8), Value.I32(65532))[0].AsI32);
        Assert.Equal(1, mem.ReadInt32(8));
        mem.WriteInt32(8, 0);
        AssertOutOfBounds(() => instance.Invoke("loop_param_local", Value.I32(8), Value.I32(65536)));
        Assert.Equal(1, mem.ReadInt32(8));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void ASelectResultIsNeitherOperandsLocalNorInOnlyItsInterval(string memory)
    {
        var instance = new Linker().Instantiate(Compile(Module(memory)));
        var mem = instance.GetMemory("mem")!;
        mem.WriteInt32(0, 5);
        mem.WriteInt32(16, 6);
        mem.WriteInt32(65532, 9);
        Assert.Equal(5, instance.Invoke("select_range", Value.I32(65536), Value.I32(1))[0].AsI32);
        Assert.Equal(9, instance.Invoke("select_range", Value.I32(65532), Value.I32(0))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("select_range", Value.I32(65536), Value.I32(0)));
        Assert.Equal(6, instance.Invoke("select_typed_range", Value.I32(65536), Value.I32(1))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("select_typed_range", Value.I32(65533), Value.I32(0)));

        instance.Invoke("select_local", Value.I32(0), Value.I32(65532), Value.I32(0));
        Assert.Equal(7, mem.ReadInt32(65532));
        AssertOutOfBounds(() => instance.Invoke("select_local", Value.I32(0), Value.I32(65534), Value.I32(0)));
        Assert.Equal(7, mem.ReadInt32(65532));

        mem.WriteInt32(65532, 9);
        Assert.Equal(5, instance.Invoke("select_hull", Value.I32(1))[0].AsI32);
        Assert.Equal(9, instance.Invoke("select_hull", Value.I32(0))[0].AsI32);
        Assert.Equal(5, instance.Invoke("select_hull_past", Value.I32(1))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("select_hull_past", Value.I32(0)));
    }
}
