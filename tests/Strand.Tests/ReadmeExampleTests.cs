using Strand.Runtime;
using Strand.Text;
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
}
