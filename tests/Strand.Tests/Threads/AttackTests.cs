using Strand.Binary;
using Strand.Runtime;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// Faults found by attacking the threads layer, one test per kind. Threads are ordered by atomics in the guest
/// (flags), never by sleeps; every wait is bounded.
/// </summary>
public class DynamicFrameTests
{
    private const int VictimWords = 32;
    private static Module DynamicFrame => ThreadFixtures.Load("threads/dynamic_frame.wasm");

    private static void AssertOverflowTrap(WasmThread attacker, string where)
    {
        var trap = Assert.IsType<TrapException>(attacker.Error);
        Assert.Equal(TrapCode.ShadowStackOverflow, trap.Code);
        Assert.Contains(where, trap.Message);
        Assert.Null(attacker.Result);
    }

    private static void AssertVictimIntact(ThreadGroup group, int flags)
    {
        int words = group.Memory!.ReadInt32(flags + 8);
        Assert.NotEqual(0, words);
        for (int i = 0; i < VictimWords; i++)
            Assert.Equal(unchecked((int)0xA5A50000u) + i, group.Memory.ReadInt32(words + 4 * i));
    }

    // A VLA on thread 2 (a region above the initial memory) sized to reach 64 bytes below thread 1's frame on the
    // main stack: the stack pointer jumps over the band, the guest's heap and into thread 1's live stack. Before the
    // fix the guard took it for a stack switch and the fill overwrote thread 1's words (victim returned 32).
    [Fact]
    public void AVlaThatJumpsIntoTheMainThreadsStackTraps()
    {
        const int flags = 0x1F000;
        using var group = new ThreadGroup(DynamicFrame, new ThreadGroupOptions { StackSize = 65408 });
        var victim = group.Spawn("victim", Value.I32(flags));
        var attacker = group.Spawn("attacker", Value.I32(flags), Value.I32(64));
        Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        AssertOverflowTrap(attacker, "inside thread 1's stack");
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(victim.Error).Code);
        AssertVictimIntact(group, flags);
    }

    // Thread 3's region lies right above thread 2's: a VLA reaching 64 bytes below thread 2's frame lands inside
    // thread 2's region, memory the host grew for it.
    [Fact]
    public void AVlaThatJumpsIntoTheNeighboursStackTraps()
    {
        const int first = 0x1F000, flags = 0x1F100;
        using var group = new ThreadGroup(DynamicFrame, new ThreadGroupOptions { StackSize = 65408 });
        group.Memory!.WriteBytes(first + 4, BitConverter.GetBytes(1)); // thread 1's victim does not wait
        var one = group.Spawn("victim", Value.I32(first));
        Assert.True(one.Join(ThreadFixtures.JoinTimeout));
        Assert.Equal(0, one.Result![0].AsI32);
        var victim = group.Spawn("victim", Value.I32(flags));
        var attacker = group.Spawn("attacker", Value.I32(flags), Value.I32(64));
        Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(victim.StackRange!.Value.End, attacker.RedZoneBand!.Value.Start); // adjacent regions
        AssertOverflowTrap(attacker, "inside thread 2's stack");
        AssertVictimIntact(group, flags);
    }

    // The attack is real: with the guard off, the same program corrupts the victim's frame silently.
    [Fact]
    public void WithoutTheGuardTheVlaCorruptsTheNeighbour()
    {
        const int first = 0x1F000, flags = 0x1F100;
        using var group = new ThreadGroup(DynamicFrame, new ThreadGroupOptions { StackSize = 65408, CheckStackBounds = false });
        group.Memory!.WriteBytes(first + 4, BitConverter.GetBytes(1));
        var one = group.Spawn("victim", Value.I32(first));
        Assert.True(one.Join(ThreadFixtures.JoinTimeout));
        var victim = group.Spawn("victim", Value.I32(flags));
        var attacker = group.Spawn("attacker", Value.I32(flags), Value.I32(64));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(VictimWords, victim.Result![0].AsI32);
        Assert.True(attacker.Result![0].AsI32 > 65536);
    }
}

