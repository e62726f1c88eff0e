using Strand.Interpreter;
using Strand.Runtime;
using Xunit;

namespace Strand.Tests.Interpreter;

/// <summary>
/// Hostile inputs for the interpreter (docs/interpreter.md): NaN payloads through every non-arithmetic path, i32 slots
/// whose upper halves hold garbage, br_table with any index, memory grown by another thread, host functions that throw
/// (also proc_exit's exception) through interpreted frames with the value stack in use, guest → host → guest recursion.
/// </summary>
public unsafe class InterpreterAttackTests
{
    private const string Pad = "(func) (func) (func)";

    private static Instance Instantiate(Module module, Linker? linker = null) => (linker ?? new Linker()).Instantiate(module);

    // ------------------------------------------------------------------ NaN bits

    private const string NanModule = $$"""
        (module
          (memory 1)
          (global $g32 (mut f32) (f32.const 0))
          (global $g64 (mut f64) (f64.const 0))
          (func $id32 (param f32) (result f32) (local.get 0))
          (func $id64 (param f64) (result f64) (local.get 0))
          (func) (func)
          ;; compiled (v128 locals): reached through the interpreter's call-outs
          (func $cid32 (param f32) (result f32) (local v128) (local.get 0))
          (func $cid64 (param f64) (result f64) (local v128) (local.get 0))
          (func) (func)
          (func (export "pass32") (param i32) (result i32) (local $f f32)
            (f32.store offset=3 (i32.const 0) (f32.reinterpret_i32 (local.get 0)))
            (global.set $g32 (f32.load offset=3 (i32.const 0)))
            (local.set $f (select (global.get $g32) (f32.const 1) (i32.const 1)))
            (i32.reinterpret_f32 (call $cid32 (call $id32 (local.tee $f (local.get $f))))))
          (func (export "pass64") (param i64) (result i64) (local $f f64)
            (f64.store offset=5 (i32.const 0) (f64.reinterpret_i64 (local.get 0)))
            (global.set $g64 (f64.load offset=5 (i32.const 0)))
            (local.set $f (select (f64.const 1) (global.get $g64) (i32.const 0)))
            (i64.reinterpret_f64 (call $cid64 (call $id64 (local.tee $f (local.get $f))))))
          (func (export "abs32") (param i32) (result i32) (i32.reinterpret_f32 (f32.abs (f32.reinterpret_i32 (local.get 0)))))
          (func (export "neg32") (param i32) (result i32) (i32.reinterpret_f32 (f32.neg (f32.reinterpret_i32 (local.get 0)))))
          (func (export "copysign32") (param i32 i32) (result i32)
            (i32.reinterpret_f32 (f32.copysign (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))
          (func (export "abs64") (param i64) (result i64) (i64.reinterpret_f64 (f64.abs (f64.reinterpret_i64 (local.get 0)))))
          (func (export "neg64") (param i64) (result i64) (i64.reinterpret_f64 (f64.neg (f64.reinterpret_i64 (local.get 0)))))
          (func (export "copysign64") (param i64 i64) (result i64)
            (i64.reinterpret_f64 (f64.copysign (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))))
          (func (export "ret32") (param i32) (result f32) (call $id32 (f32.reinterpret_i32 (local.get 0))))
          (func (export "arg32") (param f32) (result i32) (i32.reinterpret_f32 (call $cid32 (local.get 0))))
          (func (export "ret64") (param i64) (result f64) (call $cid64 (f64.reinterpret_i64 (local.get 0))))
          (func (export "const32") (result f32) (f32.const nan:0x200001))
          (func (export "const64") (result f64) (f64.const -nan:0x4000000000001))
          (func (export "demote") (param i64) (result i32) (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (local.get 0)))))
          (func (export "promote") (param i32) (result i64) (i64.reinterpret_f64 (f64.promote_f32 (f32.reinterpret_i32 (local.get 0))))))
        """;

