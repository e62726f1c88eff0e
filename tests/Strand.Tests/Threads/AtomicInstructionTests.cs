using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>Atomic instructions as compiled code runs them (single thread; concurrency is covered by the group tests).</summary>
public class AtomicInstructionTests
{
    private static Instance Instantiate(string wat) => new Linker().Instantiate(Module.Compile(WatParser.ParseModule(wat)));

    private const string Atomics = """
        (module
          (memory 1 1 shared)
          (func (export "cmpxchg8") (param i32 i32 i32) (result i32) (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
          (func (export "sub16") (param i32 i32) (result i32) (i32.atomic.rmw16.sub_u (local.get 0) (local.get 1)))
          (func (export "xor64") (param i32 i64) (result i64) (i64.atomic.rmw.xor (local.get 0) (local.get 1)))
          (func (export "xchg32_64") (param i32 i64) (result i64) (i64.atomic.rmw32.xchg_u (local.get 0) (local.get 1)))
          (func (export "load_offset") (param i32) (result i32) (i32.atomic.load offset=4 (local.get 0)))
          (func (export "store64") (param i32 i64) (i64.atomic.store (local.get 0) (local.get 1)))
          (func (export "wait32") (param i32 i32 i64) (result i32) (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
          (func (export "notify") (param i32 i32) (result i32) (memory.atomic.notify (local.get 0) (local.get 1)))
          (func (export "fence") (atomic.fence)))
        """;

    [Fact]
    public void NarrowOperationsWrapOperandsAndZeroExtendResults()
    {
        var instance = Instantiate(Atomics);
        var memory = instance.Memory!;
        memory.WriteInt64(0, 0x1111111111111111);
        // cmpxchg8: the expected value is wrapped to 8 bits before the comparison.
        Assert.Equal(0x11, instance.Invoke("cmpxchg8", Value.I32(0), Value.I32(0x7711), Value.I32(0xcdcd))[0].AsI32);
        Assert.Equal(0x111111111111_11cd, memory.ReadInt64(0));
        // sub16 wraps around within 16 bits and returns the old value zero-extended.
        memory.WriteInt16(8, 1);
        Assert.Equal(1, instance.Invoke("sub16", Value.I32(8), Value.I32(2))[0].AsI32);
        Assert.Equal(unchecked((short)0xFFFF), memory.ReadInt16(8));
        Assert.Equal(0xFFFF, instance.Invoke("sub16", Value.I32(8), Value.I32(0))[0].AsI32);

        memory.WriteInt64(16, -1);
        Assert.Equal(-1L, instance.Invoke("xor64", Value.I32(16), Value.I64(0x0F))[0].AsI64);
        Assert.Equal(-16L, memory.ReadInt64(16));
        Assert.Equal(0xFFFFFFF0L, instance.Invoke("xchg32_64", Value.I32(16), Value.I64(0x1_2345_6789))[0].AsI64);
        Assert.Equal(unchecked((long)0xFFFFFFFF_23456789), memory.ReadInt64(16));
        instance.Invoke("fence");
    }

    [Fact]
    public void MisalignedAndOutOfBoundsAccessesTrap()
    {
        var instance = Instantiate(Atomics);
        var unaligned = Assert.Throws<TrapException>(() => instance.Invoke("load_offset", Value.I32(2)));
        Assert.Equal(TrapCode.UnalignedAtomic, unaligned.Code);
        Assert.Equal("unaligned atomic", unaligned.Message);
        Assert.Equal(TrapCode.UnalignedAtomic, Assert.Throws<TrapException>(() => instance.Invoke("store64", Value.I32(4), Value.I64(0))).Code);
        // The offset is added in 64 bits: 0xFFFFFFFC + 4 does not wrap to 0.
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("load_offset", Value.I32(-4))).Code);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("notify", Value.I32(65536), Value.I32(1))).Code);
    }

    [Fact]
    public void WaitReturnsNotEqualOrTimedOut()
    {
        var instance = Instantiate(Atomics);
        instance.Memory!.WriteInt32(64, 5);
        Assert.Equal(1, instance.Invoke("wait32", Value.I32(64), Value.I32(4), Value.I64(-1))[0].AsI32);
        Assert.Equal(2, instance.Invoke("wait32", Value.I32(64), Value.I32(5), Value.I64(1_000_000))[0].AsI32);
        Assert.Equal(0, instance.Invoke("notify", Value.I32(64), Value.I32(10))[0].AsI32);
    }

    [Fact]
    public void WaitingOnAnUnsharedMemoryTrapsAndNotifyReturnsZero()
    {
        var instance = Instantiate("""
            (module
              (memory 1)
              (func (export "wait64") (param i32 i64 i64) (result i32) (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
              (func (export "notify") (param i32 i32) (result i32) (memory.atomic.notify (local.get 0) (local.get 1))))
            """);
        var trap = Assert.Throws<TrapException>(() => instance.Invoke("wait64", Value.I32(0), Value.I64(0), Value.I64(0)));
        Assert.Equal(TrapCode.ExpectedSharedMemory, trap.Code);
        Assert.Equal("expected shared memory", trap.Message);
        Assert.Equal(0, instance.Invoke("notify", Value.I32(0), Value.I32(1))[0].AsI32);
    }
}
