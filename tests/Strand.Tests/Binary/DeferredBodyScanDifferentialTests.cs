using Strand.Binary;
using Strand.Validation;
using Xunit;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

/// <summary>
/// Differential test of the deferred body scan (ModuleDecoder.DecodeDeferringBodyScan, used by <c>Module.Compile</c>):
/// big valid modules (generated ones of 300-1200 functions with varied bodies, and the repository's fixtures padded with
/// 300 functions) are mutated at random (byte flips, interesting bytes, insertions, deletions, duplications,
/// truncations; in the bodies, before and after the code section) and what compiling throws (type and message, or
/// success) must be what decoding with the scan and then validating throws. Fixed seeds, a bounded number of mutants.
/// </summary>
public class DeferredBodyScanDifferentialTests
{
    /// <summary>The outcome of <paramref name="action"/>: "ok", or the exception's type and message.</summary>
    private static string Outcome(Action action)
    {
        try
        {
            action();
            return "ok";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private static string Reference(byte[] wasm) => Outcome(() => ModuleValidator.Validate(ModuleDecoder.Decode(wasm)));

    /// <summary>Compiling (the deferred scan): Module.Compile when the reference fails, else the deferred decode and validation alone (no code).</summary>
    private static string Deferred(byte[] wasm, string reference) => reference == "ok"
        ? Outcome(() => ModuleValidator.Validate(ModuleDecoder.DecodeDeferringBodyScan(wasm)))
        : Outcome(() => Module.Compile(wasm));

    // ---- generated modules ----------------------------------------------------------------------------------------

    /// <summary>
    /// Statements valid in a ()->() body with locals (i32, i64, f32, f64) at 0..3, memory 0, table 0 of funcref
    /// (functions 0..n-1), passive data segments 0 and 1 and a data count section (when <paramref name="dataCount"/>).
    /// </summary>
    private sealed class BodyGenerator(Random random, int functions, bool dataCount)
    {
        private readonly List<byte> _code = new();

        private void Emit(params byte[] bytes) => _code.AddRange(bytes);

        private void I32()
        {
            switch (random.Next(6))
            {
                case 0: Emit(0x41); Emit(S32(random.Next(int.MinValue, int.MaxValue))); break;
                case 1: Emit(0x20, 0x00); break;
                case 2: I32(); I32(); Emit((byte)(0x6A + random.Next(11))); break; // i32.add .. i32.rotr
                case 3: Emit(0x41, 0x10, 0x28, 0x02, 0x00); break; // i32.load (16)
                case 4: Emit(0x42, 0x05, 0xA7); break; // i32.wrap_i64 (i64.const 5)
                default: I32(); I32(); I32(); Emit(0x1B); break; // select
            }
        }

        private void Statement(int depth)
        {
            switch (random.Next(depth > 3 ? 12 : 17))
            {
                case 0: Emit(0x01); break; // nop
                case 1: I32(); Emit(0x21, 0x00); break; // local.set 0
                case 2: I32(); Emit(0x1A); break; // drop
                case 3: Emit(0x42); Emit(S32(random.Next())); Emit(0x21, 0x01); break; // i64.const; local.set 1
                case 4: Emit(0x43, 0x00, 0x00, 0x80, 0x3F, 0x21, 0x02); break; // f32.const 1; local.set 2
                case 5: Emit(0x44, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x20, 0x03, 0xA0, 0x21, 0x03); break; // f64 add
                case 6: Emit(0x41, 0x08); I32(); Emit(0x36, 0x02, 0x04); break; // i32.store offset=4
                case 7: Emit(0x3F, 0x00, 0x1A); break; // memory.size; drop
                case 8: Emit(0x10); Emit(U32((uint)random.Next(functions))); break; // call f (()->())
                case 9:
                    Emit(0x41, 0x00, 0x41, 0x00, 0x41, 0x00); // dst, src, n = 0
                    if (dataCount) Emit(0xFC, 0x08, (byte)random.Next(2), 0x00); // memory.init
                    else Emit(0xFC, 0x0A, 0x00, 0x00); // memory.copy
                    break;
                case 10: if (dataCount) Emit(0xFC, 0x09, (byte)random.Next(2)); else Emit(0x01); break; // data.drop
                case 11: Emit(0xFD, 0x0C); for (int i = 0; i < 16; i++) Emit((byte)random.Next(256)); Emit(0x1A); break; // v128.const; drop
                case 12: Emit(0x02, 0x40); Block(depth); Emit(0x0B); break; // block
                case 13: Emit(0x03, 0x40); Block(depth); Emit(0x0B); break; // loop
                case 14:
                    I32(); Emit(0x04, 0x40); Block(depth);
                    if (random.Next(2) == 0) { Emit(0x05); Block(depth); }
                    Emit(0x0B);
                    break;
                case 15: Emit(0x02, 0x40); I32(); Emit(0x0E, 0x02, 0x00, 0x00, 0x00, 0x0B); break; // br_table 0 0 0
                default:
                    Emit(0x41); Emit(S32(random.Next(functions))); Emit(0x11, 0x00, 0x00); break; // call_indirect (type 0)
            }
        }

        private void Block(int depth)
        {
            int n = random.Next(4);
            for (int i = 0; i < n; i++) Statement(depth + 1);
        }

        public byte[] Body()
        {
            _code.Clear();
            int n = random.Next(1, 8);
            for (int i = 0; i < n; i++) Statement(0);
            Emit(0x0B);
            return WasmBytes.Body([(1, 0x7F), (1, 0x7E), (1, 0x7D), (1, 0x7C)], _code.ToArray());
        }
    }

    private static byte[] S32(int value)
    {
        var bytes = new List<byte>();
        while (true)
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            if ((value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0)) { bytes.Add(b); return bytes.ToArray(); }
            bytes.Add((byte)(b | 0x80));
        }
    }

    /// <summary>A valid module of <paramref name="functions"/> ()->() functions, with sections before and after the code.</summary>
    private static byte[] Generated(Random random, int functions)
    {
        bool dataCount = random.Next(3) != 0;
        var generator = new BodyGenerator(random, functions, dataCount);
        var elements = Concat([0x00, 0x41, 0x00, 0x0B], Vec(Enumerable.Range(0, functions).Select(i => U32((uint)i)).ToArray()));
        return Module(
        [
            VoidTypeSection(),
            Section(3, Vec(Enumerable.Repeat(new byte[] { 0x00 }, functions).ToArray())),
            Section(4, Vec([0x70, 0x00, .. U32((uint)functions)])), // table funcref n
            Section(5, Vec([0x00, 0x01])), // memory 1
            Section(6, Vec([0x7F, 0x01, 0x41, 0x07, 0x0B])), // global (mut i32) 7
            Section(7, Vec(Concat(Name("f0"), [0x00, 0x00]), Concat(Name("mem"), [0x02, 0x00]))),
            Section(9, Vec(elements)),
            dataCount ? Section(12, U32(2)) : [],
            Section(10, Concat([U32((uint)functions), .. Enumerable.Range(0, functions).Select(_ => generator.Body())])),
            Section(11, Vec(Concat([0x01], U32(3), [1, 2, 3]), Concat([0x00, 0x41, 0x20, 0x0B], U32(2), [4, 5]))), // passive, active at 32
            CustomSection("name", 0x01, 0x05, 0x01, 0x00, 0x02, (byte)'f', (byte)'0'),
        ]);
    }

    // ---- fixtures padded with many functions ---------------------------------------------------------------------

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Strand.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private static (uint Value, int Length) ReadU32(byte[] bytes, int at)
    {
        uint value = 0;
        for (int shift = 0, i = at; ; shift += 7, i++)
        {
            value |= (uint)(bytes[i] & 0x7F) << shift;
            if ((bytes[i] & 0x80) == 0) return (value, i - at + 1);
        }
    }

    /// <summary>
    /// <paramref name="wasm"/> with <paramref name="extra"/> more functions of a new ()->() type (appended to the type,
    /// function and code sections, so no index changes), or null if it lacks one of those sections.
    /// </summary>
    private static byte[]? Padded(byte[] wasm, int extra, Random random)
    {
        var sections = new List<(byte Id, byte[] Content)>();
        for (int at = 8; at < wasm.Length;)
        {
            byte id = wasm[at];
            var (size, n) = ReadU32(wasm, at + 1);
            sections.Add((id, wasm[(at + 1 + n)..(at + 1 + n + (int)size)]));
            at += 1 + n + (int)size;
        }
        int typeAt = sections.FindIndex(s => s.Id == 1), funcAt = sections.FindIndex(s => s.Id == 3), codeAt = sections.FindIndex(s => s.Id == 10);
        if (typeAt < 0 || funcAt < 0 || codeAt < 0) return null;
        static byte[] Append(byte[] content, int extra, IEnumerable<byte[]> items)
        {
            var (count, n) = ReadU32(content, 0);
            return Concat([U32(count + (uint)extra), content[n..], .. items]);
        }
        uint newType = ReadU32(sections[typeAt].Content, 0).Value;
        // Bodies without memory, table or data instructions (the fixture may have none): blocks, loops, locals, branches.
        byte[][] snippets =
        [
            [0x01], [0x41, 0x05, 0x21, 0x00], [0x02, 0x40, 0x01, 0x0B], [0x03, 0x40, 0x20, 0x00, 0x0D, 0x00, 0x0B],
            [0x41, 0x01, 0x04, 0x40, 0x01, 0x05, 0x01, 0x0B], [0x42, 0x2A, 0x1A], [0x02, 0x40, 0x41, 0x00, 0x0E, 0x01, 0x00, 0x00, 0x0B],
            [0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x9F, 0x1A],
        ];
        byte[] NewBody() => Body([(1, 0x7F)], Concat([.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => snippets[random.Next(snippets.Length)]), [0x0B]]));
        sections[typeAt] = (1, Append(sections[typeAt].Content, 1, [[0x60, 0x00, 0x00]]));
        sections[funcAt] = (3, Append(sections[funcAt].Content, extra, Enumerable.Repeat(U32(newType), extra)));
        sections[codeAt] = (10, Append(sections[codeAt].Content, extra, Enumerable.Range(0, extra).Select(_ => NewBody()).ToArray()));
        return Module(sections.Select(s => Section(s.Id, s.Content)).ToArray());
    }

