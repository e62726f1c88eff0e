using System.Text;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Hostile differential fuzzing of loop versioning (FunctionCompiler.LoopVersioning.cs), beyond the shapes of
/// <see cref="LoopVersioningFuzzTests"/>: several candidate induction variables (some incremented inside blocks, ifs or
/// through <c>local.tee</c> chains, some twice), address locals rewritten in nested code, values merged through block
/// results, <c>if</c> results and <c>select</c>, <c>br_table</c> back edges and exits, conditional exits and traps mid-loop,
/// growth in the body, bounds near 0, 2^31 and 2^32. Each loop runs as written (versioned where the shape allows) and
/// with a never-taken write of every local at the loop's top (nothing is an induction variable or invariant: only
/// checked); results or trap, iterations, memory size and every byte must agree.
/// Seeds: <c>STRAND_LOOP_HOSTILE_SEEDS=A..B</c> (default 0..149).
/// </summary>
public class LoopVersioningHostileFuzzTests
{
    static LoopVersioningHostileFuzzTests() => Strand.Compilation.FunctionCompiler.VersionedLoopMinSavedChecks = 1;

    private static readonly string[] Memories = ["1 1", "1 2 shared", "1", "2 2"];
    private static readonly string[] Locals = ["$p", "$i", "$j", "$a", "$k"];
    private static readonly int[] Steps = [1, 1, 4, -1, -4, 2, 8, 3, 65536, -65536, 16];
    private static readonly int[] Values = [0, 0, 1, 4, 16, 1000, 65536 - 64, 65536 - 8, 65535, 65536, 131072 - 16, -4, -1, -65536,
        0x7FFFFFF0, 0x7FFFFFFF, int.MinValue, 3, 40, 300];

