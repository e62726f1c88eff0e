using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Loop versioning (FunctionCompiler.LoopVersioning.cs): a loop over induction variables runs an unchecked copy when a
/// guard at entry proves every access through them in bounds, the checked copy otherwise. Each function below has inputs
/// for which the unchecked copy would be right and inputs for which it would access memory out of bounds (a wrong bound,
/// an off-by-one end, a wrap of an i32 address or of the tested counter, a negative step, a pointer written elsewhere, a
/// branch back before the exit test, growth in the body): those must trap "out of bounds memory access" at the exact
/// iteration, after that iteration's earlier side effects (the global <c>$iters</c> and the stores), or, where the
/// program is in bounds, compute the right values. Each loop starts with two loads from constant addresses: only loops
/// with at least three accesses are versioned.
/// </summary>
public class LoopVersioningTests
{
    // Small loops: let those that save one check per iteration take the unchecked copy too (see the field).
    static LoopVersioningTests() => Strand.Compilation.FunctionCompiler.VersionedLoopMinSavedChecks = 1;

    private static string Module(string memory) => $$"""
        (module
          (memory (export "mem") {{memory}})
          (global $iters (export "iters") (mut i32) (i32.const 0))
          ;; the rotated loop: $p advances by 4, $i counts to $n (tested after its increment, "n != i")
          (func (export "tail_ptr") (param $p i32) (param $n i32) (result i32)
            (local $i i32) (local $sum i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
              (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $p))))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.get $n) (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (i32.ne) (br_if $l))
            (local.get $sum))
          ;; serde_json's byte loop: the test leads the body in a block whose rest returns; the address $p + $i goes
          ;; through a local; the increment goes through a second local first
          (func (export "top_bytes") (param $p i32) (param $n i32) (result i32)
            (local $i i32) (local $a i32) (local $j i32) (local $sum i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (block $b
                (local.get $n) (local.get $i) (i32.ne) (br_if $b)
                (return (local.get $sum)))
              (local.set $a (i32.add (local.get $p) (local.get $i)))
              (local.get $i) (i32.const 1) (i32.add) (local.tee $j) (local.set $i)
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $a))))
              (i32.store8 (local.get $a) (i32.const 7))
              (br $l))
            (unreachable))
          ;; the same whose exit path reads the byte at $p + $n (in the iteration that fails the test)
          (func (export "top_exit_read") (param $p i32) (param $n i32) (result i32)
            (local $i i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (block $b
                (local.get $n) (local.get $i) (i32.ne) (br_if $b)
                (return (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store8 (i32.add (local.get $p) (local.get $i)) (i32.const 9))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $l))
            (unreachable))
          ;; a pointer loop left by a br_if out of the loop when $p reaches $end
          (func (export "out_ptr") (param $p i32) (param $end i32) (result i32)
            (local $sum i32)
            (block $done
              (loop $l
                (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
                (br_if $done (i32.eq (local.get $p) (local.get $end)))
                (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
                (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $p))))
                (i32.store (local.get $p) (i32.const -1))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $l)))
            (local.get $sum))
          ;; a negative step: $p goes down by 4 while $n counts down to zero
          (func (export "down") (param $p i32) (param $n i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store (local.get $p) (local.get $n))
              (local.set $p (i32.add (local.get $p) (i32.const -4)))
              (local.get $n) (i32.const -1) (i32.add) (local.tee $n) (br_if $l)))
          ;; base + (i << 2), where base + 4i or i << 2 may wrap around 2^32 into the memory
          (func (export "wrap_base") (param $base i32) (param $i i32) (param $n i32) (result i32)
            (local $sum i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (local.set $sum (i32.add (local.get $sum)
                (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))))
              (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (local.get $n) (i32.lt_u) (br_if $l))
            (local.get $sum))
          ;; $p also jumps to $q at the third iteration: not an induction variable
          (func (export "modified") (param $p i32) (param $q i32) (param $n i32)
            (local $i i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store (local.get $p) (i32.const 1))
              (if (i32.eq (local.get $i) (i32.const 2)) (then (local.set $p (local.get $q))))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.get $n) (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (i32.ne) (br_if $l)))
          ;; an address local reassigned on one path before its use
          (func (export "affine_local_merged") (param $p i32) (param $q i32) (param $n i32)
            (local $i i32) (local $a i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (local.set $a (i32.add (local.get $p) (local.get $i)))
              (if (i32.eq (local.get $i) (i32.const 3)) (then (local.set $a (local.get $q))))
              (i32.store8 (local.get $a) (i32.const 5))
              (local.get $n) (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (i32.ne) (br_if $l)))
          ;; an address local set just before a return_call (after which the compiler skips code up to the block's end,
          ;; reached only by the branch around it): after the block, $a still holds $q, not $p + $i
          (func $leave (result i32) (i32.const 0))
          (func (export "tail_call_merge") (param $p i32) (param $q i32) (param $n i32) (result i32)
            (local $i i32) (local $a i32)
            (local.set $a (local.get $q))
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (block $b
                (br_if $b (i32.ne (local.get $i) (i32.const 1000)))
                (local.set $a (i32.add (local.get $p) (local.get $i)))
                (return_call $leave))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store8 (local.get $a) (i32.const 1))
              (local.get $n) (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (i32.ne) (br_if $l))
            (i32.const 1))
          ;; memory.grow in the body, at the third iteration
          (func (export "grow_in_loop") (param $p i32) (param $n i32) (result i32)
            (local $i i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (if (i32.eq (local.get $i) (i32.const 2)) (then (drop (memory.grow (i32.const 1)))))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store (local.get $p) (i32.add (local.get $i) (i32.const 100)))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.get $n) (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (i32.ne) (br_if $l))
            (memory.size))
          ;; a branch back before the test block: the first iterations skip the test, so it bounds nothing
          (func (export "early_back") (param $p i32) (param $n i32)
            (local $i i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 4)))
              (block $b
                (local.get $n) (local.get $i) (i32.ne) (br_if $b)
                (return))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
              (br $l)))
          ;; the tested counter wraps past 2^32 and keeps the loop going ("i + 8 <u n")
          (func (export "gov_wrap") (param $p i32) (param $i i32) (param $n i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store (local.get $p) (local.get $i))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.get $i) (i32.const 8) (i32.add) (local.tee $i) (local.get $n) (i32.lt_u) (br_if $l)))
          ;; the address read after its increment: bytes $p + 1 .. $p + $n
          (func (export "after_inc") (param $p i32) (param $n i32) (result i32)
            (local $i i32) (local $sum i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
              (br_if $l (i32.ne (local.get $i) (local.get $n))))
            (local.get $sum))
          ;; a loop that leaves early (a zero byte) before the bound it was given
          (func (export "early_exit") (param $p i32) (param $n i32) (result i32)
            (local $i i32)
            (block $found
              (loop $l
                (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
                (br_if $found (i32.eqz (i32.load8_u offset=1 (i32.add (local.get $p) (local.get $i)))))
                (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
                (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (local.get $n) (i32.lt_u) (br_if $l)))
            (local.get $i))
          ;; signed counting up with "i <s n" and a descending pointer with "i >u n"
          (func (export "signed_up") (param $p i32) (param $i i32) (param $n i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store16 offset=2 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1))) (local.get $i))
              (local.get $i) (i32.const 1) (i32.add) (local.tee $i) (local.get $n) (i32.lt_s) (br_if $l)))
          (func (export "gt_down") (param $p i32) (param $i i32) (param $n i32)
            (loop $l
              (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
              (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
              (i32.store8 (i32.add (local.get $p) (local.get $i)) (i32.const 3))
              (local.get $i) (i32.const -1) (i32.add) (local.tee $i) (local.get $n) (i32.gt_u) (br_if $l))))
        """;

