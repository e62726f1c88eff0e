using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Strand.Validation;
using Xunit;

namespace Strand.Tests.Validation;

/// <summary>
/// GC type definitions (WebAssembly 3.0): recursion groups, sub types, struct and array types, the GC heap types, their
/// subtyping and iso-recursive equivalence, and what they change at run time (call_indirect and imports accept declared
/// subtypes). The GC instructions are not implemented yet.
/// </summary>
public class GcTypeTests
{
    private static Module Compile(string wat) => Module.Compile(WatParser.ParseModule(wat));
    private static string Invalid(string wat) => Assert.Throws<WasmValidationException>(() => Compile(wat)).Reason;
    private static int[] Ids(string wat) => TypeRegistry.CanonicalIds(Compile(wat).Definition);

    [Fact]
    public void RecursionGroupsAreCanonicalisedAsAWhole()
    {
        const string group = "(rec (type $a (struct (field (ref null $b)))) (type $b (struct (field (ref null $a)) (field i8))))";
        var first = Ids($"(module {group})");
        var second = Ids($"(module (type (func)) {group} (type $c (struct (field (ref null $a)))))");
        Assert.Equal(first, second[1..3]);                    // the same group in another module, at other indices
        var swapped = Ids("(module (rec (type $b (struct (field (ref null $a)) (field i8))) (type $a (struct (field (ref null $b))))))");
        Assert.NotEqual(first[0], swapped[1]);                // member order is part of the group's identity
        // A group of one and a plain definition are the same; two groups with equal members are not one group.
        Assert.Equal(Ids("(module (type (struct)))")[0], Ids("(module (rec (type (struct))))")[0]);
        Assert.NotEqual(Ids("(module (rec (type (struct)) (type (struct))))")[0], Ids("(module (type (struct)))")[0]);
    }

    [Fact]
    public void SubTypeDeclarationsFollowTheRules()
    {
        Compile("(module (type $s (sub (struct (field i32)))) (type $t (sub $s (struct (field i32) (field i64)))))");
        Compile("(module (type $f (sub (func (param (ref any)) (result anyref)))) (type $g (sub $f (func (param anyref) (result (ref eq))))))");
        Compile("(module (type $a (sub (array (mut i8)))) (type $b (sub $a (array (mut i8)))))");
        Assert.StartsWith("sub type", Invalid("(module (type $s (struct)) (type $t (sub $s (struct))))"));                    // final
        Assert.StartsWith("sub type", Invalid("(module (type $s (sub (struct))) (type $t (sub $s (array i32))))"));          // kind
        Assert.StartsWith("sub type", Invalid("(module (type $s (sub (struct (field i32)))) (type $t (sub $s (struct))))")); // fewer fields
        Assert.StartsWith("sub type", Invalid("(module (type $s (sub (struct (field (mut anyref))))) (type $t (sub $s (struct (field (mut eqref))))))")); // mutable: invariant
        Assert.StartsWith("sub type", Invalid("(module (type $f (sub (func (param eqref)))) (type $g (sub $f (func (param i31ref)))))")); // params contravariant
        Assert.StartsWith("sub type", Invalid("(module (rec (type $t (sub $u (struct))) (type $u (sub (struct)))))"));     // a later supertype
        Assert.StartsWith("unknown type", Invalid("(module (type (struct (field (ref 1)))) (type (struct)))"));             // outside the group, later
        Compile("(module (rec (type (struct (field (ref 1)))) (type (struct (field (ref 0))))))");                          // inside the group
    }

