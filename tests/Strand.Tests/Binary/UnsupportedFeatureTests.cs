using Strand.Binary;
using Xunit;
using static Strand.Tests.Binary.SampleModule;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

/// <summary>
/// WebAssembly 3.0 constructs decode (GC, typed function references, exception handling, SIMD), and malformed input
/// stays malformed even for <see cref="ModuleDecoder.DecodeForAnalysis"/>. (A construct of a future proposal would be
/// "not supported: FEATURE (CONSTRUCT at offset N)", never a format error; no 3.0 construct is any more.)
/// </summary>
public class UnsupportedFeatureTests
{
    private static readonly byte[] V128Zero = [0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Typed function references (3.0) decode: reference types with heap types, their instructions and table initializers.</summary>
    [Fact]
    public void TypedFunctionReferencesDecode()
    {
        var m = ModuleDecoder.Decode(Module(Section(1, Vec([0x60, 0x04, 0x64, 0x69, 0x64, 0x70, 0x63, 0x00, 0x63, 0x73, 0x00]))));
        Assert.Equal([ValTypes.Ref(AbstractHeapType.Exn, false), ValTypes.Ref(AbstractHeapType.Func, false), ValTypes.RefToType(0, true),
            ValTypes.Ref(AbstractHeapType.NoFunc, true)], m.Types[0].Params);
        Assert.Equal("[(ref exn) (ref func) (ref null 0) (ref null nofunc)] -> []", m.Types[0].ToString());

        foreach (var (code, opcode) in new (byte[], Opcode)[] { ([0x14, 0x00], Opcode.CallRef), ([0x15, 0x00], Opcode.ReturnCallRef),
                     ([0xD4], Opcode.RefAsNonNull), ([0xD5, 0x00], Opcode.BrOnNull), ([0xD6, 0x00], Opcode.BrOnNonNull) })
        {
            var f = ModuleDecoder.Decode(SingleFunction([.. code, End]));
            var ins = InstructionDecoder.Read(new WasmReader(f.Bytes, f.Bodies[0].CodeStart, f.Bodies[0].CodeEnd));
            Assert.Equal((opcode, 0u), (ins.Opcode, ins.Index));
        }

        var t = ModuleDecoder.Decode(Module(Section(4, Vec([0x40, 0x00, FuncRef, 0x00, 0x01, 0xD0, 0x70, End]))));
        Assert.Equal(ValType.FuncRef, Assert.Single(t.Tables).ElementType);
        Assert.Equal(0, Assert.Single(t.TableInitializers).Key);
    }

    [Fact]
    public void RefNullExnAndTheExnrefShorthandAreExnref()
    {
        var m = ModuleDecoder.Decode(Module(Section(1, Vec([0x60, 0x02, 0x63, 0x69, 0x69, 0x00]))));
        Assert.Equal([ValType.ExnRef, ValType.ExnRef], m.Types[0].Params);
    }

    [Fact]
    public void RefNullFuncAndExternAreFuncrefAndExternref()
    {
        var m = ModuleDecoder.Decode(Module(Section(1, Vec([0x60, 0x02, 0x63, 0x70, 0x63, 0x6F, 0x00]))));
        Assert.Equal([ValType.FuncRef, ValType.ExternRef], m.Types[0].Params);
    }

    [Fact]
    public void MemoryIndexZeroInAMemargIsTheOneMemory()
    {
        // Flags 0x42: alignment 2 with an explicit memory index 0 (the 3.0 encoding of an ordinary i32.load).
        var m = ModuleDecoder.Decode(SingleFunction([0x41, 0x00, 0x28, 0x42, 0x00, 0x08, 0x1A, End]));
        var reader = new WasmReader(m.Bytes, m.Bodies[0].CodeStart, m.Bodies[0].CodeEnd);
        InstructionDecoder.Read(reader);
        var load = InstructionDecoder.Read(reader);
        Assert.Equal((Opcode.I32Load, 2u, 8ul), (load.Opcode, load.Align, load.MemOffset));
    }

    [Fact]
    public void AnalysisKeepsTheLayoutFactsOfAModuleUsingGc()
    {
        byte[] bytes = Module(
            Section(1, Vec([0x60, 0x00, 0x00])),
            Section(3, Vec([0x00], [0x00])),
            Section(5, Vec([0x01, 0x02, 0x04])),                               // memory 2..4
            Section(13, Vec([0x00, 0x00])),                                    // one tag
            Section(6, Vec([I32, 0x01, 0x41, 0x80, 0x80, 0x04, End],           // (mut i32) = 65536
                           [0x6E, 0x00, 0x41, 0x00, 0xFB, 0x1C, End])),        // anyref = ref.i31 (i32.const 0) (GC)
            Section(7, Vec(Concat(Name("sp"), [0x03, 0x00]), Concat(Name("tag"), [0x04, 0x00]), Concat(Name("ok"), [0x00, 0x01]))),
            Section(10, Vec(Body(Concat(V128Zero, [0x1A, End])), Body(End))),
            Section(11, Vec(Concat([0x00, 0x41, 0x80, 0x08, End], Name("data")))));
        var m = ModuleDecoder.DecodeForAnalysis(bytes);

        Assert.Equal(new Limits(2, 4), m.Memories[0].Limits);
        Assert.Equal(2, m.Globals.Count);
        Assert.Equal(new GlobalType(ValType.I32, true), m.Globals[0].Type);
        Assert.Equal(ValType.AnyRef, m.Globals[1].Type.Type);
        Assert.Equal(["sp", "tag", "ok"], m.Exports.Select(e => e.Name)); // tags are supported (exception handling)
        Assert.Equal([0u], m.Tags);
        Assert.Equal(4, Assert.Single(m.Data).DataLength);
        Assert.Null(m.Bodies[0].UnsupportedFeature);                     // SIMD is supported
        Assert.Null(m.Bodies[1].UnsupportedFeature);
        Assert.Empty(m.Unsupported); // every WebAssembly 3.0 construct is implemented
        Assert.Equal(m.Globals.Count, ModuleDecoder.Decode(bytes).Globals.Count);
    }

    [Fact]
    public void AnalysisDecodesGcTypesAndConstantExpressions()
    {
        byte[] bytes = Module(
            Section(1, Vec([0x4E, 0x02, 0x5F, 0x01, I32, 0x01, 0x50, 0x00, 0x60, 0x01, I32, 0x00], [0x60, 0x00, 0x00])),
            Section(6, Vec([0x6E, 0x00, 0xD0, 0x6E, End],                     // anyref = ref.null any
                           [0x63, 0x00, 0x00, 0x41, 0x07, 0xFB, 0x00, 0x00, End], // (ref null 0) = struct.new 0 (i32.const 7)
                           [I32, 0x00, 0x41, 0x2A, End])));                     // i32 = 42
        var m = ModuleDecoder.DecodeForAnalysis(bytes);
        Assert.Equal(3, m.Types.Count);                                        // the group's two types, then one more
        Assert.Equal([ValType.I32], m.Types[1].Params);                        // a sub type of a function type keeps it
        Assert.Equal([ValType.AnyRef, ValTypes.RefToType(0, nullable: true), ValType.I32], m.Globals.Select(g => g.Type.Type));
        Assert.Equal([CompositeKind.Struct, CompositeKind.Func, CompositeKind.Func], m.SubTypes.Select(t => t.Kind));
        Assert.Equal([(0, 2), (2, 1)], m.RecGroups);
        Assert.Equal("(sub (func [i32] -> []))", m.SubTypes[1].ToString());
        Assert.Equal(new FieldType(ValType.I32, PackedType.None, Mutable: true), Assert.Single(m.SubTypes[0].Fields));
        var init = m.Globals[2].Init.Decode(m.Bytes);
        Assert.Equal(42, Assert.Single(init).I32);
        Assert.Empty(m.Unsupported);
        Assert.Equal(Opcode.StructNew, m.Globals[1].Init.Decode(m.Bytes)[1].Opcode);
    }

    [Theory]
    [InlineData(new byte[] { 0x0D, 0x03, 0x01, 0x01, 0x00 }, "malformed tag attribute", 11)]
    [InlineData(new byte[] { 0x01, 0x04, 0x01, 0x5F, 0x01, 0x7F }, "unexpected end", 12)]
    [InlineData(new byte[] { 0x01, 0x05, 0x01, 0x60, 0x01, 0x63, 0x7F }, "malformed reference type", 14)]
    public void AnalysisStillRejectsMalformedInput(byte[] sections, string reason, int offset)
    {
        var ex = Assert.Throws<WasmFormatException>(() => ModuleDecoder.DecodeForAnalysis(Concat(Header, sections)));
        Assert.Equal((reason, offset), (ex.Reason, ex.Offset));
    }
}
