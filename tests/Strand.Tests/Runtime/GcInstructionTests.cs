using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>
/// GC instructions (WebAssembly 3.0) from our own WAT: structs, arrays, i31, ref.eq, casts, br_on_cast and the
/// extern/any conversions, with the traps of each, in constant expressions too, and GC objects on the .NET heap.
/// </summary>
public class GcInstructionTests
{
    private static Instance Instantiate(string wat) => new Linker().Instantiate(Module.Compile(WatParser.ParseModule(wat)));

    private const string Point = """
        (module
          (type $point (sub (struct (field $x (mut i32)) (field $y i64) (field $tag i8) (field $next (mut (ref null $point))))))
          (type $point3 (sub $point (struct (field $x (mut i32)) (field $y i64) (field $tag i8) (field $next (mut (ref null $point))) (field $z f64))))
          (global $origin (ref $point) (struct.new $point (i32.const 0) (i64.const 0) (i32.const 0) (ref.null none)))
          (func $make (param i32 i64) (result (ref $point))
            (struct.new $point (local.get 0) (local.get 1) (i32.const 0x1FF) (global.get $origin)))
          (func (export "sum") (param i32 i64) (result i64)
            (local $p (ref $point))
            (local.set $p (call $make (local.get 0) (local.get 1)))
            (struct.set $point $x (local.get $p) (i32.add (struct.get $point $x (local.get $p)) (i32.const 1)))
            (i64.add (i64.extend_i32_s (struct.get $point $x (local.get $p))) (struct.get $point $y (local.get $p))))
          (func (export "tag_s") (result i32) (struct.get_s $point $tag (call $make (i32.const 0) (i64.const 0))))
          (func (export "tag_u") (result i32) (struct.get_u $point $tag (call $make (i32.const 0) (i64.const 0))))
          (func (export "next_is_origin") (result i32)
            (ref.eq (struct.get $point $next (call $make (i32.const 1) (i64.const 2))) (global.get $origin)))
          (func (export "null_get") (result i32) (struct.get $point $x (ref.null $point)))
          (func (export "test3") (param i32) (result i32)
            (ref.test (ref $point3)
              (if (result (ref $point)) (local.get 0)
                (then (struct.new $point3 (i32.const 1) (i64.const 2) (i32.const 3) (ref.null none) (f64.const 4)))
                (else (struct.new_default $point3)))))
          (func (export "cast_fails") (result i32)
            (struct.get $point3 $x (ref.cast (ref $point3) (global.get $origin))))
          (func (export "z") (result f64)
            (struct.get $point3 $z (ref.cast (ref $point3)
              (struct.new $point3 (i32.const 1) (i64.const 2) (i32.const 3) (ref.null none) (f64.const 4.5))))))
        """;

    [Fact]
    public void StructsAreCreatedReadAndWritten()
    {
        var instance = Instantiate(Point);
        Assert.Equal(41L + 1 + 100, instance.Invoke("sum", Value.I32(41), Value.I64(100))[0].AsI64);
        Assert.Equal(-1, instance.Invoke("tag_s")[0].AsI32);       // 0x1FF stored in an i8 field: 0xFF
        Assert.Equal(255, instance.Invoke("tag_u")[0].AsI32);
        Assert.Equal(1, instance.Invoke("next_is_origin")[0].AsI32);
        Assert.Equal(4.5, instance.Invoke("z")[0].AsF64);
    }

    [Fact]
    public void StructTrapsAndCastsFollowTheSubtypes()
    {
        var instance = Instantiate(Point);
        Assert.Equal("null structure reference", Assert.Throws<TrapException>(() => instance.Invoke("null_get")).Message);
        Assert.Equal(1, instance.Invoke("test3", Value.I32(1))[0].AsI32);
        Assert.Equal(1, instance.Invoke("test3", Value.I32(0))[0].AsI32);  // struct.new_default is a $point3 too
        Assert.Equal(TrapCode.CastFailure, Assert.Throws<TrapException>(() => instance.Invoke("cast_fails")).Code);
    }

