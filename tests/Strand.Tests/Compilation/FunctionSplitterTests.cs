using System.Text;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// Function splitting (docs/compiler.md, "Big functions: split"): functions are compiled unsplit and split at several
/// small thresholds (so nearly every block body becomes an outlined region), and every call must give the same results,
/// traps and exceptions. Covers exits at several depths (br, br_if, br_table, return) with and without a carried value,
/// loops, locals of every type (v128 and references included), typed references (br_on_null, br_on_non_null, call_ref),
/// memory.grow inside a region, a trap inside a region, and exceptions thrown inside a region and caught by a caller or
/// escaping.
/// </summary>
public class FunctionSplitterTests
{
    private const string Wat = """
        (module
          (type $i2i (func (param i32) (result i32)))
          (memory (export "mem") 1 10)
          (tag $e (param i32))
          (global $g (export "g") (mut i32) (i32.const 0))
          (table 4 funcref)
          (elem declare func $id $dbl)
          (func $id (param i32) (result i32) (local.get 0))
          (func $dbl (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))
          (type $f (func (param i32) (result i32)))
          (func $inc (type $f) (i32.add (local.get 0) (i32.const 1)))
          (func $twice (type $f) (i32.mul (local.get 0) (i32.const 2)))
          (elem declare func $inc $twice)

          ;; typed references: br_on_null out of a loop, br_on_non_null carrying a non-null reference, call_ref
          (func (export "refs") (param $k i32) (result i32) (local $r (ref null $f)) (local $acc i32) (local $g (ref null $f))
            (block $none
              (loop $l
                (local.set $r
                  (if (result (ref null $f)) (i32.eqz (i32.rem_u (local.get $k) (i32.const 5)))
                    (then (ref.null $f))
                    (else (if (result (ref null $f)) (i32.eqz (i32.rem_u (local.get $k) (i32.const 3)))
                      (then (ref.func $twice)) (else (ref.func $inc))))))
                (local.set $acc (call_ref $f (i32.add (local.get $acc) (local.get $k)) (br_on_null $none (local.get $r))))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br_if $l (i32.gt_s (local.get $k) (i32.const 0)))))
            (local.set $g
              (block $has (result (ref $f))
                (br_on_non_null $has (local.get $r))
                (return (i32.sub (i32.const 0) (local.get $acc)))))
            (call_ref $f (local.get $acc) (local.get $g)))

          ;; a switch in a loop: exits to the loop, to blocks at several depths, br_if carrying a value, return
          (func (export "mix") (param $n i32) (param $x i64) (param $ext externref) (result i64)
            (local $i i32) (local $f f32) (local $d f64) (local $v v128) (local $r funcref) (local $e2 externref) (local $acc i64)
            (local.set $v (i32x4.splat (local.get $n)))
            (local.set $r (ref.func $id))
            (local.set $acc
              (block $out (result i64)
                (loop $l
                  (block $b2
                    (block $b1
                      (block $b0
                        (br_table $b0 $b1 $b2 (i32.rem_u (local.get $i) (i32.const 3))))
                      ;; case 0
                      (local.set $f (f32.add (local.get $f) (f32.const 1.5)))
                      (local.set $x (i64.add (local.get $x) (i64.const 3)))
                      (br_if $out (i64.mul (local.get $x) (i64.const 2)) (i32.gt_u (local.get $i) (local.get $n)))
                      (if (i32.eq (local.get $i) (i32.const 9)) (then (local.set $r (ref.func $dbl))))
                      (br $b2))
                    ;; case 1
                    (local.set $d (f64.add (local.get $d) (f64.convert_i32_u (local.get $i))))
                    (local.set $v (i32x4.add (local.get $v) (i32x4.splat (local.get $i))))
                    (if (ref.is_null (local.get $ext)) (then (local.set $e2 (local.get $ext))) (else (local.set $x (i64.add (local.get $x) (i64.const 1000)))))
                    (if (i32.eq (local.get $i) (i32.mul (local.get $n) (i32.const 2))) (then (return (i64.const -1)))))
                  ;; case 2 and the common tail
                  (global.set $g (i32.add (global.get $g) (i32.const 1)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $l (i32.lt_u (local.get $i) (i32.const 40))))
                (i64.add (local.get $x) (i64.trunc_f64_s (local.get $d)))))
            (table.set (i32.const 1) (local.get $r))
            (i64.add (local.get $acc)
              (i64.add (i64.trunc_f32_s (local.get $f))
                (i64.add (i64.extend_i32_u (call_indirect (type $i2i) (i32x4.extract_lane 2 (local.get $v)) (i32.const 1)))
                  (i64.extend_i32_u (ref.is_null (local.get $e2)))))))

          ;; nested loops with exits from the inner body to the outer loop and past it, block results
          (func (export "nested") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $s i32)
            (block $done
              (loop $outer
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $done (i32.gt_u (local.get $i) (local.get $n)))
                (local.set $j (i32.const 0))
                (loop $inner
                  (local.set $s (i32.add (local.get $s)
                    (block $pick (result i32)
                      (drop (br_if $pick (i32.mul (local.get $i) (local.get $j)) (i32.and (local.get $j) (i32.const 1))))
                      (i32.sub (local.get $j) (local.get $i)))))
                  (br_if $done (i32.gt_s (local.get $s) (i32.mul (local.get $n) (i32.const 50))))
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br_if $outer (i32.eq (local.get $j) (local.get $i)))
                  (br_if $inner (i32.lt_u (local.get $j) (i32.const 10))))
                (br $outer)))
            (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const 1000))))

          ;; memory.grow inside a region; the code after it uses the new page with the outer function's limits
          (func (export "grow") (param $p i32) (result i32) (local $s i32) (local $t i32)
            (i32.store (i32.const 0) (i32.const 5))
            (block $b
              (local.set $s (memory.grow (local.get $p)))
              (i32.store (i32.const 4) (local.get $s))
              (br_if $b (i32.eq (local.get $s) (i32.const -1)))
              (local.set $t (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))
              (i32.store (local.get $t) (i32.add (local.get $p) (i32.const 70))))
            (if (result i32) (i32.eq (local.get $s) (i32.const -1))
              (then (i32.const -1))
              (else (i32.add (i32.load (local.get $t)) (i32.load (i32.const 4))))))

          ;; a trap inside a region
          (func (export "trap") (param $k i32) (result i32) (local $q i32)
            (block $b
              (loop $l
                (local.set $q (i32.add (local.get $q) (i32.div_u (i32.const 100) (local.get $k))))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br_if $b (i32.lt_s (local.get $k) (i32.const 1)))
                (br $l)))
            (local.get $q))

          ;; throws from inside a loop in a region
          (func $thrower (param $k i32) (local $j i32)
            (block $b
              (loop $l
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (if (i32.eq (local.get $j) (local.get $k)) (then (throw $e (i32.mul (local.get $j) (i32.const 10)))))
                (br_if $l (i32.lt_u (local.get $j) (i32.const 20))))))
          ;; catches what the region of $thrower throws; then a region outside the try throws again for some inputs
          (func (export "catch") (param $k i32) (result i32) (local $t i32)
            (local.set $t
              (block $h (result i32)
                (try_table (catch $e $h) (call $thrower (local.get $k)))
                (i32.const -5)))
            (block $b
              (loop $l
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (if (i32.eq (local.get $t) (i32.const 33)) (then (throw $e (i32.const 99))))
                (br_if $l (i32.lt_s (local.get $t) (i32.const 35)))))
            (local.get $t))

          ;; several results: a region exits with the function's return inside a multi-value function
          (func (export "multi") (param $a i32) (result i32 i64) (local $i i32)
            (block $b
              (loop $l
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $b (i32.ge_u (local.get $i) (local.get $a)))
                (br $l)))
            (i32.mul (local.get $i) (i32.const 3)) (i64.extend_i32_u (local.get $i))))
        """;

