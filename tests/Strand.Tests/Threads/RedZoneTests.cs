using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// LLVM's red zone (fixtures/threads/red_zone.c): a leaf function with a 112-byte frame addresses memory below
/// <c>__stack_pointer</c> without writing it. Called at the bottom of a stack, it writes below the stack; Strand keeps
/// a free band there. Threads are ordered by atomics in the guest (flags), never by sleeps.
/// </summary>
public class RedZoneTests
{
    private const int Flags = 0x1F000; // in the initial 2 pages, above the main stack (which ends at 0x10520)
    private const int Seed = 7;

    private static Module RedZone => ThreadFixtures.Load("threads/red_zone.wasm");

    [Fact]
    public void TheFixtureReallyUsesTheRedZone()
    {
        var layout = ModuleLayout.Analyze(RedZone.Definition);
        var sp = layout.StackPointer;
        Assert.Equal(1, sp.RedZoneLeaves);          // red_zone_leaf: global.get; i32.const 112; i32.sub, no global.set
        Assert.Equal(112u, sp.LargestRedZoneFrame);
        Assert.Equal(StackEvidence.Strong, sp.Evidence);
        // wasm-ld: data end 1300 (the .bss ends with the init flag), stack [0x520, 0x10520); the band is its bottom 128 bytes.
        Assert.Equal(new AddressRange(0x520, 0x10520), sp.Range);
        Assert.Equal(new AddressRange(0x520, 0x5a0), sp.RedZoneBand);
        Assert.Equal(new AddressRange(0x5a0, 0x10520), sp.GuardedRange);
        Assert.True(sp.FloorIsCertain);
    }

    // 65536: stack + band need two pages, so the band is most of a page. 65408: stack + band fill exactly one page,
    // the band is exactly 128 bytes and the leaf writes 80 bytes into it. (Before the band existed, a 64 KiB stack
    // filled its page and thread 3's bottom was thread 2's top: the leaf overwrote the neighbour's frame.)
    [Theory]
    [InlineData(65536)]
    [InlineData(65408)]
    public void ALeafAtTheBottomOfAThreadStackLeavesTheNeighbourIntact(int stackSize)
    {
        using var group = new ThreadGroup(RedZone, new ThreadGroupOptions { StackSize = (uint)stackSize });
        var first = group.Spawn("bss_guard_changed");
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        var neighbour = group.Spawn("neighbour", Value.I32(Flags));
        var leaf = group.Spawn("leaf_at_bottom", Value.I32(-stackSize), Value.I32(Flags), Value.I32(Seed));
        Assert.Null(ThreadFixtures.Finish(group));

        Assert.Equal(112 * Seed, leaf.Result![0].AsI32);
        Assert.Equal(0, neighbour.Result![0].AsI32); // every word of the neighbour's top frame kept its pattern

        // Thread 3's region lies right above thread 2's: its band separates its stack from thread 2's top.
        var band = leaf.RedZoneBand!.Value;
        Assert.Equal(neighbour.StackRange!.Value.End, band.Start);
        Assert.Equal(leaf.StackRange!.Value.Start, band.End);
        Assert.True(band.Size >= ModuleLayout.RedZoneSize);
        if (stackSize == 65408) Assert.Equal(128UL, band.Size);
        // The leaf's bytes landed in the band, which nothing else uses.
        var bytes = group.Memory!.GetSpan((long)leaf.StackRange.Value.Start - 80, 80).ToArray();
        Assert.All(bytes, b => Assert.Equal(Seed, b));
    }

    [Fact]
    public void ALeafAtTheBottomOfTheMainStackLeavesTheBssIntact()
    {
        using var group = new ThreadGroup(RedZone);
        group.Memory!.WriteBytes(Flags, BitConverter.GetBytes(1)); // no neighbour to wait for
        uint floor = (uint)group.Layout.StackPointer.GuardedRange!.Value.Start;
        var leaf = group.Spawn("leaf_at_bottom", Value.I32((int)floor), Value.I32(Flags), Value.I32(Seed));
        Assert.True(leaf.Join(ThreadFixtures.JoinTimeout));
        Assert.Null(leaf.Error);
        Assert.Equal(112 * Seed, leaf.Result![0].AsI32);
        var check = group.Spawn("bss_guard_changed");
        var address = group.Spawn("bss_guard_address");
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(0, check.Result![0].AsI32);
        Assert.Equal(1040, address.Result![0].AsI32); // bss_guard [1040, 1296): the leaf at the old floor 0x520 would hit [1232, 1296)
        Assert.Equal(2, group.Memory.ReadInt32(1296)); // __wasm_init_memory's flag, the last word of the data
        Assert.Equal(new AddressRange(0x520, 0x5a0), leaf.RedZoneBand);
    }

