using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// Bounds checks (docs/compiler.md, "Memory access"): on a memory 0 that is not shared the cached limits are refreshed after
/// every call and <c>memory.grow</c> and a failed check traps through a trap block shared per stack shape; on a shared
/// memory the slow path re-reads the length. Growth seen through each route, traps with values on the stack, no partial store.
/// </summary>
public class BoundsCheckTests
{
    private const string Wat = """
        (module
          (import "host" "grow" (func $host_grow (param i32) (result i32)))
          (memory (export "mem") 1 4)
          (func $grow (param i32) (result i32) (memory.grow (local.get 0)))
          ;; reads byte 0 (caching the limits), grows by one page through $grow, then reads and writes the new page
          (func (export "after_call") (param i32) (result i32)
            (drop (i32.load8_u (i32.const 0)))
            (drop (call $grow (i32.const 1)))
            (i32.store (local.get 0) (i32.const 7))
            (i32.load (local.get 0)))
          ;; the same through the function's own memory.grow
          (func (export "after_grow") (param i32) (result i64)
            (drop (i64.load (i32.const 0)))
            (drop (memory.grow (i32.const 1)))
            (i64.store (local.get 0) (i64.const 9))
            (i64.load (local.get 0)))
          ;; the same through a host function that grows the memory
          (func (export "after_host") (param i32) (result i32)
            (drop (i32.load16_u (i32.const 0)))
            (drop (call $host_grow (i32.const 1)))
            (i32.load16_u (local.get 0)))
          ;; grows in a loop: every iteration touches the new page's last byte
          (func (export "loop") (param i32) (result i32) (local i32)
            (loop $l
              (if (i32.ne (call $grow (i32.const 1)) (i32.const -1))
                (then
                  (i32.store8 (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)) (i32.const 5))
                  (local.set 1 (i32.add (local.get 1) (i32.load8_u (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)))))
                  (br $l))))
            (local.get 1))
          ;; accesses with several values under them on the stack (different trap shapes in one function)
          (func (export "shapes") (param i32 i64 f64) (result f64)
            (f64.add
              (f64.convert_i64_s (i64.add (local.get 1) (i64.load offset=8 (local.get 0))))
              (f64.add (local.get 2) (f64.convert_i32_s (i32.add (i32.load8_s (local.get 0)) (i32.load16_s offset=2 (local.get 0)))))))
          ;; an 8-byte store that ends one byte past the memory: traps before writing anything
          (func (export "store64") (param i32 i64) (i64.store (local.get 0) (local.get 1))))
        """;

    private static Instance Instantiate()
    {
        Memory? memory = null;
        var linker = new Linker();
        linker.DefineFunction("host", "grow", (int pages) => memory!.Grow((uint)pages));
        var instance = linker.Instantiate(Module.Compile(WatParser.ParseModule(Wat)));
        memory = instance.GetMemory("mem");
        return instance;
    }

    [Fact]
    public void GrowthInACalleeIsSeenAfterTheCall()
    {
        var instance = Instantiate();
        Assert.Equal(7, instance.Invoke("after_call", Value.I32(65536 + 100))[0].AsI32);
        Assert.Equal(2u, instance.GetMemory("mem")!.Pages);
    }

    [Fact]
    public void GrowthByTheFunctionItselfIsSeen()
    {
        var instance = Instantiate();
        Assert.Equal(9L, instance.Invoke("after_grow", Value.I32(2 * 65536 - 8))[0].AsI64);
        Assert.Equal(9L, instance.Invoke("after_grow", Value.I32(3 * 65536 - 8))[0].AsI64);
        Assert.Equal(3u, instance.GetMemory("mem")!.Pages);
    }

    [Fact]
    public void GrowthByAHostFunctionIsSeen()
    {
        var instance = Instantiate();
        Assert.Equal(0, instance.Invoke("after_host", Value.I32(2 * 65536 - 2))[0].AsI32);
        Assert.Equal(2u, instance.GetMemory("mem")!.Pages);
    }