    [Fact]
    public void ArraysOfEveryStorageType()
    {
        var instance = Instantiate("""
            (module
              (type $bytes (array (mut i8)))
              (type $longs (array (mut i64)))
              (type $refs (array (mut anyref)))
              (data $d "\01\02\03\ff")
              (elem $e anyref (ref.i31 (i32.const 5)) (ref.null none))
              (func (export "bytes") (param i32) (result i32)
                (local $a (ref $bytes))
                (local.set $a (array.new_data $bytes $d (i32.const 0) (i32.const 4)))
                (array.get_u $bytes (local.get $a) (local.get 0)))
              (func (export "bytes_s") (param i32) (result i32)
                (array.get_s $bytes (array.new_data $bytes $d (i32.const 0) (i32.const 4)) (local.get 0)))
              (func (export "fill_copy") (result i64)
                (local $a (ref $longs)) (local $b (ref $longs))
                (local.set $a (array.new $longs (i64.const 7) (i32.const 8)))
                (local.set $b (array.new_fixed $longs 3 (i64.const 1) (i64.const 2) (i64.const 3)))
                (array.fill $longs (local.get $a) (i32.const 1) (i64.const 9) (i32.const 2))
                (array.copy $longs $longs (local.get $a) (i32.const 5) (local.get $b) (i32.const 0) (i32.const 3))
                (array.copy $longs $longs (local.get $a) (i32.const 0) (local.get $a) (i32.const 1) (i32.const 7))
                ;; a = [9 9 7 7 1 2 3 3]: return a[0]*1e7 + a[2]*1e5 + a[4]*1e3 + a[6]*10 + len
                (i64.add (i64.add (i64.add (i64.add
                  (i64.mul (array.get $longs (local.get $a) (i32.const 0)) (i64.const 10000000))
                  (i64.mul (array.get $longs (local.get $a) (i32.const 2)) (i64.const 100000)))
                  (i64.mul (array.get $longs (local.get $a) (i32.const 4)) (i64.const 1000)))
                  (i64.mul (array.get $longs (local.get $a) (i32.const 6)) (i64.const 10)))
                  (i64.extend_i32_u (array.len (local.get $a)))))
              (func (export "elem") (result i32)
                (i31.get_s (ref.cast (ref i31) (array.get $refs (array.new_elem $refs $e (i32.const 0) (i32.const 2)) (i32.const 0)))))
              (func (export "oob") (param i32) (result i32)
                (array.get $longs (array.new_default $longs (i32.const 2)) (local.get 0)) (drop) (i32.const 0))
              (func (export "huge") (result i32) (array.len (array.new_default $longs (i32.const -1)))))
            """);
        Assert.Equal([1, 2, 3, 255], Enumerable.Range(0, 4).Select(i => instance.Invoke("bytes", Value.I32(i))[0].AsI32));
        Assert.Equal(-1, instance.Invoke("bytes_s", Value.I32(3))[0].AsI32);
        Assert.Equal(9L * 10000000 + 7 * 100000 + 1 * 1000 + 3 * 10 + 8, instance.Invoke("fill_copy")[0].AsI64);
        Assert.Equal(5, instance.Invoke("elem")[0].AsI32);
        Assert.Equal(0, instance.Invoke("oob", Value.I32(1))[0].AsI32);
        Assert.Equal("out of bounds array access", Assert.Throws<TrapException>(() => instance.Invoke("oob", Value.I32(2))).Message);
        Assert.Equal(TrapCode.ArrayTooLarge, Assert.Throws<TrapException>(() => instance.Invoke("huge")).Code);
    }

    [Fact]
    public void I31RefEqAndConversions()
    {
        var instance = Instantiate("""
            (module
              (func (export "i31") (param i32) (result i32 i32)
                (i31.get_s (ref.i31 (local.get 0))) (i31.get_u (ref.i31 (local.get 0))))
              (func (export "eq") (param i32 i32) (result i32) (ref.eq (ref.i31 (local.get 0)) (ref.i31 (local.get 1))))
              (func (export "roundtrip") (param externref) (result externref) (extern.convert_any (any.convert_extern (local.get 0))))
              (func (export "is_eq") (param externref) (result i32) (ref.test eqref (any.convert_extern (local.get 0))))
              (func (export "branch") (param anyref) (result i32)
                (block $i31 (result (ref i31))
                  (br_on_cast $i31 anyref (ref i31) (local.get 0))
                  (drop)
                  (return (i32.const -1)))
                (i31.get_u)))
            """);
        var r = instance.Invoke("i31", Value.I32(-1));
        Assert.Equal((-1, 0x7FFFFFFF), (r[0].AsI32, r[1].AsI32));
        r = instance.Invoke("i31", Value.I32(0x40000000));                 // bit 30 is the i31 sign bit
        Assert.Equal((-0x40000000, 0x40000000), (r[0].AsI32, r[1].AsI32));
        Assert.Equal(1, instance.Invoke("eq", Value.I32(100000), Value.I32(100000))[0].AsI32); // by value, even when allocated
        Assert.Equal(1, instance.Invoke("eq", Value.I32(-1), Value.I32(0x7FFFFFFF))[0].AsI32); // equal in 31 bits
        Assert.Equal(0, instance.Invoke("eq", Value.I32(1), Value.I32(2))[0].AsI32);
        var host = new object();
        Assert.Same(host, instance.Invoke("roundtrip", Value.ExternRef(host))[0].Reference);
        Assert.Equal(0, instance.Invoke("is_eq", Value.ExternRef(host))[0].AsI32);      // a host object is any, not eq
        Assert.Equal(-1, instance.Invoke("branch", Value.Null(ValType.AnyRef))[0].AsI32);
    }