    [Fact]
    public void MovingTheStackPointerIntoTheBandTrapsWithTheRealCause()
    {
        using var group = new ThreadGroup(RedZone);
        group.Memory!.WriteBytes(Flags, BitConverter.GetBytes(1));
        uint floor = (uint)group.Layout.StackPointer.GuardedRange!.Value.Start;
        // bottom = floor - 48: the alloca puts the stack pointer at floor - 16, inside the band.
        var leaf = group.Spawn("leaf_at_bottom", Value.I32((int)floor - 48), Value.I32(Flags), Value.I32(Seed));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        var trap = Assert.IsType<TrapException>(error.InnerException);
        Assert.Equal(TrapCode.ShadowStackOverflow, trap.Code);
        Assert.Equal("shadow stack overflow in thread 1: __stack_pointer would be 0x00000590, below its stack [0x000005a0, 0x00010520), in the 16 bytes below it that Strand keeps free (red-zone band, TLS block); relink with a larger stack (wasm-ld -z stack-size=N)", trap.Message);
        Assert.Same(trap, leaf.Error);
    }

    [Fact]
    public void InspectShowsTheBandTheFloorAndTheEvidence()
    {
        var module = RedZone.Definition;
        string report = Strand.Tools.ModuleInspector.Render(ModuleLayout.Analyze(module), module);
        Assert.Contains("  evidence: strong (named __stack_pointer by the name section)\n", report);
        Assert.Contains("  code: 1 function(s) allocate frames on it (largest constant frame 128 bytes); 1 leaf function(s) use the red zone below it without moving it (largest 112 bytes)\n", report);
        Assert.Contains("  red-zone band: 0x00000520..0x000005a0 (128 bytes), kept free below the stack for LLVM's 128-byte red zone\n", report);
        Assert.Contains("  guard floor: 0x000005a0 (above all static data)\n", report);
    }

    [Fact]
    public void AModuleWithoutRedZoneLeavesKeepsItsWholeMainStack()
    {
        var layout = ModuleLayout.Analyze(ThreadFixtures.Load("threads/recursion.wasm").Definition);
        Assert.Equal(0, layout.StackPointer.RedZoneLeaves);
        Assert.Null(layout.StackPointer.RedZoneBand);
        Assert.Equal(layout.StackPointer.Range, layout.StackPointer.GuardedRange);
    }
}

/// <summary>The overflow guard and the collision detector stop only what is certainly wrong.</summary>
public class GuardRuleTests
{
    // Named stack pointer, after a 16-byte data segment at 1024: stack [1040, 0x10000). $framed allocates a 64-byte
    // frame the LLVM way. $on_stack(top) switches to a stack at top, calls $framed there, and switches back.
    private const string Switching = """
        (module
          (memory 4 16 shared)
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          (data (i32.const 1024) "0123456789abcdef")
          (func $framed (result i32)
            (local $fp i32)
            (global.set $sp (local.tee $fp (i32.sub (global.get $sp) (i32.const 64))))
            (i32.store (local.get $fp) (i32.const 41))
            (i32.store offset=60 (local.get $fp) (i32.const 1))
            (global.set $sp (i32.add (local.get $fp) (i32.const 64)))
            (i32.add (i32.load (local.get $fp)) (i32.load offset=60 (local.get $fp))))
          (func (export "on_stack") (param $top i32) (result i32)
            (local $saved i32) (local $r i32)
            (local.set $saved (global.get $sp))
            (global.set $sp (local.get $top))
            (local.set $r (call $framed))
            (global.set $sp (local.get $saved))
            (local.get $r))
          (func (export "descend") (param $to i32) (result i32)
            (global.set $sp (local.get $to))
            (call $framed)))
        """;

    private static readonly Lazy<Module> SwitchingModule = new(() => Module.Compile(WatParser.ParseModule(Switching)));