    private static readonly uint[] Nan32 = [0x7FA0_0001, 0xFFA0_0001, 0x7F80_0001, 0x7FC0_0000, 0xFFFF_FFFF, 0x8000_0000, 0x3F80_0000];
    private static readonly ulong[] Nan64 = [0x7FF0_0000_0000_0001, 0xFFF4_0000_0000_0000, 0x7FF8_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000];

    [Fact]
    public void NaNPayloadsSurviveEveryPathThatIsNotArithmetic()
    {
        var module = Interp.Compile(NanModule);
        var compiled = Instantiate(Interp.Compiled(NanModule));
        var a = Instantiate(module);
        foreach (uint bits in Nan32)
        {
            int v = unchecked((int)bits);
            Assert.Equal(bits, (uint)a.Invoke("pass32", Value.I32(v))[0].AsI32);
            Assert.Equal(bits & 0x7FFF_FFFF, (uint)a.Invoke("abs32", Value.I32(v))[0].AsI32);
            Assert.Equal(bits ^ 0x8000_0000, (uint)a.Invoke("neg32", Value.I32(v))[0].AsI32);
            Assert.Equal((bits & 0x7FFF_FFFF) | 0x8000_0000, (uint)a.Invoke("copysign32", Value.I32(v), Value.I32(-1))[0].AsI32);
            Assert.Equal(bits & 0x7FFF_FFFF, (uint)a.Invoke("copysign32", Value.I32(v), Value.I32(0x7FA0_0000))[0].AsI32);
            Assert.Equal(bits, (uint)a.Invoke("ret32", Value.I32(v))[0].Bits);
            Assert.Equal(bits, (uint)a.Invoke("arg32", Value.F32Bits(bits))[0].AsI32);
            // Arithmetic NaNs (the spec leaves their payload open): as compiled code.
            Assert.Equal(compiled.Invoke("promote", Value.I32(v))[0], a.Invoke("promote", Value.I32(v))[0]);
        }
        foreach (ulong bits in Nan64)
        {
            long v = unchecked((long)bits);
            Assert.Equal(bits, (ulong)a.Invoke("pass64", Value.I64(v))[0].AsI64);
            Assert.Equal(bits & 0x7FFF_FFFF_FFFF_FFFF, (ulong)a.Invoke("abs64", Value.I64(v))[0].AsI64);
            Assert.Equal(bits ^ 0x8000_0000_0000_0000, (ulong)a.Invoke("neg64", Value.I64(v))[0].AsI64);
            Assert.Equal(bits | 0x8000_0000_0000_0000, (ulong)a.Invoke("copysign64", Value.I64(v), Value.I64(-1))[0].AsI64);
            Assert.Equal(bits, a.Invoke("ret64", Value.I64(v))[0].Bits);
            Assert.Equal(compiled.Invoke("demote", Value.I64(v))[0], a.Invoke("demote", Value.I64(v))[0]);
        }
        Assert.Equal(0x7FA0_0001UL, a.Invoke("const32")[0].Bits);
        Assert.Equal(0xFFF4_0000_0000_0001UL, a.Invoke("const64")[0].Bits);
        for (int d = 0; d < 2; d++) Assert.True(Interp.HasNoCode(module, d));
        Assert.True(Interp.HasNoCode(module, Interp.Defined(module, "pass32")));
        Assert.False(Interp.HasNoCode(module, 4)); // $cid32 ran compiled
    }

    // ------------------------------------------------------------------ garbage in the upper half of i32 slots

