using System.Text;
using Strand.Runtime;
using Xunit;

namespace Strand.Tests.Interpreter;

/// <summary>
/// Random functions run four ways (docs/interpreter.md): interpreted for ever, interpreted with low thresholds (tier-up
/// between runs), interpreted with loops hot at once (on-stack replacement in the middle of every run) and compiled only; they must give the same results, traps, memory
/// and globals. The code mixes random expression trees of the four number types (every numeric instruction the
/// interpreter runs, loads and stores of every width, select, blocks with parameters and results, if/else), exits out
/// of nested blocks (br, br_if, br_table with any index, return), bounded loops, direct calls to interpreted and
/// compiled (refused: a v128 local, several results) functions, call_indirect, memory.grow/size/copy/fill and globals.
/// Float values reach memory, globals and results only canonicalised (any NaN becomes one pattern): the spec lets NaN
/// payloads of arithmetic differ, and the JIT may commute operands. Exact NaN bits are tested separately.
/// </summary>
public class InterpreterFuzzTests
{
    /// <summary>Arguments of "run": 11 and 29 trigger traps somewhere (divide by zero, out of bounds, table), 3 a return.</summary>
    private static readonly int[] Arguments = [0, 1, 3, 11, 29, 1000, -7, 0x7FFF_FFFF];

    private sealed class Generator(Random r)
    {
        private readonly StringBuilder _w = new();
        private int _labels;
        private readonly List<string> _blockLabels = new(); // enclosing plain blocks a statement may leave
        private int _loopDepth;

        private int Pick(int n) => r.Next(n);
        private string One(params string[] options) => options[Pick(options.Length)];
        private string Addr(int size) =>
            $"(i32.and {I32(1)} (i32.const 0xFFF0))"; // below 65520: every access of up to 8 bytes with offset <= 8 fits
        private int Offset() => Pick(9);

        private static readonly string[] I32Bin = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr",
            "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
        private static readonly string[] I64Bin = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"];
        private static readonly string[] I64Cmp = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
        private static readonly string[] FBin = ["add", "sub", "mul", "div", "min", "max", "copysign"];
        private static readonly string[] FUn = ["abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"];
        private static readonly string[] FCmp = ["eq", "ne", "lt", "gt", "le", "ge"];

        private static readonly uint[] F32Specials = [0x7FC00000, 0x7FA00001, 0xFFC12345, 0x80000000, 0x7F800000, 0xFF800000, 0x00000001, 0x4F000000, 0xCF000000, 0x3F000000];
        private static readonly ulong[] F64Specials = [0x7FF8000000000000, 0x7FF4000000000001, 0xFFF8000000ABCDEF, 0x8000000000000000, 0x7FF0000000000000, 0x0000000000000001, 0x43E0000000000000, 0xC3E0000000000000, 0x41DFFFFFFFC00000];

