using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Strand.Validation;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>
/// Hostile and corner-case uses of typed function references (WebAssembly 3.0) found by review: host writes that could put
/// a null into a non-nullable table, self-referential tag types, host types naming a module's type index, and type indices
/// beyond Strand's representable range.
/// </summary>
public class TypedFunctionReferenceAttackTests
{
    private static Instance Instantiate(string wat, Linker? linker = null) => (linker ?? new Linker()).Instantiate(Module.Compile(WatParser.ParseModule(wat)));

    private const string NonNullableTable = """
        (module
          (type $t (func (result i32)))
          (func $f (type $t) (i32.const 4))
          (table $tb (export "tb") 1 (ref $t) (ref.func $f))
          (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $tb (local.get 0))))
          (func (export "call") (param i32) (result i32) (call_ref $t (table.get $tb (local.get 0)))))
        """;

    [Fact]
    public void TheHostCannotGrowANonNullableTableWithNulls()
    {
        var instance = Instantiate(NonNullableTable);
        var table = instance.GetTable("tb")!;
        // Table.Grow's default initial value is null: a (ref $t) table must refuse it, as the constructor does.
        var ex = Assert.Throws<ArgumentException>(() => table.Grow(2));
        Assert.Contains("non-nullable", ex.Message);
        Assert.Throws<ArgumentException>(() => table.Grow(1, Value.Null(ValType.FuncRef)));
        Assert.Equal(1u, table.Size);
        // Growing with a value of the type works, and wasm sees it.
        Assert.Equal(1, table.Grow(2, table.Get(0)));
        Assert.Equal(3u, table.Size);
        Assert.Equal(0, instance.Invoke("is_null", Value.I32(2))[0].AsI32);
        Assert.Equal(4, instance.Invoke("call", Value.I32(2))[0].AsI32);
        // A nullable table still grows with nulls by default.
        var nullable = new Table(new TableType(ValType.FuncRef, new Limits(0, null)));
        Assert.Equal(0, nullable.Grow(3));
        Assert.True(nullable.Get(2).IsNull);
    }

    [Fact]
    public void AHostExceptionOfASelfReferentialTagTakesAFunctionOfThatType()
    {
        // $s refers to itself: the tag's canonical type holds rec.0 for $s, which the payload check must read as the tag's own type.
        var instance = Instantiate("""
            (module
              (type $s (func (param (ref null $s))))
              (type $o (func (param i32) (result i32)))
              (global $hits (mut i32) (i32.const 0))
              (func $self (export "self") (type $s) (global.set $hits (i32.add (global.get $hits) (i32.const 5))))
              (func $other (export "other") (type $o) (i32.const 6))
              (tag $e (export "e") (type $s))
              (func (export "catch") (result i32) (local $f (ref null $s))
                (block $h (result (ref null $s))
                  (try_table (catch $e $h) (throw $e (ref.func $self)))
                  (return (i32.const -1)))
                (local.set $f)
                (call_ref $s (local.get $f) (local.get $f))
                (global.get $hits)))
            """);
        var tag = instance.GetTag("e")!;
        var self = instance.GetFunction("self");
        var payload = new WasmException(tag, Value.FuncRef(self)); // a function of type $s: must be accepted
        Assert.Same(self, payload.Payload[0].Reference);
        new WasmException(tag, Value.Null(ValType.FuncRef)); // (ref null $s) admits null
        var wrong = Assert.Throws<ArgumentException>(() => new WasmException(tag, Value.FuncRef(instance.GetFunction("other"))));
        Assert.Contains("the function has type", wrong.Message);
        Assert.Equal(5, instance.Invoke("catch")[0].AsI32);
    }

