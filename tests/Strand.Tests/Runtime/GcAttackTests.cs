using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>
/// Faults found by attacking the GC implementation (issue 13), each with the input that showed it: storage layouts
/// across subtypes, the host boundary, hostile type sections and allocations.
/// </summary>
public class GcAttackTests
{
    private static Instance Instantiate(string wat) => new Linker().Instantiate(Module.Compile(WatParser.ParseModule(wat)));

    /// <summary>
    /// An immutable field may be narrowed by a subtype (eqref to structref): the subtype's object must keep the field
    /// where the supertype's layout puts it (with the i31 bit slot), or <c>struct.get $super</c> reads another field's
    /// bits (once: 0 for 42, and ref.eq false for the same struct).
    /// </summary>
    [Fact]
    public void StructFieldsNarrowedByASubtypeKeepTheSupertypesLayout()
    {
        var instance = Instantiate("""
            (module
              (type $T (struct (field i32)))
              (type $A (sub (struct (field eqref) (field i32) (field anyref))))
              (type $B (sub $A (struct (field (ref $T)) (field i32) (field i31ref) (field eqref) (field i64))))
              (global $g (ref $A) (struct.new $B (struct.new $T (i32.const 5)) (i32.const 6) (ref.i31 (i32.const -7)) (ref.i31 (i32.const 8)) (i64.const 9)))
              (func (export "second") (result i32)
                (struct.get $A 1 (struct.new $B (struct.new $T (i32.const 1)) (i32.const 42) (ref.null i31) (ref.null eq) (i64.const 0))))
              (func (export "same") (result i32)
                (local $t (ref $T))
                (local.set $t (struct.new $T (i32.const 1)))
                (ref.eq (local.get $t) (struct.get $A 0 (struct.new $B (local.get $t) (i32.const 42) (ref.null i31) (ref.null eq) (i64.const 0)))))
              (func (export "global") (result i32)
                (i32.add (struct.get $T 0 (ref.cast (ref $T) (struct.get $A 0 (global.get $g))))
                  (i32.add (struct.get $A 1 (global.get $g))
                    (i32.add (i31.get_s (ref.cast i31ref (struct.get $A 2 (global.get $g))))
                      (i32.add (i31.get_s (ref.cast i31ref (struct.get $B 3 (ref.cast (ref $B) (global.get $g)))))
                        (i32.wrap_i64 (struct.get $B 4 (ref.cast (ref $B) (global.get $g))))))))))
            """);
        Assert.Equal(42, instance.Invoke("second")[0].AsI32);
        Assert.Equal(1, instance.Invoke("same")[0].AsI32);
        Assert.Equal(5 + 6 - 7 + 8 + 9, instance.Invoke("global")[0].AsI32);
    }

