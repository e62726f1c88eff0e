using System.Diagnostics;
using System.Globalization;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Fuzz;

/// <summary>
/// Differential GC fuzzing against binaryen's own interpreter (docs/fuzzing.md, "GC against binaryen's interpreter"):
/// a seed's random bytes become a module with GC types and instructions (<c>wasm-opt -ttf --enable-gc …</c>); binaryen
/// runs its exports with <c>--fuzz-exec-before</c>, Strand runs them with the same conventions (every export in order,
/// default arguments, the <c>fuzzing-support</c> imports with binaryen's semantics), and both outputs are reduced to
/// the same trace lines: <c>export NAME</c>, <c>log V…</c>, <c>result V…</c>, <c>trap</c>, <c>exception</c>.
/// </summary>
internal static class GcInterpMode
{
    /// <summary>Features of every generated module (all implemented by Strand; no SIMD: binaryen prints v128 in its own text).</summary>
    private static readonly string[] BaseFeatures =
    [
        "--mvp-features", "--enable-gc", "--enable-reference-types", "--enable-bulk-memory", "--enable-multivalue",
        "--enable-sign-ext", "--enable-nontrapping-float-to-int", "--enable-mutable-globals", "--enable-tail-call",
    ];

    /// <summary>The features of this run (<see cref="BaseFeatures"/>, with exception handling when asked for).</summary>
    public static string[] Features = BaseFeatures;

