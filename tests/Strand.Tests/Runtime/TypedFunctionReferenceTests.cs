using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Strand.Validation;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>
/// Typed function references (WebAssembly 3.0): <c>(ref null? $t)</c> types, call_ref, return_call_ref, ref.as_non_null,
/// br_on_null, br_on_non_null, non-nullable locals, table initializers, type equivalence across modules and the host API's checks.
/// </summary>
public class TypedFunctionReferenceTests
{
    private static Module Compile(string wat) => Module.Compile(WatParser.ParseModule(wat));
    private static Instance Instantiate(string wat, Linker? linker = null) => (linker ?? new Linker()).Instantiate(Compile(wat));

    private static string Invalid(string wat) => Assert.Throws<WasmValidationException>(() => Compile(wat)).Reason;

    private const string Calls = """
        (module
          (type $ii (func (param i32) (result i32)))
          (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
          (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
          (elem declare func $inc $dbl)
          (table $t (export "table") 2 (ref $ii) (ref.func $inc))
          (func $pick (param $which i32) (result (ref null $ii))
            (if (result (ref null $ii)) (i32.eqz (local.get $which)) (then (ref.null $ii))
              (else (if (result (ref $ii)) (i32.eq (local.get $which) (i32.const 1)) (then (ref.func $inc)) (else (ref.func $dbl))))))
          (func (export "call") (param $which i32) (param $x i32) (result i32)
            (call_ref $ii (local.get $x) (call $pick (local.get $which))))
          (func (export "as_non_null") (param i32) (result i32)
            (ref.is_null (ref.as_non_null (call $pick (local.get 0)))))
          (func (export "on_null") (param i32) (result i32)
            (block $null (result i32)
              (br_on_null $null (i32.const 7) (call $pick (local.get 0)))
              (call_ref $ii)))
          (func (export "on_non_null") (param i32) (result i32) (local $f (ref $ii))
            (block $some (result (ref $ii))
              (br_on_non_null $some (call $pick (local.get 0)))
              (return (i32.const -1)))
            (local.set $f)
            (call_ref $ii (i32.const 21) (local.get $f)))
          (func (export "from_table") (param i32 i32) (result i32)
            (call_ref $ii (local.get 1) (table.get $t (local.get 0))))
          (func (export "get_dbl") (result funcref) (ref.func $dbl))
          (func (export "other") (result i64) (i64.const 0)))
        """;

    [Theory]
    [InlineData("call", 1, 5, 6)]
    [InlineData("call", 2, 5, 10)]
    [InlineData("from_table", 1, 41, 42)]
    public void CallRefCallsTheReferencedFunction(string export, int a, int b, int expected) =>
        Assert.Equal(expected, Instantiate(Calls).Invoke(export, Value.I32(a), Value.I32(b))[0].AsI32);

    [Fact]
    public void NullReferencesTrapWithTheSpecWording()
    {
        var instance = Instantiate(Calls);
        var call = Assert.Throws<TrapException>(() => instance.Invoke("call", Value.I32(0), Value.I32(5)));
        Assert.Equal((TrapCode.NullFunctionReference, "null function reference"), (call.Code, call.Message));
        var asNonNull = Assert.Throws<TrapException>(() => instance.Invoke("as_non_null", Value.I32(0)));
        Assert.Equal((TrapCode.NullReference, "null reference"), (asNonNull.Code, asNonNull.Message));
        Assert.Equal(0, instance.Invoke("as_non_null", Value.I32(1))[0].AsI32);
    }

    [Theory]
    [InlineData("on_null", 0, 7)]   // null: branches with the values below it
    [InlineData("on_null", 2, 14)]  // not null: falls through with the non-null reference
    [InlineData("on_non_null", 0, -1)]
    [InlineData("on_non_null", 2, 42)]
    public void BrOnNullAndBrOnNonNullBranchOnTheReference(string export, int which, int expected) =>
        Assert.Equal(expected, Instantiate(Calls).Invoke(export, Value.I32(which))[0].AsI32);

    [Fact]
    public void ATableWithAnInitializerStartsFilledAndKeepsItsType()
    {
        var instance = Instantiate(Calls);
        var table = instance.GetTable("table")!;
        var element = Assert.IsAssignableFrom<FunctionReference>(table.Get(0).Reference);
        Assert.Equal(4, element.Invoke(Value.I32(3))[0].AsI32);
        Assert.Equal("(ref 0)", TypeTextOf(instance.Module.Exports.Single(e => e.Name == "table").TableType!.ElementType));
        // A non-nullable table refuses null, and a function of another type.
        Assert.Throws<ArgumentException>(() => table.Set(1, Value.Null(ValType.FuncRef)));
        Assert.Throws<ArgumentException>(() => table.Set(1, Value.FuncRef(instance.GetFunction("other"))));
        table.Set(1, instance.Invoke("get_dbl")[0]);
        Assert.Equal(18, instance.Invoke("from_table", Value.I32(1), Value.I32(9))[0].AsI32);
    }

