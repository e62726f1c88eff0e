using System.Text;
using Strand.Interpreter;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Interpreter;

/// <summary>
/// The interpreter's frames live in the thread's value stack (docs/interpreter.md), not on the native stack, so a
/// recursion of functions with many locals is bounded by <see cref="ValueStack.MaxSlots"/>: it traps "call stack
/// exhausted" as compiled code does when its frames fill the native stack. Before the bound, each level of such a
/// recursion allocated another segment until the machine ran out of memory (40,000 locals: 320 KB a level, and the native
/// stack allowed tens of thousands of levels).
/// </summary>
public class ValueStackLimitTests
{
    private static Instance Instantiate(string wat, InterpreterMode mode)
    {
        var options = new CompileOptions
        {
            Interpreter = mode,
            InterpreterThresholds = mode == InterpreterMode.Always ? new InterpreterThresholds(int.MaxValue, int.MaxValue) : null,
        };
        return new Linker().Instantiate(Strand.Module.Compile(WatParser.ParseModule(wat), options));
    }

    /// <summary>"f" recurses without end, each level with 40,000 i64 locals; "g" recurses n levels and returns n.</summary>
    private static string Module() => new StringBuilder()
        .Append("(module (func $f (export \"f\") (local")
        .Append(string.Concat(Enumerable.Repeat(" i64", 40_000)))
        .Append(") (local.set 39999 (i64.const 1)) (call $f))")
        .Append("(func $g (export \"g\") (param i32) (result i32) (local")
        .Append(string.Concat(Enumerable.Repeat(" i64", 1_000)))
        .Append(") (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))")
        .Append(" (else (i32.add (i32.const 1) (call $g (i32.sub (local.get 0) (i32.const 1))))))))")
        .ToString();

    [Theory]
    [InlineData(InterpreterMode.Always)]
    [InlineData(InterpreterMode.Never)]
    public void ARecursionOfBigFramesTrapsCallStackExhaustedAndTheThreadCallsAgain(InterpreterMode mode)
    {
        var instance = Instantiate(Module(), mode);
        var f = instance.GetFunction<Action>("f");
        var trap = Assert.Throws<TrapException>(f);
        Assert.Equal(TrapCode.CallStackExhausted, trap.Code);
        // The value stack is back where it was: a second runaway traps the same way, and normal calls work.
        Assert.Equal(TrapCode.CallStackExhausted, Assert.Throws<TrapException>(f).Code);
        Assert.Equal(300, instance.GetFunction<Func<int, int>>("g")(300));
    }

    [Fact]
    public void TheRunawayRecursionStopsAtTheLimitOnAThreadWhoseNativeStackWouldAllowMore()
    {
        // On a 1 MiB thread the native stack allows a few thousand interpreted levels: 320 KB each would be about a GB.
        long allocated = 0;
        var error = Compilation.Wasm.OnThread(1024 * 1024, () =>
        {
            var instance = Instantiate(Module(), InterpreterMode.Always);
            try { instance.GetFunction<Action>("f")(); }
            finally { allocated = ValueStack.Current.AllocatedSlots; }
        });
        Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(error).Code);
        Assert.InRange(allocated, 1, 8L * 1024 * 1024); // the documented limit (64 MiB), not the constant, so that the test checks it
    }

    [Fact]
    public void FramesBeyondTheFirstSegmentsWithinTheLimitRunToTheEnd()
    {
        // 2,000 levels of 1,001 slots: 2 Mi slots, several segments, below the 8 Mi limit (and, in the interpreter, a few
        // hundred bytes of native stack a level: far below the main test thread's).
        int levels = 0;
        var error = Compilation.Wasm.OnThread(64 * 1024 * 1024, () =>
        {
            var instance = Instantiate(Module(), InterpreterMode.Always);
            levels = instance.GetFunction<Func<int, int>>("g")(2_000);
        });
        Assert.Null(error);
        Assert.Equal(2_000, levels);
    }
}
