using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Bounds-check merging (FunctionCompiler.CheckMerging.cs): a load checks the largest end of the later loads through the
/// same local in a run without effects or other traps. The merged check must give the same results and traps as one
/// check per load, and must not move a trap before a store, a global.set, a call or a trap of another kind.
/// </summary>
public class CheckMergingTests
{
    private const string Module = """
        (module
          (import "env" "log" (func $log (param i32)))
          (memory (export "mem") 1)
          (global $g (export "g") (mut i32) (i32.const 0))
          ;; three loads through $p at increasing offsets, arithmetic between: one check covers offsets 0..12
          (func (export "sum3") (param $p i32) (result i32)
            (i32.add
              (i32.add (i32.load (local.get $p)) (i32.mul (i32.load offset=4 (local.get $p)) (i32.const 3)))
              (i32.load offset=8 (local.get $p))))
          ;; a store between two loads: the store happens before the second load traps
          (func (export "store_between") (param $p i32) (param $q i32) (result i32)
            (local $a i32)
            (local.set $a (i32.load (local.get $p)))
            (i32.store (local.get $q) (i32.const 77))
            (i32.add (local.get $a) (i32.load offset=8 (local.get $p))))
          ;; a global.set between
          (func (export "global_between") (param $p i32) (result i32)
            (local $a i32)
            (local.set $a (i32.load (local.get $p)))
            (global.set $g (i32.const 5))
            (i32.add (local.get $a) (i32.load offset=8 (local.get $p))))
          ;; a call between
          (func (export "call_between") (param $p i32) (result i32)
            (local $a i32)
            (local.set $a (i32.load (local.get $p)))
            (call $log (i32.const 9))
            (i32.add (local.get $a) (i32.load offset=8 (local.get $p))))
          ;; a division by zero between: it traps first
          (func (export "div_between") (param $p i32) (param $d i32) (result i32)
            (local $a i32)
            (local.set $a (i32.div_s (i32.load (local.get $p)) (local.get $d)))
            (i32.add (local.get $a) (i32.load offset=8 (local.get $p))))
          ;; $p rewritten between: the second load uses the new value
          (func (export "rewritten") (param $p i32) (result i32)
            (local $a i32)
            (local.set $a (i32.load (local.get $p)))
            (local.set $p (i32.const 0))
            (i32.add (local.get $a) (i32.load offset=8 (local.get $p))))
          ;; a narrower load and a wider one further on
          (func (export "mixed") (param $p i32) (result i64)
            (i64.add (i64.extend_i32_u (i32.load8_u offset=1 (local.get $p))) (i64.load offset=8 (local.get $p)))))
        """;

    private static (Instance Instance, List<int> Log) Create()
    {
        var log = new List<int>();
        var instance = new Linker().DefineFunction("env", "log", (Action<int>)log.Add).Instantiate(Compile(Module));
        return (instance, log);
    }

    private static void AssertOutOfBounds(Action action) =>
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(action).Code);

    [Fact]
    public void MergedLoadsGiveTheValuesAndTrapExactlyPastTheEnd()
    {
        var (instance, _) = Create();
        var memory = instance.GetMemory("mem")!;
        int p = 65536 - 12;
        memory.WriteInt32(p, 1);
        memory.WriteInt32(p + 4, 10);
        memory.WriteInt32(p + 8, 100);
        Assert.Equal(131, instance.Invoke("sum3", Value.I32(p))[0].AsI32);
        AssertOutOfBounds(() => instance.Invoke("sum3", Value.I32(p + 1)));
        AssertOutOfBounds(() => instance.Invoke("sum3", Value.I32(-1)));
        memory.WriteByte(p - 4 + 1, 7);
        memory.WriteInt64(p - 4 + 8, 100);
        Assert.Equal(7L + 100, instance.Invoke("mixed", Value.I32(p - 4))[0].AsI64);
        AssertOutOfBounds(() => instance.Invoke("mixed", Value.I32(p - 3)));
    }

    [Fact]
    public void EffectsBeforeALaterOutOfBoundsLoadHappen()
    {
        int p = 65536 - 8; // the load at offset 0 fits, the one at offset 8 does not
        var (instance, log) = Create();
        var memory = instance.GetMemory("mem")!;
        AssertOutOfBounds(() => instance.Invoke("store_between", Value.I32(p), Value.I32(64)));
        Assert.Equal(77, memory.ReadInt32(64));
        AssertOutOfBounds(() => instance.Invoke("global_between", Value.I32(p)));
        Assert.Equal(5, instance.GetGlobal("g")!.Value.AsI32);
        AssertOutOfBounds(() => instance.Invoke("call_between", Value.I32(p)));
        Assert.Equal([9], log);
        var trap = Assert.Throws<TrapException>(() => instance.Invoke("div_between", Value.I32(p), Value.I32(0)));
        Assert.Equal(TrapCode.IntegerDivideByZero, trap.Code);
        memory.WriteInt32(8, 5);
        memory.WriteInt32(p, 3);
        Assert.Equal(8, instance.Invoke("rewritten", Value.I32(p))[0].AsI32);
    }
}
