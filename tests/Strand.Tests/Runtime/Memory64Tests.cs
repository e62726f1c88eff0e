using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>memory64 and table64 (WebAssembly 3.0): i64 addresses, limits, bulk operations, bounds and wrap-around.</summary>
public class Memory64Tests
{
    private static Instance Instantiate(string wat) => new Linker().Instantiate(Module.Compile(WatParser.ParseModule(wat)));

    private const string Wat = """
        (module
          (memory (export "mem") i64 1 3)
          (data (i64.const 8) "\01\02\03\04\05\06\07\08")
          (func (export "load") (param i64) (result i64) (i64.load (local.get 0)))
          (func (export "load_off") (param i64) (result i32) (i32.load8_u offset=0xFFFF_FFFF_FFFF_FFFF (local.get 0)))
          (func (export "load_off4") (param i64) (result i32) (i32.load offset=4 (local.get 0)))
          (func (export "store") (param i64 i32) (i32.store (local.get 0) (local.get 1)))
          (func (export "size") (result i64) (memory.size))
          (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
          (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
          (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2))))
        """;

    [Fact]
    public void LoadsStoresAndSizesUseI64Addresses()
    {
        var instance = Instantiate(Wat);
        Assert.Equal(0x0807060504030201L, instance.Invoke("load", Value.I64(8))[0].AsI64);
        instance.Invoke("store", Value.I64(65532), Value.I32(0x11223344));
        Assert.Equal(0x11223344, instance.GetMemory("mem")!.ReadInt32(65532));
        Assert.Equal(1L, instance.Invoke("size")[0].AsI64);
        Assert.Equal(1L, instance.Invoke("grow", Value.I64(2))[0].AsI64);
        Assert.Equal(-1L, instance.Invoke("grow", Value.I64(1))[0].AsI64);              // above the maximum
        Assert.Equal(-1L, instance.Invoke("grow", Value.I64(long.MinValue))[0].AsI64);  // a u64 delta of 2^63
        Assert.Equal(3L, instance.Invoke("size")[0].AsI64);
        Assert.True(instance.GetMemory("mem")!.Is64);
    }

