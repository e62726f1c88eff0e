using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// The entry check of functions that call compares a local's address with the instance's stack window, a range of the
/// running thread's stack that thread verified (<c>StackWindow</c>, claimed in the slow path <c>WasmOps.EnterStack</c>
/// from the thread's own limit <c>WasmOps.StackLowInverted</c>, emptied when the call into wasm ends). These cases are the ones a cached limit
/// could get wrong: small stacks, many threads (and so many stacks) on one instance, threads that end and new ones
/// whose stacks may reuse their memory, a host callback that enters wasm on another thread while the first thread is
/// deep in recursion. A failure would crash the test host (a CLR stack overflow cannot be caught).
/// </summary>
public class StackCheckTests
{
    private const string Module = """
        (module
          (import "env" "h" (func $h (param i32) (result i32)))
          ;; runaway recursion
          (func $down (export "down") (param i32) (result i32) (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
          ;; bounded recursion: n levels, returns n
          (func $count (export "count") (param i32) (result i32)
            (if (result i32) (local.get 0)
              (then (i32.add (call $count (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
              (else (i32.const 0))))
          ;; n levels of recursion, then the host function h at the bottom
          (func $deep_then_host (export "deep_then_host") (param i32) (result i32)
            (if (result i32) (local.get 0)
              (then (call $deep_then_host (i32.sub (local.get 0) (i32.const 1))))
              (else (call $h (i32.const 0))))))
        """;

