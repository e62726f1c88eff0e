using System.Text;

namespace Strand.Fuzz;

/// <summary>
/// Random modules that use the legacy exception-handling instructions (<c>try</c>, <c>catch</c>, <c>catch_all</c>,
/// <c>throw</c>, <c>rethrow</c>, <c>delegate</c>), which binaryen 108's translate-to-fuzz never generates but Node 20 (V8
/// 11.3) runs and clang's <c>-fwasm-exceptions</c> emits. Written as WAT and assembled by wabt's <c>wat2wasm</c> (not by
/// Strand's own text parser, so both engines get bytes Strand did not make).
/// <para>
/// Shape: three tags (<c>(param i32)</c>, <c>(param i32 i64)</c>, no parameters), imports <c>env.log (i32)</c> and
/// <c>env.log2 (i32 i64)</c> (each call is a trace line), an exported mutable global, and functions
/// <c>f0 .. fN-1 (param i32) (result i32)</c>, all exported, whose bodies nest statements: logging, local and global
/// writes, <c>if</c>, blocks left by <c>br_if</c> (also from inside a <c>try</c>), calls of higher-numbered functions
/// only (no recursion, so no hang), <c>return_call</c> (also from inside a <c>try</c>, whose handlers then do not apply),
/// conditional <c>throw</c>s of each tag, <c>try</c> with any subset of catch clauses and
/// <c>catch_all</c>, <c>rethrow</c> from a catch body (also from inside nested blocks), <c>try ... delegate</c> to an
/// enclosing <c>try</c> or out of the function, <c>try</c> with an i32 result as an expression, and rare traps (a trap is
/// never caught). An exception that leaves an export is the outcome <c>exception</c> on both sides.
/// </para>
/// </summary>
internal sealed class EhGenerator
{
    private enum LabelKind { Block, If, TryDo, Catch }

    private ulong _state;
    private readonly StringBuilder _out = new();
    private readonly List<LabelKind> _labels = [];
    private int _functionCount, _current, _budget;

    private EhGenerator(ulong seed) => _state = seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019;

    public static string Generate(long seed)
    {
        var g = new EhGenerator((ulong)seed);
        return g.Module();
    }

    private ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    private int Below(int n) => (int)(Next() % (ulong)n);
    private bool OneIn(int n) => Below(n) == 0;

    private string Module()
    {
        _functionCount = 2 + Below(5);
        _out.AppendLine("(module");
        _out.AppendLine("  (import \"env\" \"log\" (func $log (param i32)))");
        _out.AppendLine("  (import \"env\" \"log2\" (func $log2 (param i32 i64)))");
        _out.AppendLine("  (tag $t0 (param i32))");
        _out.AppendLine("  (tag $t1 (param i32 i64))");
        _out.AppendLine("  (tag $t2)");
        _out.AppendLine($"  (global $g (export \"g\") (mut i32) (i32.const {Constant()}))");
        for (_current = 0; _current < _functionCount; _current++)
        {
            _budget = 12 + Below(30);
            _out.AppendLine($"  (func $f{_current} (export \"f{_current}\") (param $p i32) (result i32) (local $x i32) (local $y i64)");
            _out.AppendLine($"    (local.set $x (i32.xor (local.get $p) (i32.const {Constant()})))");
            _out.AppendLine("    (local.set $y (i64.extend_i32_s (local.get $p)))");
            Statements(2, 1 + Below(6));
            _out.AppendLine("    (local.get $x))");
        }
        _out.AppendLine(")");
        return _out.ToString();
    }

    private void Line(int indent, string text) => _out.Append(' ', 2 * indent).AppendLine(text);

    private void Statements(int indent, int count)
    {
        for (int i = 0; i < count && _budget > 0; i++) Statement(indent);
    }

