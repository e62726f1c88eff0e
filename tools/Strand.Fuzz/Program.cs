using System.Diagnostics;
using Strand.Fuzz;

// Differential fuzzer: random modules from binaryen's translate-to-fuzz, run in Strand and in Node (V8),
// traces compared. See docs/fuzzing.md.
return FuzzProgram.Run(args);

namespace Strand.Fuzz
{
    internal static class FuzzProgram
    {
        private const string Usage = """
            usage: Strand.Fuzz [--seeds A..B] [--keep DIR] [--timeout MS] [--bytes MIN..MAX]
                               [--no-reftypes] [--no-passes] [--feature NAME]... [--tail-eh] [--verbose]
                               [--eh-gen] [--wasm-opt PATH] [--wat2wasm PATH] [--node PATH]
                   Strand.Fuzz --module FILE.wasm [--timeout MS] [--verbose]
              --seeds A..B    seeds to run (default 0..99, inclusive)
              --keep DIR      write every mismatching module with both traces into DIR
              --timeout MS    per-call timeout in both engines (default 5000)
              --bytes MIN..MAX  size range of the random input given to wasm-opt (default 1000..20000)
              --no-reftypes   never enable reference types (by default every 4th seed does)
              --no-passes     never run binaryen's --fuzz-passes (by default half the seeds do)
              --feature NAME  also enable a WebAssembly 3.0 feature for every seed, in binaryen and (with its V8 flag)
                              in Node: tail-call, exception-handling, memory64, extended-const (repeatable); the
                              summary counts the modules that really use each (binaryen 108 generates return_call*
                              and tags, but no try/throw, 64-bit memory or extended constant; docs/fuzzing.md)
              --tail-eh       the same as --feature tail-call --feature exception-handling
              --eh-gen        instead of binaryen, Strand.Fuzz's own generator of modules using the legacy
                              exception-handling instructions (try/catch/catch_all/throw/rethrow/delegate),
                              assembled by wabt's wat2wasm (--wat2wasm PATH)
              --print-eh SEED print --eh-gen's module for SEED (WAT)
              --module FILE   compare one existing module; exit code 1 on a mismatch
            """;