    private static readonly int[] Thresholds = [8, 12, 20, 40, 80];

    private static string Run(Instance instance, string export, params Value[] args)
    {
        try
        {
            return string.Join(",", instance.Invoke(export, args).Select(v => v.ToString()));
        }
        catch (TrapException e)
        {
            return "trap: " + e.Message;
        }
        catch (WasmException e)
        {
            return "exception: " + string.Join(",", e.Payload.Select(v => v.ToString()));
        }
    }

    private static (Module Module, int SplitFunctions) Compile(string wat, int? units)
    {
        var module = Module.Compile(WatParser.ParseModule(wat), new CompileOptions { SplitUnits = units });
        module.GenerateAllCode();
        return (module, module.Compiled.SplitFunctions.Count);
    }

    /// <summary>Compiled with the default plan (split only when the JIT would not optimise), whatever STRAND_SPLIT_UNITS says.</summary>
    private static (Module Module, int SplitFunctions) CompileByDefault(string wat)
    {
        var module = Module.Compile(WatParser.ParseModule(wat));
        module.Compiled.SplitUnits = null;
        module.GenerateAllCode();
        return (module, module.Compiled.SplitFunctions.Count);
    }

    private static List<string> Calls(Module module)
    {
        var results = new List<string>();
        foreach (int n in new[] { 0, 1, 5, 12, 30, 50 })
        {
            var instance = new Linker().Instantiate(module);
            results.Add(Run(instance, "mix", Value.I32(n), Value.I64(7), Value.ExternRef(null)));
            results.Add(Run(instance, "mix", Value.I32(n), Value.I64(-2), Value.ExternRef("host")));
            results.Add(Run(instance, "nested", Value.I32(n)));
            results.Add(Run(instance, "trap", Value.I32(n % 7)));
            results.Add(Run(instance, "catch", Value.I32(n)));
            results.Add(Run(instance, "multi", Value.I32(n)));
            results.Add(Run(instance, "refs", Value.I32(n)));
            results.Add(Run(instance, "refs", Value.I32(n + 4)));
            results.Add($"{instance.GetGlobal("g")!.Value}");
        }
        foreach (int p in new[] { 0, 1, 3, 20 })
        {
            var instance = new Linker().Instantiate(module);
            results.Add(Run(instance, "grow", Value.I32(p)) + " pages " + instance.GetMemory("mem")!.Pages);
        }
        return results;
    }

