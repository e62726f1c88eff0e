using Strand.Binary;
using Xunit;

namespace Strand.Tests.Binary;

/// <summary>Hostile input: truncation at every length and random mutation must only ever produce decoder exceptions.</summary>
public class RobustnessTests
{
    [Fact]
    public void EveryTruncationIsRejectedUnlessItEndsOnASectionBoundary()
    {
        byte[] full = SampleModule.Bytes;
        var boundaries = SampleModule.SectionBoundaries();
        int accepted = 0;
        for (int length = 0; length < full.Length; length++)
        {
            byte[] prefix = full[..length];
            if (!boundaries.Contains(length))
            {
                Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(prefix));
                continue;
            }
            // A prefix of whole sections can be a valid module, or fail a cross-section check
            // (for example functions without their code section).
            try
            {
                ModuleDecoder.Decode(prefix);
                accepted++;
            }
            catch (WasmFormatException)
            {
            }
        }
        // Header only, after the first custom section, after types, after imports, and everything but the
        // trailing name section. In between, functions lack their code or the data count lacks its data section.
        Assert.Equal(5, accepted);
        Assert.NotNull(ModuleDecoder.Decode(full));
    }

    [Fact]
    public void RandomMutationsOnlyRaiseDecoderExceptions()
    {
        byte[] original = SampleModule.Bytes;
        var random = new Random(20240611);
        int decoded = 0, malformed = 0, unsupported = 0;
        for (int iteration = 0; iteration < 5000; iteration++)
        {
            byte[] bytes = Mutate(original, random);
            try
            {
                var module = ModuleDecoder.Decode(bytes);
                Exercise(module);
                decoded++;
            }
            catch (WasmFormatException ex)
            {
                Assert.InRange(ex.Offset, 0, bytes.Length);
                malformed++;
            }
            catch (WasmUnsupportedException)
            {
                unsupported++;
            }
        }
        // Both outcomes must actually occur, or the mutation is too weak (or too strong) to test anything.
        Assert.True(decoded > 100, $"decoded {decoded}");
        Assert.True(malformed > 1000, $"malformed {malformed}");
    }

    [Fact]
    public void RandomMutationsAnalysedForInspectOnlyRaiseFormatErrors()
    {
        // What strand inspect does with a file: decode tolerating unsupported features, analyse, render, preview stacks.
        byte[] original = SampleModule.Bytes;
        var random = new Random(20261129);
        int analysed = 0, malformed = 0, withUnsupported = 0;
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            byte[] bytes = Mutate(original, random);
            ModuleDefinition module;
            try
            {
                module = ModuleDecoder.DecodeForAnalysis(bytes);
            }
            catch (WasmFormatException ex)
            {
                Assert.InRange(ex.Offset, 0, bytes.Length);
                malformed++;
                continue;
            }
            var layout = Strand.Threads.ModuleLayout.Analyze(module);
            Assert.NotEmpty(Strand.Tools.ModuleInspector.Render(layout, module));
            Assert.Equal(module.Unsupported.Count == 0, Strand.Tools.ModuleInspector.RenderUnsupported(module).Length == 0);
            Assert.StartsWith("<svg", Strand.Tools.ModuleInspector.RenderSvg(layout, null));
            try
            {
                Strand.Threads.ThreadGroup.PreviewPlacement(module, 2, new Strand.Threads.ThreadGroupOptions { StackSize = 65536 });
            }
            catch (Exception e) when (e is Strand.Threads.ThreadSpawnException or Strand.Runtime.LinkException or ArgumentException)
            {
            }
            if (module.Unsupported.Count > 0) withUnsupported++;
            analysed++;
        }
        Assert.True(analysed > 100, $"analysed {analysed}");
        Assert.True(malformed > 500, $"malformed {malformed}");
        // Only GC instructions are unsupported now (types, typed function references, SIMD, EH are implemented), which few
        // mutations of the sample make: withUnsupported is not asserted.
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            // Leave the header alone most of the time so the mutations reach the sections.
            int position = random.Next(8, bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[position] = (byte)random.Next(256); break;
                case 1: bytes[position] ^= (byte)(1 << random.Next(8)); break;
                case 2: bytes[position] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x80; break;
                case 3: bytes.Insert(position, (byte)random.Next(256)); break;
                case 4: if (bytes.Count > 9) bytes.RemoveAt(position); break;
                case 5: bytes[position] = (byte)(bytes[position] + random.Next(-2, 3)); break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Touches the on-demand parts of the model, which must also hold up for any module that decoded.</summary>
    private static void Exercise(ModuleDefinition module)
    {
        foreach (var g in module.Globals) g.Init.Decode(module.Bytes);
        foreach (var e in module.Elements)
        {
            e.Offset?.Decode(module.Bytes);
            if (e.Expressions is { } expressions) foreach (var x in expressions) x.Decode(module.Bytes);
        }
        foreach (var d in module.Data)
        {
            d.Offset?.Decode(module.Bytes);
            _ = d.GetBytes(module).Length;
        }
        foreach (var b in module.Bodies) Assert.Equal(b.LocalCount, b.ExpandLocals().Length);
        foreach (var c in module.CustomSections) _ = c.GetPayload(module).Length;
    }
}
