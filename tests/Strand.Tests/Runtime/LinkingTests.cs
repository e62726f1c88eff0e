using Strand.Binary;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Runtime;

public class LinkingTests
{
    [Fact]
    public void TypedHostFunctionsAreCalledWithTheirArguments()
    {
        var log = new List<string>();
        var linker = new Linker()
            .DefineFunction("env", "add", (Func<int, int, int>)((a, b) => a + b))
            .DefineFunction("env", "log", (Action<long, double>)((a, b) => log.Add($"{a} {b}")))
            .DefineFunction("env", "pair", (Func<float, (float, uint)>)(x => (x * 2, 7u)))
            .DefineFunction("env", "box", (Func<object?, object?>)(o => o is string s ? s + "!" : null));
        var instance = Instantiate("""
            (module
              (import "env" "add" (func $add (param i32 i32) (result i32)))
              (import "env" "log" (func $log (param i64 f64)))
              (import "env" "pair" (func $pair (param f32) (result f32 i32)))
              (import "env" "box" (func $box (param externref) (result externref)))
              (func (export "run") (param i32) (result i32)
                (call $log (i64.const -5) (f64.const 0.5))
                (call $add (local.get 0) (i32.const 10)))
              (func (export "pair") (result f32 i32) (call $pair (f32.const 1.25)))
              (func (export "box") (param externref) (result externref) (call $box (local.get 0))))
            """, linker);
        Assert.Equal(42, instance.GetFunction<Func<int, int>>("run")(32));
        Assert.Equal(["-5 0.5"], log);
        Assert.Equal([Value.F32(2.5f), Value.I32(7)], instance.Invoke("pair"));
        Assert.Equal("hi!", instance.Invoke("box", Value.ExternRef("hi"))[0].Reference);
        Assert.Null(instance.Invoke("box", Value.ExternRef(3))[0].Reference);
    }

    [Fact]
    public void UntypedHostFunctionsAreCheckedAgainstTheirType()
    {
        var type = new FuncType([ValType.I64], [ValType.I64, ValType.I32]);
        var linker = new Linker().DefineFunction("env", "f", type, args => [Value.I64(args[0].AsI64 * 3), Value.I32(1)]);
        linker.DefineFunction("env", "bad", new FuncType([], [ValType.I32]), _ => [Value.I64(1)]);
        var instance = Instantiate("""
            (module
              (import "env" "f" (func $f (param i64) (result i64 i32)))
              (import "env" "bad" (func $bad (result i32)))
              (func (export "f") (result i64) (call $f (i64.const 14)) (drop))
              (func (export "bad") (result i32) (call $bad)))
            """, linker);
        Assert.Equal(42L, instance.Invoke("f")[0].AsI64);
        var e = Assert.Throws<TrapException>(() => instance.Invoke("bad"));
        Assert.Equal(TrapCode.HostError, e.Code);
        Assert.IsType<InvalidOperationException>(e.InnerException);
    }

    [Fact]
    public void HostExceptionsBecomeHostErrorTrapsAndTrapsPassThrough()
    {
        var failure = new FormatException("boom");
        var linker = new Linker()
            .DefineFunction("env", "fail", (Action)(() => throw failure))
            .DefineFunction("env", "trap", (Action)(() => throw new TrapException(TrapCode.Unreachable)));
        var instance = Instantiate("""
            (module
              (import "env" "fail" (func $fail))
              (import "env" "trap" (func $trap))
              (func (export "fail") (call $fail))
              (func (export "trap") (call $trap)))
            """, linker);
        var e = Assert.Throws<TrapException>(() => instance.Invoke("fail"));
        Assert.Equal(TrapCode.HostError, e.Code);
        Assert.Same(failure, e.InnerException);
        Assert.Equal(TrapCode.Unreachable, Assert.Throws<TrapException>(() => instance.Invoke("trap")).Code);
    }

