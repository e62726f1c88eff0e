using Strand.Binary;
using Xunit;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

/// <summary>
/// A code section of 256 bodies or more has its instructions scanned on all cores after the section's loop read every
/// body's size and locals (ModuleDecoder.ParallelScan.cs): the error reported must still be the one a body-by-body decode
/// reports first.
/// </summary>
public class ParallelScanTests
{
    private const int Bodies = 1000;

    /// <summary>A module of <see cref="Bodies"/> ()->() functions; <paramref name="body"/> gives each body's encoding (null: <c>nop end</c>).</summary>
    private static byte[] ManyFunctions(Func<int, byte[]?> body) => Module(
        VoidTypeSection(),
        Section(3, Vec(Enumerable.Repeat(new byte[] { 0x00 }, Bodies).ToArray())),
        Section(10, Concat([U32(Bodies), .. Enumerable.Range(0, Bodies).Select(i => body(i) ?? Body(0x01, 0x0B))])));

    private static readonly byte[] IllegalOpcode = Body(0x01, 0xFF, 0x0B);
    private static readonly byte[] TooManyLocals = Body([(60_000, 0x7F)], 0x0B);
    private static readonly byte[] EndMissing = Body(0x01, 0x01);

    [Fact]
    public void ManyValidBodiesDecodeWithTheirExtents()
    {
        var module = ModuleDecoder.Decode(ManyFunctions(_ => null));
        Assert.Equal(Bodies, module.Bodies.Count);
        Assert.All(module.Bodies, b => Assert.Equal(2, b.CodeEnd - b.CodeStart)); // nop end
    }

    [Fact]
    public void TheLowestBodysMalformedInstructionIsReported()
    {
        var bytes = ManyFunctions(i => i is 700 or 30 or 650 ? IllegalOpcode : null);
        var e = Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(bytes));
        Assert.Equal("illegal opcode", e.Reason);
        Assert.Equal(OffsetOfBody(30) + 3, e.Offset); // after the size, the local count and the nop: the 0xFF
    }

    [Fact]
    public void AnEarlierBodysInstructionComesBeforeALaterBodysLocals()
    {
        var bytes = ManyFunctions(i => i switch { 400 => IllegalOpcode, 600 => TooManyLocals, _ => null });
        var e = Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(bytes));
        Assert.Equal("illegal opcode", e.Reason);
        // And the other way round: a body's locals before a later body's instructions.
        bytes = ManyFunctions(i => i switch { 400 => TooManyLocals, 600 => IllegalOpcode, _ => null });
        e = Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(bytes));
        Assert.Equal("too many locals", e.Reason);
    }

    [Fact]
    public void TheLastBodyEndingTheSectionKeepsItsMessage()
    {
        var bytes = ManyFunctions(i => i == Bodies - 1 ? EndMissing : null);
        var e = Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(bytes));
        Assert.Equal("unexpected end of section or function", e.Reason);
        bytes = ManyFunctions(i => i == 5 ? EndMissing : null);
        e = Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(bytes));
        Assert.Equal("END opcode expected", e.Reason);
    }

    /// <summary>The offset of body <paramref name="index"/>'s size in the code section of <see cref="ManyFunctions"/>'s output.</summary>
    private static int OffsetOfBody(int index) => ModuleDecoder.Decode(ManyFunctions(_ => null)).Bodies[index].SourceOffset;
}
