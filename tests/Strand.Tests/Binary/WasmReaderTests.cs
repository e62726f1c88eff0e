using Strand.Binary;
using Xunit;

namespace Strand.Tests.Binary;

public class WasmReaderTests
{
    [Theory]
    [InlineData(new byte[] { 0x00 }, 0u)]
    [InlineData(new byte[] { 0xE5, 0x8E, 0x26 }, 624485u)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, uint.MaxValue)]
    public void ReadsUnsignedLeb128(byte[] bytes, uint expected) => Assert.Equal(expected, new WasmReader(bytes).ReadU32());

    [Fact]
    public void RejectsOverlongU32()
    {
        var ex = Assert.Throws<WasmFormatException>(() => new WasmReader(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }).ReadU32());
        Assert.Equal("integer representation too long", ex.Reason);
        Assert.Equal(4, ex.Offset);
    }

    [Fact]
    public void HostileVectorLengthIsRejectedBeforeAllocation()
    {
        var ex = Assert.Throws<WasmFormatException>(() => new WasmReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01 }).ReadVectorLength(1));
        Assert.Equal("unexpected end", ex.Reason);
    }

    [Theory]
    [InlineData(new byte[] { 0x7F }, -1)]
    [InlineData(new byte[] { 0x80, 0x7F }, -128)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }, int.MaxValue)]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x78 }, int.MinValue)]
    public void ReadsSignedLeb128(byte[] bytes, int expected) => Assert.Equal(expected, new WasmReader(bytes).ReadS32());
}
