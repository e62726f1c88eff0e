using System.Text;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// Random big functions compiled whole and with the default plan (docs/compiler.md, "Big functions: split"): a giant
/// loop-free function (split into regions without dry runs) and a loop over the JIT's limits holding inner loops (the
/// partial split) must give the same results, traps, exceptions, memory and globals. The code mixes exits out of nested
/// blocks (br, br_if, br_table, return, an early exit of the whole body), multi-value blocks and blocks with parameters,
/// traps, direct, indirect and call_ref calls, an exception thrown by a callee and caught by try_table or escaping,
/// memory.grow, and locals of seven types (v128, funcref and externref included) live across regions.
/// </summary>
public class FunctionSplitterFuzzTests
{
    /// <summary>Arguments of "run": 3, 11 and 29 trigger a return, a trap and a thrown exception somewhere.</summary>
    private static readonly int[] Arguments = [0, 1, 3, 11, 29, 1000];

    private static string Generate(int seed, int groups, bool loops)
    {
        var random = new Random(seed);
        var wat = new StringBuilder("""
            (module
              (type $i2i (func (param i32) (result i32)))
              (memory (export "mem") 1 24)
              (tag $e (param i32))
              (global $g (export "g") (mut i64) (i64.const 0))
              (table 2 funcref) (elem (i32.const 0) $h0 $h1) (elem declare func $h0 $h1)
              (func $h0 (type $i2i) (i32.add (local.get 0) (i32.const 7)))
              (func $h1 (type $i2i)
                (if (i32.eq (local.get 0) (i32.const 12345)) (then (throw $e (i32.const 77))))
                (i32.mul (local.get 0) (i32.const 3)))
              (func (export "run") (param $n i32) (result i32)
                (local $a i32) (local $b i32) (local $t i64) (local $d f64) (local $f f32) (local $k i32) (local $i i32) (local $j i32)
                (local $v v128) (local $r funcref) (local $x externref)
                (block $exit

            """);
        if (loops) wat.Append("(loop $outer\n");
        // With loops: runs of 40 groups alternate between the outer loop's own code (never outlined) and inner loops
        // (regions), so that no split fits the JIT's limits and the partial split is taken.
        int inner = 0;
        for (int g = 0; g < groups; g++)
        {
            if (loops && g % 40 == 0)
            {
                if (inner % 2 == 1) wat.Append($"(local.set $j (i32.add (local.get $j) (i32.const 1))) (br_if $in{inner - 1} (i32.lt_u (local.get $j) (i32.const {1 + inner % 3}))))\n");
                if (inner % 2 == 0) wat.Append($"(local.set $j (i32.const 0)) (loop $in{inner}\n");
                inner++;
            }
            Group(wat, random, g, tryTable: !loops);
        }
        if (loops)
        {
            if (inner % 2 == 1) wat.Append($"(local.set $j (i32.add (local.get $j) (i32.const 1))) (br_if $in{inner - 1} (i32.lt_u (local.get $j) (i32.const 2))))\n");
            wat.Append("(local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $outer (i32.lt_u (local.get $i) (i32.const 2))))\n");
        }
        wat.Append("""
                )
                ;; one result (a region's exits carry at most one value: a return of three is never outlined)
                (i64.store offset=65528 (i32.const 0) (i64.add (local.get $t) (i64.extend_i32_u (local.get $k))))
                (f64.store offset=65520 (i32.const 0) (f64.add (local.get $d) (f64.promote_f32 (local.get $f))))
                (i32.add (local.get $a) (local.get $b))))
            """);
        return wat.ToString();
    }

