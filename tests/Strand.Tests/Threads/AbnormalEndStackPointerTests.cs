using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// A call into the guest that ends abnormally (a trap of any kind, an uncaught wasm exception, an interrupt, stack
/// exhaustion, a host function's exception) skips the epilogues of the frames it abandons, which would leave
/// <c>__stack_pointer</c> lowered; every host → wasm entry puts it back to its value at the entry
/// (<see cref="EntryStackPointer"/>). Each test asserts the real value of the global after the scenario, on a plain
/// instance (the global named by an export, or found in a stripped module by the frames allocated on it) and on the
/// threads of a thread group (where the overflow guard watches every write).
/// </summary>
public class AbnormalEndStackPointerTests
{
    private const int Top = 0x100000; // 1 MiB: the stack is [0, Top) (no data)

    // frame(depth, mode) pushes a 32-byte frame the way LLVM's prologue does, recurses depth levels, and at the bottom
    // does what mode says: 0 return, 1 trap (unreachable), 2 throw $err uncaught, 3 call the host (which may throw or
    // call back in), 4 call the host and then loop forever (to be interrupted). Each level pops its frame on return.
    private static string Source(string spExport, string memory) => $$"""
        (module
          (import "env" "host" (func $host (param i32)))
          (tag $err (export "err") (param i32))
          {{memory}}
          (global $sp {{spExport}} (mut i32) (i32.const {{Top}}))
          (func $frame (export "frame") (param $depth i32) (param $mode i32) (result i32)
            (local $fp i32)
            (local.set $fp (i32.sub (global.get $sp) (i32.const 32)))
            (global.set $sp (local.get $fp))
            (i32.store (local.get $fp) (local.get $depth))
            (if (local.get $depth)
              (then (drop (call $frame (i32.sub (local.get $depth) (i32.const 1)) (local.get $mode))))
              (else (call $bottom (local.get $mode))))
            (global.set $sp (i32.add (local.get $fp) (i32.const 32)))
            (i32.load (local.get $fp)))
          (func $bottom (param $mode i32)
            (block $spin (block $host (block $throw (block $trap (block $return
              (br_table $return $trap $throw $host $spin (local.get $mode)))
              return)
              unreachable)
              (throw $err (i32.const 7)))
              (call $host (global.get $sp))
              return)
            (call $host (global.get $sp))
            (loop $forever (br $forever)))
          (func (export "sp") (result i32) (global.get $sp))
          ;; A handler in wasm, restoring the stack pointer from the value saved at entry as LLVM's landing pads do.
          (func (export "caught") (param $depth i32) (result i32)
            (local $saved i32)
            (local.set $saved (global.get $sp))
            (block $handler (result i32)
              (try_table (catch $err $handler)
                (drop (call $frame (local.get $depth) (i32.const 2))))
              (i32.const -1)
              return)
            (global.set $sp (local.get $saved)))
          ;; tail(n, trap): a 16-byte frame, popped before each return_call (LLVM's order); at n = 0 returns or traps.
          (func $tail (export "tail") (param $n i32) (param $trap i32) (result i32)
            (local $fp i32)
            (local.set $fp (i32.sub (global.get $sp) (i32.const 16)))
            (global.set $sp (local.get $fp))
            (i32.store (local.get $fp) (local.get $n))
            (if (i32.eqz (local.get $n))
              (then
                (if (local.get $trap) (then unreachable))
                (global.set $sp (i32.add (local.get $fp) (i32.const 16)))
                (return (global.get $sp))))
            (global.set $sp (i32.add (local.get $fp) (i32.const 16)))
            (return_call $tail (i32.sub (i32.load (local.get $fp)) (i32.const 1)) (local.get $trap)))
          ;; The same, but the last level is entered with a plain call under a frame that is never popped on a trap.
          (func (export "tail_under_frame") (param $n i32) (param $trap i32) (result i32)
            (local $fp i32) (local $r i32)
            (local.set $fp (i32.sub (global.get $sp) (i32.const 64)))
            (global.set $sp (local.get $fp))
            (local.set $r (call $tail (local.get $n) (local.get $trap)))
            (global.set $sp (i32.add (local.get $fp) (i32.const 64)))
            (local.get $r)))
        """;

