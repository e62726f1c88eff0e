using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>SIMD loads and stores (fixtures/simd/memory.wat, static offset 1): every shape, and bounds checks at the end of memory.</summary>
public class SimdMemoryTests
{
    private static (Instance Instance, Memory Memory) Setup()
    {
        var instance = Load("memory");
        var memory = instance.GetMemory("memory")!;
        for (int i = 0; i < 32; i++) memory.WriteByte(1 + i, (byte)(i * 0x11 + 0x80));   // bytes 0x80, 0x91, 0xA2, ...
        return (instance, memory);
    }

    private static byte Byte(int i) => (byte)(i * 0x11 + 0x80);

    [Fact]
    public void LoadsReadEveryShape()
    {
        var (instance, _) = Setup();
        Value Load(string name) => instance.Invoke(name, Value.I32(0)).Single();
        Assert.Equal(Enumerable.Range(0, 16).Select(Byte), Lanes<byte>(Load("v128.load")));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (short)(sbyte)Byte(i)), Lanes<short>(Load("v128.load8x8_s")));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (short)Byte(i)), Lanes<short>(Load("v128.load8x8_u")));
        Assert.Equal(Enumerable.Range(0, 4).Select(i => (int)(short)(Byte(2 * i) | Byte(2 * i + 1) << 8)), Lanes<int>(Load("v128.load16x4_s")));
        Assert.Equal(Enumerable.Range(0, 4).Select(i => Byte(2 * i) | Byte(2 * i + 1) << 8), Lanes<int>(Load("v128.load16x4_u")));
        int Word(int i) => Byte(4 * i) | Byte(4 * i + 1) << 8 | Byte(4 * i + 2) << 16 | Byte(4 * i + 3) << 24;
        Assert.Equal(new[] { (long)Word(0), Word(1) }, Lanes<long>(Load("v128.load32x2_s")));
        Assert.Equal(new[] { (long)(uint)Word(0), (uint)Word(1) }, Lanes<long>(Load("v128.load32x2_u")));
        Assert.Equal(Enumerable.Repeat(Byte(0), 16), Lanes<byte>(Load("v128.load8_splat")));
        Assert.Equal(Enumerable.Repeat((ushort)(Byte(0) | Byte(1) << 8), 8), Lanes<ushort>(Load("v128.load16_splat")));
        Assert.Equal(Enumerable.Repeat(Word(0), 4), Lanes<int>(Load("v128.load32_splat")));
        long Long(int i) => (uint)Word(2 * i) | (long)Word(2 * i + 1) << 32;
        Assert.Equal(Enumerable.Repeat(Long(0), 2), Lanes<long>(Load("v128.load64_splat")));
        Assert.Equal(new[] { Word(0), 0, 0, 0 }, Lanes<int>(Load("v128.load32_zero")));
        Assert.Equal(new[] { Long(0), 0 }, Lanes<long>(Load("v128.load64_zero")));
    }

    [Fact]
    public void LaneLoadsAndStoresTouchOnlyTheirLane()
    {
        var (instance, memory) = Setup();
        var ones = U8(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Assert.Equal(Byte(0), Lanes<byte>(instance.Invoke("v128.load8_lane", Value.I32(0), ones).Single())[15]);
        Assert.Equal((ushort)(Byte(0) | Byte(1) << 8), Lanes<ushort>(instance.Invoke("v128.load16_lane", Value.I32(0), ones).Single())[7]);
        var lanes32 = Lanes<uint>(instance.Invoke("v128.load32_lane", Value.I32(4), ones).Single());
        Assert.Equal(new uint[] { 0x01010101, 0x01010101, 0x01010101, (uint)(Byte(4) | Byte(5) << 8 | Byte(6) << 16 | Byte(7) << 24) }, lanes32);
        var lanes64 = Lanes<ulong>(instance.Invoke("v128.load64_lane", Value.I32(0), ones).Single());
        Assert.Equal(0x0101010101010101UL, lanes64[0]);
        Assert.Equal(BitConverter.ToUInt64(Enumerable.Range(0, 8).Select(Byte).ToArray()), lanes64[1]);

        var v = U8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        instance.Invoke("v128.store8_lane", Value.I32(99), v);
        Assert.Equal(15, memory.ReadByte(100));
        Assert.Equal(0, memory.ReadByte(101));
        instance.Invoke("v128.store16_lane", Value.I32(199), v);
        Assert.Equal(0x0F0E, memory.ReadInt16(200));
        instance.Invoke("v128.store32_lane", Value.I32(299), v);
        Assert.Equal(0x0F0E0D0C, memory.ReadInt32(300));
        Assert.Equal(0, memory.ReadByte(304));
        instance.Invoke("v128.store64_lane", Value.I32(399), v);
        Assert.Equal(0x0F0E0D0C0B0A0908L, memory.ReadInt64(400));
        instance.Invoke("v128.store", Value.I32(499), v);
        Assert.Equal(0x0706050403020100L, memory.ReadInt64(500));
        Assert.Equal(0x0F0E0D0C0B0A0908L, memory.ReadInt64(508));
    }

    [Fact]
    public void AccessesTrapPastTheEndOfMemoryAndWriteNothing()
    {
        var (instance, memory) = Setup();
        var v = U8(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        // offset 1: address 65519 reaches byte 65535 exactly; 65520 is one past.
        Assert.Equal(16, Lanes<byte>(instance.Invoke("v128.load", Value.I32(65519)).Single()).Length);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("v128.load", Value.I32(65520))).Code);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("v128.store", Value.I32(65520), v)).Code);
        Assert.Equal(0, memory.ReadByte(65535));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("v128.load", Value.I32(-1))).Code);
        foreach (var (name, last) in new[] { ("v128.load64_splat", 65527), ("v128.load32_zero", 65531), ("v128.load8x8_u", 65527), ("v128.load16_splat", 65533), ("v128.load8_splat", 65534) })
        {
            instance.Invoke(name, Value.I32(last));
            Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke(name, Value.I32(last + 1))).Code);
        }
        foreach (var (name, last) in new[] { ("v128.store8_lane", 65534), ("v128.store16_lane", 65533), ("v128.store32_lane", 65531), ("v128.store64_lane", 65527), ("v128.load32_lane", 65531) })
        {
            instance.Invoke(name, Value.I32(last), v);
            Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke(name, Value.I32(last + 1), v)).Code);
        }
        // After memory.grow the same address is in bounds.
        Assert.Equal(1, instance.Invoke("grow").Single().AsI32);
        instance.Invoke("v128.store", Value.I32(65520), v);
        Assert.Equal(0x0101010101010101L, memory.ReadInt64(65529));
    }

    [Fact]
    public void LoopsAndRepeatedAddressesComputeTheRightValues()
    {
        var (instance, memory) = Setup();
        for (int i = 0; i < 64; i++) memory.WriteInt32(1024 + 4 * i, i * 1000);
        instance.Invoke("copy_twice", Value.I32(1024), Value.I32(4096));
        for (int i = 0; i < 8; i++) Assert.Equal(i * 1000, memory.ReadInt32(4096 + 4 * i));
        Assert.Equal(0, memory.ReadInt32(4096 + 32));
        var fresh = Load("memory");
        var m = fresh.GetMemory("memory")!;
        for (int i = 0; i < 16; i++) m.WriteInt32(4 * i, -i);
        fresh.Invoke("increment", Value.I32(4));
        for (int i = 0; i < 16; i++) Assert.Equal(1 - i, m.ReadInt32(4 * i));
        Assert.Equal(0, m.ReadInt32(64));
    }
}