    [Fact]
    public void AnI32ResultWrittenOverAnI64ArgumentIsUsedByItsLowHalfOnly()
    {
        // The call-out stores a compiled callee's i32 result into the slot of its i64 argument: the slot's upper half
        // keeps the argument's bits. Every use of the i32 must ignore them.
        string wat = $$"""
            (module
              (memory 1)
              (data (i32.const 0) "\2a\00\00\00")
              (global $g (export "g") (mut i32) (i32.const 0))
              (func $low (param i64) (result i32) (local v128) (i32.wrap_i64 (local.get 0)))
              {{Pad}}
              (func (export "low") (param i64) (result i32) (call $low (local.get 0)))
              (func (export "uses") (param i64) (result i64) (local $x i32) (local $r i64)
                (local.set $x (call $low (local.get 0)))
                (global.set $g (local.get $x))
                (local.set $r (i64.extend_i32_u (local.get $x)))
                (local.set $r (i64.add (local.get $r) (i64.shl (i64.extend_i32_u (i32.eqz (local.get $x))) (i64.const 8))))
                (local.set $r (i64.add (local.get $r) (i64.shl (i64.extend_i32_u (i32.eq (local.get $x) (i32.const 1))) (i64.const 9))))
                (local.set $r (i64.add (local.get $r) (i64.shl (i64.extend_i32_u (i32.load (i32.and (local.get $x) (i32.const 0)))) (i64.const 10))))
                (local.set $r (i64.add (local.get $r) (i64.shl (i64.extend_i32_u (select (i32.const 3) (i32.const 5) (local.get $x))) (i64.const 20))))
                (local.set $r (i64.add (local.get $r) (i64.shl (i64.trunc_f64_u (f64.convert_i32_u (local.get $x))) (i64.const 24))))
                (local.set $r (i64.add (local.get $r) (i64.shl (i64.extend_i32_s (local.get $x)) (i64.const 40))))
                (if (local.get $x) (then (local.set $r (i64.add (local.get $r) (i64.const 0x10)))))
                (block $b2 (block $b1 (block $b0 (br_table $b0 $b1 $b2 (local.get $x)))
                  (local.set $r (i64.add (local.get $r) (i64.const 0x20))) (br $b2))
                  (local.set $r (i64.add (local.get $r) (i64.const 0x40))))
                (local.get $r)))
            """;
        var module = Interp.Compile(wat);
        var a = Instantiate(module);
        var b = Instantiate(Interp.Compiled(wat));
        foreach (long high in new[] { 0L, -1L << 32, 0x1234_5678L << 32 })
            foreach (long low in new long[] { 0, 1, 2, 0xFFFF_FFFF })
            {
                long arg = high | low;
                Assert.Equal(Interp.Outcome(() => b.Invoke("uses", Value.I64(arg))), Interp.Outcome(() => a.Invoke("uses", Value.I64(arg))));
                Assert.Equal((ulong)low, a.Invoke("low", Value.I64(arg))[0].Bits);
                Assert.Equal((ulong)low, a.GetGlobal("g")!.Value.Bits);
            }
        Assert.Equal(0L + (1 << 8) + (42L << 10) + (5L << 20) + 0x20, a.Invoke("uses", Value.I64(-1L << 32))[0].AsI64);
        Assert.Equal(1L + (1 << 9) + (42L << 10) + (3L << 20) + (1L << 24) + (1L << 40) + 0x10 + 0x40, a.Invoke("uses", Value.I64(0x7777_0000_0001))[0].AsI64);
        Assert.True(Interp.HasNoCode(module, Interp.Defined(module, "uses")));
        Assert.False(Interp.HasNoCode(module, 0));
    }

    // ------------------------------------------------------------------ wide signatures

