using Strand.Binary;
using Xunit;
using static Strand.Tests.Binary.SampleModule;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

public class NameSectionTests
{
    private static NameSection DecodeNames(byte[] payload) =>
        ModuleDecoder.Decode(Module(CustomSection("name", payload))).Names!;

    private static byte[] NameMap(params (uint Index, string Name)[] entries) =>
        Vec(entries.Select(e => Concat(U32(e.Index), Name(e.Name))).ToArray());

    [Fact]
    public void DecodesModuleFunctionLocalAndGlobalNames()
    {
        var m = ModuleDecoder.Decode(SampleModule.Bytes);
        var names = Assert.IsType<NameSection>(m.Names);
        Assert.Equal("demo", names.ModuleName);
        Assert.Equal("add", names.FunctionNames[1]);
        Assert.Equal("init", names.FunctionNames[2]);
        Assert.Equal(2, names.FunctionNames.Count);
        Assert.Equal(["a", "b", "tmp"], names.LocalNames[1].OrderBy(p => p.Key).Select(p => p.Value));
        Assert.Equal("counter", names.GlobalNames[1]);
        Assert.Equal("func[1] <add>", m.DescribeFunction(1));
        // The name section is also kept as a plain custom section.
        Assert.Equal(["first", "name"], m.CustomSections.Select(c => c.Name));
    }

    [Fact]
    public void DecodesExtendedNameSubsections()
    {
        var names = DecodeNames(Concat(
            NameSubsection(4, NameMap((0, "sig"))),
            NameSubsection(5, NameMap((0, "tab"), (3, "tab3"))),
            NameSubsection(6, NameMap((0, "mem"))),
            NameSubsection(7, NameMap((2, "glob"))),
            NameSubsection(8, NameMap((1, "elems"))),
            NameSubsection(9, NameMap((4, "bytes")))));
        Assert.Equal("sig", names.TypeNames[0]);
        Assert.Equal("tab3", names.TableNames[3]);
        Assert.Equal(2, names.TableNames.Count);
        Assert.Equal("mem", names.MemoryNames[0]);
        Assert.Equal("glob", names.GlobalNames[2]);
        Assert.Equal("elems", names.ElementNames[1]);
        Assert.Equal("bytes", names.DataNames[4]);
        Assert.Null(names.ModuleName);
    }

    [Fact]
    public void SkipsUnknownAndLabelSubsections()
    {
        var names = DecodeNames(Concat(
            NameSubsection(3, [0x01, 0x02, 0x03]),
            NameSubsection(42, [0xFF]),
            NameSubsection(1, NameMap((0, "f")))));
        Assert.Equal("f", names.FunctionNames[0]);
    }

    [Fact]
    public void MalformedNameSectionKeepsEarlierNamesAndDoesNotFailTheModule()
    {
        // The function subsection is fine; the global subsection then claims two entries but holds one
        // followed by invalid UTF-8.
        var payload = Concat(
            NameSubsection(1, NameMap((0, "ok"))),
            NameSubsection(7, Concat(U32(2), U32(0), Name("g"), U32(1), [0x01, 0xFF])));
        var names = DecodeNames(payload);
        Assert.Equal("ok", names.FunctionNames[0]);
        Assert.Equal("g", names.GlobalNames[0]);
        Assert.False(names.GlobalNames.ContainsKey(1));
    }

    [Theory]
    [InlineData(new byte[] { 0x01 })]                         // subsection id without size
    [InlineData(new byte[] { 0x01, 0x7F, 0x00 })]             // size beyond the payload
    [InlineData(new byte[] { 0x00, 0x02, 0x05, 0x61 })]       // module name longer than the subsection
    [InlineData(new byte[] { 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })] // hostile name map count
    [InlineData(new byte[] { 0x02, 0x03, 0x01, 0x00, 0x09 })] // local names: inner map truncated
    public void GarbageNameSectionsNeverThrow(byte[] payload)
    {
        var m = ModuleDecoder.Decode(Module(CustomSection("name", payload)));
        Assert.NotNull(m.Names);
        Assert.Empty(m.Names!.FunctionNames);
        Assert.Single(m.CustomSections);
    }
}