    [Fact]
    public void AbstractHeapTypesFormTheirHierarchies()
    {
        const string types = "(module (type $s (struct)) (type $a (array i8)) (type $f (func)) ";
        foreach (var (from, to) in new[] { ("(ref null none)", "(ref null $s)"), ("(ref null $s)", "structref"), ("structref", "eqref"),
                     ("i31ref", "eqref"), ("(ref $a)", "arrayref"), ("eqref", "anyref"), ("nullfuncref", "(ref null $f)"), ("(ref $f)", "funcref") })
            Compile($"{types}(func (param {from}) (result {to}) (local.get 0)))");
        foreach (var (from, to) in new[] { ("anyref", "eqref"), ("(ref null $s)", "arrayref"), ("nullfuncref", "anyref"), ("(ref $f)", "anyref"),
                     ("(ref null none)", "funcref"), ("externref", "anyref"), ("(ref $s)", "(ref $a)") })
            Assert.Equal("type mismatch", Invalid($"{types}(func (param {from}) (result {to}) (local.get 0)))"));
        // A struct or array type is not a function type.
        Assert.StartsWith("type mismatch", Invalid("(module (type $s (struct)) (func (type $s)))"));
    }

    private const string Hierarchy = """
        (type $base (sub (func (result i32))))
        (type $derived (sub $base (func (result i32))))
        """;

    [Fact]
    public void CallIndirectAcceptsADeclaredSubtype()
    {
        var instance = new Linker().Instantiate(Compile($$"""
            (module
              {{Hierarchy}}
              (type $other (func (result i32)))
              (func $d (type $derived) (i32.const 7))
              (func $b (type $base) (i32.const 3))
              (table 2 funcref)
              (elem (i32.const 0) func $d $b)
              (func (export "as_base") (param i32) (result i32) (call_indirect (type $base) (local.get 0)))
              (func (export "as_derived") (param i32) (result i32) (call_indirect (type $derived) (local.get 0)))
              (func (export "as_other") (param i32) (result i32) (call_indirect (type $other) (local.get 0))))
            """));
        Assert.Equal(7, instance.Invoke("as_base", Value.I32(0))[0].AsI32);   // derived <: base
        Assert.Equal(3, instance.Invoke("as_base", Value.I32(1))[0].AsI32);
        Assert.Equal(7, instance.Invoke("as_derived", Value.I32(0))[0].AsI32);
        Assert.Equal(TrapCode.IndirectCallTypeMismatch, Assert.Throws<TrapException>(() => instance.Invoke("as_derived", Value.I32(1))).Code);
        // A structurally equal type that is not declared a subtype is another type.
        Assert.Equal(TrapCode.IndirectCallTypeMismatch, Assert.Throws<TrapException>(() => instance.Invoke("as_other", Value.I32(1))).Code);
    }

    [Fact]
    public void AFunctionImportAcceptsADeclaredSubtypeAcrossModules()
    {
        var exporter = new Linker().Instantiate(Compile($$"""
            (module {{Hierarchy}}
              (func (export "derived") (type $derived) (i32.const 1))
              (func (export "base") (type $base) (i32.const 2)))
            """));
        var linker = new Linker().DefineInstance("m", exporter);
        linker.Instantiate(Compile($"(module {Hierarchy} (import \"m\" \"derived\" (func (type $base))))"));
        linker.Instantiate(Compile($"(module {Hierarchy} (import \"m\" \"derived\" (func (type $derived))))"));
        Assert.Contains("incompatible import type",
            Assert.Throws<LinkException>(() => linker.Instantiate(Compile($"(module {Hierarchy} (import \"m\" \"base\" (func (type $derived))))"))).Message);
    }

    [Fact]
    public void NullGcReferencesCrossTheHostBoundaryAsAnyref()
    {
        var instance = new Linker().Instantiate(Compile("""
            (module (type $s (struct (field i32)))
              (global (export "g") (mut (ref null $s)) (ref.null none))
              (func (export "null") (result eqref) (ref.null $s))
              (func (export "is_null") (param anyref) (result i32) (ref.is_null (local.get 0))))
            """));
        var result = Assert.Single(instance.Invoke("null"));
        Assert.Equal((ValType.AnyRef, null), (result.Type, result.Reference));
        Assert.Equal(1, instance.Invoke("is_null", Value.Null(ValType.AnyRef))[0].AsI32);
        // A host object is not a GC reference: only a module creates those.
        Assert.Throws<ArgumentException>(() => instance.GetGlobal("g")!.Value = Value.OfReference(ValType.AnyRef, new object()));
        Assert.Throws<ArgumentException>(() => instance.Invoke("is_null", Value.ExternRef("x")));
    }
}