    /// <summary>
    /// An immutable array type may be narrowed the same way (array eqref to array structref). Once the subtype's array
    /// was a GcArray of objects read as a GcArray of RefValues through the supertype: 16-byte elements over 8-byte ones,
    /// past the end of the .NET array (ref.eq false for the stored struct, or garbage). array.copy from such an array into
    /// an array stored as objects, array.new_elem and arrays in constant expressions use the same storage.
    /// </summary>
    [Fact]
    public void ArraysNarrowedByASubtypeKeepTheSupertypesStorage()
    {
        var instance = Instantiate("""
            (module
              (type $R (sub (array eqref)))
              (type $S (sub $R (array structref)))
              (type $D (array (mut structref)))
              (type $W (array (mut anyref)))
              (type $T (struct (field i32)))
              (global $ga (ref $R) (array.new_fixed $S 2 (struct.new $T (i32.const 11)) (ref.null struct)))
              (elem $e structref (item (struct.new $T (i32.const 21))) (item (struct.new $T (i32.const 22))))
              (func (export "same") (result i32)
                (local $a (ref $R)) (local $t (ref $T))
                (local.set $t (struct.new $T (i32.const 1)))
                (local.set $a (array.new $S (local.get $t) (i32.const 4)))
                (i32.and (ref.eq (local.get $t) (array.get $R (local.get $a) (i32.const 1)))
                         (ref.eq (local.get $t) (array.get $R (local.get $a) (i32.const 3)))))
              (func (export "copy_to_objects") (result i32)
                (local $d (ref $D)) (local $s (ref $S))
                (local.set $s (array.new $S (struct.new $T (i32.const 3)) (i32.const 4)))
                (local.set $d (array.new_default $D (i32.const 4)))
                (array.copy $D $S (local.get $d) (i32.const 1) (local.get $s) (i32.const 0) (i32.const 3))
                (struct.get $T 0 (ref.cast (ref $T) (array.get $D (local.get $d) (i32.const 3)))))
              (func (export "copy_to_pairs") (result i32)
                (local $d (ref $W)) (local $s (ref $S))
                (local.set $s (array.new $S (struct.new $T (i32.const 4)) (i32.const 4)))
                (local.set $d (array.new_default $W (i32.const 4)))
                (array.copy $W $R (local.get $d) (i32.const 1) (local.get $s) (i32.const 0) (i32.const 3))
                (struct.get $T 0 (ref.cast (ref $T) (array.get $W (local.get $d) (i32.const 3)))))
              (func (export "global") (result i32)
                (i32.add (struct.get $T 0 (ref.cast (ref $T) (array.get $R (global.get $ga) (i32.const 0))))
                  (ref.is_null (array.get $R (global.get $ga) (i32.const 1)))))
              (func (export "elem") (result i32)
                (local $r (ref $R))
                (local.set $r (array.new_elem $S $e (i32.const 0) (i32.const 2)))
                (struct.get $T 0 (ref.cast (ref $T) (array.get $R (local.get $r) (i32.const 1))))))
            """);
        Assert.Equal(1, instance.Invoke("same")[0].AsI32);
        Assert.Equal(3, instance.Invoke("copy_to_objects")[0].AsI32);
        Assert.Equal(4, instance.Invoke("copy_to_pairs")[0].AsI32);
        Assert.Equal(12, instance.Invoke("global")[0].AsI32);
        Assert.Equal(22, instance.Invoke("elem")[0].AsI32);
    }

    /// <summary>
    /// A chain of declared supertypes: each canonical type keeps its whole chain, so a chain of n types cost n²/2 ints
    /// (30,000 struct types in 190 KB of binary: 1.8 GB; 100,000 would exhaust the machine). Depth 63 is accepted (as
    /// in V8 and wasmparser), 64 is an implementation limit, whatever the chain's length beyond.
    /// </summary>
    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    [InlineData(2_000, false)]
    public void SubtypingDepthIsLimited(int depth, bool accepted)
    {
        var wat = new System.Text.StringBuilder("(module (type $t0 (sub (struct (field i32))))");
        for (int i = 1; i <= depth; i++) wat.Append($" (type $t{i} (sub $t{i - 1} (struct (field i32))))");
        wat.Append($" (func (export \"f\") (result i32) (ref.test (ref $t0) (struct.new $t{depth} (i32.const 7)))))");
        var definition = WatParser.ParseModule(wat.ToString());
        if (accepted)
        {
            Assert.Equal(1, new Linker().Instantiate(Module.Compile(definition)).Invoke("f")[0].AsI32);
            return;
        }
        var error = Assert.Throws<WasmImplementationLimitException>(() => Module.Compile(definition));
        Assert.Contains("type 64 has a subtyping depth above 63", error.Message);
    }