    [Fact]
    public void MissingAndMismatchedImportsAreLinkErrors()
    {
        const string wat = """(module (import "env" "f" (func (param i32))) (import "env" "m" (memory 2)))""";
        var module = Compile(wat);
        var missing = Assert.Throws<LinkException>(() => new Linker().Instantiate(module));
        Assert.StartsWith("unknown import", missing.Message);
        Assert.Contains("env.f", missing.Message);

        var wrongFunction = new Linker().DefineFunction("env", "f", (Action<long>)(_ => { }));
        var mismatch = Assert.Throws<LinkException>(() => wrongFunction.Instantiate(module));
        Assert.StartsWith("incompatible import type", mismatch.Message);
        Assert.Contains("[i32] -> []", mismatch.Message);
        Assert.Contains("[i64] -> []", mismatch.Message);

        var smallMemory = new Linker().DefineFunction("env", "f", (Action<int>)(_ => { })).Define("env", "m", new Memory(1));
        Assert.StartsWith("incompatible import type", Assert.Throws<LinkException>(() => smallMemory.Instantiate(module)).Message);
        var sharedMemory = new Linker().DefineFunction("env", "f", (Action<int>)(_ => { })).Define("env", "m", new Memory(2, 4, shared: true));
        Assert.StartsWith("incompatible import type", Assert.Throws<LinkException>(() => sharedMemory.Instantiate(module)).Message);
        var fine = new Linker().DefineFunction("env", "f", (Action<int>)(_ => { })).Define("env", "m", new Memory(3));
        Assert.NotNull(fine.Instantiate(module).Memory);
    }

    [Fact]
    public void GlobalsAreSharedThroughImportsAndChecked()
    {
        var counter = new Global(ValType.I32, mutable: true, Value.I32(5));
        var linker = new Linker().Define("env", "counter", counter).Define("env", "base", new Global(ValType.I32, false, Value.I32(5)));
        var instance = Instantiate("""
            (module
              (import "env" "counter" (global $c (mut i32)))
              (import "env" "base" (global $b i32))
              (global $k (export "k") f64 (f64.const 2.5))
              (global $copy (export "copy") i32 (global.get $b))
              (func (export "bump") (result i32) (global.set $c (i32.add (global.get $c) (i32.const 1))) (global.get $c)))
            """, linker);
        Assert.Equal(6, instance.Invoke("bump")[0].AsI32);
        Assert.Equal(6, counter.Value.AsI32);
        counter.Value = Value.I32(100);
        Assert.Equal(101, instance.Invoke("bump")[0].AsI32);
        Assert.Equal(5, instance.GetGlobal("copy")!.Value.AsI32);
        Assert.Equal(2.5, instance.GetGlobal("k")!.Value.AsF64);
        Assert.Throws<InvalidOperationException>(() => instance.GetGlobal("k")!.Value = Value.F64(1));
        Assert.Throws<ArgumentException>(() => counter.Value = Value.I64(1));
        var immutable = new Linker().Define("env", "counter", new Global(ValType.I32, mutable: false, Value.I32(1)));
        Assert.StartsWith("incompatible import type", Assert.Throws<LinkException>(() => Instantiate(
            """(module (import "env" "counter" (global (mut i32))))""", immutable)).Message);
    }

    [Fact]
    public void InstancesLinkToEachOthersExports()
    {
        var provider = Instantiate("""
            (module
              (memory (export "mem") 1)
              (table (export "tab") 2 funcref)
              (func $seven (export "seven") (result i32) (i32.const 7))
              (elem (i32.const 1) $seven))
            """);
        var linker = new Linker().DefineInstance("p", provider);
        var consumer = Instantiate("""
            (module
              (import "p" "seven" (func $seven (result i32)))
              (import "p" "mem" (memory 1))
              (import "p" "tab" (table 2 funcref))
              (type $t (func (result i32)))
              (func (export "run") (result i32)
                (i32.store (i32.const 0) (call $seven))
                (call_indirect (type $t) (i32.const 1))))
            """, linker);
        Assert.Equal(7, consumer.Invoke("run")[0].AsI32);
        Assert.Equal(7, provider.GetMemory("mem")!.ReadInt32(0));
        Assert.Same(provider.GetFunction("seven"), provider.GetTable("tab")!.Get(1).Reference);
    }