    [Fact]
    public void SplitFunctionsComputeWhatUnsplitOnesDo()
    {
        var (plain, unsplit) = Compile(Wat, int.MaxValue);
        Assert.Equal(0, unsplit);
        var expected = Calls(plain);
        // The reference values are real: loops ran, traps and exceptions happened.
        Assert.Equal(1, expected.Count(r => r == "trap: integer divide by zero"));
        Assert.Contains(expected, r => r == "exception: i32:99");
        Assert.Contains("i32:-1 pages 1", expected);
        Assert.Contains("i32:74 pages 4", expected); // grew by 3: 70 + 3 stored on the new last page, plus the old size (1)
        foreach (int units in Thresholds)
        {
            var (split, count) = Compile(Wat, units);
            Assert.True(count >= (units <= 20 ? 5 : 1), $"threshold {units}: only {count} functions split");
            Assert.Equal(expected, Calls(split));
        }
    }

    /// <summary>A generated function above the default threshold is split and still computes the same.</summary>
    [Fact]
    public void BigGeneratedFunctionIsSplitByDefault()
    {
        var wat = new StringBuilder("(module (memory 1) (func (export \"big\") (param $n i32) (result i32) (local $i i32) (local $s i32) (local $t i64)\n");
        wat.Append("(block $exit\n");
        for (int loop = 0; loop < 40; loop++)
        {
            // 40 loops in a row (each a region candidate), 4 blocks each: memory traffic, a conditional exit out of
            // every loop to the function's $exit, and a branch back to the loop.
            wat.Append($"(local.set $i (i32.const 0)) (loop $l{loop}\n");
            for (int b = 0; b < 4; b++)
            {
                int k = loop * 4 + b;
                wat.Append($"(block $b{k}\n");
                for (int m = 0; m < 6; m++)
                    wat.Append($"(i32.store offset={(k * 6 + m) % 1000 * 4} (i32.const 0) (i32.add (i32.load offset={(k * 7 + m) % 1000 * 4} (i32.const 0)) (i32.add (local.get $i) (i32.const {k * 31 + m}))))\n");
                wat.Append($"(local.set $t (i64.add (local.get $t) (i64.extend_i32_u (i32.load offset={k * 4} (i32.const 0)))))\n");
                wat.Append($"(br_if $b{k} (i32.and (local.get $i) (i32.const {1 << (k % 5)})))\n");
                wat.Append($"(local.set $s (i32.xor (local.get $s) (i32.load offset={(k * 13) % 1000 * 4} (i32.const 0))))\n");
                wat.Append($"(br_if $exit (i32.eq (local.get $s) (i32.const {k * 977})))\n");
                wat.Append(")\n");
            }
            wat.Append($"(local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l{loop} (i32.lt_u (local.get $i) (local.get $n))))\n");
        }
        wat.Append(")\n(i32.add (local.get $s) (i32.wrap_i64 (local.get $t)))))");
        var (plain, unsplit) = Compile(wat.ToString(), int.MaxValue);
        var (split, count) = CompileByDefault(wat.ToString());
        Assert.Equal(0, unsplit);
        Assert.Equal(1, count);
        Assert.True(split.Compiled.SplitFunctions[0] >= 2);
        foreach (int n in new[] { 0, 1, 17, 200 })
        {
            var expected = Run(new Linker().Instantiate(plain), "big", Value.I32(n));
            Assert.Equal(expected, Run(new Linker().Instantiate(split), "big", Value.I32(n)));
        }
    }
    /// <summary>
    /// A giant function without loops (a static initialiser's shape: stores of constants and of computed values, calls,
    /// early exits out of nested blocks) of at least <c>FunctionSplitter.LoopFreeSplitFromUnits</c> is split, with no dry
    /// run, into regions the JIT compiles in linear time, and computes what the whole function computes; one just under
    /// the threshold is compiled whole.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GiantLoopFreeFunctionIsSplitWithoutDryRuns(bool giant)
    {
        // Sized from the weight of the function's code: just over the threshold, or 10% under it.
        int threshold = Strand.Compilation.FunctionSplitter.LoopFreeSplitFromUnits;
        int perGroup = (int)(Units(GiantLoopFreeWat(2)) - Units(GiantLoopFreeWat(1)));
        int groups = giant ? threshold / perGroup + 2 : threshold * 9 / 10 / perGroup;
        string wat = GiantLoopFreeWat(groups);
        Assert.Equal(giant, Units(wat) >= threshold);
        var (plain, unsplit) = Compile(wat, int.MaxValue);
        var (split, count) = CompileByDefault(wat);
        Assert.Equal(0, unsplit);
        if (!giant)
        {
            Assert.Equal(0, count);
            return;
        }
        Assert.Equal(1, count);
        Assert.True(split.Compiled.SplitFunctions[1] >= 2, $"{split.Compiled.SplitFunctions[1]} regions");
        AssertSameRuns(plain, split, "init", 0, 5, 37, 1000);

        static long Units(string wat)
        {
            var definition = Strand.Binary.ModuleDecoder.Decode(WatParser.ParseModule(wat));
            return Strand.Compilation.FunctionCompiler.Decode(definition, 1).Sum(i => (long)Strand.Compilation.FunctionSplitter.Weight(i));
        }
    }

