using Strand.Binary;
using Strand.Benchmarks;
using Xunit;
using static Strand.Tests.Binary.SampleModule;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

/// <summary>
/// <see cref="ModuleDecoder.DecodeTrusted"/> (the wasm of a checked compiled artifact): the same definition as
/// <see cref="ModuleDecoder.Decode"/>, without decoding the instructions of function bodies.
/// </summary>
public class TrustedDecodeTests
{
    [Fact]
    public void GivesTheSameBodiesAsAFullDecode()
    {
        var bytes = ManyFunctions.Generate(300);
        var full = ModuleDecoder.Decode(bytes);
        var trusted = ModuleDecoder.DecodeTrusted(bytes);
        Assert.Equal(full.Bodies.Count, trusted.Bodies.Count);
        for (int i = 0; i < full.Bodies.Count; i++)
        {
            var (a, b) = (full.Bodies[i], trusted.Bodies[i]);
            Assert.Equal((a.CodeStart, a.CodeEnd, a.SourceOffset, a.LocalCount), (b.CodeStart, b.CodeEnd, b.SourceOffset, b.LocalCount));
            Assert.Equal(a.Locals, b.Locals);
        }
        Assert.Equal(full.Exports.Select(e => (e.Name, e.Index)), trusted.Exports.Select(e => (e.Name, e.Index)));
        Assert.Equal(full.FunctionTypeIndices, trusted.FunctionTypeIndices);
    }

    [Fact]
    public void DoesNotReadInstructions()
    {
        // 0xFF is no opcode: a full decode rejects the body, a trusted one records it by its extent.
        var bytes = SingleFunction([0xFF, End]);
        Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(bytes));
        var trusted = ModuleDecoder.DecodeTrusted(bytes);
        var body = Assert.Single(trusted.Bodies);
        Assert.Equal(2, body.CodeEnd - body.CodeStart);
        // Sections other than code are still decoded strictly.
        Assert.Throws<WasmFormatException>(() => ModuleDecoder.DecodeTrusted(Module(Section(1, [0x00, 0x00]))));
    }
}
