using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// A module with GC types in a thread group: each thread's instance has its own globals and GC objects (GC references
/// are never shared between threads), while the linear memory and the shadow stacks work as for any module.
/// </summary>
public class GcThreadTests
{
    // Each thread builds a linked list of its own in a global of its instance, meets the others on an atomic barrier in
    // the shared memory, then sums its list: the sum shows no thread saw another's list.
    private const string Wat = """
        (module
          (type $node (struct (field i32) (field (ref null $node))))
          (memory 2 16 shared)
          (global $__stack_pointer (export "__stack_pointer") (mut i32) (i32.const 65536))
          (global $list (mut (ref null $node)) (ref.null none))
          (func (export "work") (param $v i32) (param $n i32) (result i32)
            (local $fp i32) (local $k i32) (local $sum i32) (local $p (ref null $node))
            (local.set $fp (i32.sub (global.get $__stack_pointer) (i32.const 16)))
            (global.set $__stack_pointer (local.get $fp))
            (i32.store (local.get $fp) (local.get $v))
            (loop $build
              (global.set $list (struct.new $node (local.get $v) (global.get $list)))
              (br_if $build (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 10))))
            (drop (i32.atomic.rmw.add (i32.const 16) (i32.const 1)))
            (block $met (loop $spin
              (br_if $met (i32.ge_u (i32.atomic.load (i32.const 16)) (local.get $n)))
              (br $spin)))
            (local.set $p (global.get $list))
            (block $done (loop $walk
              (br_if $done (ref.is_null (local.get $p)))
              (local.set $sum (i32.add (local.get $sum) (struct.get $node 0 (local.get $p))))
              (local.set $p (struct.get $node 1 (local.get $p)))
              (br $walk)))
            (global.set $__stack_pointer (i32.add (local.get $fp) (i32.const 16)))
            ;; the list's sum, plus 1 if this thread's frame still holds its value
            (i32.add (local.get $sum) (i32.eq (i32.load (local.get $fp)) (local.get $v)))))
        """;

    [Fact]
    public void EachThreadKeepsItsOwnGcObjects()
    {
        var module = Module.Compile(WatParser.ParseModule(Wat));
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackMode = StackMode.Isolated, Timeout = ThreadFixtures.JoinTimeout });
        const int count = 3;
        var threads = Enumerable.Range(0, count).Select(i => group.Spawn("work", Value.I32(100 + i), Value.I32(count))).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        for (int i = 0; i < count; i++) Assert.Equal(10 * (100 + i) + 1, threads[i].Result![0].AsI32);
    }
}
