using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Strand.Tools;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// Thread-locals of stripped modules, recognised by the shape of the code, and layouts whose data the symbols do
/// not describe (.bss in no segment, data above the stack).
/// </summary>
public class TlsShapeTests
{
    private static byte[] FixtureBytes(string path) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", path));

    /// <summary>The module without its custom sections (the name section): what wasm-opt --strip-debug and --strip-all leave.</summary>
    private static byte[] StripCustomSections(byte[] wasm)
    {
        var output = new List<byte>(wasm[..8]);
        int pos = 8;
        while (pos < wasm.Length)
        {
            int start = pos;
            byte id = wasm[pos++];
            uint size = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = wasm[pos++];
                size |= (uint)(b & 0x7f) << shift;
                if (b < 0x80) break;
            }
            pos += (int)size;
            if (id != 0) output.AddRange(wasm[start..pos]);
        }
        return [.. output];
    }

    [Fact]
    public void RustLikeStrippedModule_TlsIsFoundByShape()
    {
        var module = ModuleDecoder.Decode(FixtureBytes("threads/tls_stripped.wasm"));
        Assert.Null(module.Names);
        var layout = ModuleLayout.Analyze(module);
        var tls = layout.Tls;
        Assert.True(tls.HasThreadLocals);
        Assert.True(tls.FoundByShape);
        Assert.Null(tls.Unaccounted);
        Assert.Equal(1u, tls.TlsBase!.GlobalIndex);
        Assert.Equal(SymbolSource.Inferred, tls.TlsBase.Source);
        Assert.Equal(2u, tls.TlsSize!.GlobalIndex);
        Assert.Equal(8u, tls.TlsSize.ConstValue);
        Assert.Equal(3u, tls.TlsAlign!.GlobalIndex);
        Assert.Equal(4u, tls.TlsAlign.ConstValue);
        Assert.Equal(0, tls.TemplateSegment);
        Assert.Equal(8u, tls.BlockSize);
        Assert.NotNull(tls.InitTls);
        Assert.True(layout.DataSegments[0].IsInferredTlsTemplate);
        Assert.Equal(StackEvidence.Strong, layout.StackPointer.Evidence);
        Assert.Equal(SafetyLevel.Unsafe, layout.Verdict.WithoutStackManagement.Level);
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);

        string report = ModuleInspector.Render(layout, module);
        Assert.Contains("  thread-locals: yes", report);
        Assert.Contains("  __tls_base:  global 1 (found via the shape of the code), (mut i32) = 0", report);
        Assert.Contains("  template: data segment 0 (recognised by shape), 8 bytes per thread", report);
    }

    [Theory]
    [InlineData("threads/tls_stripped.wasm", false)]
    [InlineData("threads/tls_unexported.wasm", true)] // name section removed: no __wasm_init_tls, base + template by shape
    public void StrippedTlsModules_EveryThreadGetsItsOwnBlock(string fixture, bool strip)
    {
        var bytes = FixtureBytes(fixture);
        if (strip) bytes = StripCustomSections(bytes);
        var module = Module.Compile(bytes);
        Assert.True(ModuleLayout.Analyze(module.Definition).Tls.FoundByShape);

        using var group = new ThreadGroup(module, new ThreadGroupOptions { StartTogether = true });
        var addresses = Enumerable.Range(0, 3).Select(_ => group.Spawn("tls_value_address")).ToArray();
        var values = Enumerable.Range(0, 3).Select(_ => group.Spawn("tls_get")).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        foreach (var t in addresses.Concat(values))
            Assert.NotNull(t.TlsBlock);
        Assert.Equal(addresses.Select(t => (int)t.TlsBlock!.Value.Start), addresses.Select(t => t.Result![0].AsI32));
        Assert.Equal(3, addresses.Select(t => t.Result![0].AsI32).Distinct().Count());
        Assert.All(values, t => Assert.Equal(42, t.Result![0].AsI32)); // each block initialised from the template
    }

    [Fact]
    public void StrippedTlsModule_CountersArePerThread()
    {
        var module = Module.Compile(FixtureBytes("threads/tls_stripped.wasm"));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StartTogether = true });
        var bumps = Enumerable.Range(0, 4).Select(_ => group.Spawn("tls_bump")).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.All(bumps, t => Assert.Equal(1, t.Result![0].AsI32)); // on one shared block they would count 1..4
        var total = group.Spawn("process_counter_get");
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(4, total.Result![0].AsI32);
    }

    // A base-address global set only from a parameter (as __wasm_init_tls sets __tls_base), with no TLS template.
    private const string UnaccountedTls = """
        (module
          (memory 1 1 shared)
          (global $tls (mut i32) (i32.const 0))
          (func (export "set_base") (param i32) (global.set $tls (local.get 0)))
          (func (export "get") (result i32) (i32.load (i32.add (global.get $tls) (i32.const 4)))))
        """;

    [Fact]
    public void UnaccountableTlsLikeState_IsNeverSafeAndASecondThreadIsRefused()
    {
        var module = Module.Compile(WatParser.ParseModule(UnaccountedTls));
        var layout = ModuleLayout.Analyze(module.Definition);
        Assert.NotNull(layout.Tls.Unaccounted);
        Assert.NotEqual(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
        Assert.NotEqual(SafetyLevel.Safe, layout.Verdict.WithoutStackManagement.Level);
        Assert.Contains(layout.Verdict.UnderStrand.Reasons, r => r.StartsWith("TLS-like state Strand cannot account for"));

        using var group = new ThreadGroup(module);
        var first = group.Spawn("get");
        var error = Assert.Throws<ThreadSpawnException>(() => group.Spawn("get"));
        Assert.StartsWith("cannot start thread 2: the module has TLS-like state that Strand cannot give each thread a copy of (global 0 is used as a base address", error.Message);
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(0, first.Result![0].AsI32);
    }

    // wasi-libc's shape: wasi_thread_start sets __stack_pointer and __tls_base from fields of its argument; an
    // unexported __wasm_init_tls (param) sets the base and memory.inits the template; __tls_size, __tls_align follow.
    private const string WasiLibcShape = """
        (module
          (import "env" "memory" (memory 2 16 shared))
          (global $sp (mut i32) (i32.const 0x10000))
          (global $tls_base (mut i32) (i32.const 0))
          (global $tls_size i32 (i32.const 8))
          (global $tls_align i32 (i32.const 4))
          (data $tdata "\2a\00\00\00\00\00\00\00")
          (func $init_tls (param $block i32)
            (global.set $tls_base (local.get $block))
            (memory.init $tdata (local.get $block) (i32.const 0) (i32.const 8)))
          (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
            (global.set $sp (i32.load (local.get $arg)))
            (global.set $tls_base (i32.load offset=8 (local.get $arg)))
            (drop (call $get)))
          (func $get (result i32)
            (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
            (global.set $sp (i32.add (global.get $sp) (i32.const 16)))
            (i32.load (i32.add (global.get $tls_base) (i32.const 0))))
          (func (export "get") (result i32) (call $get))
          (func (export "init") (param i32) (call $init_tls (local.get 0))))
        """;

    [Fact]
    public void WasiLibcShape_TheBaseSetByTheThreadEntryIsStillRecognised()
    {
        var layout = ModuleLayout.Analyze(ModuleDecoder.Decode(WatParser.ParseModule(WasiLibcShape)));
        var tls = layout.Tls;
        Assert.Null(tls.Unaccounted);
        Assert.Equal(1u, tls.TlsBase!.GlobalIndex);
        Assert.Equal(0u, tls.InitTls!.FunctionIndex);
        Assert.Equal(2u, tls.TlsSize!.GlobalIndex);
        Assert.Equal(3u, tls.TlsAlign!.GlobalIndex);
        Assert.Contains(tls.ShapeEvidence, e => e.StartsWith("wasi_thread_start (func 1) sets global 1"));
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);

        // A thread entry that also sets a global Strand cannot identify: TLS-like state it cannot account for.
        string extra = WasiLibcShape.Replace("(global $tls_align i32 (i32.const 4))", "(global $tls_align i32 (i32.const 4)) (global $other (mut i32) (i32.const 0))")
            .Replace("(drop (call $get)))", "(global.set $other (local.get $tid)) (drop (call $get)))");
        var unaccounted = ModuleLayout.Analyze(ModuleDecoder.Decode(WatParser.ParseModule(extra))).Tls;
        Assert.StartsWith("wasi_thread_start (func 1) sets global 4 for each new thread", unaccounted.Unaccounted);
    }

    // The shape of a shipped Rust module (@node-rs/crc32-wasm32-wasi, newer wasm-ld): __wasm_init_memory also points
    // __tls_base at a static block for the main thread and memory.inits the template there, and Rust code saves and
    // restores __tls_base around a call of __wasm_init_tls: writes of the base that are not from a parameter.
    private const string RustShippedShape = """
        (module
          (import "env" "memory" (memory 2 16 shared))
          (global $sp (mut i32) (i32.const 0x8000))
          (global $tls_base (mut i32) (i32.const 0))
          (global $tls_size i32 (i32.const 8))
          (global $tls_align i32 (i32.const 4))
          (data $tdata "\2a\00\00\00\00\00\00\00")
          (func $init_memory
            (block $done (block $wait (block $init
              (br_table $init $wait $done (i32.atomic.rmw.cmpxchg (i32.const 0x8100) (i32.const 0) (i32.const 1))))
              (global.set $tls_base (i32.const 0x8000))
              (memory.init $tdata (i32.const 0x8000) (i32.const 0) (i32.const 8))
              (i32.atomic.store (i32.const 0x8100) (i32.const 2))
              (drop (memory.atomic.notify (i32.const 0x8100) (i32.const -1)))
              (br $done))
            (drop (memory.atomic.wait32 (i32.const 0x8100) (i32.const 1) (i64.const -1)))))
          (start $init_memory)
          (func $init_tls (param $block i32)
            (global.set $tls_base (local.get $block))
            (memory.init $tdata (local.get $block) (i32.const 0) (i32.const 8)))
          (func (export "with_block") (param $block i32) (result i32)
            (local $saved i32)
            (local.set $saved (global.get $tls_base))
            (call $init_tls (local.get $block))
            (global.set $tls_base (local.get $saved))
            (i32.const 0))
          (func (export "tls_get") (result i32)
            (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
            (global.set $sp (i32.add (global.get $sp) (i32.const 16)))
            (i32.load (i32.add (global.get $tls_base) (i32.const 0))))
          (func (export "tls_value_address") (result i32) (i32.add (global.get $tls_base) (i32.const 0))))
        """;

    [Fact]
    public void RustShippedShape_OtherWritesOfTheBaseDoNotHideIt()
    {
        var module = Module.Compile(WatParser.ParseModule(RustShippedShape));
        var tls = ModuleLayout.Analyze(module.Definition).Tls;
        Assert.Null(tls.Unaccounted);
        Assert.Equal(1u, tls.TlsBase!.GlobalIndex);
        Assert.Equal(1u, tls.InitTls!.FunctionIndex);
        Assert.Equal(2u, tls.TlsSize!.GlobalIndex);
        Assert.Equal(3u, tls.TlsAlign!.GlobalIndex);

        using var group = new ThreadGroup(module, new ThreadGroupOptions { StartTogether = true });
        var addresses = Enumerable.Range(0, 3).Select(_ => group.Spawn("tls_value_address")).ToArray();
        var values = Enumerable.Range(0, 3).Select(_ => group.Spawn("tls_get")).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(addresses.Select(t => (int)t.TlsBlock!.Value.Start), addresses.Select(t => t.Result![0].AsI32));
        Assert.Equal(3, addresses.Select(t => t.Result![0].AsI32).Distinct().Count());
        Assert.All(values, t => Assert.Equal(42, t.Result![0].AsI32));
    }

    // An active segment out of bounds for the module's own 1-page memory.
    private const string OutOfBoundsSegment = """
        (module
          (import "env" "memory" (memory 1 8 shared))
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x8000))
          (data (i32.const 0x10010) "beyond")
          (func (export "f") (result i32) (i32.const 1)))
        """;

    [Fact]
    public void ActiveDataIsCheckedAgainstTheModulesMemoryNotTheHostsStackPages()
    {
        var module = Module.Compile(WatParser.ParseModule(OutOfBoundsSegment));
        // Without threads: the spec's trap.
        var plain = Assert.Throws<TrapException>(() => new Linker().Define("env", "memory", new Memory(1, 8, shared: true)).Instantiate(module));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, plain.Code);

        using var group = new ThreadGroup(module);
        // Place two more threads' stacks first: the memory grows to 3 pages before thread 1 instantiates.
        group.PreviewPlacement(2);
        Assert.Equal(2u, group.Memory!.Pages);
        var first = group.Spawn("f");
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.IsType<TrapException>(first.Error).Code);
        Assert.Equal(0, group.Memory.ReadInt32(0x10010)); // nothing written into the host's pages
        Assert.Equal(1, error.ThreadId);
    }

    // The first instance's start function records the memory size it sees (cmpxchg: only the first records).
    private const string StartSeesMemorySize = """
        (module
          (import "env" "memory" (memory 1 8 shared))
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x8000))
          (func $start (drop (i32.atomic.rmw.cmpxchg (i32.const 16) (i32.const 0) (memory.size))))
          (start $start)
          (func (export "f") (result i32) (i32.atomic.load (i32.const 16))))
        """;

    [Fact]
    public void TheFirstStartFunctionSeesTheModulesMemoryNotTheHostsStackPages()
    {
        var module = Module.Compile(WatParser.ParseModule(StartSeesMemorySize));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StartTogether = true }); // all live at once
        // Spawned back to back from the host: the later threads' stacks are placed only once instance 1 exists.
        var threads = Enumerable.Range(0, 3).Select(_ => group.Spawn("f")).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.All(threads, t => Assert.Equal(1, t.Result![0].AsI32));
        Assert.Equal(3u, group.Memory!.Pages); // 1 + a page for each later thread's band and stack
    }

    // .bss in no segment: the code addresses it by constants above the segment's end.
    private const string BssOnlyInCode = """
        (module
          (memory 2 2 shared)
          (global $sp (mut i32) (i32.const 0x10800))
          (data (i32.const 1024) "abcdefgh")
          (func (export "bump") (result i32)
            (global.set $sp (i32.sub (global.get $sp) (i32.const 32)))
            (i32.store (i32.const 1536) (i32.add (i32.load (i32.const 1536)) (i32.const 1)))
            (global.set $sp (i32.add (global.get $sp) (i32.const 32)))
            (i32.load (i32.const 1536))))
        """;

    [Fact]
    public void BssShownOnlyByTheCodeRaisesTheFloorAndIsReportedAsALowerBound()
    {
        var layout = ModuleLayout.Analyze(ModuleDecoder.Decode(WatParser.ParseModule(BssOnlyInCode)));
        Assert.Equal(new LayoutAddress(1540, SymbolSource.Inferred, null, IsLowerBound: true), layout.DataEnd);
        Assert.Equal(new AddressRange(1552, 0x10800), layout.StackPointer.GuardedRange);
        Assert.False(layout.StackPointer.FloorIsCertain);
        Assert.Contains(layout.Verdict.UnderStrand.Reasons, r => r.Contains("is a lower bound"));
    }

    // Data below and above the stack (Asyncify/wasi-vfs append segments at the old heap base).
    private const string DataAboveAndBelow = """
        (module
          (memory 4 4 shared)
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10400))
          (data (i32.const 1024) "low data")
          (data (i32.const 0x10400) "appended after linking")
          (func (export "f") (result i32)
            (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
            (global.set $sp (i32.add (global.get $sp) (i32.const 16)))
            (i32.const 0)))
        """;

    // A Wizer-style snapshot: a few bytes of dead frames just below the initial stack pointer, one segment spanning it
    // (the stack's top frames merged with the data above), and data above; nothing else below.
    private const string SnapshotLayout = """
        (module
          (memory 4 4 shared)
          (global $sp (mut i32) (i32.const 0x10000))
          (data (i32.const 0xff00) "\01")
          (data (i32.const 0xff40) "\02\03")
          (data (i32.const 0xfff0) "stack top and data above it")
          (data (i32.const 0x12000) "more data")
          (func (export "f") (result i32)
            (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
            (global.set $sp (i32.add (global.get $sp) (i32.const 16)))
            (i32.const 0)))
        """;

    [Fact]
    public void ASnapshotsDeadFramesBelowTheStackPointerAreInsideTheStack()
    {
        var layout = ModuleLayout.Analyze(ModuleDecoder.Decode(WatParser.ParseModule(SnapshotLayout)));
        var sp = layout.StackPointer;
        Assert.Equal(StackPointerSource.Heuristic, sp.Source); // found although the value lies inside a segment
        Assert.Equal(StackEvidence.Strong, sp.Evidence);
        Assert.Equal(StackPlacement.StackFirst, sp.Placement);
        Assert.Equal(new AddressRange(0, 0x10000), sp.Range);
        Assert.Equal((uint)0x12010, layout.HeapBase.Value); // align16(0x12000 + 9)
        Assert.Contains(layout.Notes, n => n.StartsWith("2 data range(s) lie in [0x0000ff00, 0x00010000)"));
    }

    [Fact]
    public void DataBothBelowAndAboveTheStackIsAnalysed()
    {
        var layout = ModuleLayout.Analyze(ModuleDecoder.Decode(WatParser.ParseModule(DataAboveAndBelow)));
        Assert.Equal(StackPlacement.BetweenData, layout.StackPointer.Placement);
        Assert.Equal(new AddressRange(1040, 0x10400), layout.StackPointer.Range);
        Assert.Equal((uint)(0x10400 + 32), layout.HeapBase.Value); // after all data, the appended segment included
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
    }
}