    [Fact]
    public void GrowthInsideALoopIsSeenAtEveryIteration()
    {
        var instance = Instantiate();
        Assert.Equal(15, instance.Invoke("loop", Value.I32(0))[0].AsI32); // pages 2, 3 and 4, then the maximum
    }

    [Fact]
    public void TrapsWithValuesOnTheStackAreExact()
    {
        var instance = Instantiate();
        instance.GetMemory("mem")!.WriteInt32(65536 - 16 + 8, 40);
        Assert.Equal(40.0 + 2 + 0.5, instance.Invoke("shapes", Value.I32(65536 - 16), Value.I64(2), Value.F64(0.5))[0].AsF64);
        foreach (int address in new[] { 65536 - 15, 65536 - 2, 65536, -1 })
        {
            var trap = Assert.Throws<TrapException>(() => instance.Invoke("shapes", Value.I32(address), Value.I64(2), Value.F64(0.5)));
            Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, trap.Code);
        }
    }

    [Fact]
    public void AStoreThatEndsPastTheMemoryWritesNothing()
    {
        var instance = Instantiate();
        var memory = instance.GetMemory("mem")!;
        var trap = Assert.Throws<TrapException>(() => instance.Invoke("store64", Value.I32(65536 - 7), Value.I64(-1)));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, trap.Code);
        Assert.Equal(new byte[7], memory.ReadBytes(65536 - 7, 7));
        instance.Invoke("store64", Value.I32(65536 - 8), Value.I64(-1));
        Assert.Equal(-1, memory.ReadInt32(65536 - 4));
    }

    [Fact]
    public void GrowthByACalleeThatThrowsIsSeenInTheHandlerAndAfterIt()
    {
        var instance = new Linker().Instantiate(Module.Compile(WatParser.ParseModule("""
            (module
              (tag $e)
              (memory 1 3)
              (func $grow_and_throw (drop (memory.grow (i32.const 1))) (throw $e))
              ;; reads (caching the limits), catches the callee's exception, then reads the page it added, in and after a
              ;; legacy handler and after a try_table's handler
              (func (export "legacy") (param i32) (result i32)
                (drop (i32.load (i32.const 0)))
                (try (result i32)
                  (do (call $grow_and_throw) (i32.const -1))
                  (catch $e (i32.load (local.get 0))))
                (i32.add (i32.load offset=4 (local.get 0))))
              (func (export "table") (param i32) (result i32)
                (drop (i32.load (i32.const 0)))
                (block $h (try_table (catch $e $h) (call $grow_and_throw)))
                (i32.add (i32.const 1) (i32.load (local.get 0))))
              ;; an access inside a try body that traps (its trap must stay inside the region)
              (func (export "inside") (param i32) (result i32)
                (block $h (return (try_table (result i32) (catch_all $h) (i32.add (i32.const 1) (i32.load (local.get 0))))))
                (i32.const -1)))
            """)));
        Assert.Equal(0, instance.Invoke("legacy", Value.I32(65536 + 16))[0].AsI32);
        Assert.Equal(1, instance.Invoke("table", Value.I32(2 * 65536 + 16))[0].AsI32);
        Assert.Equal(1, instance.Invoke("inside", Value.I32(3 * 65536 - 4))[0].AsI32);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("inside", Value.I32(3 * 65536 - 3))).Code);
    }

    [Fact]
    public void AMemory64AccessWithAnOffsetAndValuesOnTheStackCompilesAndTraps()
    {
        // Before: the wrap-around check branched to one trap label from different stack shapes, an invalid CIL program.
        var instance = new Linker().Instantiate(Module.Compile(WatParser.ParseModule("""
            (module
              (memory i64 1)
              (func (export "f") (param i64) (result i32)
                (i32.add (i32.load offset=4 (local.get 0)) (i32.load offset=8 (local.get 0)))))
            """)));
        Assert.Equal(0, instance.Invoke("f", Value.I64(0))[0].AsI32);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("f", Value.I64(-6))).Code);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("f", Value.I64(65536 - 11))).Code);
    }
}
