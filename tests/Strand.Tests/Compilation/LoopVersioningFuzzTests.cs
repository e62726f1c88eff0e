using System.Text;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Differential fuzzing of loop versioning (FunctionCompiler.LoopVersioning.cs): random loops over a pointer and a counter
/// (the three exit-test shapes, random steps, bounds, comparisons, address forms, offsets and sizes, growth in the body)
/// run with boundary arguments, once as written (versioned where the shape allows) and once with a never-taken second
/// write of each variable at the loop's top (which makes none of them an induction variable, so the loop is only
/// checked). Both must agree on the result or trap, the iterations run, the memory's size and every byte of it.
/// Seeds: <c>STRAND_LOOP_FUZZ_SEEDS=A..B</c> (default 0..119).
/// </summary>
public class LoopVersioningFuzzTests
{
    // Small loops: let those that save one check per iteration take the unchecked copy too (see the field).
    static LoopVersioningFuzzTests() => Strand.Compilation.FunctionCompiler.VersionedLoopMinSavedChecks = 1;

    private static readonly string[] Memories = ["1 1", "1 2 shared", "1"];
    private static readonly int[] PointerSteps = [1, 2, 4, 8, -1, -4, 16, 3];
    private static readonly int[] CounterSteps = [1, 1, 1, -1, 2, 4, -4, 3, 8];
    private static readonly int[] Offsets = [0, 0, 0, 1, 3, 8, 255, 65535];
    private static readonly int[] Pointers = [0, 1, 16, 1000, 65536 - 64, 65536 - 63, 65536 - 8, 65535, 65536, 65540, -4, -64, 0x7FFFFFF0, 131072 - 32];
    private static readonly int[] Starts = [0, 0, 1, 2, -3, 16, -16, 0x7FFFFFFE, -1, 65535];
    private static readonly int[] Bases = [0, 1000, 65536 - 100, -65536, 65536, 32768];

    private static readonly (string Load, string Store, int Size)[] Kinds =
    [
        ("i32.load8_u", "i32.store8", 1), ("i32.load16_u", "i32.store16", 2), ("i32.load", "i32.store", 4), ("i64.load", "i64.store", 8),
    ];