        public string I32(int d)
        {
            if (d <= 0) return Pick(3) switch
            {
                0 => $"(i32.const {r.Next(int.MinValue, int.MaxValue)})",
                1 => $"(i32.const {Pick(70) - 5})",
                _ => Pick(4) switch { 0 => "(local.get $a)", 1 => "(local.get $b)", 2 => "(local.get $n)", _ => "(global.get $g0)" },
            };
            d--;
            return Pick(26) switch
            {
                0 or 1 or 2 or 3 => $"(i32.{I32Bin[Pick(I32Bin.Length)]} {I32(d)} {I32(d)})",
                4 => $"(i32.{One("clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s")} {I32(d)})",
                5 => $"(i64.{I64Cmp[Pick(I64Cmp.Length)]} {I64(d)} {I64(d)})",
                6 => $"(i64.eqz {I64(d)})",
                7 => $"(f32.{FCmp[Pick(6)]} {F32(d)} {F32(d)})",
                8 => $"(f64.{FCmp[Pick(6)]} {F64(d)} {F64(d)})",
                9 => $"(i32.wrap_i64 {I64(d)})",
                10 => $"(i32.trunc_sat_f32_{(Pick(2) == 0 ? "s" : "u")} {F32(d)})",
                11 => $"(i32.trunc_sat_f64_{(Pick(2) == 0 ? "s" : "u")} {F64(d)})",
                12 => $"(i32.reinterpret_f32 {Canon32(F32(d))})",
                13 => $"(i32.{One("load", "load8_s", "load8_u", "load16_s", "load16_u")} offset={Offset()} {Addr(4)})",
                14 => $"(select {I32(d)} {I32(d)} {I32(d)})",
                15 => $"(if (result i32) {I32(d)} (then {I32(d)}) (else {I32(d)}))",
                16 => BlockResult(d),
                17 => $"(call $h0 {I32(d)})",
                18 => $"(call_indirect (type $i2i) {I32(d)} (i32.rem_u {I32(d)} (i32.const 3)))",
                19 => "(memory.size)",
                20 => $"(i32.{One("div_u", "rem_u", "div_s", "rem_s")} {I32(d)} (i32.or (i32.and {I32(d)} (i32.const 0x7FFFFFFF)) (i32.const 1)))",
                21 => $"(call $compiled {I32(d)} {I64(d)})",
                22 => $"(block (result i32) (call $pair {I32(d)}) (drop))",
                23 => $"(i32.const {r.Next(int.MinValue, int.MaxValue)}) {I32(d)} (block $p{++_labels} (param i32 i32) (result i32) (i32.add))",
                24 => $"(local.tee $b {I32(d)})",
                _ => $"(i32.add {I32(d)} (i32.const 1))",
            };
        }

        private string BlockResult(int d)
        {
            int l = ++_labels;
            return Pick(3) switch
            {
                0 => $"(block $v{l} (result i32) (drop (br_if $v{l} {I32(d)} {I32(d)})) {I32(d)})",
                1 => $"(block $v{l} (result i32) (block $w{l} (result i32) (br_table $v{l} $w{l} $v{l} {I32(d)} {I32(d)})) (i32.const {Pick(100)}) (i32.add))",
                _ => $"(loop $v{l} (result i32) {I32(d)})",
            };
        }

        public string I64(int d)
        {
            if (d <= 0) return Pick(3) switch
            {
                0 => $"(i64.const {r.NextInt64(long.MinValue, long.MaxValue)})",
                1 => $"(i64.const {Pick(130) - 2})",
                _ => Pick(2) == 0 ? "(local.get $t)" : "(global.get $g1)",
            };
            d--;
            return Pick(17) switch
            {
                0 or 1 or 2 => $"(i64.{I64Bin[Pick(I64Bin.Length)]} {I64(d)} {I64(d)})",
                3 => $"(i64.{One("clz", "ctz", "popcnt", "extend8_s", "extend16_s", "extend32_s")} {I64(d)})",
                4 => $"(i64.extend_i32_{(Pick(2) == 0 ? "s" : "u")} {I32(d)})",
                5 => $"(i64.trunc_sat_f32_{(Pick(2) == 0 ? "s" : "u")} {F32(d)})",
                6 => $"(i64.trunc_sat_f64_{(Pick(2) == 0 ? "s" : "u")} {F64(d)})",
                7 => $"(i64.reinterpret_f64 {Canon64(F64(d))})",
                8 => $"(i64.{One("load", "load8_s", "load8_u", "load16_s", "load16_u", "load32_s", "load32_u")} offset={Offset()} {Addr(8)})",
                9 => $"(select {I64(d)} {I64(d)} {I32(d)})",
                10 => $"(if (result i64) {I32(d)} (then {I64(d)}) (else {I64(d)}))",
                11 => $"(i64.{One("div_u", "rem_u", "div_s", "rem_s")} {I64(d)} (i64.or (i64.and {I64(d)} (i64.const 0x7FFFFFFFFFFFFFFF)) (i64.const 1)))",
                12 => $"(block (result i64) (call $pair {I32(d)}) (local.set $t) (drop) (local.get $t))",
                13 => $"(local.tee $t {I64(d)})",
                _ => $"(i64.add {I64(d)} (i64.const 3))",
            };
        }