    [Fact]
    public void HundredsOfParametersPassThroughEntryThunksAndCallOuts()
    {
        // 200 parameters of the four types, through the entry thunk (host and compiled callers), an interpreted call and
        // a call-out to a compiled callee of the same signature.
        string[] types = ["i32", "i64", "f32", "f64"];
        var ps = string.Join(" ", Enumerable.Range(0, 200).Select(k => types[k % 4]));
        string Sum(string self) => string.Join(" ", Enumerable.Range(0, 200).Select(k => (k % 4) switch
        {
            0 => $"(f64.convert_i32_s (local.get {k}))",
            1 => $"(f64.convert_i64_s (local.get {k}))",
            2 => $"(f64.promote_f32 (local.get {k}))",
            _ => $"(local.get {k})",
        })) + " " + string.Concat(Enumerable.Repeat("f64.add ", 199)) + self;
        var args = string.Join(" ", Enumerable.Range(0, 200).Select(k => (k % 4) switch
        {
            0 => $"(i32.add (local.get 0) (i32.const {k}))",
            1 => $"(i64.const {-(long)k * 1_000_000_007})",
            2 => $"(f32.const {k}.5)",
            _ => $"(f64.const {k}.25)",
        }));
        string wat = $$"""
            (module
              (type $wide (func (param {{ps}}) (result f64)))
              (func $interp (type $wide) {{Sum("(f64.mul (f64.const 2))")}})
              {{Pad}}
              (func $comp (type $wide) (local v128) {{Sum("")}})
              {{Pad}}
              (func (export "via_interp") (param i32) (result f64) (call $interp {{args}}))
              (func (export "via_comp") (param i32) (result f64) (call $comp {{args}}))
              {{Pad}}
              (func (export "from_comp") (param i32) (result f64) (local v128) (call $interp {{args}})))
            """;
        var module = Interp.Compile(wat);
        module.Compiled.GroupGeneration = false;
        var a = Instantiate(module);
        var b = Instantiate(Interp.Compiled(wat));
        foreach (var export in new[] { "via_interp", "via_comp", "from_comp" })
            foreach (int x in new[] { 0, 7, -100 })
            {
                var expected = b.Invoke(export, Value.I32(x))[0];
                Assert.Equal(expected, a.Invoke(export, Value.I32(x))[0]);
                Assert.NotEqual(0.0, expected.AsF64);
            }
        double reference = 0;
        for (int k = 0; k < 200; k++) reference += (k % 4) switch { 0 => 7 + k, 1 => -(double)k * 1_000_000_007, 2 => k + 0.5, _ => k + 0.25 };
        Assert.Equal(reference * 2, a.Invoke("via_interp", Value.I32(7))[0].AsF64, 6);
        Assert.True(Interp.HasNoCode(module, 0));
        Assert.True(Interp.HasNoCode(module, 8));
        Assert.False(Interp.HasNoCode(module, 4));
        Assert.False(Interp.HasNoCode(module, 13));
    }

    // ------------------------------------------------------------------ br_table

    [Theory]
    [InlineData(0, 1_030_300)]
    [InlineData(1, 1_030_100)]
    [InlineData(2, 100)]         // the function's label: a return with the carried value
    [InlineData(3, 1_000_100)]
    [InlineData(4, 1_000_100)]
    [InlineData(int.MaxValue, 1_000_100)]
    [InlineData(int.MinValue, 1_000_100)]
    [InlineData(-1, 1_000_100)]
    public void BrTableTakesItsDefaultForAnyIndexPastTheTable(int index, int expected)
    {
        const string wat = """
            (module
              (func (export "bt") (param i32) (result i32)
                i32.const 1000000
                block $c (result i32)
                  i32.const 30000
                  block $b (result i32)
                    i32.const 200
                    block $a (result i32)
                      i32.const 5
                      i32.const 100
                      local.get 0
                      br_table $a $b 3 $c
                    end
                    i32.add
                  end
                  i32.add
                end
                i32.add))
            """;
        var module = Interp.Compile(wat);
        Assert.Equal(expected, Instantiate(module).Invoke("bt", Value.I32(index))[0].AsI32);
        Assert.Equal(expected, Instantiate(Interp.Compiled(wat)).Invoke("bt", Value.I32(index))[0].AsI32);
        Assert.True(Interp.HasNoCode(module, 0));
    }

    // ------------------------------------------------------------------ control flow corners