    [Fact]
    public void I31RefsAreNeverAllocated()
    {
        // 100,000 i31s outside any small-value cache, through locals, a struct field, an array of eqref, an anyref
        // global, an anyref table, ref.eq, casts and the extern conversions: no allocation at all (each boxed i31 would
        // be at least 24 bytes, 2.4 MB in all), and every value survives intact.
        var instance = Instantiate("""
            (module
              (type $box (struct (field (mut anyref))))
              (type $vec (array (mut eqref)))
              (global $g (mut anyref) (ref.null any))
              (table $t 1 anyref)
              (func (export "churn") (param $n i32) (param $box (ref $box)) (param $vec (ref $vec)) (result i64)
                (local $i i32) (local $sum i64) (local $r (ref i31))
                (loop $l
                  (local.set $r (ref.i31 (i32.mul (local.get $i) (i32.const 10007))))
                  (struct.set $box 0 (local.get $box) (local.get $r))
                  (array.set $vec (local.get $vec) (i32.and (local.get $i) (i32.const 7)) (local.get $r))
                  (global.set $g (struct.get $box 0 (local.get $box)))
                  (table.set $t (i32.const 0) (global.get $g))
                  (if (i32.eqz (ref.eq (local.get $r)
                        (ref.cast (ref i31) (any.convert_extern (extern.convert_any (table.get $t (i32.const 0)))))))
                    (then unreachable))
                  (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_s (i31.get_s
                    (ref.cast (ref i31) (array.get $vec (local.get $vec) (i32.and (local.get $i) (i32.const 7))))))))
                  (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
                (local.get $sum))
              (func (export "run") (param i32) (result i64)
                (call 0 (local.get 0) (struct.new_default $box) (array.new_default $vec (i32.const 8)))))
            """);
        var run = instance.GetFunction("run")!;
        Assert.Equal(0L, run.Invoke(Value.I32(1))[0].AsI64); // generates and JIT-compiles the code
        long expected = 0;
        for (int i = 0; i < 100_000; i++) expected += ((i * 10007) << 1) >> 1;
        var args = new[] { Value.I32(100_000) };
        run.Invoke(args);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = run.Invoke(args)[0].AsI64;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(expected, result);
        Assert.True(allocated < 10_000, $"{allocated} bytes allocated"); // the call's own Value[] and boxes only
    }

