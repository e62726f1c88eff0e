using Strand.Compilation;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// <see cref="MemoryGrowthAnalysis"/>: which calls may grow a memory (the compiler reloads a non-shared memory 0's cached
/// limits only after those). The analysis' answers, and callers that access pages a callee added through several levels of
/// direct calls, <c>call_indirect</c>, <c>return_call</c> and host functions.
/// </summary>
public class MemoryGrowthAnalysisTests
{
    private const string Wat = """
        (module
          (import "host" "grow" (func $host_grow (param i32) (result i32)))   ;; 0
          (memory 1 8)
          (type $grow_t (func (param i32) (result i32)))
          (table 2 funcref)
          (elem (i32.const 0) $grow1 $leaf)
          (func $grow1 (param i32) (result i32) (memory.grow (local.get 0)))                 ;; 1: grows itself
          (func $grow2 (param i32) (result i32) (call $grow1 (local.get 0)))                  ;; 2: through 1
          (func $grow3 (param i32) (result i32) (i32.add (i32.const 0) (call $grow2 (local.get 0)))) ;; 3: through 2 levels
          (func $leaf (param i32) (result i32) (i32.load (local.get 0)))                      ;; 4: no call, no grow
          (func $pure (param i32) (result i32) (i32.add (call $leaf (local.get 0)) (call $leaf (i32.const 0)))) ;; 5: calls a leaf
          (func $indirect (param i32 i32) (result i32)                                        ;; 6: call_indirect
            (call_indirect (type $grow_t) (local.get 0) (local.get 1)))
          (func $via_host (param i32) (result i32) (call $host_grow (local.get 0)))          ;; 7: calls an import
          (func $host2 (param i32) (result i32) (call $via_host (local.get 0)))               ;; 8: through 7
          (func $tail (param i32) (result i32) (return_call $grow2 (local.get 0)))            ;; 9: return_call of a grower
          (func $even (param i32) (result i32)                                                ;; 10: recursion, no growth
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1)) (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
          (func $odd (param i32) (result i32)                                                 ;; 11
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0)) (else (call $even (i32.sub (local.get 0) (i32.const 1))))))
          (func $cycle_a (param i32) (result i32)                                             ;; 12: recursion that grows at the end
            (if (result i32) (i32.eqz (local.get 0)) (then (call $grow3 (i32.const 1))) (else (call $cycle_b (i32.sub (local.get 0) (i32.const 1))))))
          (func $cycle_b (param i32) (result i32) (call $cycle_a (local.get 0)))               ;; 13

          ;; Each reads byte 0 first (the limits are cached at entry), grows by one page through the route named, then
          ;; stores into and loads from the new page at address $a (which traps if a stale limit were used).
          (func (export "two_levels") (param $a i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call $grow3 (i32.const 1)))
            (i32.store (local.get $a) (i32.const 11))
            (i32.load (local.get $a)))
          (func (export "indirect") (param $a i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call $indirect (i32.const 1) (i32.const 0)))
            (i32.store (local.get $a) (i32.const 12))
            (i32.load (local.get $a)))
          (func (export "direct_indirect") (param $a i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call_indirect (type $grow_t) (i32.const 1) (i32.const 0)))
            (i32.store (local.get $a) (i32.const 13))
            (i32.load (local.get $a)))
          (func (export "host") (param $a i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call $host2 (i32.const 1)))
            (i32.store (local.get $a) (i32.const 14))
            (i32.load (local.get $a)))
          (func (export "tail") (param $a i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call $tail (i32.const 1)))
            (i32.store (local.get $a) (i32.const 15))
            (i32.load (local.get $a)))
          (func (export "cycle") (param $a i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call $cycle_a (i32.const 5)))
            (i32.store (local.get $a) (i32.const 16))
            (i32.load (local.get $a)))
          ;; calls that cannot grow between accesses: the cached limits stay valid, out-of-bounds accesses still trap
          (func (export "no_growth") (param $a i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call $pure (i32.const 4)))
            (drop (call $even (i32.const 7)))
            (i32.store (local.get $a) (i32.const 17))
            (i32.load (local.get $a))))
        """;

    private static Instance Instantiate()
    {
        Instance? instance = null;
        var linker = new Linker();
        // The memory is not exported: the host reaches it through Instance.Memory, as WASI does.
        linker.DefineFunction("host", "grow", (int pages) => instance!.Memory!.Grow((uint)pages));
        instance = linker.Instantiate(Module.Compile(WatParser.ParseModule(Wat)));
        return instance;
    }

    [Fact]
    public void TheAnalysisFindsEveryRouteToGrowth()
    {
        var module = Module.Compile(WatParser.ParseModule(Wat));
        var mayGrow = MemoryGrowthAnalysis.MayGrowMemory(module.Definition);
        bool[] expected =
        [
            true,                       // 0 the import
            true, true, true,           // grow1, grow2, grow3
            false, false,               // leaf, pure
            true, true, true, true,     // indirect, via_host, host2, tail
            false, false,               // even, odd
            true, true,                 // cycle_a, cycle_b
            true, true, true, true, true, true, // the exports that grow
            false,                      // no_growth
        ];
        Assert.Equal(expected, mayGrow);
    }

    [Theory]
    [InlineData("two_levels", 11)]
    [InlineData("indirect", 12)]
    [InlineData("direct_indirect", 13)]
    [InlineData("host", 14)]
    [InlineData("tail", 15)]
    [InlineData("cycle", 16)]
    public void ACallerSeesPagesAddedByItsCallee(string export, int stored)
    {
        var instance = Instantiate();
        // The last 4 bytes of the second page: out of bounds before the call, in bounds after it.
        Assert.Equal(stored, instance.Invoke(export, Value.I32(2 * 65536 - 4))[0].AsI32);
        Assert.Equal(2u, instance.Memory!.Pages);
        // Again: now the third page.
        Assert.Equal(stored, instance.Invoke(export, Value.I32(3 * 65536 - 4))[0].AsI32);
        Assert.Equal(3u, instance.Memory!.Pages);
        // One byte past the grown memory still traps.
        var trap = Assert.Throws<TrapException>(() => instance.Invoke(export, Value.I32(4 * 65536 - 3)));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, trap.Code);
        Assert.Equal(4u, instance.Memory!.Pages);
    }

    [Fact]
    public void CallsThatCannotGrowKeepTheLimitsAndStillTrap()
    {
        var instance = Instantiate();
        Assert.Equal(17, instance.Invoke("no_growth", Value.I32(65536 - 4))[0].AsI32);
        var trap = Assert.Throws<TrapException>(() => instance.Invoke("no_growth", Value.I32(65536 - 3)));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, trap.Code);
        Assert.Equal(1u, instance.Memory!.Pages);
    }

    [Fact]
    public void ABodyWithoutRecordedFactsMayGrow()
    {
        var module = Module.Compile(WatParser.ParseModule("(module (func $a (call $b)) (func $b) (func $c))"));
        Assert.Equal([false, false, false], MemoryGrowthAnalysis.MayGrowMemory(module.Definition));
        module.Definition.Bodies[1].DirectCallees = null;
        Assert.Equal([true, true, false], MemoryGrowthAnalysis.MayGrowMemory(module.Definition));
    }
}