    public static TheoryData<string> ControlCorners => new()
    {
        // a loop with a parameter, re-entered by br_if with operands left below (unwound to the loop's height)
        """
        (func (export "f") (param i32) (result i32)
          (i32.const 7)
          (i32.const 0)
          (loop $l (param i32) (result i32)
            (i32.const 1000)
            (i32.add (i32.const 1))
            (i32.and (local.get 0) (i32.const 15)) (i32.const 1) (i32.sub) (local.tee 0)
            (br_if $l)
            (drop))
          (i32.add))
        """,
        // an if with parameters and no else
        """
        (func (export "f") (param i32) (result i32)
          (i32.const 5) (i32.const 6)
          (if (param i32 i32) (result i32 i32) (i32.and (local.get 0) (i32.const 1))
            (then (i32.mul) (i32.const 100)))
          (i32.sub))
        """,
        // br_table to a loop label carrying its parameter, to a block, and out
        """
        (func (export "f") (param i32) (result i32) (local $n i32)
          (block $out (result i32)
            (i32.const 0)
            (loop $l (param i32) (result i32)
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (i32.add (local.get $n))
              (br_table $l $l $l $out (i32.and (i32.add (local.get 0) (local.get $n)) (i32.const 3))))))
        """,
        // three values carried out of nested blocks by br_if, with operands below, then the fall-through
        """
        (func (export "f") (param i32) (result i32) (local $a i32) (local $b i64) (local $c f32)
          (i32.const 99)
          (block $m (result i32 i64 f32)
            (i64.const 1)
            (block (result i32 i64 f32)
              (i32.const 1) (i64.const 2) (f32.const 3)
              (br_if $m (i32.gt_s (local.get 0) (i32.const 2)))
              (drop) (drop) (drop)
              (i32.const 4) (i64.const 5) (f32.const 6.5))
            (local.set $c) (local.set $b) (local.set $a) (drop)
            (local.get $a) (local.get $b) (local.get $c))
          (local.set $c) (local.set $b) (local.set $a)
          (i32.add (local.get $a) (i32.wrap_i64 (local.get $b)))
          (i32.add (i32.trunc_f32_s (f32.mul (local.get $c) (f32.const 10))))
          (i32.add))
        """,
        // unreachable code after br, return and br_table, with blocks opened and closed inside it
        """
        (func (export "f") (param i32) (result i32)
          (block $a (result i32)
            (block $b (result i32)
              (br_if $b (i32.const 10) (local.get 0))
              (br $a (i32.const 20))
              (block (loop (if (i32.const 1) (then (nop)) (else (nop)))))
              (i32.add) (br_table 0 1 2))
            (i32.const 1) (i32.add)
            (return)
            (if (result i32) (i32.const 0) (then (i32.const 1)) (else (i32.const 2))))
          (i32.const 3) (i32.add))
        """,
        // typed select of f64 and of i64 with conditions of any bits
        """
        (func (export "f") (param i32) (result i32)
          (i32.add
            (i32.trunc_f64_s (select (result f64) (f64.const 1.5) (f64.const -2.5) (i32.and (local.get 0) (i32.const 0x80000000))))
            (i32.wrap_i64 (select (result i64) (i64.const 0x100000007) (i64.const 9) (local.get 0)))))
        """,
        // a return from inside a loop inside an else, with operands of every type on the stack
        """
        (func (export "f") (param i32) (result i32) (local $i i32)
          (i64.const 1) (f32.const 2) (f64.const 3)
          (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const -1))
            (else
              (loop $l (result i32)
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (if (i32.ge_u (local.get $i) (i32.and (local.get 0) (i32.const 63))) (then (return (i32.mul (local.get $i) (i32.const 3)))))
                (br $l))))
          (drop) (drop) (drop) (drop) (i32.const -2))
        """,
    };

