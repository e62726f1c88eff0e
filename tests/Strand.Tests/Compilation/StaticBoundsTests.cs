using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Static bounds (FunctionCompiler.StaticBounds.cs): an access whose address interval, known at compile time (a constant,
/// a counted loop's counter, their sum), stays below memory 0's declared minimum skips its check. Accesses whose
/// interval reaches past the minimum, wraps around 2^32, or belongs to a loop that only looks counted are still checked:
/// each function here would make an unchecked out-of-bounds access if they were not, and must trap at the right
/// iteration after the stores before it.
/// </summary>
public class StaticBoundsTests
{
    private const string Module = """
        (module
          (memory (export "mem") 1)
          ;; constant addresses: below the minimum (no check), and past it (checked: fine once the memory has grown)
          (func (export "const_in") (result i32) (i32.load (i32.const 65532)))
          (func (export "const_past") (result i32) (i32.load (i32.const 65536)))
          (func (export "const_store_past") (param $v i32) (i32.store offset=65534 (i32.const 2) (local.get $v)))
          (func (export "grow") (result i32) (memory.grow (i32.const 1)))
          ;; LLVM's shape: $i counts from -n·4 up to 0 by 4, the address $i + c wraps to [c - n·4, c - 4]
          (func (export "copy_down") (result i32)
            (local $i i32)
            (i32.const -4096)
            (local.set $i)
            (loop $l
              (i32.store (i32.add (local.get $i) (i32.const 12288))
                (i32.add (i32.load (i32.add (local.get $i) (i32.const 8192))) (i32.const 1)))
              (local.tee $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $l))
            (i32.load (i32.const 12284)))
          ;; the same with the destination ending past the minimum: the store of the last iterations is checked and the
          ;; trap comes at the iteration whose store reaches 65536
          (func (export "copy_past") (param $unused i32)
            (local $i i32)
            (i32.const -4096)
            (local.set $i)
            (loop $l
              (i32.store (i32.const 0) (local.get $i))
              (i32.store offset=8 (i32.add (local.get $i) (i32.const 65536)) (local.get $i))
              (local.tee $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $l)))
          ;; an interval crossing 2^32: $i + 512 for $i in [-1024, -4] is -512..508, not a small range
          (func (export "crossing") (result i32)
            (local $i i32) (local $sum i32)
            (i32.const -1024)
            (local.set $i)
            (loop $l
              (local.set $sum (i32.add (local.get $sum) (i32.load (i32.add (local.get $i) (i32.const 512)))))
              (local.tee $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $l))
            (local.get $sum))
          ;; counting up with lt_u: $i in [0, 16380], the address $i + 49152 in [49152, 65532]
          (func (export "count_up") (result i32)
            (local $i i32) (local $sum i32)
            (i32.const 0)
            (local.set $i)
            (loop $l
              (local.set $sum (i32.add (local.get $sum) (i32.load offset=49152 (local.get $i))))
              (i32.store offset=49152 (local.get $i) (i32.const 1))
              (local.get $i) (i32.const 4) (i32.add) (local.tee $i) (i32.const 16384) (i32.lt_u)
              (br_if $l))
            (local.get $sum))
          ;; looks counted, but the counter jumps inside the body: not counted, every access checked
          (func (export "not_counted") (param $jump i32) (result i32)
            (local $i i32)
            (i32.const 0)
            (local.set $i)
            (loop $l
              (i32.store (i32.const 0) (local.get $i))
              (if (i32.eq (local.get $i) (i32.const 8))
                (then (local.set $i (local.get $jump))))
              (drop (i32.load offset=32768 (local.get $i)))
              (local.get $i) (i32.const 4) (i32.add) (local.tee $i) (i32.const 64) (i32.lt_u)
              (br_if $l))
            (local.get $i))
          ;; table lookups: masks, shifts, remainders, products, bytes read from memory
          (func (export "masked") (param $x i32) (result i32)
            (i32.load offset=1024 (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 2))))
          (func (export "masked_past") (param $x i32) (result i32)
            (i32.load offset=64516 (i32.shl (i32.and (i32.const 255) (local.get $x)) (i32.const 2))))
          (func (export "shifted") (param $x i32) (result i32)
            (i32.load8_u (i32.shr_u (local.get $x) (i32.const 16))))
          (func (export "shifted_past") (param $x i32) (result i32)
            (i32.load8_u offset=1 (i32.shr_u (local.get $x) (i32.const 16))))
          (func (export "remainder") (param $x i32) (param $d i32) (result i32)
            (i32.add
              (i32.load (i32.rem_u (local.get $x) (i32.const 65533)))
              (i32.load (i32.rem_u (local.get $x) (local.get $d)))))
          (func (export "remainder_past") (param $x i32) (result i32)
            (i32.load (i32.rem_u (local.get $x) (i32.const 65534))))
          (func (export "product") (param $x i32) (param $k i32) (result i32)
            (if (result i32) (local.get $k)
              (then (i32.load (i32.mul (i32.and (local.get $x) (i32.const 1023)) (i32.const 65))))
              (else (i32.load (i32.mul (i32.and (local.get $x) (i32.const 1023)) (i32.const 64))))))
          (func (export "indirect") (param $p i32) (result i32)
            (i32.load offset=65280 (i32.load8_u (local.get $p)))))
        """;

    private static void AssertOutOfBounds(Action action) =>
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(action).Code);

    [Fact]
    public void ConstantAddressesPastTheMinimumAreChecked()
    {
        var instance = new Linker().Instantiate(Compile(Module));
        var mem = instance.GetMemory("mem")!;
        mem.WriteInt32(65532, 99);
        Assert.Equal(99, instance.Invoke("const_in")[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("const_past"));
        AssertOutOfBounds(() => instance.Invoke("const_store_past", Value.I32(5)));
        Assert.Equal(1, instance.Invoke("grow")[0].AsI32);
        Assert.Equal(0, instance.Invoke("const_past")[0].AsI32);
        instance.Invoke("const_store_past", Value.I32(5));
        Assert.Equal(5, mem.ReadInt32(65536));
    }

    [Fact]
    public void CountedLoopsReadAndWriteTheRightCells()
    {
        var instance = new Linker().Instantiate(Compile(Module));
        var mem = instance.GetMemory("mem")!;
        for (int k = 0; k < 1024; k++) mem.WriteInt32(4096 + 4 * k, k);
        Assert.Equal(1024, instance.Invoke("copy_down")[0].AsI32);
        Assert.Equal(1, mem.ReadInt32(8192));
        Assert.Equal(512, mem.ReadInt32(8192 + 4 * 511));
        for (int k = 0; k < 4096; k++) mem.WriteInt32(49152 + 4 * k, k);
        Assert.Equal(4095 * 4096 / 2, instance.Invoke("count_up")[0].AsI32);
        Assert.Equal(1, mem.ReadInt32(65532));
    }

    [Fact]
    public void AnIntervalPastTheMinimumTrapsAtTheRightIteration()
    {
        var instance = new Linker().Instantiate(Compile(Module));
        var mem = instance.GetMemory("mem")!;
        // The store at $i + 65536 + 8 first fits nowhere: at $i = -8 (65536 + 0 .. +4 past the end) and before, for
        // $i in [-4096, -12], at 65536 + $i + 8 <= 65532: the iterations up to $i = -12 store, $i = -8 traps.
        AssertOutOfBounds(() => instance.Invoke("copy_past", Value.I32(0)));
        Assert.Equal(-8, mem.ReadInt32(0));
        Assert.Equal(-12, mem.ReadInt32(65536 - 12 + 8));
        Assert.Equal(-4096, mem.ReadInt32(65536 - 4096 + 8));
    }

    [Fact]
    public void AnIntervalCrossingTwoToThe32IsChecked() =>
        AssertOutOfBounds(() => new Linker().Instantiate(Compile(Module)).Invoke("crossing"));

    [Fact]
    public void ALoopThatOnlyLooksCountedIsChecked()
    {
        var instance = new Linker().Instantiate(Compile(Module));
        var mem = instance.GetMemory("mem")!;
        Assert.Equal(64, instance.Invoke("not_counted", Value.I32(12))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("not_counted", Value.I32(40000)));
        Assert.Equal(8, mem.ReadInt32(0));
    }

    [Fact]
    public void AnImportedMemoryUsesTheMinimumItsImportDeclares()
    {
        // The import declares 1 page; the memory given has 2: an access at 65536 is checked (it fits here), one at
        // 131072 traps.
        const string importing = """
            (module
              (import "env" "mem" (memory 1))
              (func (export "at") (param $k i32) (result i32)
                (if (result i32) (local.get $k)
                  (then (i32.load (i32.const 131072)))
                  (else (i32.load (i32.const 65536))))))
            """;
        var memory = new Memory(2, 4);
        memory.WriteInt32(65536, 77);
        var instance = new Linker().Define("env", "mem", memory).Instantiate(Compile(importing));
        Assert.Equal(77, instance.Invoke("at", Value.I32(0))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("at", Value.I32(1)));
    }

    [Fact]
    public void LookupsThroughMasksShiftsAndRemaindersReadTheRightCellsAndTrapPastTheEnd()
    {
        var instance = new Linker().Instantiate(Compile(Module));
        var mem = instance.GetMemory("mem")!;
        mem.WriteInt32(1024 + 4 * 200, 123);
        Assert.Equal(123, instance.Invoke("masked", Value.I32(0x7700 + 200))[0].AsI32);
        mem.WriteInt32(64516 + 4 * 254, 5);
        Assert.Equal(5, instance.Invoke("masked_past", Value.I32(254))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("masked_past", Value.I32(255)));
        mem.WriteByte(65535, 0xAB);
        Assert.Equal(0xAB, instance.Invoke("shifted", Value.I32(unchecked((int)0xFFFF1234)))[0].AsI32);
        Assert.Equal(0xAB, instance.Invoke("shifted_past", Value.I32(unchecked((int)0xFFFE0000)))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("shifted_past", Value.I32(unchecked((int)0xFFFF0000))));
        mem.WriteInt32(65532, 40);
        mem.WriteInt32(0, 2);
        Assert.Equal(42, instance.Invoke("remainder", Value.I32(65532), Value.I32(65532))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("remainder", Value.I32(65533), Value.I32(65534)));
        Assert.Equal(40, instance.Invoke("remainder_past", Value.I32(65532 + 65534))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("remainder_past", Value.I32(65533)));
        mem.WriteInt32(64 * 1023, 17);
        Assert.Equal(17, instance.Invoke("product", Value.I32(1023), Value.I32(0))[0].AsI32);
        mem.WriteInt32(65 * 1007, 18);
        Assert.Equal(18, instance.Invoke("product", Value.I32(1007), Value.I32(1))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("product", Value.I32(1023), Value.I32(1)));
        mem.WriteByte(100, 252);
        mem.WriteInt32(65280 + 252, 9);
        Assert.Equal(9, instance.Invoke("indirect", Value.I32(100))[0].AsI32);
        mem.WriteByte(100, 253);
        AssertOutOfBounds(() => instance.Invoke("indirect", Value.I32(100)));
    }
}
