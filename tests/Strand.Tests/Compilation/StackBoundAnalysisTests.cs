using Strand.Compilation;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// <see cref="StackBoundAnalysis"/>: functions that call no import and nothing through a table, do not close a cycle of
/// the call graph, and stay within a leaf's stack budget down to the next checking function skip the entry stack check
/// and interrupt poll. Which functions check, and that recursion through unchecked functions still traps "call stack exhausted" on
/// small stacks and loops in them stay interruptible.
/// </summary>
public class StackBoundAnalysisTests
{
    /// <summary>1,000 i64 locals: a frame estimate of about 20 KB (16 bytes per local plus 4 KiB).</summary>
    private static readonly string BigLocals = "(local " + string.Join(" ", Enumerable.Repeat("i64", 1000)) + ")";

    private static string Module => $$"""
        (module
          (import "env" "h" (func $h (param i32) (result i32)))                   ;; 0
          (type $t (func (param i32) (result i32)))
          (table 1 funcref)
          (elem (i32.const 0) $leaf)
          (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))                 ;; 1
          (func $c (param i32) (result i32) {{BigLocals}} (call $leaf (local.get 0)))               ;; 2: 20 + 4 KB
          (func $b (param i32) (result i32) {{BigLocals}} (call $c (local.get 0)))                  ;; 3: 20 + 24 KB: checks
          (func $a (param i32) (result i32) {{BigLocals}} (call $b (local.get 0)))                  ;; 4: 20 + b's 20 KB: checks
          (func $d (param i32) (result i32) (call $b (local.get 0)))                                ;; 5: 4 + b's 20 KB
          (func $self (param i32) (result i32)                                                      ;; 6: recursion
            (if (result i32) (local.get 0) (then (call $self (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0))))
          (func $even (param i32) (result i32)                                                      ;; 7: mutual recursion
            (if (result i32) (local.get 0) (then (call $odd (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 1))))
          (func $odd (param i32) (result i32)                                                       ;; 8
            (if (result i32) (local.get 0) (then (call $even (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0))))
          (func $host (param i32) (result i32) (call $h (local.get 0)))                             ;; 9: calls an import
          (func $indirect (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0))) ;; 10
          (func $small (param i32) (result i32) (call $leaf (call $leaf (local.get 0))))            ;; 11
          (func $tail (param i32) (result i32) (return_call $leaf (local.get 0)))                   ;; 12
          ;; recursion whose every level goes through unchecked functions (d, c) and a checking one (b)
          (func $down (export "down") (param i32) (result i32)                                      ;; 13
            (i32.add (call $d (local.get 0)) (call $down (i32.add (local.get 0) (i32.const 1)))))
          (func (export "count") (param i32) (result i32)                                           ;; 14
            (if (result i32) (local.get 0)
              (then (i32.add (call $small (i32.const 0)) (call 14 (i32.sub (local.get 0) (i32.const 1)))))
              (else (i32.const 0))))
          ;; mutual recursion where only even checks                                                ;; 15
          (func (export "mutual") (param i32) (result i32) (call $even (local.get 0))))
        """;

    [Fact]
    public void CheckingFunctionsCloseCyclesReachTheHostOrExceedTheBudget()
    {
        var module = Compile(Module);
        var types = new ModuleCompilation(module.Definition).FunctionTypes;
        var check = StackBoundAnalysis.NeedsEntryCheck(module.Definition, types);
        bool[] expected =
        [
            true,               // the import
            false, false,       // leaf, c (24 KB down to the leaf)
            true, true,         // b (44 KB), a (b checks, but 20 KB + b's frame exceed the budget)
            false,              // d (b checks: 4 KB + b's 20 KB)
            true,               // self (a self-call is a back edge)
            true, false,        // even, odd: the search reaches even first, so the back edge odd -> even closes the cycle at even
            true, true,         // host, indirect
            false, false,       // small, tail
            true, true,         // down, count (recursive)
            false,              // mutual (calls even, which checks)
        ];
        Assert.Equal(expected, check);
    }

