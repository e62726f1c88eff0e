using Strand.Binary;
using Strand.Runtime;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// Compiler checks on modules assembled directly as <see cref="ModuleDefinition"/>s (no decoder involved):
/// one exported function whose body bytes are the module's bytes.
/// </summary>
public class HandBuiltModuleTests
{
    private static readonly ValType I32 = ValType.I32;

    private static Instance Single(FuncType type, byte[] body, params LocalGroup[] locals)
    {
        var def = new ModuleDefinition(body);
        def.Types.Add(type);
        def.FunctionTypeIndices.Add(0);
        def.Bodies.Add(new FunctionBody { Locals = locals, LocalCount = locals.Sum(l => (int)l.Count), CodeStart = 0, CodeEnd = body.Length });
        def.Exports.Add(new Export("f", ExternalKind.Function, 0));
        return new Linker().Instantiate(Module.FromValidatedDefinition(def));
    }

    [Fact]
    public void AddsTwoIntegers()
    {
        // local.get 0; local.get 1; i32.add; end
        var instance = Single(new FuncType([I32, I32], [I32]), [0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B]);
        Assert.Equal(Value.I32(5), instance.Invoke("f", Value.I32(2), Value.I32(3))[0]);
        Assert.Equal(int.MinValue, instance.GetFunction<Func<int, int, int>>("f")(int.MaxValue, 1));
    }

    [Fact]
    public void LoopComputesFactorial()
    {
        // (param n) (local acc) acc=1; block loop (br_if 1 (i32.eqz n)) acc*=n; n-=1; br 0 end end; acc
        byte[] body =
        [
            0x41, 0x01, 0x21, 0x01,             // i32.const 1; local.set 1
            0x02, 0x40,                         // block
            0x03, 0x40,                         //   loop
            0x20, 0x00, 0x45, 0x0D, 0x01,       //     local.get 0; i32.eqz; br_if 1
            0x20, 0x01, 0x20, 0x00, 0x6C, 0x21, 0x01, // acc = acc * n
            0x20, 0x00, 0x41, 0x01, 0x6B, 0x21, 0x00, // n = n - 1
            0x0C, 0x00,                         //     br 0
            0x0B,                               //   end
            0x0B,                               // end
            0x20, 0x01, 0x0B,                   // local.get 1; end
        ];
        var f = Single(new FuncType([I32], [I32]), body, new LocalGroup(1, I32)).GetFunction<Func<int, int>>("f");
        Assert.Equal(120, f(5));
        Assert.Equal(3628800, f(10));
        Assert.Equal(1, f(0));
    }

    [Fact]
    public void DivisionByZeroTraps()
    {
        var f = Single(new FuncType([I32, I32], [I32]), [0x20, 0x00, 0x20, 0x01, 0x6D, 0x0B]).GetFunction<Func<int, int, int>>("f");
        Assert.Equal(-3, f(-7, 2));
        Assert.Equal("integer divide by zero", Assert.Throws<TrapException>(() => f(1, 0)).Message);
        Assert.Equal(TrapCode.IntegerOverflow, Assert.Throws<TrapException>(() => f(int.MinValue, -1)).Code);
    }
}