        public string F32(int d)
        {
            if (d <= 0) return Pick(4) switch
            {
                0 => $"(f32.reinterpret_i32 (i32.const {unchecked((int)F32Specials[Pick(F32Specials.Length)])}))",
                1 => $"(f32.const {(r.NextDouble() * 200 - 100).ToString("R", System.Globalization.CultureInfo.InvariantCulture)})",
                2 => "(local.get $f)",
                _ => "(global.get $g2)",
            };
            d--;
            return Pick(12) switch
            {
                0 or 1 => FBin[Pick(FBin.Length)] is var o32 && o32 == "copysign" ? $"(f32.copysign {F32(d)} {Canon32(F32(d))})" : $"(f32.{o32} {F32(d)} {F32(d)})",
                2 => $"(f32.{FUn[Pick(FUn.Length)]} {F32(d)})",
                3 => $"(f32.demote_f64 {F64(d)})",
                4 => $"(f32.convert_i32_{(Pick(2) == 0 ? "s" : "u")} {I32(d)})",
                5 => $"(f32.convert_i64_{(Pick(2) == 0 ? "s" : "u")} {I64(d)})",
                6 => $"(f32.reinterpret_i32 {I32(d)})",
                7 => $"(f32.load offset={Offset()} {Addr(4)})",
                8 => $"(select {F32(d)} {F32(d)} {I32(d)})",
                9 => $"(if (result f32) {I32(d)} (then {F32(d)}) (else {F32(d)}))",
                _ => $"(local.tee $f {F32(d)})",
            };
        }

        public string F64(int d)
        {
            if (d <= 0) return Pick(4) switch
            {
                0 => $"(f64.reinterpret_i64 (i64.const {unchecked((long)F64Specials[Pick(F64Specials.Length)])}))",
                1 => $"(f64.const {(r.NextDouble() * 2e6 - 1e6).ToString("R", System.Globalization.CultureInfo.InvariantCulture)})",
                2 => "(local.get $x)",
                _ => "(global.get $g3)",
            };
            d--;
            return Pick(12) switch
            {
                0 or 1 => FBin[Pick(FBin.Length)] is var o64 && o64 == "copysign" ? $"(f64.copysign {F64(d)} {Canon64(F64(d))})" : $"(f64.{o64} {F64(d)} {F64(d)})",
                2 => $"(f64.{FUn[Pick(FUn.Length)]} {F64(d)})",
                3 => $"(f64.promote_f32 {F32(d)})",
                4 => $"(f64.convert_i32_{(Pick(2) == 0 ? "s" : "u")} {I32(d)})",
                5 => $"(f64.convert_i64_{(Pick(2) == 0 ? "s" : "u")} {I64(d)})",
                6 => $"(f64.reinterpret_i64 {I64(d)})",
                7 => $"(f64.load offset={Offset()} {Addr(8)})",
                8 => $"(select {F64(d)} {F64(d)} {I32(d)})",
                9 => $"(call $fcompiled {F64(d)})",
                _ => $"(local.tee $x {F64(d)})",
            };
        }

        /// <summary>Any NaN becomes the canonical positive NaN (the spec leaves arithmetic NaN payloads open).</summary>
        private static string Canon32(string e) => $"(call $canon32 {e})";
        private static string Canon64(string e) => $"(call $canon64 {e})";

        /// <summary>A label to leave: an inner block mostly, the whole body ($exit) rarely (else most runs would end early).</summary>
        private string Leave() => _blockLabels.Count == 1 || Pick(8) == 0 ? _blockLabels[Pick(_blockLabels.Count)] : _blockLabels[1 + Pick(_blockLabels.Count - 1)];