    [Fact]
    public void ReferenceArraysAndFieldsKeepI31sAndObjectsApart()
    {
        // Arrays and fields whose type can hold an i31 keep its bits next to the object; others keep the object only.
        // array.copy from the latter into the former, array.new_elem/init_elem and array.fill into both.
        var instance = Instantiate("""
            (module
              (type $box (struct (field (mut i32))))
              (type $boxes (array (mut (ref null $box))))
              (type $anys (array (mut anyref)))
              (type $pair (struct (field $a (mut eqref)) (field $b (mut (ref null $box))) (field $c (mut i31ref))))
              (elem $mixed anyref (item (ref.i31 (i32.const -7))) (item (struct.new $box (i32.const 5))) (item (ref.null any)))
              (elem $objects (ref null $box) (item (struct.new $box (i32.const 9))))
              (func (export "copy") (result i32)
                (local $b (ref $boxes)) (local $a (ref $anys))
                (local.set $b (array.new $boxes (struct.new $box (i32.const 3)) (i32.const 4)))
                (local.set $a (array.new $anys (ref.i31 (i32.const 1000000)) (i32.const 6)))
                (array.copy $anys $boxes (local.get $a) (i32.const 1) (local.get $b) (i32.const 0) (i32.const 2))
                (i32.add
                  (i32.add (i31.get_s (ref.cast i31ref (array.get $anys (local.get $a) (i32.const 0))))
                           (i31.get_s (ref.cast i31ref (array.get $anys (local.get $a) (i32.const 3)))))
                  (i32.add (struct.get $box 0 (ref.cast (ref $box) (array.get $anys (local.get $a) (i32.const 1))))
                           (ref.eq (ref.cast eqref (array.get $anys (local.get $a) (i32.const 2)))
                                   (array.get $boxes (local.get $b) (i32.const 3))))))
              (func (export "elems") (result i32)
                (local $a (ref $anys)) (local $b (ref $boxes))
                (local.set $a (array.new_elem $anys $mixed (i32.const 0) (i32.const 3)))
                (local.set $b (array.new_default $boxes (i32.const 2)))
                (array.init_elem $boxes $objects (local.get $b) (i32.const 1) (i32.const 0) (i32.const 1))
                (array.fill $boxes (local.get $b) (i32.const 0) (array.get $boxes (local.get $b) (i32.const 1)) (i32.const 1))
                (i32.add (i32.add (i31.get_s (ref.cast i31ref (array.get $anys (local.get $a) (i32.const 0))))
                                  (struct.get $box 0 (ref.cast (ref $box) (array.get $anys (local.get $a) (i32.const 1)))))
                         (i32.add (ref.is_null (array.get $anys (local.get $a) (i32.const 2)))
                                  (struct.get $box 0 (array.get $boxes (local.get $b) (i32.const 0))))))
              (func (export "fields") (param i32) (result i32)
                (local $p (ref $pair))
                (local.set $p (struct.new $pair (ref.i31 (local.get 0)) (struct.new $box (i32.const 2)) (ref.i31 (i32.const -3))))
                (struct.set $pair $a (local.get $p) (ref.i31 (i32.add (i31.get_s (ref.cast i31ref (struct.get $pair $a (local.get $p)))) (i32.const 1))))
                (i32.add (i31.get_s (ref.cast i31ref (struct.get $pair $a (local.get $p))))
                  (i32.add (struct.get $box 0 (struct.get $pair $b (local.get $p))) (i31.get_s (struct.get $pair $c (local.get $p)))))))
            """);
        Assert.Equal(1000000 + 1000000 + 3 + 1, instance.Invoke("copy")[0].AsI32);
        Assert.Equal(-7 + 5 + 1 + 9, instance.Invoke("elems")[0].AsI32);
        Assert.Equal(50_000_000 + 1 + 2 - 3, instance.Invoke("fields", Value.I32(50_000_000))[0].AsI32);
    }

    [Fact]
    public void TheHostMakesAnyrefsFromItsObjectsAndI31s()
    {
        var instance = Instantiate("""
            (module
              (func (export "kind") (param anyref) (result i32)
                (if (result i32) (ref.is_null (local.get 0)) (then (i32.const 0))
                  (else (if (result i32) (ref.test (ref i31) (local.get 0)) (then (i31.get_s (ref.cast (ref i31) (local.get 0))))
                    (else (if (result i32) (ref.test eqref (local.get 0)) (then (i32.const -2)) (else (i32.const -1))))))))
              (func (export "back") (param anyref) (result externref) (extern.convert_any (local.get 0))))
            """);
        var host = new object();
        Assert.Equal(-1, instance.Invoke("kind", Value.AnyRef(host))[0].AsI32);           // externalized: any, not eq
        Assert.Same(host, instance.Invoke("back", Value.AnyRef(host))[0].Reference);
        Assert.Equal(0, instance.Invoke("kind", Value.AnyRef(null))[0].AsI32);
        Assert.Equal(I31Ref.MinValue, instance.Invoke("kind", Value.AnyRef(I31Ref.Create(I31Ref.MinValue)))[0].AsI32);
        Assert.Equal(777, instance.Invoke("kind", Value.AnyRef(I31Ref.Create(777)))[0].AsI32);
        Assert.Throws<ArgumentOutOfRangeException>(() => I31Ref.Create(I31Ref.MaxValue + 1));
        Assert.Throws<ArgumentException>(() => instance.Invoke("kind", Value.ExternRef(host))); // an externref is not an anyref
    }