/// <summary>Several thread groups on one memory (an embedder passing the same memory through each group's linker).</summary>
public class GroupsSharingAMemoryTests
{
    private const int FrameWords = 4096;
    private const int BarrierCounter = 0x1F000;
    private static Module FrameCheck => ThreadFixtures.Load("threads/frame_check.wasm");

    // Each group's first thread used to take the linker's stack, so two groups' first threads on one memory ran on
    // the same stack: the collision was reported, but the frames overlapped (one thread returned 4096 corrupted words).
    [Fact]
    public void TheFirstThreadsOfTwoGroupsDoNotShareTheLinkersStack()
    {
        var memory = new Memory(2, 256, shared: true);
        var linker = new Linker().Define("env", "memory", memory);
        using var a = new ThreadGroup(FrameCheck, new ThreadGroupOptions { Linker = linker });
        using var b = new ThreadGroup(FrameCheck, new ThreadGroupOptions { Linker = linker });
        Assert.Same(memory, a.Memory);
        Assert.Same(memory, b.Memory);
        var first = a.Spawn("fill_and_check", Value.I32(1), Value.I32(BarrierCounter), Value.I32(2));
        var second = b.Spawn("fill_and_check", Value.I32(2), Value.I32(BarrierCounter), Value.I32(2));
        Assert.Null(ThreadFixtures.Finish(a));
        Assert.Null(ThreadFixtures.Finish(b));
        Assert.Equal(0, first.Result![0].AsI32);
        Assert.Equal(0, second.Result![0].AsI32);
        Assert.Empty(a.Collisions);
        Assert.Empty(b.Collisions);
        Assert.False(first.StackRange!.Value.Overlaps(second.StackRange!.Value));
        Assert.Equal(a.MainStack!.Value.End, first.StackRange.Value.End);   // the first group's first thread has the linker's stack
        Assert.True(second.StackRange.Value.Start >= 2 * 65536);            // the other's is a region the host grew
    }

    // Once the linker's stack is free again, a later group's first thread takes it.
    [Fact]
    public void TheLinkersStackIsTakenAgainWhenItsThreadHasEnded()
    {
        var memory = new Memory(2, 256, shared: true);
        var linker = new Linker().Define("env", "memory", memory);
        using var a = new ThreadGroup(FrameCheck, new ThreadGroupOptions { Linker = linker });
        var first = a.Spawn("fill_and_check", Value.I32(1), Value.I32(BarrierCounter), Value.I32(1));
        Assert.Null(ThreadFixtures.Finish(a));
        memory.WriteBytes(BarrierCounter, BitConverter.GetBytes(0));
        using var b = new ThreadGroup(FrameCheck, new ThreadGroupOptions { Linker = linker });
        var second = b.Spawn("fill_and_check", Value.I32(2), Value.I32(BarrierCounter), Value.I32(1));
        Assert.Null(ThreadFixtures.Finish(b));
        Assert.Equal(0, second.Result![0].AsI32);
        Assert.Equal(first.StackRange, second.StackRange);
    }
}

/// <summary>Hostile <see cref="ThreadGroupOptions.StackSize"/> values: a clear error, never a wrong stack.</summary>
public class StackSizeOptionTests
{
    private static Module FrameCheck => ThreadFixtures.Load("threads/frame_check.wasm");

    // 0xFFFFFFF1 rounded up to 16 in 32 bits wrapped to 0: thread 2 got a zero-byte stack [top, top) and trapped at
    // its first frame with a misleading "raise --stack-size". Now the size is what was asked for, and it does not fit.
    [Theory]
    [InlineData(0xFFFF_FFF1u)]
    [InlineData(uint.MaxValue)]
    public void ASizeNear4GiBIsRefusedAsTooLargeNotWrappedToZero(uint size)
    {
        using var group = new ThreadGroup(FrameCheck, new ThreadGroupOptions { StackSize = size });
        var first = group.Spawn("fill_and_check", Value.I32(1), Value.I32(0x1F000), Value.I32(1));
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        var e = Assert.Throws<ThreadSpawnException>(() => group.Spawn("fill_and_check", Value.I32(2), Value.I32(0x1F000), Value.I32(1)));
        Assert.Contains("cannot place a 4096 MiB shadow stack for thread 2", e.Message);
        Assert.Single(group.Threads);
    }

