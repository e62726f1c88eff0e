using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// The entry check of functions that call compares a local's address with a limit this thread has verified
/// (<c>WasmOps.StackLowInverted</c>, lowered by <c>WasmOps.ExtendStack</c>). These cases are the ones a cached limit
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
}
