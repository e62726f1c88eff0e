using Strand.Interpreter;
using Strand.Runtime;
using Strand.Tests.Threads;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Interpreter;

/// <summary>
/// The threads layer's programs (C, wasi-libc, LLVM's __stack_pointer) with their functions interpreted: the shadow-stack
/// guard sees interpreted global.set exactly as compiled ones (docs/threads.md), thread-local storage and the shared
/// memory work, results are the compiled ones.
/// </summary>
public class InterpreterThreadTests
{
    private static Module Load(string relativePath, bool neverTierUp = true) =>
        Module.Compile(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", relativePath)), new CompileOptions
        {
            Interpreter = InterpreterMode.Always,
            InterpreterThresholds = neverTierUp ? new InterpreterThresholds(int.MaxValue, int.MaxValue) : new InterpreterThresholds(20, 500),
        });

    private const string RecursionWat = """
        (module
          (import "env" "memory" (memory 2 16 shared))
          (global $__stack_pointer (mut i32) (i32.const 65536))
          ;; 1 KiB of shadow stack a level, written and read back after the callee returns
          (func $recurse (export "recurse") (param $n i32) (result i32) (local $fp i32)
            (global.set $__stack_pointer (local.tee $fp (i32.sub (global.get $__stack_pointer) (i32.const 1024))))
            (i32.store (local.get $fp) (local.get $n))
            (if (local.get $n) (then (drop (call $recurse (i32.sub (local.get $n) (i32.const 1))))))
            (local.set $n (i32.load (local.get $fp)))
            (global.set $__stack_pointer (i32.add (local.get $fp) (i32.const 1024)))
            (local.get $n)))
        """;

    private static (string Outcome, string Small) RunRecursion(Module module)
    {
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StackSize = 16 * 1024 });
        var fits = group.Spawn("recurse", Value.I32(14));
        Assert.True(fits.Join(ThreadFixtures.JoinTimeout));
        var deep = group.Spawn("recurse", Value.I32(40));
        var error = Assert.IsType<ThreadGroupException>(ThreadFixtures.Finish(group));
        var trap = Assert.IsType<TrapException>(error.InnerException);
        return ($"{trap.Code}: {trap.Message}", Interp.Outcome(() => fits.Result!));
    }

    [Fact]
    public void AnInterpretedRecursionOverflowingItsShadowStackTrapsAsCompiledCodeDoes()
    {
        var interpreted = Module.Compile(Strand.Text.WatParser.ParseModule(RecursionWat), new CompileOptions
        {
            Interpreter = InterpreterMode.Always,
            InterpreterThresholds = new InterpreterThresholds(int.MaxValue, int.MaxValue),
        });
        var compiled = Module.Compile(Strand.Text.WatParser.ParseModule(RecursionWat), new CompileOptions { Interpreter = InterpreterMode.Never });
        var expected = RunRecursion(compiled);
        var actual = RunRecursion(interpreted);
        Assert.Equal(expected, actual);
        Assert.Equal("I32:e", actual.Small);
        Assert.StartsWith("ShadowStackOverflow: shadow stack overflow in thread 2: __stack_pointer would be", actual.Outcome);
        Assert.True(Interp.HasNoCode(interpreted, 0)); // the stores to __stack_pointer were the interpreter's
    }

    [Fact]
    public void TwoThreadsRunTheSeedAlgorithmWhileItsFunctionsTierUp()
    {
        // (Interpreted for ever it takes 3 s: the thresholds here compile its hot functions, and its loops by on-stack
        // replacement, while both threads run.)
        var module = Load("seed/algorithm_threads.wasm", neverTierUp: false);
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StartTogether = true });
        var threads = new[] { group.Spawn("algorithm"), group.Spawn("algorithm") };
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.All(threads, t => Assert.Equal(5172326400000L, t.Result![0].AsI64));
        Assert.True(Interp.Tier(module).InterpretedFunctions > 0);
        Assert.False(threads[0].StackRange!.Value.Overlaps(threads[1].StackRange!.Value));
    }

    [Fact]
    public void EachInterpretedThreadHasItsOwnTlsBlock()
    {
        var module = Load("threads/tls.wasm");
        using var group = new ThreadGroup(module, new ThreadGroupOptions { StartTogether = true });
        var threads = Enumerable.Range(0, 3).Select(_ => group.Spawn("tls_value_address")).ToArray();
        Assert.Null(ThreadFixtures.Finish(group));
        Assert.Equal(3, threads.Select(t => t.Result![0].AsI32).Distinct().Count());
        foreach (var t in threads)
        {
            Assert.Equal((int)t.TlsBlock!.Value.Start, t.Result![0].AsI32);
            Assert.Equal(42, group.Memory!.ReadInt32((long)t.TlsBlock!.Value.Start));
        }
        Assert.True(Interp.Tier(module).InterpretedFunctions > 0);
    }
}