    /// <summary>
    /// Struct types have at most 10,000 fields (the JS API's limit, as wasmparser's): a million-field type (8 bytes of
    /// binary per 4 fields) made each <c>struct.new_default</c> a 16 MB allocation, and a <c>struct.new</c> of 49,000
    /// operands took the JIT seconds. 10,000 fields are accepted and work; 10,001 are an implementation limit, reported
    /// when the module is decoded.
    /// </summary>
    [Theory]
    [InlineData(10_000, true)]
    [InlineData(10_001, false)]
    [InlineData(1_000_000, false)]
    public void StructFieldsAreLimited(int fields, bool accepted)
    {
        var wat = $$"""
            (module
              (type $s (struct {{string.Concat(Enumerable.Repeat("(field (mut i64)) ", fields - 1))}} (field (mut i32))))
              (func (export "f") (result i32)
                (local $r (ref null $s))
                (local.set $r (struct.new_default $s))
                (struct.set $s {{fields - 1}} (local.get $r) (i32.const 41))
                (i32.add (struct.get $s {{fields - 1}} (local.get $r)) (i32.wrap_i64 (struct.get $s 0 (local.get $r)))))
              (func (export "g") (result i32) (i32.const 1)))
            """;
        if (accepted)
        {
            Assert.Equal(41, Instantiate(wat).Invoke("f")[0].AsI32);
            return;
        }
        var error = Assert.Throws<WasmImplementationLimitException>(() => Module.Compile(WatParser.ParseModule(wat)));
        Assert.Contains($"a struct type of {fields} fields", error.Message);
        Assert.Contains("at most 10000 fields per struct", error.Message);
    }

    /// <summary>
    /// <c>array.new_fixed</c> takes at most 10,000 operands (the JS API's limit), in a function body and in a constant
    /// expression alike; more is an implementation limit (it was reported as an invalid module).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ArrayNewFixedOperandsAreLimited(bool inGlobal)
    {
        string Wat(int count)
        {
            string fixedArray = $"(array.new_fixed $a {count} {string.Concat(Enumerable.Repeat("(i32.const 3) ", count))})";
            return inGlobal
                ? $"(module (type $a (array i32)) (global $g (ref $a) {fixedArray}) (func (export \"f\") (result i32) (array.len (global.get $g))))"
                : $"(module (type $a (array i32)) (func (export \"f\") (result i32) (array.len {fixedArray})))";
        }
        Assert.Equal(10_000, Instantiate(Wat(10_000)).Invoke("f")[0].AsI32);
        var error = Assert.Throws<WasmImplementationLimitException>(() => Module.Compile(WatParser.ParseModule(Wat(10_001))));
        Assert.Contains("array.new_fixed of 10001 operands", error.Message);
        Assert.Contains("at most 10000", error.Message);
    }

    /// <summary>
    /// array.new of -0.0 is an array of -0.0 (bits 0x80000000...): the allocation skipped the fill for a value equal to
    /// the default, and -0.0 == 0.0 as a float, so compiled code and constant expressions made +0.0 elements.
    /// </summary>
    [Fact]
    public void ArrayNewKeepsNegativeZero()
    {
        var instance = Instantiate("""
            (module
              (type $f (array (mut f32)))
              (type $d (array (mut f64)))
              (global $g (ref $d) (array.new $d (f64.const -0) (i32.const 2)))
              (func (export "f32") (result i32)
                (i32.reinterpret_f32 (array.get $f (array.new $f (f32.const -0) (i32.const 3)) (i32.const 1))))
              (func (export "f64") (result i64)
                (i64.reinterpret_f64 (array.get $d (array.new $d (f64.const -0) (i32.const 3)) (i32.const 2))))
              (func (export "global") (result i64)
                (i64.reinterpret_f64 (array.get $d (global.get $g) (i32.const 1)))))
            """);
        Assert.Equal(unchecked((int)0x80000000), instance.Invoke("f32")[0].AsI32);
        Assert.Equal(long.MinValue, instance.Invoke("f64")[0].AsI64);
        Assert.Equal(long.MinValue, instance.Invoke("global")[0].AsI64);
    }