    [Theory]
    [InlineData(0x30000)] // a heap-allocated stack above the main stack (fibers, coroutines)
    [InlineData(0x10100)] // raised above its own top
    [InlineData(0x0300)]  // a stack far below (beyond the largest frame, 64 bytes): a switch, not an overflow
    public void AStackSwitchIsNotAnOverflow(int top)
    {
        using var group = new ThreadGroup(SwitchingModule.Value);
        var thread = group.Spawn("on_stack", Value.I32(top));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(42, thread.Result![0].AsI32);
        Assert.Equal(42, group.Memory!.ReadInt32(top - 64) + group.Memory.ReadInt32(top - 4));
    }

    [Fact]
    public void AFrameCrossingTheFloorIsAnOverflow()
    {
        var layout = ModuleLayout.Analyze(SwitchingModule.Value.Definition);
        Assert.Equal(new AddressRange(1040, 0x10000), layout.StackPointer.GuardedRange); // no red-zone leaf: no band
        Assert.Equal(64u, layout.StackPointer.LargestFrame);
        using var group = new ThreadGroup(SwitchingModule.Value);
        // At floor + 32, the 64-byte prologue would put the stack pointer 32 bytes below the floor, into the data.
        group.Spawn("descend", Value.I32(1040 + 32));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal("shadow stack overflow in thread 1: __stack_pointer would be 0x000003f0, below its stack [0x00000410, 0x00010000), 32 bytes below its floor; relink with a larger stack (wasm-ld -z stack-size=N)",
            error.InnerException!.Message);
        Assert.Equal("0123456789abcdef", System.Text.Encoding.ASCII.GetString(group.Memory!.GetSpan(1024, 16)));
    }

    private const string TwoWrites = """
        (module
          (memory 4 16 shared)
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          (func (export "two") (param $a i32) (param $b i32) (result i32)
            (global.set $sp (local.get $a))
            (global.set $sp (local.get $b))
            (global.get $sp)))
        """;

    [Fact]
    public void AValueInTheFreeBandTrapsEvenAfterASwitch()
    {
        var module = Module.Compile(WatParser.ParseModule(TwoWrites));
        using var group = new ThreadGroup(module);
        var first = group.Spawn("two", Value.I32(0x20000), Value.I32(0x8000)); // switch away and back: fine
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        Assert.Equal(0x8000, first.Result![0].AsI32);
        // Thread 2: region [0x40000, 0x50000), band [0x40000, 0x40080), stack [0x40080, 0x50000).
        var second = group.Spawn("two", Value.I32(0x30000), Value.I32(0x40040));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(new AddressRange(0x40000, 0x40080), second.RedZoneBand);
        Assert.Equal("shadow stack overflow in thread 2: __stack_pointer would be 0x00040040, below its stack [0x00040080, 0x00050000), in the 64 bytes below it that Strand keeps free (red-zone band, TLS block); raise --stack-size (ThreadGroupOptions.StackSize)",
            error.InnerException!.Message);
    }

    // Issue 7 case "bump_allocator.wat": no shadow stack; the only mutable i32 global is a bump pointer.
    private const string BumpAllocator = """
        (module
          (memory (export "memory") 1)
          (global $heap_ptr (mut i32) (i32.const 1024))
          (func (export "alloc") (param $n i32) (result i32)
            (local $p i32)
            (local.set $p (global.get $heap_ptr))
            (global.set $heap_ptr (i32.add (local.get $p) (local.get $n)))
            (local.get $p))
          (func (export "alloc3") (result i32)
            (drop (call 0 (i32.const 16)))
            (drop (call 0 (i32.const 16)))
            (call 0 (i32.const 16))))
        """;

    [Fact]
    public void ABumpAllocatorPointerIsNotGuardedAsAStack()
    {
        var module = Module.Compile(WatParser.ParseModule(BumpAllocator));
        var layout = ModuleLayout.Analyze(module.Definition);
        Assert.Equal(StackPointerSource.Heuristic, layout.StackPointer.Source);
        Assert.Equal(StackEvidence.Weak, layout.StackPointer.Evidence);
        Assert.Equal(0, layout.StackPointer.FrameFunctions);
        Assert.Contains("Global 0 fits the stack-pointer heuristic only by its type and value", string.Join("\n", layout.Notes));
        Assert.Equal(SafetyLevel.NotApplicable, layout.Verdict.UnderStrand.Level); // unshared memory

        using var group = new ThreadGroup(module);
        Assert.Null(group.StackPointerGlobal);
        var thread = group.Spawn("alloc3");
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(1056, thread.Result![0].AsI32); // what the spec (and Node) give
        Assert.Null(thread.StackRange);
    }