    [Theory]
    [MemberData(nameof(ControlCorners))]
    public void ControlFlowCornersComputeWhatCompiledCodeComputes(string func)
    {
        string wat = $"(module {func})";
        var module = Interp.Compile(wat);
        var a = Instantiate(module);
        var b = Instantiate(Interp.Compiled(wat));
        var outcomes = new HashSet<string>();
        foreach (int x in new[] { 0, 1, 2, 3, 4, 7, -1, int.MinValue, 100 })
        {
            string expected = Interp.Outcome(() => b.Invoke("f", Value.I32(x)));
            Assert.Equal(expected, Interp.Outcome(() => a.Invoke("f", Value.I32(x))));
            outcomes.Add(expected);
        }
        Assert.True(outcomes.Count >= 2, string.Join(" | ", outcomes));
        Assert.True(Interp.HasNoCode(module, 0), "refused: compiled");
    }

    // ------------------------------------------------------------------ memory grown by another thread

    [Fact]
    public void MemoryGrownByAnotherThreadIsUsableAtOnceByARunningInterpretedFunction()
    {
        const string wat = """
            (module
              (import "env" "mem" (memory 1 4 shared))
              (import "env" "sync" (func $sync))
              (func (export "probe") (result i64) (local $before i32) (local $trapped i32)
                (local.set $before (memory.size))
                (call $sync)
                ;; another thread grew the memory and wrote 77 at 65540 meanwhile
                (i64.or (i64.shl (i64.extend_i32_u (local.get $before)) (i64.const 32))
                  (i64.extend_i32_u (i32.add (i32.mul (memory.size) (i32.const 1000)) (i32.load (i32.const 65540))))))
              (func (export "grow") (result i32) (memory.grow (i32.const 1)))
              (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
            """;
        var module = Interp.Compile(wat);
        var memory = new Memory(1, 4, shared: true);
        using var barrier = new Barrier(2);
        var linker = new Linker().Define("env", "mem", memory)
            .DefineFunction("env", "sync", (Action)(() => { barrier.SignalAndWait(); barrier.SignalAndWait(); }));
        var prober = Instantiate(module, linker);
        var grower = Instantiate(module, new Linker().Define("env", "mem", memory).DefineFunction("env", "sync", (Action)(() => { })));
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => prober.Invoke("load", Value.I32(65540))).Code);
        long result = 0;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { result = prober.Invoke("probe")[0].AsI64; }
            catch (Exception e) { error = e; barrier.RemoveParticipant(); }
        });
        thread.Start();
        barrier.SignalAndWait(); // the prober is inside "probe", in the host function
        Assert.Equal(1, grower.Invoke("grow")[0].AsI32);
        memory.WriteInt32(65540, 77);
        barrier.SignalAndWait();
        Assert.True(thread.Join(TimeSpan.FromMinutes(1)));
        Assert.Null(error);
        Assert.Equal((1L << 32) | 2077, result);
        Assert.Equal(77, prober.Invoke("load", Value.I32(65540))[0].AsI32);
        Assert.Equal(TrapCode.OutOfBoundsMemoryAccess, Assert.Throws<TrapException>(() => prober.Invoke("load", Value.I32(2 * 65536 - 3))).Code);
        for (int d = 0; d < 3; d++) Assert.True(Interp.HasNoCode(module, d));
    }

    // ------------------------------------------------------------------ host exceptions

    private const string ReentryModule = """
        (module
          (import "env" "host" (func $host (param i32) (result i32)))
          ;; an interpreted frame with operands in use around the host call
          (func (export "outer") (param i32) (result i32) (local $keep i64)
            (local.set $keep (i64.const 0x1122334455667788))
            (i32.add (i32.const 1000000)
              (i32.add (call $host (local.get 0))
                (i32.wrap_i64 (i64.shr_u (local.get $keep) (i64.const 32))))))
          ;; recursion, big frames (forcing further value-stack segments), then the host at the bottom
          (func $deep (export "deep") (param i32) (result i32)
            (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
            (if (result i32) (i32.eqz (local.get 0))
              (then (call $host (i32.const -1)))
              (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1))))))))
        """;

    [Theory]
    [InlineData("trap")]
    [InlineData("host")]
    [InlineData("exit")]
    public void AnExceptionFromAHostFunctionUnwindsInterpretedFramesAndTheCallerGoesOn(string kind)
    {
        Instance? instance = null;
        var seen = new List<string>();
        var linker = new Linker().DefineFunction("env", "host", (Func<int, int>)(x =>
        {
            if (x == -1) // the bottom of "deep": throw
            {
                throw kind switch
                {
                    "trap" => new TrapException(TrapCode.Unreachable),
                    "host" => new InvalidOperationException("host failure"),
                    _ => new Strand.Wasi.WasiExitException(3),
                };
            }
            if (x == 0) return 5;
            // Re-enters the instance, 300 interpreted frames of 66 slots deep, and catches what comes out.
            try { return instance!.Invoke("deep", Value.I32(300))[0].AsI32; }
            catch (Exception e)
            {
                seen.Add(e is TrapException t ? $"{t.Code} {Strand.Wasi.WasiHost.FindExit(e)?.Message}" : e.GetType().Name);
                return 40 + x;
            }
        }));
        var module = Interp.Compile(ReentryModule);
        instance = Instantiate(module, linker);
        var error = Compilation.Wasm.OnThread(16 * 1024 * 1024, () =>
        {
            for (int round = 0; round < 3; round++)
            {
                Assert.Equal(1_000_000 + 45 + 0x11223344, instance.Invoke("outer", Value.I32(5))[0].AsI32);
                Assert.Equal(1_000_000 + 5 + 0x11223344, instance.Invoke("outer", Value.I32(0))[0].AsI32);
            }
            // Uncaught, it leaves the guest as from compiled code.
            var e = Assert.Throws<TrapException>(() => instance.Invoke("deep", Value.I32(10)));
            Assert.Equal(kind == "trap" ? TrapCode.Unreachable : TrapCode.HostError, e.Code);
            Assert.Equal(kind == "exit" ? 3 : (int?)null, Strand.Wasi.WasiHost.FindExit(e)?.ExitCode);
        });
        Assert.Null(error);
        string expected = kind switch
        {
            "trap" => "Unreachable ",
            "host" => "HostError ",
            _ => "HostError WASI program exited with code 3",
        };
        Assert.Equal(Enumerable.Repeat(expected, 3), seen);
        Assert.True(Interp.HasNoCode(module, 0));
        Assert.True(Interp.HasNoCode(module, 1));
    }

    [Theory]
    [InlineData(1024 * 1024)]
    [InlineData(256 * 1024)]
    public void GuestHostGuestRecursionTrapsCallStackExhausted(int stackBytes)
    {
        Instance? instance = null;
        var linker = new Linker().DefineFunction("env", "host", (Func<int, int>)(x =>
            x <= 0 ? 0 : instance!.Invoke("f", Value.I32(x - 1))[0].AsI32 + 1));
        var module = Interp.Compile("""
            (module
              (import "env" "host" (func $host (param i32) (result i32)))
              (func (export "f") (param i32) (result i32) (i32.add (call $host (local.get 0)) (i32.const 1))))
            """);
        instance = Instantiate(module, linker);
        var error = Compilation.Wasm.OnThread(stackBytes, () =>
        {
            var e = Assert.Throws<TrapException>(() => instance.Invoke("f", Value.I32(10_000_000)));
            Assert.Equal(TrapCode.CallStackExhausted, e.Code);
            Assert.Equal(2 * 20 + 1, instance.Invoke("f", Value.I32(20))[0].AsI32);
        });
        Assert.Null(error);
        Assert.True(Interp.HasNoCode(module, 0));
    }
}
