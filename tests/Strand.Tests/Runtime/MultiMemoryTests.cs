using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>Multi-memory and extended constant expressions (WebAssembly 3.0).</summary>
public class MultiMemoryTests
{
    private static Instance Instantiate(string wat, Linker? linker = null) =>
        (linker ?? new Linker()).Instantiate(Module.Compile(WatParser.ParseModule(wat)));

    private const string Wat = """
        (module
          (memory $a (export "a") 1)
          (memory $b (export "b") 2)
          (memory $c (export "c") i64 1)
          (data (memory $b) (i32.const 10) "BBBB")
          (data $seg "xyz")
          (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
          (func (export "store_a") (param i32 i32) (i32.store8 $a (local.get 0) (local.get 1)))
          (func (export "store_c") (param i64 i32) (i32.store8 $c (local.get 0) (local.get 1)))
          (func (export "sizes") (result i32 i32 i64) (memory.size $a) (memory.size $b) (memory.size $c))
          (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
          (func (export "copy_b_to_a") (param i32 i32 i32) (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
          (func (export "copy_a_to_c") (param i64 i32 i32) (memory.copy $c $a (local.get 0) (local.get 1) (local.get 2)))
          (func (export "fill_b") (param i32 i32 i32) (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
          (func (export "init_c") (param i64) (memory.init $c $seg (local.get 0) (i32.const 0) (i32.const 3))))
        """;

    [Fact]
    public void EachInstructionUsesItsMemory()
    {
        var instance = Instantiate(Wat);
        Memory a = instance.GetMemory("a")!, b = instance.GetMemory("b")!, c = instance.GetMemory("c")!;
        Assert.Equal((byte)'B', b.ReadByte(10));
        Assert.Equal(0, a.ReadByte(10)); // the data segment went to memory $b only
        Assert.Equal('B', (char)instance.Invoke("load_b", Value.I32(13))[0].AsI32);
        instance.Invoke("store_a", Value.I32(5), Value.I32(0x5A));
        Assert.Equal(0x5A, a.ReadByte(5));
        Assert.Equal(0, b.ReadByte(5));
        var sizes = instance.Invoke("sizes");
        Assert.Equal([1, 2], [sizes[0].AsI32, sizes[1].AsI32]);
        Assert.Equal(1L, sizes[2].AsI64);
        Assert.Equal(2, instance.Invoke("grow_b", Value.I32(1))[0].AsI32);
        Assert.Equal(3u, b.Pages);
        Assert.Equal(1u, a.Pages);
        // The last byte of $b (3 pages) is in bounds there, but an access past $a's one page traps.
        Assert.Equal(0, instance.Invoke("load_b", Value.I32(3 * 65536 - 1))[0].AsI32);
        Assert.Throws<TrapException>(() => instance.Invoke("store_a", Value.I32(65536), Value.I32(1)));
    }

    [Fact]
    public void BulkOperationsBetweenMemories()
    {
        var instance = Instantiate(Wat);
        Memory a = instance.GetMemory("a")!, b = instance.GetMemory("b")!, c = instance.GetMemory("c")!;
        instance.Invoke("copy_b_to_a", Value.I32(100), Value.I32(10), Value.I32(4));
        Assert.Equal("BBBB", a.ReadUtf8(100, 4));
        instance.Invoke("copy_a_to_c", Value.I64(65530), Value.I32(100), Value.I32(4));
        Assert.Equal("BBBB", c.ReadUtf8(65530, 4));
        instance.Invoke("fill_b", Value.I32(0), Value.I32('q'), Value.I32(3));
        Assert.Equal("qqq", b.ReadUtf8(0, 3));
        Assert.Equal(0, a.ReadByte(0));
        instance.Invoke("init_c", Value.I64(7));
        Assert.Equal("xyz", c.ReadUtf8(7, 3));
        // Out of bounds in the source memory only: traps, and nothing is written.
        Assert.Throws<TrapException>(() => instance.Invoke("copy_b_to_a", Value.I32(0), Value.I32(2 * 65536 - 2), Value.I32(4)));
        Assert.Throws<TrapException>(() => instance.Invoke("copy_a_to_c", Value.I64(65534), Value.I32(0), Value.I32(4)));
        Assert.Throws<TrapException>(() => instance.Invoke("init_c", Value.I64(-2)));
    }

