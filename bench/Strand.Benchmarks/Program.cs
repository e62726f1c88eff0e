using System.Diagnostics;
using Strand;
using Strand.Binary;
using Strand.Runtime;

// Side-by-side benchmark: Strand vs Node.js (V8) on the same .wasm, in one run.
//
//   dotnet run -c Release --project bench/Strand.Benchmarks [-- --calls N --warmup N --rounds N --no-node --simd]
//
// Prints per-call times of the seed's algorithm (fixtures/seed/algorithm.wasm, expected
// 5172326400000) for Strand and for node (bench/node/bench.mjs), their ratio, and the cost
// of instantiating an already compiled module. Figures, not assertions: a benchmark never fails on time.
// --simd runs the same algorithm built with clang -O3 -msimd128 (fixtures/seed/algorithm_simd.wasm: i32x4/i64x2 loops).
//
// Other modes (first argument):
//   programs [--work DIR] [--rounds N] [--only NAME] [--strand PATH]
//                                                    real programs whole-process, strand vs node (Programs.cs)
//   --scaling                                        compile time per function, 5k..40k functions (Scaling.cs)
//   --phases FILE.wasm [[--background] ARGS...]      one module's stages; with ARGS, runs it (WASI) and reports
//                                                    generated chunks, JIT time and functions too big to optimise
//   --artifact-speed                                 seed kernel per call: generated code vs compiled artifact
//   wasmtime [--sightglass DIR [--suite NAME]] [--rounds N] [--filter TEXT] [--no-node] [--max-seconds S]
//                                                    Strand vs Wasmtime .NET (vs Node) on the seed and sightglass (Wasmtime.cs)

if (args.Length > 0 && args[0] == "--scaling") return Strand.Benchmarks.Scaling.Run();
if (args.Length > 1 && args[0] == "--phases") return Strand.Benchmarks.Phases.Run(args[1], args[2..]);
// The seed and the node scripts live in the repository: found from the benchmark's own folder, else the current one.
if (FindRepositoryRoot() is not { } root)
{
    Console.Error.WriteLine("the Strand repository was not found above the benchmark's folder or the current directory: run it from inside the repository");
    return 2;
}
if (args.Length > 0 && args[0] == "--artifact-speed") return Strand.Benchmarks.ArtifactSpeed.Run(root);
if (args.Length > 0 && args[0] == "wasmtime") return Strand.Benchmarks.WasmtimeComparison.Run(args[1..], root);
if (args.Length > 0 && args[0] == "programs") return Strand.Benchmarks.Programs.Run(args[1..], root);

int calls = 10, warmup = 5, rounds = 5;
bool runNode = true;
string seedName = "algorithm.wasm";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--calls": calls = int.Parse(args[++i]); break;
        case "--warmup": warmup = int.Parse(args[++i]); break;
        case "--rounds": rounds = int.Parse(args[++i]); break;
        case "--no-node": runNode = false; break;
        case "--simd": seedName = "algorithm_simd.wasm"; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

string seedPath = Path.Combine(root, "fixtures", "seed", seedName);
const long Expected = 5172326400000;

// 1. Compile once.
var sw = Stopwatch.StartNew();
var module = Module.Compile(File.ReadAllBytes(seedPath));
Console.WriteLine($"compile {seedName}: {sw.Elapsed.TotalMilliseconds:F2} ms");

// 2. Per-call times, alternating rounds of Strand and node so both see the same machine load.
//    Each round is the mean of `calls` calls after warm-up; the best and median rounds are reported.
var instance = new Linker().Instantiate(module);
var algorithm = instance.GetFunction<Func<long>>("algorithm");
var strandRounds = new List<double>();
var nodeRounds = new List<double>();
for (int round = 0; round < rounds; round++)
{
    strandRounds.Add(RunOnBigStack(() =>
    {
        for (int i = 0; i < (round == 0 ? warmup : 1); i++) Check(algorithm());
        var timer = Stopwatch.StartNew();
        for (int i = 0; i < calls; i++) Check(algorithm());
        return timer.Elapsed.TotalMilliseconds / calls;
    }));
    if (runNode && RunNode(root, seedPath, calls, warmup) is { } nodeMs) nodeRounds.Add(nodeMs);
    else runNode = false;
}
Console.WriteLine($"strand algorithm: best {strandRounds.Min():F2} ms/call, median {Median(strandRounds):F2} ms/call ({rounds} rounds of {calls} calls)");
if (nodeRounds.Count > 0)
{
    Console.WriteLine($"node   algorithm: best {nodeRounds.Min():F2} ms/call, median {Median(nodeRounds):F2} ms/call ({nodeRounds.Count} rounds of {calls} calls)");
    Console.WriteLine($"ratio strand/node: best {strandRounds.Min() / nodeRounds.Min():F2}x, median {Median(strandRounds) / Median(nodeRounds):F2}x (goal: at most 1.5x)");
}
else
{
    Console.WriteLine("node not available: no side-by-side figure");
}

// 3. Instantiation of an already compiled small module.
var threadsModule = Module.Compile(File.ReadAllBytes(Path.Combine(root, "fixtures", "seed", "algorithm_threads.wasm")));
var memoryImport = threadsModule.Definition.Imports.First(i => i.Kind == ExternalKind.Memory);
var shared = new Memory(memoryImport.Memory!);
var linker = new Linker().Define(memoryImport.Module, memoryImport.Name, shared);
for (int i = 0; i < 200; i++) linker.Instantiate(threadsModule);
const int Instantiations = 2000;
var inst = Stopwatch.StartNew();
for (int i = 0; i < Instantiations; i++) linker.Instantiate(threadsModule);
Console.WriteLine($"strand instantiate (compiled module, shared imported memory): {inst.Elapsed.TotalMicroseconds / Instantiations:F1} us/instance");
return 0;

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

// Guest code runs on a thread with an explicit, generous stack, as the CLI does.
static double RunOnBigStack(Func<double> body)
{
    double result = 0;
    var thread = new Thread(() => result = body(), 64 * 1024 * 1024);
    thread.Start();
    thread.Join();
    return result;
}

static double? RunNode(string root, string seedPath, int calls, int warmup)
{
    var psi = new ProcessStartInfo("node", $"\"{Path.Combine(root, "bench", "node", "bench.mjs")}\" \"{seedPath}\" algorithm --calls {calls} --warmup {warmup} --expect {Expected}")
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };
    try
    {
        using var node = Process.Start(psi)!;
        string output = node.StandardOutput.ReadToEnd().Trim();
        node.StandardError.ReadToEnd();
        node.WaitForExit();
        var match = System.Text.RegularExpressions.Regex.Match(output, @"([0-9.]+) ms/call");
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return null;
    }
}

static void Check(long result)
{
    if (result != Expected) throw new InvalidOperationException($"algorithm returned {result}, expected {Expected}");
}

static string? FindRepositoryRoot()
{
    foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
    {
        var dir = new DirectoryInfo(start);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Strand.slnx"))) dir = dir.Parent;
        if (dir is not null) return dir.FullName;
    }
    return null;
}
