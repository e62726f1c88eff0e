using System.Text;
using Strand.Binary;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Recursion of every kind ends in "call stack exhausted", whatever the frame size, and limits of the implementation
/// are compile-time errors. Each case runs on a thread with a known stack, so a failure would be a crash of the test host
/// (a CLR stack overflow cannot be caught), not a flaky result.
/// </summary>
public class StackAndLimitTests
{
    /// <summary>Runs <paramref name="action"/> on a new thread with a stack of <paramref name="stackMiB"/> MiB and returns what it threw.</summary>
    private static Exception? OnThread(int stackMiB, Action action)
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { caught = e; }
        }, stackMiB * 1024 * 1024);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "the thread did not finish");
        return caught;
    }

    private static void AssertStackExhausted(Exception? e)
    {
        var trap = Assert.IsType<TrapException>(e);
        Assert.Equal(TrapCode.CallStackExhausted, trap.Code);
        Assert.Equal("call stack exhausted", trap.Message);
    }

    /// <summary>
    /// <c>r(n)</c> sets <paramref name="locals"/> i64 locals to n+1..n+k, recurses on n-1, then adds them all to the
    /// result: every local is live across the call, so each one has a slot in the native frame (8 bytes each).
    /// </summary>
    private static string BigFrameModule(int locals)
    {
        var sb = new StringBuilder("(module (func $r (export \"r\") (param i32) (result i64) ");
        sb.Append("(local");
        for (int i = 0; i < locals; i++) sb.Append(" i64");
        sb.Append(')');
        for (int i = 1; i <= locals; i++) sb.Append($"(local.set {i} (i64.extend_i32_u (i32.add (local.get 0) (i32.const {i}))))");
        sb.Append("(if (result i64) (local.get 0) (then (call $r (i32.sub (local.get 0) (i32.const 1)))) (else (i64.const 0)))");
        for (int i = 1; i <= locals; i++) sb.Append($"(local.get {i}) (i64.add)");
        sb.Append("))");
        return sb.ToString();
    }

    /// <summary>Σ_{m=0..n} Σ_{i=1..k} (m + i).</summary>
    private static long BigFrameExpected(int n, int k) => Enumerable.Range(0, n + 1).Sum(m => (long)k * m + (long)k * (k + 1) / 2);

    [Theory]
    [InlineData(17_000, 1)]
    [InlineData(17_000, 16)]
    [InlineData(ModuleDecoder.MaxLocalsPerFunction - 1, 8)]
    public void RecursionThroughABigFrameTrapsInsteadOfOverflowing(int locals, int stackMiB)
    {
        var instance = Instantiate(BigFrameModule(locals));
        var r = instance.GetFunction<Func<int, long>>("r");
        long small = 0;
        var error = OnThread(stackMiB, () => small = r(2));
        Assert.Null(error);
        Assert.Equal(BigFrameExpected(2, locals), small);
        AssertStackExhausted(OnThread(stackMiB, () => r(1_000_000)));
    }

    [Fact]
    public void ALeafFunctionWithABigFrameIsGuardedToo()
    {
        // g has 20,000 live locals and calls nothing; f recurses and calls g at every level.
        var sb = new StringBuilder("(module (func $g (param i32) (result i64) (local");
        for (int i = 0; i < 20_000; i++) sb.Append(" i64");
        sb.Append(')');
        for (int i = 1; i <= 20_000; i++) sb.Append($"(local.set {i} (i64.extend_i32_u (i32.add (local.get 0) (i32.const {i}))))");
        sb.Append("(i64.const 0)");
        for (int i = 1; i <= 20_000; i++) sb.Append($"(local.get {i}) (i64.xor)");
        sb.Append(") (func $f (export \"f\") (param i32) (result i64) (i64.add (call $g (local.get 0)) (call $f (i32.add (local.get 0) (i32.const 1))))))");
        var instance = Instantiate(sb.ToString());
        AssertStackExhausted(OnThread(4, () => instance.Invoke("f", Value.I32(0))));
    }

    private const string ReentrantModule = """
        (module
          (import "env" "h" (func $h (param i32) (result i32)))
          (func (export "f") (param i32) (result i32) (i32.add (call $h (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))
        """;

    [Fact]
    public void GuestHostGuestRecursionThroughInvokeTraps()
    {
        Instance? instance = null;
        var linker = new Linker().DefineFunction("env", "h", new Func<int, int>(n => instance!.Invoke("f", Value.I32(n))[0].AsI32));
        instance = linker.Instantiate(Compile(ReentrantModule));
        AssertStackExhausted(OnThread(8, () => instance.Invoke("f", Value.I32(0))));
        AssertStackExhausted(OnThread(1, () => instance.Invoke("f", Value.I32(0))));
    }

    [Fact]
    public void GuestHostGuestRecursionThroughTypedDelegatesTraps()
    {
        Func<int, int>? f = null;
        var linker = new Linker().DefineFunction("env", "h", new Func<int, int>(n => f!(n)));
        f = linker.Instantiate(Compile(ReentrantModule)).GetFunction<Func<int, int>>("f");
        AssertStackExhausted(OnThread(8, () => f(0)));
    }

    [Fact]
    public void GuestHostGuestRecursionThroughUntypedHostFunctionsTraps()
    {
        Instance? instance = null;
        var type = new FuncType([ValType.I32], [ValType.I32]);
        var linker = new Linker().DefineFunction("env", "h", type, args => instance!.Invoke("f", args));
        instance = linker.Instantiate(Compile(ReentrantModule));
        AssertStackExhausted(OnThread(8, () => instance.Invoke("f", Value.I32(0))));
    }

    [Fact]
    public void ABoundedReentrantRecursionReturnsItsValue()
    {
        // The guard does not fire early: 1,000 levels of guest -> host -> guest complete.
        Instance? instance = null;
        var linker = new Linker().DefineFunction("env", "h", new Func<int, int>(n => n >= 1000 ? 0 : instance!.Invoke("f", Value.I32(n))[0].AsI32));
        instance = linker.Instantiate(Compile(ReentrantModule));
        int result = 0;
        Assert.Null(OnThread(8, () => result = instance.Invoke("f", Value.I32(0))[0].AsI32));
        Assert.Equal(1000, result);
    }

    [Fact]
    public void AModuleWithMoreFunctionsThanOneClrTypeHoldsCompilesAndCallsAcrossTypes()
    {
        const int count = 70_000;
        var sb = new StringBuilder("(module ");
        // Function 0 calls the last one (another CLR type); function i returns i * 3 otherwise.
        sb.Append($"(func (export \"first\") (result i32) (i32.add (call {count - 1}) (i32.const 1)))");
        for (int i = 1; i < count - 1; i++) sb.Append($"(func (result i32) (i32.const {i * 3}))");
        sb.Append($"(func (export \"last\") (result i32) (call 40000))");
        sb.Append($"(table funcref (elem 1 {ImplementationLimits.FunctionsPerType} 65535)) (type $t (func (result i32)))");
        sb.Append("(func (export \"indirect\") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))");
        var instance = Instantiate(sb.ToString());
        Assert.Equal(40_000 * 3, instance.Invoke("last")[0].AsI32);
        Assert.Equal(40_000 * 3 + 1, instance.Invoke("first")[0].AsI32);
        Assert.Equal(3, instance.Invoke("indirect", Value.I32(0))[0].AsI32);
        Assert.Equal(ImplementationLimits.FunctionsPerType * 3, instance.Invoke("indirect", Value.I32(1))[0].AsI32);
        Assert.Equal(65_535 * 3, instance.Invoke("indirect", Value.I32(2))[0].AsI32);
    }

    private static string DeepStackModule(int depth)
    {
        var sb = new StringBuilder("(module (func (export \"f\") (result i32) ");
        for (int i = 0; i < depth; i++) sb.Append("(i32.const 1)");
        for (int i = 1; i < depth; i++) sb.Append("(i32.add)");
        sb.Append("))");
        return sb.ToString();
    }

    [Fact]
    public void AnOperandStackDeeperThanTheLimitIsACompileTimeError()
    {
        var e = Assert.Throws<WasmImplementationLimitException>(() => Compile(DeepStackModule(100_000)));
        Assert.Equal($"implementation limit: func[0] <f> reaches an operand stack of 100000 values; Strand compiles at most {ImplementationLimits.MaxOperandStackDepth}", e.Message);
    }

    [Fact]
    public void AnOperandStackAtTheLimitCompilesAndRuns()
    {
        var instance = Instantiate(DeepStackModule(ImplementationLimits.MaxOperandStackDepth));
        int result = 0;
        var error = OnThread(16, () => result = instance.Invoke("f")[0].AsI32);
        // Either it runs (the frame fits) or it traps cleanly; on a 16 MiB stack it runs.
        Assert.Null(error);
        Assert.Equal(ImplementationLimits.MaxOperandStackDepth, result);
    }
}