    [Fact]
    public void AChainOfSmallFunctionsChecksOnceItsDepthExceedsTheBudget()
    {
        // f0 -> f1 -> ... -> f19 -> leaf: from the leaf up, the unchecked depth grows by a frame (about 4 KiB) per level
        // until a function checks, then starts again above it.
        var funcs = string.Concat(Enumerable.Range(0, 20).Select(i =>
            $"(func $f{i} (param i32) (result i32) (call {(i == 19 ? "$leaf" : $"$f{i + 1}")} (local.get 0)))\n"));
        var module = Compile($"(module (func $leaf (param i32) (result i32) (local.get 0)) {funcs})");
        var check = StackBoundAnalysis.NeedsEntryCheck(module.Definition, new ModuleCompilation(module.Definition).FunctionTypes);
        Assert.False(check[0]);
        int checks = check.Count(c => c);
        Assert.InRange(checks, 2, 5);
        // Between two checking functions (or below the last), the unchecked run takes at most the budget.
        long frame = FrameGuard.EstimateFrameBytes(module.Definition, 1, new ModuleCompilation(module.Definition).FunctionTypes[1], 0);
        int run = 0;
        for (int f = check.Length - 1; f >= 0; f--)
        {
            if (check[f]) run = 0;
            else Assert.True(++run * frame <= StackBoundAnalysis.BudgetBytes);
        }
    }

    [Theory]
    [InlineData(256 * 1024)]
    [InlineData(1024 * 1024)]
    public void RecursionThroughUncheckedFunctionsTrapsOnSmallStacks(int stackBytes)
    {
        var instance = new Linker().DefineFunction("env", "h", (int n) => n).Instantiate(Compile(Module));
        int result = -1;
        Assert.Null(OnThread(stackBytes, () => result = instance.Invoke("count", Value.I32(20))[0].AsI32));
        Assert.Equal(40, result);
        var e = OnThread(stackBytes, () => instance.Invoke("down", Value.I32(0)));
        Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(e).Code);
        Assert.Null(OnThread(stackBytes, () => result = instance.Invoke("mutual", Value.I32(1001))[0].AsI32));
        Assert.Equal(0, result);
        e = OnThread(stackBytes, () => instance.Invoke("mutual", Value.I32(int.MaxValue)));
        Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(e).Code);
    }

    [Fact]
    public void ALoopInAnUncheckedFunctionIsInterrupted()
    {
        using var running = new ManualResetEventSlim();
        var linker = new Linker().DefineFunction("env", "started", (Action)(() => running.Set()));
        var module = Compile("""
            (module
              (import "env" "started" (func $started))
              (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
              ;; calls only a leaf: no entry check, no entry poll; its loop still polls
              (func $spin_inner (result i32) (local $n i32)
                (loop $l (local.set $n (call $leaf (local.get $n))) (br $l))
                (local.get $n))
              (func (export "spin") (result i32) (call $started) (call $spin_inner)))
            """);
        Assert.False(StackBoundAnalysis.NeedsEntryCheck(module.Definition, new ModuleCompilation(module.Definition).FunctionTypes)[2]);
        var instance = linker.Instantiate(module);
        var caught = RunAndInterrupt(instance, running, () => instance.Invoke("spin"));
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(caught).Code);
    }
}

/// <summary>Calls through a reference (<c>call_ref</c>, <c>return_call_ref</c>) count as calls through a table in both call-graph analyses.</summary>
public class CallRefAnalysisTests
{
    private const string Module = """
        (module
          (type $t (func (param i32) (result i32)))
          (memory 1)
          (elem declare func $grow)
          (func $grow (type $t) (memory.grow (local.get 0)))
          (func $by_ref (param i32) (result i32) (call_ref $t (local.get 0) (ref.func $grow)))
          (func $tail_by_ref (param i32) (result i32) (return_call_ref $t (local.get 0) (ref.func $grow)))
          ;; recursion through a reference: the caller checks
          (func $rec (export "rec") (param i32) (result i32) (i32.add (i32.const 1) (call_ref $t (local.get 0) (ref.func $rec))))
          (func (export "grow_then_store") (param $a i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call $by_ref (i32.const 1)))
            (i32.store (local.get $a) (i32.const 3))
            (i32.load (local.get $a))))
        """;

    [Fact]
    public void CallRefMayGrowAndNeedsTheCheck()
    {
        var module = Compile(Module);
        var growth = MemoryGrowthAnalysis.MayGrowMemory(module.Definition);
        Assert.Equal([true, true, true, true, true], growth);
        var check = StackBoundAnalysis.NeedsEntryCheck(module.Definition, new ModuleCompilation(module.Definition).FunctionTypes);
        Assert.True(check[1]);
        Assert.True(check[2]);
        Assert.True(check[3]);
        var instance = new Linker().Instantiate(module);
        Assert.Equal(3, instance.Invoke("grow_then_store", Value.I32(65536 + 8))[0].AsI32);
        var e = Assert.Throws<TrapException>(() => instance.Invoke("rec", Value.I32(0)));
        Assert.Equal(TrapCode.CallStackExhausted, e.Code);
    }
}