    // Two stripped candidates: global 0 is a bump pointer, global 1 gets LLVM-style frames.
    private const string BumpAndStack = """
        (module
          (memory 4 4 shared)
          (global $bump (mut i32) (i32.const 0x8000))
          (global $sp (mut i32) (i32.const 0x10000))
          (func (export "alloc") (param $n i32) (result i32)
            (local $p i32)
            (local.set $p (global.get $bump))
            (global.set $bump (i32.add (local.get $p) (local.get $n)))
            (local.get $p))
          (func (export "framed") (result i32)
            (global.set $sp (i32.sub (global.get $sp) (i32.const 32)))
            (global.set $sp (i32.add (global.get $sp) (i32.const 32)))
            (i32.const 0)))
        """;

    [Fact]
    public void TheHeuristicPrefersTheGlobalTheCodeUsesAsAStack()
    {
        var layout = ModuleLayout.Analyze(Strand.Binary.ModuleDecoder.Decode(WatParser.ParseModule(BumpAndStack)));
        var sp = layout.StackPointer;
        Assert.Equal(1u, sp.GlobalIndex);
        Assert.Equal([1u, 0u], sp.HeuristicCandidates);
        Assert.Equal(StackEvidence.Strong, sp.Evidence);
        Assert.Equal(1, sp.FramedCandidates);
        // The stack is identified, but the bump pointer is per-instance state every thread starts at 0x8000: not SAFE
        // (PerInstanceGlobalVerdictTests).
        Assert.Equal(SafetyLevel.Unknown, layout.Verdict.UnderStrand.Level);
        Assert.Contains(layout.Verdict.UnderStrand.Reasons, r => r.StartsWith("The code writes global 0, mutable state"));

        // Both used for frames: ambiguous, never SAFE.
        string both = BumpAndStack.Replace("(global.set $bump (i32.add (local.get $p) (local.get $n)))",
            "(global.set $bump (i32.sub (global.get $bump) (i32.const 16))) (global.set $bump (local.get $p))");
        var ambiguous = ModuleLayout.Analyze(Strand.Binary.ModuleDecoder.Decode(WatParser.ParseModule(both))).StackPointer;
        Assert.Equal(2, ambiguous.FramedCandidates);
        Assert.Equal(SafetyLevel.Unknown, ModuleLayout.Analyze(Strand.Binary.ModuleDecoder.Decode(WatParser.ParseModule(both))).Verdict.UnderStrand.Level);
    }

    // Issue 7 case "adjacent_stacks.wat": thread 2's epilogue restores its own empty-stack top, which is the
    // lower bound of thread 3's stack right above; no byte of thread 3's stack is touched.
    private const string AdjacentStacks = """
        (module
          (import "env" "memory" (memory 2 64 shared))
          (global $__stack_pointer (mut i32) (i32.const 65536))
          (func $framed (result i32)
            (global.set $__stack_pointer (i32.sub (global.get $__stack_pointer) (i32.const 16)))
            (i32.store (global.get $__stack_pointer) (i32.const 7))
            (global.set $__stack_pointer (i32.add (global.get $__stack_pointer) (i32.const 16)))
            (i32.const 2))
          (func (export "work") (result i32)
            (local $top i32) (local $r i32)
            (local.set $top (global.get $__stack_pointer))
            (if (i32.eq (local.get $top) (i32.const 0x10000)) (then (return (i32.const 1))))
            (if (i32.eq (local.get $top) (i32.const 0x30000)) (then ;; thread 2
              (local.set $r (call $framed))
              (i32.atomic.store (i32.const 128) (i32.const 1))
              (drop (memory.atomic.notify (i32.const 128) (i32.const -1)))
              (return (local.get $r))))
            ;; thread 3: stays alive (registered before thread 2 runs) until thread 2 is done
            (block $d (loop $l
              (br_if $d (i32.atomic.load (i32.const 128)))
              (drop (memory.atomic.wait32 (i32.const 128) (i32.const 0) (i64.const -1)))
              (br $l)))
            (i32.const 3)))
        """;