    private static readonly Lazy<Module> Named = new(() => Module.Compile(WatParser.ParseModule(Source("(export \"__stack_pointer\")", "(memory (export \"memory\") 17)"))));
    private static readonly Lazy<Module> Stripped = new(() => Module.Compile(WatParser.ParseModule(Source("", "(memory (export \"memory\") 17)"))));
    private static readonly Lazy<Module> Shared = new(() => Module.Compile(WatParser.ParseModule(Source("(export \"__stack_pointer\")", "(memory (export \"memory\") 17 64 shared)"))));

    private sealed class Host
    {
        public Action<int> OnCall = _ => { };
        public Linker Linker { get; }
        public Host() => Linker = new Linker().DefineFunction("env", "host", (int sp) => OnCall(sp));
    }

    private static int Sp(Instance instance) => instance.Globals[EntryStackPointer.StackPointerGlobal(instance.Module)!.Value].I32;

    public static TheoryData<string> Modules => new() { "named", "stripped" };

    private static Module ModuleFor(string kind) => kind == "named" ? Named.Value : Stripped.Value;

    [Theory]
    [MemberData(nameof(Modules))]
    public void TheStackPointerIsFoundByNameOrByItsFrames(string kind)
    {
        Assert.Equal(0u, EntryStackPointer.StackPointerGlobal(ModuleFor(kind)));
    }

    [Fact]
    public void AnInstanceCalledDirectlyByAnotherIsRestoredToo()
    {
        // A imports B's frame: A's code calls B's without a host frame in between (and tail-calls it too), so the
        // entry into A saves and restores B's stack pointer as well as its own.
        var host = new Host();
        var b = host.Linker.Instantiate(Named.Value);
        var a = new Linker().DefineInstance("b", b).Instantiate(Module.Compile(WatParser.ParseModule($$"""
            (module
              (import "b" "frame" (func $frame (param i32 i32) (result i32)))
              (memory 1)
              (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x8000))
              (func (export "via") (param $depth i32) (param $mode i32) (result i32)
                (local $fp i32) (local $r i32)
                (local.set $fp (i32.sub (global.get $sp) (i32.const 48)))
                (global.set $sp (local.get $fp))
                (local.set $r (call $frame (local.get $depth) (local.get $mode)))
                (global.set $sp (i32.add (local.get $fp) (i32.const 48)))
                (local.get $r))
              (func (export "tail_via") (param $depth i32) (param $mode i32) (result i32)
                (return_call $frame (local.get $depth) (local.get $mode))))
            """)));
        int SpA() => a.GetGlobal("__stack_pointer")!.Value.AsI32;
        Assert.Equal(7, a.Invoke("via", Value.I32(7), Value.I32(0))[0].AsI32);
        foreach (var mode in new[] { 1, 2 })
        {
            Assert.ThrowsAny<Exception>(() => a.Invoke("via", Value.I32(7), Value.I32(mode)));
            Assert.Equal(0x8000, SpA());
            Assert.Equal(Top, Sp(b));
            Assert.ThrowsAny<Exception>(() => a.GetFunction<Func<int, int, int>>("tail_via")(7, mode));
            Assert.Equal(0x8000, SpA());
            Assert.Equal(Top, Sp(b));
        }
    }