        public void Statement(int depth)
        {
            int d = Pick(3) + 1;
            switch (Pick(depth > 0 ? 20 : 14))
            {
                case 0 or 1: _w.Append($"(local.set $a {I32(d)})\n"); break;
                case 2: _w.Append($"(local.set $b {I32(d)})\n"); break;
                case 3: _w.Append($"(local.set $t {I64(d)})\n"); break;
                case 4: _w.Append($"(local.set $f {F32(d)})\n"); break;
                case 5: _w.Append($"(local.set $x {F64(d)})\n"); break;
                case 6:
                    _w.Append(Pick(4) switch
                    {
                        0 => $"(global.set $g0 {I32(d)})\n",
                        1 => $"(global.set $g1 {I64(d)})\n",
                        2 => $"(global.set $g2 {Canon32(F32(d))})\n",
                        _ => $"(global.set $g3 {Canon64(F64(d))})\n",
                    });
                    break;
                case 7:
                {
                    string[] stores = ["i32.store", "i32.store8", "i32.store16", "i64.store", "i64.store8", "i64.store16", "i64.store32", "f32.store", "f64.store"];
                    string s = stores[Pick(stores.Length)];
                    string value = s[..3] switch { "i32" => I32(d), "i64" => I64(d), "f32" => Canon32(F32(d)), _ => Canon64(F64(d)) };
                    _w.Append($"({s} offset={Offset()} {Addr(8)} {value})\n");
                    break;
                }
                case 8:
                    _w.Append(Pick(3) switch
                    {
                        0 => $"(memory.fill (i32.and {I32(d)} (i32.const 0x7FFF)) {I32(d)} (i32.and {I32(d)} (i32.const 0x3FF)))\n",
                        1 => $"(memory.copy (i32.and {I32(d)} (i32.const 0x7FFF)) (i32.and {I32(d)} (i32.const 0x7FFF)) (i32.and {I32(d)} (i32.const 0x7FF)))\n",
                        _ => Pick(4) == 0 ? "(local.set $b (i32.add (local.get $b) (memory.grow (i32.const 1))))\n" : $"(local.set $a (i32.xor (local.get $a) (memory.size)))\n",
                    });
                    break;
                case 9: // controlled traps: n = 11 divides by zero, n = 29 loads out of bounds or calls a missing element
                    _w.Append(Pick(3) switch
                    {
                        0 => $"(if (i32.eq (local.get $n) (i32.const 11)) (then (local.set $b (i32.div_s (local.get $b) (i32.sub (local.get $n) (i32.const 11))))))\n",
                        1 => $"(if (i32.eq (local.get $n) (i32.const 29)) (then (local.set $a (i32.load offset=0xFFFFFFF0 (local.get $a)))))\n",
                        _ => $"(if (i32.eq (local.get $n) (i32.const 29)) (then (local.set $a (call_indirect (type $i2i) (local.get $a) (i32.add (i32.const 3) (i32.and (local.get $b) (i32.const 3)))))))\n",
                    });
                    break;
                case 10: // leave an enclosing block
                    if (_blockLabels.Count > 0)
                    {
                        string target = Leave();
                        _w.Append(Pick(2) == 0 ? $"(br_if {target} {I32(d)})\n" : $"(if {I32(d)} (then (br {target})))\n");
                    }
                    else _w.Append($"(local.set $a {I32(d)})\n");
                    break;
                case 11: // br_table over the enclosing blocks, any index (huge ones take the default)
                    if (_blockLabels.Count > 0)
                    {
                        var targets = Enumerable.Range(0, Pick(4) + 1).Select(_ => Leave());
                        _w.Append($"(block $bt{++_labels} (br_table {string.Join(" ", targets)} $bt{_labels} {I32(d)}))\n");
                    }
                    break;
                case 12:
                    _w.Append($"(if (i32.and (i32.eq (local.get $n) (i32.const 3)) {I32(1)}) (then (return {I32(d)})))\n");
                    break;
                case 13:
                    _w.Append($"(drop {I32(d)}) (drop {I64(d)})\n");
                    break;
                case 14 or 15 or 16: // a nested block
                Block:
                {
                    string label = $"$k{++_labels}";
                    _w.Append($"(block {label}\n");
                    _blockLabels.Add(label);
                    int count = Pick(4) + 1;
                    for (int k = 0; k < count; k++) Statement(depth - 1);
                    _blockLabels.RemoveAt(_blockLabels.Count - 1);
                    _w.Append(")\n");
                    break;
                }
                case 17 or 18: // a bounded loop (counter in $i or $j), possibly left early
                {
                    if (_loopDepth >= 2) goto Block;
                    string counter = _loopDepth == 0 ? "$i" : "$j";
                    string label = $"$l{++_labels}";
                    _loopDepth++;
                    _w.Append($"(local.set {counter} (i32.const 0)) (loop {label}\n");
                    int count = Pick(4) + 1;
                    for (int k = 0; k < count; k++) Statement(depth - 1);
                    _w.Append($"(local.set {counter} (i32.add (local.get {counter}) (i32.const 1))) (br_if {label} (i32.lt_u (local.get {counter}) (i32.const {Pick(12) + 2}))))\n");
                    _loopDepth--;
                    break;
                }
                default:
                    _w.Append($"(if {I32(d)} (then\n");
                    Statement(depth - 1);
                    _w.Append(") (else\n");
                    Statement(depth - 1);
                    _w.Append("))\n");
                    break;
            }
        }

