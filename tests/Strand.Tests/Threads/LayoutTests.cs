using System.Xml.Linq;
using Strand.Binary;
using Strand.Threads;
using Strand.Tools;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// ModuleLayout and ModuleInspector against the committed clang-14/wasm-ld-14 fixtures (values checked with
/// <c>wasm-objdump -x</c> and fixtures/README.md) and a few hand-assembled modules.
/// </summary>
public class LayoutTests
{
    private static ModuleDefinition LoadFixture(string relativePath) =>
        ModuleDecoder.Decode(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", relativePath)));

    private static (ModuleLayout Layout, ModuleDefinition Module) AnalyzeFixture(string relativePath)
    {
        var module = LoadFixture(relativePath);
        return (ModuleLayout.Analyze(module), module);
    }

    private static ModuleLayout AnalyzeHex(string hex) => ModuleLayout.Analyze(ModuleDecoder.Decode(Convert.FromHexString(hex)));

    // (module (memory 1) (func (export "f") (result i32) i32.const 1))
    private const string NoStackPointerUnshared = "0061736d010000000105016000017f030201000503010001070501016600000a0601040041010b";
    // (module (memory 1 1 shared) (func (export "f") (result i32) i32.const 1))
    private const string NoStackPointerShared = "0061736d010000000105016000017f03020100050401030101070501016600000a0601040041010b";
    // (module (memory 2) (global (mut i32) (i32.const 65536)) (data (i32.const 65536) "hello") (export "memory" (memory 0)))
    private const string StackFirstUnshared = "0061736d0100000005030100020608017f01418080040b070a01066d656d6f727902000b0d0100418080040b0568656c6c6f";
    // (module (memory 4 4 shared) (global (mut i32) (i32.const 3)) (global (mut i32) (i32.const 32768))
    //         (global (mut i32) (i32.const 131072)) (data (i32.const 1024) "abcd"))
    private const string TwoCandidatesShared = "0061736d010000000504010304040614037f0141030b7f01418080020b7f01418080080b0b0b01004180080b0461626364";
    // (module (memory 1 1 shared) (global (mut i32) (i32.const 3)))
    private const string UnalignedMutableGlobalShared = "0061736d010000000504010301010606017f0141030b";

    // ------------------------------------------------------------ memory and stack pointer

    [Theory]
    [InlineData("seed/algorithm_threads.wasm", StackPointerSource.NameSection)]
    [InlineData("seed/algorithm_threads_export.wasm", StackPointerSource.Export)]
    [InlineData("seed/algorithm_threads_stripped.wasm", StackPointerSource.Heuristic)]
    public void SeedVariants_FindTheSameStackPointer(string fixture, StackPointerSource expectedSource)
    {
        var (layout, _) = AnalyzeFixture(fixture);

        var mem = Assert.IsType<MemoryFacts>(layout.Memory);
        Assert.True(mem.Imported);
        Assert.Equal("env", mem.ImportModule);
        Assert.Equal("memory", mem.ImportName);
        Assert.True(mem.Shared);
        Assert.Equal(2u, mem.MinPages);
        Assert.Equal(256u, mem.MaxPages);

        var sp = layout.StackPointer;
        Assert.Equal(expectedSource, sp.Source);
        Assert.Equal(0u, sp.GlobalIndex);
        Assert.True(sp.IsMutableI32);
        Assert.False(sp.Imported);
        Assert.Equal(66560u, sp.InitialValue);
        // No data at all: the stack may use everything below its initial value.
        Assert.Equal(StackPlacement.NoData, sp.Placement);
        Assert.Equal(new AddressRange(0, 66560), sp.Range);

        Assert.Empty(layout.DataSegments);
        Assert.Null(layout.Start);
        Assert.Equal(SymbolSource.NotFound, layout.DataEnd.Source);
        Assert.Equal(new LayoutAddress(66560, SymbolSource.Inferred, null), layout.HeapBase);
        Assert.False(layout.Tls.HasThreadLocals);

        Assert.Equal(SafetyLevel.Unsafe, layout.Verdict.WithoutStackManagement.Level);
        Assert.Contains(layout.Verdict.WithoutStackManagement.Reasons, r => r.Contains("66560") && r.Contains("same addresses"));
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
    }

    [Fact]
    public void Stripped_HeuristicHasOneCandidateAndACaveat()
    {
        var (layout, module) = AnalyzeFixture("seed/algorithm_threads_stripped.wasm");
        Assert.Null(module.Names);
        Assert.Equal([0u], layout.StackPointer.HeuristicCandidates);
        Assert.Contains(layout.Verdict.UnderStrand.Reasons, r => r.StartsWith("Caveat:") && r.Contains("heuristic"));
        Assert.Contains(layout.Notes, n => n.Contains("heuristic"));
    }

    [Fact]
    public void FrameCheck_UsesExportedDataEndAndHeapBase()
    {
        var (layout, _) = AnalyzeFixture("threads/frame_check.wasm");

        Assert.Equal(StackPointerSource.NameSection, layout.StackPointer.Source);
        Assert.Equal(66592u, layout.StackPointer.InitialValue);
        Assert.Equal(new LayoutAddress(1044, SymbolSource.Export, 1), layout.DataEnd);
        Assert.Equal(new LayoutAddress(66592, SymbolSource.Export, 2), layout.HeapBase);
        Assert.Equal(StackPlacement.AfterData, layout.StackPointer.Placement);
        // [align16(1044), 66592)
        Assert.Equal(new AddressRange(1056, 66592), layout.StackPointer.Range);
        Assert.Equal(65536ul, layout.StackPointer.Range!.Value.Size);

        var seg = Assert.Single(layout.DataSegments);
        Assert.Equal(new DataSegmentInfo(0, ".rodata", SegmentMode.Passive, 16, 1024, SegmentAddressSource.MemoryInit), seg);

        var start = Assert.IsType<StartFunctionInfo>(layout.Start);
        Assert.Equal(0u, start.FunctionIndex);
        Assert.Equal("__wasm_init_memory", start.Name);
        Assert.True(start.IsInitMemory);
        Assert.Equal("name and shape", start.RecognizedBy);
        Assert.Equal(1040u, start.FlagAddress);
        Assert.Empty(start.ZeroFills);

        Assert.Equal([new AddressRange(1024, 1040), new AddressRange(1040, 1044)], layout.StaticDataRanges);
        Assert.Equal(6, layout.Exports.Count);
        Assert.Contains(layout.Exports, e => e.Name == "__data_end" && e.Kind == ExternalKind.Global && e.Description == "global[1] i32 = 1044");
        Assert.Contains(layout.Exports, e => e.Name == "fill_and_check" && e.Description == "func[1] [i32 i32 i32] -> [i32]");
        var import = Assert.Single(layout.Imports);
        Assert.Equal(new LayoutImport("env", "memory", ExternalKind.Memory, "memory 2..256 shared"), import);
    }

    [Theory]
    [InlineData("threads/frame_check.wasm", 1044u)]
    [InlineData("threads/recursion.wasm", 1284u)]
    [InlineData("threads/spin.wasm", 1032u)]
    [InlineData("threads/counter.wasm", 1036u)]
    [InlineData("threads/tls.wasm", 1040u)]
    public void DataRecoveredFromInitMemory_EndsAtTheLinkersDataEnd(string fixture, uint dataEnd)
    {
        // These fixtures export __data_end; the data the start function places (segments, .bss, flag) must end exactly there,
        // which is what the inference relies on when the export is absent.
        var (layout, _) = AnalyzeFixture(fixture);
        Assert.Equal(SymbolSource.Export, layout.DataEnd.Source);
        Assert.Equal(dataEnd, layout.DataEnd.Value);
        Assert.Equal((ulong)dataEnd, layout.StaticDataRanges.Max(r => r.End));
        Assert.Equal(layout.HeapBase.Value, layout.StackPointer.InitialValue);
        Assert.Equal(StackPlacement.AfterData, layout.StackPointer.Placement);
        Assert.Equal(65536ul, layout.StackPointer.Range!.Value.Size);
    }

    [Fact]
    public void Recursion_PlacesDataSegmentAndStack()
    {
        var (layout, _) = AnalyzeFixture("threads/recursion.wasm");
        Assert.Equal(new DataSegmentInfo(0, ".data", SegmentMode.Passive, 256, 1024, SegmentAddressSource.MemoryInit), Assert.Single(layout.DataSegments));
        Assert.Equal(1280u, layout.Start!.FlagAddress);
        Assert.Equal(new AddressRange(1296, 66832), layout.StackPointer.Range);
    }

    [Fact]
    public void Spin_ZeroFillIsTheBss()
    {
        var (layout, _) = AnalyzeFixture("threads/spin.wasm");
        Assert.Empty(layout.DataSegments);
        Assert.Equal([new AddressRange(1024, 1028)], layout.Start!.ZeroFills);
        Assert.Equal(1028u, layout.Start.FlagAddress);
        Assert.Equal(66576u, layout.StackPointer.InitialValue);
    }

    // ------------------------------------------------------------ TLS

    [Fact]
    public void Tls_AllSymbolsExported()
    {
        var (layout, _) = AnalyzeFixture("threads/tls.wasm");
        var tls = layout.Tls;
        Assert.True(tls.HasThreadLocals);
        Assert.Equal(new GlobalSymbol("__tls_base", 1, SymbolSource.Export, new GlobalType(ValType.I32, true), false, 0), tls.TlsBase);
        Assert.Equal(new GlobalSymbol("__tls_size", 2, SymbolSource.Export, new GlobalType(ValType.I32, false), false, 8), tls.TlsSize);
        Assert.Equal(new GlobalSymbol("__tls_align", 3, SymbolSource.Export, new GlobalType(ValType.I32, false), false, 4), tls.TlsAlign);
        Assert.Equal(new FunctionSymbol("__wasm_init_tls", 0, SymbolSource.Export), tls.InitTls);
        Assert.Equal(0, tls.TemplateSegment);
        Assert.Equal(8u, tls.BlockSize);

        // The .tdata template has no fixed address: __wasm_init_memory does not copy it.
        var seg = Assert.Single(layout.DataSegments);
        Assert.True(seg.IsTlsTemplate);
        Assert.Null(seg.Address);

        Assert.Equal(1u, layout.Start!.FunctionIndex);
        Assert.Equal(1036u, layout.Start.FlagAddress);
        Assert.Equal([new AddressRange(1032, 1036)], layout.Start.ZeroFills);
        Assert.Equal(new LayoutAddress(1040, SymbolSource.Export, 4), layout.DataEnd);
        Assert.Equal(new LayoutAddress(66576, SymbolSource.Export, 5), layout.HeapBase);
        Assert.Equal(new AddressRange(1040, 66576), layout.StackPointer.Range);

        var unmanaged = layout.Verdict.WithoutStackManagement;
        Assert.Equal(SafetyLevel.Unsafe, unmanaged.Level);
        Assert.Equal(2, unmanaged.Reasons.Count);
        Assert.Contains(unmanaged.Reasons, r => r.StartsWith("Thread-locals:") && r.Contains("__wasm_init_tls (func 0)"));
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
        Assert.Contains(layout.Verdict.UnderStrand.Reasons, r => r.Contains("calling __wasm_init_tls"));
    }

    [Fact]
    public void TlsUnexported_FindsTlsBaseByNameAndInfersTheRest()
    {
        var (layout, _) = AnalyzeFixture("threads/tls_unexported.wasm");
        var tls = layout.Tls;
        Assert.True(tls.HasThreadLocals);
        Assert.Equal(new GlobalSymbol("__tls_base", 1, SymbolSource.NameSection, new GlobalType(ValType.I32, true), false, 0), tls.TlsBase);
        Assert.Null(tls.TlsSize);
        Assert.Null(tls.TlsAlign);
        Assert.Null(tls.InitTls);
        Assert.Equal(0, tls.TemplateSegment);
        Assert.Equal(8u, tls.BlockSize); // the .tdata segment's length

        // Without the exports, data end and heap base are inferred and agree with tls.wasm's exported values.
        Assert.Equal(new LayoutAddress(1040, SymbolSource.Inferred, null), layout.DataEnd);
        Assert.Equal(new LayoutAddress(66576, SymbolSource.Inferred, null), layout.HeapBase);
        Assert.Equal(new AddressRange(1040, 66576), layout.StackPointer.Range);

        Assert.Contains(layout.Verdict.WithoutStackManagement.Reasons, r => r.StartsWith("Thread-locals:") && r.Contains("no __wasm_init_tls"));
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
        Assert.Contains(layout.Verdict.UnderStrand.Reasons, r => r.Contains("copying the .tdata segment"));
    }

    // ------------------------------------------------------------ hand-built modules

    [Fact]
    public void NoStackPointer_SharedMemory_IsSafeEverywhere()
    {
        var layout = AnalyzeHex(NoStackPointerShared);
        Assert.Equal(StackPointerSource.NotFound, layout.StackPointer.Source);
        Assert.Null(layout.StackPointer.GlobalIndex);
        Assert.Null(layout.StackPointer.Range);
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.WithoutStackManagement.Level);
        Assert.Contains("no shadow-stack global", Assert.Single(layout.Verdict.WithoutStackManagement.Reasons));
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
    }