    private void Statement(int indent)
    {
        _budget--;
        bool deep = _labels.Count >= 6;
        int choice = Below(deep ? 8 : 15);
        switch (choice)
        {
            case 0: Line(indent, $"(call $log {Expr(2)})"); break;
            case 1: Line(indent, $"(call $log2 {Expr(2)} (i64.extend_i32_s {Expr(1)}))"); break;
            case 2: Line(indent, $"(local.set $x {Expr(3)})"); break;
            case 3: Line(indent, $"(global.set $g {Expr(2)})"); break;
            case 4: Line(indent, $"(local.set $y (i64.add (local.get $y) (i64.extend_i32_u {Expr(2)})))"); break;
            case 5: Throw(indent, conditional: true); break;
            case 6:
                // return_call inside a try: the callee's exceptions are not caught by this function's handlers.
                if (_current + 1 < _functionCount && OneIn(4)) Line(indent, $"(if {Expr(2)} (then (return_call $f{_current + 1 + Below(_functionCount - _current - 1)} {Expr(2)})))");
                else if (_current + 1 < _functionCount) Line(indent, $"(local.set $x (i32.add (local.get $x) {Call(2)}))");
                else Line(indent, $"(call $log {Expr(2)})");
                break;
            case 7:
                if (BranchTarget() is { } depth) Line(indent, $"(br_if {depth} {Expr(2)})");
                else if (RethrowTarget() is { } catchDepth && OneIn(2)) Line(indent, $"(if {Expr(1)} (then (rethrow {catchDepth + 1})))");
                else if (OneIn(12)) Line(indent, $"(if {Expr(2)} (then unreachable))");
                else Line(indent, $"(call $log {Expr(1)})");
                break;
            case 8:
                Line(indent, $"(if {Expr(2)}");
                _labels.Add(LabelKind.If);
                Line(indent + 1, "(then");
                Statements(indent + 2, 1 + Below(3));
                Line(indent + 1, ")");
                if (OneIn(2))
                {
                    Line(indent + 1, "(else");
                    Statements(indent + 2, 1 + Below(3));
                    Line(indent + 1, ")");
                }
                _labels.RemoveAt(_labels.Count - 1);
                Line(indent, ")");
                break;
            case 9:
                Line(indent, "(block");
                _labels.Add(LabelKind.Block);
                Statements(indent + 1, 1 + Below(4));
                _labels.RemoveAt(_labels.Count - 1);
                Line(indent, ")");
                break;
            case 10 or 11 or 12: Try(indent); break;
            case 13: TryDelegate(indent); break;
            default: Line(indent, $"(local.set $x {TryExpr(indent)})"); break;
        }
    }

    private void Throw(int indent, bool conditional)
    {
        string payload = ThrowText();
        Line(indent, conditional ? $"(if {Expr(2)} (then {payload}))" : payload);
    }

    private string ThrowText() => Below(3) switch
    {
        0 => $"(throw $t0 {Expr(2)})",
        1 => $"(throw $t1 {Expr(2)} (i64.mul (local.get $y) (i64.const 3)))",
        _ => "(throw $t2)",
    };

    /// <summary>try/do with a random subset of catch clauses (each tag at most once, any order) and maybe catch_all.</summary>
    private void Try(int indent)
    {
        Line(indent, "(try");
        _labels.Add(LabelKind.TryDo);
        Line(indent + 1, "(do");
        Statements(indent + 2, 1 + Below(4));
        if (OneIn(3)) Throw(indent + 2, conditional: OneIn(2));
        Line(indent + 1, ")");
        _labels[^1] = LabelKind.Catch;
        var tags = new List<int> { 0, 1, 2 };
        int clauses = Below(4);
        for (int c = 0; c < clauses && tags.Count > 0; c++)
        {
            int tag = tags[Below(tags.Count)];
            tags.Remove(tag);
            Line(indent + 1, $"(catch $t{tag}");
            // The payload is on the stack: consume it.
            if (tag == 0) Line(indent + 2, OneIn(2) ? "(local.set $x)" : "(call $log)");
            if (tag == 1) Line(indent + 2, OneIn(2) ? "(local.set $y) (local.set $x)" : "(call $log2)");
            CatchBody(indent + 2);
            Line(indent + 1, ")");
        }
        if (clauses == 0 || OneIn(2))
        {
            Line(indent + 1, "(catch_all");
            CatchBody(indent + 2);
            Line(indent + 1, ")");
        }
        _labels.RemoveAt(_labels.Count - 1);
        Line(indent, ")");
    }

    private void CatchBody(int indent)
    {
        Statements(indent, Below(3));
        if (OneIn(4)) Line(indent, $"(rethrow {RethrowTarget() ?? 0})");
    }

    /// <summary>try ... delegate L: L is an enclosing try (in its do part) or the function level (out to the caller).</summary>
    private void TryDelegate(int indent)
    {
        var targets = new List<int>();
        for (int i = _labels.Count - 1; i >= 0; i--)
            if (_labels[i] == LabelKind.TryDo) targets.Add(_labels.Count - 1 - i);
        targets.Add(_labels.Count); // the function's own block: the exception leaves the function
        int target = targets[Below(targets.Count)];
        Line(indent, "(try");
        _labels.Add(LabelKind.TryDo);
        Line(indent + 1, "(do");
        Statements(indent + 2, 1 + Below(3));
        if (OneIn(2)) Throw(indent + 2, conditional: OneIn(2));
        Line(indent + 1, ")");
        _labels.RemoveAt(_labels.Count - 1);
        Line(indent + 1, $"(delegate {target})");
        Line(indent, ")");
    }

