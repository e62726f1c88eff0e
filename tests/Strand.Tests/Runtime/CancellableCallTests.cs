using Xunit;
using Strand.Runtime;
using Strand.Text;

namespace Strand.Tests.Runtime;

/// <summary>
/// Cancellation of typed delegates and <see cref="FunctionReference.Invoke(CancellationToken, Value[])"/> (docs/embedding.md).
/// The guest cancels the token itself through a host import, then loops: no timers, no sleeps.
/// </summary>
public class CancellableCallTests
{
    private const string Wat = """
        (module
          (import "host" "cancel" (func $cancel))
          (global $calls (export "calls") (mut i32) (i32.const 0))
          (func (export "cancel_then_spin") (result i32)
            (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (call $cancel)
            (loop (br 0))
            (i32.const 7))
          (func (export "pair") (param i32) (result i32 i64)
            (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (local.get 0) (i64.extend_i32_s (i32.mul (local.get 0) (i32.const 3))))
          (func (export "trap") (unreachable)))
        """;

    private static (Instance Instance, CancellationTokenSource Cts) Create()
    {
        var cts = new CancellationTokenSource();
        var linker = new Linker();
        linker.DefineFunction("host", "cancel", () => cts.Cancel());
        return (linker.Instantiate(Module.Compile(WatParser.ParseModule(Wat))), cts);
    }

    private static int Calls(Instance instance) => instance.GetGlobal("calls")!.Value.AsI32;

    [Fact]
    public void ATypedDelegateWithATokenStopsARunningCallAndTheInstanceStaysUsable()
    {
        var (instance, cts) = Create();
        using var _ = instance;
        var spin = instance.GetFunction<Func<int>>("cancel_then_spin", cts.Token);
        var e = Assert.Throws<OperationCanceledException>(() => spin());
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(e.InnerException).Code);
        // The interrupt was cleared: a plain call runs.
        Assert.Equal((5, 15L), instance.GetFunction<Func<int, (int, long)>>("pair")(5));
        Assert.Equal(2, Calls(instance));
    }

    [Fact]
    public void ACancelledTokenStopsTheCallBeforeItStarts()
    {
        var (instance, cts) = Create();
        using var _ = instance;
        cts.Cancel();
        var pair = instance.GetFunction<Func<int, (int, long)>>("pair", cts.Token);
        Assert.Throws<OperationCanceledException>(() => pair(1));
        Assert.Throws<OperationCanceledException>(() => instance.GetFunction("pair").Invoke(cts.Token, Value.I32(1)));
        Assert.Equal(0, Calls(instance));
    }

    [Fact]
    public void ATypedDelegateWithALiveTokenReturnsEveryResult()
    {
        var (instance, cts) = Create();
        using var _ = instance;
        var pair = instance.GetFunction<Func<int, (int, long)>>("pair", cts.Token);
        Assert.Equal((-4, -12L), pair(-4));
        var results = instance.GetFunction("pair").Invoke(cts.Token, Value.I32(9));
        Assert.Equal(9, results[0].AsI32);
        Assert.Equal(27L, results[1].AsI64);
    }

    [Fact]
    public void FunctionReferenceInvokeWithATokenStopsARunningCall()
    {
        var (instance, cts) = Create();
        using var _ = instance;
        var e = Assert.Throws<OperationCanceledException>(() => instance.GetFunction("cancel_then_spin").Invoke(cts.Token));
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal(5, instance.Invoke("pair", Value.I32(5))[0].AsI32);
    }

    [Fact]
    public void AnOrdinaryTrapIsNotTurnedIntoACancellation()
    {
        var (instance, cts) = Create();
        using var _ = instance;
        var trap = Assert.Throws<TrapException>(() => instance.GetFunction<Action>("trap", cts.Token)());
        Assert.Equal(TrapCode.Unreachable, trap.Code);
        trap = Assert.Throws<TrapException>(() => instance.GetFunction("trap").Invoke(cts.Token));
        Assert.Equal(TrapCode.Unreachable, trap.Code);
    }

    [Fact]
    public void AHostFunctionReferenceWithATokenChecksTheTokenAndRuns()
    {
        var linker = new Linker();
        int called = 0;
        linker.DefineFunction("host", "f", (int x) => { called++; return x + 1; });
        linker.DefineFunction("host", "cancel", () => { });
        var instance = linker.Instantiate(Module.Compile(WatParser.ParseModule("""
            (module (import "host" "f" (func $f (param i32) (result i32))) (export "f" (func $f)))
            """)));
        using var cts = new CancellationTokenSource();
        Assert.Equal(42, instance.GetFunction<Func<int, int>>("f", cts.Token)(41));
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => instance.GetFunction<Func<int, int>>("f", cts.Token)(1));
        Assert.Equal(1, called);
    }
}
