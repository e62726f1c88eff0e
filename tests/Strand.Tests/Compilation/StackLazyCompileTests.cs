using System.Text;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// A function first called at the deepest frame a thread's stack allows: its code is generated and compiled there
/// (<c>CompiledModule.GetCode</c>, from the call's resolution), within the margin the caller's entry check left. The call must
/// complete or trap "call stack exhausted", never overflow the CLR stack (which would end the test host).
/// </summary>
public class StackLazyCompileTests
{
    /// <summary>The module; <paramref name="call"/>: how $r calls $big at the bottom ("call", "call_indirect" or "call_ref":
    /// through a function reference made before $big's code existed, resolved by that first call).</summary>
    private static string Module(string call = "call")
    {
        // $big: a function with many locals and a long body, so that generating and compiling it takes some stack.
        var big = new StringBuilder();
        big.Append("(func $big (type $t) (param i32) (result i32) (local $a i64) (local $b i64) (local $c f64)");
        for (int k = 0; k < 120; k++) big.Append($" (local $x{k} i64)");
        for (int k = 0; k < 120; k++)
            big.Append($" (local.set $x{k} (i64.add (i64.extend_i32_u (local.get 0)) (i64.mul (local.get $x{(k + 7) % 120}) (i64.const {k + 3}))))");
        big.Append(" (local.set $a (i64.const 0))");
        for (int k = 0; k < 120; k++) big.Append($" (local.set $a (i64.xor (local.get $a) (local.get $x{k})))");
        // and a deep expression (an operand stack of 3,000 values): the IL generator's and the JIT's trees get deep too.
        big.Append(" (i32.wrap_i64 (local.get $a))");
        for (int k = 0; k < 3000; k++) big.Append(" local.get 0");
        for (int k = 0; k < 3000; k++) big.Append(" i32.xor");
        big.Append(")");
        string bottom = call switch
        {
            "call_indirect" => "(call_indirect (type $t) (i32.const 5) (i32.const 0))",
            "call_ref" => "(call_ref $t (i32.const 5) (table.get (i32.const 0)))",
            _ => "(call $big (i32.const 5))",
        };
        return $$"""
            (module
              (type $t (func (param i32) (result i32)))
              (table 1 (ref null $t)) (elem (table 0) (i32.const 0) (ref null $t) (ref.func $big))
              {{big}}
              ;; n levels of recursion, then $big at the bottom (its first call)
              (func $r (export "r") (param i32) (result i32)
                (if (result i32) (local.get 0)
                  (then (i32.add (call $r (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
                  (else {{bottom}})))
              ;; the same recursion with a leaf at the bottom, to find the depth
              (func $leaf (param i32) (result i32) (local.get 0))
              (func $s (export "s") (param i32) (result i32)
                (if (result i32) (local.get 0)
                  (then (i32.add (call $s (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
                  (else (call $leaf (i32.const 5))))))
            """;
    }

    [Theory]
    [InlineData(256 * 1024, "call")]
    [InlineData(1 << 20, "call")]
    [InlineData(256 * 1024, "call_indirect")]
    [InlineData(256 * 1024, "call_ref")]
    public void AFunctionFirstCalledAtTheDeepestFrameCompilesOrTraps(int stackBytes, string call)
    {
        string wat = Module(call);
        var reference = new Linker().Instantiate(Compile(wat)).Invoke("r", Value.I32(0))[0].AsI32;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                var probe = new Linker().Instantiate(Compile(wat));
                // The deepest recursion that completes on this stack.
                int lo = 0, hi = 1 << 20;
                while (lo < hi)
                {
                    int mid = (lo + hi + 1) / 2;
                    try { probe.Invoke("s", Value.I32(mid)); lo = mid; }
                    catch (TrapException t) when (t.Code == TrapCode.CallStackExhausted) { hi = mid - 1; }
                }
                for (int depth = lo; depth >= Math.Max(0, lo - 12); depth--)
                {
                    var fresh = new Linker().Instantiate(Compile(wat)); // $big not yet compiled
                    try { Assert.Equal(reference + depth, fresh.Invoke("r", Value.I32(depth))[0].AsI32); }
                    catch (TrapException t) when (t.Code == TrapCode.CallStackExhausted) { }
                }
            }
            catch (Exception e) { error = e; }
        }, stackBytes);
        thread.Start();
        thread.Join();
        Assert.Null(error);
    }
}