    /// <summary>
    /// A function whose loop holds more loop-free code than the JIT optimises (so no split fits: loop-free runs inside a
    /// loop are not outlined) but also inner loops: these are outlined anyway, since the outer function shrinks by more
    /// than a quarter (it stays over the limits, compiled with MinOpts, as the whole function would be), and every run
    /// computes what the whole function computes. Not for a ReadyToRun image (crossgen2 optimises the whole function).
    /// </summary>
    [Fact]
    public void ALoopOverTheLimitsStillHasItsInnerLoopsOutlined()
    {
        string source = LoopOverTheLimitsWat();
        var (plain, unsplit) = Compile(source, int.MaxValue);
        var (split, count) = CompileByDefault(source);
        Assert.Equal(0, unsplit);
        Assert.Equal(1, count);
        Assert.True(split.Compiled.SplitFunctions[0] >= 12, $"{split.Compiled.SplitFunctions[0]} regions");
        Assert.True(split.Compiled.OversizedFunctions.ContainsKey(0), "the outer function stays over the JIT's limits");
        AssertSameRuns(plain, split, "run", 1, 2, 7);
        static int RegionMethods(string source, bool forReadyToRun)
        {
            var module = Module.Compile(WatParser.ParseModule(source));
            module.Compiled.SplitUnits = null;
            module.Compiled.ForReadyToRun = forReadyToRun;
            using var pe = new System.Reflection.PortableExecutable.PEReader(
                System.Collections.Immutable.ImmutableArray.Create(module.Compiled.EmitPortableAssembly()));
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            return metadata.MethodDefinitions.Count(h => metadata.GetString(metadata.GetMethodDefinition(h).Name).Contains("_r"));
        }
        Assert.True(RegionMethods(source, forReadyToRun: false) >= 12);
        Assert.Equal(0, RegionMethods(source, forReadyToRun: true));
    }