    [Fact]
    public void HostTablesGlobalsAndTagsRefuseAModulesTypeIndex()
    {
        // A type index means something only inside its module; a host type uses abstract types or canonical types
        // (from ImportInfo/ExportInfo), as host functions already must.
        var byIndex = ValTypes.RefToType(0, nullable: true);
        Assert.Throws<ArgumentException>(() => new Table(new TableType(byIndex, new Limits(1, null))));
        Assert.Throws<ArgumentException>(() => new Global(byIndex, mutable: true, Value.Null(ValType.FuncRef)));
        Assert.Throws<ArgumentException>(() => new Tag(byIndex));
        Assert.Throws<ArgumentException>(() => new Tag(new FuncType([byIndex], [])));
        // A recursion-group index (rec.0) has no meaning outside canonicalisation; an id no type has, or a heap code that
        // is no heap type, none at all (an unknown id once reached a KeyNotFoundException in a mismatch message).
        var rec0 = ValTypes.Ref(ValTypes.RecIndexBase, nullable: true);
        Assert.Throws<ArgumentException>(() => new Global(rec0, mutable: true, Value.Null(ValType.FuncRef)));
        Assert.Throws<ArgumentException>(() => new Table(new TableType(rec0, new Limits(1, null))));
        var noSuchType = ValTypes.Ref(ValTypes.CanonicalIdBase + 0x7F_0000, nullable: true);
        Assert.Throws<ArgumentException>(() => new Global(noSuchType, mutable: true, Value.Null(ValType.FuncRef)));
        Assert.Throws<ArgumentException>(() => new Linker().DefineFunction("m", "f", new FuncType([noSuchType], []), _ => []));
        Assert.Throws<ArgumentException>(() => new Table(new TableType(ValTypes.Ref(0x50, nullable: true), new Limits(1, null)))); // no heap type
        // Canonical types from a module work.
        var instance = Instantiate("""
            (module (type $t (func (result i32))) (func $f (type $t) (i32.const 1))
              (global (export "g") (ref $t) (ref.func $f)) (tag (export "e") (param (ref $t))))
            """);
        var canonical = instance.GetGlobal("g")!.Type.Type;
        var global = new Global(canonical, mutable: false, instance.GetGlobal("g")!.Value);
        Assert.Equal(canonical, global.Type.Type);
        _ = new Tag(instance.GetTag("e")!.Type);
        _ = new Table(new TableType(canonical.WithNullable(true), new Limits(1, null)));
    }

    /// <summary>A module with one function type and one function whose body is <paramref name="localsAndBody"/> (local declarations, code, end).</summary>
    private static byte[] OneFunction(params byte[] localsAndBody)
    {
        var body = new List<byte> { (byte)localsAndBody.Length };
        body.AddRange(localsAndBody);
        var code = new List<byte> { 1 };
        code.AddRange(body);
        var bytes = new List<byte> { 0, 0x61, 0x73, 0x6D, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, (byte)code.Count };
        bytes.AddRange(code);
        return bytes.ToArray();
    }

    [Theory]
    [InlineData(new byte[] { 1, 1, 0x63, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B })]        // local (ref null 4294967295)
    [InlineData(new byte[] { 1, 1, 0x64, 0x80, 0x80, 0x80, 0x80, 0x08, 0x0B })]        // local (ref 2147483648)
    [InlineData(new byte[] { 0, 0xD0, 0x80, 0x80, 0xC0, 0x00, 0x1A, 0x0B })]            // ref.null 1048576; drop
    [InlineData(new byte[] { 0, 0x02, 0x63, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x0B, 0x0B })] // block (result (ref null 268435455))
    public void ATypeIndexTooLargeToPackIsInvalidNotMalformed(byte[] localsAndBody)
    {
        // An index beyond the module's types is a validation error ("unknown type"), however large (it once was
        // "malformed" from 2^21 - 256 on, the packed range of ValType).
        var ex = Assert.Throws<WasmValidationException>(() => Module.Compile(OneFunction(localsAndBody)));
        Assert.StartsWith("unknown type", ex.Reason);
    }

    [Fact]
    public void ATypeIndexTooLargeToPackIsInvalidInTheTextFormatToo()
    {
        var ex = Assert.Throws<WasmValidationException>(() => Module.Compile(WatParser.ParseModule("(module (func (local (ref null 4294967295))))")));
        Assert.StartsWith("unknown type", ex.Reason);
    }

    [Fact]
    public void MoreTypesThanTheImplementationLimitAreRefusedAsSuch()
    {
        // 1,000,001 types of 3 bytes each: beyond ImplementationLimits.MaxTypes, whose indices could not all be packed.
        int count = ImplementationLimits.MaxTypes + 1;
        var section = new List<byte>();
        for (uint v = (uint)count; ; v >>= 7) { if (v < 0x80) { section.Add((byte)v); break; } section.Add((byte)(v & 0x7F | 0x80)); }
        for (int i = 0; i < count; i++) section.AddRange(new byte[] { 0x60, 0, 0 });
        var bytes = new List<byte> { 0, 0x61, 0x73, 0x6D, 1, 0, 0, 0, 1 };
        for (uint v = (uint)section.Count; ; v >>= 7) { if (v < 0x80) { bytes.Add((byte)v); break; } bytes.Add((byte)(v & 0x7F | 0x80)); }
        bytes.AddRange(section);
        var ex = Assert.Throws<WasmImplementationLimitException>(() => Module.Compile(bytes.ToArray()));
        Assert.Contains("1000001 types", ex.Message);
    }