    private static void AssertStackExhausted(Exception? e) =>
        Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(e).Code);

    private static Instance Create(Func<int, int> host) =>
        new Linker().DefineFunction("env", "h", host).Instantiate(Compile(Module));

    [Theory]
    [InlineData(256 * 1024)]
    [InlineData(320 * 1024)]
    [InlineData(1024 * 1024)]
    public void SmallStacksTrapInsteadOfOverflowing(int stackBytes)
    {
        var instance = Create(n => n);
        int result = 0;
        Assert.Null(OnThread(stackBytes, () => result = instance.Invoke("count", Value.I32(50))[0].AsI32));
        Assert.Equal(50, result);
        AssertStackExhausted(OnThread(stackBytes, () => instance.Invoke("down", Value.I32(0))));
    }

    [Fact]
    public void AfterATrapTheSameThreadRecursesAndTrapsAgain()
    {
        // The first runaway recursion lowers this thread's verified limit to near the end of its stack; unwinding
        // leaves it there, and it stays right: bounded recursion completes, runaway recursion traps again.
        var instance = Create(n => n);
        Assert.Null(OnThread(1024 * 1024, () =>
        {
            for (int round = 0; round < 3; round++)
            {
                AssertStackExhausted(Assert.ThrowsAny<Exception>(() => instance.Invoke("down", Value.I32(0))));
                Assert.Equal(1000, instance.Invoke("count", Value.I32(1000))[0].AsI32);
            }
        }));
    }

    [Fact]
    public void ThreadsOfDifferentStackSizesComeAndGoOnOneInstance()
    {
        // 24 short-lived threads, 256 KiB to 8 MiB, one after the other on one instance: a new thread's stack may lie
        // where an ended one's was, with another size. Each must trap with its own limit.
        var instance = Create(n => n);
        int[] sizes = [8 << 20, 256 << 10, 1 << 20, 384 << 10, 4 << 20, 512 << 10];
        for (int i = 0; i < 24; i++)
            AssertStackExhausted(OnThread(sizes[i % sizes.Length], () => instance.Invoke("down", Value.I32(0))));
    }

    [Fact]
    public void AHostCallbackReenteringWasmOnAnotherThreadUsesThatThreadsLimit()
    {
        // Thread A (8 MiB) recurses 20,000 levels (its verified limit is far down its stack), then calls h, which runs
        // wasm on a new 256 KiB thread B: B's runaway recursion traps; its bounded recursion completes; A continues.
        Instance? instance = null;
        Exception? fromB = null;
        int boundedOnB = 0;
        instance = Create(n =>
        {
            fromB = OnThread(256 * 1024, () => instance!.Invoke("down", Value.I32(0)));
            Assert.Null(OnThread(256 * 1024, () => boundedOnB = instance!.Invoke("count", Value.I32(40))[0].AsI32));
            return 7;
        });
        int result = 0;
        Assert.Null(OnThread(8 << 20, () => result = instance.Invoke("deep_then_host", Value.I32(20_000))[0].AsI32));
        Assert.Equal(7, result);
        AssertStackExhausted(fromB);
        Assert.Equal(40, boundedOnB);
    }

    [Fact]
    public void ConcurrentThreadsOnOneInstanceEachTrapOnTheirOwnStack()
    {
        // Four threads with different stacks recurse at the same time on one instance, synchronised by a barrier
        // so their recursions overlap.
        var instance = Create(n => n);
        using var barrier = new Barrier(4);
        var errors = new Exception?[4];
        int[] sizes = [256 << 10, 2 << 20, 512 << 10, 8 << 20];
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            barrier.SignalAndWait();
            try { instance.Invoke("down", Value.I32(0)); }
            catch (Exception e) { errors[i] = e; }
        }, sizes[i])).ToList();
        threads.ForEach(t => t.Start());
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(2)));
        foreach (var e in errors) AssertStackExhausted(e);
    }

    /// <summary>
    /// A window never outlives the call into wasm that filled it: after a return, a trap and a call through a typed
    /// delegate, the instance's window is empty, so a thread that later gets the same stack memory cannot pass a check
    /// with a range verified on a dead thread's stack. Inside the call (seen from the host function at the bottom of
    /// a recursion) it is this thread's, covering the recursion's frames.
    /// </summary>
    [Fact]
    public void AWindowLastsOnlyWhileItsThreadRunsWasm()
    {
        Instance? instance = null;
        StackWindow? inside = null;
        bool emptyInside = true;
        instance = Create(n =>
        {
            inside = instance!.StackWindow;
            emptyInside = inside.IsEmpty;
            return n + 5;
        });
        Assert.Null(OnThread(1 << 20, () =>
        {
            Assert.Equal(5, instance.Invoke("deep_then_host", Value.I32(2_000))[0].AsI32);
            Assert.False(emptyInside);
            Assert.Same(StackWindow.Empty, instance.StackWindow);

            AssertStackExhausted(Assert.ThrowsAny<Exception>(() => instance.Invoke("down", Value.I32(0))));
            Assert.True(instance.StackWindow.IsEmpty);

            var count = instance.GetFunction<Func<int, int>>("count");
            Assert.Equal(300, count(300));
            Assert.True(instance.StackWindow.IsEmpty);
            AssertStackExhausted(Assert.ThrowsAny<Exception>(() => instance.GetFunction<Func<int, int>>("down")(0)));
            Assert.True(instance.StackWindow.IsEmpty);
        }));
    }

    /// <summary>
    /// A window, once an instance points at it, never changes: a thread reading it through the instance while its owner
    /// enters or leaves wasm sees one consistent range. (Until 2026-11-30 the owner emptied and refilled its window's two
    /// fields one after the other; a reader could see Low of one moment and High of another, (Low, 0) or
    /// (nuint.MaxValue, High), for which the check <c>probe - Low &lt;= High - Low</c> passes every probe above Low or
    /// below High: another thread's deep frames unchecked.) Leaving wasm replaces the instance's window with
    /// <see cref="StackWindow.Empty"/> and leaves the one seen inside as it was.
    /// </summary>
    [Fact]
    public void APublishedWindowNeverChanges()
    {
        Assert.All(typeof(StackWindow).GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public),
            f => Assert.True(f.IsInitOnly, f.Name));
        Instance? instance = null;
        StackWindow? inside = null;
        (nuint Low, nuint High) seen = default;
        instance = Create(n =>
        {
            inside = instance!.StackWindow;
            seen = (inside.Low, inside.High);
            return n + 1;
        });
        Assert.Null(OnThread(1 << 20, () =>
        {
            Assert.Equal(1, instance.Invoke("deep_then_host", Value.I32(500))[0].AsI32);
            Assert.False(inside!.IsEmpty);
            Assert.Equal(seen, (inside.Low, inside.High));
            Assert.Same(StackWindow.Empty, instance.StackWindow);
            // A second stay publishes a new window and ends it the same way.
            Assert.Equal(1, instance.Invoke("deep_then_host", Value.I32(500))[0].AsI32);
            Assert.Equal(seen, (inside.Low, inside.High));
            Assert.Same(StackWindow.Empty, instance.StackWindow);
        }));
    }

    /// <summary>
    /// Windows handed over under contention: four threads of different stack sizes (256 KiB to 8 MiB) share one instance
    /// and, all at once, each 25 times: a bounded recursion, a runaway one (which must trap on the thread's own stack),
    /// and a recursion whose host function at the bottom calls back into wasm (bounded, then runaway). Every thread claims,
    /// widens and gives back the instance's window while the others read it at each call.
    /// </summary>
    [Fact]
    public void ThreadsOfDifferentStacksHandTheWindowOverUnderContention()
    {
        Instance? instance = null;
        instance = Create(n =>
        {
            if (instance!.Invoke("count", Value.I32(200))[0].AsI32 != 200) throw new InvalidOperationException("count");
            AssertStackExhausted(Assert.ThrowsAny<Exception>(() => instance.Invoke("down", Value.I32(0))));
            return 4;
        });
        int[] sizes = [256 * 1024, 384 * 1024, 1 << 20, 8 << 20];
        using var start = new Barrier(sizes.Length);
        var errors = new Exception?[sizes.Length];
        var threads = sizes.Select((size, t) => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int round = 0; round < 25; round++)
                {
                    Assert.Equal(100 + round, instance.Invoke("count", Value.I32(100 + round))[0].AsI32);
                    AssertStackExhausted(Assert.ThrowsAny<Exception>(() => instance.Invoke("down", Value.I32(0))));
                    Assert.Equal(4, instance.Invoke("deep_then_host", Value.I32(50 + round))[0].AsI32);
                }
            }
            catch (Exception e) { errors[t] = e; }
        }, size)).ToList();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.All(errors, Assert.Null);
        Assert.Same(StackWindow.Empty, instance.StackWindow);
    }

    /// <summary>
    /// A host function that calls back into wasm on the same thread ends the inner call's window; the outer recursion,
    /// still running, takes the slow path at its next call and claims it again: it still completes, and still traps
    /// when it runs away.
    /// </summary>
    [Fact]
    public void ANestedCallIntoWasmLeavesTheOuterRecursionChecked()
    {
        Instance? instance = null;
        int inner = 0;
        instance = Create(n =>
        {
            inner = instance!.Invoke("count", Value.I32(500))[0].AsI32;
            Assert.True(instance.StackWindow.IsEmpty);
            // Back in the outer recursion (the host function returns to it): runaway recursion from here still traps.
            AssertStackExhausted(Assert.ThrowsAny<Exception>(() => instance.Invoke("down", Value.I32(0))));
            return 9;
        });
        int result = 0;
        Assert.Null(OnThread(512 * 1024, () => result = instance.Invoke("deep_then_host", Value.I32(1_000))[0].AsI32));
        Assert.Equal(9, result);
        Assert.Equal(500, inner);
    }

    /// <summary>
    /// Two threads on one instance: thread A holds the instance's window while it waits inside wasm (in the host function
    /// at the bottom of its recursion); thread B, whose stack is elsewhere, never passes A's window and takes the slow path
    /// at every call, against its own limit: its bounded recursion completes and its runaway recursion traps on its own
    /// 256 KiB stack. A's window is not taken from it, and A's recursion then unwinds normally.
    /// </summary>
    [Fact]
    public void AnotherThreadNeverPassesTheWindowOfTheThreadHoldingIt()
    {
        Instance? instance = null;
        StackWindow? heldByA = null;
        Exception? runawayOnB = null;
        int boundedOnB = 0;
        bool stillA = false;
        instance = Create(n =>
        {
            heldByA = instance!.StackWindow;
            runawayOnB = OnThread(256 * 1024, () => instance.Invoke("down", Value.I32(0)));
            Assert.Null(OnThread(256 * 1024, () => boundedOnB = instance.Invoke("count", Value.I32(2_000))[0].AsI32));
            stillA = ReferenceEquals(heldByA, instance.StackWindow) && !heldByA.IsEmpty;
            return 3;
        });
        int result = 0;
        Assert.Null(OnThread(8 << 20, () => result = instance.Invoke("deep_then_host", Value.I32(20_000))[0].AsI32));
        Assert.Equal(3, result);
        AssertStackExhausted(runawayOnB);
        Assert.Equal(2_000, boundedOnB);
        Assert.True(stillA);
    }

    /// <summary>
    /// The big-frame entry (a function whose frame estimate is over 32 KiB checks frame plus margin before its body,
    /// <c>WasmOps.EnsureStack</c>) uses the same window: a thread holding it passes with the window's compare, another
    /// thread on a 1 MiB stack, recursing through 40 KB frames while the first waits inside, traps on its own stack.
    /// </summary>
    [Fact]
    public void BigFramesUseTheWindowOfTheirOwnThreadOnly()
    {
        string locals = "(local " + string.Join(" ", Enumerable.Repeat("i64", 2_500)) + ")";
        Instance? instance = null;
        Exception? runawayOnB = null;
        long boundedOnB = 0;
        int calls = 0;
        var linker = new Linker().DefineFunction("env", "h", (int n) =>
        {
            if (Interlocked.Increment(ref calls) > 1) return n; // B's bounded recursion ends here too
            runawayOnB = OnThread(1 << 20, () => instance!.Invoke("big", Value.I32(1_000_000)));
            Assert.Null(OnThread(1 << 20, () => boundedOnB = instance!.Invoke("big", Value.I32(10))[0].AsI64));
            return n;
        });
        instance = linker.Instantiate(Compile($$"""
            (module
              (import "env" "h" (func $h (param i32) (result i32)))
              ;; n levels through a frame of 2,500 i64 locals (about 40 KB), the local 2,499 of each level set to its depth
              (func $big (export "big") (param i32) (result i64) {{locals}}
                (local.set 2500 (i64.extend_i32_u (local.get 0)))
                (if (result i64) (local.get 0)
                  (then (i64.add (call $big (i32.sub (local.get 0) (i32.const 1))) (local.get 2500)))
                  (else (i64.extend_i32_u (call $h (i32.const 0))))))
              (func (export "big_then_host") (param i32) (result i64) (call $big (local.get 0))))
            """));
        long result = 0;
        Assert.Null(OnThread(8 << 20, () => result = instance.Invoke("big_then_host", Value.I32(50))[0].AsI64));
        Assert.Equal(50L * 51 / 2, result);
        AssertStackExhausted(runawayOnB);
        Assert.Equal(10L * 11 / 2, boundedOnB);
    }
}
