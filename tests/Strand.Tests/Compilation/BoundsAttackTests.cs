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
    /// <summary>
    /// Probes that held (each is an unchecked out-of-bounds access if a rule were wrong): facts of another memory, loops
    /// that only look counted (a count to zero from a positive start wraps past 2^32, lt_s crosses zero, ne with a step
    /// that does not divide the distance), an inner loop's parameter fed from a counter, exception edges to a loop
    /// header and out of legacy handlers.
    /// </summary>
    private const string HeldModule = """
        (module
          (memory $m0 1 1)
          (memory $m1 4 4)
          (tag $e)
          (func $thr (param $c i32) (if (local.get $c) (then (throw $e))))
          (func (export "other_memory") (param $p i32) (result i32)
            (drop (i32.load $m1 (local.get $p)))
            (i32.load $m0 (local.get $p)))
          (func (export "to_zero_up") (result i32)
            (local $i i32) (local $s i32)
            (i32.const 5) (local.set $i)
            (loop $l
              (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $i) (i32.const 4)))))
              (local.tee $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l))
            (local.get $s))
          (func (export "lt_s_crossing") (result i32)
            (local $i i32) (local $s i32)
            (i32.const -8) (local.set $i)
            (loop $l
              (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $i))))
              (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (i32.const 8) (i32.lt_s)
              (br_if $l))
            (local.get $s))
          (func (export "ne_not_dividing") (result i32)
            (local $i i32) (local $h i32)
            (i32.const 65520) (local.set $i)
            (block $out
              (loop $l
                (drop (i32.load8_u (local.get $i)))
                (br_if $out (i32.gt_u (local.tee $h (i32.add (local.get $h) (i32.const 1))) (i32.const 100)))
                (local.get $i) (i32.const 3) (i32.add) (local.tee $i) (i32.const 65536) (i32.ne)
                (br_if $l)))
            (local.get $h))
          (func (export "counter_into_param") (param $x i32) (result i32)
            (local $i i32) (local $n i32)
            (i32.const 0) (local.set $i)
            (loop $l
              (local.get $i)
              (loop $in (param i32)
                (i32.load8_u) (drop)
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (local.get $x)
                (br_if $in (i32.and (local.get $n) (i32.const 1)))
                (drop))
              (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (i32.const 4) (i32.lt_u)
              (br_if $l))
            (local.get $n))
          (func (export "catch_to_loop") (param $q i32) (result i32)
            (local $n i32)
            (loop $l
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (try_table (catch_all $l)
                (call $thr (i32.lt_u (local.get $n) (i32.const 2)))))
            (drop (i32.load (local.get $q)))
            (local.get $n))
          (func (export "legacy_catch") (param $p i32) (param $c i32) (result i32)
            (block $b
              (try
                (do (call $thr (local.get $c)) (drop (i32.load (local.get $p))))
                (catch $e (br $b))))
            (i32.load (local.get $p))))
        """;

    [Fact]
    public void ProbesThatHeld()
    {
        var instance = new Linker().Instantiate(Compile(HeldModule));
        Assert.Equal(0, instance.Invoke("other_memory", Value.I32(65532))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("other_memory", Value.I32(65536)));
        // $i runs 5, 6, ... up to 2^32 - 1: the load at $i + 4 reaches 65536 at $i = 65532, long before the wrap
        AssertOutOfBounds(() => instance.Invoke("to_zero_up"));
        // $i = -8 is 2^32 - 8 unsigned: the first load traps
        AssertOutOfBounds(() => instance.Invoke("lt_s_crossing"));
        // 65520 + 3k never equals 65536: the load at 65537 traps (at k = 6)
        AssertOutOfBounds(() => instance.Invoke("ne_not_dividing"));
        // two inner iterations per outer one: $i, then $x
        Assert.Equal(8, instance.Invoke("counter_into_param", Value.I32(100))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("counter_into_param", Value.I32(65536)));
        Assert.Equal(2, instance.Invoke("catch_to_loop", Value.I32(0))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("catch_to_loop", Value.I32(65536)));
        Assert.Equal(0, instance.Invoke("legacy_catch", Value.I32(0), Value.I32(0))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("legacy_catch", Value.I32(65536), Value.I32(1)));
    }
}
