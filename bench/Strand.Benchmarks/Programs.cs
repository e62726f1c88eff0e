using System.Diagnostics;
using System.Globalization;

namespace Strand.Benchmarks;

/// <summary>
/// <c>programs [--work DIR] [--rounds N] [--only NAME] [--strand PATH]</c>: real programs run whole-process under <c>strand run</c> and
/// under Node (node:wasi, bench/node/wasi-run.mjs), alternating, with the ratio. Programs are fetched and built at
/// benchmark time into DIR (default: $STRAND_BENCH_DIR, else /tmp/strand-bench; never inside the repository):
/// yosys (npm @yowasp/yosys), CRuby's npm build (npm @ruby/3.4-wasm-wasi: a reactor for its JS wrapper, so only the
/// time to report its link error is measured), a SQLite shell built with clang-14 from the amalgamation in npm's sqlite3 package, and generated
/// many-function modules. "first" is a run with nothing cached (<c>--no-cache</c>); "cached" runs use the cache that a
/// first <c>strand run</c> filled in the background, as a user's second run would (with a ReadyToRun image when crossgen2
/// is on the machine); "IL cache" runs load the artifact <c>strand compile</c> stored (no ReadyToRun image). Prints a
/// table; never fails on time.
/// </summary>
public static class Programs
{
    private sealed record Program(string Name, string Description, string Wasm, string[] StrandArgs, string[] NodeArgs, string WorkingDirectory)
    {
        /// <summary>The node script to run (default: bench/node/wasi-run.mjs).</summary>
        public string? NodeScript { get; init; }

        /// <summary>Files the program writes (relative to its directory): deleted before each run, their contents compared like its stdout.</summary>
        public string[] OutputFiles { get; init; } = [];
    }