    /// <summary>A try with an i32 result: every clause leaves an i32 (from the payload where there is one).</summary>
    private string TryExpr(int indent)
    {
        var sb = new StringBuilder("(try (result i32) (do ");
        _labels.Add(LabelKind.TryDo);
        if (OneIn(2) && _current + 1 < _functionCount) sb.Append(Call(2));
        else
        {
            _budget--;
            string side = OneIn(2) ? $"(if {Expr(1)} (then {ThrowText()}))" : $"(call $log {Expr(1)})";
            sb.Append($"(block (result i32) {side} {Expr(2)})");
        }
        sb.Append(')');
        _labels[^1] = LabelKind.Catch;
        var tags = new List<int> { 0, 1, 2 };
        int clauses = Below(4);
        for (int c = 0; c < clauses && tags.Count > 0; c++)
        {
            int tag = tags[Below(tags.Count)];
            tags.Remove(tag);
            sb.Append(tag switch
            {
                0 => $" (catch $t0 {Expr(1)} (i32.add))",
                1 => $" (catch $t1 (drop) {Expr(1)} (i32.xor))",
                _ => $" (catch $t2 {Expr(1)})",
            });
        }
        if (clauses == 0 || OneIn(2)) sb.Append($" (catch_all {Expr(1)})");
        _labels.RemoveAt(_labels.Count - 1);
        return sb.Append(')').ToString();
    }

    private int? BranchTarget()
    {
        for (int i = _labels.Count - 1; i >= 0; i--)
            if (_labels[i] == LabelKind.Block) return _labels.Count - 1 - i;
        return null;
    }

    /// <summary>The label index of the innermost try whose catch body we are in, if any.</summary>
    private int? RethrowTarget()
    {
        for (int i = _labels.Count - 1; i >= 0; i--)
            if (_labels[i] == LabelKind.Catch) return _labels.Count - 1 - i;
        return null;
    }

    private string Call(int depth) => $"(call $f{_current + 1 + Below(_functionCount - _current - 1)} {Expr(depth)})";

    private string Expr(int depth)
    {
        int choice = depth <= 0 ? Below(4) : Below(9);
        return choice switch
        {
            0 => $"(i32.const {Constant()})",
            1 => "(local.get $p)",
            2 => "(local.get $x)",
            3 => "(global.get $g)",
            4 => "(i32.wrap_i64 (local.get $y))",
            5 or 6 => $"({Binary()} {Expr(depth - 1)} {Expr(depth - 1)})",
            7 => $"(i32.eqz {Expr(depth - 1)})",
            _ => $"(i32.and {Expr(depth - 1)} (i32.const {1 + Below(3)}))",
        };
    }

    private string Binary() => Below(10) switch
    {
        0 => "i32.add", 1 => "i32.sub", 2 => "i32.mul", 3 => "i32.xor", 4 => "i32.or",
        5 => "i32.shl", 6 => "i32.shr_u", 7 => "i32.eq", 8 => "i32.lt_s", _ => "i32.gt_u",
    };

    private int Constant() => Below(4) switch
    {
        0 => Below(3),
        1 => Below(100),
        2 => -1 - Below(10),
        _ => (int)Next(),
    };
}

/// <summary>Writes <see cref="EhGenerator"/>'s module for a seed and assembles it with wat2wasm.</summary>
internal static class EhModules
{
    public static readonly string[] FeatureFlags = ["--mvp-features", "--enable-exception-handling", "--enable-tail-call", "--enable-mutable-globals", "--enable-multivalue"];

    public static ModuleGenerator.Generated Generate(long seed, string directory, string wat2wasm)
    {
        string wat = Path.Combine(directory, $"seed{seed}.wat");
        string wasm = Path.Combine(directory, $"seed{seed}.wasm");
        File.WriteAllText(wat, EhGenerator.Generate(seed));
        var start = new System.Diagnostics.ProcessStartInfo(wat2wasm)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--enable-exceptions", "--enable-tail-call", wat, "-o", wasm }) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("cannot start " + wat2wasm);
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"wat2wasm failed: {stderr.Result.Trim()} ({wat})");
        File.Delete(wat);
        return new ModuleGenerator.Generated(wasm, FeatureFlags, "generated exception-handling module");
    }
}