        public string Module(int statements)
        {
            _w.Clear();
            _w.Append("""
                (module
                  (type $i2i (func (param i32) (result i32)))
                  (memory (export "mem") 1 3)
                  (global $g0 (export "g0") (mut i32) (i32.const 17))
                  (global $g1 (export "g1") (mut i64) (i64.const -5))
                  (global $g2 (export "g2") (mut f32) (f32.const 1.5))
                  (global $g3 (export "g3") (mut f64) (f64.const -2.25))
                  (table 4 funcref) (elem (i32.const 0) $h0 $h1 $h2)
                  (data (i32.const 0) "\01\02\03\04\05\06\07\08\ff\fe\fd\fc\00\00\c0\7f\00\00\00\00\00\00\f8\7f")
                  (data (i32.const 4000) "abcdefghijklmnopqrstuvwxyz")
                  (func $canon32 (param f32) (result f32) (select (local.get 0) (f32.const nan) (f32.eq (local.get 0) (local.get 0))))
                  (func $canon64 (param f64) (result f64) (select (local.get 0) (f64.const nan) (f64.eq (local.get 0) (local.get 0))))
                  (func $h0 (type $i2i) (i32.add (i32.mul (local.get 0) (i32.const 31)) (global.get $g0)))
                  (func $h1 (type $i2i) (i32.xor (local.get 0) (i32.const 0x5555)))
                  ;; compiled (the interpreter refuses v128): called directly and through the table
                  (func $h2 (type $i2i) (local $v v128)
                    (local.set $v (i32x4.splat (local.get 0)))
                    (i32.add (i32x4.extract_lane 3 (local.get $v)) (i32.const 9)))
                  (func $compiled (param i32 i64) (result i32) (local $v v128)
                    (i32.add (local.get 0) (i32.wrap_i64 (i64.rotl (local.get 1) (i64.const 7)))))
                  (func $fcompiled (param f64) (result f64) (local $v v128)
                    (local.set 0 (f64.mul (local.get 0) (f64.const 0.5)))
                    (select (local.get 0) (f64.const nan) (f64.eq (local.get 0) (local.get 0))))
                  ;; several results: compiled
                  (func $pair (param i32) (result i32 i64)
                    (i32.sub (local.get 0) (i32.const 1)) (i64.extend_i32_s (local.get 0)))
                  (func (export "run") (param $n i32) (result i32)
                    (local $a i32) (local $b i32) (local $t i64) (local $f f32) (local $x f64) (local $i i32) (local $j i32) (local $o i32)
                    (local.set $a (local.get $n))

                """);
            // A loop of 30 iterations first, so that every run has one to continue in compiled code (no loop nested in it).
            _w.Append("(local.set $j (i32.const 0)) (loop $warm\n");
            _loopDepth = 2;
            for (int k = 0; k < 3; k++) Statement(1);
            _loopDepth = 0;
            _w.Append("(local.set $a (i32.add (local.get $a) (i32.mul (local.get $j) (local.get $n))))\n");
            _w.Append("(local.set $j (i32.add (local.get $j) (i32.const 1))) (br_if $warm (i32.lt_u (local.get $j) (i32.const 30))))\n");
            _w.Append("(loop $outer (block $exit\n");
            _blockLabels.Add("$exit");
            for (int s = 0; s < statements; s++) Statement(3);
            _blockLabels.Clear();
            _w.Append("""
                      )
                      (local.set $o (i32.add (local.get $o) (i32.const 1)))
                      (br_if $outer (i32.lt_u (local.get $o) (i32.const 3))))
                    (i64.store offset=65512 (i32.const 0) (local.get $t))
                    (f32.store offset=65520 (i32.const 0) (call $canon32 (local.get $f)))
                    (f64.store offset=65524 (i32.const 0) (call $canon64 (local.get $x)))
                    (i32.add (i32.add (local.get $a) (i32.mul (local.get $b) (i32.const 3)))
                      (i32.add (i32.wrap_i64 (local.get $t)) (i32.mul (local.get $n) (i32.const 7))))))
                """);
            return _w.ToString();
        }
    }