    [Fact]
    public void AZeroSizeIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ThreadGroup(FrameCheck, new ThreadGroupOptions { StackSize = 0 }));
        Assert.Contains("StackSize", e.Message);
    }
}

/// <summary>TLS blocks whose alignment (<c>__tls_align</c>) exceeds a page (fixtures/threads/tls_aligned.c).</summary>
public class TlsAlignmentTests
{
    private static Module TlsAligned => ThreadFixtures.Load("threads/tls_aligned.wasm");

    // Regions start on page boundaries, so a 128 KiB-aligned thread-local landed at an odd multiple of 64 KiB in about
    // half of the threads (check returned 1000000 + id + 1 there).
    [Fact]
    public void EveryThreadsBlockHonoursAnAlignmentAboveAPage()
    {
        const int threads = 5;
        var layout = ModuleLayout.Analyze(TlsAligned.Definition);
        Assert.Equal(131072u, layout.Tls.TlsAlign!.ConstValue);
        using var group = new ThreadGroup(TlsAligned, new ThreadGroupOptions { StackSize = 65408 });
        var spawned = Enumerable.Range(1, threads).Select(id => group.Spawn("check", Value.I32(id), Value.I32(threads))).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        foreach (var t in spawned)
        {
            Assert.Equal(t.Id + 1, t.Result![0].AsI32);
            Assert.Equal(0UL, t.TlsBlock!.Value.Start % 131072);
        }
        // The blocks are distinct and none overlaps a stack.
        var blocks = spawned.Select(t => t.TlsBlock!.Value).ToArray();
        for (int i = 0; i < threads; i++)
            for (int j = 0; j < threads; j++)
            {
                if (i != j) Assert.False(blocks[i].Overlaps(blocks[j]));
                Assert.False(blocks[i].Overlaps(spawned[j].StackRange!.Value));
            }
    }
}

/// <summary>
/// A stack pointer imported as <c>env.__stack_pointer</c> (position-independent code). inspect said "Strand supplies a
/// separate global with its own stack to each thread's instance" (SAFE), but the group refused even thread 1 (and
/// without a linker definition could not link). Now each thread's instance gets a Global of its own.
/// </summary>
public class ImportedStackPointerTests
{
    private const string Wat = """
        (module
          (import "env" "__stack_pointer" (global $sp (mut i32)))
          (import "env" "memory" (memory 2 64 shared))
          (func (export "work") (param $id i32) (param $n i32) (result i32)
            (local $fp i32) (local $seen i32)
            (global.set $sp (local.tee $fp (i32.sub (global.get $sp) (i32.const 16))))
            (i32.store (local.get $fp) (local.get $id))
            ;; barrier on the word at 128: every thread's frame is live before any reads its own back
            (drop (i32.atomic.rmw.add (i32.const 128) (i32.const 1)))
            (drop (memory.atomic.notify (i32.const 128) (i32.const -1)))
            (block $done (loop $wait
              (local.set $seen (i32.atomic.load (i32.const 128)))
              (br_if $done (i32.ge_s (local.get $seen) (local.get $n)))
              (drop (memory.atomic.wait32 (i32.const 128) (local.get $seen) (i64.const -1)))
              (br $wait)))
            (global.set $sp (i32.add (local.get $fp) (i32.const 16)))
            (i32.load (local.get $fp))))
        """;