    [Fact]
    public void HostileVersionedLoopsBehaveAsTheirCheckedForm()
    {
        var (from, to) = (0, 149);
        if (Environment.GetEnvironmentVariable("STRAND_LOOP_HOSTILE_SEEDS") is { } seeds && seeds.Split("..") is [var a, var b])
            (from, to) = (int.Parse(a), int.Parse(b));
        var failures = new List<string>();
        int guardedBefore = Strand.Compilation.FunctionCompiler.GuardedLoops;
        for (int seed = from; seed <= to && failures.Count < 3; seed++)
        {
            var random = new Random(seed);
            string memory = Memories[random.Next(Memories.Length)];
            string body = Body(random);
            var versioned = Compile(Module(memory, body, deversion: false));
            var checkedOnly = Compile(Module(memory, body, deversion: true));
            for (int call = 0; call < 10; call++)
            {
                var args = Enumerable.Range(0, 5).Select(_ => Value.I32(random.Next(3) == 0 ? Values[random.Next(Values.Length)] + random.Next(-2, 3) : random.Next(0, 64))).ToArray();
                string expected = LoopVersioningFuzzTests.Run(checkedOnly, args), actual = LoopVersioningFuzzTests.Run(versioned, args);
                if (Environment.GetEnvironmentVariable("STRAND_LOOP_HOSTILE_DUMP") is { } dump)
                {
                    File.WriteAllText(Path.Combine(dump, $"s{seed}.wat"), Module(memory, body, false));
                    File.AppendAllText(Path.Combine(dump, $"s{seed}.txt"), $"{string.Join(",", args.Select(v => v.AsI32))};{Run32(versioned, args)}\n");
                }
                if (expected != actual)
                    failures.Add($"seed {seed} args ({string.Join(", ", args.Select(v => v.AsI32))}): checked {expected}, versioned {actual}\n{Module(memory, body, false)}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        // Not vacuous: a good share of the loops are versioned with a guard (about one in four; other tests running at
        // the same time can only add to the counter).
        // (Split functions are never versioned: with STRAND_SPLIT_UNITS forcing splits, few loops are.)
        if (Environment.GetEnvironmentVariable("STRAND_SPLIT_UNITS") is null)
            Assert.True(Strand.Compilation.FunctionCompiler.GuardedLoops - guardedBefore >= (to - from + 1) / 10,
                $"{Strand.Compilation.FunctionCompiler.GuardedLoops - guardedBefore} guarded loops");
    }

    private static string Pick(Random r, params string[] options) => options[r.Next(options.Length)];

    private static string Address(Random r)
    {
        string l = Locals[r.Next(Locals.Length)], m = Locals[r.Next(Locals.Length)];
        int shift = r.Next(0, 4);
        return r.Next(12) switch
        {
            0 or 1 => $"(local.get {l})",
            2 => $"(i32.add (local.get {l}) (local.get {m}))",
            3 => $"(i32.add (local.get $q) (i32.shl (local.get {l}) (i32.const {shift})))",
            4 => $"(i32.add (i32.shl (local.get {l}) (i32.const {shift})) (i32.const {Pick(r, "4", "-4", "65532", "-65536", "4096")}))",
            5 => $"(select (local.get {l}) (local.get {m}) (i32.and (global.get $iters) (i32.const 1)))",
            6 => $"(block (result i32) (local.get {l}) (br_if 0 (i32.eq (global.get $iters) (i32.const {r.Next(1, 5)}))) (drop) (local.get {m}))",
            7 => $"(if (result i32) (i32.and (global.get $iters) (i32.const 1)) (then (local.get {l})) (else (local.get {m})))",
            8 => $"(local.tee $a (i32.add (local.get {l}) (local.get $n)))",
            9 => $"(i32.add (local.get $q) (local.get {l}))",
            10 => $"(i32.sub (local.get {l}) (i32.const 4))",
            _ => $"(i32.add (local.get {l}) (i32.const {Pick(r, "1", "8", "-1", "65535")}))",
        };
    }

    private static string Access(Random r)
    {
        var (load, store) = r.Next(4) switch
        {
            0 => ("i32.load8_u", "i32.store8"), 1 => ("i32.load16_u", "i32.store16"), 2 => ("i32.load", "i32.store"), _ => ("i64.load", "i64.store"),
        };
        string memarg = r.Next(3) == 0 ? $" offset={Pick(r, "1", "4", "8", "255", "65535")}" : "";
        string address = Address(r);
        bool wide = load == "i64.load";
        if (r.Next(2) == 0)
        {
            string value = $"({load}{memarg} {address})";
            if (wide) value = $"(i32.wrap_i64 {value})";
            return $"(local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31)) {value}))";
        }
        return $"({store}{memarg} {address} {(wide ? "(i64.extend_i32_u (global.get $iters))" : "(global.get $iters)")})";
    }

    private static string Increment(Random r, string local)
    {
        int step = Steps[r.Next(Steps.Length)];
        return r.Next(4) switch
        {
            0 => $"(local.set {local} (local.tee $k (i32.add (local.get {local}) (i32.const {step}))))",
            1 => $"(drop (local.tee {local} (i32.add (local.get {local}) (i32.const {step}))))",
            _ => $"(local.set {local} (i32.add (local.get {local}) (i32.const {step})))",
        };
    }

    private static string Statement(Random r, int depth)
    {
        string s = r.Next(depth == 2 ? 5 : 14) switch
        {
            <= 4 => Access(r),
            5 or 6 => Increment(r, Pick(r, "$p", "$i", "$j")),
            7 => $"(local.set $a (i32.add (local.get {Pick(r, "$p", "$i", "$j")}) (local.get {Pick(r, "$i", "$q", "$n")})))",
            8 => $"(br_if $out (i32.eq (global.get $iters) (i32.const {r.Next(1, 50)})))",
            9 => $"(if (i32.eq (global.get $iters) (i32.const {r.Next(1, 50)})) (then (unreachable)))",
            10 => "(if (i32.eq (global.get $iters) (i32.const 3)) (then (drop (memory.grow (i32.const 1)))))",
            11 => $"(local.set $k (i32.add (local.get $k) (i32.const {Steps[r.Next(Steps.Length)]})))",
            12 => $"(local.set $j (local.get {Pick(r, "$p", "$i", "$q")}))",
            _ => Access(r),
        };
        if (depth < 2 && r.Next(3) == 0)
            return r.Next(2) == 0
                ? $"(block {s} {Statement(r, depth + 1)})"
                : $"(if (i32.and (global.get $iters) (i32.const {Pick(r, "1", "2", "0")})) (then {s}) (else {Statement(r, depth + 1)}))";
        return s;
    }

    private static string Condition(Random r, string x)
    {
        string bound = Pick(r, "(local.get $n)", "(local.get $n)", "(i32.const 0)", $"(i32.const {r.Next(-3, 60)})", "(i32.const 0x7fffffff)", "(i32.const -1)");
        string cmp = Pick(r, "i32.ne", "i32.lt_u", "i32.lt_s", "i32.gt_u", "i32.gt_s", "i32.le_u", "i32.ge_u", "i32.le_s", "i32.ge_s", "i32.eq", "none", "eqz");
        return cmp switch
        {
            "none" => x,
            "eqz" => $"(i32.eqz {x})",
            _ => r.Next(2) == 0 ? $"({cmp} {x} {bound})" : $"({cmp} {bound} {x})",
        };
    }

    private static string Body(Random r)
    {
        var body = new StringBuilder();
        body.AppendLine("(global.set $iters (i32.add (global.get $iters) (i32.const 1)))");
        body.AppendLine("(if (i32.gt_u (global.get $iters) (i32.const 2000)) (then (unreachable)))");
        var statements = Enumerable.Range(0, r.Next(3, 9)).Select(_ => Statement(r, r.Next(3) == 0 ? 0 : 2)).ToList();
        string governor = Pick(r, "$i", "$p", "$j");
        bool teeTest = r.Next(3) != 0;
        // Usually one top-level increment per variable, as the versioning expects.
        foreach (var v in new[] { "$p", "$i", "$j" })
            if (r.Next(4) != 0 && !(teeTest && v == governor && r.Next(5) != 0)) statements.Insert(r.Next(statements.Count + 1), Increment(r, v));
        string tested = !teeTest ? $"(local.get {governor})" : $"(local.tee {governor} (i32.add (local.get {governor}) (i32.const {Steps[r.Next(Steps.Length)]})))";
        int testAt = r.Next(statements.Count + 1);
        switch (r.Next(5))
        {
            case 0: // rotated: the final br_if 0
                foreach (var s in statements) body.AppendLine(s);
                body.AppendLine($"(br_if $l {Condition(r, tested)})");
                break;
            case 1: // br_if out, then a br back
                statements.Insert(testAt, $"(br_if $out {Condition(r, tested)})");
                foreach (var s in statements) body.AppendLine(s);
                body.AppendLine("(br $l)");
                break;
            case 2: // a leading test block whose rest leaves
                statements.Insert(testAt, $"(block $b (br_if $b {Condition(r, tested)}) {(r.Next(2) == 0 ? Access(r) : "")} (br $out))");
                foreach (var s in statements) body.AppendLine(s);
                body.AppendLine("(br $l)");
                break;
            case 3: // br_table back edge
                statements.Insert(testAt, $"(br_if $out {Condition(r, tested)})");
                foreach (var s in statements) body.AppendLine(s);
                body.AppendLine($"(br_table $l $out $l (i32.and (global.get $iters) (i32.const {Pick(r, "0", "1", "3")})))");
                break;
            default: // a br_if back in the middle, then the final test
                statements.Insert(testAt, $"(br_if $l (i32.eq (global.get $iters) (i32.const {r.Next(1, 9)})))");
                foreach (var s in statements) body.AppendLine(s);
                body.AppendLine($"(br_if $l {Condition(r, tested)})");
                break;
        }
        return body.ToString();
    }

    private static string Module(string memory, string body, bool deversion)
    {
        string top = deversion
            ? "(if (global.get $zero) (then (local.set $p (local.get $p)) (local.set $i (local.get $i)) (local.set $j (local.get $j)) (local.set $n (local.get $n)) (local.set $q (local.get $q)) (local.set $a (local.get $a)) (local.set $k (local.get $k))))"
            : "";
        return $$"""
            (module
              (memory (export "mem") {{memory}})
              (global $iters (export "iters") (mut i32) (i32.const 0))
              (global $zero (mut i32) (i32.const 0))
              (func (export "f") (param $p i32) (param $i i32) (param $n i32) (param $q i32) (param $j i32) (result i32)
                (local $sum i32) (local $a i32) (local $k i32)
                (local.set $a (local.get $p))
                (block $out
                  (loop $l
                    (drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))
                    {{top}}
                    {{body}}))
                (i32.add (local.get $sum) (i32.add (local.get $p) (local.get $i)))))
            """;
    }

    /// <summary>As <see cref="Run"/>, with a 32-bit FNV-1a hash (for a comparison with V8, tools outside the suite).</summary>
    private static string Run32(Module module, Value[] args)
    {
        var instance = new Linker().Instantiate(module);
        string outcome;
        try { outcome = $"result {instance.Invoke("f", args)[0].AsI32}"; }
        catch (TrapException trap) { outcome = trap.Code == TrapCode.OutOfBoundsMemoryAccess ? "trap oob" : "trap other"; }
        var memory = instance.GetMemory("mem")!;
        uint hash = 2166136261;
        foreach (byte b in memory.GetSpan(0, (int)memory.LengthInBytes)) hash = (hash ^ b) * 16777619;
        return $"{outcome} {instance.GetGlobal("iters")!.Value.AsI32} {memory.LengthInBytes} {hash:x8}";
    }
}