    [Fact]
    public void ImportedAndDefinedMemoriesAndExportsByIndex()
    {
        var host = new Memory(1);
        host.WriteByte(3, 33);
        var linker = new Linker();
        linker.Define("env", "m", host);
        var instance = Instantiate("""
            (module
              (import "env" "m" (memory $imported 1))
              (memory $own (export "own") 1)
              (export "imported" (memory $imported))
              (func (export "sum") (result i32)
                (i32.add (i32.load8_u $imported (i32.const 3)) (i32.load8_u $own (i32.const 3)))))
            """, linker);
        Assert.Same(host, instance.GetMemory("imported"));
        Assert.NotSame(host, instance.GetMemory("own"));
        instance.GetMemory("own")!.WriteByte(3, 9);
        Assert.Equal(42, instance.Invoke("sum")[0].AsI32);
        Assert.Equal(2, instance.AllMemories.Count);
    }

    [Fact]
    public void ExtendedConstantExpressionsInGlobalsAndSegmentOffsets()
    {
        var linker = new Linker();
        linker.Define("env", "base", new Global(Strand.Binary.ValType.I32, false, Value.I32(100)));
        var instance = Instantiate("""
            (module
              (import "env" "base" (global $base i32))
              (memory 1)
              (global (export "g32") i32 (i32.sub (i32.mul (global.get $base) (i32.const 3)) (i32.const 1)))
              (global (export "g64") i64 (i64.add (i64.const 0x7FFF_FFFF_FFFF_FFFF) (i64.const 2)))
              (table 8 funcref)
              (elem (i32.add (i32.const 1) (i32.const 2)) func $f)
              (func $f (result i32) (i32.const 7))
              (data (i32.add (global.get $base) (i32.const 8)) "\2a")
              (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
              (func (export "call3") (result i32) (call_indirect (result i32) (i32.const 3))))
            """, linker);
        Assert.Equal(299, instance.GetGlobal("g32")!.Value.AsI32);
        Assert.Equal(long.MinValue + 1, instance.GetGlobal("g64")!.Value.AsI64); // wraps, as the i64 operators do
        Assert.Equal(42, instance.Invoke("byte", Value.I32(108))[0].AsI32);
        Assert.Equal(7, instance.Invoke("call3")[0].AsI32);
    }

    [Fact]
    public void AModuleWithTooManyMemoriesIsAnImplementationLimit()
    {
        var wat = "(module " + string.Concat(Enumerable.Repeat("(memory 0) ", ImplementationLimits.MaxMemories + 1)) + ")";
        var e = Assert.Throws<Strand.Binary.WasmImplementationLimitException>(() => Module.Compile(WatParser.ParseModule(wat)));
        Assert.Contains($"{ImplementationLimits.MaxMemories + 1} memories", e.Message);
        Module.Compile(WatParser.ParseModule("(module " + string.Concat(Enumerable.Repeat("(memory 0) ", ImplementationLimits.MaxMemories)) + ")"));
    }

    [Fact]
    public void SimdLoadsUseTheMemargsMemoryAndAddressType()
    {
        var instance = Instantiate("""
            (module
              (memory $a 1)
              (memory $b i64 1)
              (data (memory $b) (i64.const 16) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
              (func (export "sum") (param i64) (result i32)
                (local $v v128)
                (local.set $v (v128.load $b (local.get 0)))
                (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 3 (local.get $v))))
              (func (export "wrap") (param i64) (result i32)
                (i32x4.extract_lane 0 (v128.load $b offset=16 (local.get 0))))
              (func (export "a") (result i32) (i32x4.extract_lane 0 (v128.load $a (i32.const 16)))))
            """);
        Assert.Equal(5, instance.Invoke("sum", Value.I64(16))[0].AsI32);
        Assert.Equal(0, instance.Invoke("a")[0].AsI32);                                    // memory $a holds no data
        Assert.Throws<TrapException>(() => instance.Invoke("sum", Value.I64(65536 - 15)));  // the last byte is past the end
        Assert.Throws<TrapException>(() => instance.Invoke("wrap", Value.I64(-16)));        // (2^64 - 16) + 16 wraps to 0
    }
}