    private static string State(Instance instance)
    {
        var memory = instance.GetMemory("mem")!;
        var bytes = memory.GetSpan(0, checked((int)memory.Length));
        return $"pages {memory.Pages}, memory {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))}, "
            + string.Join(" ", new[] { "g0", "g1", "g2", "g3" }.Select(g => $"{g}={instance.GetGlobal(g)!.Value.Bits:x}"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void InterpretedRandomFunctionsComputeWhatCompiledCodeComputes(int seed)
    {
        string wat = new Generator(new Random(seed)).Module(60);
        var compiled = Interp.Compiled(wat);
        var interpreted = Interp.Compile(wat);
        var tiering = Interp.Compile(wat, calls: 3, loops: 8);
        int osr = 0;
        int run = Interp.Defined(interpreted, "run");
        var outcomes = new List<string>();
        foreach (int n in Arguments)
        {
            var expected = new Linker().Instantiate(compiled);
            string outcome = Interp.Outcome(() => expected.Invoke("run", Value.I32(n)));
            outcomes.Add(outcome);
            string state = State(expected);
            // A fresh module whose loops turn hot within this call: its loops continue in compiled code (on-stack replacement).
            var replaced = Interp.Compile(wat, calls: 1000, loops: 2);
            foreach (var module in new[] { interpreted, tiering, replaced })
            {
                var instance = new Linker().Instantiate(module);
                Assert.Equal(outcome, Interp.Outcome(() => instance.Invoke("run", Value.I32(n))));
                Assert.Equal(state, State(instance));
            }
            osr += Interp.Tier(replaced).OsrEntries;
        }
        // The interpreted module really interpreted "run" (and compiled the refused functions); the other tiered up.
        Assert.True(Interp.HasNoCode(interpreted, run));
        Assert.True(Interp.Tier(interpreted).InterpretedFunctions >= 3, $"{Interp.Tier(interpreted).InterpretedFunctions}");
        Assert.False(Interp.HasNoCode(tiering, run));
        Assert.True(osr > 0, "no loop continued in compiled code");
        // The runs are real: values and traps.
        Assert.Contains(outcomes, o => o.StartsWith("I32:", StringComparison.Ordinal));
        Assert.True(outcomes.Distinct().Count() >= 3, string.Join(" | ", outcomes));
    }
}