    public static TheoryData<string> Memories => new() { "1 1", "1 2 shared", "1" };

    private static void AssertOutOfBounds(Action action) =>
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(action).Code);

    private static (Instance Instance, Memory Memory) Load(string memory)
    {
        var instance = new Linker().Instantiate(Compile(Module(memory)));
        return (instance, instance.GetMemory("mem")!);
    }

    private static int Iterations(Instance instance)
    {
        int n = instance.GetGlobal("iters")!.Value.AsI32;
        instance.GetGlobal("iters")!.Value = Value.I32(0);
        return n;
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void ARotatedPointerLoopTrapsAtTheIterationPastTheEnd(string memory)
    {
        var (instance, mem) = Load(memory);
        Assert.Equal(16, instance.Invoke("tail_ptr", Value.I32(4096), Value.I32(16))[0].AsI32);
        Assert.Equal(16, Iterations(instance));
        Assert.Equal(1, mem.ReadInt32(4096 + 60));
        Assert.Equal(0, mem.ReadInt32(4096 + 64));
        // The last cell ends exactly at the end of the memory: in bounds.
        Assert.Equal(8, instance.Invoke("tail_ptr", Value.I32(65536 - 32), Value.I32(8))[0].AsI32);
        Assert.Equal(1, mem.ReadInt32(65532));

        // One byte further: the load of iteration 7 reaches 65537 and traps, after iterations 0..6 stored.
        (instance, mem) = Load(memory);
        AssertOutOfBounds(() => instance.Invoke("tail_ptr", Value.I32(65536 - 31), Value.I32(8)));
        Assert.Equal(8, Iterations(instance));
        Assert.Equal(1, mem.ReadInt32(65536 - 31 + 24));
        Assert.Equal(0, mem.ReadByte(65533));

        // n = 0 counts 2^32 iterations: the pointer leaves the memory at iteration 16.
        (instance, mem) = Load(memory);
        AssertOutOfBounds(() => instance.Invoke("tail_ptr", Value.I32(65536 - 64), Value.I32(0)));
        Assert.Equal(17, Iterations(instance));
        Assert.Equal(1, mem.ReadInt32(65536 - 4));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void ALeadingTestBoundsTheBytesRead(string memory)
    {
        var (instance, mem) = Load(memory);
        mem.WriteBytes(1000, new byte[] { 1, 2, 3, 4, 5 });
        Assert.Equal(15, instance.Invoke("top_bytes", Value.I32(1000), Value.I32(5))[0].AsI32);
        Assert.Equal(5, Iterations(instance));
        Assert.Equal((byte)7, mem.ReadByte(1004));
        Assert.Equal(0, instance.Invoke("top_bytes", Value.I32(70000), Value.I32(0))[0].AsI32);
        Assert.Equal(0, Iterations(instance));
        mem.WriteBytes(65526, new byte[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 });
        Assert.Equal(10, instance.Invoke("top_bytes", Value.I32(65526), Value.I32(10))[0].AsI32);
        Assert.Equal(10, Iterations(instance));
        Assert.Equal((byte)7, mem.ReadByte(65535));
        // 11 bytes from 65526: the 11th (iteration 10) is 65536.
        AssertOutOfBounds(() => instance.Invoke("top_bytes", Value.I32(65526), Value.I32(11)));
        Assert.Equal(11, Iterations(instance));
        // $p + $i starts at 0xfffffffe (later ones wrap to 0, 1): the first read traps.
        AssertOutOfBounds(() => instance.Invoke("top_bytes", Value.I32(-2), Value.I32(4)));
        Assert.Equal(1, Iterations(instance));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void TheExitPathOfALeadingTestIsChecked(string memory)
    {
        var (instance, mem) = Load(memory);
        mem.WriteByte(3000 + 4, 42);
        Assert.Equal(42, instance.Invoke("top_exit_read", Value.I32(3000), Value.I32(4))[0].AsI32);
        Assert.Equal((byte)9, mem.ReadByte(3003));
        // Bytes 65532 .. 65535 are written, then the exit path reads 65536.
        AssertOutOfBounds(() => instance.Invoke("top_exit_read", Value.I32(65532), Value.I32(4)));
        Assert.Equal(4, Iterations(instance) - 4);
        Assert.Equal((byte)9, mem.ReadByte(65535));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void APointerLoopLeftByABranchOut(string memory)
    {
        var (instance, mem) = Load(memory);
        mem.WriteInt32(65520, 5);
        Assert.Equal(5, instance.Invoke("out_ptr", Value.I32(65520), Value.I32(65536))[0].AsI32);
        Assert.Equal(4, Iterations(instance));
        Assert.Equal(-1, mem.ReadInt32(65532));
        // The end one cell past the memory: iteration 4 traps.
        AssertOutOfBounds(() => instance.Invoke("out_ptr", Value.I32(65520), Value.I32(65540)));
        Assert.Equal(5, Iterations(instance));
        // An end the step never meets: the loop runs until the pointer leaves the memory.
        mem.WriteInt32(65532, 0);
        AssertOutOfBounds(() => instance.Invoke("out_ptr", Value.I32(65520), Value.I32(65526)));
        Assert.Equal(5, Iterations(instance));
        Assert.Equal(-1, mem.ReadInt32(65532));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void ANegativeStepTrapsBelowZero(string memory)
    {
        var (instance, mem) = Load(memory);
        instance.Invoke("down", Value.I32(12), Value.I32(4));
        Assert.Equal(4, Iterations(instance));
        Assert.Equal(1, mem.ReadInt32(0));
        Assert.Equal(4, mem.ReadInt32(12));
        // 8, 4, 0, then -4 (0xfffffffc): iteration 3 traps after three stores.
        mem.WriteInt32(0, 0);
        AssertOutOfBounds(() => instance.Invoke("down", Value.I32(8), Value.I32(4)));
        Assert.Equal(4, Iterations(instance));
        Assert.Equal(2, mem.ReadInt32(0));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void AddressesThatWrapAroundTwoToThe32AreComputedAsTheProgramDoes(string memory)
    {
        var (instance, mem) = Load(memory);
        for (int k = 0; k < 8; k++) mem.WriteInt32(4 * k, k + 1);
        // base = -65536, i from 16384: base + 4i wraps to 0, 4, ... 28.
        Assert.Equal(36, instance.Invoke("wrap_base", Value.I32(-65536), Value.I32(16384), Value.I32(16392))[0].AsI32);
        // i << 2 wraps: i = 2^30 + k gives 4k.
        Assert.Equal(36, instance.Invoke("wrap_base", Value.I32(0), Value.I32(1 << 30), Value.I32((1 << 30) + 8))[0].AsI32);
        // No wrap, past the end: the load at 65536 traps.
        AssertOutOfBounds(() => instance.Invoke("wrap_base", Value.I32(65520), Value.I32(0), Value.I32(8)));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void APointerWrittenElsewhereInTheBodyIsChecked(string memory)
    {
        var (instance, mem) = Load(memory);
        instance.Invoke("modified", Value.I32(0), Value.I32(1000), Value.I32(6));
        Assert.Equal(1, mem.ReadInt32(1008));
        Assert.Equal(6, Iterations(instance));
        // From iteration 3 on, $p is 65536 + 4·k: iteration 3 traps.
        AssertOutOfBounds(() => instance.Invoke("modified", Value.I32(0), Value.I32(65532), Value.I32(6)));
        Assert.Equal(4, Iterations(instance));

        instance.Invoke("affine_local_merged", Value.I32(2000), Value.I32(100), Value.I32(6));
        Assert.Equal((byte)5, mem.ReadByte(100));
        Assert.Equal((byte)0, mem.ReadByte(2003));
        Assert.Equal((byte)5, mem.ReadByte(2005));
        Iterations(instance);
        AssertOutOfBounds(() => instance.Invoke("affine_local_merged", Value.I32(2000), Value.I32(65536), Value.I32(6)));
        Assert.Equal(4, Iterations(instance));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void AnAddressLocalIsForgottenWhereCodeStopsBeingReachable(string memory)
    {
        var (instance, mem) = Load(memory);
        Assert.Equal(1, instance.Invoke("tail_call_merge", Value.I32(0), Value.I32(500), Value.I32(5))[0].AsI32);
        Assert.Equal((byte)1, mem.ReadByte(500));
        Assert.Equal(5, Iterations(instance));
        AssertOutOfBounds(() => instance.Invoke("tail_call_merge", Value.I32(0), Value.I32(65536), Value.I32(5)));
        Assert.Equal(1, Iterations(instance));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void MemoryGrownInTheBodyIsUsable(string memory)
    {
        var (instance, mem) = Load(memory);
        bool canGrow = memory != "1 1";
        if (canGrow)
        {
            Assert.Equal(2, instance.Invoke("grow_in_loop", Value.I32(65536 - 8), Value.I32(6))[0].AsI32);
            Assert.Equal(6, Iterations(instance));
            Assert.Equal(105, mem.ReadInt32(65536 + 12));
        }
        else
        {
            // The growth fails: iteration 2 stores at 65536 and traps.
            AssertOutOfBounds(() => instance.Invoke("grow_in_loop", Value.I32(65536 - 8), Value.I32(6)));
            Assert.Equal(3, Iterations(instance));
            Assert.Equal(101, mem.ReadInt32(65532));
        }
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void ABranchBackBeforeTheTestBoundsNothing(string memory)
    {
        var (instance, mem) = Load(memory);
        instance.Invoke("early_back", Value.I32(1000), Value.I32(6));
        Assert.Equal(2, Iterations(instance));
        Assert.Equal(5, mem.ReadInt32(1020));
        // The test "6 != i" sees i = 4, 5, ... only: with n = 2 it never stops; i = 16 stores at 65536 and traps.
        AssertOutOfBounds(() => instance.Invoke("early_back", Value.I32(65536 - 64), Value.I32(2)));
        Assert.Equal(13, Iterations(instance));
        Assert.Equal(15, mem.ReadInt32(65532));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void ATestedCounterThatWrapsKeepsTheLoopChecked(string memory)
    {
        var (instance, mem) = Load(memory);
        // i = -8: i + 8 wraps to 0 < 256, so the loop runs 33 iterations, not 1; iteration 20 stores at 65536.
        AssertOutOfBounds(() => instance.Invoke("gov_wrap", Value.I32(65536 - 80), Value.I32(-8), Value.I32(256)));
        Assert.Equal(21, Iterations(instance));
        Assert.Equal(8 * 18, mem.ReadInt32(65532));
        instance.Invoke("gov_wrap", Value.I32(1000), Value.I32(-8), Value.I32(256));
        Assert.Equal(33, Iterations(instance));
        Assert.Equal(248, mem.ReadInt32(1128));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void AnAddressReadAfterItsIncrementIsBoundedOneFurther(string memory)
    {
        var (instance, mem) = Load(memory);
        mem.WriteByte(65535, 200);
        mem.WriteByte(65534, 1);
        Assert.Equal(201, instance.Invoke("after_inc", Value.I32(65533), Value.I32(2))[0].AsI32);
        Assert.Equal(2, Iterations(instance));
        AssertOutOfBounds(() => instance.Invoke("after_inc", Value.I32(65533), Value.I32(3)));
        Assert.Equal(3, Iterations(instance));
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void ALoopLeavingEarlyNeverReachesItsBound(string memory)
    {
        var (instance, mem) = Load(memory);
        mem.WriteBytes(65530, new byte[] { 1, 1, 1, 1, 0, 1 });
        // The bound (a million) reaches far past the memory, but the zero byte at 65534 ends the loop first.
        Assert.Equal(3, instance.Invoke("early_exit", Value.I32(65530), Value.I32(1_000_000))[0].AsI32);
        Assert.Equal(3, Iterations(instance));
        mem.WriteByte(65534, 1);
        // Without the zero byte, iteration 5 reads 65536.
        AssertOutOfBounds(() => instance.Invoke("early_exit", Value.I32(65530), Value.I32(1_000_000)));
        Assert.Equal(5, Iterations(instance));
        mem.WriteBytes(101, new byte[] { 1, 1, 1 });
        Assert.Equal(2, instance.Invoke("early_exit", Value.I32(100), Value.I32(2))[0].AsI32);
    }

    [Theory]
    [MemberData(nameof(Memories))]
    public void SignedAndDescendingBounds(string memory)
    {
        var (instance, mem) = Load(memory);
        // i from -3 to 2 (i <s 3): stores at p + 2i + 2 for i = -3 .. 2.
        instance.Invoke("signed_up", Value.I32(1000), Value.I32(-3), Value.I32(3));
        Assert.Equal(6, Iterations(instance));
        Assert.Equal((short)2, mem.ReadInt16(1006));
        Assert.Equal((short)-3, mem.ReadInt16(996));
        // p - 6 + 2 < 0: the first store (i = -3) wraps to 0xfffffffe and traps.
        AssertOutOfBounds(() => instance.Invoke("signed_up", Value.I32(2), Value.I32(-3), Value.I32(3)));
        Assert.Equal(1, Iterations(instance));
        // The end exactly at 65536: i = 16382 .. 16383 store 65534 .. 65535 + 1.
        instance.Invoke("signed_up", Value.I32(32766), Value.I32(16382), Value.I32(16384));
        Assert.Equal((short)16383, mem.ReadInt16(65534));
        Iterations(instance);
        AssertOutOfBounds(() => instance.Invoke("signed_up", Value.I32(32767), Value.I32(16382), Value.I32(16384)));
        Assert.Equal(2, Iterations(instance));

        // i from 10 down to 3 (i >u 2): bytes p + 10 .. p + 3.
        instance.Invoke("gt_down", Value.I32(5000), Value.I32(10), Value.I32(2));
        Assert.Equal(8, Iterations(instance));
        Assert.Equal((byte)3, mem.ReadByte(5003));
        Assert.Equal((byte)0, mem.ReadByte(5002));
        // The first byte (i = 10) past the end: traps at once.
        AssertOutOfBounds(() => instance.Invoke("gt_down", Value.I32(65526), Value.I32(10), Value.I32(2)));
        Assert.Equal(1, Iterations(instance));
    }
}