    /// <summary>
    /// array.new_default in a constant expression allocates the array, not a <see cref="Value"/> (32 bytes) per element
    /// first: a 16 MiB i8 array once cost 512 MiB more at instantiation (a 256 MiB one, 8 GiB: an OutOfMemoryException
    /// under a 4 GiB heap where compiled code's array.new_default succeeds).
    /// </summary>
    [Fact]
    public void ConstantArrayNewAllocatesOnlyTheArray()
    {
        const int length = 1 << 24;
        var module = Module.Compile(WatParser.ParseModule($$"""
            (module
              (type $a (array (mut i8)))
              (global $g (ref $a) (array.new_default $a (i32.const {{length}})))
              (global $h (ref $a) (array.new $a (i32.const 7) (i32.const {{length}})))
              (func (export "get") (param i32) (result i32)
                (i32.add (array.len (global.get $g)) (array.get_u $a (global.get $h) (local.get 0)))))
            """));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var instance = new Linker().Instantiate(module);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.InRange(allocated, 2L * length, 3L * length);
        Assert.Equal(length + 7, instance.Invoke("get", Value.I32(length - 1))[0].AsI32);
    }

    /// <summary>
    /// An i31 is boxed afresh each time it leaves compiled code (outside the preallocated [-1024, 1023]), so reading one
    /// global twice gave two Values that were not Equal, though they are the same reference (ref.eq by value).
    /// </summary>
    [Fact]
    public void BoxedI31sOfOneReferenceAreEqualValues()
    {
        var instance = Instantiate("""
            (module
              (global $g (export "g") (mut anyref) (ref.i31 (i32.const 5000)))
              (global $h (export "h") externref (extern.convert_any (ref.i31 (i32.const 5000))))
              (global $k (export "k") anyref (ref.i31 (i32.const 5001))))
            """);
        var first = instance.GetGlobal("g")!.Value;
        var second = instance.GetGlobal("g")!.Value;
        Assert.NotSame(first.Reference, second.Reference);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.Equal(first.Reference, second.Reference);                     // I31Ref.Equals by value
        Assert.NotEqual(first, instance.GetGlobal("k")!.Value);              // another i31
        Assert.NotEqual(first, instance.GetGlobal("h")!.Value);              // the same i31 as an externref: another type
        Assert.Equal(instance.GetGlobal("h")!.Value, instance.GetGlobal("h")!.Value);
        Assert.Single(new HashSet<Value> { first, second });
    }

    /// <summary>
    /// <c>ref.null $t</c> in a constant expression, for a struct or array type <c>$t</c>: the module's type index was given
    /// to <see cref="Value.Null"/> as it was, where a bare type index counts as a function type, so a
    /// <c>(ref null $struct)</c> global refused its own initializer ("funcref is not (ref null ...)", an ArgumentException
    /// at instantiation). Tables, element segments and <c>array.new_default</c> in constant expressions too.
    /// </summary>
    [Fact]
    public void ConstantRefNullOfAGcTypeInitializesGlobalsAndTables()
    {
        var instance = Instantiate("""
            (module
              (type $s (struct (field i32)))
              (type $a (array (mut (ref null $s))))
              (type $f (func))
              (global $g (export "g") (ref null $s) (ref.null $s))
              (global $g2 (ref null $a) (ref.null $a))
              (global $gf (ref null $f) (ref.null $f))
              (global $h (ref $a) (array.new $a (ref.null $s) (i32.const 2)))
              (global $d (ref $a) (array.new_default $a (i32.const 3)))
              (global $m (mut (ref null $s)) (global.get $g))
              (table $t (export "t") 2 (ref null $s) (ref.null $s))
              (elem $e (ref null $s) (item (ref.null $s)) (item (struct.new $s (i32.const 4))))
              (func (export "f") (result i32)
                (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 2))
                (i32.add (i32.add (ref.is_null (global.get $g)) (ref.is_null (global.get $g2)))
                  (i32.add (i32.add (ref.is_null (global.get $gf)) (ref.is_null (global.get $m)))
                    (i32.add (i32.add (ref.is_null (array.get $a (global.get $h) (i32.const 1)))
                                      (ref.is_null (array.get $a (global.get $d) (i32.const 2))))
                      (i32.add (ref.is_null (table.get $t (i32.const 0))) (struct.get $s 0 (table.get $t (i32.const 1)))))))))
            """);
        Assert.Equal(7 + 4, instance.Invoke("f")[0].AsI32);
        Assert.Equal(ValType.AnyRef, instance.GetGlobal("g")!.Value.Type);
        Assert.True(instance.GetGlobal("g")!.Value.IsNull);
        Assert.Equal(ValType.AnyRef, instance.GetTable("t")!.Get(0).Type);
    }