    [Fact]
    public void InvokeAndTypedDelegatesCheckTheirArguments()
    {
        var instance = Instantiate("""(module (func (export "f") (param i32 i64) (result f32) (f32.const 1)))""");
        Assert.Throws<ArgumentException>(() => instance.Invoke("f", Value.I32(1)));
        Assert.Throws<ArgumentException>(() => instance.Invoke("f", Value.I32(1), Value.I32(2)));
        Assert.Throws<ArgumentException>(() => instance.GetFunction<Func<int, int, float>>("f"));
        Assert.Throws<ArgumentException>(() => instance.GetFunction<Func<int, long, double>>("f"));
        Assert.Throws<KeyNotFoundException>(() => instance.Invoke("nope"));
        Assert.Equal(1f, instance.GetFunction<Func<uint, ulong, float>>("f")(1, 2));
        Assert.Equal(ExternalKind.Function, instance.Exports["f"].Kind);
    }

    [Fact]
    public void TablesCanBeManipulatedFromTheHostAndGuest()
    {
        var instance = Instantiate("""
            (module
              (table $t (export "t") 2 10 externref)
              (func (export "grow") (param externref i32) (result i32) (table.grow $t (local.get 0) (local.get 1)))
              (func (export "get") (param i32) (result externref) (table.get $t (local.get 0)))
              (func (export "fill") (param i32 externref i32) (table.fill $t (local.get 0) (local.get 1) (local.get 2)))
              (func (export "size") (result i32) (table.size $t)))
            """);
        var table = instance.GetTable("t")!;
        var marker = new object();
        table.Set(1, Value.ExternRef(marker));
        Assert.Same(marker, instance.Invoke("get", Value.I32(1))[0].Reference);
        Assert.Equal(2, instance.Invoke("grow", Value.ExternRef("x"), Value.I32(3))[0].AsI32);
        Assert.Equal(5, instance.Invoke("size")[0].AsI32);
        Assert.Equal("x", table.Get(4).Reference);
        Assert.Equal(-1, instance.Invoke("grow", Value.ExternRef(null), Value.I32(6))[0].AsI32);
        instance.Invoke("fill", Value.I32(0), Value.ExternRef("y"), Value.I32(5));
        Assert.Equal("y", table.Get(0).Reference);
        Assert.Equal("out of bounds table access", Assert.Throws<TrapException>(() => instance.Invoke("get", Value.I32(5))).Message);
        Assert.Throws<TrapException>(() => instance.Invoke("fill", Value.I32(4), Value.ExternRef(null), Value.I32(2)));
        Assert.Throws<ArgumentException>(() => table.Set(0, Value.I32(1)));
    }

    [Fact]
    public void FailedSegmentInitialisationKeepsEarlierSegmentsAndSkipsTheStart()
    {
        var memory = new Memory(1);
        var started = new Global(ValType.I32, mutable: true, Value.I32(0));
        var linker = new Linker().Define("env", "mem", memory).Define("env", "started", started);
        var e = Assert.Throws<TrapException>(() => Instantiate("""
            (module
              (import "env" "mem" (memory 1))
              (import "env" "started" (global $s (mut i32)))
              (data (i32.const 0) "ok")
              (data (i32.const 65535) "too long")
              (func $start (global.set $s (i32.const 1)))
              (start $start))
            """, linker));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, e.Code);
        Assert.Equal("ok", memory.ReadUtf8(0, 2));
        Assert.Equal(0, started.Value.AsI32);
    }

    [Fact]
    public void StartFunctionRunsAtInstantiation()
    {
        var instance = Instantiate("""
            (module
              (global $g (export "g") (mut i32) (i32.const 1))
              (func $start (global.set $g (i32.const 99)))
              (start $start))
            """);
        Assert.Equal(99, instance.GetGlobal("g")!.Value.AsI32);
    }

    [Fact]
    public void RefFuncYieldsTheSameFunctionObjectAsTheExport()
    {
        var instance = Instantiate("""
            (module
              (func $f (export "f") (result i32) (i32.const 3))
              (func (export "ref") (result funcref) (ref.func $f))
              (func (export "is_null") (param funcref) (result i32) (ref.is_null (local.get 0))))
            """);
        var reference = instance.Invoke("ref")[0].Reference;
        Assert.Same(instance.GetFunction("f"), reference);
        Assert.Equal(3, ((FunctionReference)reference!).Invoke()[0].AsI32);
        Assert.Equal(1, instance.Invoke("is_null", Value.Null(ValType.FuncRef))[0].AsI32);
        Assert.Equal(0, instance.Invoke("is_null", Value.FuncRef((FunctionReference)reference))[0].AsI32);
    }
}