    [Fact]
    public void AStackPointerOnTheBottomOfTheStackAboveIsNotACollision()
    {
        var module = Module.Compile(WatParser.ParseModule(AdjacentStacks));
        // All three are registered (live) before any runs; stack + band fill whole pages, so thread 2's top is
        // exactly the bottom of the region that holds thread 3's band and stack.
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 65536 - 128, TrapOnStackCollision = true, StartTogether = true });
        var one = group.Spawn("work");
        var two = group.Spawn("work");
        var three = group.Spawn("work");
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal([1, 2, 3], new[] { one, two, three }.Select(t => t.Result![0].AsI32));
        Assert.Empty(group.Collisions);
        Assert.Equal(two.StackRange!.Value.End, three.RedZoneBand!.Value.Start);
    }

    [Fact]
    public void AnExactEntryIntoAnotherLiveStackIsStillACollision()
    {
        var first = new StackRegistry.Entry(this, 1, new AddressRange(0x1000, 0x2000), isPrivate: true, knownTop: 0x2000);
        var second = new StackRegistry.Entry(this, 2, new AddressRange(0x2000, 0x3000), isPrivate: true, knownTop: 0x3000);
        var r = new StackRegistry();
        r.Register(first, 0x2000);
        r.Register(second, 0x3000);
        Assert.Null(r.OnStackPointerWrite(first, 0x2000));  // thread 1's own empty top = thread 2's bottom
        Assert.Null(r.OnStackPointerWrite(second, 0x2000)); // thread 2 at its very bottom = thread 1's top
        var found = r.OnStackPointerWrite(second, 0x1ff0);  // one frame into thread 1's stack
        Assert.Equal("thread 2's __stack_pointer 0x00001ff0 entered thread 1's live stack [0x00001000, 0x00002000)", Assert.Single(found!).Message);
    }
}

/// <summary>An instance created with the linker on a group's memory while the group's threads run.</summary>
public class ForeignInstanceTests
{
    private const string Module = """
        (module
          (import "env" "memory" (memory 2 16 shared))
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          (func (export "get_sp") (result i32) (global.get $sp))
          (func (export "park") (param $flag i32) (result i32)
            (block $done (loop $wait
              (br_if $done (i32.atomic.load (local.get $flag)))
              (drop (memory.atomic.wait32 (local.get $flag) (i32.const 0) (i64.const -1)))
              (br $wait)))
            (global.get $sp))
          (func (export "release") (param $flag i32)
            (i32.atomic.store (local.get $flag) (i32.const 1))
            (drop (memory.atomic.notify (local.get $flag) (i32.const -1)))))
        """;

    private const int Flag = 0x1F000;

    [Fact]
    public void AnInstanceOutsideTheGroupGetsAStackOfItsOwn()
    {
        var module = Strand.Module.Compile(WatParser.ParseModule(Module));
        using var group = new ThreadGroup(module);
        var parked = group.Spawn("park", Value.I32(Flag)); // thread 1, on the linker's stack [0, 0x10000), live
        var placed = new List<AddressRange>();
        void OnPlaced(Instance _, AddressRange stack) => placed.Add(stack);
        ForeignInstances.Placed += OnPlaced;
        Instance outside;
        try
        {
            var linker = new Linker().Define("env", "memory", group.Memory!);
            outside = linker.Instantiate(module);
        }
        finally
        {
            ForeignInstances.Placed -= OnPlaced;
        }
        var stack = Assert.IsType<AddressRange>(ForeignInstances.StackOf(outside));
        Assert.Equal(stack, Assert.Single(placed));
        Assert.Equal((int)stack.End, outside.Invoke("get_sp")[0].AsI32);
        Assert.False(stack.Overlaps(parked.StackRange!.Value));
        Assert.True(stack.Start >= 2 * 65536 + ModuleLayout.RedZoneSize); // host-grown, above the band
        outside.Invoke("release", Value.I32(Flag));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(0x10000, parked.Result![0].AsI32);

        // With no live thread, an instance is left as the spec makes it.
        var later = new Linker().Define("env", "memory", group.Memory!).Instantiate(module);
        Assert.Null(ForeignInstances.StackOf(later));
        Assert.Equal(0x10000, later.Invoke("get_sp")[0].AsI32);
    }
}