    public static int Run(string wasmOpt, long first, long last, int minBytes, int maxBytes, int timeoutMs, string? keep, string? single, bool verbose, bool exceptions)
    {
        if (exceptions) Features = [.. BaseFeatures, "--enable-exception-handling"];
        string work = Path.Combine(Path.GetTempPath(), $"strand-gcfuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        if (keep is not null) Directory.CreateDirectory(keep);
        var stats = new Dictionary<string, int>();
        void Count(string key) => stats[key] = stats.GetValueOrDefault(key) + 1;
        int modules = 0, mismatches = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            IEnumerable<long> seeds = single is null ? Enumerable.Range(0, (int)(last - first + 1)).Select(i => first + i) : [-1];
            foreach (long seed in seeds)
            {
                string wasm;
                List<string> reference;
                try
                {
                    // One wasm-opt run both generates the module and interprets it (binaryen.js starts slowly).
                    if (single is not null) (wasm, reference) = (Path.GetFullPath(single), RunBinaryen(wasmOpt, [Path.GetFullPath(single)]));
                    else (wasm, reference) = Generate(wasmOpt, seed, work, minBytes, maxBytes);
                }
                catch (InvalidOperationException e)
                {
                    Count("generator failures");
                    Console.WriteLine($"seed {seed}: generator failed: {Gist(e.Message)}");
                    continue;
                }
                modules++;
                var strand = RunStrand(File.ReadAllBytes(wasm), timeoutMs);
                int at = Compare(strand, reference, out string kind);
                if (at >= 0 && kind == "mismatch")
                {
                    // NaN payloads and signs are nondeterministic in the spec (e.g. f64.max keeps an input NaN's payload in
                    // Strand, binaryen returns the canonical NaN; a store makes it visible): a difference that goes away
                    // when binaryen's --denan replaces every NaN by 0 is not a bug.
                    string denan = Path.Combine(work, $"seed{seed}.denan.wasm");
                    try
                    {
                        Exec(wasmOpt, [wasm, "--denan", "-o", denan, .. Features], out _);
                        if (Compare(RunStrand(File.ReadAllBytes(denan), timeoutMs), RunBinaryen(wasmOpt, [denan]), out _) < 0)
                        {
                            kind = "NaN-only differences";
                            Console.WriteLine($"seed {seed}: NaN-only difference (gone with --denan)");
                            at = -1;
                        }
                    }
                    catch (InvalidOperationException e)
                    {
                        Console.WriteLine($"seed {seed}: --denan failed: {Gist(e.Message)}");
                    }
                    File.Delete(denan);
                }
                Count(kind);
                if (at >= 0)
                {
                    mismatches++;
                    int offset = strand.Count > 0 && strand[0] == "compile ok" ? 1 : 0;
                    Console.WriteLine($"seed {seed}: mismatch at line {at}: strand `{Line(strand, at)}`, binaryen `{Line(reference, at - offset)}`");
                    if (keep is not null && single is null)
                    {
                        File.Copy(wasm, Path.Combine(keep, $"seed{seed}.wasm"), overwrite: true);
                        File.WriteAllLines(Path.Combine(keep, $"seed{seed}.strand.txt"), strand);
                        File.WriteAllLines(Path.Combine(keep, $"seed{seed}.binaryen.txt"), reference);
                    }
                }
                if (verbose || (single is not null && at >= 0))
                {
                    Console.WriteLine("--- strand");
                    strand.ForEach(Console.WriteLine);
                    Console.WriteLine("--- binaryen");
                    reference.ForEach(Console.WriteLine);
                }
                if (single is null) File.Delete(wasm);
                if (modules % 50 == 0) Console.WriteLine($"... seed {seed}: {modules} modules, {mismatches} mismatches, {clock.Elapsed.TotalSeconds:F0} s");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        Console.WriteLine($"{modules} modules, {mismatches} mismatches ({string.Join(", ", stats.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}; {clock.Elapsed.TotalSeconds:F0} s)");
        return mismatches == 0 ? 0 : 1;
    }

    /// <summary>The informative line of a failure (binaryen.js prints its whole minified source before a JS error).</summary>
    private static string Gist(string message)
    {
        var lines = message.Split('\n').Select(l => l.Trim()).Where(l => l.Length is > 0 and < 300).ToList();
        return lines.FirstOrDefault(l => l.Contains("Error", StringComparison.Ordinal) || l.Contains("Fatal", StringComparison.Ordinal)) ?? (lines.Count > 0 ? lines[0] : "");
    }

    private static string Line(List<string> lines, int at) => at >= 0 && at < lines.Count ? lines[at] : "(end)";

    /// <summary>
    /// The index of the first differing line, or -1. Traps compare by the word "trap" only (the engines word them
    /// differently); a Strand timeout or stack exhaustion against the same kind of end in binaryen ends the comparison.
    /// </summary>
    internal static int Compare(List<string> strand, List<string> reference, out string kind)
    {
        kind = "match";
        if (strand.Count > 0 && strand[0].StartsWith("compile ", StringComparison.Ordinal) && strand[0] != "compile ok")
        {
            kind = "strand rejected";
            return 0;
        }
        int offset = strand.Count > 0 && strand[0] == "compile ok" ? 1 : 0;
        for (int i = 0; ; i++)
        {
            string? s = i + offset < strand.Count ? strand[i + offset] : null;
            string? r = i < reference.Count ? reference[i] : null;
            if (s is null && r is null) return -1;
            if (s == "timeout")
            {
                kind = "strand timeouts";
                return -1;
            }
            if (s == "trap stack-exhausted" && r is not null && r.StartsWith("trap", StringComparison.Ordinal) && r.Contains("stack limit"))
            {
                kind = "both stack-exhausted";
                return -1; // depths differ: what follows may differ too
            }
            if (r is not null && r.StartsWith("ignored", StringComparison.Ordinal))
            {
                kind = "binaryen host limit";
                return -1;
            }
            if (s is not null && r is not null && (s == r || (s.StartsWith("trap", StringComparison.Ordinal) && r.StartsWith("trap", StringComparison.Ordinal))))
                continue;
            kind = "mismatch";
            return i + offset;
        }
    }

    private static (string Wasm, List<string> Reference) Generate(string wasmOpt, long seed, string directory, int minBytes, int maxBytes)
    {
        var rng = new Random((int)(seed ^ (seed >> 32)) * 7919 + 17);
        var bytes = new byte[minBytes + rng.Next(maxBytes - minBytes + 1)];
        rng.NextBytes(bytes);
        string input = Path.Combine(directory, $"seed{seed}.bin");
        string output = Path.Combine(directory, $"seed{seed}.wasm");
        File.WriteAllBytes(input, bytes);
        var reference = RunBinaryen(wasmOpt, ["-ttf", input, "-o", output]);
        File.Delete(input);
        return (output, reference);
    }

    private static string Exec(string program, IEnumerable<string> args, out string stderr)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + program);
        var err = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException(program + " timed out");
        }
        stderr = err.Result;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {stderr.Trim()}");
        return output.Result;
    }

    /// <summary>binaryen's <c>--fuzz-exec-before</c> output as trace lines.</summary>
    internal static List<string> RunBinaryen(string wasmOpt, string[] input)
    {
        string text = Exec(wasmOpt, [.. input, "--fuzz-exec-before", .. Features], out string stderr);
        if (stderr.Contains("ignoring an unknown import", StringComparison.Ordinal)) throw new InvalidOperationException("unknown import: " + stderr.Trim());
        return ParseBinaryen(text);
    }

    internal static List<string> ParseBinaryen(string text)
    {
        var lines = new List<string>();
        bool inResult = false;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (!line.StartsWith('['))
            {
                // The second and later values of a multi-value result, one a line.
                if (inResult) lines[^1] += " " + Canonical(line);
                continue;
            }
            inResult = false;
            const string export = "[fuzz-exec] export ", note = "[fuzz-exec] note result: ", log = "[LoggingExternalInterface logging";
            if (line.StartsWith(export, StringComparison.Ordinal)) lines.Add("export " + line[export.Length..]);
            else if (line.StartsWith(note, StringComparison.Ordinal))
            {
                int arrow = line.IndexOf(" => ", StringComparison.Ordinal);
                lines.Add("result " + Canonical(line[(arrow + 4)..]));
                inResult = true;
            }
            else if (line.StartsWith(log, StringComparison.Ordinal))
                lines.Add(("log " + string.Join(" ", line[log.Length..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Canonical))).TrimEnd());
            else if (line.StartsWith("[trap", StringComparison.Ordinal)) lines.Add("trap (" + line[1..^1] + ")");
            else if (line.StartsWith("[exception thrown", StringComparison.Ordinal)) lines.Add("exception");
            else if (line.StartsWith("[host limit", StringComparison.Ordinal)) lines.Add("ignored " + line);
            else lines.Add("other " + line);
        }
        return lines;
    }

    /// <summary>A value token in one text for both engines: integers in decimal, floats by value (shortest round trip), NaN as "nan".</summary>
    private static string Canonical(string token)
    {
        if (token.StartsWith("nan", StringComparison.Ordinal) || token.StartsWith("-nan", StringComparison.Ordinal)) return "nan";
        if (token == "-0") return "-0";
        if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return FormatInteger(l);
        if (token is "inf" or "-inf") return token;
        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return FormatDouble(d);
        return token;
    }

    private static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0" : "0";
        if (Math.Floor(d) == d && Math.Abs(d) <= ExactInDouble) return ((long)d).ToString(CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// binaryen's text has no types: an integral float prints like an integer. Integers beyond 2^53 therefore compare as
    /// the nearest double (both sides), which keeps 53 of their 64 bits.
    /// </summary>
    private const double ExactInDouble = 9007199254740992;

    private static string FormatInteger(long l) =>
        Math.Abs((double)l) <= ExactInDouble ? l.ToString(CultureInfo.InvariantCulture) : FormatDouble(l);

    /// <summary>A value as binaryen's fuzz-exec prints it (execution-results.h, printValue), canonicalised.</summary>
    internal static string Print(Value value) => value.Type switch
    {
        ValType.I32 => value.AsI32.ToString(CultureInfo.InvariantCulture),
        ValType.I64 => FormatInteger(value.AsI64),
        ValType.F32 => FormatDouble(value.AsF32),
        ValType.F64 => FormatDouble(value.AsF64),
        _ => PrintReference(value.Reference),
    };

    private static string PrintReference(object? reference) => reference switch
    {
        null => "null",
        I31Ref i31 => $"i31ref({Canonical(i31.ToString()[4..])})",
        HostExtern e => $"externref({e.Payload})",
        JsErrorPayload => "jserror",
        FunctionReference => "function",
        GcStruct or GcArray or WasmException => "object(null)", // binaryen prints an exnref as an object too
        _ => "unknown(" + reference.GetType().Name + ")",
    };

    /// <summary>An extern value made by the host (binaryen's synthesized <c>externref</c> globals).</summary>
    private sealed class HostExtern(int payload)
    {
        public int Payload { get; } = payload;
    }

    /// <summary>The externref payload of a JS exception (binaryen's <c>jsErrorPayload</c>).</summary>
    private sealed class JsErrorPayload;

    /// <summary>
    /// binaryen's two imported tags: <c>fuzzing-support.wasmtag</c> (i32), thrown by the <c>throw</c> import, and
    /// <c>fuzzing-support.jstag</c> (externref), the tag of a JS exception (<c>throwJSException</c>), which wasm can catch.
    /// </summary>
    private static readonly Tag WasmTag = new(ValType.I32), JsTag = new(ValType.ExternRef);

    private static WasmException JsError() => new(JsTag, Value.ExternRef(new JsErrorPayload()));

    private static bool IsJsError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is WasmException) return true;
        return false;
    }

    /// <summary>Runs the module in Strand on a big-stack thread, as binaryen's fuzz-exec does.</summary>
    internal static List<string> RunStrand(byte[] wasm, int timeoutMs)
    {
        var lines = new List<string>();
        var compilation = StrandRunner.Compile(wasm);
        if (compilation.Module is not { } module) return [compilation.Event];
        lines.Add("compile ok");
        Instance? instance = null;
        void Add(string line)
        {
            lock (lines) lines.Add(line);
        }
        var thread = new Thread(() => Session(module, Add, i => instance = i, timeoutMs), 16 << 20) { IsBackground = true };
        thread.Start();
        if (!thread.Join(timeoutMs * 4 + 20_000))
        {
            instance?.RequestInterrupt();
            Add("hang");
        }
        lock (lines) return [.. lines];
    }

    private static void Session(Module module, Action<string> add, Action<Instance> publish, int timeoutMs)
    {
        Instance? instance = null;
        var linker = new Linker();
        foreach (var import in module.Imports)
        {
            if (import.Kind == ExternalKind.Global && import.GlobalType is { } gt && !gt.Mutable && gt.Type.Kind() == ValType.ExternRef)
            {
                int payload = 0;
                foreach (char c in import.Module + import.Name) payload = (payload + c) % 251;
                linker.Define(import.Module, import.Name, new Global(gt, Value.ExternRef(new HostExtern(payload))));
                continue;
            }
            if (import.Kind == ExternalKind.Tag && import.Module == "fuzzing-support" && import.Name is "wasmtag" or "jstag")
            {
                linker.Define(import.Module, import.Name, import.Name == "wasmtag" ? WasmTag : JsTag);
                continue;
            }
            if (import.Kind != ExternalKind.Function || import.Module != "fuzzing-support") continue;
            var type = import.FunctionType!;
            string name = import.Name;
            // During instantiation (a start function) there is no instance yet: imports that need one throw, as JS would.
            linker.DefineFunction(import.Module, import.Name, type, args => Import(name, type, args, instance, module, add));
        }
        try
        {
            instance = linker.Instantiate(module);
        }
        catch (TrapException trap)
        {
            add("trap " + TraceText.TrapCategory(trap)); // a start function's or a segment's trap
            return;
        }
        catch (Exception e) when (IsJsError(e) || e is WasmException)
        {
            add("exception"); // thrown by a start function
            return;
        }
        catch (WasmException)
        {
            add("exception"); // a start function's uncaught exception
            return;
        }
        catch (Exception e)
        {
            add($"instantiate {e.GetType().Name}: {e.Message}");
            return;
        }
        publish(instance);
        using var timer = new Timer(_ => instance.RequestInterrupt());
        foreach (var export in module.Exports)
        {
            if (export.Kind == ExternalKind.Global)
            {
                add("export " + export.Name);
                add("log " + Print(instance.GetGlobal(export.Name)!.Value));
                continue;
            }
            if (export.Kind != ExternalKind.Function) continue;
            add("export " + export.Name);
            var type = export.FunctionType!;
            if (type.Params.Any(p => !p.IsDefaultable()))
            {
                add("trap (fuzzer can only send defaultable parameters to exports)");
                continue;
            }
            timer.Change(timeoutMs, Timeout.Infinite);
            try
            {
                var results = instance.Invoke(export.Name, [.. type.Params.Select(Value.Default)]);
                if (results.Length > 0) add("result " + string.Join(" ", results.Select(Print)));
            }
            catch (TrapException trap) when (trap.Code == TrapCode.Interrupted)
            {
                add("timeout");
                return;
            }
            catch (Exception e) when (IsJsError(e) || e is WasmException)
            {
                add("exception");
            }
            catch (TrapException trap)
            {
                add("trap " + TraceText.TrapCategory(trap));
            }
            catch (Exception e)
            {
                add($"crash {e.GetType().Name}: {e.Message}");
            }
            finally
            {
                timer.Change(Timeout.Infinite, Timeout.Infinite);
                instance.ClearInterrupt();
            }
        }
    }

    /// <summary>binaryen's <c>fuzzing-support</c> imports (execution-results.h, LoggingExternalInterface).</summary>
    private static Value[] Import(string name, FuncType type, Value[] args, Instance? instance, Module module, Action<string> add)
    {
        Value[] None() => type.Results.Select(Value.Default).ToArray();
        if (name.StartsWith("log", StringComparison.Ordinal))
        {
            var parts = new List<string>();
            foreach (var a in args)
            {
                if (a.Type == ValType.I64)
                {
                    parts.Add(((int)a.AsI64).ToString(CultureInfo.InvariantCulture));
                    parts.Add(((int)(a.AsI64 >> 32)).ToString(CultureInfo.InvariantCulture));
                }
                else parts.Add(Print(a));
            }
            add(("log " + string.Join(" ", parts)).TrimEnd());
            return None();
        }
        switch (name)
        {
            case "sleep":
                return [args[1]]; // binaryen does not sleep: it returns the id
            case "throw":
                throw args[0].AsI32 == 0 ? JsError() : new WasmException(WasmTag, args[0]);
            case "table-get" or "table-set":
            {
                var table = instance?.GetTable("table") ?? throw JsError();
                uint index = (uint)args[0].AsI32;
                if (index >= table.Size) throw JsError();
                if (name == "table-get") return [table.Get(index)];
                table.Set(index, args[1]);
                return [];
            }
            case "call-export" or "call-export-catch":
            {
                try
                {
                    int index = args[0].AsI32;
                    if (instance is null || (uint)index >= module.Exports.Count || module.Exports[index].Kind != ExternalKind.Function) throw JsError();
                    CallAsJs(instance.GetFunction(module.Exports[index].Name));
                }
                catch (Exception e) when (name == "call-export-catch" && (IsJsError(e) || e is WasmException))
                {
                    return [Value.I32(1)];
                }
                return name == "call-export-catch" ? [Value.I32(0)] : [];
            }
            case "call-ref" or "call-ref-catch":
            {
                try
                {
                    if (args[0].Reference is not FunctionReference f) throw JsError();
                    CallAsJs(f);
                }
                catch (Exception e) when (name == "call-ref-catch" && (IsJsError(e) || e is WasmException))
                {
                    return [Value.I32(1)];
                }
                return name == "call-ref-catch" ? [Value.I32(0)] : [];
            }
            default:
                throw new InvalidOperationException("unknown fuzzer import " + name);
        }
    }

    /// <summary>binaryen's callFunctionAsJS: default arguments; an i64, v128, exn or non-defaultable parameter, or a v128/exn result, throws.</summary>
    private static void CallAsJs(FunctionReference function)
    {
        static bool Illegal(ValType t) => t == ValType.V128 || (t.IsReference() && t.Kind() == ValType.ExnRef);
        foreach (var p in function.Type.Params)
            if (p == ValType.I64 || Illegal(p) || !p.IsDefaultable()) throw JsError();
        foreach (var r in function.Type.Results)
            if (Illegal(r)) throw JsError();
        function.Invoke([.. function.Type.Params.Select(Value.Default)]);
    }
}