    private static string TypeTextOf(ValType t) => t.IsConcrete() ? (t.IsNullable() ? "(ref null 0)" : "(ref 0)") : t.ToWat();

    [Fact]
    public void ReturnCallRefRunsInConstantStackSpace()
    {
        var instance = Instantiate("""
            (module
              (type $count (func (param (ref null $count) i64) (result i64)))
              (func $down (type $count)
                (if (result i64) (i64.eqz (local.get 1)) (then (i64.const 42))
                  (else (return_call_ref $count (local.get 0) (i64.sub (local.get 1) (i64.const 1)) (local.get 0)))))
              (elem declare func $down)
              (func (export "run") (param i64) (result i64) (call $down (ref.func $down) (local.get 0))))
            """);
        Assert.Equal(42, instance.Invoke("run", Value.I64(5_000_000))[0].AsI64);
    }

    [Fact]
    public void ACalleeThatGrowsMemoryThroughCallRefIsSeenByTheCaller()
    {
        // The caller caches memory 0's limits; a call_ref may grow memory, so the caller must reload them.
        var instance = Instantiate("""
            (module
              (type $grow (func))
              (memory 1)
              (func $g (type $grow) (drop (memory.grow (i32.const 1))))
              (elem declare func $g)
              (func (export "run") (result i32)
                (i32.store (i32.const 100) (i32.const 5))
                (call_ref $grow (ref.func $g))
                (i32.store (i32.const 65540) (i32.const 7))
                (i32.add (i32.load (i32.const 100)) (i32.load (i32.const 65540)))))
            """);
        Assert.Equal(12, instance.Invoke("run")[0].AsI32);
    }

    [Fact]
    public void NonDefaultableLocalsMustBeSetBeforeUseAndOnlyUntilTheBlockEnds()
    {
        const string prefix = "(module (type $t (func)) (func $f) (elem declare func $f) (func (local $l (ref $t)) ";
        Assert.Equal("uninitialized local", Invalid(prefix + "(drop (local.get $l))))"));
        // A set inside a block initialises the local only up to the block's end.
        Assert.Equal("uninitialized local", Invalid(prefix + "(block (local.set $l (ref.func $f))) (drop (local.get $l))))"));
        Compile(prefix + "(local.set $l (ref.func $f)) (block (drop (local.get $l)))))");
        Compile(prefix + "(block (local.set $l (ref.func $f)) (drop (local.get $l)))))");
        // Parameters of non-nullable types are initialised by the caller.
        Compile("(module (type $t (func)) (func (param (ref $t)) (drop (local.get 0))))");
    }

    [Fact]
    public void ValidationChecksSubtypingAndTypeIndices()
    {
        const string types = "(module (type $t (func (result i32))) (type $u (func (result i64))) (func $f (type $t) (i32.const 1)) (elem declare func $f) ";
        Compile(types + "(func (result funcref) (ref.func $f)))");                               // (ref $t) <: funcref
        Compile(types + "(func (result (ref null $t)) (ref.null nofunc)))");                   // nofunc is the bottom
        Assert.Equal("type mismatch", Invalid(types + "(func (result (ref $t)) (ref.null $t)))"));    // nullable is not non-null
        Assert.Equal("type mismatch", Invalid(types + "(func (result (ref $u)) (ref.func $f)))"));    // another function type
        Assert.Equal("type mismatch", Invalid(types + "(func (param funcref) (result i32) (call_ref $t (local.get 0))))"));
        Assert.Equal("type mismatch", Invalid(types + "(func (result (ref null extern)) (ref.null $t)))"));
        Assert.Equal("type mismatch", Invalid(types + "(table 1 (ref $t)))"));                        // non-nullable needs an initializer
        Assert.Equal("unknown type 5", Invalid("(module (func (param (ref 5))))"));
        // A type may refer to itself and to earlier types, not to later ones (every type is its own recursion group).
        Compile("(module (type $a (func (param (ref null $a)))) (type $b (func (result (ref $a)))))");
        Assert.StartsWith("unknown type", Invalid("(module (type $a (func (param (ref null $b)))) (type $b (func)))"));
        // br_on_non_null needs a label whose last type is a reference.
        Assert.Equal("type mismatch", Invalid(types + "(func (block $l (result i32) (br_on_non_null $l (ref.func $f)) (i32.const 0)) (drop)))"));
    }