    [Fact]
    public void AGlobalThatOnlyLooksLikeAStackPointerKeepsWhatTheFailedCallLeft()
    {
        // A bump allocator's pointer: a mutable i32 with a 16-byte aligned initial value, but no frame is allocated on it.
        // The spec leaves globals as a trap found them; only a real stack pointer is put back.
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (memory 1)
              (global $bump (mut i32) (i32.const 1024))
              (func (export "alloc_then_trap") (global.set $bump (i32.add (global.get $bump) (i32.const 64))) unreachable)
              (func (export "bump") (result i32) (global.get $bump)))
            """));
        Assert.Null(EntryStackPointer.StackPointerGlobal(module));
        var instance = new Linker().Instantiate(module);
        Assert.Throws<TrapException>(() => instance.Invoke("alloc_then_trap"));
        Assert.Throws<TrapException>(() => instance.GetFunction<Action>("alloc_then_trap")());
        Assert.Equal(1024 + 128, instance.Invoke("bump")[0].AsI32);
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public void ATrapAnUncaughtExceptionAndAHostFailureLeaveTheStackPointerAtItsEntryValue(string kind)
    {
        var host = new Host();
        var instance = host.Linker.Instantiate(ModuleFor(kind));
        Assert.Equal(10, instance.Invoke("frame", Value.I32(10), Value.I32(0))[0].AsI32);
        Assert.Equal(Top, Sp(instance));

        Assert.Equal(TrapCode.Unreachable, Assert.Throws<TrapException>(() => instance.Invoke("frame", Value.I32(10), Value.I32(1))).Code);
        Assert.Equal(Top, Sp(instance));

        var exception = Assert.Throws<WasmException>(() => instance.Invoke("frame", Value.I32(10), Value.I32(2)));
        Assert.Equal(7, exception.Payload[0].AsI32);
        Assert.Equal(Top, Sp(instance));

        int seen = 0;
        host.OnCall = sp => { seen = sp; throw new InvalidOperationException("host failure"); };
        var hostError = Assert.Throws<TrapException>(() => instance.Invoke("frame", Value.I32(10), Value.I32(3)));
        Assert.Equal(TrapCode.HostError, hostError.Code);
        Assert.Equal(Top - 11 * 32, seen); // the host ran with the guest's 11 frames live
        Assert.Equal(Top, Sp(instance));

        // Typed delegates take the same path.
        var frame = instance.GetFunction<Func<int, int, int>>("frame");
        Assert.Throws<TrapException>(() => frame(5, 1));
        Assert.Equal(Top, Sp(instance));
        Assert.Throws<WasmException>(() => frame(5, 2));
        Assert.Equal(Top, Sp(instance));
        Assert.Equal(5, frame(5, 0));
        Assert.Equal(Top, Sp(instance));
    }

    [Fact]
    public void ManyFailedCallsDoNotWearTheStackDown()
    {
        // Without the restore each failed call would leave 11 frames (352 bytes) behind: 4,000 calls are 1.4 MB, more
        // than the whole stack, and the stack pointer would have wrapped below address 0.
        var instance = new Host().Linker.Instantiate(Named.Value);
        for (int i = 0; i < 4000; i++)
        {
            if (i % 2 == 0) Assert.Throws<TrapException>(() => instance.Invoke("frame", Value.I32(10), Value.I32(1)));
            else Assert.Throws<WasmException>(() => instance.Invoke("frame", Value.I32(10), Value.I32(2)));
        }
        Assert.Equal(Top, Sp(instance));
        Assert.Equal(20000, instance.Invoke("frame", Value.I32(20000), Value.I32(0))[0].AsI32);
        Assert.Equal(Top, Sp(instance));
    }

    [Fact]
    public void ANestedCallThatTrapsRestoresTheValueTheOuterGuestHad()
    {
        var host = new Host();
        var instance = host.Linker.Instantiate(Named.Value);
        int inner = 0, afterInner = 0;
        host.OnCall = sp =>
        {
            inner = sp;
            // Guest -> host -> guest: the inner call traps, the host catches it and returns normally.
            Assert.Throws<TrapException>(() => instance.Invoke("frame", Value.I32(3), Value.I32(1)));
            afterInner = Sp(instance);
        };
        Assert.Equal(5, instance.Invoke("frame", Value.I32(5), Value.I32(3))[0].AsI32);
        Assert.Equal(Top - 6 * 32, inner);
        Assert.Equal(inner, afterInner); // back where the outer guest code was when it called the host
        Assert.Equal(Top, Sp(instance));

        // The inner exception crosses the host frame and reaches the outer host call: both entries restore.
        host.OnCall = _ => instance.Invoke("frame", Value.I32(3), Value.I32(2));
        Assert.Throws<WasmException>(() => instance.Invoke("frame", Value.I32(5), Value.I32(3)));
        Assert.Equal(Top, Sp(instance));
    }

    [Fact]
    public void AnExceptionCaughtInWasmAndTailCallsLeaveTheStackPointerCorrect()
    {
        var instance = new Host().Linker.Instantiate(Named.Value);
        Assert.Equal(7, instance.Invoke("caught", Value.I32(50))[0].AsI32); // the payload, caught in wasm
        Assert.Equal(Top, Sp(instance));
        // 1,000,000 tail calls, each pushing and popping a 16-byte frame: the stack pointer ends at the top.
        Assert.Equal(Top, instance.Invoke("tail", Value.I32(1_000_000), Value.I32(0))[0].AsI32);
        Assert.Equal(Top, Sp(instance));
        Assert.Equal(Top - 64, instance.Invoke("tail_under_frame", Value.I32(1000), Value.I32(0))[0].AsI32);
        Assert.Equal(Top, Sp(instance));
        // A trap at the end of a tail-call chain under a frame: the entry value comes back.
        Assert.Throws<TrapException>(() => instance.Invoke("tail_under_frame", Value.I32(1000), Value.I32(1)));
        Assert.Equal(Top, Sp(instance));
    }

    [Fact]
    public void ClangsTailCallsLeaveTheStackPointerWhereTheyBegan()
    {
        // fixtures/threads/tail_calls.c (clang-19 -mtail-call, [[clang::musttail]]): each level pops its frame before
        // return_call. Node 20 gives the same results; after the trap it leaves __stack_pointer 16 bytes lower.
        var module = ThreadFixtures.Load("threads/tail_calls.wasm");
        var instance = new Linker().Instantiate(module);
        var sp = instance.GetGlobal("__stack_pointer")!;
        int top = sp.Value.AsI32;
        Assert.Equal(66560, top);
        Assert.Equal(500_000, instance.Invoke("even", Value.I32(1_000_000), Value.I32(0))[0].AsI32);
        Assert.Equal(4, instance.Invoke("odd", Value.I32(7), Value.I32(0))[0].AsI32);
        Assert.Equal(0, instance.Invoke("count_down", Value.I32(1_000_000), Value.I32(0))[0].AsI32);
        Assert.Equal(top, sp.Value.AsI32);
        Assert.Equal(TrapCode.Unreachable, Assert.Throws<TrapException>(() => instance.Invoke("count_down", Value.I32(100), Value.I32(1))).Code);
        Assert.Equal(top, sp.Value.AsI32);

        // On a thread of a group, with the overflow guard checking each of those writes.
        using var group = new ThreadGroup(module, new ThreadGroupOptions { Timeout = ThreadFixtures.JoinTimeout });
        var thread = group.Spawn("even", Value.I32(1_000_000), Value.I32(0));
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(500_000, thread.Result![0].AsI32);
        Assert.Equal(thread.InitialStackPointer, (uint)thread.Instance!.Globals[group.StackPointerGlobal!.Value].I32);
    }

    [Fact]
    public void CancellationAndStackExhaustionRestoreIt()
    {
        var host = new Host();
        var instance = host.Linker.Instantiate(Named.Value);
        using (var cts = new CancellationTokenSource())
        {
            host.OnCall = _ => cts.Cancel(); // the guest then loops until the interrupt stops it
            Assert.Throws<OperationCanceledException>(() => instance.Invoke("frame", cts.Token, Value.I32(20), Value.I32(4)));
            Assert.Equal(Top, Sp(instance));
        }
        using (var cts = new CancellationTokenSource())
        {
            host.OnCall = _ => cts.Cancel();
            var frame = instance.GetFunction<Func<int, int, int>>("frame", cts.Token);
            Assert.Throws<OperationCanceledException>(() => frame(20, 4));
            Assert.Equal(Top, Sp(instance));
        }

        // "call stack exhausted" on a small host stack, long before the 32 KiB frames fill the shadow stack.
        TrapException? trap = null;
        var thread = new Thread(() =>
        {
            try { instance.Invoke("frame", Value.I32(30000), Value.I32(0)); }
            catch (TrapException e) { trap = e; }
        }, 512 * 1024);
        thread.Start();
        Assert.True(thread.Join(ThreadFixtures.JoinTimeout));
        Assert.Equal(TrapCode.CallStackExhausted, trap?.Code);
        Assert.Equal(Top, Sp(instance));
    }

    [Fact]
    public void InAThreadGroupEachFailedThreadIsBackOnItsTopAndItsInstanceStaysUsable()
    {
        var host = new Host();
        host.OnCall = _ => throw new InvalidOperationException("host failure");
        foreach (var mode in new[] { 1, 2, 3 })
        {
            using var group = new ThreadGroup(Shared.Value, new ThreadGroupOptions { Linker = host.Linker, Timeout = ThreadFixtures.JoinTimeout });
            var thread = group.Spawn("frame", Value.I32(100), Value.I32(mode));
            Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
            Assert.NotNull(thread.Error);
            var instance = thread.Instance!;
            instance.ClearInterrupt(); // the group's stop signal, raised by the failure
            Assert.Equal(thread.InitialStackPointer, (uint)instance.Globals[group.StackPointerGlobal!.Value].I32);

            // The thread's instance keeps its overflow guard: failed calls on it never wear its stack down into a
            // false "shadow stack overflow", and a deep call afterwards still fits.
            for (int i = 0; i < 3000; i++)
                Assert.NotEqual(TrapCode.ShadowStackOverflow,
                    (Record.Exception(() => instance.Invoke("frame", Value.I32(10), Value.I32(mode))) as TrapException)?.Code);
            Assert.Equal(thread.InitialStackPointer, (uint)instance.Globals[group.StackPointerGlobal!.Value].I32);
            Assert.Equal(1000, instance.Invoke("frame", Value.I32(1000), Value.I32(0))[0].AsI32);
        }
    }

    [Fact]
    public void AThreadInterruptedByTheGroupsStopAndAThreadOfTailCallsAreOnTheirTops()
    {
        // Thread 1 makes 1,000,000 tail calls and returns; thread 2 is 30 frames deep in an endless loop when thread 3
        // traps and the group stops it ("interrupted"). The order comes from the host callback, not from timing.
        using var inLoop = new ManualResetEventSlim();
        var host = new Host { OnCall = _ => inLoop.Set() };
        using var group = new ThreadGroup(Shared.Value, new ThreadGroupOptions { Linker = host.Linker, StackSize = 64 * 1024, Timeout = ThreadFixtures.JoinTimeout });
        var tail = group.Spawn("tail", Value.I32(1_000_000), Value.I32(0));
        Assert.True(tail.Join(ThreadFixtures.JoinTimeout));
        var spinner = group.Spawn("frame", Value.I32(29), Value.I32(4));
        Assert.True(inLoop.Wait(ThreadFixtures.JoinTimeout));
        var trapper = group.Spawn("frame", Value.I32(50), Value.I32(1));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(trapper.Id, error.ThreadId);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(spinner.Error).Code);
        uint global = group.StackPointerGlobal!.Value;
        Assert.Equal((int)Top, tail.Result![0].AsI32);
        foreach (var thread in new[] { tail, spinner, trapper })
            Assert.Equal(thread.InitialStackPointer, (uint)thread.Instance!.Globals[global].I32);
        Assert.Equal(3, new[] { tail, spinner, trapper }.Select(t => t.InitialStackPointer).Distinct().Count());
    }

    [Fact]
    public void ASecondThreadOnAPlacedStackIsBackOnItsOwnTop()
    {
        var host = new Host();
        using var group = new ThreadGroup(Shared.Value, new ThreadGroupOptions { Linker = host.Linker, StackSize = 64 * 1024, Timeout = ThreadFixtures.JoinTimeout });
        var first = group.Spawn("frame", Value.I32(10), Value.I32(0));
        Assert.True(first.Join(ThreadFixtures.JoinTimeout));
        var second = group.Spawn("frame", Value.I32(100), Value.I32(1));
        Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        Assert.Equal(TrapCode.Unreachable, Assert.IsType<TrapException>(second.Error).Code);
        Assert.NotEqual((uint)Top, second.InitialStackPointer);
        second.Instance!.ClearInterrupt(); // the group's stop signal, raised by the failure
        Assert.Equal(second.InitialStackPointer, (uint)second.Instance!.Globals[group.StackPointerGlobal!.Value].I32);
        // Its guard is on the placed stack: 64 KiB holds 2,000 frames of 32 bytes, and failed calls keep that room.
        for (int i = 0; i < 500; i++) Assert.Throws<TrapException>(() => second.Instance.Invoke("frame", Value.I32(100), Value.I32(1)));
        Assert.Equal(1900, second.Instance.Invoke("frame", Value.I32(1900), Value.I32(0))[0].AsI32);
        Assert.Equal(second.InitialStackPointer, (uint)second.Instance.Globals[group.StackPointerGlobal!.Value].I32);
    }
}
