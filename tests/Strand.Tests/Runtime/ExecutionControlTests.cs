using System.Diagnostics;
using Strand.Binary;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Runtime;

public class ExecutionControlTests
{
    [Fact]
    public void AnInfiniteLoopIsInterruptedFromAnotherThread()
    {
        using var running = new ManualResetEventSlim();
        var linker = new Linker().DefineFunction("env", "started", (Action)(() => running.Set()));
        // The host call happens once; afterwards the loop has no calls, so only the back-edge check can stop it.
        var instance = Instantiate("""
            (module
              (import "env" "started" (func $started))
              (func (export "spin") (local i32)
                (call $started)
                (loop $l
                  (local.set 0 (i32.add (local.get 0) (i32.const 1)))
                  (br $l))))
            """, linker);
        Exception? caught = null;
        var worker = new Thread(() =>
        {
            try { instance.Invoke("spin"); }
            catch (Exception e) { caught = e; }
        });
        worker.Start();
        Assert.True(running.Wait(TimeSpan.FromSeconds(30)));
        instance.RequestInterrupt();
        Assert.True(worker.Join(TimeSpan.FromSeconds(30)));
        var trap = Assert.IsType<TrapException>(caught);
        Assert.Equal(TrapCode.Interrupted, trap.Code);
        Assert.Equal("interrupted", trap.Message);

        // While the flag is set, calls trap at entry; once cleared the instance runs again.
        Assert.Equal(TrapCode.Interrupted, Assert.Throws<TrapException>(() => instance.Invoke("spin")).Code);
        instance.ClearInterrupt();
        running.Reset();
    }

    [Fact]
    public void GlobalSetHookSeesStoresToMutableI32Globals()
    {
        var instance = Instantiate("""
            (module
              (global $sp (mut i32) (i32.const 1000))
              (global $other (mut i64) (i64.const 0))
              (func (export "push") (param i32) (result i32)
                (global.set $sp (i32.sub (global.get $sp) (local.get 0)))
                (global.set $other (i64.const 5))
                (global.get $sp)))
            """);
        var seen = new List<(uint, int)>();
        instance.GlobalSetHook = (inst, index, value) =>
        {
            Assert.Same(instance, inst);
            seen.Add((index, value));
            if (value < 0) throw new TrapException(TrapCode.ShadowStackOverflow);
        };
        Assert.Equal(900, instance.Invoke("push", Value.I32(100))[0].AsI32);
        Assert.Equal([(0u, 900)], seen);
        Assert.Equal(TrapCode.ShadowStackOverflow, Assert.Throws<TrapException>(() => instance.Invoke("push", Value.I32(1000))).Code);
        Assert.Equal(900, instance.Invoke("push", Value.I32(0))[0].AsI32); // the rejected store did not happen
        instance.GlobalSetHook = null;
        Assert.Equal(-100, instance.Invoke("push", Value.I32(1000))[0].AsI32);
    }

    [Fact]
    public void ManyInstancesOfOneModuleRunConcurrentlyOnASharedMemory()
    {
        // Each instance keeps a private mutable global (like a shadow-stack pointer) and writes its own slice.
        var module = Compile("""
            (module
              (import "env" "mem" (memory 1 16 shared))
              (global $seed (mut i64) (i64.const 0))
              (func (export "run") (param $base i32) (param $count i32) (param $seed i64) (result i64)
                (local $i i32) (local $sum i64)
                (global.set $seed (local.get $seed))
                (block $done
                  (loop $l
                    (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
                    (i64.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 3)))
                               (i64.add (global.get $seed) (i64.extend_i32_u (local.get $i))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $l)))
                (local.set $i (i32.const 0))
                (block $done2
                  (loop $l2
                    (br_if $done2 (i32.ge_u (local.get $i) (local.get $count)))
                    (local.set $sum (i64.add (local.get $sum)
                      (i64.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 3))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $l2)))
                (local.get $sum)))
            """);
        var memory = new Memory(16, 16, shared: true);
        var linker = new Linker().Define("env", "mem", memory);
        const int threads = 8, count = 1000, rounds = 50;
        var results = new long[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            long total = 0;
            for (int round = 0; round < rounds; round++)
            {
                var instance = linker.Instantiate(module);
                var run = instance.GetFunction<Func<int, int, long, long>>("run");
                total += run(t * count * 8, count, (long)t << 32);
            }
            results[t] = total;
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        for (int t = 0; t < threads; t++)
        {
            long expectedPerRound = ((long)t << 32) * count + (long)count * (count - 1) / 2;
            Assert.Equal(expectedPerRound * rounds, results[t]);
        }
    }

    [Fact]
    public void InstantiatingACompiledModuleIsCheap()
    {
        var module = Compile("""
            (module
              (memory 1)
              (global (mut i32) (i32.const 1024))
              (table 4 funcref)
              (elem (i32.const 0) $a $b)
              (data (i32.const 0) "some data")
              (func $a (export "a") (result i32) (i32.const 1))
              (func $b (export "b") (result i32) (i32.const 2)))
            """);
        var linker = new Linker();
        for (int i = 0; i < 50; i++) linker.Instantiate(module); // warm up
        const int n = 2000;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) linker.Instantiate(module);
        watch.Stop();
        double perInstance = watch.Elapsed.TotalMilliseconds / n;
        Assert.True(perInstance < 1.0, $"instantiation took {perInstance:F3} ms");
        Assert.Equal(2, linker.Instantiate(module).Invoke("b")[0].AsI32);
    }
}