    private static readonly Lazy<Module> Compiled = new(() => Module.Compile(Strand.Text.WatParser.ParseModule(Wat)));

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the embedder defines the import: that one Global would be every thread's; it is not used
    public void EveryThreadGetsAStackPointerOfItsOwn(bool linkerDefinesIt)
    {
        const int threads = 4;
        var shared = new Global(ValType.I32, mutable: true, Value.I32(4096));
        var options = new ThreadGroupOptions
        {
            StackSize = 4096,
            Linker = linkerDefinesIt ? new Linker().Define("env", "__stack_pointer", shared) : null,
        };
        Assert.Equal(StackPointerSource.Import, ModuleLayout.Analyze(Compiled.Value.Definition).StackPointer.Source);
        using var group = new ThreadGroup(Compiled.Value, options);
        var spawned = Enumerable.Range(1, threads).Select(id => group.Spawn("work", Value.I32(100 + id), Value.I32(threads))).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        foreach (var t in spawned)
        {
            Assert.Equal(100 + t.Id, t.Result![0].AsI32);
            var stack = t.StackRange!.Value;
            Assert.Equal((uint)stack.End, t.InitialStackPointer);
            Assert.Equal(100 + t.Id, group.Memory!.ReadInt32((long)stack.End - 16)); // its frame, at the top of its own stack
            Assert.All(spawned.Where(o => o != t), o => Assert.False(o.StackRange!.Value.Overlaps(stack)));
        }
        Assert.Equal(4096, shared.Value.AsI32);
        Assert.Empty(group.Collisions);
    }
}

/// <summary>
/// A module with a shadow stack and another mutable global the code writes (a bump allocator's pointer, as hand-written
/// or AssemblyScript-style runtimes keep). inspect said SAFE under Strand, yet every thread's instance has its own copy
/// of the pointer starting at the same value: three threads each allocated address 70000.
/// </summary>
public class PerInstanceGlobalVerdictTests
{
    private const string Wat = """
        (module
          (import "env" "memory" (memory 2 16 shared))
          (global $__stack_pointer (mut i32) (i32.const 65536))
          (global $heap_ptr (mut i32) (i32.const 70000))
          (func $alloc (param $n i32) (result i32)
            (local $p i32)
            (local.set $p (global.get $heap_ptr))
            (global.set $heap_ptr (i32.add (local.get $p) (local.get $n)))
            (local.get $p))
          (func $framed (result i32) (local $fp i32)
            (global.set $__stack_pointer (local.tee $fp (i32.sub (global.get $__stack_pointer) (i32.const 16))))
            (global.set $__stack_pointer (i32.add (local.get $fp) (i32.const 16)))
            (i32.const 0))
          (func (export "alloc16") (result i32) (drop (call $framed)) (call $alloc (i32.const 16))))
        """;

    [Fact]
    public void AnotherWrittenMutableGlobalMakesTheVerdictUnknown()
    {
        var module = Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        var layout = ModuleLayout.Analyze(module.Definition);
        Assert.Equal(0u, layout.StackPointer.GlobalIndex);
        Assert.Equal(StackEvidence.Strong, layout.StackPointer.Evidence);
        Assert.Equal(SafetyLevel.Unknown, layout.Verdict.UnderStrand.Level);
        Assert.Contains(layout.Verdict.UnderStrand.Reasons, r => r.StartsWith("The code writes global 1, mutable state that every thread's instance keeps a copy of"));

        // What the verdict warns about: the threads' copies all start at 70000.
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 4096 });
        var threads = Enumerable.Range(0, 3).Select(_ => group.Spawn("alloc16")).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.All(threads, t => Assert.Equal(70000, t.Result![0].AsI32));
    }

    [Theory]
    [InlineData("threads/frame_check.wasm")]
    [InlineData("threads/tls_stripped.wasm")]
    [InlineData("wasi-threads/counter.wasm")]
    public void LlvmModulesKeepNoOtherStateInGlobals(string fixture)
    {
        var layout = ModuleLayout.Analyze(ThreadFixtures.Load(fixture).Definition);
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
        Assert.DoesNotContain(layout.Verdict.UnderStrand.Reasons, r => r.StartsWith("The code writes global"));
    }
}

/// <summary>An instance created outside a group, then a group's first thread, on one memory.</summary>
public class ForeignInstanceOrderTests
{
    private const string Wat = """
        (module
          (import "env" "memory" (memory 2 16 shared))
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          (func (export "get_sp") (result i32) (global.get $sp)))
        """;