    // ---- mutations ------------------------------------------------------------------------------------------------

    private static readonly byte[] Interesting = [0x00, 0x01, 0x05, 0x0B, 0x0E, 0x40, 0x7F, 0x80, 0xFF, 0xFC, 0xFD, 0xFE, 0x08, 0x09, 0x06, 0x07, 0x18, 0x19, 0x1C];

    /// <summary>The code section's extent in <paramref name="wasm"/> (id byte to end).</summary>
    private static (int Start, int End) CodeSection(byte[] wasm)
    {
        for (int at = 8; at < wasm.Length;)
        {
            var (size, n) = ReadU32(wasm, at + 1);
            int end = at + 1 + n + (int)size;
            if (wasm[at] == 10) return (at, end);
            at = end;
        }
        return (8, wasm.Length);
    }

    private static byte[] Mutate(byte[] wasm, Random random)
    {
        var (codeStart, codeEnd) = CodeSection(wasm);
        var bytes = new List<byte>(wasm);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations && bytes.Count > 9; m++)
        {
            // Half in the code section, the rest before or after it.
            int count = bytes.Count;
            int at = random.Next(4) switch
            {
                0 or 1 when codeStart < Math.Min(codeEnd, count) => random.Next(codeStart, Math.Min(codeEnd, count)),
                2 => random.Next(8, Math.Min(codeStart + 1, count)),
                _ => random.Next(Math.Min(codeEnd, count - 1), count),
            };
            switch (random.Next(7))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                case 2: bytes.Insert(at, Interesting[random.Next(Interesting.Length)]); break;
                case 3: bytes.RemoveRange(at, Math.Min(random.Next(1, 4), bytes.Count - at)); break;
                case 4:
                {
                    int n = Math.Min(random.Next(1, 8), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, n));
                    break;
                }
                case 5: bytes.RemoveRange(at, bytes.Count - at); break; // truncation
                default: bytes[at] = (byte)random.Next(256); break;
            }
        }
        return bytes.ToArray();
    }

    private static void Check(byte[] wasm, int mutants, Random random, string what, List<string> faults, ref int failing)
    {
        string original = Reference(wasm);
        Assert.True(original == "ok", $"{what}: {original}");
        string deferredOriginal = Deferred(wasm, "ok");
        Assert.True(deferredOriginal == "ok", $"{what}: {deferredOriginal}");
        for (int i = 0; i < mutants; i++)
        {
            var mutant = Mutate(wasm, random);
            string reference = Reference(mutant);
            string deferred = Deferred(mutant, reference);
            if (reference != "ok") failing++;
            if (reference != deferred && faults.Count < 10) faults.Add($"{what} mutant {i}: decode+validate: {reference} | Module.Compile: {deferred}");
        }
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 700)]
    [InlineData(3, 1200)]
    public void MutantsOfGeneratedModulesFailAlikeBothWays(int seed, int functions)
    {
        var random = new Random(seed);
        var faults = new List<string>();
        int failing = 0;
        const int Mutants = 300;
        for (int module = 0; module < 3; module++)
            Check(Generated(random, functions), Mutants, random, $"seed {seed} module {module}", faults, ref failing);
        Assert.Empty(faults);
        Assert.InRange(failing, 3 * Mutants / 2, 3 * Mutants); // most mutants are rejected: the errors were compared
    }

    [Fact]
    public void MutantsOfPaddedFixturesFailAlikeBothWays()
    {
        var random = new Random(42);
        var faults = new List<string>();
        int failing = 0, modules = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "fixtures"), "*.wasm", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var original = File.ReadAllBytes(file);
            if (Reference(original) != "ok") continue; // fixtures of unsupported features
            if (Padded(original, 300, random) is not { } padded) continue;
            modules++;
            Check(padded, 40, random, Path.GetFileName(file), faults, ref failing);
        }
        Assert.Empty(faults);
        Assert.True(modules >= 20, $"{modules} fixtures padded");
        Assert.InRange(failing, modules * 10, modules * 40);
    }

    /// <summary>
    /// Exceptions other than format and validation errors: an implementation limit met by validation in an early body
    /// (array.new_fixed of 100,000 operands) comes after a malformed later body, as when decoding scanned the bodies;
    /// alone, it is reported as such both ways.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnImplementationLimitInValidationComesAfterAMalformedBody(bool malformedLater)
    {
        const int Functions = 400;
        byte[] limit = Body(Concat([0xFB, 0x08], U32(1), U32(100_000), [0x1A, 0x0B])); // array.new_fixed 1 100000; drop
        byte[] illegal = Body(0x01, 0xFF, 0x0B);
        var wasm = Module(
        [
            Section(1, Vec([0x60, 0x00, 0x00], [0x5E, 0x7F, 0x00])), // ()->(), (array i32)
            Section(3, Vec(Enumerable.Repeat(new byte[] { 0x00 }, Functions).ToArray())),
            Section(10, Concat([U32(Functions), .. Enumerable.Range(0, Functions).Select(i => i switch
            {
                20 => limit,
                300 when malformedLater => illegal,
                _ => Body(0x01, 0x0B),
            })])),
        ]);
        string reference = Reference(wasm);
        Assert.StartsWith(malformedLater ? "WasmFormatException" : "WasmImplementationLimitException", reference);
        Assert.Equal(reference, Deferred(wasm, reference));
    }
}
