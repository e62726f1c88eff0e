using Strand.Binary;
using Xunit;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

public class ModuleDecoderSectionTests
{
    private static readonly ModuleDefinition Sample = ModuleDecoder.Decode(SampleModule.Bytes);

    [Fact]
    public void EmptyModuleHasNoContent()
    {
        var m = ModuleDecoder.Decode(Header);
        Assert.Empty(m.Types);
        Assert.Empty(m.Imports);
        Assert.Empty(m.Bodies);
        Assert.Null(m.StartFunction);
        Assert.Null(m.DataCount);
        Assert.Null(m.Names);
        Assert.Equal(0, m.TotalFunctionCount);
    }

    [Fact]
    public void DecodesTypes()
    {
        Assert.Equal(2, Sample.Types.Count);
        Assert.Equal(new FuncType([ValType.I32, ValType.I32], [ValType.I32]), Sample.Types[0]);
        Assert.Empty(Sample.Types[1].Params);
        Assert.Empty(Sample.Types[1].Results);
    }

    [Fact]
    public void DecodesImportsAndCountsIndexSpaces()
    {
        Assert.Equal(3, Sample.Imports.Count);
        var f = Sample.Imports[0];
        Assert.Equal(("env", "f", ExternalKind.Function, 1u), (f.Module, f.Name, f.Kind, f.FunctionTypeIndex));
        var t = Sample.Imports[1];
        Assert.Equal(ExternalKind.Table, t.Kind);
        Assert.Equal(new TableType(ValType.FuncRef, new Limits(1, 10)), t.Table);
        var g = Sample.Imports[2];
        Assert.Equal(new GlobalType(ValType.I32, false), g.Global);

        Assert.Equal(1, Sample.ImportedFunctionCount);
        Assert.Equal(1, Sample.ImportedTableCount);
        Assert.Equal(0, Sample.ImportedMemoryCount);
        Assert.Equal(1, Sample.ImportedGlobalCount);
        Assert.Equal(3, Sample.TotalFunctionCount);
        Assert.Equal(2, Sample.TotalTableCount);
        Assert.Equal(3, Sample.TotalGlobalCount);
        Assert.Equal(1u, Sample.GetFunctionTypeIndex(0));
        Assert.Equal(0u, Sample.GetFunctionTypeIndex(1));
        Assert.Equal(new TableType(ValType.ExternRef, new Limits(2, null)), Sample.GetTableType(1));
    }

    [Fact]
    public void DecodesMemoryImportLimitsIncludingShared()
    {
        byte[] MemoryImport(params byte[] limits) => Concat(Name("m"), Name("mem"), [0x02], limits);
        var m = ModuleDecoder.Decode(Module(Section(2, Vec(
            MemoryImport(0x00, 0x01),
            MemoryImport(0x01, 0x00, 0x80, 0x80, 0x04),
            MemoryImport(0x03, 0x01, 0x02),
            MemoryImport(0x02, 0x05)))));
        Assert.Equal(4, m.ImportedMemoryCount);
        Assert.Equal(new Limits(1, null), m.GetMemoryType(0).Limits);
        Assert.Equal(new Limits(0, 65536), m.GetMemoryType(1).Limits);
        Assert.Equal(new Limits(1, 2, Shared: true), m.GetMemoryType(2).Limits);
        Assert.True(m.GetMemoryType(2).Shared);
        // Shared without maximum decodes; the validator rejects it.
        Assert.Equal(new Limits(5, null, Shared: true), m.GetMemoryType(3).Limits);
    }

    [Fact]
    public void DecodesFunctionsTablesMemoriesGlobals()
    {
        Assert.Equal([0u, 1u], Sample.FunctionTypeIndices);
        Assert.Equal([new TableType(ValType.ExternRef, new Limits(2, null))], Sample.Tables);
        Assert.Equal([new MemoryType(new Limits(1, 2))], Sample.Memories);

        Assert.Equal(2, Sample.Globals.Count);
        Assert.Equal(new GlobalType(ValType.I32, true), Sample.Globals[0].Type);
        var init = Sample.Globals[0].Init.Decode(Sample.Bytes);
        Assert.Single(init);
        Assert.Equal(Opcode.I32Const, init[0].Opcode);
        Assert.Equal(42, init[0].I32);
        // The range runs through the terminating end.
        Assert.Equal(0x0B, Sample.Bytes[Sample.Globals[0].Init.End - 1]);
        Assert.Equal(0x41, Sample.Bytes[Sample.Globals[0].Init.Start]);
        Assert.Equal(3, Sample.Globals[0].Init.End - Sample.Globals[0].Init.Start);

        var refInit = Sample.Globals[1].Init.Decode(Sample.Bytes);
        Assert.Equal(Opcode.RefFunc, Assert.Single(refInit).Opcode);
        Assert.Equal(1u, refInit[0].Index);
    }