    // The instance outside the group was created while no thread was live, so it kept the linker's stack; a group
    // started afterwards put its first thread on that same stack too (both then use [0, 0x10000) at once).
    [Fact]
    public void AGroupStartedAfterAnOutsideInstanceDoesNotTakeItsStack()
    {
        var module = Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        var memory = new Memory(2, 16, shared: true);
        var linker = new Linker().Define("env", "memory", memory);
        using (var earlier = new ThreadGroup(module, new ThreadGroupOptions { Linker = linker }))
        {
            earlier.Spawn("get_sp");
            Assert.Null(ThreadFixtures.Finish(earlier));
        }
        var outside = linker.Instantiate(module);
        Assert.Null(ForeignInstances.StackOf(outside)); // no live thread: left as the spec makes it
        Assert.Equal(0x10000, outside.Invoke("get_sp")[0].AsI32);

        using var group = new ThreadGroup(module, new ThreadGroupOptions { Linker = linker, StackSize = 4096 });
        var first = group.Spawn("get_sp");
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.NotEqual(0x10000, first.Result![0].AsI32);
        Assert.False(first.StackRange!.Value.Overlaps(new AddressRange(0, 0x10000)));

        // A second outside instance does not share the first one's stack either.
        var second = linker.Instantiate(module);
        var own = Assert.IsType<AddressRange>(ForeignInstances.StackOf(second));
        Assert.Equal((int)own.End, second.Invoke("get_sp")[0].AsI32);
        GC.KeepAlive(outside);
    }

    // In a memory that cannot grow, a second outside instance cannot get a stack of its own: it keeps the linker's (as
    // the spec makes it) instead of failing to instantiate.
    [Fact]
    public void ASecondOutsideInstanceInAFullMemoryKeepsTheLinkersStack()
    {
        var module = Module.Compile(Strand.Text.WatParser.ParseModule(Wat.Replace("(memory 2 16 shared)", "(memory 2 2 shared)")));
        var memory = new Memory(2, 2, shared: true);
        var linker = new Linker().Define("env", "memory", memory);
        using (var group = new ThreadGroup(module, new ThreadGroupOptions { Linker = linker }))
        {
            group.Spawn("get_sp");
            Assert.Null(ThreadFixtures.Finish(group));
        }
        var first = linker.Instantiate(module);
        var second = linker.Instantiate(module);
        Assert.Null(ForeignInstances.StackOf(second));
        Assert.Equal(0x10000, second.Invoke("get_sp")[0].AsI32);
        GC.KeepAlive(first);
    }
}

/// <summary>
/// Thread-locals of a stripped module linked by wasm-ld 19 (fixtures/threads/tls_static.c): only
/// <c>__wasm_init_memory</c>'s static TLS block for the main thread shows where <c>__tls_base</c> is. It was not
/// recognised: threads 2 and 3 kept __tls_base = 0 and shared their thread-locals at address 0 (they returned 2002
/// and 5005 or similar instead of their own values), while inspect called the module SAFE.
/// </summary>
public class StaticTlsBlockTests
{
    private static Module TlsStatic => ThreadFixtures.Load("threads/tls_static.wasm");

    [Fact]
    public void TheStartFunctionsStaticBlockIdentifiesTlsBase()
    {
        var layout = ModuleLayout.Analyze(TlsStatic.Definition);
        var tls = layout.Tls;
        Assert.True(tls.HasThreadLocals);
        Assert.True(tls.FoundByShape);
        Assert.Equal(1u, tls.TlsBase!.GlobalIndex);
        Assert.Equal(0, tls.TemplateSegment);
        Assert.Equal(8u, tls.BlockSize);
        Assert.Null(tls.Unaccounted);
        Assert.Equal([new StaticTlsBlock(1, 0, 1024)], layout.Start!.StaticTlsBlocks);
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
    }

