using Strand.Binary;
using Xunit;

namespace Strand.Tests.Runtime;

public class MemoryTests
{
    [Fact]
    public void GrowNeverMovesTheBaseAndPublishesTheLength()
    {
        var memory = new Memory(1, 100);
        nint basePointer = memory.BasePointer;
        memory.WriteInt32(65532, 0x12345678);
        Assert.Equal(1, memory.Grow(9));
        Assert.Equal(10u, memory.Pages);
        Assert.Equal(10L * Memory.PageSize, memory.Length);
        Assert.Equal(basePointer, memory.BasePointer);
        Assert.Equal(0x12345678, memory.ReadInt32(65532));
        Assert.Equal(0, memory.ReadInt64(10L * Memory.PageSize - 8)); // new pages are zero
        Assert.Equal(10, memory.Grow(0));
        Assert.Equal(-1, memory.Grow(91));
        Assert.Equal(10, memory.Grow(90));
        Assert.Equal(basePointer, memory.BasePointer);
    }

    [Fact]
    public void UnboundedMemoryCanGrowTo4GiBInPrinciple()
    {
        var memory = new Memory(0);
        Assert.Equal(0L, memory.Length);
        Assert.Equal(-1, memory.Grow(65537));
        Assert.Equal(0, memory.Grow(2));
        Assert.Equal(2u, memory.Pages);
    }

    [Fact]
    public void HostAccessorsAreBoundsChecked()
    {
        var memory = new Memory(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.ReadInt32(65533));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.ReadByte(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.WriteBytes(65530, new byte[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.GetSpan(0, -1));
        memory.WriteBytes(65530, new byte[6] { 1, 2, 3, 4, 5, 6 });
        Assert.Equal(6, memory.ReadByte(65535));
        memory.WriteDouble(8, -2.5);
        Assert.Equal(-2.5, memory.ReadDouble(8));
        memory.WriteSingle(16, 1.5f);
        Assert.Equal(1.5f, memory.ReadSingle(16));
        Assert.Equal(0x3FC00000, memory.ReadInt32(16));
    }

    [Fact]
    public void InvalidLimitsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Memory(65537));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Memory(2, 1));
        Assert.Throws<ArgumentException>(() => new Memory(1, null, shared: true));
        var shared = new Memory(new MemoryType(new Limits(1, 2, Shared: true)));
        Assert.True(shared.Shared);
        Assert.Equal(new Limits(1, 2, true), shared.Type.Limits);
    }

    [Fact]
    public void ThousandsOfMemoriesReleaseTheirAddressSpace()
    {
        // Each unbounded memory reserves 4 GiB of address space; without release this exhausts it (128 TiB / 4 GiB = 32768).
        for (int i = 0; i < 40_000; i++)
        {
            var memory = new Memory(1);
            memory.WriteByte(i % 65536, 1);
        }
    }

    [Fact]
    public void ConcurrentGrowOfASharedMemoryLosesNoPagesOrStores()
    {
        var memory = new Memory(1, 1000, shared: true);
        nint basePointer = memory.BasePointer;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                int old = memory.Grow(1);
                Assert.True(old >= 1);
                memory.WriteInt32((long)old * Memory.PageSize, old);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(401u, memory.Pages);
        Assert.Equal(basePointer, memory.BasePointer);
        for (int page = 1; page <= 400; page++) Assert.Equal(page, memory.ReadInt32((long)page * Memory.PageSize));
    }
}
