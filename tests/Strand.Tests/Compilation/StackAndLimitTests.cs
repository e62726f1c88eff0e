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
        var error = OnThread(stackMiB * 1024 * 1024, () => small = r(2));
        Assert.Null(error);
        Assert.Equal(BigFrameExpected(2, locals), small);
        AssertStackExhausted(OnThread(stackMiB * 1024 * 1024, () => r(1_000_000)));
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
        AssertStackExhausted(OnThread(4 * 1024 * 1024, () => instance.Invoke("f", Value.I32(0))));
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
        AssertStackExhausted(OnThread(8 * 1024 * 1024, () => instance.Invoke("f", Value.I32(0))));
        AssertStackExhausted(OnThread(1 * 1024 * 1024, () => instance.Invoke("f", Value.I32(0))));
    }

    [Fact]
    public void GuestHostGuestRecursionThroughTypedDelegatesTraps()
    {
        Func<int, int>? f = null;
        var linker = new Linker().DefineFunction("env", "h", new Func<int, int>(n => f!(n)));
        f = linker.Instantiate(Compile(ReentrantModule)).GetFunction<Func<int, int>>("f");
        AssertStackExhausted(OnThread(8 * 1024 * 1024, () => f(0)));
    }

    [Fact]
    public void GuestHostGuestRecursionThroughUntypedHostFunctionsTraps()
    {
        Instance? instance = null;
        var type = new FuncType([ValType.I32], [ValType.I32]);
        var linker = new Linker().DefineFunction("env", "h", type, args => instance!.Invoke("f", args));
        instance = linker.Instantiate(Compile(ReentrantModule));
        AssertStackExhausted(OnThread(8 * 1024 * 1024, () => instance.Invoke("f", Value.I32(0))));
    }

    [Fact]
    public void ABoundedReentrantRecursionReturnsItsValue()
    {
        // The guard does not fire early: 1,000 levels of guest -> host -> guest complete.
        Instance? instance = null;
        var linker = new Linker().DefineFunction("env", "h", new Func<int, int>(n => n >= 1000 ? 0 : instance!.Invoke("f", Value.I32(n))[0].AsI32));
        instance = linker.Instantiate(Compile(ReentrantModule));
        int result = 0;
        Assert.Null(OnThread(8 * 1024 * 1024, () => result = instance.Invoke("f", Value.I32(0))[0].AsI32));
        Assert.Equal(1000, result);
    }

    [Fact]
    public void AModuleWithMoreFunctionsThanOneClrTypeHoldsCompilesAndCallsAcrossChunks()
    {
        const int count = 70_000;
        var sb = new StringBuilder("(module ");
        // Function 0 calls the last one (another CLR type); function i returns i * 3 otherwise.
        sb.Append($"(func (export \"first\") (result i32) (i32.add (call {count - 1}) (i32.const 1)))");
        for (int i = 1; i < count - 1; i++) sb.Append($"(func (result i32) (i32.const {i * 3}))");
        sb.Append($"(func (export \"last\") (result i32) (call 40000))");
        sb.Append($"(table funcref (elem 1 {16_384} 65535)) (type $t (func (result i32)))");
        sb.Append("(func (export \"indirect\") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))");
        var instance = Instantiate(sb.ToString());
        Assert.Equal(40_000 * 3, instance.Invoke("last")[0].AsI32);
        Assert.Equal(40_000 * 3 + 1, instance.Invoke("first")[0].AsI32);
        Assert.Equal(3, instance.Invoke("indirect", Value.I32(0))[0].AsI32);
        Assert.Equal(16_384 * 3, instance.Invoke("indirect", Value.I32(1))[0].AsI32);
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
        var error = OnThread(16 * 1024 * 1024, () => result = instance.Invoke("f")[0].AsI32);
        // Its frame (every value may be spilled) is guarded like any other; on a 16 MiB stack it fits and runs.
        Assert.Null(error);
        Assert.Equal(ImplementationLimits.MaxOperandStackDepth, result);
    }

    /// <summary>f calls g (<paramref name="parameters"/> i32 params, <paramref name="results"/> results, each result param 0) and sums what it returns.</summary>
    private static string WideCallModule(int parameters, int results)
    {
        var sb = new StringBuilder("(module (func $g (param");
        for (int i = 0; i < parameters; i++) sb.Append(" i32");
        sb.Append(") (result");
        for (int i = 0; i < results; i++) sb.Append(" i32");
        sb.Append(')');
        for (int i = 0; i < results; i++) sb.Append(" (local.get 0)");
        sb.Append(") (func (export \"f\") (result i32) ");
        for (int i = 0; i < parameters; i++) sb.Append("(i32.const 2)");
        sb.Append("(call $g)");
        for (int i = 1; i < results; i++) sb.Append("(i32.add)");
        sb.Append("))");
        return sb.ToString();
    }

    [Theory]
    [InlineData(ImplementationLimits.MaxFunctionTypeArity - 1, 1)]
    [InlineData(1, ImplementationLimits.MaxFunctionTypeArity - 1)]
    public void AFunctionTypeAtTheArityLimitCompilesAndRuns(int parameters, int results)
    {
        var instance = Instantiate(WideCallModule(parameters, results));
        int result = 0;
        Assert.Null(OnThread(16 * 1024 * 1024, () => result = instance.Invoke("f")[0].AsI32));
        Assert.Equal(2 * results, result);
    }

    [Fact]
    public void MoreLoopsThanTheLimitInOneFunctionIsACompileTimeError()
    {
        // Each loop costs the JIT ~6 KB (1,000,000 empty loops: 5.6 GB); the limit is checked before any code exists.
        string Loops(int count) => "(module (func (export \"f\") (result i32) " + string.Concat(Enumerable.Repeat("(loop) ", count)) + "(i32.const 7)))";
        var e = Assert.Throws<WasmImplementationLimitException>(() => Compile(Loops(ImplementationLimits.MaxLoopsPerFunction + 1)));
        Assert.Equal($"implementation limit: func[0] <f> has {ImplementationLimits.MaxLoopsPerFunction + 1} loops; Strand compiles at most {ImplementationLimits.MaxLoopsPerFunction} per function", e.Message);
        Assert.Equal(7, Instantiate(Loops(1_000)).Invoke("f")[0].AsI32);
    }

    [Fact]
    public void AFunctionTypeBeyondTheArityLimitIsACompileTimeError()
    {
        // 10,000 parameters and results: the JIT would reject the methods as an "invalid program" at the first call.
        var e = Assert.Throws<WasmImplementationLimitException>(() => Compile(WideCallModule(5_000, 5_000)));
        Assert.Equal("implementation limit: func[0] uses a function type with 5000 parameters and 5000 results; Strand compiles at most 8192 together", e.Message);
        var indirect = Assert.Throws<WasmImplementationLimitException>(() => Compile(
            "(module (type $t (func (param " + string.Concat(Enumerable.Repeat("i64 ", 9000)) + "))) (table 1 funcref) " +
            "(func (export \"f\") (call_indirect (type $t) " + string.Concat(Enumerable.Repeat("(i64.const 0) ", 9000)) + "(i32.const 0))))"));
        Assert.Equal("implementation limit: type 0 (for call_indirect) uses a function type with 9000 parameters and 0 results; Strand compiles at most 8192 together", indirect.Message);
    }

    /// <summary>
    /// <paramref name="depth"/> values stay on the operand stack while <paramref name="accesses"/> memory loads (each a
    /// branch to a bounds-check slow path) run above them; then r recurses, and the values are summed.
    /// </summary>
    private static string HeldAcrossBranchesModule(int depth, int accesses)
    {
        var sb = new StringBuilder("(module (memory 1) (func $r (export \"r\") (param i32) (result i32) ");
        for (int i = 0; i < depth; i++) sb.Append("(i32.const 1)");
        for (int i = 0; i < accesses; i++) sb.Append("(local.set 0 (i32.add (i32.load (i32.const 0)) (local.get 0)))");
        sb.Append("(if (result i32) (i32.and (local.get 0) (i32.const 0x7fffffff)) (then (call $r (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0)))");
        for (int i = 0; i < depth; i++) sb.Append("(i32.add)");
        sb.Append("))");
        return sb.ToString();
    }

    [Fact]
    public void ADeepStackHeldAcrossManyBranchesIsACompileTimeError()
    {
        // The JIT would give each of the 2,000 bounds-check joins its own 2,000 spill slots: a frame of tens of
        // megabytes, and minutes of compilation.
        var e = Assert.Throws<WasmImplementationLimitException>(() => Compile(HeldAcrossBranchesModule(2000, 2000)));
        Assert.StartsWith("implementation limit: func[0] <r> keeps ", e.Message);
        Assert.EndsWith($" operand values across branches; Strand compiles at most {ImplementationLimits.MaxBranchSpillUnits}", e.Message);
    }

    [Fact]
    public void AStackHeldAcrossBranchesCountsInTheFrameGuard()
    {
        // 300 values across 300 joins (a frame of about a megabyte): r(2) runs, deep recursion traps, nothing overflows.
        var instance = Instantiate(HeldAcrossBranchesModule(300, 300));
        int result = 0;
        Assert.Null(OnThread(16 * 1024 * 1024, () => result = instance.Invoke("r", Value.I32(2))[0].AsI32));
        Assert.Equal(3 * 300, result);
        AssertStackExhausted(OnThread(16 * 1024 * 1024, () => instance.Invoke("r", Value.I32(1_000_000))));
    }
}
