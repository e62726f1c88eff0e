using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

public class AtomicTests
{
    private const string Module = """
        (module
          (memory (export "mem") 1 1 shared)
          (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
          (func (export "load8_u64") (param i32) (result i64) (i64.atomic.load8_u (local.get 0)))
          (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
          (func (export "add") (param i32 i32) (result i32) (i32.atomic.rmw.add (local.get 0) (local.get 1)))
          (func (export "sub16") (param i32 i32) (result i32) (i32.atomic.rmw16.sub_u (local.get 0) (local.get 1)))
          (func (export "xor64") (param i32 i64) (result i64) (i64.atomic.rmw.xor (local.get 0) (local.get 1)))
          (func (export "xchg8") (param i32 i64) (result i64) (i64.atomic.rmw8.xchg_u (local.get 0) (local.get 1)))
          (func (export "cmpxchg") (param i32 i32 i32) (result i32) (i32.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
          (func (export "cmpxchg8") (param i32 i32 i32) (result i32) (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
          (func (export "wait") (param i32 i32 i64) (result i32) (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
          (func (export "notify") (param i32 i32) (result i32) (memory.atomic.notify (local.get 0) (local.get 1)))
          (func (export "fence") (atomic.fence)))
        """;

    [Fact]
    public void ReadModifyWriteReturnsTheOldValue()
    {
        var instance = Instantiate(Module);
        instance.Invoke("store", Value.I32(8), Value.I32(40));
        Assert.Equal(40, instance.Invoke("add", Value.I32(8), Value.I32(2))[0].AsI32);
        Assert.Equal(42, instance.Invoke("load", Value.I32(8))[0].AsI32);
        Assert.Equal(42, instance.Invoke("sub16", Value.I32(8), Value.I32(43))[0].AsI32);
        Assert.Equal(0xFFFF, instance.Invoke("load", Value.I32(8))[0].AsI32); // 16-bit wrap, upper half untouched
        Assert.Equal(0xFFL, instance.Invoke("load8_u64", Value.I32(8))[0].AsI64);
        Assert.Equal(0xFFFFL, instance.Invoke("xor64", Value.I32(8), Value.I64(0xFF))[0].AsI64);
        Assert.Equal(0x00L, instance.Invoke("xchg8", Value.I32(8), Value.I64(0x1AB))[0].AsI64);
        Assert.Equal(0xFFAB, instance.Invoke("load", Value.I32(8))[0].AsI32);
        Assert.Equal(0xFFAB, instance.Invoke("cmpxchg", Value.I32(8), Value.I32(1), Value.I32(2))[0].AsI32); // no match
        Assert.Equal(0xFFAB, instance.Invoke("cmpxchg", Value.I32(8), Value.I32(0xFFAB), Value.I32(7))[0].AsI32);
        Assert.Equal(7, instance.Invoke("load", Value.I32(8))[0].AsI32);
        // The narrow form compares against the expected value wrapped to 8 bits.
        Assert.Equal(7, instance.Invoke("cmpxchg8", Value.I32(8), Value.I32(0x107), Value.I32(9))[0].AsI32);
        Assert.Equal(9, instance.Invoke("load", Value.I32(8))[0].AsI32);
        instance.Invoke("fence");
    }

    [Fact]
    public void MisalignedAndOutOfBoundsAccessesTrap()
    {
        var instance = Instantiate(Module);
        Assert.Equal("unaligned atomic", Assert.Throws<TrapException>(() => instance.Invoke("load", Value.I32(2))).Message);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("load", Value.I32(65536))).Code);
        Assert.Equal(0L, instance.Invoke("load8_u64", Value.I32(65535))[0].AsI64);
    }

    [Fact]
    public void ConcurrentAtomicAddsAreNotLost()
    {
        var module = Compile("""
            (module
              (import "env" "mem" (memory 1 1 shared))
              (func (export "bump") (param i32)
                (loop $l
                  (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
                  (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))
            """);
        var memory = new Memory(1, 1, shared: true);
        var linker = new Linker().Define("env", "mem", memory);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() => linker.Instantiate(module).Invoke("bump", Value.I32(100_000)))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(400_000, memory.ReadInt32(0));
    }

    [Fact]
    public void WaitAndNotify()
    {
        var instance = Instantiate(Module);
        Assert.Equal(1, instance.Invoke("wait", Value.I32(16), Value.I32(5), Value.I64(-1))[0].AsI32); // value differs
        Assert.Equal(2, instance.Invoke("wait", Value.I32(16), Value.I32(0), Value.I64(1_000_000))[0].AsI32); // 1 ms timeout
        Assert.Equal(0, instance.Invoke("notify", Value.I32(16), Value.I32(1))[0].AsI32); // nobody waiting

        int result = -1;
        var waiter = new Thread(() => result = instance.Invoke("wait", Value.I32(16), Value.I32(0), Value.I64(-1))[0].AsI32);
        waiter.Start();
        // Notify until the waiter has been parked and woken (notify reports how many it woke).
        while (instance.Invoke("notify", Value.I32(16), Value.I32(1))[0].AsI32 == 0) Thread.Yield();
        Assert.True(waiter.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, result);

        var unshared = Instantiate("(module (memory 1) (func (export \"wait\") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0))))");
        Assert.Equal("expected shared memory", Assert.Throws<TrapException>(() => unshared.Invoke("wait")).Message);
    }
}