    private static string LoopOverTheLimitsWat()
    {
        var wat = new StringBuilder("(module (memory (export \"mem\") 1) (func (export \"run\") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $s i32)\n");
        wat.Append("(loop $outer\n");
        for (int g = 0; g < 24; g++)
        {
            int a = g * 400;
            // straight-line code, kept in the outer function
            for (int m = 0; m < 60; m++)
                wat.Append($"(i32.store offset={a + m * 4 % 400} (i32.const 0) (i32.add (i32.load offset={(a + 4 + m * 4) % 9600} (i32.const 0)) (i32.xor (local.get $i) (i32.const {g * 41 + m}))))\n");
            // an inner loop: a region
            wat.Append($"(local.set $j (i32.const 0)) (loop $in{g}\n");
            for (int m = 0; m < 60; m++)
                wat.Append($"(local.set $s (i32.add (local.get $s) (i32.mul (i32.load offset={(a + m * 4) % 9600} (i32.const 0)) (i32.add (local.get $j) (i32.const {m + 1})))))\n");
            wat.Append($"(local.set $j (i32.add (local.get $j) (i32.const 1))) (br_if $in{g} (i32.lt_u (local.get $j) (i32.const {1 + g % 3}))))\n");
        }
        wat.Append("(local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))\n(local.get $s)))");
        return wat.ToString();
    }

    /// <summary>
    /// Calls <paramref name="export"/> with each argument on fresh instances of the whole and the split module: the same
    /// result (or trap) and the same memory (exported as "mem") afterwards.
    /// </summary>
    private static void AssertSameRuns(Module plain, Module split, string export, params int[] arguments)
    {
        foreach (int n in arguments)
        {
            var whole = new Linker().Instantiate(plain);
            var parts = new Linker().Instantiate(split);
            Assert.Equal(Run(whole, export, Value.I32(n)), Run(parts, export, Value.I32(n)));
            Assert.Equal(whole.GetMemory("mem")!.GetSpan(0, 65536).ToArray(), parts.GetMemory("mem")!.GetSpan(0, 65536).ToArray());
        }
    }

    /// <summary>The function "init" of <see cref="GiantLoopFreeFunctionIsSplitWithoutDryRuns"/>: <paramref name="groups"/> blocks of straight-line code.</summary>
    private static string GiantLoopFreeWat(int groups)
    {
        var wat = new StringBuilder("(module (memory (export \"mem\") 1) (func $mix (param i32) (result i32) (i32.mul (local.get 0) (i32.const 31)))\n");
        wat.Append("(func (export \"init\") (param $n i32) (result i32) (local $s i32) (local $t i64)\n(block $exit\n");
        for (int g = 0; g < groups; g++)
        {
            int a = g % 600 * 100;
            wat.Append($"(block $b{g}\n");
            for (int m = 0; m < 6; m++)
                wat.Append($"(i32.store offset={a + m * 4} (i32.const 0) (i32.add (local.get $n) (i32.const {g * 7 + m})))\n");
            wat.Append($"(i64.store offset={a + 32} (i32.const 0) (i64.extend_i32_u (call $mix (i32.load offset={a + 4} (i32.const 0)))))\n");
            wat.Append($"(local.set $t (i64.add (local.get $t) (i64.load offset={a + 32} (i32.const 0))))\n");
            wat.Append($"(br_if $b{g} (i32.eq (i32.and (local.get $n) (i32.const {g % 64})) (i32.const 5)))\n");
            wat.Append($"(local.set $s (i32.xor (local.get $s) (i32.load offset={a + 8} (i32.const 0))))\n");
            wat.Append($"(br_if $exit (i32.eq (local.get $s) (i32.const {g * 977 + 3})))\n)\n");
        }
        wat.Append(")\n(i32.add (local.get $s) (i32.wrap_i64 (local.get $t)))))");
        return wat.ToString();
    }

