using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// The stack-collision diagnostic (<see cref="ThreadGroupOptions.DetectCrossThreadStackPointers"/>) on stacks the
/// guest places itself (<see cref="StackMode.GuestPlaced"/>), with hand-written modules that set an exported
/// <c>__stack_pointer</c> to chosen values. Threads are ordered by flags in memory, never by timing: a parked thread
/// stays live until the test releases it, so every report below is certain.
/// </summary>
public class StackCollisionTests
{
    // No data and an exported stack pointer: the linker's stack is [0, 0x10000).
    private const string GuestStacks = """
        (module
          (memory 4 16 shared)
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
          ;; Sets up a stack at $top, reaches down to $low, says so at $ready, and stays live until $gate is set.
          (func (export "place_and_park") (param $top i32) (param $low i32) (param $ready i32) (param $gate i32)
            (global.set $sp (local.get $top))
            (global.set $sp (local.get $low))
            (i32.atomic.store (local.get $ready) (i32.const 1))
            (drop (memory.atomic.notify (local.get $ready) (i32.const -1)))
            (block $released (loop $wait
              (br_if $released (i32.atomic.load (local.get $gate)))
              (drop (memory.atomic.wait32 (local.get $gate) (i32.const 0) (i64.const -1)))
              (br $wait))))
          ;; A guest start routine: sets up its stack at $top, then two frames' worth of stack pointers.
          (func (export "place") (param $top i32) (param $first i32) (param $second i32)
            (global.set $sp (local.get $top))
            (global.set $sp (local.get $first))
            (global.set $sp (local.get $second)))
          (func (export "release") (param $gate i32)
            (i32.atomic.store (local.get $gate) (i32.const 1))
            (drop (memory.atomic.notify (local.get $gate) (i32.const -1)))))
        """;

    private const int MainReady = 0x100, MainGate = 0x104, AReady = 0x108, AGate = 0x10c;
    private static readonly AddressRange AStack = new(0x2f000, 0x30000);

    private static readonly Lazy<Module> Compiled = new(() => Module.Compile(WatParser.ParseModule(GuestStacks)));

