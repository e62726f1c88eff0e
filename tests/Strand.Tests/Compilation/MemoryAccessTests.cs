using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

public class MemoryAccessTests
{
    private const string Module = """
        (module
          (memory (export "mem") 1 3)
          (data (i32.const 8) "\01\02\03\04\05\06\07\88")
          (func (export "load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
          (func (export "load8_u") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "load16_u") (param i32) (result i32) (i32.load16_u offset=1 (local.get 0)))
          (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
          (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
          (func (export "load32_s") (param i32) (result i64) (i64.load32_s offset=4 (local.get 0)))
          (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
          (func (export "store16") (param i32 i64) (i64.store16 (local.get 0) (local.get 1)))
          (func (export "f32.roundtrip") (param i32 f32) (result f32) (f32.store (local.get 0) (local.get 1)) (f32.load (local.get 0)))
          (func (export "f64.roundtrip") (param i32 f64) (result f64) (f64.store (local.get 0) (local.get 1)) (f64.load (local.get 0)))
          (func (export "size") (result i32) (memory.size))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
          (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2))))
        """;

    [Fact]
    public void LoadsAndStoresAreLittleEndianWithExtension()
    {
        var instance = Instantiate(Module);
        Assert.Equal(1, instance.Invoke("load8_s", Value.I32(8))[0].AsI32);
        Assert.Equal(-120, instance.Invoke("load8_s", Value.I32(15))[0].AsI32);
        Assert.Equal(0x88, instance.Invoke("load8_u", Value.I32(15))[0].AsI32);
        Assert.Equal(0x0302, instance.Invoke("load16_u", Value.I32(8))[0].AsI32);
        Assert.Equal(0x04030201, instance.Invoke("load", Value.I32(8))[0].AsI32);
        Assert.Equal(unchecked((long)0x8807060504030201), instance.Invoke("load64", Value.I32(8))[0].AsI64);
        Assert.Equal(unchecked((int)0x88070605), instance.Invoke("load32_s", Value.I32(8))[0].AsI64);
        instance.Invoke("store", Value.I32(100), Value.I32(0x11223344));
        instance.Invoke("store16", Value.I32(200), Value.I64(0x7777AABB));
        var memory = instance.GetMemory("mem")!;
        Assert.Equal(0x44, memory.ReadByte(100));
        Assert.Equal(0x11223344, memory.ReadInt32(100));
        Assert.Equal(unchecked((short)0xAABB), memory.ReadInt16(200));
        Assert.Equal(0, memory.ReadByte(202));
    }

    [Fact]
    public void FloatLoadsAndStoresKeepSignallingNaNBits()
    {
        var instance = Instantiate(Module);
        Assert.Equal(0x7FA00001ul, instance.Invoke("f32.roundtrip", Value.I32(0), Value.F32Bits(0x7FA00001))[0].Bits);
        Assert.Equal(0x7FA00001, instance.GetMemory("mem")!.ReadInt32(0));
        Assert.Equal(0xFFF0000000000001ul, instance.Invoke("f64.roundtrip", Value.I32(16), Value.F64Bits(0xFFF0000000000001))[0].Bits);
    }

    [Theory]
    [InlineData("load", 65533)]
    [InlineData("load", 65536)]
    [InlineData("load", -1)]
    [InlineData("load64", 65529)]
    [InlineData("load16_u", 65534)] // offset 1 pushes the access past the end
    [InlineData("load32_s", 65530)]
    public void OutOfBoundsAccessTraps(string export, int address)
    {
        var instance = Instantiate(Module);
        var e = Assert.Throws<TrapException>(() => instance.Invoke(export, Value.I32(address)));
        Assert.Equal("out of bounds memory access", e.Message);
    }

    [Fact]
    public void LastBytesAreAccessibleAndGrowExtendsTheBounds()
    {
        var instance = Instantiate(Module);
        Assert.Equal(0, instance.Invoke("load", Value.I32(65532))[0].AsI32);
        Assert.Equal(1, instance.Invoke("grow", Value.I32(1))[0].AsI32);
        Assert.Equal(2, instance.Invoke("size")[0].AsI32);
        Assert.Equal(0, instance.Invoke("load", Value.I32(65536))[0].AsI32);
        Assert.Equal(-1, instance.Invoke("grow", Value.I32(2))[0].AsI32); // max is 3
        Assert.Equal(2, instance.Invoke("grow", Value.I32(1))[0].AsI32);
        Assert.Throws<TrapException>(() => instance.Invoke("load", Value.I32(3 * 65536 - 3)));
    }

    [Fact]
    public void BulkMemoryOperations()
    {
        var instance = Instantiate(Module);
        var memory = instance.GetMemory("mem")!;
        instance.Invoke("fill", Value.I32(1000), Value.I32(0x1AB), Value.I32(4));
        Assert.Equal(unchecked((int)0xABABABAB), memory.ReadInt32(1000));
        instance.Invoke("copy", Value.I32(9), Value.I32(8), Value.I32(4)); // overlapping, forward
        Assert.Equal(new byte[] { 1, 1, 2, 3, 4, 6 }, memory.ReadBytes(8, 6));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("fill", Value.I32(65535), Value.I32(0), Value.I32(2))).Code);
        // Zero-length at the very end is allowed; past the end is not.
        instance.Invoke("copy", Value.I32(65536), Value.I32(0), Value.I32(0));
        Assert.Throws<TrapException>(() => instance.Invoke("copy", Value.I32(65537), Value.I32(0), Value.I32(0)));
    }

    [Fact]
    public void PassiveDataMemoryInitAndDrop()
    {
        var instance = Instantiate("""
            (module
              (memory (export "mem") 1)
              (data $d "hello")
              (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
              (func (export "drop") (data.drop $d)))
            """);
        instance.Invoke("init", Value.I32(10), Value.I32(1), Value.I32(4));
        Assert.Equal("ello", instance.GetMemory("mem")!.ReadUtf8(10, 4));
        Assert.Throws<TrapException>(() => instance.Invoke("init", Value.I32(0), Value.I32(2), Value.I32(4)));
        instance.Invoke("drop");
        instance.Invoke("init", Value.I32(0), Value.I32(0), Value.I32(0));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("init", Value.I32(0), Value.I32(0), Value.I32(1))).Code);
    }
}