    [Fact]
    public void ARefFuncInATableInitializerDeclaresTheFunction()
    {
        // C.refs holds every function index outside function bodies and the start function (spec 3.4.x, modules):
        // a table initializer's ref.func declares the function for ref.func in code, as a global's does.
        var instance = Instantiate("""
            (module (type $t (func (result i32))) (func $f (type $t) (i32.const 1))
              (table 1 (ref $t) (ref.func $f))
              (func (export "r") (result i32) (call_ref $t (ref.func $f))))
            """);
        Assert.Equal(1, instance.Invoke("r")[0].AsI32);
        var ex = Assert.Throws<WasmValidationException>(() => Module.Compile(WatParser.ParseModule("""
            (module (type $t (func (result i32))) (func $f (type $t) (i32.const 1))
              (table 1 (ref null $t))
              (func (export "r") (result i32) (call_ref $t (ref.func $f))))
            """)));
        Assert.Equal("undeclared function reference", ex.Reason);
    }

    [Fact]
    public void CanonicalIdsStopWhereAReferenceTypeCanNoLongerCarryThem()
    {
        // The largest id still packs into a ValType; one more would wrap into another heap code (type confusion at
        // import matching and the host boundary), so the registry refuses it. (Reaching it takes 8.4 million distinct
        // types in one process: the step is tested, not the whole walk.)
        Assert.Equal(TypeRegistry.MaxId, ValTypes.Ref(ValTypes.CanonicalIdBase + (uint)TypeRegistry.MaxId, nullable: true).CanonicalId());
        Assert.NotEqual(TypeRegistry.MaxId + 1, ValTypes.Ref(ValTypes.CanonicalIdBase + (uint)TypeRegistry.MaxId + 1, nullable: true).CanonicalId());
        TypeRegistry.CheckIdRange(TypeRegistry.MaxId);
        Assert.Throws<WasmImplementationLimitException>(() => TypeRegistry.CheckIdRange(TypeRegistry.MaxId + 1));
    }

    [Fact]
    public void TheTypeLimitCountsTheTypesInRecursionGroups()
    {
        // One type-section entry: a recursion group (0x4E) of 1,000,001 function types.
        int count = ImplementationLimits.MaxTypes + 1;
        var section = new List<byte> { 1, 0x4E };
        for (uint v = (uint)count; ; v >>= 7) { if (v < 0x80) { section.Add((byte)v); break; } section.Add((byte)(v & 0x7F | 0x80)); }
        for (int i = 0; i < count; i++) section.AddRange(new byte[] { 0x60, 0, 0 });
        var bytes = new List<byte> { 0, 0x61, 0x73, 0x6D, 1, 0, 0, 0, 1 };
        for (uint v = (uint)section.Count; ; v >>= 7) { if (v < 0x80) { bytes.Add((byte)v); break; } bytes.Add((byte)(v & 0x7F | 0x80)); }
        bytes.AddRange(section);
        var ex = Assert.Throws<WasmImplementationLimitException>(() => Module.Compile(bytes.ToArray()));
        Assert.Contains("types per module", ex.Message);
    }

    [Fact]
    public void TypedDelegatesRefuseTypedReferenceSignaturesCleanly()
    {
        // A typed delegate maps funcref to FunctionReference; a (ref $t) parameter or result has no delegate form.
        var instance = Instantiate("""
            (module (type $t (func (result i32))) (func $f (type $t) (i32.const 1)) (elem declare func $f)
              (func (export "take") (param (ref $t)) (result i32) (call_ref $t (local.get 0)))
              (func (export "give") (result (ref $t)) (ref.func $f)))
            """);
        Assert.Throws<ArgumentException>(() => instance.GetFunction("take").ToDelegate<Func<FunctionReference, int>>());
        Assert.Throws<ArgumentException>(() => instance.GetFunction("give").ToDelegate<Func<FunctionReference>>());
        // Invoke is the way: a reference returned by one call is accepted by the other.
        var f = instance.Invoke("give")[0];
        Assert.Equal(1, instance.Invoke("take", f)[0].AsI32);
    }
}