    public static int Run(string[] args, string root)
    {
        string work = Environment.GetEnvironmentVariable("STRAND_BENCH_DIR") is { Length: > 0 } w ? w : Path.Combine(Path.GetTempPath(), "strand-bench");
        int rounds = 3;
        string? only = null;
        string? strandPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--work": work = args[++i]; break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--only": only = args[++i]; break;
                // Another strand executable, e.g. the installed tool (its ReadyToRun-compiled engine) instead of the build's.
                case "--strand": strandPath = args[++i]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        if (Path.GetFullPath(work).StartsWith(root, StringComparison.Ordinal))
        {
            Console.Error.WriteLine("the work directory must be outside the repository");
            return 2;
        }
        Directory.CreateDirectory(work);
        string strand = strandPath ?? Path.Combine(root, "src", "Strand.Cli", "bin", "Release", "net10.0", OperatingSystem.IsWindows() ? "Strand.Cli.exe" : "Strand.Cli");
        if (!File.Exists(strand))
        {
            Console.Error.WriteLine($"build the CLI first: dotnet build -c Release ({strand} is missing)");
            return 2;
        }
        string wasiRun = Path.Combine(root, "bench", "node", "wasi-run.mjs");

        var programs = new List<Program>();
        void Add(string name, Func<Program?> prepare)
        {
            if (only is not null && !name.StartsWith(only, StringComparison.Ordinal)) return;
            try
            {
                if (prepare() is { } p) programs.Add(p);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"{name}: cannot prepare ({e.Message}); skipped");
            }
        }
        Add("yosys -V", () => Yosys(work, wasiRun, synthesis: false));
        Add("yosys synth", () => Yosys(work, wasiRun, synthesis: true));
        Add("ruby", () => RubyLinkError(work));
        Add("sqlite", () => Sqlite(work, wasiRun));
        foreach (int n in new[] { 10_000, 40_000 }) Add($"many {n}", () => Many(work, n));

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}; {rounds} rounds, alternating; whole-process medians");
        Console.WriteLine("first: strand run --no-cache; cached: strand run from the cache its own first run filled in the background (R2R: with a");
        Console.WriteLine("ReadyToRun image, which the fill adds when crossgen2 is on the machine; IL: without); IL cache: from `strand compile`'s artifact");
        Console.WriteLine($"{"",-14} {"wall seconds",-56} | {"CPU seconds (user+sys)",-56} | {"strand",-16}");
        Console.WriteLine($"{"program",-14} {"node",6} {"first",7} {"ratio",6} {"cached",7} {"ratio",6} {"IL cache",8} {"ratio",6} | {"node",6} {"first",7} {"ratio",6} {"cached",7} {"ratio",6} {"IL cache",8} {"ratio",6} | {"cache",5} {"fill",5} {"compile",7}");
        foreach (var p in programs)
        {
            // The cache `strand run` fills itself: empty, one run (untimed), then its background fill waited for.
            string runCache = Path.Combine(work, "cache-run");
            if (Directory.Exists(runCache)) Directory.Delete(runCache, recursive: true);
            var fillStart = Stopwatch.GetTimestamp();
            Time(strand, ["run", "--cache-dir", runCache, .. p.StrandArgs], p.WorkingDirectory, out _);
            string kind = WaitForFill(runCache);
            double fill = Stopwatch.GetElapsedTime(fillStart).TotalSeconds;
            if (kind == "none")
            {
                // Not worth caching for `strand run` (small) or it failed before (a link error): an explicit `strand compile`.
                Time(strand, ["compile", p.Wasm, "--cache-dir", runCache, "--quiet"], p.WorkingDirectory, out _);
                kind = "IL*";
            }
            // `strand compile`'s artifact, without a ReadyToRun image (timed: the compile column).
            string ilCache = Path.Combine(work, "cache");
            var compile = Time(strand, ["compile", p.Wasm, "--cache-dir", ilCache, "--quiet"], p.WorkingDirectory, out _);
            var node = new List<Timing>();
            var first = new List<Timing>();
            var cached = new List<Timing>();
            var il = new List<Timing>();
            for (int r = 0; r < rounds; r++)
            {
                node.Add(Run(p, "node", [p.NodeScript ?? wasiRun, .. p.NodeArgs], out string nodeOut));
                first.Add(Run(p, strand, ["run", "--no-cache", .. p.StrandArgs], out string firstOut));
                cached.Add(Run(p, strand, ["run", "--cache-dir", runCache, .. p.StrandArgs], out string cachedOut));
                il.Add(Run(p, strand, ["run", "--cache-dir", ilCache, .. p.StrandArgs], out string ilOut));
                if (r == 0 && new[] { firstOut, cachedOut, ilOut }.Any(o => Normalize(o) != Normalize(nodeOut)))
                    Console.Error.WriteLine($"{p.Name}: outputs differ from node's:\n--- node\n{Head(nodeOut)}\n--- strand\n{Head(firstOut)}");
            }
            double n = Median(node.Select(t => t.Wall)), f = Median(first.Select(t => t.Wall)), c = Median(cached.Select(t => t.Wall)), i = Median(il.Select(t => t.Wall));
            double nc = Median(node.Select(t => t.Cpu)), fc = Median(first.Select(t => t.Cpu)), cc = Median(cached.Select(t => t.Cpu)), ic = Median(il.Select(t => t.Cpu));
            Console.WriteLine($"{p.Name,-14} {n,6:F3} {f,7:F3} {f / n,5:F1}x {c,7:F3} {c / n,5:F1}x {i,8:F3} {i / n,5:F1}x | {nc,6:F2} {fc,7:F2} {fc / nc,5:F1}x {cc,7:F2} {cc / nc,5:F1}x {ic,8:F2} {ic / nc,5:F1}x | {kind,5} {fill,5:F0} {compile.Wall,7:F1}   {p.Description}");
        }
        Console.WriteLine("cache: R2R or IL, what strand run's own fill left (IL*: strand run caches only modules of 2,000+ functions or 1 MiB+ of code, or");
        Console.WriteLine("the run failed first, so `strand compile` filled it); fill: seconds from that first run to the end of its background fill");
        Console.WriteLine($"targets: first run within 3x node, cached run within 1.5x node (wall); CPU time is shown because a shared machine inflates wall time (load average now {LoadAverage()})");
        return 0;
    }

    /// <summary>
    /// Waits for the background fill a `strand run` started in <paramref name="cacheDir"/> (it holds a lock file while it
    /// works) and says what it left: "R2R" (an artifact with a ReadyToRun image), "IL" (an artifact alone) or "none" (no fill
    /// started within 10 s). Gives up after 30 minutes.
    /// </summary>
    private static string WaitForFill(string cacheDir)
    {
        var started = Stopwatch.GetTimestamp();
        bool Any(string pattern) => Directory.Exists(cacheDir) && Directory.EnumerateFiles(cacheDir, pattern).Any();
        while (true)
        {
            bool locked = Any("*.lock"), artifact = Any("*.strandc");
            var waited = Stopwatch.GetElapsedTime(started);
            if (artifact && !locked) return Any("*.r2r.check") ? "R2R" : "IL";
            if (!locked && !artifact && waited > TimeSpan.FromSeconds(10)) return "none";
            if (waited > TimeSpan.FromMinutes(30))
            {
                Console.Error.WriteLine($"the background fill of {cacheDir} did not finish in 30 minutes");
                return artifact ? "IL" : "none";
            }
            Thread.Sleep(200);
        }
    }

    /// <summary>Times one run of <paramref name="p"/>; <paramref name="output"/> is its stdout followed by the files it wrote.</summary>
    private static Timing Run(Program p, string file, string[] args, out string output)
    {
        foreach (var f in p.OutputFiles) File.Delete(Path.Combine(p.WorkingDirectory, f));
        var timing = Time(file, args, p.WorkingDirectory, out output);
        foreach (var f in p.OutputFiles)
        {
            string path = Path.Combine(p.WorkingDirectory, f);
            output += $"\n--- {f}\n" + (File.Exists(path) ? File.ReadAllText(path) : "(missing)");
        }
        return timing;
    }

    private static string Normalize(string output) => output.Replace("\r", "").Trim();
    private static string Head(string s) => s.Length > 400 ? s[..400] + "..." : s;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "unknown"; }
    }

    /// <summary>A whole-process measurement: wall seconds and CPU seconds (user + system, all threads).</summary>
    private readonly record struct Timing(double Wall, double Cpu);

    /// <summary>Runs a process to completion under /usr/bin/time; returns its wall and CPU time and its stdout.</summary>
    private static Timing Time(string file, string[] args, string workingDirectory, out string stdout)
    {
        var psi = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var a in (string[])["-f", "STRAND-BENCH-TIME %e %U %S", file, .. args]) psi.ArgumentList.Add(a);
        // Wall time from a stopwatch around the process (/usr/bin/time's %e has a 10 ms resolution, a fifth of Node's
        // shortest runs here); CPU time, user + system of all the process's threads, from /usr/bin/time.
        long started = Stopwatch.GetTimestamp();
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        double wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        stdout = output.Result;
        var line = error.Result.Split('\n').LastOrDefault(l => l.StartsWith("STRAND-BENCH-TIME ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no timing from /usr/bin/time for {file}");
        var parts = line.Split(' ');
        double Parse(string x) => double.Parse(x, CultureInfo.InvariantCulture);
        return new Timing(wall, Parse(parts[2]) + Parse(parts[3]));
    }

    private static void Exec(string file, string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {Head(error + output.Result)}");
    }

    /// <summary>Fetches an npm package's tarball (npm pack) and unpacks it into DIR/name/package.</summary>
    private static string NpmPackage(string work, string package, string name)
    {
        string dir = Path.Combine(work, name);
        if (Directory.Exists(Path.Combine(dir, "package"))) return Path.Combine(dir, "package");
        Directory.CreateDirectory(dir);
        Exec("npm", dir, "pack", package, "--silent");
        var tarball = Directory.GetFiles(dir, "*.tgz").Single();
        Exec("tar", dir, "xzf", tarball);
        return Path.Combine(dir, "package");
    }

    private static Program Yosys(string work, string wasiRun, bool synthesis)
    {
        string package = NpmPackage(work, "@yowasp/yosys", "yosys");
        string wasm = Path.Combine(package, "gen", "yosys.core.wasm");
        if (!synthesis) return new Program("yosys -V", "@yowasp/yosys, 34,004 functions", wasm, [wasm, "--", "-V"], [wasm, "--", "-V"], work);
        string design = Path.Combine(work, "yosys-design");
        Directory.CreateDirectory(design);
        File.WriteAllText(Path.Combine(design, "counter.v"), """
            module counter(input clk, input rst, input en, output reg [15:0] q, output carry);
              always @(posedge clk) if (rst) q <= 0; else if (en) q <= q + 1;
              assign carry = &q;
            endmodule
            """);
        // yowasp keeps yosys's share directory (techmap.v, ...) in resources-yosys.js: unpack it once with node.
        string share = Path.Combine(work, "yosys-share");
        if (!File.Exists(Path.Combine(share, "techmap.v")))
        {
            string script = Path.Combine(work, "unpack-share.mjs");
            File.WriteAllText(script, $$"""
                import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
                import { pathToFileURL } from 'node:url';
                const { filesystem } = await import(pathToFileURL(process.argv[2]).href);
                function walk(node, dir) {
                  mkdirSync(dir, { recursive: true });
                  for (const [name, value] of Object.entries(node)) {
                    const path = dir + '/' + name;
                    if (typeof value === 'string') writeFileSync(path, value);
                    else if (value instanceof URL) copyFileSync(value, path);
                    else if (value instanceof Uint8Array) writeFileSync(path, value);
                    else walk(value, path);
                  }
                }
                walk(filesystem.share, process.argv[3]);
                """);
            Exec("node", work, script, Path.Combine(package, "gen", "resources-yosys.js"), share);
        }
        Directory.CreateDirectory(Path.Combine(design, "tmp"));
        string[] args = ["--dir", ".", "--dir", "tmp::/tmp", "--dir", share + "::/share", "--", "-q", "-p", "read_verilog counter.v; synth -top counter; tee -o stat.txt stat; write_verilog -noattr out.v"];
        return new Program("yosys synth", "read_verilog; synth (with abc); stat; write_verilog of a 16-bit counter", wasm, [wasm, .. args], [wasm, .. args], design)
        {
            OutputFiles = ["stat.txt", "out.v"],
        };
    }

    /// <summary>
    /// CRuby from npm (ruby+stdlib.wasm) is a reactor for its JS wrapper: no <c>_start</c>, and imports from
    /// <c>rb-js-abi-host</c> that no WASI host defines. Run as a command it is the "link error" case: how fast a runtime
    /// reports the first missing import.
    /// </summary>
    private static Program RubyLinkError(string work)
    {
        string package = NpmPackage(work, "@ruby/3.4-wasm-wasi", "ruby");
        string wasm = Path.Combine(package, "dist", "ruby+stdlib.wasm");
        string[] args = [wasm, "--", "-e", "puts 1+2"];
        return new Program("ruby link err", "@ruby/3.4-wasm-wasi ruby+stdlib.wasm: time to report its missing import", wasm, args, args, work);
    }

    private static Program Sqlite(string work, string wasiRun)
    {
        string package = NpmPackage(work, "sqlite3", "sqlite3");
        string dir = Path.Combine(work, "sqlite-build");
        string wasm = Path.Combine(work, "sqlite3.wasm");
        if (!File.Exists(wasm))
        {
            Directory.CreateDirectory(dir);
            var tarball = Directory.GetFiles(Path.Combine(package, "deps"), "sqlite-autoconf-*.tar.gz").Single();
            Exec("tar", dir, "xzf", tarball, "--strip-components=1");
            File.WriteAllText(Path.Combine(dir, "wasi-shim.h"), "#include <stddef.h>\n#define chmod(a,b) (-1)\n#define realpath(a,b) ((char*)0)\n");
            string[] flags = ["--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-include", "wasi-shim.h", "-DSQLITE_THREADSAFE=0", "-DSQLITE_OMIT_LOAD_EXTENSION",
                "-DSQLITE_OMIT_POPEN", "-D_WASI_EMULATED_SIGNAL", "-D_WASI_EMULATED_PROCESS_CLOCKS", "-D_WASI_EMULATED_GETPID", "-DSQLITE_OMIT_WAL", "-DSQLITE_NOHAVE_SYSTEM"];
            Exec("clang-14", dir, [.. flags, "-c", "sqlite3.c", "-o", "sqlite3.o"]);
            Exec("clang-14", dir, [.. flags, "-c", "shell.c", "-o", "shell.o"]);
            // clang-14's wasm builtins (Debian: /usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/). Looked up by that layout, not by
            // a recursive walk of /usr/lib, which follows directory symlinks and once ran for minutes and gigabytes here.
            const string clangLib = "/usr/lib/llvm-14/lib/clang";
            var builtins = (Directory.Exists(clangLib) ? Directory.GetDirectories(clangLib) : [])
                .Select(version => Path.Combine(version, "lib", "wasi", "libclang_rt.builtins-wasm32.a")).FirstOrDefault(File.Exists);
            Exec("wasm-ld-14", dir, ["-o", wasm, "/usr/lib/wasm32-wasi/crt1-command.o", "shell.o", "sqlite3.o", "-L/usr/lib/wasm32-wasi", "-lc",
                "-lwasi-emulated-signal", "-lwasi-emulated-process-clocks", "-lwasi-emulated-getpid", .. (builtins is null ? Array.Empty<string>() : [builtins]), "-z", "stack-size=1048576"]);
        }
        File.WriteAllText(Path.Combine(work, "rows.sql"), """
            CREATE TABLE t(a INTEGER PRIMARY KEY, b INTEGER, c TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 200000)
            INSERT INTO t SELECT i, (i * 7919) % 1000, 'row ' || i FROM n;
            CREATE INDEX tb ON t(b);
            SELECT count(*), sum(b), max(length(c)) FROM t;
            SELECT b, count(*) FROM t WHERE b < 3 GROUP BY b;
            SELECT sum(a) FROM t WHERE c LIKE '%99%';
            """);
        string[] args = [wasm, "--dir", ".", "--", "-list", ":memory:", ".read rows.sql"];
        return new Program("sqlite", "shell from the npm sqlite3 amalgamation, 200k-row script", wasm, args, args, work);
    }

    private static Program Many(string work, int count)
    {
        string wasm = Path.Combine(work, $"many{count}.wasm");
        File.WriteAllBytes(wasm, ManyFunctions.Generate(count));
        // Node: instantiate and call _start once (bench/node has no "invoke once" script; inline).
        string script = Path.Combine(work, "invoke-start.mjs");
        File.WriteAllText(script, "import { readFileSync } from 'node:fs';\nconst { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]));\ninstance.exports._start();\n");
        return new Program($"many {count}", $"generated, {count:N0} functions, _start calls 64", wasm, [wasm, "--invoke", "_start"], [wasm], work)
            { NodeScript = script };
    }

}
