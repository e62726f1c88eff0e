using System.Diagnostics;
using Strand;
using Strand.Binary;
using Strand.Runtime;

// Side-by-side benchmark: Strand vs Node.js (V8) on the same .wasm, in one run.
//
//   dotnet run -c Release --project bench/Strand.Benchmarks [-- --calls N --warmup N --no-node]
//
// Prints per-call times of the seed's algorithm (fixtures/seed/algorithm.wasm, expected
// 5172326400000) for Strand and for node (bench/node/bench.mjs), their ratio, and the cost
// of instantiating an already compiled module. Figures, not assertions: a benchmark never fails on time.

int calls = 20, warmup = 5;
bool runNode = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--calls": calls = int.Parse(args[++i]); break;
        case "--warmup": warmup = int.Parse(args[++i]); break;
        case "--no-node": runNode = false; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

string root = FindRepositoryRoot();
string seedPath = Path.Combine(root, "fixtures", "seed", "algorithm.wasm");
const long Expected = 5172326400000;

// 1. Compile once.
var sw = Stopwatch.StartNew();
var module = Module.Compile(File.ReadAllBytes(seedPath));
Console.WriteLine($"compile algorithm.wasm: {sw.Elapsed.TotalMilliseconds:F2} ms");

// 2. Per-call time, run on a big-stack thread like the CLI does.
double strandMs = 0;
var thread = new Thread(() =>
{
    var instance = new Linker().Instantiate(module);
    var algorithm = instance.GetFunction<Func<long>>("algorithm");
    for (int i = 0; i < warmup; i++) Check(algorithm());
    var timer = Stopwatch.StartNew();
    for (int i = 0; i < calls; i++) Check(algorithm());
    strandMs = timer.Elapsed.TotalMilliseconds / calls;
}, 64 * 1024 * 1024);
thread.Start();
thread.Join();
Console.WriteLine($"strand algorithm: {strandMs:F3} ms/call ({calls} calls after {warmup} warm-up)");

// 3. Instantiation of an already compiled small module.
var threadsModule = Module.Compile(File.ReadAllBytes(Path.Combine(root, "fixtures", "seed", "algorithm_threads.wasm")));
var memoryImport = threadsModule.Definition.Imports.First(i => i.Kind == ExternalKind.Memory);
var shared = new Memory(memoryImport.Memory!);
var linker = new Linker().Define(memoryImport.Module, memoryImport.Name, shared);
for (int i = 0; i < 200; i++) linker.Instantiate(threadsModule);
const int Instantiations = 2000;
var inst = Stopwatch.StartNew();
for (int i = 0; i < Instantiations; i++) linker.Instantiate(threadsModule);
double instantiateUs = inst.Elapsed.TotalMicroseconds / Instantiations;
Console.WriteLine($"strand instantiate (compiled, shared imported memory): {instantiateUs:F1} us/instance");

// 4. Node side by side.
if (runNode)
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
        string error = node.StandardError.ReadToEnd().Trim();
        node.WaitForExit();
        Console.WriteLine(output.Length > 0 ? output : $"node failed: {error}");
        var match = System.Text.RegularExpressions.Regex.Match(output, @"([0-9.]+) ms/call");
        if (match.Success)
        {
            double nodeMs = double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Console.WriteLine($"ratio strand/node: {strandMs / nodeMs:F2}x (target <= 1.5x)");
        }
    }
    catch (System.ComponentModel.Win32Exception)
    {
        Console.WriteLine("node not found: skipped the side-by-side figure");
    }
}
return 0;

static void Check(long result)
{
    if (result != Expected) throw new InvalidOperationException($"algorithm returned {result}, expected {Expected}");
}

static string FindRepositoryRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Strand.slnx"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("run from inside the Strand repository");
}
