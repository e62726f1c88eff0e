using Strand.Interpreter;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Interpreter;

/// <summary>Helpers: modules compiled with the interpreter as first tier (never tiering up unless told) or without it.</summary>
internal static class Interp
{
    public const int Never = int.MaxValue;

    /// <summary>The module with every translatable function interpreted until <paramref name="calls"/> calls or <paramref name="loops"/> iterations.</summary>
    public static Module Compile(string wat, int calls = Never, int loops = Never) =>
        Module.Compile(WatParser.ParseModule(wat), new CompileOptions
        {
            Interpreter = InterpreterMode.Always,
            InterpreterThresholds = new InterpreterThresholds(calls, loops),
        });

    /// <summary>The module compiled only (no interpreter).</summary>
    public static Module Compiled(string wat) =>
        Module.Compile(WatParser.ParseModule(wat), new CompileOptions { Interpreter = InterpreterMode.Never });

    public static InterpreterTier Tier(Module module) => Assert.IsType<InterpreterTier>(module.Compiled.FirstTier);

    /// <summary>The defined index of export <paramref name="name"/>.</summary>
    public static int Defined(Module module, string name)
    {
        var def = module.Definition;
        var export = def.Exports.Single(e => e.Name == name);
        return (int)export.Index - def.ImportedFunctionCount;
    }

    /// <summary>True when defined function <paramref name="defined"/> has no generated code (so it ran interpreted).</summary>
    public static bool HasNoCode(Module module, int defined) => module.Compiled.Code[defined] == 0;

    /// <summary>Results (bits, so NaN payloads count) or the trap, as text.</summary>
    public static string Outcome(Func<Value[]> call)
    {
        try
        {
            return string.Join(",", call().Select(v => $"{v.Type}:{v.Bits:x}"));
        }
        catch (TrapException e)
        {
            return $"trap {e.Code}: {e.Message}";
        }
    }
}

public class InterpreterTests
{
    [Fact]
    public void ScratchDelegate()
    {
        const string wat = """
            (module
              (func (export "f") (param i32) (result i32)
                (block $b (result i32)
                  (local.get 0)
                  (br $b)
                  (try (do nop) (delegate 0))
                  (i32.const 5))
                (i32.const 1) (i32.add)))
            """;
        var m = Interp.Compile(wat);
        var i = new Linker().Instantiate(m);
        Assert.Equal(8, i.Invoke("f", Value.I32(7))[0].AsI32);
        Assert.True(Interp.HasNoCode(m, 0));
    }
}
