using System.Runtime.CompilerServices;
using Strand.Runtime;
using Strand.Threads;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Runtime;

/// <summary>The resident set is process-wide: tests that measure it never run in parallel with other tests.</summary>
[CollectionDefinition(nameof(ResidentMemoryCollection), DisableParallelization = true)]
public sealed class ResidentMemoryCollection;

/// <summary>Deterministic release of memories and instances, and threads that are forgotten once finished.</summary>
[Collection(nameof(ResidentMemoryCollection))]
public class DisposalTests
{
    [Fact]
    public void ADisposedMemoryHasNoPagesAndRefusesUse()
    {
        var memory = new Memory(2, 10);
        memory.WriteInt32(100, 42);
        memory.Dispose();
        Assert.True(memory.IsDisposed);
        Assert.Equal(0, memory.Length);
        Assert.Equal(0u, memory.Pages);
        Assert.Equal(-1, memory.Grow(1));
        Assert.Throws<ObjectDisposedException>(() => memory.ReadInt32(100));
        Assert.Throws<ObjectDisposedException>(() => memory.GetSpan(0, 1));
        memory.Dispose(); // idempotent
    }

    [Fact]
    public void GuestCodeOnADisposedInstanceTrapsInsteadOfTouchingFreedMemory()
    {
        var instance = Instantiate("""
            (module (memory (export "memory") 1)
              (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
              (func (export "size") (result i32) (memory.size))
              (func (export "grow") (result i32) (memory.grow (i32.const 1))))
            """);
        Assert.Equal(0, instance.Invoke("load", Value.I32(8))[0].AsI32);
        var memory = instance.GetMemory("memory")!;
        instance.Dispose();
        Assert.True(memory.IsDisposed);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => instance.Invoke("load", Value.I32(8))).Code);
        Assert.Equal(0, instance.Invoke("size")[0].AsI32);
        Assert.Equal(-1, instance.Invoke("grow")[0].AsI32);
    }

    [Fact]
    public void AnInstanceDoesNotDisposeAMemoryItImports()
    {
        var memory = new Memory(1);
        var linker = new Linker();
        linker.Define("env", "memory", memory);
        var instance = linker.Instantiate(Compile("(module (import \"env\" \"memory\" (memory 1)))"));
        instance.Dispose();
        Assert.False(memory.IsDisposed);
        Assert.Equal(Memory.PageSize, memory.Length);
        memory.Dispose();
    }

    [Fact]
    public void DisposeReturnsTheMemorysPagesToTheOperatingSystemAtOnce()
    {
        if (!OperatingSystem.IsLinux()) return; // resident set size read from /proc
        const int pages = 2048; // 128 MiB
        var memory = new Memory(pages, pages);
        memory.GetSpan(0, pages * Memory.PageSize).Fill(1); // make every page resident
        long before = ResidentBytes();
        memory.Dispose();
        long after = ResidentBytes();
        // Other threads of the test run allocate meanwhile; 96 of the 128 MiB must be gone.
        Assert.True(before - after > 96L * 1024 * 1024, $"resident set went from {before >> 20} MiB to {after >> 20} MiB");
    }

    [Fact]
    public void DroppedMemoriesAreCollectedInProportionToTheirSize()
    {
        if (!OperatingSystem.IsLinux()) return;
        // 16 memories of 128 MiB, every page touched, then dropped without Dispose: 2 GiB in all. Their committed
        // bytes are GC memory pressure, so collections (and the reservations' finalizers) keep up with them.
        long grown = GrowthWhileDropping16Memories();
        // Without it nothing would collect them (the managed allocations are tiny): the set would grow by the whole
        // 2 GiB. Memory pressure alone sometimes let it reach 1.8 GiB on a loaded machine; a new memory now also
        // collects once the committed total passes a mark (512 MiB at first), so the bound holds deterministically.
        Assert.True(grown < 1024L * 1024 * 1024, $"resident set grew by {grown >> 20} MiB");
    }

    [Fact]
    public void DroppedMemoriesStayBoundedAfterLiveOnesAreReleased()
    {
        if (!OperatingSystem.IsLinux()) return;
        // 768 MiB of memories kept live while a new one makes the engine collect: the collect mark goes to twice
        // what is live. Then they are disposed. The dropped memories that follow must be collected at the usual
        // mark again, not at the 1.5 GiB one left behind (which let the resident set grow by 2 GiB before).
        var live = new List<Memory>();
        for (int i = 0; i < 6; i++)
        {
            var m = new Memory(2048, 2048);
            m.GetSpan(0, (int)(2048 * Memory.PageSize)).Fill(1);
            live.Add(m);
        }
        new Memory(1, 1).Dispose();
        Assert.True(AddressSpaceReservation.CollectMark >= 2 * 640L * 1024 * 1024, $"mark {AddressSpaceReservation.CollectMark >> 20} MiB");
        foreach (var m in live) m.Dispose();
        long expected = Math.Max(AddressSpaceReservation.MinCollectMark, 2 * AddressSpaceReservation.Committed);
        Assert.True(AddressSpaceReservation.CollectMark <= expected, $"mark {AddressSpaceReservation.CollectMark >> 20} MiB, expected at most {expected >> 20} MiB");
        long grown = GrowthWhileDropping16Memories();
        Assert.True(grown < 1024L * 1024 * 1024, $"resident set grew by {grown >> 20} MiB");
    }

    [Fact]
    public void AnInstanceStaysAliveWhileItsCodeRuns()
    {
        // The host keeps no reference to the instance while calling it; its code, past its last use of the instance,
        // calls a host function that collects. Compiled code may hold only raw memory addresses by then, so if the
        // instance (and so its memory) could be collected and unmapped there, the code after the call would touch
        // freed memory. The entry stubs keep the called function, and through it the instance, alive for the call.
        var (untyped, typed) = (CollectDuringCall(typedDelegate: false), CollectDuringCall(typedDelegate: true));
        Assert.Equal((true, true), (untyped, typed));
        // The same for an instance whose only reference is a funcref that another instance's code calls with call_ref:
        // its own code keeps it alive (each function's context until it returns).
        Assert.True(CollectDuringCallRef());
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool CollectDuringCallRef()
    {
        var probe = new CollectProbe();
        var linker = new Linker().DefineFunction("host", "collect", probe.Collect);
        var outer = new Linker().Instantiate(Compile("""
            (module (type $t (func (result i32)))
              (func (export "outer") (param (ref null $t)) (result i32) (call_ref $t (local.get 0))))
            """)).GetFunction("outer");
        var invoker = CallStubs.GetUntypedInvoker(outer.TypeId);
        int result = invoker(outer, [Value.FuncRef(StartUntyped(linker, probe))])[0].AsI32;
        Assert.Equal(42, result);
        GC.KeepAlive(outer);
        return probe.AliveDuringCall;
    }

    // Optimised code (AggressiveOptimization; the entry stubs are dynamic methods and the guest code is in a collectible
    // assembly, neither of which is tiered) reports a reference to the GC only while it is still used, as long-running
    // processes get once tiering has optimised the library too: tier-0 code would keep everything alive and hide the fault.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool CollectDuringCall(bool typedDelegate)
    {
        var probe = new CollectProbe();
        var linker = new Linker().DefineFunction("host", "collect", probe.Collect);
        int result;
        if (typedDelegate) result = StartTyped(linker, probe)();
        else
        {
            var function = StartUntyped(linker, probe);
            result = CallStubs.GetUntypedInvoker(function.TypeId)(function, [])[0].AsI32;
        }
        Assert.Equal(42, result);
        return probe.AliveDuringCall;
    }

    private sealed class CollectProbe
    {
        public WeakReference? Instance;
        public bool AliveDuringCall;

        public void Collect()
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            AliveDuringCall = Instance!.IsAlive;
        }
    }

    private const string CollectingModule = """
        (module (import "host" "collect" (func $collect)) (memory 1)
          (func (export "run") (result i32) (local $v i32)
            (i32.store (i32.const 64) (i32.const 42))
            (local.set $v (i32.load (i32.const 64)))
            (call $collect)
            (local.get $v)))
        """;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static FunctionReference StartUntyped(Linker linker, CollectProbe probe)
    {
        var instance = linker.Instantiate(Compile(CollectingModule));
        probe.Instance = new WeakReference(instance);
        return instance.GetFunction("run");
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Func<int> StartTyped(Linker linker, CollectProbe probe)
    {
        var instance = linker.Instantiate(Compile(CollectingModule));
        probe.Instance = new WeakReference(instance);
        return instance.GetFunction<Func<int>>("run");
    }

    /// <summary>How far the resident set grows at most (bytes) while 16 memories of 128 MiB are touched and dropped.</summary>
    private static long GrowthWhileDropping16Memories()
    {
        long start = ResidentBytes(), peak = start;
        for (int i = 0; i < 16; i++)
        {
            TouchAndDrop(2048);
            peak = Math.Max(peak, ResidentBytes());
        }
        return peak - start;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TouchAndDrop(uint pages) => new Memory(pages, pages).GetSpan(0, (int)(pages * Memory.PageSize)).Fill(1);

    private static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }

    [Fact]
    public void AGroupThatForgetsCompletedThreadsKeepsOnlyTheLiveOnes()
    {
        var module = Compile("""
            (module (memory (export "memory") 1 1 shared)
              (func (export "work") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))
            """);
        using var group = new ThreadGroup(module, new ThreadGroupOptions { ForgetCompletedThreads = true });
        var instances = new List<WeakReference<Instance>>();
        for (int i = 1; i <= 50; i++)
        {
            var (weak, id, result) = SpawnAndJoin(group, i);
            Assert.Equal(i, id); // ids keep counting up
            Assert.Equal(2 * i, result);
            instances.Add(weak);
        }
        Assert.Empty(group.Threads);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(instances, w => Assert.False(w.TryGetTarget(out _), "a finished thread's instance is still reachable"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference<Instance> Instance, int Id, int Result) SpawnAndJoin(ThreadGroup group, int argument)
    {
        var thread = group.Spawn("work", Value.I32(argument));
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(thread.Error);
        return (new WeakReference<Instance>(thread.Instance!), thread.Id, thread.Result![0].AsI32);
    }

    [Fact]
    public void AGroupKeepsCompletedThreadsByDefault()
    {
        var module = Compile("(module (func (export \"work\") (result i32) (i32.const 5)))");
        using var group = new ThreadGroup(module);
        var thread = group.Spawn("work");
        group.WaitAll();
        Assert.Same(thread, Assert.Single(group.Threads));
    }
}