    [Theory]
    [InlineData(3L * 65536 - 7)]      // the last 8 bytes would end past the memory
    [InlineData(-1L)]                 // 2^64 - 1
    [InlineData(long.MinValue)]       // 2^63: negative as a signed number
    [InlineData(1L << 32)]            // beyond 4 GiB
    public void OutOfBoundsAddressesTrap(long address)
    {
        var instance = Instantiate(Wat);
        instance.Invoke("grow", Value.I64(2));
        var trap = Assert.Throws<TrapException>(() => instance.Invoke("load", Value.I64(address)));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, trap.Code);
    }

    [Fact]
    public void AddressPlusOffsetThatWrapsAroundTrapsInsteadOfWrapping()
    {
        var instance = Instantiate(Wat);
        // 1 + (2^64 - 1) wraps to 0, which is in bounds: it must trap, not read byte 0.
        var trap = Assert.Throws<TrapException>(() => instance.Invoke("load_off", Value.I64(1)));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, trap.Code);
        Assert.Throws<TrapException>(() => instance.Invoke("load_off4", Value.I64(-4)));   // (2^64 - 4) + 4 wraps to 0
        Assert.Equal(0x04030201, instance.Invoke("load_off4", Value.I64(4))[0].AsI32);
    }

    [Fact]
    public void BulkOperationsTakeI64OperandsAndTrapOnHugeOnes()
    {
        var instance = Instantiate(Wat);
        var memory = instance.GetMemory("mem")!;
        instance.Invoke("fill", Value.I64(100), Value.I32(0xAB), Value.I64(4));
        Assert.Equal(unchecked((int)0xABABABAB), memory.ReadInt32(100));
        instance.Invoke("copy", Value.I64(200), Value.I64(100), Value.I64(4));
        Assert.Equal(unchecked((int)0xABABABAB), memory.ReadInt32(200));
        Assert.Throws<TrapException>(() => instance.Invoke("fill", Value.I64(1), Value.I32(0), Value.I64(-1)));
        Assert.Throws<TrapException>(() => instance.Invoke("copy", Value.I64(-1), Value.I64(0), Value.I64(1)));
        Assert.Equal(0, memory.ReadByte(0)); // nothing written by the trapping calls
    }

    [Fact]
    public void AMemoryAbove4GiBReservesAndTouchesOnePageAt5GiB()
    {
        // 81,921 pages = 5 GiB + 64 KiB: the address space is reserved, only the touched page is resident.
        var instance = Instantiate("""
            (module
              (memory i64 1 81921)
              (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
              (func (export "poke") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
              (func (export "peek") (param i64) (result i64) (i64.load (local.get 0))))
            """);
        Assert.Equal(1L, instance.Invoke("grow", Value.I64(81920))[0].AsI64);
        long at5GiB = 5L << 30;
        instance.Invoke("poke", Value.I64(at5GiB), Value.I64(0x0123456789ABCDEF));
        Assert.Equal(0x0123456789ABCDEF, instance.Invoke("peek", Value.I64(at5GiB))[0].AsI64);
        Assert.Throws<TrapException>(() => instance.Invoke("peek", Value.I64(81921L * 65536 - 4)));
        instance.Dispose();
    }

    [Fact]
    public void AMinimumAboveTheImplementationLimitFailsInstantiationNotTheProcess()
    {
        // Valid (at most 2^48 pages), but beyond the 64 GiB Strand reserves per memory.
        var module = Module.Compile(WatParser.ParseModule("(module (memory i64 0x10_0001))"));
        var e = Assert.Throws<Strand.Binary.WasmImplementationLimitException>(() => new Linker().Instantiate(module));
        Assert.StartsWith("implementation limit:", e.Message);
        Assert.Throws<Strand.Binary.WasmImplementationLimitException>(() => new Memory(1UL << 21, null, shared: false, is64: true));
    }

    [Fact]
    public void AtomicsOnASharedMemory64Above4GiB()
    {
        var instance = Instantiate("""
            (module
              (memory i64 1 81921 shared)
              (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
              (func (export "add") (param i64 i32) (result i32) (i32.atomic.rmw.add (local.get 0) (local.get 1)))
              (func (export "wait") (param i64 i32) (result i32) (memory.atomic.wait32 (local.get 0) (local.get 1) (i64.const 1000)))
              (func (export "notify") (param i64) (result i32) (memory.atomic.notify (local.get 0) (i32.const 1))))
            """);
        instance.Invoke("grow", Value.I64(81920));
        long at5GiB = 5L << 30;
        Assert.Equal(0, instance.Invoke("add", Value.I64(at5GiB), Value.I32(5))[0].AsI32);
        Assert.Equal(5, instance.Invoke("add", Value.I64(at5GiB), Value.I32(1))[0].AsI32);
        Assert.Equal(1, instance.Invoke("wait", Value.I64(at5GiB), Value.I32(0))[0].AsI32);   // not equal
        Assert.Equal(2, instance.Invoke("wait", Value.I64(at5GiB), Value.I32(6))[0].AsI32);   // timed out
        Assert.Equal(0, instance.Invoke("notify", Value.I64(at5GiB))[0].AsI32);               // no waiter
        Assert.Equal(TrapCode.UnalignedAtomic, Assert.Throws<TrapException>(() => instance.Invoke("add", Value.I64(at5GiB + 1), Value.I32(1))).Code);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("add", Value.I64(81921L << 16), Value.I32(1))).Code);
        instance.Dispose();
    }

    [Fact]
    public void ImportsMatchTheAddressType()
    {
        var module = Module.Compile(WatParser.ParseModule("""(module (import "m" "mem" (memory i64 1)))"""));
        var ok = new Linker();
        ok.Define("m", "mem", new Memory(1, null, shared: false, is64: true));
        ok.Instantiate(module);
        var wrong = new Linker();
        wrong.Define("m", "mem", new Memory(1));
        Assert.Contains("incompatible import type", Assert.Throws<LinkException>(() => wrong.Instantiate(module)).Message);
    }

    [Fact]
    public void Table64IndicesSizesAndCallIndirect()
    {
        var instance = Instantiate("""
            (module
              (type $t (func (result i32)))
              (table $tab i64 4 8 funcref)
              (elem (table $tab) (i64.const 1) func $a $b)
              (func $a (result i32) (i32.const 11))
              (func $b (result i32) (i32.const 22))
              (func (export "call") (param i64) (result i32) (call_indirect $tab (type $t) (local.get 0)))
              (func (export "size") (result i64) (table.size $tab))
              (func (export "grow") (param i64) (result i64) (table.grow $tab (ref.null func) (local.get 0)))
              (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $tab (local.get 0))))
              (func (export "fill") (param i64 i64) (table.fill $tab (local.get 0) (ref.null func) (local.get 1))))
            """);
        Assert.Equal(11, instance.Invoke("call", Value.I64(1))[0].AsI32);
        Assert.Equal(22, instance.Invoke("call", Value.I64(2))[0].AsI32);
        Assert.Equal(TrapCode.UndefinedElement, Assert.Throws<TrapException>(() => instance.Invoke("call", Value.I64(1L << 32 | 1))).Code);
        Assert.Equal(4L, instance.Invoke("size")[0].AsI64);
        Assert.Equal(4L, instance.Invoke("grow", Value.I64(4))[0].AsI64);
        Assert.Equal(-1L, instance.Invoke("grow", Value.I64(1L << 40))[0].AsI64);
        Assert.Equal(8L, instance.Invoke("size")[0].AsI64);
        Assert.Equal(0, instance.Invoke("is_null", Value.I64(2))[0].AsI32);
        instance.Invoke("fill", Value.I64(0), Value.I64(8));
        Assert.Equal(1, instance.Invoke("is_null", Value.I64(2))[0].AsI32);
        Assert.Equal(TrapCode.OutOfBoundsTableAccess, Assert.Throws<TrapException>(() => instance.Invoke("is_null", Value.I64(-1))).Code);
        Assert.Equal(TrapCode.OutOfBoundsTableAccess, Assert.Throws<TrapException>(() => instance.Invoke("fill", Value.I64(1), Value.I64(1L << 32))).Code);
    }

    [Fact]
    public void Invalid64BitModulesAreRejected()
    {
        // An i32 address on a 64-bit memory, and a 32-bit memory's offset above 2^32-1 in binary (a u32 there).
        Assert.Throws<Strand.Validation.WasmValidationException>(() => Module.Compile(WatParser.ParseModule(
            "(module (memory i64 1) (func (drop (i32.load (i32.const 0)))))")));
        Assert.Throws<Strand.Validation.WasmValidationException>(() => Module.Compile(WatParser.ParseModule(
            "(module (memory i64 0x1_0000_0000_0001))")));
        Assert.Throws<Strand.Validation.WasmValidationException>(() => Module.Compile(WatParser.ParseModule(
            "(module (memory 1) (table i64 1 funcref) (func (drop (table.get 0 (i32.const 0)))))")));
    }

    [Fact]
    public void TextFormAddressTypesWithInlineSegments()
    {
        var instance = Instantiate("""
            (module
              (memory $m32 (export "m32") i32 (data "ab"))
              (memory $m64 (export "m64") i64 (data "cd"))
              (table $t32 i32 funcref (elem $f))
              (table $t64 i64 funcref (elem $f $f))
              (func $f (result i32) (i32.const 3))
              (func (export "read") (result i32)
                (i32.add (i32.load8_u $m32 (i32.const 1)) (i32.load8_u $m64 (i64.const 1))))
              (func (export "sizes") (result i32 i64) (table.size $t32) (table.size $t64)))
            """);
        Assert.Equal('b' + 'd', instance.Invoke("read")[0].AsI32);
        Assert.False(instance.GetMemory("m32")!.Is64);
        Assert.True(instance.GetMemory("m64")!.Is64);
        var sizes = instance.Invoke("sizes");
        Assert.Equal(1, sizes[0].AsI32);
        Assert.Equal(2L, sizes[1].AsI64);
    }
}