    [Fact]
    public void EveryThreadGetsItsOwnThreadLocals()
    {
        const int threads = 3;
        using var group = new ThreadGroup(TlsStatic, new ThreadGroupOptions { StackSize = 4096 });
        var spawned = Enumerable.Range(1, threads).Select(id => group.Spawn("bump", Value.I32(id), Value.I32(threads))).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        foreach (var t in spawned)
        {
            Assert.Equal((42 + t.Id) * 1000 + t.Id, t.Result![0].AsI32);
            Assert.NotNull(t.TlsBlock);
        }
        // Address 0 (where __tls_base = 0 would put them) was never used for thread-locals.
        Assert.Equal(0L, group.Memory!.ReadInt64(0));
    }
}

/// <summary>Hostile <see cref="ThreadGroupOptions.Timeout"/> values: a clear error naming the option.</summary>
public class TimeoutOptionTests
{
    private static Module FrameCheck => ThreadFixtures.Load("threads/frame_check.wasm");

    // A timeout beyond what System.Threading.Timer accepts (about 49.7 days), or negative, made the constructor throw
    // the timer's own ArgumentOutOfRangeException about "dueTime", after registering with the cancellation token.
    [Theory]
    [InlineData(-5.0)]
    [InlineData(100.0 * 24 * 3600)]
    public void AnUnusableTimeoutIsRefusedByName(double seconds)
    {
        using var cts = new CancellationTokenSource();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new ThreadGroup(FrameCheck, new ThreadGroupOptions { Timeout = TimeSpan.FromSeconds(seconds), CancellationToken = cts.Token }));
        Assert.Contains("Timeout", e.Message);
        cts.Cancel(); // nothing left registered to run
    }

    [Fact]
    public void AnInfiniteTimeoutMeansNone()
    {
        using var group = new ThreadGroup(FrameCheck, new ThreadGroupOptions { Timeout = Timeout.InfiniteTimeSpan });
        var t = group.Spawn("fill_and_check", Value.I32(1), Value.I32(0x1F000), Value.I32(1));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(0, t.Result![0].AsI32);
    }
}

/// <summary>
/// A legitimate switch to a stack in static data that ends exactly where the main stack's red-zone band begins (the
/// last .bss object, e.g. a fiber's C stack declared as a static array: its top is the data end).
/// </summary>
public class StaticStackSwitchTests
{
    // __data_end 0x2000: the static coroutine stack is [0x1000, 0x2000). A red-zone leaf puts a band [0x2000, 0x2080)
    // below the main stack [0x2000, 0x10000); the guard's floor is 0x2080.
    private const string Wat = """
        (module
          (memory 4 16 shared)
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          (global (export "__data_end") i32 (i32.const 0x2000))
          (data (i32.const 1024) "0123456789abcdef")
          (func $leaf (result i32) (i32.load (i32.sub (global.get $sp) (i32.const 32))))
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
            (i32.add (local.get $r) (i32.mul (call $leaf) (i32.const 0)))))
        """;

    // The switch to 0x2000 (the band's first byte: the top of the stack below it, not a byte of the band) trapped as
    // "in the bytes below it that Strand keeps free", stopping a correct program.
    [Fact]
    public void ASwitchToTheTopOfAStaticStackRightBelowTheBandIsAllowed()
    {
        var module = Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        var sp = ModuleLayout.Analyze(module.Definition).StackPointer;
        Assert.Equal(new AddressRange(0x2000, 0x2080), sp.RedZoneBand);
        using var group = new ThreadGroup(module);
        var thread = group.Spawn("on_stack", Value.I32(0x2000));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(42, thread.Result![0].AsI32);
        Assert.Equal(41, group.Memory!.ReadInt32(0x2000 - 64));
    }

    // One byte-step further into the band is still an overflow, wherever the pointer was.
    [Fact]
    public void AValueInsideTheBandStillTraps()
    {
        var module = Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        using var group = new ThreadGroup(module);
        group.Spawn("on_stack", Value.I32(0x2010));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Contains("that Strand keeps free", error.InnerException!.Message);
    }
}

