using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Redundant-check facts across blocks, loops and ifs (FunctionCompiler.CheckScopes.cs): an address local checked before
/// a construct skips its checks inside and after it only while the construct never writes the local, and a fact found
/// inside a construct does not outlive it. Each function here would make an unchecked out-of-bounds access (or return
/// without the trap) if a fact were kept where it does not hold; the trap must come at the right iteration, after the
/// stores that precede it.
/// </summary>
public class CheckScopesTests
{
    private static string Module(string memory) => $$"""
        (module
          (memory (export "mem") {{memory}})
          (tag $e)
          ;; $p checked before the loop, written inside it: each iteration's access through $p is checked again
          (func (export "walk") (param $p i32) (param $n i32) (result i32)
            (local $i i32)
            (drop (i32.load offset=8 (local.get $p)))
            (loop $l
              (i32.store (i32.const 0) (local.get $i))
              (drop (i32.load offset=8 (local.get $p)))
              (local.set $p (i32.add (local.get $p) (i32.const 4096)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            (local.get $i))
          ;; $p checked before the loop for 4 bytes and never written in it: the same access inside skips its check, a
          ;; wider one at iteration $k is still checked
          (func (export "invariant") (param $p i32) (param $n i32) (param $k i32) (result i32)
            (local $i i32) (local $sum i32)
            (drop (i32.load (local.get $p)))
            (loop $l
              (i32.store (i32.const 0) (local.get $i))
              (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $p))))
              (if (i32.eq (local.get $i) (local.get $k))
                (then (local.set $sum (i32.add (local.get $sum) (i32.load offset=8 (local.get $p))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            (local.get $sum))
          ;; $p written in the then arm: the else arm keeps the entry fact, the code after the if does not
          (func (export "branchy") (param $p i32) (param $c i32) (result i32)
            (drop (i32.load offset=4 (local.get $p)))
            (if (local.get $c)
              (then (local.set $p (i32.const 65536)))
              (else (drop (i32.load (local.get $p)))))
            (i32.load (local.get $p)))
          ;; $p written after a branch out of the block: written in the block, so not checked after it
          (func (export "skipped_write") (param $p i32) (param $c i32) (result i32)
            (drop (i32.load (local.get $p)))
            (block $b
              (br_if $b (local.get $c))
              (local.set $p (i32.const 65536)))
            (i32.load (local.get $p)))
          ;; $p checked only on one path through the block: not checked after it
          (func (export "inner_fact") (param $p i32) (param $c i32) (result i32)
            (block $b
              (br_if $b (local.get $c))
              (drop (i32.load (local.get $p))))
            (i32.load (local.get $p)))
          ;; a fact found in a loop body does not hold at its header on the first iteration
          (func (export "loop_fact") (param $p i32) (param $n i32) (result i32)
            (local $i i32)
            (loop $l
              (i32.store (i32.const 0) (local.get $i))
              (if (i32.eq (local.get $i) (local.get $n))
                (then (drop (i32.load offset=8 (local.get $p)))))
              (drop (i32.load (local.get $p)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.le_u (local.get $i) (local.get $n))))
            (local.get $i))
          ;; the facts after a block are those common to every path to its end
          (func (export "then_only") (param $p i32) (param $c i32) (result i32)
            (if (local.get $c) (then (drop (i32.load (local.get $p)))))
            (i32.load (local.get $p)))
          (func (export "narrower_arm") (param $p i32) (param $c i32) (result i32)
            (if (local.get $c)
              (then (drop (i32.load (local.get $p))))
              (else (drop (i32.load offset=4 (local.get $p)))))
            (i32.load offset=4 (local.get $p)))
          (func (export "before_branch") (param $p i32) (param $c i32) (result i32)
            (block $b
              (drop (i32.load offset=4 (local.get $p)))
              (br_if $b (local.get $c))
              (drop (i32.load offset=12 (local.get $p))))
            (i32.load offset=8 (local.get $p)))
          (func (export "table") (param $p i32) (param $k i32) (result i32)
            (block $b1
              (block $b0
                (br_table $b0 $b1 (local.get $k)))
              ;; from $b0 only: $p checked to 16
              (drop (i32.load offset=12 (local.get $p))))
            (i32.load offset=12 (local.get $p)))
          (func $maybe_throw (param $c i32) (if (local.get $c) (then (throw $e))))
          (func (export "caught") (param $p i32) (param $c i32) (result i32)
            (block $b
              (try_table (catch_all $b)
                (call $maybe_throw (local.get $c)))
              ;; the fall-through has the fact, the catch clause's edge does not
              (drop (i32.load (local.get $p))))
            (i32.load (local.get $p))))
        """;

    public static TheoryData<string> Memories => new() { "1 1", "1 2 shared", "1" };

