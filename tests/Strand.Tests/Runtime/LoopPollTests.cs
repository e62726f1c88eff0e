using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Runtime;

/// <summary>
/// Counted loops with a small constant trip count run without an interrupt poll at their header
/// (FunctionCompiler.Loops.cs); every loop that only looks like one must keep its poll, and code around a counted loop
/// must stay interruptible.
/// </summary>
public class LoopPollTests
{
    /// <summary>Runs <c>spin</c> (which first calls <c>env.started</c>) on a worker, interrupts it, and returns what it threw.</summary>
    private static Exception? RunAndInterrupt(string body)
    {
        using var running = new ManualResetEventSlim();
        var linker = new Linker().DefineFunction("env", "started", (Action)(() => running.Set()));
        var instance = Instantiate($"""
            (module
              (import "env" "started" (func $started))
              (memory 1)
              (func (export "spin") (result i32) (local $i i32) (local $n i32)
                (call $started)
                {body}
                (local.get $n)))
            """, linker);
        return Compilation.Wasm.RunAndInterrupt(instance, running, () => instance.Invoke("spin"));
    }

    /// <summary>A counted tail: $i += step; continue while $i (op) limit.</summary>
    private static string Tail(int step, string op, int limit) =>
        $"(br_if 0 ({op} (local.tee $i (i32.add (local.get $i) (i32.const {step}))) (i32.const {limit})))";

    [Theory]
    // The counter is reset inside the body.
    [InlineData("(local.set $i (i32.const 0)) (loop (local.set $i (i32.const 0)) " + "TAIL(1,i32.ne,10)" + ")")]
    // A second branch back to the loop.
    [InlineData("(local.set $i (i32.const 0)) (loop (br_if 0 (i32.const 1)) " + "TAIL(1,i32.ne,10)" + ")")]
    [InlineData("(local.set $i (i32.const 0)) (loop (block (br_table 1 0 (i32.const 0))) " + "TAIL(1,i32.ne,10)" + ")")]
    // i32.ne with a step that does not divide the distance: about 2^32 iterations.
    [InlineData("(local.set $i (i32.const 0)) (loop (local.set $n (i32.add (local.get $n) (i32.const 1))) " + "TAIL(3,i32.ne,10)" + ")")]
    // A counted loop inside an endless one: the outer loop's poll stops it.
    [InlineData("(loop (local.set $i (i32.const 0)) (loop (local.set $n (i32.add (local.get $n) (i32.load (local.get $i)))) " + "TAIL(4,i32.lt_u,4096)" + ") (br 0))")]
    // The counter is tee'd by a nested block's code.
    [InlineData("(local.set $i (i32.const 0)) (loop (block (drop (local.tee $i (i32.const 2)))) " + "TAIL(1,i32.lt_s,10)" + ")")]
    // Counting to zero ("local.tee $i; br_if 0"), with a step that does not divide the distance.
    [InlineData("(local.set $i (i32.const -10)) (loop (local.set $n (i32.add (local.get $n) (i32.const 1))) (br_if 0 (local.tee $i (i32.add (local.get $i) (i32.const 3)))))")]
    // A counted-to-zero loop inside an endless one.
    [InlineData("(loop (local.set $i (i32.const -4096)) (loop (local.set $n (i32.add (local.get $n) (i32.load (i32.add (local.get $i) (i32.const 4096))))) (br_if 0 (local.tee $i (i32.add (local.get $i) (i32.const 4))))) (br 0))")]
    public void LoopsThatOnlyLookCountedStayInterruptible(string body)
    {
        body = System.Text.RegularExpressions.Regex.Replace(body, @"TAIL\((-?\d+),([a-z0-9_.]+),(-?\d+)\)",
            m => Tail(int.Parse(m.Groups[1].Value), m.Groups[2].Value, int.Parse(m.Groups[3].Value)));
        var trap = Assert.IsType<TrapException>(RunAndInterrupt(body));
        Assert.Equal(TrapCode.Interrupted, trap.Code);
    }

    [Theory]
    [InlineData(0, 1, "i32.ne", 100, 100)]
    [InlineData(0, 16, "i32.ne", 4096, 256)]
    [InlineData(100, -4, "i32.ne", 0, 25)]
    [InlineData(0, 3, "i32.lt_u", 10, 4)]
    [InlineData(-5, 2, "i32.lt_s", 5, 5)]
    [InlineData(7, 1, "i32.lt_s", 7, 1)]
    public void CountedLoopsRunTheirIterations(int start, int step, string op, int limit, int expected)
    {
        var instance = Instantiate($"""
            (module (func (export "f") (result i32) (local $i i32) (local $n i32)
              (local.set $i (i32.const {start}))
              (loop (local.set $n (i32.add (local.get $n) (i32.const 1))) {Tail(step, op, limit)})
              (local.get $n)))
            """);
        Assert.Equal(expected, instance.Invoke("f")[0].AsI32);
    }

    [Theory]
    [InlineData(-100, 4, 25)]
    [InlineData(100, -1, 100)]
    [InlineData(-1, 1, 1)]
    public void CountedToZeroLoopsRunTheirIterations(int start, int step, int expected)
    {
        var instance = Instantiate($"""
            (module (func (export "f") (result i32) (local $i i32) (local $n i32)
              (local.set $i (i32.const {start}))
              (loop (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br_if 0 (local.tee $i (i32.add (local.get $i) (i32.const {step})))))
              (local.get $n)))
            """);
        Assert.Equal(expected, instance.Invoke("f")[0].AsI32);
    }

    /// <summary>
    /// Cycles of tail calls never exhaust the stack, so only polls stop them: a call alone in a loop, a cycle of two
    /// functions of which only one has a loop (and only one, per the stack-bound analysis, an entry check and poll), and
    /// a call inside a loop with a counter (the shape whose header poll may be skipped) are all interrupted. (Dropping the
    /// entry poll of functions whose every call sits in a polling loop was tried on 2026-11-30: no measurable gain on
    /// shootout-ackermann or fib2, so not kept; with loop polls disabled these cases hang, so they would catch it.)
    /// </summary>
    [Theory]
    [InlineData("cycle")]
    [InlineData("mutual")]
    [InlineData("counted")]
    public void TailCallCyclesThroughCallsInLoopsStayInterruptible(string export)
    {
        using var running = new ManualResetEventSlim();
        var linker = new Linker().DefineFunction("env", "started", (Action)(() => running.Set()));
        var instance = Instantiate($$"""
            (module
              (import "env" "started" (func $started))
              (func $cycle (param i32) (result i32)
                (loop $l (return_call $cycle (i32.add (local.get 0) (i32.const 1))))
                (unreachable))
              (func $ping (param i32) (result i32)
                (loop $l (return_call $pong (i32.add (local.get 0) (i32.const 1))))
                (unreachable))
              (func $pong (param i32) (result i32) (return_call $ping (local.get 0)))
              (func $counted (param i32) (result i32) (local $i i32)
                (local.set $i (i32.const 0))
                (loop $l
                  (if (i32.eq (local.get $i) (i32.const 5)) (then (return_call $counted (local.get 0))))
                  {{Tail(1, "i32.ne", 10)}})
                (i32.const 0))
              (func (export "cycle") (result i32) (call $started) (call $cycle (i32.const 0)))
              (func (export "mutual") (result i32) (call $started) (call $ping (i32.const 0)))
              (func (export "counted") (result i32) (call $started) (call $counted (i32.const 0))))
            """, linker);
        var caught = Compilation.Wasm.RunAndInterrupt(instance, running, () => instance.Invoke(export));
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(caught).Code);
    }
}
