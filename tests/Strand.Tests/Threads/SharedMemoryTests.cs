using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>Shared memory under a thread group: growth from any thread, and the stack-pointer checks on hand-written modules.</summary>
public class SharedMemoryTests
{
    // A module that defines its own shared memory: one thread grows it page by page while others store and reload.
    private const string GrowAndStore = """
        (module
          (memory 1 200 shared)
          (func (export "grow") (param $n i32) (result i32)
            (local $i i32) (local $ok i32)
            (block $done (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1))
                (then (local.set $ok (i32.add (local.get $ok) (i32.const 1)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
            (local.get $ok))
          (func (export "store_and_check") (param $base i32) (param $n i32) (result i32)
            (local $i i32) (local $bad i32) (local $a i32)
            (block $done (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (local.set $a (i32.add (local.get $base) (i32.shl (i32.and (local.get $i) (i32.const 1023)) (i32.const 2))))
              (i32.store (local.get $a) (local.get $i))
              (if (i32.ne (i32.load (local.get $a)) (local.get $i))
                (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
            (local.get $bad)))
        """;

    [Fact]
    public void GrowingASharedMemoryNeverMovesItNorLosesConcurrentStores()
    {
        var module = Module.Compile(WatParser.ParseModule(GrowAndStore));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StartTogether = true });
        var memory = group.Memory!;
        nint baseAddress = memory.BasePointer;
        const int stores = 1 << 21; // a multiple of the 1024 slots
        var writers = new[]
        {
            group.Spawn("store_and_check", Value.I32(0), Value.I32(stores)),
            group.Spawn("store_and_check", Value.I32(8192), Value.I32(stores)),
        };
        var grower = group.Spawn("grow", Value.I32(250));
        Assert.True(group.WaitAll(ThreadFixtures.JoinTimeout));

        Assert.Equal(199, grower.Result![0].AsI32);
        Assert.Equal(200u, memory.Pages);
        Assert.Equal(baseAddress, memory.BasePointer);
        Assert.All(writers, w => Assert.Equal(0, w.Result![0].AsI32));
        // The last value written to each slot survived every grow.
        for (int slot = 0; slot < 1024; slot++)
        {
            int expected = stores - 1024 + slot;
            Assert.Equal(expected, memory.ReadInt32(4 * slot));
            Assert.Equal(expected, memory.ReadInt32(8192 + 4 * slot));
        }
        Assert.Equal(0, memory.ReadInt32(199L * 65536)); // new pages are zero
    }

    // No data and an exported stack pointer: the layout gives the main stack [0, 65536).
    private const string StackPointerModule = """
        (module
          (memory 2 16 shared)
          (global $sp (export "__stack_pointer") (mut i32) (i32.const 65536))
          (func (export "set_sp") (param i32) (global.set $sp (local.get 0)))
          (func (export "get_sp") (result i32) (global.get $sp))
          (func (export "wait_forever") (param $addr i32) (result i32)
            (memory.atomic.wait32 (local.get $addr) (i32.const 0) (i64.const -1))))
        """;

    [Fact]
    public void StackPointerIsSetBeforeGuestCodeRuns()
    {
        var module = Module.Compile(WatParser.ParseModule(StackPointerModule));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 4096 });
        var first = group.Spawn("get_sp");
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        var second = group.Spawn("get_sp");
        Assert.True(group.WaitAll(ThreadFixtures.JoinTimeout));
        Assert.Equal(65536, first.Result![0].AsI32);
        Assert.Equal((int)second.StackRange!.Value.End, second.Result![0].AsI32);
        Assert.Equal(new AddressRange(2 * 65536 - 4096 + 65536, 3 * 65536), second.StackRange);
    }

    [Fact]
    public void LeavingTheStackBoundsIntoTheFreeMemoryBelowItTraps()
    {
        var module = Module.Compile(WatParser.ParseModule(StackPointerModule));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 4096 });
        group.Spawn("get_sp");
        // Thread 2's region is the page [0x20000, 0x30000): the stack is its top 4 KiB, the rest is kept free.
        var second = group.Spawn("set_sp", Value.I32(0x2f000 - 16));
        Assert.Equal(new AddressRange(0x20000, 0x2f000), second.RedZoneBand);
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(2, error.ThreadId);
        Assert.Equal(
            "shadow stack overflow in thread 2: __stack_pointer would be 0x0002eff0, below its stack [0x0002f000, 0x00030000), in the 16 bytes below it that Strand keeps free (red-zone band, TLS block); raise --stack-size (ThreadGroupOptions.StackSize)",
            error.InnerException!.Message);
    }

    [Fact]
    public void AJumpFarFromTheStackIsAStackSwitchNotAnOverflow()
    {
        // The module allocates no frames, so any move beyond the free band is a switch (e.g. to a heap-allocated stack).
        var module = Module.Compile(WatParser.ParseModule(StackPointerModule));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 4096 });
        var first = group.Spawn("set_sp", Value.I32(0x18000)); // above its top 0x10000: raised, not an overflow
        // Thread 1 has ended, so its stack [0, 0x10000) is nobody's: 0x100, far below thread 2's stack, is a switch.
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        var second = group.Spawn("set_sp", Value.I32(0x100));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.True(first.Succeeded);
        Assert.True(second.Succeeded);
    }

    [Fact]
    public void AJumpOntoALiveThreadsStackIsAnOverflowNotASwitch()
    {
        // The same jump while thread 1 is alive (parked) lands on its stack: no stack of thread 2 can be there.
        var module = Module.Compile(WatParser.ParseModule(StackPointerModule));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 4096 });
        var parked = group.Spawn("wait_forever", Value.I32(0x20000 - 4));
        var second = group.Spawn("set_sp", Value.I32(0x100));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(2, error.ThreadId);
        Assert.Equal(
            "shadow stack overflow in thread 2: __stack_pointer would be 0x00000100, inside thread 1's stack [0x00000000, 0x00010000), outside its own [0x0002f000, 0x00030000) (a dynamically sized frame larger than the stack?); raise --stack-size (ThreadGroupOptions.StackSize)",
            error.InnerException!.Message);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(parked.Error).Code);
    }

    [Fact]
    public void DiagnosticModeTrapsWhenAStackPointerEntersAnotherLiveStack()
    {
        // Bounds checks off (as for a module that places its stacks itself); thread 1 stays alive, parked.
        var module = Module.Compile(WatParser.ParseModule(StackPointerModule));
        using var group = new ThreadGroup(module, new ThreadGroupOptions
        {
            StackSize = 4096, CheckStackBounds = false, DetectCrossThreadStackPointers = true, TrapOnStackCollision = true,
        });
        var parked = group.Spawn("wait_forever", Value.I32(0x20000 - 4));
        var outside = group.Spawn("set_sp", Value.I32(0x1fff0)); // neither stack: allowed without bounds checks
        Assert.True(outside.Join(ThreadFixtures.JoinTimeout));
        Assert.Null(outside.Error);
        var intruder = group.Spawn("set_sp", Value.I32(0x8000));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(3, error.ThreadId);
        Assert.Equal(
            "stack collision: thread 3's __stack_pointer 0x00008000 entered thread 1's live stack [0x00000000, 0x00010000)",
            error.InnerException!.Message);
        Assert.Equal(TrapCode.ShadowStackCollision, Assert.IsType<TrapException>(error.InnerException).Code);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(parked.Error).Code);
        Assert.Same(error.InnerException, intruder.Error);
    }

    [Fact]
    public void DiagnosticModeWithoutTrapReportsAnAssignedStackBeingEnteredAndLetsTheThreadRun()
    {
        var module = Module.Compile(WatParser.ParseModule(StackPointerModule));
        using var group = new ThreadGroup(module, new ThreadGroupOptions
        {
            StackSize = 4096, CheckStackBounds = false, DetectCrossThreadStackPointers = true,
        });
        var parked = group.Spawn("wait_forever", Value.I32(0x20000 - 4));
        var intruder = group.Spawn("set_sp", Value.I32(0x8000));
        Assert.True(intruder.Join(ThreadFixtures.JoinTimeout));
        Assert.Null(intruder.Error);
        var collision = Assert.Single(group.Collisions);
        Assert.Equal(new StackCollision(2, 0x8000, 1, new AddressRange(0, 0x10000), StackCollisionKind.StackPointerEntered), collision);
        group.Cancel();
        Assert.True(parked.Join(ThreadFixtures.JoinTimeout));
    }

    [Fact]
    public void RunawayWasmRecursionOnAGroupThreadTrapsInsteadOfKillingTheProcess()
    {
        var module = Module.Compile(WatParser.ParseModule("""
            (module (memory 1 1 shared) (func $down (export "down") (param i32) (result i32)
              (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))
            """));
        using var group = new ThreadGroup(module);
        group.Spawn("down", Value.I32(0));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(error.InnerException).Code);
    }

    [Fact]
    public void AnUnsharedMemoryAllowsOnlyOneThread()
    {
        var module = Module.Compile(WatParser.ParseModule("""(module (memory 1) (func (export "f")))"""));
        using var group = new ThreadGroup(module);
        group.Spawn("f");
        var error = Assert.Throws<ThreadSpawnException>(() => group.Spawn("f"));
        Assert.Contains("not shared", error.Message);
        Assert.True(group.WaitAll(ThreadFixtures.JoinTimeout));
    }

    [Fact]
    public void SpawnChecksTheExportAndItsArguments()
    {
        using var group = new ThreadGroup(ThreadFixtures.Load("threads/spin.wasm"));
        Assert.Throws<ArgumentException>(() => group.Spawn("no_such_export"));
        Assert.Throws<ArgumentException>(() => group.Spawn("wait_forever"));
        Assert.Throws<ArgumentException>(() => group.Spawn("wait_forever", Value.I64(1)));
        Assert.Empty(group.Threads);
    }
}
