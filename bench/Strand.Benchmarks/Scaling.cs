using System.Diagnostics;

namespace Strand.Benchmarks;

/// <summary>
/// <c>--scaling</c>: compile time of generated modules of 5k, 10k, 20k and 40k functions (<see cref="ManyFunctions"/>),
/// in process. Prints per-function cost; linear compilation keeps it flat as the module doubles.
/// </summary>
public static class Scaling
{
    public static int Run()
    {
        Module.Compile(ManyFunctions.Generate(1000)); // warm the compiler itself
        double? first = null;
        foreach (int n in new[] { 5_000, 10_000, 20_000, 40_000 })
        {
            var bytes = ManyFunctions.Generate(n);
            var best = double.MaxValue;
            double run = 0;
            for (int round = 0; round < 3; round++)
            {
                var sw = Stopwatch.StartNew();
                var module = Module.Compile(bytes);
                var instance = new Linker().Instantiate(module);
                double compile = sw.Elapsed.TotalMilliseconds;
                var f = instance.GetFunction<Func<int, int>>("f");
                if (f(5) != ManyFunctions.Expected(n, 5)) throw new InvalidOperationException("wrong result");
                instance.Invoke("_start");
                run = sw.Elapsed.TotalMilliseconds - compile;
                best = Math.Min(best, compile);
            }
            double perFunction = best * 1000 / n;
            first ??= perFunction;
            Console.WriteLine($"{n,6} functions ({bytes.Length / 1024,4} KB): compile+instantiate {best,8:F1} ms = {perFunction,6:F2} us/function ({perFunction / first:F2}x the 5k figure); first calls {run:F1} ms");
        }
        Console.WriteLine("linear compilation keeps us/function flat (goal: the 40k figure within 1.5x of the 5k one)");
        return 0;
    }
}

/// <summary><c>--phases FILE.wasm</c>: time of each up-front stage (decode, validate, prepare) for one module, in process.</summary>
public static class Phases
{
    public static int Run(string path, string[] programArgs)
    {
        var bytes = File.ReadAllBytes(path);
        if (programArgs.Length > 0)
        {
            // Run the program once (WASI, output discarded) and report what it needed.
            var sw = Stopwatch.StartNew();
            bool background = programArgs[0] == "--background";
            if (background) programArgs = programArgs[1..];
            var module = Module.Compile(bytes, new CompileOptions { BackgroundCodeGeneration = background, CollectibleCode = false }); // as strand run
            double load = sw.Elapsed.TotalMilliseconds;
            var stdout = new MemoryStream();
            using var context = new Wasi.WasiConfiguration().WithArguments(programArgs).WithStandardOutput(stdout).Build();
            int code = 0;
            var thread = new Thread(() => code = Wasi.WasiHost.RunCommand(module, context), 256 * 1024 * 1024);
            thread.Start();
            thread.Join();
            Console.WriteLine($"background generation {(background ? "on" : "off")}: load {load:F0} ms, run {sw.Elapsed.TotalMilliseconds - load:F0} ms (exit {code}, {stdout.Length} bytes out); " +
                $"chunks generated {module.Compiled.GeneratedChunks} of {module.Compiled.ChunkCount} in {module.Compiled.GenerationTime.TotalMilliseconds:F0} ms; " +
                $"JIT {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms for {System.Runtime.JitInfo.GetCompiledMethodCount()} methods");
            var def = module.Definition;
            var generated = Enumerable.Range(0, def.Bodies.Count).Where(i => module.Compiled.Code[i] != 0)
                .Select(i => (Index: i, Size: def.Bodies[i].CodeEnd - def.Bodies[i].CodeStart)).OrderByDescending(x => x.Size).ToList();
            Console.WriteLine($"generated {generated.Count} functions, {generated.Sum(x => (long)x.Size) / 1024} KB of wasm code of {def.Bodies.Sum(b => (long)(b.CodeEnd - b.CodeStart)) / 1024} KB; largest: " +
                string.Join(", ", generated.Take(5).Select(x => $"{def.DescribeFunction((uint)(x.Index + def.ImportedFunctionCount))} {x.Size / 1024} KB")));
            return 0;
        }
        for (int round = 0; round < 2; round++)
        {
            var sw = Stopwatch.StartNew();
            var definition = Binary.ModuleDecoder.Decode(bytes);
            double decode = sw.Elapsed.TotalMilliseconds;
            Validation.ModuleValidator.Validate(definition);
            double validate = sw.Elapsed.TotalMilliseconds - decode;
            var module = Module.FromValidatedDefinition(definition);
            double prepare = sw.Elapsed.TotalMilliseconds - decode - validate;
            sw.Restart();
            module.Compiled.GenerateAll();
            double generate = sw.Elapsed.TotalMilliseconds;
            if (round == 0)
                Console.WriteLine($"functions whose IL exceeds the JIT's optimisation limit ({Compilation.CompiledModule.JitOptimizationLimitBytes} bytes): " +
                    string.Join(", ", module.Compiled.OversizedFunctions.OrderByDescending(x => x.Value).Select(x => $"{definition.DescribeFunction((uint)(x.Key + definition.ImportedFunctionCount))} {x.Value / 1024} KB IL ({(definition.Bodies[x.Key].CodeEnd - definition.Bodies[x.Key].CodeStart) / 1024} KB wasm)")));
            Console.WriteLine($"round {round}: decode {decode:F0} ms, validate {validate:F0} ms, prepare {prepare:F0} ms; generating all code (not done by a run) {generate:F0} ms for {definition.Bodies.Count} functions");
        }
        return 0;
    }
}

/// <summary><c>--artifact-speed</c>: per-call time of the seed algorithm compiled lazily vs loaded from a compiled artifact.</summary>
public static class ArtifactSpeed
{
    public static int Run(string root)
    {
        var bytes = File.ReadAllBytes(Path.Combine(root, "fixtures", "seed", "algorithm.wasm"));
        var lazy = Module.Compile(bytes);
        var loaded = Module.Deserialize(lazy.Serialize());
        foreach (var (name, module) in new[] { ("generated", lazy), ("artifact", loaded), ("generated", lazy), ("artifact", loaded) })
        {
            var f = new Linker().Instantiate(module).GetFunction<Func<long>>("algorithm");
            double ms = 0;
            var thread = new Thread(() =>
            {
                for (int i = 0; i < 40; i++) f();
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < 10; i++) f();
                ms = sw.Elapsed.TotalMilliseconds / 10;
            }, 64 * 1024 * 1024);
            thread.Start();
            thread.Join();
            Console.WriteLine($"{name}: {ms:F1} ms/call");
        }
        return 0;
    }
}