    private static void WaitForFlag(Memory memory, int address) =>
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref memory.GetSpan(address, 4)[0]) != 0, ThreadFixtures.JoinTimeout),
            $"the flag at 0x{address:x} was never set");

    /// <summary>Thread 1 (the main thread, on the linker's stack) and thread 2 (A, on <see cref="AStack"/>), both parked.</summary>
    private static (WasmThread Main, WasmThread A) StartMainAndA(ThreadGroup group)
    {
        var main = group.Spawn("place_and_park", Value.I32(0x10000), Value.I32(0xff00), Value.I32(MainReady), Value.I32(MainGate));
        WaitForFlag(group.Memory!, MainReady);
        var a = group.Spawn("place_and_park", Value.I32((int)AStack.End), Value.I32((int)AStack.Start), Value.I32(AReady), Value.I32(AGate));
        WaitForFlag(group.Memory!, AReady);
        return (main, a);
    }

    private static void ReleaseAll(ThreadGroup group)
    {
        group.Spawn("release", Value.I32(AGate));
        group.Spawn("release", Value.I32(MainGate));
        Assert.Null(ThreadFixtures.Finish(group));
    }

    public static TheoryData<int, int, int, StackCollisionKind?, int> Placements => new()
    {
        // B's top above A's stack, its frames reach into it: the first value inside is reported.
        { 0x31000, 0x2ff00, 0x2fe00, StackCollisionKind.StackPointerEntered, 0x2ff00 },
        // B handed A's very stack (same top): reported at the write that sets it up.
        { 0x30000, 0x2ff00, 0x2fe00, StackCollisionKind.StackPlaced, 0x30000 },
        // B's top inside A's stack.
        { 0x2f800, 0x2f700, 0x2f600, StackCollisionKind.StackPlaced, 0x2f800 },
        // B's stack pointer jumps over A's whole stack: what B has used now spans A's.
        { 0x31000, 0x2e000, 0x2e000, StackCollisionKind.StackPointerEntered, 0x2e000 },
        // Adjacent below A (B's top is A's bottom), adjacent above, far away: no collision.
        { 0x2f000, 0x2e000, 0x2e000, null, 0 },
        { 0x31000, 0x30000, 0x30000, null, 0 },
        { 0x40000, 0x3f000, 0x3f000, null, 0 },
    };

    [Theory]
    [MemberData(nameof(Placements))]
    public void GuestPlacedStacksAreLearnedAndCollisionsReportedOncePerPair(int top, int first, int second, StackCollisionKind? kind, int reportedValue)
    {
        var reported = new List<StackCollision>();
        using var group = new ThreadGroup(Compiled.Value, new ThreadGroupOptions
        {
            StackMode = StackMode.GuestPlaced,
            CheckStackBounds = false,
            DetectCrossThreadStackPointers = true,
            StackCollisionDetected = c => { lock (reported) reported.Add(c); },
        });
        var (main, a) = StartMainAndA(group);
        var b = group.Spawn("place", Value.I32(top), Value.I32(first), Value.I32(second));
        Assert.True(b.Join(ThreadFixtures.JoinTimeout));
        Assert.Null(b.Error); // reported, not trapped

        var expected = kind is { } k ? new[] { new StackCollision(3, (uint)reportedValue, 2, AStack, k) } : Array.Empty<StackCollision>();
        Assert.Equal(expected, group.Collisions);
        Assert.Equal(expected, reported);
        // What each thread was seen to use of its stack, [lowest value written, top).
        Assert.Equal(new AddressRange(0, 0x10000), main.StackRange);
        Assert.Equal(new AddressRange(0xff00, 0x10000), main.ObservedStack);
        Assert.Null(a.StackRange); // the group did not place it
        Assert.Equal(AStack, a.ObservedStack);
        Assert.Equal(new AddressRange((uint)Math.Min(first, second), (uint)top), b.ObservedStack);
        ReleaseAll(group);
    }

    [Fact]
    public void ReportsReadAsSentences()
    {
        Assert.Equal("thread 3's __stack_pointer 0x00011f00 entered thread 2's live stack [0x00011000, 0x00012000)",
            new StackCollision(3, 0x11f00, 2, new AddressRange(0x11000, 0x12000), StackCollisionKind.StackPointerEntered).Message);
        Assert.Equal("thread 3 set its stack top to 0x00012000, on thread 2's live stack [0x00011000, 0x00012000)",
            new StackCollision(3, 0x12000, 2, new AddressRange(0x11000, 0x12000), StackCollisionKind.StackPlaced).Message);
    }

    [Fact]
    public void TrapOnStackCollisionStopsTheGroupBeforeTheWrite()
    {
        using var group = new ThreadGroup(Compiled.Value, new ThreadGroupOptions
        {
            StackMode = StackMode.GuestPlaced,
            CheckStackBounds = false,
            TrapOnStackCollision = true, // implies the detection
        });
        var (main, a) = StartMainAndA(group);
        var b = group.Spawn("place", Value.I32(0x31000), Value.I32(0x2ff00), Value.I32(0x2fe00));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(3, error.ThreadId);
        var trap = Assert.IsType<TrapException>(error.InnerException);
        Assert.Equal(TrapCode.ShadowStackCollision, trap.Code);
        Assert.Equal("stack collision: thread 3's __stack_pointer 0x0002ff00 entered thread 2's live stack [0x0002f000, 0x00030000)", trap.Message);
        Assert.Same(trap, b.Error);
        // The trapping write did not happen, nor anything after it (the observed extent below); the call ended
        // abnormally, so the stack pointer is back at its value when the thread's entry was called (the linker's).
        Assert.Equal(0x10000, b.Instance!.Globals[0].I32);
        Assert.Equal(new AddressRange(0x2ff00, 0x31000), b.ObservedStack);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(a.Error).Code);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(main.Error).Code);
        Assert.Single(group.Collisions);
    }

    [Fact]
    public void AStackFreedByItsEndedThreadMayBeReused()
    {
        using var group = new ThreadGroup(Compiled.Value, new ThreadGroupOptions
        {
            StackMode = StackMode.GuestPlaced, CheckStackBounds = false, DetectCrossThreadStackPointers = true,
        });
        var (_, a) = StartMainAndA(group);
        group.Spawn("release", Value.I32(AGate));
        Assert.True(a.Join(ThreadFixtures.JoinTimeout));
        var b = group.Spawn("place", Value.I32((int)AStack.End), Value.I32((int)AStack.Start), Value.I32((int)AStack.Start));
        Assert.True(b.Join(ThreadFixtures.JoinTimeout));
        Assert.Empty(group.Collisions);
        group.Spawn("release", Value.I32(MainGate));
        Assert.Null(ThreadFixtures.Finish(group));
    }

    [Fact]
    public void WithoutTheDiagnosticGuestPlacedThreadsRunUnhookedAndUnreported()
    {
        using var group = new ThreadGroup(Compiled.Value, new ThreadGroupOptions { StackMode = StackMode.GuestPlaced, CheckStackBounds = false });
        var (main, a) = StartMainAndA(group);
        var b = group.Spawn("place", Value.I32(0x30000), Value.I32(0x2ff00), Value.I32(0x2fe00)); // A's stack
        Assert.True(b.Join(ThreadFixtures.JoinTimeout));
        Assert.Empty(group.Collisions); // no report when threads start either: their stacks are the guest's business
        Assert.All(new[] { main, a, b }, t =>
        {
            Assert.Null(t.Instance!.GlobalSetHook); // stack-pointer writes cost nothing
            Assert.Null(t.ObservedStack);
            Assert.Equal(0x10000u, t.InitialStackPointer);
        });
        ReleaseAll(group);
    }

    [Fact]
    public void GuestPlacedModeChecksTheBoundsOfTheMainThreadOnly()
    {
        using (var group = new ThreadGroup(Compiled.Value, new ThreadGroupOptions { StackMode = StackMode.GuestPlaced }))
        {
            // From 0x100, 0x200 bytes down wraps below address 0: certainly an overflow, and the message says so.
            var main = group.Spawn("place", Value.I32(0x10000), Value.I32(0x100), Value.I32(-0x100));
            var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
            Assert.Equal(1, error.ThreadId);
            var trap = Assert.IsType<TrapException>(main.Error);
            Assert.Equal(TrapCode.ShadowStackOverflow, trap.Code);
            Assert.Equal("shadow stack overflow in thread 1: __stack_pointer 0x00000100 minus 512 wraps below address 0 (to 0xffffff00); its stack is [0x00000000, 0x00010000); relink with a larger stack (wasm-ld -z stack-size=N)", trap.Message);
        }
        using (var group = new ThreadGroup(Compiled.Value, new ThreadGroupOptions { StackMode = StackMode.GuestPlaced }))
        {
            group.Spawn("place", Value.I32(0x10000), Value.I32(0x100), Value.I32(0x8000));
            var spawned = group.Spawn("place", Value.I32(0x30000), Value.I32(0x2f000), Value.I32(0x20000)); // the guest's business
            Assert.Null(ThreadFixtures.Finish(group));
            Assert.Null(spawned.StackRange);
        }
    }
}
