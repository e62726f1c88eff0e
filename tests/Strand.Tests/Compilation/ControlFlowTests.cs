using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

public class ControlFlowTests
{
    [Fact]
    public void BranchesCarryValuesOutOfBlocksWithExtraStackBelow()
    {
        // The outer i32.const 100 stays on the stack below the block; br_if carries 7 out and drops the junk value.
        const string body = """
            (i32.add (i32.const 100)
              (block (result i32)
                (drop (br_if 0 (i32.const 7) (local.get 0)))
                (i32.const 1)))
            """;
        Assert.Equal(107, Eval("(param i32) (result i32)", body, Value.I32(1)).AsI32);
        Assert.Equal(101, Eval("(param i32) (result i32)", body, Value.I32(0)).AsI32);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 11)]
    [InlineData(2, 12)]
    [InlineData(3, 13)]
    [InlineData(99, 13)]
    [InlineData(-1, 13)]
    public void BrTableSelectsTargets(int index, int expected)
    {
        const string body = """
            (block $d (result i32)
              (block $c (result i32)
                (block $b (result i32)
                  (block $a (result i32)
                    (i32.const 0) (local.get 0)
                    (br_table $a $b $c $d))
                  (return (i32.const 10)))
                (return (i32.const 11)))
              (return (i32.const 12)))
            (drop) (i32.const 13)
            """;
        Assert.Equal(expected, Eval("(param i32) (result i32)", body, Value.I32(index)).AsI32);
    }

    [Fact]
    public void MultiValueBlocksLoopsAndIfs()
    {
        var instance = Instantiate("""
            (module
              (type $pair (func (param i32 i32) (result i32 i32)))
              (func $swap (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
              ;; if with parameters, and a multi-value call inside
              (func (export "sub-or-add") (param i32 i32 i32) (result i32)
                (local.get 0) (local.get 1)
                (if (type $pair) (local.get 2)
                  (then (call $swap))
                  (else))
                (i32.sub))
              ;; loop with a parameter: sum n..1
              (func (export "sum") (param i32) (result i32)
                (i32.const 0) (local.get 0)
                (loop $l (param i32 i32) (result i32)
                  (local.set 0)
                  (i32.add (local.get 0))
                  (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))
                  (local.get 0)
                  (br_if $l)
                  (drop)))
            )
            """);
        var results = instance.Invoke("swap", Value.I32(1), Value.I32(2));
        Assert.Equal([Value.I32(2), Value.I32(1)], results);
        Assert.Equal(-1, instance.Invoke("sub-or-add", Value.I32(5), Value.I32(6), Value.I32(0))[0].AsI32);
        Assert.Equal(1, instance.Invoke("sub-or-add", Value.I32(5), Value.I32(6), Value.I32(1))[0].AsI32);
        Assert.Equal(55, instance.Invoke("sum", Value.I32(10))[0].AsI32);
        Assert.Equal((2, 1), instance.GetFunction<Func<int, int, (int, int)>>("swap")(1, 2));
    }

    [Fact]
    public void SelectAndTypedSelect()
    {
        Assert.Equal(3L, Eval("(param i32) (result i64)", "(select (i64.const 3) (i64.const 4) (local.get 0))", Value.I32(5)).AsI64);
        Assert.Equal(4L, Eval("(param i32) (result i64)", "(select (i64.const 3) (i64.const 4) (local.get 0))", Value.I32(0)).AsI64);
        var o = new object();
        Assert.Same(o, Eval("(param externref i32) (result externref)", "(select (result externref) (local.get 0) (ref.null extern) (local.get 1))",
            Value.ExternRef(o), Value.I32(1)).Reference);
    }

    [Fact]
    public void UnreachableCodeAfterBranchesIsSkipped()
    {
        const string body = """
            (block (result i32)
              (br 0 (i32.const 42))
              (drop (i32.add))
              (i32.trunc_f64_s (f64.const 1e300)))
            """;
        Assert.Equal(42, Eval("(result i32)", body).AsI32);
        Assert.Equal("unreachable", Assert.Throws<TrapException>(() => Eval("(result i32)", "(unreachable)")).Message);
    }

    [Fact]
    public void DeepRecursionTrapsWithoutKillingTheProcess()
    {
        var instance = Instantiate("""
            (module
              (func $down (export "down") (param i64) (result i64)
                (if (result i64) (i64.eqz (local.get 0))
                  (then (i64.const 0))
                  (else (i64.add (i64.const 1) (call $down (i64.sub (local.get 0) (i64.const 1)))))))
              (func $runaway (export "runaway") (call $runaway)))
            """);
        Assert.Equal(1000L, instance.Invoke("down", Value.I64(1000))[0].AsI64);
        var e = Assert.Throws<TrapException>(() => instance.Invoke("runaway"));
        Assert.Equal(TrapCode.CallStackExhausted, e.Code);
        Assert.Equal("call stack exhausted", e.Message);
        Assert.Equal(TrapCode.CallStackExhausted, Assert.Throws<TrapException>(() => instance.Invoke("down", Value.I64(100_000_000))).Code);
        // Still usable afterwards.
        Assert.Equal(5L, instance.Invoke("down", Value.I64(5))[0].AsI64);
    }

    [Fact]
    public void CallIndirectChecksBoundsNullAndType()
    {
        var instance = Instantiate("""
            (module
              (type $ii (func (param i32) (result i32)))
              (table 3 funcref)
              (elem (i32.const 0) $double $other)
              (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
              (func $other (param i64) (result i64) (local.get 0))
              (func (export "call") (param i32 i32) (result i32)
                (call_indirect (type $ii) (local.get 1) (local.get 0))))
            """);
        var call = instance.GetFunction<Func<int, int, int>>("call");
        Assert.Equal(42, call(0, 21));
        Assert.Equal("indirect call type mismatch", Assert.Throws<TrapException>(() => call(1, 0)).Message);
        Assert.Equal(TrapCode.UninitializedElement, Assert.Throws<TrapException>(() => call(2, 0)).Code);
        Assert.Equal(TrapCode.UndefinedElement, Assert.Throws<TrapException>(() => call(3, 0)).Code);
        Assert.Equal(TrapCode.UndefinedElement, Assert.Throws<TrapException>(() => call(-1, 0)).Code);
    }
}