    [Fact]
    public void NoStackPointer_UnsharedMemory_IsSafeAndStrandNotApplicable()
    {
        var layout = AnalyzeHex(NoStackPointerUnshared);
        Assert.Equal(StackPointerSource.NotFound, layout.StackPointer.Source);
        Assert.False(layout.Memory!.Imported);
        Assert.False(layout.Memory.Shared);
        Assert.Null(layout.Memory.MaxPages);
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.WithoutStackManagement.Level);
        Assert.Equal(SafetyLevel.NotApplicable, layout.Verdict.UnderStrand.Level);
        Assert.StartsWith("Not applicable: the memory is not shared", Assert.Single(layout.Verdict.UnderStrand.Reasons));
    }

    [Fact]
    public void StackFirst_ActiveSegmentAboveTheStack()
    {
        var layout = AnalyzeHex(StackFirstUnshared);
        var sp = layout.StackPointer;
        Assert.Equal(StackPointerSource.Heuristic, sp.Source);
        Assert.Equal(65536u, sp.InitialValue);
        Assert.Equal(StackPlacement.StackFirst, sp.Placement);
        Assert.Equal(new AddressRange(0, 65536), sp.Range);
        Assert.Equal(new DataSegmentInfo(0, null, SegmentMode.Active, 5, 65536, SegmentAddressSource.ActiveOffset), Assert.Single(layout.DataSegments));
        // Unshared and stripped: a .bss would be in no segment, so the inferred values are lower bounds.
        Assert.Equal(new LayoutAddress(65541, SymbolSource.Inferred, null, IsLowerBound: true), layout.DataEnd);
        Assert.Equal(new LayoutAddress(65552, SymbolSource.Inferred, null, IsLowerBound: true), layout.HeapBase); // align16(data end)
        Assert.Equal("memory", layout.Memory!.ExportName);
        Assert.Equal(SafetyLevel.NotApplicable, layout.Verdict.UnderStrand.Level);
    }

    [Fact]
    public void SeveralHeuristicCandidates_PicksTheFirstAndSaysSo()
    {
        var layout = AnalyzeHex(TwoCandidatesShared);
        var sp = layout.StackPointer;
        // Global 0 (= 3) is not 16-byte aligned; globals 1 (32768) and 2 (131072) both fit.
        Assert.Equal([1u, 2u], sp.HeuristicCandidates);
        Assert.Equal(1u, sp.GlobalIndex);
        Assert.Equal(StackPlacement.AfterData, sp.Placement);
        Assert.Equal(new AddressRange(1040, 32768), sp.Range); // align16(1028)
        Assert.Contains(layout.Notes, n => n.Contains("Several globals") && n.Contains("global 1 (0 frame functions), global 2 (0 frame functions)"));
        Assert.Equal(StackEvidence.Weak, sp.Evidence); // no code at all: nothing supports either
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.WithoutStackManagement.Level); // no code: nothing moves them
        // No code at all reads or writes any candidate: there is no stack in use to separate.
        Assert.True(sp.Unused);
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
    }

    [Fact]
    public void UnalignedMutableGlobal_IsNotFoundButUnknown()
    {
        var layout = AnalyzeHex(UnalignedMutableGlobalShared);
        Assert.Equal(StackPointerSource.NotFound, layout.StackPointer.Source);
        Assert.Equal(SafetyLevel.Unknown, layout.Verdict.WithoutStackManagement.Level);
        Assert.Equal(SafetyLevel.Unknown, layout.Verdict.UnderStrand.Level);
    }

    // ------------------------------------------------------------ report

    [Fact]
    public void Report_HasEverySectionInOrder()
    {
        var (layout, module) = AnalyzeFixture("threads/tls.wasm");
        string report = ModuleInspector.Render(layout, module);
        string[] sections = ["Memory", "Shadow stack", "Data end / heap base", "TLS", "Data segments", "Start function", "Imports", "Exports", "Verdict"];
        var lines = report.Split('\n');
        int previous = -1;
        foreach (var s in sections)
        {
            int at = Array.IndexOf(lines, s);
            Assert.True(at > previous, $"section \"{s}\" missing or out of order");
            previous = at;
        }
    }

    [Fact]
    public void Report_FrameCheckLines()
    {
        var (layout, module) = AnalyzeFixture("threads/frame_check.wasm");
        var lines = ModuleInspector.Render(layout, module).Split('\n');
        Assert.Contains("  memory 0: imported as env.memory", lines);
        Assert.Contains("  shared: yes", lines);
        Assert.Contains("  pages: min 2 (128 KiB), max 256 (16 MiB)", lines);
        Assert.Contains("  __stack_pointer: global 0 (found via name section)", lines);
        Assert.Contains("  initial value: 0x00010420 (66592)", lines);
        Assert.Contains("  range: 0x00000420..0x00010420 (64 KiB), grows down from 0x00010420", lines);
        Assert.Contains("  __data_end:  0x00000414 (1044) (export, global 1)", lines);
        Assert.Contains("  __heap_base: 0x00010420 (66592) (export, global 2)", lines);
        Assert.Contains("  [0] .rodata passive, 16 bytes, 0x00000400..0x00000410 (from memory.init in the start function)", lines);
        Assert.Contains("  init flag 0x00000410 (4 bytes)", lines);
        Assert.Contains("  func 0 <__wasm_init_memory>", lines);
        Assert.Contains("  flag address: 0x00000410", lines);
        Assert.Contains("  env.memory: memory 2..256 shared", lines);
        Assert.Contains("  \"__heap_base\": global[2] i32 = 66592", lines);
        Assert.Contains("  Without stack management (every instance starts with the linker's stack pointer): UNSAFE", lines);
        Assert.Contains("  Under Strand (a stack and TLS block per thread): SAFE", lines);
    }

    [Fact]
    public void Report_StrippedAndTlsLines()
    {
        var (stripped, strippedModule) = AnalyzeFixture("seed/algorithm_threads_stripped.wasm");
        var lines = ModuleInspector.Render(stripped, strippedModule).Split('\n');
        Assert.Contains("  __stack_pointer: global 0 (found via heuristic)", lines);
        Assert.Contains("  range: 0x00000000..0x00010400 (65 KiB), grows down from 0x00010400", lines);
        Assert.Equal("  none", lines[Array.IndexOf(lines, "Start function") + 1]);

        var (tls, tlsModule) = AnalyzeFixture("threads/tls_unexported.wasm");
        lines = ModuleInspector.Render(tls, tlsModule).Split('\n');
        Assert.Contains("  thread-locals: yes", lines);
        Assert.Contains("  __tls_base:  global 1 (found via name section), (mut i32) = 0", lines);
        Assert.Contains("  __wasm_init_tls: not found", lines);
        Assert.Contains("  template: data segment 0 (.tdata), 8 bytes per thread", lines);
        Assert.Contains("  [0] .tdata passive, 8 bytes, no fixed address (per-thread TLS template)", lines);
        Assert.Contains("  .bss 0x00000408..0x0000040c (4 bytes), zero-filled by the start function", lines);
        Assert.Contains("  __data_end:  0x00000410 (1040) (inferred)", lines);
    }

    [Theory]
    [InlineData(0ul, "0 bytes")]
    [InlineData(16ul, "16 bytes")]
    [InlineData(65536ul, "64 KiB")]
    [InlineData(66560ul, "65 KiB")]
    [InlineData(65556ul, "65556 bytes ≈ 64.0 KiB")]
    [InlineData(16777216ul, "16 MiB")]
    public void SizesAreDecimal(ulong bytes, string expected) => Assert.Equal(expected, ModuleInspector.Size(bytes));

    // ------------------------------------------------------------ SVG

    private static XElement ParseSvg(string svg)
    {
        var root = XDocument.Parse(svg).Root!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", root.Name);
        Assert.NotNull(root.Attribute("width"));
        Assert.NotNull(root.Attribute("height"));
        var viewBox = root.Attribute("viewBox")!.Value.Split(' ');
        Assert.Equal(4, viewBox.Length);
        return root;
    }

    [Fact]
    public void Svg_IsValidAndLabelsTheRegions()
    {
        var (layout, _) = AnalyzeFixture("threads/frame_check.wasm");
        var root = ParseSvg(ModuleInspector.RenderSvg(layout));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = root.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("stack: 65408 bytes ≈ 63.9 KiB", texts);
        Assert.Contains("red-zone band: 128 bytes", texts);
        Assert.Contains(".rodata: 16 bytes", texts);
        Assert.Contains("flag: 4 bytes", texts);
        Assert.Contains("0x00010420", texts);
        Assert.DoesNotContain(texts, t => t.Contains("overlap"));
        // Every region rect lies inside the viewBox.
        double width = double.Parse(root.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        foreach (var rect in root.Descendants(ns + "rect"))
        {
            if (rect.Attribute("width")!.Value == "100%") continue;
            double x = double.Parse(rect.Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture);
            double w = double.Parse(rect.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(x + w, 0, width);
        }
    }

    [Fact]
    public void Svg_ThreadStacksAndOverlaps()
    {
        var (layout, _) = AnalyzeFixture("threads/frame_check.wasm");
        XNamespace ns = "http://www.w3.org/2000/svg";

        var apart = ParseSvg(ModuleInspector.RenderSvg(layout, [(1, 131072, 196608), (2, 196608, 262144)]));
        var texts = apart.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("T1", texts);
        Assert.Contains("T2", texts);
        Assert.Contains("end of initial memory", texts);
        Assert.DoesNotContain(texts, t => t.Contains("overlap"));

        var overlapping = ParseSvg(ModuleInspector.RenderSvg(layout, [(1, 131072, 196608), (2, 180000, 240000), (3, 250000, 260000)]));
        texts = overlapping.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("T1 overlap!", texts);
        Assert.Contains("T2 overlap!", texts);
        Assert.Contains("T3", texts);

        // A thread stack over the main stack is a collision too.
        var onMain = ParseSvg(ModuleInspector.RenderSvg(layout, [(7, 60000, 70000)]));
        Assert.Contains("T7 overlap!", onMain.Descendants(ns + "text").Select(t => t.Value));
    }

    [Fact]
    public void Svg_EscapesHostileSegmentNames()
    {
        // A module whose name section calls its data segment "<&\u0001>": the SVG must still parse.
        var module = ModuleDecoder.Decode(Convert.FromHexString(StackFirstUnshared));
        module.Names = new NameSection();
        module.Names.DataNames[0] = "<&\u0001>";
        var layout = ModuleLayout.Analyze(module);
        var root = ParseSvg(ModuleInspector.RenderSvg(layout));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Contains(root.Descendants(ns + "text"), t => t.Value.StartsWith("<&\uFFFD>"));
    }

    // ------------------------------------------------------------ robustness

    [Fact]
    public void MutatedFixtures_NeverThrowFromTheAnalysisOrTheRenderers()
    {
        // Seeded byte mutations of real modules: whatever still decodes must analyse and render without exceptions.
        string[] fixtures = ["threads/frame_check.wasm", "threads/tls.wasm", "threads/recursion.wasm", "seed/algorithm_threads.wasm", "threads/red_zone.wasm", "threads/tls_stripped.wasm"];
        var random = new Random(20240611);
        int analysed = 0;
        foreach (var fixture in fixtures)
        {
            byte[] original = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", fixture));
            for (int round = 0; round < 400; round++)
            {
                byte[] bytes = (byte[])original.Clone();
                int flips = 1 + random.Next(3);
                for (int f = 0; f < flips; f++) bytes[8 + random.Next(bytes.Length - 8)] = (byte)random.Next(256);
                ModuleDefinition module;
                try
                {
                    module = ModuleDecoder.Decode(bytes);
                }
                catch (Exception e) when (e is WasmFormatException or WasmUnsupportedException)
                {
                    continue;
                }
                var layout = ModuleLayout.Analyze(module);
                Assert.False(string.IsNullOrEmpty(ModuleInspector.Render(layout, module)));
                ParseSvg(ModuleInspector.RenderSvg(layout, [(1, 200000, 260000)], [(1, 199000, 200000)]));
                analysed++;
            }
        }
        Assert.True(analysed > 100, $"only {analysed} mutants decoded");
    }
}