    [Fact]
    public void DecodesExportsAndStart()
    {
        Assert.Equal([new Export("add", ExternalKind.Function, 1), new Export("mem", ExternalKind.Memory, 0)], Sample.Exports);
        Assert.Equal(2u, Sample.StartFunction);
    }

    [Fact]
    public void DecodesBodies()
    {
        Assert.Equal(2, Sample.Bodies.Count);
        var add = Sample.Bodies[0];
        Assert.Equal([new LocalGroup(2, ValType.I32), new LocalGroup(1, ValType.I64)], add.Locals);
        Assert.Equal(3, add.LocalCount);
        Assert.Equal([ValType.I32, ValType.I32, ValType.I64], add.ExpandLocals());
        Assert.Equal([0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B], Sample.Bytes[add.CodeStart..add.CodeEnd]);
        // The size field precedes the locals: size byte, vector length, two groups of two bytes.
        Assert.Equal(add.CodeStart - 6, add.SourceOffset);

        var init = Sample.Bodies[1];
        Assert.Empty(init.Locals);
        Assert.Equal(0, init.LocalCount);
        Assert.Equal(init.CodeStart + 17, init.CodeEnd);
    }

    [Fact]
    public void DecodesDataCountAndDataSegments()
    {
        Assert.Equal(2u, Sample.DataCount);
        Assert.Equal(2, Sample.Data.Count);
        var active = Sample.Data[0];
        Assert.Equal(SegmentMode.Active, active.Mode);
        Assert.Equal(0u, active.MemoryIndex);
        Assert.Equal(16, active.Offset!.Decode(Sample.Bytes)[0].I32);
        Assert.Equal("hi"u8.ToArray(), active.GetBytes(Sample).ToArray());
        var passive = Sample.Data[1];
        Assert.Equal(SegmentMode.Passive, passive.Mode);
        Assert.Null(passive.Offset);
        Assert.Equal("abc"u8.ToArray(), passive.GetBytes(Sample).ToArray());
    }

    [Fact]
    public void DecodesDataSegmentWithExplicitMemory()
    {
        var m = ModuleDecoder.Decode(Module(
            Section(5, Vec([0x00, 0x01])),
            Section(11, Vec(Concat([0x02, 0x00, 0x41, 0x07, 0x0B], Name("xyz")), Concat([0x02, 0x03, 0x41, 0x00, 0x0B], U32(0))))));
        Assert.Equal(2, m.Data.Count);
        Assert.Equal(SegmentMode.Active, m.Data[0].Mode);
        Assert.Equal(0u, m.Data[0].MemoryIndex);
        Assert.Equal(7, m.Data[0].Offset!.Decode(m.Bytes)[0].I32);
        Assert.Equal("xyz"u8.ToArray(), m.Data[0].GetBytes(m).ToArray());
        Assert.Equal(3u, m.Data[1].MemoryIndex);
        Assert.Equal(0, m.Data[1].DataLength);
        Assert.Null(m.DataCount);
    }

    private static readonly ValType RefFunc = ValTypes.Ref(AbstractHeapType.Func, nullable: false);

