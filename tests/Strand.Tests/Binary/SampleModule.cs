using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

/// <summary>
/// A valid module that uses every section (and a custom section first and a name section last),
/// shared by the section tests, the truncation test and the mutation fuzz test.
/// </summary>
internal static class SampleModule
{
    public const byte I32 = 0x7F, I64 = 0x7E, F32 = 0x7D, F64 = 0x7C, FuncRef = 0x70, ExternRef = 0x6F;
    public const byte End = 0x0B;

    public static readonly byte[][] Sections =
    [
        CustomSection("first", 0xAA, 0xBB),
        // types: 0 = (i32 i32) -> (i32), 1 = () -> ()
        Section(1, Vec([0x60, 0x02, I32, I32, 0x01, I32], [0x60, 0x00, 0x00])),
        // imports: function env.f : type 1, table env.t funcref 1..10, global env.g immutable i32
        Section(2, Vec(
            Concat(Name("env"), Name("f"), [0x00, 0x01]),
            Concat(Name("env"), Name("t"), [0x01, FuncRef, 0x01, 0x01, 0x0A]),
            Concat(Name("env"), Name("g"), [0x03, I32, 0x00]))),
        // functions 1 and 2 (function 0 is the import)
        Section(3, Vec([0x00], [0x01])),
        // table 1: externref, min 2, no max
        Section(4, Vec([ExternRef, 0x00, 0x02])),
        // memory 0: 1..2 pages
        Section(5, Vec([0x01, 0x01, 0x02])),
        // global 1: mutable i32 = 42; global 2: funcref = ref.func 1
        Section(6, Vec([I32, 0x01, 0x41, 0x2A, End], [FuncRef, 0x00, 0xD2, 0x01, End])),
        // exports: "add" = function 1, "mem" = memory 0
        Section(7, Vec(Concat(Name("add"), [0x00, 0x01]), Concat(Name("mem"), [0x02, 0x00]))),
        // start: function 2
        Section(8, U32(2)),
        // elements: active (i32.const 0) [1, 2]; passive funcref [ref.func 1, ref.null func]
        Section(9, Vec(
            [0x00, 0x41, 0x00, End, 0x02, 0x01, 0x02],
            [0x05, FuncRef, 0x02, 0xD2, 0x01, End, 0xD0, FuncRef, End])),
        // data count: 2
        Section(12, U32(2)),
        Section(10, Vec(
            // function 1: locals 2 x i32, 1 x i64; local.get 0 local.get 1 i32.add
            Body([(2, I32), (1, I64)], 0x20, 0x00, 0x20, 0x01, 0x6A, End),
            // function 2: block; memory.init 1 (0, 0, 1); data.drop 1; end
            Body(0x02, 0x40, 0x41, 0x00, 0x41, 0x00, 0x41, 0x01, 0xFC, 0x08, 0x01, 0x00, 0xFC, 0x09, 0x01, End, End))),
        // data: active (i32.const 16) "hi"; passive "abc"
        Section(11, Vec(
            Concat([0x00, 0x41, 0x10, End], Name("hi")),
            Concat([0x01], Name("abc")))),
        CustomSection("name", Concat(
            [0x00], U32(5), Name("demo"),
            NameSubsection(1, Vec(Concat(U32(1), Name("add")), Concat(U32(2), Name("init")))),
            NameSubsection(2, Vec(Concat(U32(1), Vec(Concat(U32(0), Name("a")), Concat(U32(1), Name("b")), Concat(U32(2), Name("tmp")))))),
            NameSubsection(7, Vec(Concat(U32(1), Name("counter")))))),
    ];

    public static byte[] NameSubsection(byte id, byte[] content) => Concat([id], U32((uint)content.Length), content);

    public static byte[] Bytes => Module(Sections);

    /// <summary>Offsets at which a section ends (where a truncated copy is still a sequence of whole sections).</summary>
    public static HashSet<int> SectionBoundaries()
    {
        var result = new HashSet<int>();
        int offset = Header.Length;
        result.Add(offset);
        foreach (var s in Sections)
        {
            offset += s.Length;
            result.Add(offset);
        }
        return result;
    }
}