    private static void AssertOutOfBounds(Action action) =>
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(action).Code);

    [Theory]
    [MemberData(nameof(Memories))]
    public void AnAddressWrittenInALoopIsCheckedAtEachIteration(string memory)
    {
        var instance = new Linker().Instantiate(Compile(Module(memory)));
        var mem = instance.GetMemory("mem")!;
        Assert.Equal(16, instance.Invoke("walk", Value.I32(0), Value.I32(16))[0].AsI32);
        // Iteration 16 reads 65536 + 8: it traps there, after storing its number.
        AssertOutOfBounds(() => instance.Invoke("walk", Value.I32(0), Value.I32(100)));
        Assert.Equal(16, mem.ReadInt32(0));
        // 12388 + 4096·13 + 8 + 4 > 65536 ≥ 12388 + 4096·12 + 12: iteration 13 traps.
        AssertOutOfBounds(() => instance.Invoke("walk", Value.I32(4096 * 3 + 100), Value.I32(100)));
        Assert.Equal(13, mem.ReadInt32(0));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void AnInvariantAddressKeepsItsFactAndAWiderAccessIsChecked(string memory)
    {
        var instance = new Linker().Instantiate(Compile(Module(memory)));
        var mem = instance.GetMemory("mem")!;
        int p = 65536 - 8;
        mem.WriteInt32(p, 3);
        mem.WriteInt32(p + 4, 1000);
        Assert.Equal(30, instance.Invoke("invariant", Value.I32(p), Value.I32(10), Value.I32(-1))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("invariant", Value.I32(p), Value.I32(10), Value.I32(6)));
        Assert.Equal(6, mem.ReadInt32(0));
        AssertOutOfBounds(() => instance.Invoke("invariant", Value.I32(65536 - 3), Value.I32(10), Value.I32(-1)));
        Assert.Equal(6, mem.ReadInt32(0)); // the check before the loop traps before the first store
        mem.WriteInt32(65536 - 12, 5);
        Assert.Equal(5 * 10 + 1000, instance.Invoke("invariant", Value.I32(65536 - 12), Value.I32(10), Value.I32(9))[0].AsI32);
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void FactsEndWhereAPathWritesOrSkips(string memory)
    {
        var instance = new Linker().Instantiate(Compile(Module(memory)));
        var mem = instance.GetMemory("mem")!;
        mem.WriteInt32(0, 42);
        Assert.Equal(42, instance.Invoke("branchy", Value.I32(0), Value.I32(0))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("branchy", Value.I32(0), Value.I32(1)));
        Assert.Equal(42, instance.Invoke("skipped_write", Value.I32(0), Value.I32(1))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("skipped_write", Value.I32(0), Value.I32(0)));
        Assert.Equal(42, instance.Invoke("inner_fact", Value.I32(0), Value.I32(0))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("inner_fact", Value.I32(65536), Value.I32(1)));
        AssertOutOfBounds(() => instance.Invoke("inner_fact", Value.I32(65536 - 2), Value.I32(1)));
        Assert.Equal(4, instance.Invoke("loop_fact", Value.I32(0), Value.I32(3))[0].AsI32);
        // The load at offset 8 of the last iteration traps: after its store of the iteration number.
        AssertOutOfBounds(() => instance.Invoke("loop_fact", Value.I32(65536 - 8), Value.I32(3)));
        Assert.Equal(3, mem.ReadInt32(0));
        AssertOutOfBounds(() => instance.Invoke("loop_fact", Value.I32(65536 - 2), Value.I32(3)));
        Assert.Equal(0, mem.ReadInt32(0));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void AfterABlockOnlyTheFactsOfEveryPathHold(string memory)
    {
        var instance = new Linker().Instantiate(Compile(Module(memory)));
        var mem = instance.GetMemory("mem")!;
        mem.WriteInt32(65532, 9);
        Assert.Equal(9, instance.Invoke("then_only", Value.I32(65532), Value.I32(1))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("then_only", Value.I32(65536), Value.I32(0)));
        mem.WriteInt32(65528, 8);
        Assert.Equal(9, instance.Invoke("narrower_arm", Value.I32(65528), Value.I32(0))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("narrower_arm", Value.I32(65532), Value.I32(1)));
        // Checked to 8 before the branch, to 16 after it: the load at offset 8 (to 12) is checked on the branch path.
        AssertOutOfBounds(() => instance.Invoke("before_branch", Value.I32(65536 - 8), Value.I32(1)));
        AssertOutOfBounds(() => instance.Invoke("before_branch", Value.I32(65536 - 8), Value.I32(0)));
        Assert.Equal(9, instance.Invoke("table", Value.I32(65536 - 16), Value.I32(0))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("table", Value.I32(65536 - 8), Value.I32(1)));
        AssertOutOfBounds(() => instance.Invoke("table", Value.I32(65536 - 8), Value.I32(0)));
        Assert.Equal(9, instance.Invoke("caught", Value.I32(65532), Value.I32(1))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("caught", Value.I32(65536), Value.I32(1)));
        AssertOutOfBounds(() => instance.Invoke("caught", Value.I32(65536), Value.I32(0)));
    }
}
