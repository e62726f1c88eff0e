using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>Thread groups on modules with several memories (multi-memory): the shared memory holding the shadow stack is memory 1.</summary>
public class MultiMemoryThreadTests
{
    // Memory 0 is private to each instance; memory 1 is shared and holds the shadow stack (__stack_pointer's frames are
    // addressed there). Each thread writes its value into its frame and into its private memory 0, meets the others on
    // an atomic barrier in memory 1 (a spin on an atomic counter: bounded by the group's timeout), then reads both back.
    private const string Wat = """
        (module
          (memory $priv 1)
          (memory $shared 2 16 shared)
          (global $__stack_pointer (export "__stack_pointer") (mut i32) (i32.const 65536))
          (func (export "work") (param $v i32) (param $n i32) (result i32)
            (local $fp i32)
            global.get $__stack_pointer
            i32.const 16
            i32.sub
            local.tee $fp
            global.set $__stack_pointer
            local.get $fp
            local.get $v
            i32.store $shared
            (i32.store $priv (i32.const 64) (local.get $v))
            (drop (i32.atomic.rmw.add $shared (i32.const 16) (i32.const 1)))
            (block $met
              (loop $spin
                (br_if $met (i32.ge_u (i32.atomic.load $shared (i32.const 16)) (local.get $n)))
                (br $spin)))
            ;; 1 when both the frame and the private memory still hold this thread's value
            (i32.and
              (i32.eq (i32.load $shared (local.get $fp)) (local.get $v))
              (i32.eq (i32.load $priv (i32.const 64)) (local.get $v)))
            (global.set $__stack_pointer (i32.add (local.get $fp) (i32.const 16)))))
        """;

    [Fact]
    public void TheSharedMemoryOneHoldsEveryThreadsOwnStack()
    {
        var module = Module.Compile(WatParser.ParseModule(Wat));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackMode = StackMode.Isolated, Timeout = ThreadFixtures.JoinTimeout });
        Assert.Equal(1u, group.Layout.StackMemoryIndex);
        Assert.Equal(1u, group.MemoryIndex);
        Assert.True(group.Memory!.Shared);
        const int count = 3;
        var threads = Enumerable.Range(0, count).Select(i => group.Spawn("work", Value.I32(1000 + i), Value.I32(count))).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        foreach (var thread in threads) Assert.Equal(1, thread.Result![0].AsI32);
        // Each thread had its own stack in memory 1: distinct ranges, the extra ones in pages the host grew.
        var ranges = threads.Select(t => t.StackRange!.Value).ToArray();
        Assert.Equal(count, ranges.Distinct().Count());
        Assert.True(group.Memory.Pages > 2);
    }

    [Fact]
    public void SharedStacksInMemoryOneCollide()
    {
        var module = Module.Compile(WatParser.ParseModule(Wat));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackMode = StackMode.Shared, Timeout = ThreadFixtures.JoinTimeout });
        const int count = 2;
        var threads = Enumerable.Range(0, count).Select(i => group.Spawn("work", Value.I32(1000 + i), Value.I32(count))).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        // Both frames were at the same address of memory 1: the first to write lost its value.
        Assert.Equal(1, threads.Count(t => t.Result![0].AsI32 == 0));
        Assert.NotEmpty(group.Collisions);
    }

    [Fact]
    public void AModuleWhoseStackMemoryCannotBeToldRunsOneThreadAndRefusesASecondClearly()
    {
        // Two memories and a stack pointer, but no code addresses memory through it.
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (memory 1 1 shared)
              (memory 1 1 shared)
              (global (export "__stack_pointer") (mut i32) (i32.const 4096))
              (func (export "f")))
            """));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { Timeout = ThreadFixtures.JoinTimeout });
        Assert.Null(group.Layout.StackMemoryIndex);
        Assert.Equal(SafetyLevel.Unknown, group.Layout.Verdict.UnderStrand.Level);
        Assert.Null(group.StackPointerGlobal);              // neither moved nor guarded
        var first = group.Spawn("f");                         // one thread runs as the module is
        var e = Assert.Throws<ThreadSpawnException>(() => group.Spawn("f"));
        Assert.Contains("cannot be told", e.Message);
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.True(first.IsCompleted);
    }

    [Fact]
    public void TheLayoutAnalysesOnlyTheStacksMemory()
    {
        // Data and constant-address stores in memory 0 lie far above memory 1's data: they must not move its data end.
        var module = Module.Compile(WatParser.ParseModule("""
            (module
              (memory $priv 4)
              (memory $shared 2 16 shared)
              (data (memory $priv) (i32.const 100000) "zzzz")
              (data (memory $shared) (i32.const 1024) "abcd")
              (global $__stack_pointer (export "__stack_pointer") (mut i32) (i32.const 65536))
              (func (export "frame") (local $fp i32)
                global.get $__stack_pointer
                i32.const 32
                i32.sub
                local.tee $fp
                global.set $__stack_pointer
                (i32.store $shared (local.get $fp) (i32.const 7))
                (global.set $__stack_pointer (i32.add (local.get $fp) (i32.const 32))))
              (func (export "far") (i32.store $priv (i32.const 200000) (i32.const 1))))
            """));
        var layout = ModuleLayout.Analyze(module.Definition);
        Assert.Equal(1u, layout.StackMemoryIndex);
        Assert.Equal(1u, layout.Memory!.Index);
        Assert.True(layout.Memory.Shared);
        Assert.Equal(1028u, layout.DataEnd.Value);
        Assert.Equal(new AddressRange(1024, 1028), layout.DataSegments.Single(d => d.Address is not null).Range);
        Assert.Equal(new AddressRange(1040, 65536), layout.StackPointer.Range); // after the data, 16-aligned
    }
}