    /// <summary>
    /// An interpreter loop (a loop around a <c>br_table</c> over 64 loop-free cases, like SQLite's
    /// <c>sqlite3VdbeExec</c>) over the JIT's limits is split into cases: the dispatch stays in the outer function, some
    /// cases are outlined (copying only the locals live at their entry and after them: the temporaries $t0..$t2 are
    /// reused by every case), and every run gives what the unsplit function gives: values, an early exit to the loop's
    /// end, a return from inside a case, a jump of the program counter and a division trap inside a case.
    /// </summary>
    private const int InterpreterCases = 64;

    /// <summary>
    /// The interpreter of <see cref="InterpreterLoopIsSplitIntoCases"/>: export "run" (program offset, steps) → i64. With
    /// <paramref name="guarantees"/>, "run" takes a third parameter, a mode: 1 makes every case first call "run" again
    /// with the same arguments (endless recursion through whichever case runs first), 2 calls the import env.started
    /// first and never ends (the early exits, the return and the trap only happen in mode 0).
    /// </summary>
    private static string InterpreterWat(bool guarantees = false)
    {
        const int cases = InterpreterCases;
        var wat = new StringBuilder("(module\n");
        if (guarantees) wat.Append("(import \"env\" \"started\" (func $started))\n");
        wat.Append("(memory (export \"mem\") 1)\n(data (i32.const 0) \"");
        uint seed = 12345;
        for (int i = 0; i < 4096; i++)
        {
            seed = seed * 1103515245 + 12345;
            wat.Append($"\\{(seed >> 16) & 0xFF:x2}");
        }
        wat.Append("\")\n");
        wat.Append($"(func $run (export \"run\") (param $prog i32) (param $n i32) {(guarantees ? "(param $mode i32) " : "")}(result i64)\n");
        wat.Append("(local $pc i32) (local $acc i64) (local $op i32) (local $t0 i32) (local $t1 i32) (local $t2 i64) (local $steps i32)\n");
        if (guarantees) wat.Append("(if (i32.eq (local.get $mode) (i32.const 2)) (then (call $started)))\n");
        string Gated(string code) => guarantees ? $"(if (i32.eqz (local.get $mode)) (then {code}))\n" : code + "\n";
        wat.Append("(block $done (loop $next\n");
        wat.Append("(br_if $done (i32.ge_u (local.get $steps) (local.get $n)))\n");
        wat.Append("(local.set $steps (i32.add (local.get $steps) (i32.const 1)))\n");
        wat.Append("(local.set $op (i32.load8_u (i32.and (i32.add (local.get $prog) (local.get $pc)) (i32.const 4095))))\n");
        wat.Append("(local.set $pc (i32.add (local.get $pc) (i32.const 1)))\n");
        for (int k = cases - 1; k >= 0; k--) wat.Append($"(block $c{k}\n");
        wat.Append("(br_table");
        for (int k = 0; k < cases; k++) wat.Append($" $c{k}");
        wat.Append(" $done (i32.rem_u (local.get $op) (i32.const " + cases + ")))\n");
        for (int k = 0; k < cases; k++)
        {
            wat.Append($") ;; case {k}\n");
            if (guarantees)
                wat.Append("(if (i32.eq (local.get $mode) (i32.const 1)) (then (drop (call $run (local.get $prog) (local.get $n) (local.get $mode)))))\n");
            wat.Append($"(local.set $t0 (i32.load offset={k * 8 % 4000} (i32.const 0)))\n");
            wat.Append($"(local.set $t1 (i32.add (local.get $t0) (i32.const {k})))\n");
            for (int m = 0; m < 12; m++)
            {
                wat.Append($"(i32.store offset={(k * 12 + m) * 4 % 4000} (i32.const 0) (i32.xor (local.get $t1) (i32.load offset={(k * 7 + m) * 4 % 4000} (i32.const 0))))\n");
                wat.Append($"(local.set $t1 (i32.add (local.get $t1) (i32.rotl (local.get $t0) (i32.const {m}))))\n");
            }
            wat.Append("(local.set $t2 (i64.extend_i32_u (local.get $t1)))\n");
            wat.Append("(local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (local.get $t2)))\n");
            if (k % 10 == 3) wat.Append(Gated($"(br_if $done (i32.eq (i32.and (local.get $t1) (i32.const 63)) (i32.const {k})))"));
            if (k % 10 == 5) wat.Append("(local.set $pc (i32.and (local.get $t1) (i32.const 255)))\n");
            if (k == 7) wat.Append(Gated("(if (i32.eq (i32.and (local.get $t1) (i32.const 31)) (i32.const 7)) (then (return (i64.sub (i64.const 0) (local.get $acc)))))"));
            if (k == 9) wat.Append(Gated("(local.set $t0 (i32.div_u (local.get $t0) (i32.and (local.get $t1) (i32.const 1))))"));
            wat.Append("(br $next)\n");
        }
        wat.Append("))\n(i64.add (local.get $acc) (i64.extend_i32_u (local.get $pc)))))");
        return wat.ToString();
    }