    [Fact]
    public void DecodesAllEightElementSegmentForms()
    {
        byte[] offset = [0x41, 0x05, 0x0B];            // i32.const 5
        byte[] refFunc0 = [0xD2, 0x00, 0x0B];          // ref.func 0
        byte[] refNullExtern = [0xD0, 0x6F, 0x0B];     // ref.null extern
        var m = ModuleDecoder.Decode(Module(Section(9, Vec(
            Concat([0x00], offset, Vec([0x00], [0x01])),                       // 0: active table 0, func indices
            Concat([0x01, 0x00], Vec([0x02])),                                  // 1: passive, elemkind, indices
            Concat([0x02, 0x03], offset, [0x00], Vec([0x04], [0x05], [0x06])),  // 2: active table 3, elemkind, indices
            Concat([0x03, 0x00], Vec([0x07])),                                  // 3: declarative, elemkind, indices
            Concat([0x04], offset, Vec(refFunc0)),                              // 4: active table 0, expressions
            Concat([0x05, 0x6F], Vec(refNullExtern, refNullExtern)),            // 5: passive, reftype, expressions
            Concat([0x06, 0x02], offset, [0x70], Vec(refFunc0)),                // 6: active table 2, reftype, expressions
            Concat([0x07, 0x70], Vec(refFunc0))))));                            // 7: declarative, reftype, expressions
        var e = m.Elements;
        Assert.Equal(8, e.Count);
        Assert.Equal(
            [SegmentMode.Active, SegmentMode.Passive, SegmentMode.Active, SegmentMode.Declarative,
             SegmentMode.Active, SegmentMode.Passive, SegmentMode.Active, SegmentMode.Declarative],
            e.Select(s => s.Mode));
        Assert.Equal([0u, 0u, 3u, 0u, 0u, 0u, 2u, 0u], e.Select(s => s.TableIndex));
        Assert.Equal(
            [RefFunc, RefFunc, RefFunc, RefFunc, // function indices are (ref func) (3.0)
             ValType.FuncRef, ValType.ExternRef, ValType.FuncRef, ValType.FuncRef],
            e.Select(s => s.ElementType));
        Assert.Equal([0u, 1u], e[0].FunctionIndices!);
        Assert.Equal([2u], e[1].FunctionIndices!);
        Assert.Equal([4u, 5u, 6u], e[2].FunctionIndices!);
        Assert.Equal([7u], e[3].FunctionIndices!);
        for (int i = 0; i < 4; i++) Assert.Null(e[i].Expressions);
        for (int i = 4; i < 8; i++) Assert.Null(e[i].FunctionIndices);
        Assert.Equal([2, 1, 3, 1, 1, 2, 1, 1], e.Select(s => s.Count));
        foreach (int active in new[] { 0, 2, 4, 6 }) Assert.Equal(5, e[active].Offset!.Decode(m.Bytes)[0].I32);
        foreach (int nonActive in new[] { 1, 3, 5, 7 }) Assert.Null(e[nonActive].Offset);
        var nullRef = e[5].Expressions![1].Decode(m.Bytes);
        Assert.Equal(Opcode.RefNull, Assert.Single(nullRef).Opcode);
        Assert.Equal(ValType.ExternRef, nullRef[0].RefType);
        Assert.Equal(Opcode.RefFunc, e[7].Expressions![0].Decode(m.Bytes)[0].Opcode);
    }

    [Fact]
    public void KeepsCustomSectionsWhereverTheyAppear()
    {
        var m = ModuleDecoder.Decode(Module(
            CustomSection("a", 1, 2, 3),
            VoidTypeSection(),
            CustomSection("b"),
            Section(3, Vec([0x00])),
            Section(10, Vec(Body(0x0B))),
            CustomSection("c", 9)));
        Assert.Equal(["a", "b", "c"], m.CustomSections.Select(c => c.Name));
        Assert.Equal([1, 2, 3], m.CustomSections[0].GetPayload(m).ToArray());
        Assert.Equal(0, m.CustomSections[1].PayloadLength);
        Assert.Equal([9], m.CustomSections[2].GetPayload(m).ToArray());
        Assert.Equal(8, m.CustomSections[0].SectionOffset);
        Assert.Single(m.Bodies);
    }

    [Fact]
    public void AcceptsOverlongButValidLeb128Counts()
    {
        var m = ModuleDecoder.Decode(Module(Section(5, [0x81, 0x00], [0x00, 0x82, 0x00])));
        Assert.Equal(new Limits(2, null), Assert.Single(m.Memories).Limits);
    }

    [Fact]
    public void EmptySectionsAndAbsentCodeWithZeroFunctionsAreFine()
    {
        var m = ModuleDecoder.Decode(Module(Section(1, Vec()), Section(3, Vec()), Section(12, U32(0))));
        Assert.Empty(m.FunctionTypeIndices);
        Assert.Equal(0u, m.DataCount);
        Assert.Empty(ModuleDecoder.Decode(Module(Section(10, Vec()))).Bodies);
    }

    [Fact]
    public void BodiesWithNestedBlocksIfElseAndAtomicsDecode()
    {
        var m = ModuleDecoder.Decode(SingleFunction([
            0x41, 0x01, 0x04, 0x40,        // i32.const 1; if
            0x02, 0x40, 0x0B,              //   block end
            0x05,                          // else
            0x03, 0x40, 0x0B,              //   loop end
            0x0B,                          // end (if)
            0x41, 0x00, 0xFE, 0x10, 0x02, 0x00, 0x1A, // i32.atomic.load; drop
            0xFE, 0x03, 0x00,              // atomic.fence
            0x0B]));
        Assert.Single(m.Bodies);
    }

    [Fact]
    public void AReservedSimdOpcodeIsIllegal()
    {
        // 0xFD 0x9A is a gap in the SIMD opcode space (spec 5.4.8).
        var ex = Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(SingleFunction([0xFD, 0x9A, 0x01, 0x0B])));
        Assert.Contains("illegal opcode", ex.Message);
        // header 8, type 6, function 4, memory 5, code section header 3, body size and locals 2
        Assert.Equal(28, ex.Offset);
    }
}