    private static void Group(StringBuilder w, Random r, int g, bool tryTable)
    {
        int c = r.Next(1, 1000), at = r.Next(0, 16000) * 4; // below the results stored at 65520
        switch (r.Next(17))
        {
            case 0:
                w.Append($"(i32.store offset={at} (i32.const 0) (i32.add (local.get $n) (i32.xor (local.get $a) (i32.const {c}))))\n");
                w.Append($"(local.set $b (i32.add (local.get $b) (i32.load offset={r.Next(0, 16000) * 4} (i32.const 0))))\n");
                break;
            case 1: // br_table out of nested blocks, the early exit of the whole body for one value
                w.Append($"(block $x{g} (block $y{g} (block $z{g}\n");
                w.Append($"(br_table $z{g} $y{g} $x{g} $z{g} (i32.rem_u (i32.add (local.get $a) (i32.const {c})) (i32.const 4)))\n");
                w.Append($"(br_if $exit (i32.eq (local.get $a) (i32.const {c * 7919}))))\n");
                w.Append($"(local.set $a (i32.add (local.get $a) (i32.const {c}))))\n");
                w.Append($"(local.set $t (i64.add (local.get $t) (i64.const {c * 3}))))\n");
                break;
            case 2: // a multi-value block left by br_if with both values
                w.Append($"(block $m{g} (result i32 i64) (i32.const {c}) (i64.extend_i32_s (local.get $b))\n");
                w.Append($"(br_if $m{g} (i32.and (local.get $a) (i32.const 1))) drop drop (local.get $n) (i64.const {c * 11}))\n");
                w.Append("(local.set $t (i64.add (local.get $t))) (local.set $a (i32.xor (local.get $a)))\n");
                break;
            case 3: // a return from inside nested blocks for n = 3
                w.Append($"(block (block (if (i32.and (i32.eq (local.get $n) (i32.const 3)) (i32.eq (i32.const {g % 97}) (i32.const 5)))\n");
                w.Append("(then (return (local.get $a))))))\n");
                break;
            case 4: // a trap for n = 11 (division by zero)
                w.Append($"(if (i32.eq (i32.const {g % 13}) (i32.const 7)) (then (local.set $b (i32.div_s (local.get $b) (i32.sub (local.get $n) (i32.const 11))))))\n");
                break;
            case 5:
                w.Append($"(local.set $a (i32.add (local.get $a) (call $h0 (i32.add (local.get $b) (i32.const {c})))))\n");
                w.Append($"(local.set $b (i32.sub (local.get $b) (call_indirect (type $i2i) (local.get $a) (i32.and (local.get $a) (i32.const 1)))))\n");
                break;
            case 6: // $h1 throws for n = 29 at some groups, caught here or escaping
                if (g % 3 == 0 && tryTable) // (try_table is never outlined: not in the loops, whose regions must be outlined for a split)
                    w.Append($"(local.set $b (i32.add (local.get $b) (block $c{g} (result i32) (try_table (catch $e $c{g}) (local.set $a (call $h1 (i32.add (local.get $n) (i32.const {12345 - 29}))))) (i32.const -1))))\n");
                else if (g % 7 == 1)
                    w.Append($"(local.set $a (call $h1 (i32.add (local.get $n) (i32.const {12345 - 29}))))\n");
                else
                    w.Append($"(local.set $a (call $h1 (i32.and (local.get $a) (i32.const 1023))))\n");
                break;
            case 7:
                if (g % 37 == 0) w.Append("(local.set $k (i32.add (local.get $k) (memory.grow (i32.const 1))))\n");
                w.Append("(local.set $a (i32.add (local.get $a) (memory.size)))\n");
                break;
            case 8:
                w.Append($"(local.set $d (f64.add (local.get $d) (f64.convert_i32_s (local.get $a))))\n");
                w.Append($"(local.set $f (f32.add (f32.mul (local.get $f) (f32.const 0.5)) (f32.convert_i32_u (i32.const {c}))))\n");
                break;
            case 9:
                w.Append($"(global.set $g (i64.add (global.get $g) (i64.extend_i32_u (local.get $a))))\n");
                w.Append($"(local.set $t (i64.xor (local.get $t) (i64.rotl (global.get $g) (i64.const {c % 64}))))\n");
                break;
            case 10:
                w.Append($"(local.set $b (select (local.get $a) (i32.const {c}) (i32.lt_u (local.get $b) (i32.const {c * 5}))))\n");
                break;
            case 11:
                w.Append($"(local.set $b (if (result i32) (i32.and (local.get $a) (i32.const {1 << (c % 8)}))\n");
                w.Append($"(then (i32.add (local.get $b) (i32.const {c}))) (else (i32.mul (local.get $b) (i32.const 3)))))\n");
                break;
            case 12: // a value carried out of a nested block
                w.Append($"(local.set $a (i32.add (local.get $a) (block $v{g} (result i32) (block (drop (br_if $v{g} (i32.const {c}) (i32.gt_u (local.get $b) (i32.const {c * 1000}))))\n");
                w.Append($"(local.set $b (i32.add (local.get $b) (i32.const 1)))) (i32.const {c + 1}))))\n");
                break;
            case 14: // a vector local live across regions
                w.Append($"(local.set $v (i32x4.add (local.get $v) (i32x4.splat (i32.add (local.get $a) (i32.const {c})))))\n");
                w.Append("(local.set $b (i32.xor (local.get $b) (i32x4.extract_lane 2 (local.get $v))))\n");
                break;
            case 15: // reference locals: a function chosen here, called (and tested for null) in later groups
                w.Append($"(if (i32.and (local.get $b) (i32.const {1 << (c % 6)})) (then (local.set $r (ref.func $h0))) (else (local.set $r (ref.func $h1))))\n");
                w.Append("(if (i32.eqz (ref.is_null (local.get $x))) (then (local.set $a (i32.add (local.get $a) (i32.const 1)))))\n");
                w.Append("(local.set $a (i32.add (local.get $a) (call_ref $i2i (i32.and (local.get $b) (i32.const 255)) (ref.cast (ref $i2i) (local.get $r)))))\n");
                break;
            case 16: // a block with parameters, left by br_table with its value
                w.Append($"(local.get $a) (block $p{g} (param i32) (result i32) (block $q{g} (param i32) (result i32)\n");
                w.Append($"(br_table $q{g} $p{g} (i32.rem_u (local.get $a) (i32.const 3)))) (i32.const {c}) (i32.add)) (local.get $b) (i32.add) (local.set $b)\n");
                break;
            default:
                w.Append($"(i64.store offset={at} (i32.const 0) (local.get $t)) (local.set $t (i64.add (local.get $t) (i64.load offset={r.Next(0, 8000) * 8} (i32.const 0))))\n");
                break;
        }
    }

