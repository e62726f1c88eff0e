using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>Tail calls (return_call, return_call_indirect) run in constant stack space.</summary>
public class TailCallTests
{
    private const string Module = """
        (module
          (import "host" "add" (func $host_add (param i64 i64) (result i64)))
          (type $pair (func (param i64 i64) (result i64 i64)))
          (table funcref (elem $a $b))
          (func $even (export "even") (param i64) (result i32)
            (if (result i32) (i64.eqz (local.get 0))
              (then (i32.const 1))
              (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
          (func $odd (export "odd") (param i64) (result i32)
            (if (result i32) (i64.eqz (local.get 0))
              (then (i32.const 0))
              (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
          ;; Through the table, with two results passed on by the callee.
          (func $a (param i64 i64) (result i64 i64)
            (if (result i64 i64) (i64.eqz (local.get 0))
              (then (local.get 0) (local.get 1))
              (else (return_call_indirect (type $pair)
                (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 2)) (i32.const 1)))))
          (func $b (param i64 i64) (result i64 i64)
            (return_call_indirect (type $pair) (local.get 0) (local.get 1) (i32.const 0)))
          (func (export "pairs") (param i64) (result i64 i64) (return_call $a (local.get 0) (i64.const 0)))
          ;; The callee has more stack arguments than the caller (not a plain jump for the JIT).
          (func $few (export "few") (param i64) (result i64)
            (i32.const 5) (drop) (f64.const 1) ;; values below the arguments are dropped first
            (if (param f64) (result i64) (i64.eqz (local.get 0))
              (then (drop) (i64.const 7))
              (else (drop) (return_call $many (i64.sub (local.get 0) (i64.const 1))
                (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
                (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9) (i64.const 10) (i64.const 11)))))
          (func $many (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
            (return_call $few (i64.add (local.get 0) (i64.sub (local.get 11) (i64.const 11)))))
          ;; A tail call to an import.
          (func (export "to_host") (param i64) (result i64) (return_call $host_add (local.get 0) (i64.const 1)))
          ;; Ordinary recursion still exhausts the stack (the JIT's own tail calls are kept out of the way).
          (func $deep (export "deep") (param i64) (result i64) (call $deep (local.get 0)))
          ;; An endless tail-call loop stays interruptible (every function that calls checks the signal at entry).
          (func $spin (export "spin") (return_call $spin))
          ;; A tail call from inside a try_table leaves the caller's frame: its handler no longer applies.
          (tag $e)
          (func $thrower (result i32) (throw $e))
          (func (export "tail_in_try") (result i32)
            (block $h (try_table (catch_all $h) (return_call $thrower))) (i32.const -1))
          ;; A function with try regions, tail-calling itself from inside one: the call is made after leaving it.
          (func $in_try (export "in_try") (param i64) (result i64)
            (block $h (try_table (catch $e $h) (if (i64.eq (local.get 0) (i64.const -5)) (then (throw $e)))))
            (if (i64.eqz (local.get 0)) (then (return (i64.const 3))))
            (block $h2 (try_table (catch_all $h2) (return_call $in_try (i64.sub (local.get 0) (i64.const 1)))))
            (i64.const -1))
          (func (export "call_in_try") (result i32)
            (block $h (try_table (catch_all $h) (return (call $thrower)))) (i32.const -1)))
        """;

    private static Instance Create() =>
        Instantiate(Module, new Linker().DefineFunction("host", "add", (Func<long, long, long>)((x, y) => x + y)));

    /// <summary>Runs <paramref name="action"/> on a thread with a 1 MiB stack: ten million frames would not fit in it.</summary>
    private static T OnSmallStack<T>(Func<T> action)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { result = action(); }
            catch (Exception e) { error = e; }
        }, 1024 * 1024);
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException("the call failed", error);
        return result;
    }

    [Fact]
    public void MutualTailRecursionTenMillionDeepRunsInConstantStack()
    {
        var instance = Create();
        Assert.Equal(1, OnSmallStack(() => instance.Invoke("even", Value.I64(10_000_000))[0].AsI32));
        Assert.Equal(1, OnSmallStack(() => instance.Invoke("odd", Value.I64(10_000_001))[0].AsI32));
        var pairs = OnSmallStack(() => instance.Invoke("pairs", Value.I64(10_000_000)));
        Assert.Equal((0L, 20_000_000L), (pairs[0].AsI64, pairs[1].AsI64));
        Assert.Equal(7L, OnSmallStack(() => instance.Invoke("few", Value.I64(10_000_000))[0].AsI64));
        Assert.Equal(42L, instance.Invoke("to_host", Value.I64(41))[0].AsI64);
        Assert.Equal(3L, OnSmallStack(() => instance.Invoke("in_try", Value.I64(10_000_000))[0].AsI64));
    }

    [Fact]
    public void OrdinaryRecursionStillExhaustsTheStack()
    {
        var instance = Create();
        var error = Assert.Throws<InvalidOperationException>(() => OnSmallStack(() => instance.Invoke("deep", Value.I64(1))));
        Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(error.InnerException).Code);
    }

    [Fact]
    public void AnEndlessTailCallLoopIsInterruptible()
    {
        var instance = Create();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var cancelled = Assert.Throws<OperationCanceledException>(() => instance.Invoke("spin", cancel.Token));
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(cancelled.InnerException).Code);
    }

    [Fact]
    public void ATailCallDropsTheCallersHandlers()
    {
        var instance = Create();
        Assert.Throws<WasmException>(() => instance.Invoke("tail_in_try"));
        Assert.Equal(-1, instance.Invoke("call_in_try")[0].AsI32);
    }

    [Fact]
    public void AFunctionWithABigFrameTailCallsInConstantStack()
    {
        // 3,000 i64 locals: an estimated frame above 32 KiB, so the function gets a guarded entry and a body method.
        string locals = string.Join(" ", Enumerable.Repeat("i64", 3000));
        var instance = Instantiate($$"""
            (module
              (func $big (export "big") (param i64) (result i64)
                (local {{locals}})
                (local.set 2999 (local.get 0))
                (if (result i64) (i64.eqz (local.get 0))
                  (then (local.get 2999))
                  (else (return_call $small (i64.sub (local.get 0) (i64.const 1))))))
              (func $small (param i64) (result i64) (return_call $big (local.get 0))))
            """);
        Assert.Equal(0L, OnSmallStack(() => instance.Invoke("big", Value.I64(1_000_000))[0].AsI64));
    }

    [Fact]
    public void CompiledArtifactsKeepTailCalls()
    {
        var module = Strand.Module.Deserialize(Compile(Module).Serialize());
        var instance = new Linker().DefineFunction("host", "add", (Func<long, long, long>)((x, y) => x + y)).Instantiate(module);
        Assert.Equal(1, OnSmallStack(() => instance.Invoke("even", Value.I64(10_000_000))[0].AsI32));
    }
}