/// <summary>The first instance's start function traps while later threads are being spawned.</summary>
public class FirstInstanceFailureTests
{
    private const string Wat = """
        (module
          (import "env" "memory" (memory 2 16 shared))
          (global (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          (func $start unreachable)
          (start $start)
          (func (export "f") (result i32) (i32.const 1)))
        """;

    // The failure used to be recorded only after the waiting spawns were released, so a spawn could slip through and
    // start a thread on a memory the first instance never initialised. Now every later spawn sees the group stopped.
    [Fact]
    public void LaterSpawnsSeeTheGroupStopped()
    {
        var module = Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        using var group = new ThreadGroup(module);
        var first = group.Spawn("f");
        Assert.Throws<InvalidOperationException>(() => group.Spawn("f"));
        Assert.Single(group.Threads);
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(1, error.ThreadId);
        Assert.Equal(TrapCode.Unreachable, Assert.IsType<TrapException>(first.Error).Code);
    }
}

/// <summary>A function exported as <c>__wasm_init_tls</c> with another type than (i32) -> ().</summary>
public class InitTlsTypeTests
{
    private const string Wat = """
        (module
          (import "env" "memory" (memory 2 64 shared))
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          (global $tb (export "__tls_base") (mut i32) (i32.const 0))
          (global (export "__tls_size") i32 (i32.const 16))
          (func (export "__wasm_init_tls") (param i32 i32) (result i32) (global.set $tb (local.get 0)) (i32.const 0))
          (func (export "tls_base") (result i32) (global.get $tb)))
        """;

    // Strand called it with one argument: thread 1 failed with "expects 2 argument(s) but got 1 (Parameter 'args')",
    // a host exception, while inspect promised SAFE "by calling __wasm_init_tls".
    [Fact]
    public void ItIsNotCalledAndTheVerdictSaysSo()
    {
        var module = Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        var layout = ModuleLayout.Analyze(module.Definition);
        Assert.Null(layout.Tls.InitTls);
        Assert.Contains(layout.Notes, n => n.Contains("is called __wasm_init_tls but is not of type (i32) -> ()"));
        Assert.Equal(SafetyLevel.Unknown, layout.Verdict.UnderStrand.Level);
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 4096 });
        var a = group.Spawn("tls_base");
        var b = group.Spawn("tls_base");
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal((long)a.TlsBlock!.Value.Start, a.Result![0].AsI32);
        Assert.Equal((long)b.TlsBlock!.Value.Start, b.Result![0].AsI32); // (thread 1 may have ended: b may reuse its block)
    }
}

/// <summary>A thread placed in the top page of a 4 GiB memory (65536 pages).</summary>
public class TopOfFourGiBTests
{
    private const string Wat = """
        (module
          (import "env" "memory" (memory 65535 65536 shared))
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          (func (export "sp") (result i32) (global.get $sp)))
        """;

    // The region [0xffff0000, 2^32) had its stack top at 2^32, which as an i32 stack pointer is 0: the thread started
    // with __stack_pointer = 0, and its registered stack [.., 0) protected nothing.
    [Fact]
    public void ItsStackPointerIsTheTopOfItsStackNotZero()
    {
        var module = Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 65408 });
        var first = group.Spawn("sp"); // the linker's stack
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        var top = group.Spawn("sp");    // the page the host grows: [0xffff0000, 2^32)
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(0x10000, first.Result![0].AsI32);
        Assert.Equal(new AddressRange(0xffff0080, 0xfffffff0), top.StackRange);
        Assert.Equal(unchecked((int)0xfffffff0), top.Result![0].AsI32);
        Assert.Equal(new AddressRange(0xffff0000, 0xffff0080), top.RedZoneBand);
    }
}