    [Fact]
    public void InterpreterLoopIsSplitIntoCases()
    {
        const int cases = InterpreterCases;
        string wat = InterpreterWat();
        var (plain, unsplit) = Compile(wat, int.MaxValue);
        var (split, count) = CompileByDefault(wat);
        Assert.Equal(0, unsplit);
        Assert.Equal(1, count);
        int regions = split.Compiled.SplitFunctions.Single().Value;
        Assert.InRange(regions, 2, cases - 1); // the small cases (here: the last outlined ones) stay inline
        var outcomes = new List<string>();
        foreach (int prog in new[] { 0, 100, 1000, 2222 })
            foreach (int n in new[] { 0, 1, 10, 100, 1000, 20000 })
            {
                string expected = Run(new Linker().Instantiate(plain), "run", Value.I32(prog), Value.I32(n));
                Assert.Equal(expected, Run(new Linker().Instantiate(split), "run", Value.I32(prog), Value.I32(n)));
                outcomes.Add(expected);
            }
        // The runs did real work: distinct values, and the trap inside a case happened.
        Assert.True(outcomes.Distinct().Count() > 10, string.Join(" | ", outcomes));
        Assert.True(outcomes.Contains("trap: integer divide by zero"), string.Join(" | ", outcomes));
    }

    /// <summary>
    /// Code for a ReadyToRun image keeps the interpreter's cases inline (crossgen2 never compiles with MinOpts, so the
    /// whole function is optimised there); the same module's JIT-compiled portable assembly outlines them.
    /// </summary>
    [Fact]
    public void InterpreterCasesStayInlineForReadyToRun()
    {
        static int Regions(bool forReadyToRun)
        {
            var module = Module.Compile(WatParser.ParseModule(InterpreterWat()));
            module.Compiled.SplitUnits = null; // the default plan, also under STRAND_SPLIT_UNITS
            module.Compiled.ForReadyToRun = forReadyToRun;
            using var pe = new System.Reflection.PortableExecutable.PEReader(
                System.Collections.Immutable.ImmutableArray.Create(module.Compiled.EmitPortableAssembly()));
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            return metadata.MethodDefinitions.Count(h => metadata.GetString(metadata.GetMethodDefinition(h).Name).Contains("_r"));
        }
        Assert.InRange(Regions(forReadyToRun: false), 2, InterpreterCases - 1);
        Assert.Equal(0, Regions(forReadyToRun: true));
    }

    /// <summary>
    /// Inside outlined cases the guarantees hold: endless recursion through a case (each run's first case calls "run"
    /// again, and the first cases of the 24 programs tried include outlined and inline ones) ends in "call stack
    /// exhausted", and an interpreter that never ends is interrupted by the host.
    /// </summary>
    [Fact]
    public void InterpreterCasesKeepStackAndInterruptGuarantees()
    {
        var (module, count) = CompileByDefault(InterpreterWat(guarantees: true));
        Assert.Equal(1, count);
        using var running = new ManualResetEventSlim();
        var instance = new Linker().DefineFunction("env", "started", (Action)(() => running.Set())).Instantiate(module);
        int throughRegions = 0;
        foreach (int prog in Enumerable.Range(0, 24).Select(p => p * 37))
        {
            var e = Wasm.OnThread(1 << 20, () => instance.Invoke("run", Value.I32(prog), Value.I32(1000), Value.I32(1)));
            Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(e).Code);
            if (System.Text.RegularExpressions.Regex.IsMatch(e!.StackTrace ?? "", @"f\d+(_body)?_r\d+")) throughRegions++;
        }
        Assert.InRange(throughRegions, 1, 23); // the recursion went through outlined cases and through inline ones
        var caught = Wasm.RunAndInterrupt(instance, running, () => instance.Invoke("run", Value.I32(0), Value.I32(-1), Value.I32(2)));
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(caught).Code);
    }
}