    [Fact]
    public void I31RefsCrossTheHostBoundaryBoxed()
    {
        // The host sees an i31 as an I31Ref (boxed where it leaves compiled code) and may hand it back: it is the same
        // reference to wasm (ref.eq by value), of type i31, in every place a reference can travel.
        var instance = Instantiate("""
            (module
              (global $g (export "g") (mut anyref) (ref.i31 (i32.const 123456)))
              (table $t (export "t") 2 anyref)
              (tag $e (export "e") (param anyref))
              (func (export "make") (param i32) (result (ref i31)) (ref.i31 (local.get 0)))
              (func (export "same") (param anyref i32) (result i32) (ref.eq (ref.cast eqref (local.get 0)) (ref.i31 (local.get 1))))
              (func (export "is_i31") (param externref) (result i32) (ref.test (ref i31) (any.convert_extern (local.get 0))))
              (func (export "ext") (param i32) (result externref) (extern.convert_any (ref.i31 (local.get 0))))
              (func (export "table_value") (result i32) (i31.get_s (ref.cast i31ref (table.get $t (i32.const 1)))))
              (func (export "throw") (param i32) (throw $e (ref.i31 (local.get 0))))
              (func (export "catch") (param i32) (result i32)
                (block $h (result anyref)
                  (try_table (catch $e $h) (throw $e (ref.i31 (local.get 0))))
                  (return (i32.const -1)))
                (i31.get_s (ref.cast (ref i31) ))))
            """);
        var boxed = Assert.IsType<I31Ref>(instance.Invoke("make", Value.I32(-5_000_000))[0].Reference);
        Assert.Equal(-5_000_000, boxed.Value);
        Assert.Equal(1, instance.Invoke("same", Value.OfReference(ValType.AnyRef, boxed), Value.I32(-5_000_000))[0].AsI32);
        Assert.Equal(0, instance.Invoke("same", Value.OfReference(ValType.AnyRef, boxed), Value.I32(5_000_000))[0].AsI32);
        var external = instance.Invoke("ext", Value.I32(0x7FFF_FFFF))[0].Reference;   // extern.convert_any keeps it an i31
        Assert.Equal(-1, Assert.IsType<I31Ref>(external).Value);
        Assert.Equal(1, instance.Invoke("is_i31", Value.ExternRef(external))[0].AsI32);
        Assert.Equal(0, instance.Invoke("is_i31", Value.ExternRef(new object()))[0].AsI32);
        Assert.Equal(123456, Assert.IsType<I31Ref>(instance.GetGlobal("g")!.Value.Reference).Value);
        var table = instance.GetTable("t")!;
        table.Set(1, Value.OfReference(ValType.AnyRef, boxed));
        Assert.Equal(-5_000_000, instance.Invoke("table_value")[0].AsI32);
        Assert.Equal(-5_000_000, Assert.IsType<I31Ref>(table.Get(1).Reference).Value);
        var thrown = Assert.Throws<WasmException>(() => instance.Invoke("throw", Value.I32(777_777)));
        Assert.Equal(777_777, Assert.IsType<I31Ref>(thrown.Payload[0].Reference).Value);
        Assert.Equal(-888_888, instance.Invoke("catch", Value.I32(-888_888))[0].AsI32);
    }

    [Fact]
    public void GcObjectsAreCollectedByTheDotNetGc()
    {
        // A million structs in chains that are dropped every 100 links; then one struct handed to the host and let go:
        // nothing but the .NET heap holds them, and the .NET GC collects them (checked on the object itself, not on the
        // process's memory, which other tests running in parallel change).
        var instance = Instantiate("""
            (module (type $cell (struct (field i64) (field (ref null $cell))))
              (func (export "churn") (param i32) (result i64) (local $c (ref null $cell)) (local $sum i64)
                (loop $l
                  (local.set $c (struct.new $cell (i64.extend_i32_u (local.get 0)) (local.get $c)))
                  (local.set $sum (i64.add (local.get $sum) (struct.get $cell 0 (local.get $c))))
                  (if (i32.eqz (i32.rem_u (local.get 0) (i32.const 100))) (then (local.set $c (ref.null none))))
                  (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
                (local.get $sum))
              (func (export "one") (result anyref) (struct.new $cell (i64.const 1) (ref.null none))))
            """);
        const long n = 1_000_000;
        Assert.Equal(n * (n + 1) / 2, instance.Invoke("churn", Value.I32((int)n))[0].AsI64);
        var weak = HandOut(instance);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.IsAlive);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference HandOut(Instance instance)
    {
        var value = Assert.Single(instance.Invoke("one"));
        Assert.IsType<GcStruct>(value.Reference);
        return new WeakReference(value.Reference);
    }
}