    [Fact]
    public void TypesAreEquivalentAcrossModulesIsoRecursively()
    {
        var ids = TypeRegistry.CanonicalIds(Compile("""
            (module (type $a (func (param (ref null $a)))) (type $b (func (param (ref null $a)))) (type $c (func (param (ref null $b)))))
            """).Definition);
        var ids2 = TypeRegistry.CanonicalIds(Compile("""
            (module (type $x (func)) (type $a (func (param (ref null $a)))) (type $b (func (param (ref null $a)))))
            """).Definition);
        Assert.NotEqual(ids[0], ids[1]);   // a refers to itself, b to a: not the same type though structurally alike
        Assert.NotEqual(ids[1], ids[2]);
        Assert.Equal(ids[0], ids2[1]);     // the same definitions at other indices of another module: the same types
        Assert.Equal(ids[1], ids2[2]);
    }

    [Fact]
    public void ImportsMatchTypedReferencesAcrossModules()
    {
        var exporter = Instantiate("""
            (module
              (type $x (func (param i64)))
              (type $t (func (param i32) (result i32)))
              (func $id (export "id") (type $t) (local.get 0))
              (global (export "g") (ref $t) (ref.func $id))
              (global (export "gm") (mut (ref null $t)) (ref.func $id)))
            """);
        var linker = new Linker();
        linker.DefineInstance("m", exporter);
        var importer = Instantiate("""
            (module
              (type $t (func (param i32) (result i32)))
              (import "m" "id" (func $id (type $t)))
              (import "m" "g" (global $g (ref null $t)))
              (func (export "run") (result i32) (call_ref $t (i32.const 9) (global.get $g))))
            """, linker);
        Assert.Equal(9, importer.Invoke("run")[0].AsI32);
        // A mutable global's type must be the same, not a subtype.
        var ex = Assert.Throws<LinkException>(() => Instantiate("""
            (module (type $t (func (param i32) (result i32))) (import "m" "gm" (global (mut funcref))))
            """, linker));
        Assert.Contains("incompatible import type", ex.Message);
        Instantiate("(module (type $t (func (param i32) (result i32))) (import \"m\" \"gm\" (global (mut (ref null $t)))))", linker);
    }

    [Fact]
    public void TheHostApiChecksTypedReferenceArguments()
    {
        var instance = Instantiate("""
            (module
              (type $t (func (result i32)))
              (func $one (type $t) (i32.const 1))
              (func (export "two") (result i32) (i32.const 2))
              (func (export "wide") (result i64) (i64.const 3))
              (elem declare func $one)
              (func (export "call") (param (ref $t)) (result i32) (call_ref $t (local.get 0)))
              (func (export "one") (result (ref $t)) (ref.func $one)))
            """);
        var one = instance.Invoke("one")[0];
        Assert.Equal(1, instance.Invoke("call", one)[0].AsI32);
        Assert.Equal(2, instance.Invoke("call", Value.FuncRef(instance.GetFunction("two")))[0].AsI32); // same type [] -> [i32]
        Assert.Contains("null is not", Assert.Throws<ArgumentException>(() => instance.Invoke("call", Value.Null(ValType.FuncRef))).Message);
        var other = instance.GetFunction("wide");
        Assert.Contains("the function has type", Assert.Throws<ArgumentException>(() => instance.Invoke("call", Value.FuncRef(other))).Message);
        Assert.Throws<ArgumentException>(() => instance.Invoke("call", Value.ExternRef("x")));
    }

    [Fact]
    public void ReturnCallIndirectTakesAnI64IndexOnA64BitTable()
    {
        // The validator once popped an i32 for every return_call_indirect; on a table64 the index is an i64.
        var instance = Instantiate("""
            (module
              (type $t (func (result i32)))
              (table i64 2 funcref)
              (func $seven (type $t) (i32.const 7))
              (elem (table 0) (i64.const 1) func $seven)
              (func (export "run") (param i64) (result i32) (return_call_indirect (type $t) (local.get 0))))
            """);
        Assert.Equal(7, instance.Invoke("run", Value.I64(1))[0].AsI32);
        Assert.Equal(TrapCode.UndefinedElement, Assert.Throws<TrapException>(() => instance.Invoke("run", Value.I64(1L << 32))).Code);
    }
}
