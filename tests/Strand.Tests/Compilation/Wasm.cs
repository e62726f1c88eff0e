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
}
