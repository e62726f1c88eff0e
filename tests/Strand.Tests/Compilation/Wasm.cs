using Strand.Runtime;
using Strand.Text;

namespace Strand.Tests.Compilation;

/// <summary>Test helpers: compile WAT text and call single functions.</summary>
internal static class Wasm
{
    public static Module Compile(string wat) => Module.Compile(WatParser.ParseModule(wat));

    public static Instance Instantiate(string wat, Linker? linker = null) => (linker ?? new Linker()).Instantiate(Compile(wat));

    /// <summary>Compiles <c>(func (export "f") (param ...) (result ...) body)</c> and invokes it.</summary>
    public static Value Eval(string signature, string body, params Value[] args)
    {
        var instance = Instantiate($"(module (func (export \"f\") {signature} {body}))");
        return instance.Invoke("f", args).Single();
    }

    /// <summary>Runs <paramref name="action"/> on a new thread of <paramref name="stackBytes"/> bytes of stack; its exception, or null.</summary>
    public static Exception? OnThread(int stackBytes, Action action)
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { caught = e; }
        }, stackBytes);
        thread.Start();
        Xunit.Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "the thread did not finish");
        return caught;
    }

    /// <summary>
    /// Runs <paramref name="call"/> on a background worker, waits until the guest signals <paramref name="running"/> (from a
    /// host function it calls first), interrupts <paramref name="instance"/> and returns what the call threw; fails when
    /// the worker is not stopped within 30 seconds.
    /// </summary>
    public static Exception? RunAndInterrupt(Instance instance, ManualResetEventSlim running, Action call)
    {
        Exception? caught = null;
        var worker = new Thread(() =>
        {
            try { call(); }
            catch (Exception e) { caught = e; }
        }) { IsBackground = true };
        worker.Start();
        Xunit.Assert.True(running.Wait(TimeSpan.FromSeconds(30)), "the guest never started");
        instance.RequestInterrupt();
        Xunit.Assert.True(worker.Join(TimeSpan.FromSeconds(30)), "the guest was not interrupted");
        return caught;
    }
}