    /// <summary>
    /// GC code builds constant arrays with <c>array.new_fixed</c> over many <c>global.get</c>, <c>ref.i31</c> or
    /// <c>ref.null</c> operands. Each counted as a control-flow join holding every operand below it (the frame-size
    /// bound of <see cref="ImplementationLimits.MaxBranchSpillUnits"/>), so 1,000 of them (1,001,010 units) were refused as
    /// an implementation limit, though they compile to branch-free loads; they now count 1/16 unit per live value.
    /// </summary>
    [Theory]
    [InlineData("(global.get $g)", 5)]
    [InlineData("(ref.i31 (i32.const 6))", 6)]
    [InlineData("(ref.null none)", -1)]
    public void ArrayNewFixedOfManyLoadsCompiles(string operand, int expected)
    {
        const int count = 1_000;
        var operands = string.Join(" ", Enumerable.Repeat(operand, count));
        var instance = Instantiate($$"""
            (module
              (type $a (array anyref))
              (global $g (mut anyref) (ref.i31 (i32.const 5)))
              (func (export "f") (result i32)
                (local $r anyref)
                (local.set $r (array.get $a (array.new_fixed $a {{count}} {{operands}}) (i32.const {{count - 1}})))
                (if (result i32) (ref.is_null (local.get $r)) (then (i32.const -1)) (else (i31.get_s (ref.cast i31ref (local.get $r)))))))
            """);
        Assert.Equal(expected, instance.Invoke("f")[0].AsI32);
    }

    /// <summary>
    /// The loads still cost the JIT work per live value (49,000 <c>global.get</c>s feeding one <c>struct.new</c>: 43 s of
    /// CPU), so 10,000 of them (3,144,697 units at 1/16 each) stay an implementation limit.
    /// </summary>
    [Fact]
    public void TenThousandLoadsOverOneStackStayALimit()
    {
        const int count = 10_000;
        var definition = WatParser.ParseModule($$"""
            (module
              (type $a (array anyref))
              (global $g (mut anyref) (ref.null any))
              (func (export "f") (result i32)
                (array.len (array.new_fixed $a {{count}} {{string.Join(" ", Enumerable.Repeat("(global.get $g)", count))}}))))
            """);
        var error = Assert.Throws<WasmImplementationLimitException>(() => Module.Compile(definition));
        Assert.Contains("operand values across branches", error.Message);
    }

    /// <summary>
    /// An array the process cannot allocate (here 1 GiB under a 512 MiB .NET heap limit; 2^28 16-byte elements are 4 GiB)
    /// is a trap, "array too large", not an OutOfMemoryException escaping to the host (the CLI printed "wasm trap:
    /// Exception of type 'System.OutOfMemoryException' was thrown."). Run as a child process to set the heap limit.
    /// </summary>
    [Fact]
    public async Task AnArrayTheProcessCannotAllocateTraps()
    {
        var wat = Path.Combine(Path.GetTempPath(), $"strand-gc-oom-{Environment.ProcessId}.wat");
        File.WriteAllText(wat, """
            (module
              (type $a (array (mut anyref)))
              (func (export "f") (result i32)
                (array.len (array.new_default $a (i32.const 0x4000000)))))
            """);
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Strand.Cli.dll"), "run", wat, "--invoke", "f"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["DOTNET_GCHeapHardLimit"] = "0x20000000";
            using var process = System.Diagnostics.Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = await process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(134, process.ExitCode);
            Assert.Equal("", output);
            Assert.Contains("wasm trap: array too large: 67108864 elements of 16 bytes do not fit in the available memory", await error);
        }
        finally
        {
            File.Delete(wat);
        }
    }
}