    [Fact]
    public void VersionedLoopsBehaveAsTheirCheckedForm()
    {
        var (from, to) = (0, 119);
        if (Environment.GetEnvironmentVariable("STRAND_LOOP_FUZZ_SEEDS") is { } seeds && seeds.Split("..") is [var a, var b])
            (from, to) = (int.Parse(a), int.Parse(b));
        var failures = new List<string>();
        for (int seed = from; seed <= to && failures.Count < 5; seed++)
        {
            var random = new Random(seed);
            var shape = Generate(random);
            string memory = Memories[random.Next(Memories.Length)];
            var versioned = Compile(Module(memory, shape, deversion: false));
            var checkedOnly = Compile(Module(memory, shape, deversion: true));
            for (int call = 0; call < 8; call++)
            {
                var args = Arguments(random, shape);
                string expected = Run(checkedOnly, args), actual = Run(versioned, args);
                if (expected != actual)
                    failures.Add($"seed {seed} memory \"{memory}\" args ({string.Join(", ", args.Select(v => v.AsI32))}): checked {expected}, versioned {actual}\n{Module(memory, shape, false)}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private sealed record Shape(int Form, int PointerStep, int CounterStep, string Compare, bool BoundFirst, bool TestAfterIncrement,
        bool BoundIsConstant, int BoundConstant, List<string> Before, List<string> After, List<string> OnExit, bool Grow);

    /// <summary>Form 0: the final br_if 0; 1: a leading test block whose rest leaves; 2: a br_if out of the loop.</summary>
    private static Shape Generate(Random random)
    {
        int form = random.Next(3);
        string[] compares = form == 2
            ? ["i32.eq", "i32.ge_u", "i32.ge_s", "i32.le_u", "i32.le_s", "i32.gt_u", "i32.lt_u", "i32.eqz"]
            : ["i32.ne", "i32.lt_u", "i32.lt_s", "i32.gt_u", "i32.gt_s", "i32.le_u", "i32.ge_u", "i32.ne", "none"];
        List<string> Accesses(int count)
        {
            var list = new List<string>();
            for (int k = 0; k < count; k++) list.Add(Access(random));
            return list;
        }
        return new Shape(form, PointerSteps[random.Next(PointerSteps.Length)], CounterSteps[random.Next(CounterSteps.Length)],
            compares[random.Next(compares.Length)], random.Next(2) == 0, random.Next(2) == 0, random.Next(4) == 0,
            Starts[random.Next(Starts.Length)] + random.Next(-2, 40), Accesses(random.Next(0, 3)), Accesses(random.Next(1, 3)),
            form == 1 ? Accesses(random.Next(0, 2)) : [], random.Next(6) == 0);
    }

    private static string Access(Random random)
    {
        var (load, store, _) = Kinds[random.Next(Kinds.Length)];
        int offset = Offsets[random.Next(Offsets.Length)];
        int shift = random.Next(1, 4);
        string address = random.Next(9) switch
        {
            0 => "(local.get $p)",
            1 => "(i32.add (local.get $p) (local.get $i))",
            2 => "(i32.add (local.get $i) (local.get $q))",
            3 => $"(i32.add (local.get $q) (i32.shl (local.get $i) (i32.const {shift})))",
            4 => $"(i32.shl (local.get $i) (i32.const {shift}))",
            5 => $"(i32.add (local.get $p) (i32.const {new[] { 4, 100, -4, 65536 }[random.Next(4)]}))",
            6 => "(local.get $i)",
            7 => "(local.get $a)",
            _ => $"(i32.add (i32.const {new[] { 8, 4096 }[random.Next(2)]}) (local.get $p))",
        };
        string prefix = address == "(local.get $a)" ? "(local.set $a (i32.add (local.get $p) (local.get $i)))\n" : "";
        string memarg = offset == 0 ? "" : $" offset={offset}";
        bool isLoad = random.Next(2) == 0;
        bool wide = load == "i64.load";
        if (isLoad)
        {
            string value = $"({load}{memarg} {address})";
            if (wide) value = $"(i32.wrap_i64 {value})";
            return $"{prefix}(local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31)) {value}))";
        }
        string stored = wide ? "(i64.extend_i32_u (global.get $iters))" : "(global.get $iters)";
        return $"{prefix}({store}{memarg} {address} {stored})";
    }

    private static string Module(string memory, Shape s, bool deversion)
    {
        var body = new StringBuilder();
        string bound = s.BoundIsConstant ? $"(i32.const {s.BoundConstant})" : "(local.get $n)";
        string Condition(string counter) => s.Compare switch
        {
            "none" => counter,
            "i32.eqz" => $"(i32.eqz {counter})",
            _ => s.BoundFirst ? $"({s.Compare} {bound} {counter})" : $"({s.Compare} {counter} {bound})",
        };
        string counterIncrement = $"(local.set $i (i32.add (local.get $i) (i32.const {s.CounterStep})))";
        string pointerIncrement = $"(local.set $p (i32.add (local.get $p) (i32.const {s.PointerStep})))";
        body.AppendLine("(global.set $iters (i32.add (global.get $iters) (i32.const 1)))");
        // Only loops with at least three accesses are versioned.
        body.AppendLine("(drop (i32.load8_u (i32.const 0))) (drop (i32.load16_u (i32.const 2)))");
        body.AppendLine("(if (i32.gt_u (global.get $iters) (i32.const 3000)) (then (unreachable)))");
        if (deversion)
            body.AppendLine("(if (global.get $zero) (then (local.set $i (local.get $i)) (local.set $p (local.get $p))))");
        if (s.Grow) body.AppendLine("(if (i32.eq (global.get $iters) (i32.const 3)) (then (drop (memory.grow (i32.const 1)))))");
        switch (s.Form)
        {
            case 0:
                foreach (var a in s.Before) body.AppendLine(a);
                body.AppendLine(pointerIncrement);
                foreach (var a in s.After) body.AppendLine(a);
                string tee = $"(local.tee $i (i32.add (local.get $i) (i32.const {s.CounterStep})))";
                body.AppendLine($"(br_if $l {Condition(tee)})");
                break;
            case 1:
                if (s.TestAfterIncrement) body.AppendLine(counterIncrement);
                body.AppendLine("(block $b");
                body.AppendLine($"(br_if $b {Condition("(local.get $i)")})");
                foreach (var a in s.OnExit) body.AppendLine(a);
                body.AppendLine("(br $out))");
                foreach (var a in s.Before) body.AppendLine(a);
                if (!s.TestAfterIncrement) body.AppendLine(counterIncrement);
                body.AppendLine(pointerIncrement);
                foreach (var a in s.After) body.AppendLine(a);
                body.AppendLine("(br $l)");
                break;
            default:
                foreach (var a in s.Before) body.AppendLine(a);
                if (s.TestAfterIncrement) body.AppendLine(counterIncrement);
                body.AppendLine($"(br_if $out {Condition("(local.get $i)")})");
                foreach (var a in s.After) body.AppendLine(a);
                if (!s.TestAfterIncrement) body.AppendLine(counterIncrement);
                body.AppendLine(pointerIncrement);
                body.AppendLine("(br $l)");
                break;
        }
        return $$"""
            (module
              (memory (export "mem") {{memory}})
              (global $iters (export "iters") (mut i32) (i32.const 0))
              (global $zero (mut i32) (i32.const 0))
              (func (export "f") (param $p i32) (param $i i32) (param $n i32) (param $q i32) (result i32)
                (local $sum i32) (local $a i32)
                (block $out
                  (loop $l
                    {{body}}))
                (local.get $sum)))
            """;
    }

    private static Value[] Arguments(Random random, Shape s)
    {
        int p = Pointers[random.Next(Pointers.Length)] + random.Next(-3, 4);
        int i = Starts[random.Next(Starts.Length)];
        int trips = new[] { 0, 1, 2, 5, 17, 40, 300 }[random.Next(7)];
        int n = random.Next(5) == 0 ? Starts[random.Next(Starts.Length)] : unchecked(i + trips * s.CounterStep + new[] { 0, 0, 0, 1, -1 }[random.Next(5)]);
        int q = Bases[random.Next(Bases.Length)] + random.Next(-2, 3);
        return [Value.I32(p), Value.I32(i), Value.I32(n), Value.I32(q)];
    }

    /// <summary>Runs export <c>f</c>: its result or trap, the <c>iters</c> global, the memory's size and a hash of every byte (shared with <see cref="LoopVersioningHostileFuzzTests"/>).</summary>
    internal static string Run(Module module, Value[] args)
    {
        var instance = new Linker().Instantiate(module);
        string outcome;
        try { outcome = $"result {instance.Invoke("f", args)[0].AsI32}"; }
        catch (TrapException trap) { outcome = $"trap {trap.Code}"; }
        var memory = instance.GetMemory("mem")!;
        ulong hash = 14695981039346656037;
        foreach (byte b in memory.GetSpan(0, (int)memory.LengthInBytes)) hash = (hash ^ b) * 1099511628211;
        return $"{outcome}, iterations {instance.GetGlobal("iters")!.Value.AsI32}, memory {memory.LengthInBytes} bytes {hash:x16}";
    }
}
