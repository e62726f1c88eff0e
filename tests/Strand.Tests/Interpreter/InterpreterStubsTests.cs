using Strand.Binary;
using Strand.Interpreter;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Interpreter;

/// <summary>
/// The interpreter's stubs (entry thunks and call-outs, one per signature) are shared by every module of the process, and
/// bounded (<see cref="InterpreterStubs.MaxSharedSignatures"/>): signatures are the guest's to choose, and a stream of
/// hostile modules must not grow the process without end. Past the bound a call-out is made for the module alone, and a
/// function without a thunk runs compiled.
/// </summary>
public class InterpreterStubsTests
{
    private static FuncType Unary(ValType t) => new([t], [t]);

    [Fact]
    public void AFullCacheMakesNoMoreThunksAndKeepsNoMoreCallOuts()
    {
        var stubs = new InterpreterStubs(maxSignatures: 2);
        nint i32 = stubs.Thunk(Unary(ValType.I32));
        nint i64 = stubs.Thunk(Unary(ValType.I64));
        Assert.NotEqual(0, i32);
        Assert.NotEqual(0, i64);
        Assert.NotEqual(i32, i64);
        Assert.Equal(0, stubs.Thunk(Unary(ValType.F32)));      // a third signature: none
        Assert.Equal(i32, stubs.Thunk(Unary(ValType.I32)));    // the cached ones stay
        Assert.Equal((0, 2), stubs.Counts);

        var first = stubs.CallOutFor(Unary(ValType.I32));
        Assert.Same(first, stubs.CallOutFor(Unary(ValType.I32)));
        stubs.CallOutFor(Unary(ValType.I64));
        var extra = stubs.CallOutFor(Unary(ValType.F64));     // made, but not kept
        Assert.NotSame(extra, stubs.CallOutFor(Unary(ValType.F64)));
        Assert.Equal((2, 2), stubs.Counts);
    }

    [Fact]
    public void AFunctionWithoutAThunkRunsCompiledAndRight()
    {
        // Functions 0, 8 and 16: chunks hold at most 4 functions, so compiling one leaves the others' code alone.
        string filler = string.Concat(Enumerable.Repeat("(func (result i32) (i32.const 0))", 7));
        string wat = $"""
            (module
              (func (export "a") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
              {filler}
              (func (export "b") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))
              {filler}
              (func (export "c") (param f64) (result f64) (f64.add (local.get 0) (f64.const 0.5))))
            """;
        var options = new CompileOptions { Interpreter = InterpreterMode.Always, InterpreterThresholds = new InterpreterThresholds(int.MaxValue, int.MaxValue) };
        var module = Strand.Module.Compile(WatParser.ParseModule(wat), options);
        var tier = (InterpreterTier)module.Compiled.FirstTier!;
        tier.Stubs = new InterpreterStubs(maxSignatures: 1);
        var instance = new Linker().Instantiate(module);
        for (int round = 0; round < 2; round++)
        {
            Assert.Equal(42, instance.GetFunction<Func<int, int>>("a")(41));
            Assert.Equal(42L, instance.GetFunction<Func<long, long>>("b")(14));
            Assert.Equal(42.0, instance.GetFunction<Func<double, double>>("c")(41.5));
        }
        // "a" got the one thunk and stays interpreted; "b" and "c" found none and were compiled.
        Assert.Equal(0, module.Compiled.Code[0]);
        Assert.NotEqual(0, module.Compiled.Code[8]);
        Assert.NotEqual(0, module.Compiled.Code[16]);
        Assert.Equal((0, 1), tier.Stubs.Counts);
    }
}
