using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Xunit;

namespace Strand.Tests;

/// <summary>The embedding example from README.md, kept compiling and correct.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void EmbeddingExampleWorks()
    {
        var log = new List<int>();

        // --- README example start
        byte[] wasm = WatParser.ParseModule("""
            (module
              (import "host" "log" (func $log (param i32)))
              (memory (export "memory") 1)
              (func (export "add") (param i32 i32) (result i32)
                (call $log (local.get 0))
                (i32.add (local.get 0) (local.get 1))))
            """);
        var module = Module.Compile(wasm);            // decode + validate + compile to CIL, once

        var linker = new Linker()
            .DefineFunction("host", "log", (int value) => log.Add(value));
        var instance = linker.Instantiate(module);     // cheap: no code generation

        var add = instance.GetFunction<Func<int, int, int>>("add");
        int sum = add(2, 3);                           // typed call: 5
        Value[] results = instance.Invoke("add", Value.I32(40), Value.I32(2)); // untyped: [i32:42]
        Memory memory = instance.GetMemory("memory")!;
        memory.WriteInt32(16, sum);                    // bounds-checked host access
        // --- README example end

        Assert.Equal(5, sum);
        Assert.Equal(42, results.Single().AsI32);
        Assert.Equal(5, memory.ReadInt32(16));
        Assert.Equal(new[] { 2, 40 }, log);
    }

    [Fact]
    public void TrapsAreOneExceptionTypeWithTheSpecMessage()
    {
        var module = Module.Compile(WatParser.ParseModule(
            "(module (func (export \"div\") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))"));
        var div = new Linker().Instantiate(module).GetFunction<Func<int, int, int>>("div");
        var trap = Assert.Throws<TrapException>(() => div(1, 0));
        Assert.Equal(TrapCode.IntegerDivideByZero, trap.Code);
        Assert.Equal("integer divide by zero", trap.Message);
        Assert.Equal(TrapCode.IntegerOverflow, Assert.Throws<TrapException>(() => div(int.MinValue, -1)).Code);
    }

    [Fact]
    public void ThreadGroupExampleWorks()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "seed", "algorithm_threads.wasm");
        var results = new List<long>();

        // --- README threads example start
        var module = Module.FromFile(path);               // imports a shared memory; __stack_pointer not exported
        using var group = new ThreadGroup(module, new ThreadGroupOptions
        {
            StackMode = StackMode.Isolated,               // the default: a private shadow stack per thread
            Timeout = TimeSpan.FromMinutes(1),
        });
        for (int i = 0; i < 3; i++) group.Spawn("algorithm");
        group.WaitAll();                                  // throws ThreadGroupException (with ThreadId) if one trapped
        foreach (var thread in group.Threads)
            results.Add(thread.Result![0].AsI64);         // thread.StackRange: where its stack lives
        // --- README threads example end

        Assert.Equal(new long[] { 5172326400000, 5172326400000, 5172326400000 }, results);
        Assert.Empty(group.Collisions);
        var ranges = group.Threads.Select(t => t.StackRange!.Value).ToList();
        for (int a = 0; a < ranges.Count; a++)
            for (int b = a + 1; b < ranges.Count; b++)
                Assert.True(ranges[a].End <= ranges[b].Start || ranges[b].End <= ranges[a].Start, $"{ranges[a]} overlaps {ranges[b]}");
    }
}
