using Strand.Binary;
using Strand.Runtime;

namespace Strand.Tools;

/// <summary>
/// The <c>spectest</c> host module that the official test suite imports: print functions,
/// globals of value 666 / 666.6, a 10..20 funcref table (and its table64 twin, "table64"), a 1..2 page memory and a shared memory.
/// Each call to <see cref="Define"/> creates fresh memory/table/global objects, as the reference
/// interpreter does per script.
/// </summary>
public static class SpecTestModule
{
    /// <summary>The module name the spec test suite imports from.</summary>
    public const string Name = "spectest";

    /// <summary>Defines the spec test suite's <c>spectest</c> imports (print functions, globals, a table and a memory) in <paramref name="linker"/>; the print functions write to <paramref name="output"/> (default: none).</summary>
    public static void Define(Linker linker, TextWriter? output = null)
    {
        // The suite only checks that these exist with the right types; printing is optional noise.
        linker.DefineFunction(Name, "print", () => output?.WriteLine());
        linker.DefineFunction(Name, "print_i32", (int v) => output?.WriteLine($"{v} : i32"));
        linker.DefineFunction(Name, "print_i64", (long v) => output?.WriteLine($"{v} : i64"));
        linker.DefineFunction(Name, "print_f32", (float v) => output?.WriteLine($"{v} : f32"));
        linker.DefineFunction(Name, "print_f64", (double v) => output?.WriteLine($"{v} : f64"));
        linker.DefineFunction(Name, "print_i32_f32", (int a, float b) => output?.WriteLine($"{a} : i32, {b} : f32"));
        linker.DefineFunction(Name, "print_f64_f64", (double a, double b) => output?.WriteLine($"{a} : f64, {b} : f64"));
        linker.Define(Name, "global_i32", new Global(ValType.I32, false, Value.I32(666)));
        linker.Define(Name, "global_i64", new Global(ValType.I64, false, Value.I64(666)));
        linker.Define(Name, "global_f32", new Global(ValType.F32, false, Value.F32(666.6f)));
        linker.Define(Name, "global_f64", new Global(ValType.F64, false, Value.F64(666.6)));
        linker.Define(Name, "table", new Table(new TableType(ValType.FuncRef, new Limits(10, 20))));
        linker.Define(Name, "table64", new Table(new TableType(ValType.FuncRef, new Limits(10, 20, Is64: true))));
        linker.Define(Name, "memory", new Memory(1, 2));
        linker.Define(Name, "shared_memory", new Memory(1, 1, shared: true));
    }
}