/// <summary>The main stack's extent cannot be told (data on both sides of the initial stack pointer, no gap).</summary>
public class UnknownPlacementVerdictTests
{
    [Fact]
    public void TheVerdictSaysThread1sOverflowIsNotCaught()
    {
        const string wat = """
            (module
              (memory 2 16 shared)
              (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x1000))
              (data (i32.const 0x0100) "a") (data (i32.const 0x0500) "b") (data (i32.const 0x0900) "c")
              (data (i32.const 0x0d00) "d") (data (i32.const 0x1100) "e")
              (func (export "f") (result i32) (local $fp i32)
                (global.set $sp (local.tee $fp (i32.sub (global.get $sp) (i32.const 16))))
                (global.set $sp (i32.add (local.get $fp) (i32.const 16)))
                (i32.const 1)))
            """;
        var layout = ModuleLayout.Analyze(Strand.Binary.ModuleDecoder.Decode(Strand.Text.WatParser.ParseModule(wat)));
        Assert.Equal(StackPlacement.Unknown, layout.StackPointer.Placement);
        Assert.Null(layout.StackPointer.Range);
        // Said nothing about it before: the guard's floor for thread 1 is 0, below all of the data.
        Assert.Contains(layout.Verdict.UnderStrand.Reasons, r => r.StartsWith("The main stack's extent is unknown"));
    }
}

/// <summary>An imported stack pointer that only the name section calls <c>__stack_pointer</c> (import name "sp").</summary>
/// <summary>An imported stack pointer that only the name section calls <c>__stack_pointer</c> (fixtures/threads/imported_sp_named.wat).</summary>
public class ImportedStackPointerByNameTests
{
    // The per-thread Global was supplied only for an import named __stack_pointer: this one made even thread 1 fail
    // ("cannot give thread 1 its own stack"), and the verdict said no stack pointer was usable.
    [Fact]
    public void ItIsReplacedPerThreadToo()
    {
        var module = ThreadFixtures.Load("threads/imported_sp_named.wasm");
        var layout = ModuleLayout.Analyze(module.Definition);
        Assert.Equal(StackPointerSource.NameSection, layout.StackPointer.Source);
        Assert.True(layout.StackPointer.Imported);
        Assert.Equal(SafetyLevel.Safe, layout.Verdict.UnderStrand.Level);
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 4096 });
        var a = group.Spawn("f");
        var b = group.Spawn("f");
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(41, a.Result![0].AsI32);
        Assert.Equal(41, b.Result![0].AsI32);
        Assert.Equal(41, group.Memory!.ReadInt32((long)a.StackRange!.Value.End - 64));
    }
}

/// <summary>
/// wasm-ld 19's static TLS block for the main thread, in a memory that cannot grow (tls_static_full.wasm: maximum =
/// initial = 2 pages). Thread 1 always got a host-grown TLS block, so such a module could not run at all in a group
/// (or as a wasi-threads program, e.g. the wasi-threads test suite's thread_spawn-simple.wasm): "cannot place a 112
/// bytes TLS block for thread 1: memory is at its maximum".
/// </summary>
public class StaticTlsBlockInAFullMemoryTests
{
    [Fact]
    public void Thread1KeepsTheStartFunctionsStaticBlock()
    {
        var module = ThreadFixtures.Load("threads/tls_static_full.wasm");
        using var group = new ThreadGroup(module);
        var first = group.Spawn("bump", Value.I32(1), Value.I32(1));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(43 * 1000 + 1, first.Result![0].AsI32);
        Assert.Equal(new AddressRange(1024, 1032), first.TlsBlock); // the block __wasm_init_memory set up
        Assert.Equal(2u, group.Memory!.Pages);                      // nothing grown
        // A second thread needs a block of its own, which does not fit: a clear error, not a shared block.
        var e = Assert.Throws<ThreadSpawnException>(() => group.Spawn("bump", Value.I32(2), Value.I32(1)));
        Assert.Contains("memory is at its maximum of 2 pages", e.Message);
    }

    [Fact]
    public void InspectsPreviewAgreesWithTheRun()
    {
        // The preview (strand inspect --threads) gave thread 1 a grown block too, and said the stacks could not be placed.
        var (planned, pages) = ThreadGroup.PreviewPlacement(ThreadFixtures.Load("threads/tls_static_full.wasm").Definition, 1);
        Assert.Equal(new AddressRange(1024, 1032), Assert.Single(planned).TlsBlock);
        Assert.Equal(2u, pages);
    }
}
