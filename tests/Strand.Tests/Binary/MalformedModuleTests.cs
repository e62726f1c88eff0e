using Strand.Binary;
using Xunit;
using static Strand.Tests.Binary.SampleModule;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

public class MalformedModuleTests
{
    // Layout notes for the offsets below: the header is 8 bytes, so a first section's id is at 8,
    // its (one-byte) size at 9 and its first content byte at 10. VoidTypeSection() is 6 bytes.
    // SingleFunction(code) puts the first code byte at 28 (type 6, function 4, memory 5, code header 3, body size and locals 2).
    public static TheoryData<string, byte[], string, int> Cases => new()
    {
        { "empty input", [], "unexpected end", 0 },
        { "truncated magic", [0x00, 0x61, 0x73], "unexpected end", 3 },
        { "magic only", [0x00, 0x61, 0x73, 0x6D], "unexpected end", 4 },
        { "wrong magic", [0x00, 0x61, 0x73, 0x6E, 0x01, 0x00, 0x00, 0x00], "magic header not detected", 0 },
        { "wrong version", [0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00], "unknown binary version", 4 },
        { "section id 14", Concat(Header, [0x0E, 0x00]), "malformed section id", 8 },
        // 13 is the tag section (exception handling): an empty payload lacks its count, as in the 2.0 suite's "\0d\00".
        { "tag section without count", Concat(Header, [0x0D, 0x00]), "unexpected end", 10 },
        { "tag attribute 1", Module(Section(13, Vec([0x01, 0x00]))), "malformed tag attribute", 11 },
        { "tag section after global", Module(Section(6, Vec()), Section(13, Vec())), "unexpected content after last section", 11 },
        { "section id 0x80", Concat(Header, [0x80, 0x00, 0x01, 0x00]), "malformed section id", 8 },
        { "truncated section header", Concat(Header, [0x01]), "unexpected end", 9 },
        { "section larger than the file", Concat(Header, [0x01, 0x05, 0x00]), "length out of bounds", 9 },
        { "section with trailing bytes", Module(Section(1, [0x00, 0x00])), "section size mismatch", 11 },
        { "section shorter than content", Module(Section(1, [0x01, 0x60, 0x00])), "unexpected end", 13 },
        { "function before type", Module(Section(3, Vec()), Section(1, Vec())), "unexpected content after last section", 11 },
        { "duplicate type section", Module(Section(1, Vec()), Section(1, Vec())), "unexpected content after last section", 11 },
        { "duplicate start section", Module(VoidTypeSection(), Section(3, Vec([0x00])), Section(8, [0x00]), Section(8, [0x00]), Section(10, Vec(Body(End)))),
            "unexpected content after last section", 21 },
        { "data count after code", Module(Section(10, Vec()), Section(12, U32(0))), "unexpected content after last section", 11 },
        { "data before code", Module(Section(11, Vec()), Section(10, Vec())), "unexpected content after last section", 11 },
        { "functions without code", Module(VoidTypeSection(), Section(3, Vec([0x00]))), "function and code section have inconsistent lengths", 18 },
        { "code without functions", Module(VoidTypeSection(), Section(10, Vec(Body(End)))), "function and code section have inconsistent lengths", 16 },
        { "more data segments than data count", Module(Section(5, Vec([0x00, 0x01])), Section(12, U32(2)), Section(11, Vec([0x01, 0x00]))),
            "data count and data section have inconsistent lengths", 18 },
        { "data count without data section", Module(Section(12, U32(1))), "data count and data section have inconsistent lengths", 11 },
        { "memory.init without data count", SingleFunction([0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x08, 0x00, 0x00, End]), "data count section required", 34 },
        { "data.drop without data count", SingleFunction([0xFC, 0x09, 0x00, End]), "data count section required", 28 },
        { "illegal opcode in body", SingleFunction([0x17, End]), "illegal opcode", 28 },
        { "illegal 0xFD opcode in body", SingleFunction([0xFD, 0x94, 0x02, End]), "illegal opcode", 28 },
        { "illegal 0xFB opcode in body", SingleFunction([0xFB, 0x1F, End]), "illegal opcode", 28 },
        { "memop flags 0x80", SingleFunction([0x41, 0x00, 0x28, 0x80, 0x01, 0x00, 0x1A, End]), "malformed memop flags", 31 },
        { "ref.null of a negative non-heap type", SingleFunction([0xD0, 0x7F, 0x1A, End]), "malformed reference type", 29 },
        { "illegal 0xFC opcode in body", SingleFunction([0xFC, 0x12, End]), "illegal opcode", 28 },
        { "truncated immediate in body", SingleFunction([0x41]), "unexpected end", 29 },
        { "nonzero memory.size reserved byte", SingleFunction([0x3F, 0x01, 0x1A, End]), "zero byte expected", 29 },
        { "nonzero memory.copy source byte", SingleFunction([0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0A, 0x00, 0x01, End]), "zero byte expected", 37 },
        { "nonzero memory.init memory byte", SingleFunction([0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x08, 0x00, 0x01, End], dataCount: Section(12, U32(1))),
            "zero byte expected", 40 },
        { "nonzero atomic.fence byte", SingleFunction([0xFE, 0x03, 0x01, End]), "zero byte expected", 30 },
        { "overlong atomic.fence opcode with nonzero byte", SingleFunction([0xFE, 0x83, 0x00, 0x01, End]), "zero byte expected", 31 },
        { "illegal opcode in constant expression", Module(Section(6, Vec([I32, 0x00, 0x17, End]))), "illegal opcode", 13 },
        { "constant expression without end", Module(Section(6, Vec([I32, 0x00, 0x41, 0x00]))), "unexpected end", 15 },
        { "body missing end before the next body", Module(VoidTypeSection(), Section(3, Vec([0x00], [0x00])), Section(10, Vec(Body(0x01), Body(End)))),
            "END opcode expected", 25 },
        { "body missing end at section end", SingleFunction([0x01]), "unexpected end of section or function", 29 },
        { "bytes after the final end", SingleFunction([End, 0x01]), "section size mismatch", 29 },
        { "else outside if", SingleFunction([0x05, End]), "END opcode expected", 28 },
        { "second else", SingleFunction([0x41, 0x00, 0x04, 0x40, 0x05, 0x05, End, End]), "END opcode expected", 33 },
        { "body size beyond section", Module(VoidTypeSection(), Section(3, Vec([0x00])), Section(10, [0x01, 0x05, 0x00, End])), "length out of bounds", 21 },
        { "too many locals in one group", Module(VoidTypeSection(), Section(3, Vec([0x00])), Section(10, Vec(Body([(50001, I32)], End)))), "too many locals", 23 },
        { "too many locals in total", Module(VoidTypeSection(), Section(3, Vec([0x00])), Section(10, Vec(Body([(40000, I32), (20000, I64)], End)))), "too many locals", 27 },
        { "local count sum beyond u32", Module(VoidTypeSection(), Section(3, Vec([0x00])), Section(10, Vec(Body([(uint.MaxValue, I32), (2, I64)], End)))), "too many locals", 23 },
        { "malformed local type", Module(VoidTypeSection(), Section(3, Vec([0x00])), Section(10, Vec(Body([(1, 0x40)], End)))), "malformed value type", 24 },
        { "malformed mutability", Module(Section(6, Vec([I32, 0x02, 0x41, 0x00, End]))), "malformed mutability", 12 },
        { "malformed import kind", Module(Section(2, Vec(Concat(Name("m"), Name("n"), [0x05])))), "malformed import kind", 15 },
        // Kind 4 is a tag (exception handling); without its attribute and type it is truncated, as in the 2.0 suite.
        { "tag import without type", Module(Section(2, Vec(Concat(Name("m"), Name("n"), [0x04])))), "unexpected end", 16 },
        { "malformed import kind 0x80", Module(Section(2, Vec(Concat(Name("m"), Name("n"), [0x80, 0x00])))), "malformed import kind", 15 },
        { "malformed export kind", Module(Section(7, Vec(Concat(Name("e"), [0x05, 0x00])))), "malformed export kind", 13 },
        { "table of i32", Module(Section(4, Vec([I32, 0x00, 0x00]))), "malformed reference type", 11 },
        { "table limits flag 2", Module(Section(4, Vec([FuncRef, 0x02, 0x00]))), "integer too large", 12 },
        { "table limits flag as long LEB", Module(Section(4, Vec([FuncRef, 0x81, 0x00, 0x00]))), "integer representation too long", 12 },
        { "memory limits flag 8", Module(Section(5, Vec([0x08, 0x00]))), "integer too large", 11 },
        { "table limits flag 6", Module(Section(4, Vec([FuncRef, 0x06, 0x00]))), "integer too large", 12 },
        { "table initializer form without zero byte", Module(Section(4, Vec([0x40, 0x01]))), "malformed table type", 12 },
        { "struct field mutability 2", Module(Section(1, Vec([0x5F, 0x01, I32, 0x02]))), "malformed mutability", 14 },
        { "memory limits flag as long LEB", Module(Section(5, Vec([0x81, 0x01, 0x00, 0x00]))), "integer representation too long", 11 },
        { "malformed parameter type", Module(Section(1, Vec([0x60, 0x01, 0x55, 0x00]))), "malformed value type", 13 },
        { "function type form 0x61", Module(Section(1, Vec([0x61, 0x00, 0x00]))), "malformed function type", 11 },
        { "function type form as long LEB", Module(Section(1, Vec([0xE0, 0x7F, 0x00, 0x00]))), "integer representation too long", 11 },
        { "element segment flags 8", Module(Section(9, Vec([0x08]))), "malformed elements segment kind", 11 },
        { "element kind 1", Module(Section(9, Vec([0x01, 0x01, 0x00]))), "malformed element kind", 12 },
        { "element reference type i32", Module(Section(9, Vec([0x05, I32, 0x00]))), "malformed reference type", 12 },
        { "data segment flags 3", Module(Section(11, Vec([0x03]))), "malformed data segment kind", 11 },
        { "data bytes beyond section", Module(Section(11, Vec(Concat([0x01], U32(4), [0x61])))), "unexpected end", 12 },
        { "invalid UTF-8 in import module name", Module(Section(2, Vec(Concat(U32(1), [0xFF], Name("n"), [0x00, 0x00])))), "malformed UTF-8 encoding", 12 },
        { "overlong UTF-8 in export name", Module(Section(7, Vec(Concat(U32(2), [0xC0, 0x80], [0x00, 0x00])))), "malformed UTF-8 encoding", 12 },
        { "surrogate in custom section name", Module(Section(0, Concat(U32(3), [0xED, 0xA0, 0x80]))), "malformed UTF-8 encoding", 11 },
        { "custom section without name", Concat(Header, [0x00, 0x00]), "unexpected end", 10 },
        // Hostile lengths are rejected before anything is allocated for them.
        { "type count 2^32-1", Module(Section(1, U32(uint.MaxValue))), "unexpected end", 10 },
        { "import count 2^32-1", Module(Section(2, U32(uint.MaxValue))), "unexpected end", 10 },
        { "parameter count 2^32-1", Module(Section(1, Concat([0x01, 0x60], U32(uint.MaxValue)))), "unexpected end", 12 },
        { "element index count 2^32-1", Module(Section(9, Concat([0x01, 0x01, 0x00], U32(uint.MaxValue)))), "unexpected end", 13 },
        { "element expression count 2^32-1", Module(Section(9, Concat([0x01, 0x05, FuncRef], U32(uint.MaxValue)))), "unexpected end", 13 },
        { "data length 2^32-1", Module(Section(11, Concat([0x01, 0x01], U32(uint.MaxValue)))), "unexpected end", 12 },
        { "name length 2^32-1", Module(Section(7, Concat([0x01], U32(uint.MaxValue)))), "unexpected end", 16 },
        { "code count 2^32-1", Module(Section(10, U32(uint.MaxValue))), "unexpected end", 10 },
        { "local group count 2^32-1", Module(VoidTypeSection(), Section(3, Vec([0x00])), Section(10, Concat([0x01, 0x06], U32(uint.MaxValue), [End]))), "unexpected end", 22 },
        { "br_table count 2^32-1", SingleFunction(Concat([0x41, 0x00, 0x0E], U32(uint.MaxValue), [0x00, End])), "unexpected end", 31 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RejectsWithReasonAndOffset(string description, byte[] bytes, string reason, int offset)
    {
        var ex = Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(bytes));
        Assert.True(reason == ex.Reason, $"{description}: expected reason '{reason}', got '{ex.Reason}'");
        Assert.True(offset == ex.Offset, $"{description}: expected offset {offset}, got {ex.Offset}");
    }

    [Fact]
    public void BulkMemoryInstructionsAreAcceptedWithDataCount()
    {
        var m = ModuleDecoder.Decode(SingleFunction(
            [0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x08, 0x00, 0x00, 0xFC, 0x09, 0x00, End],
            dataCount: Section(12, U32(0))));
        Assert.Equal(0u, m.DataCount);
        Assert.Single(m.Bodies);
    }

    [Fact]
    public void ExactlyTheLocalLimitIsAccepted()
    {
        var m = ModuleDecoder.Decode(Module(VoidTypeSection(), Section(3, Vec([0x00])),
            Section(10, Vec(Body([(ModuleDecoder.MaxLocalsPerFunction - 1, I32), (1, F64)], End)))));
        Assert.Equal(ModuleDecoder.MaxLocalsPerFunction, m.Bodies[0].LocalCount);
    }
}