    private static string Run(Instance instance, int n)
    {
        try
        {
            return string.Join(",", instance.Invoke("run", Value.I32(n)).Select(v => v.ToString()));
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

    private static Module Compile(string wat, bool split)
    {
        var module = Module.Compile(WatParser.ParseModule(wat), new CompileOptions { SplitUnits = split ? null : int.MaxValue });
        module.Compiled.SplitUnits = split ? null : int.MaxValue;
        module.GenerateAllCode();
        return module;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(5, true)]
    public void SplitByDefaultComputesWhatTheWholeFunctionComputes(int seed, bool loops)
    {
        string wat = Generate(seed, loops ? 5000 : 3000, loops);
        var whole = Compile(wat, split: false);
        var parts = Compile(wat, split: true);
        Assert.Empty(whole.Compiled.SplitFunctions);
        Assert.True(parts.Compiled.SplitFunctions.TryGetValue(2, out int regions) && regions >= 2, $"not split ({regions} regions)");
        var outcomes = new List<string>();
        foreach (int n in Arguments)
        {
            var a = new Linker().Instantiate(whole);
            var b = new Linker().Instantiate(parts);
            string expected = Run(a, n);
            outcomes.Add(expected);
            Assert.Equal(expected, Run(b, n));
            Assert.Equal(a.GetGlobal("g")!.Value.ToString(), b.GetGlobal("g")!.Value.ToString());
            Assert.Equal(a.GetMemory("mem")!.Pages, b.GetMemory("mem")!.Pages);
            Assert.True(a.GetMemory("mem")!.GetSpan(0, 65536).SequenceEqual(b.GetMemory("mem")!.GetSpan(0, 65536)), $"memory differs for n = {n}");
        }
        // The runs are real: values, and for some arguments a trap or an exception.
        Assert.Contains(outcomes, o => o.StartsWith("i32:", StringComparison.Ordinal));
        Assert.Contains(outcomes, o => o.StartsWith("trap: integer divide by zero", StringComparison.Ordinal));
        Assert.Contains(outcomes, o => o.StartsWith("exception: i32:77", StringComparison.Ordinal));
        Assert.True(outcomes.Distinct().Count() >= 4, string.Join(" | ", outcomes));
    }
}