        public static int Run(string[] args)
        {
            long first = 0, last = 99;
            string? keep = null, single = null;
            string wasmOpt = "wasm-opt", node = "node";
            int timeoutMs = 5000, minBytes = 1000, maxBytes = 20000;
            bool referenceTypes = true, passes = true, verbose = false, ehGen = false;
            string wat2wasm = "wat2wasm";
            var extra = new List<string>();
            try
            {
                for (int i = 0; i < args.Length; i++)
                {
                    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                    switch (args[i])
                    {
                        case "--seeds": (first, last) = Range(Next()); break;
                        case "--keep": keep = Next(); break;
                        case "--timeout": timeoutMs = int.Parse(Next()); break;
                        case "--bytes": (long lo, long hi) = Range(Next()); (minBytes, maxBytes) = ((int)lo, (int)hi); break;
                        case "--no-reftypes": referenceTypes = false; break;
                        case "--no-passes": passes = false; break;
                        case "--tail-eh": extra.AddRange(ModuleGenerator.TailCallsAndExceptions); break;
                        case "--feature":
                            string feature = Next();
                            if (!ModuleGenerator.ExtraFeatures.ContainsKey(feature))
                                throw new ArgumentException($"unknown feature {feature} (one of: {string.Join(", ", ModuleGenerator.ExtraFeatures.Keys)}; binaryen 108 has no multi-memory)");
                            extra.Add(feature);
                            break;
                        case "--verbose": verbose = true; break;
                        case "--wasm-opt": wasmOpt = Next(); break;
                        case "--wat2wasm": wat2wasm = Next(); break;
                        case "--eh-gen": ehGen = true; break;
                        case "--print-eh": Console.Write(EhGenerator.Generate(long.Parse(Next()))); return 0;
                        case "--node": node = Next(); break;
                        case "--module": single = Next(); break;
                        case "-h" or "--help": Console.WriteLine(Usage); return 0;
                        default: throw new ArgumentException("unknown option " + args[i]);
                    }
                }
                if (minBytes < 1 || maxBytes < minBytes || last < first || timeoutMs < 1) throw new ArgumentException("bad range");
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                Console.Error.WriteLine(e.Message);
                Console.Error.WriteLine(Usage);
                return 2;
            }

            string script = FindScript();
            extra = extra.Distinct().ToList();
            using var nodeRunner = new NodeRunner(node, script, extra.SelectMany(f => ModuleGenerator.ExtraFeatures[f]).ToList());
            if (single is not null)
            {
                if (!File.Exists(single))
                {
                    Console.Error.WriteLine("no such module: " + single);
                    return 2;
                }
                var outcome = Differ.Run(single, timeoutMs, nodeRunner);
                if (verbose || outcome.Comparison.Verdict != Verdict.Match) PrintTraces(outcome);
                Console.WriteLine(outcome.Comparison.Describe());
                return outcome.Comparison.Verdict == Verdict.Match ? 0 : 1;
            }

            var generator = new ModuleGenerator(wasmOpt);
            var options = new ModuleGenerator.Options(referenceTypes, passes, minBytes, maxBytes, [.. extra]);
            string work = Path.Combine(Path.GetTempPath(), $"strand-fuzz-{Environment.ProcessId}");
            Directory.CreateDirectory(work);
            if (keep is not null) Directory.CreateDirectory(keep);
            var stats = new Dictionary<string, int>();
            void Count(string key) => stats[key] = stats.GetValueOrDefault(key) + 1;
            int modules = 0, mismatches = 0;
            var clock = Stopwatch.StartNew();
            try
            {
                for (long seed = first; seed <= last; seed++)
                {
                    ModuleGenerator.Generated generated;
                    try
                    {
                        generated = ehGen ? EhModules.Generate(seed, work, wat2wasm) : generator.Generate(seed, work, options);
                    }
                    catch (InvalidOperationException e)
                    {
                        Count("generator failures");
                        if (verbose) Console.WriteLine($"seed {seed}: {e.Message}");
                        continue;
                    }
                    modules++;
                    if (extra.Count > 0)
                        foreach (var used in generator.FeatureUse(generated.Path, generated.FeatureFlags)) Count("using " + used);
                    var outcome = Differ.Run(generated.Path, timeoutMs, nodeRunner);
                    Count(outcome.Kind);
                    var verdict = outcome.Comparison.Verdict;
                    if (verdict == Verdict.Mismatch)
                    {
                        // NaN payloads and signs are nondeterministic in the spec: a difference that goes away
                        // when binaryen's --denan replaces every NaN by 0 is not a bug.
                        string? denan = null;
                        try
                        {
                            denan = generator.Denan(generated.Path, generated.FeatureFlags);
                        }
                        catch (InvalidOperationException e)
                        {
                            Console.WriteLine($"seed {seed}: --denan failed, the mismatch stands: {e.Message.Split('\n')[0]}");
                        }
                        var again = denan is null ? null : Differ.Run(denan, timeoutMs, nodeRunner);
                        if (again?.Comparison.Verdict == Verdict.Match)
                        {
                            Count("NaN-only differences");
                            verdict = Verdict.Match;
                            Console.WriteLine($"seed {seed}: NaN-only difference (gone with --denan): {outcome.Comparison.Describe()}");
                            if (keep is not null) Keep(Path.Combine(keep, "nan"), seed, generated.Path, outcome);
                        }
                        if (denan is not null) File.Delete(denan);
                    }
                    if (verdict == Verdict.TimeoutAsymmetry) Count("timeout asymmetries");
                    if (verdict == Verdict.Mismatch) mismatches++;
                    if (verdict != Verdict.Match)
                    {
                        Console.WriteLine($"seed {seed} ({generated.Description}): {outcome.Comparison.Describe()}");
                        if (verbose) PrintTraces(outcome);
                        if (keep is not null) Keep(keep, seed, generated.Path, outcome);
                    }
                    File.Delete(generated.Path);
                    if (modules % 100 == 0) Console.WriteLine($"... seed {seed}: {modules} modules, {mismatches} mismatches, {clock.Elapsed.TotalSeconds:F0} s");
                }
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
            Console.WriteLine($"{modules} modules, {mismatches} mismatches ({string.Join(", ", stats.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}; {clock.Elapsed.TotalSeconds:F0} s)");
            return mismatches == 0 ? 0 : 1;
        }

        private static (long, long) Range(string text)
        {
            int dots = text.IndexOf("..", StringComparison.Ordinal);
            return dots < 0 ? (long.Parse(text), long.Parse(text)) : (long.Parse(text[..dots]), long.Parse(text[(dots + 2)..]));
        }

        private static void PrintTraces(Differ.Outcome outcome)
        {
            Console.WriteLine("--- strand");
            foreach (var e in outcome.Strand) Console.WriteLine(e);
            Console.WriteLine("--- node");
            foreach (var e in outcome.Node) Console.WriteLine(e);
        }

        private static void Keep(string directory, long seed, string wasm, Differ.Outcome outcome)
        {
            Directory.CreateDirectory(directory);
            File.Copy(wasm, Path.Combine(directory, $"seed{seed}.wasm"), overwrite: true);
            File.WriteAllLines(Path.Combine(directory, $"seed{seed}.strand.txt"), outcome.Strand);
            File.WriteAllLines(Path.Combine(directory, $"seed{seed}.node.txt"), outcome.Node);
            File.WriteAllText(Path.Combine(directory, $"seed{seed}.plan.json"), outcome.Plan.ToJson());
        }

        /// <summary>tools/fuzz/run-node.mjs, found from the current directory or the tool's own location.</summary>
        private static string FindScript()
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    string candidate = Path.Combine(dir.FullName, "tools", "fuzz", "run-node.mjs");
                    if (File.Exists(candidate)) return candidate;
                }
            }
            throw new FileNotFoundException("tools/fuzz/run-node.mjs not found above the current directory");
        }
    }

    /// <summary>Runs one module in both engines and compares.</summary>
    internal static class Differ
    {
        public sealed record Outcome(string Kind, FuzzPlan Plan, List<string> Strand, List<string> Node, Comparison Comparison);

        public static Outcome Run(string wasm, int timeoutMs, NodeRunner node)
        {
            string path = Path.GetFullPath(wasm);
            if (!File.Exists(path)) throw new FileNotFoundException("no such module: " + path);
            var compilation = StrandRunner.Compile(File.ReadAllBytes(path));
            if (compilation.Module is not { } module)
            {
                var plan = FuzzPlan.CompileOnlyPlan(path, timeoutMs);
                List<string> strandTrace = [compilation.Event];
                var nodeTrace = node.Run(plan);
                // A feature Strand does not implement: only V8's verdict is informative.
                if (compilation.Unsupported) return new Outcome("unsupported", plan, strandTrace, nodeTrace, new Comparison(Verdict.Match, -1, null, null));
                return new Outcome("rejected", plan, strandTrace, nodeTrace, TraceComparer.Compare(strandTrace, nodeTrace));
            }
            var fullPlan = FuzzPlan.Create(path, module, timeoutMs);
            var strand = StrandRunner.Run(module, fullPlan);
            var nodeEvents = node.Run(fullPlan);
            return new Outcome("run", fullPlan, strand, nodeEvents, TraceComparer.Compare(strand, nodeEvents));
        }
    }
}
