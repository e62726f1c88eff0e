using System.Diagnostics;

namespace Strand.Fuzz;

/// <summary>
/// Turns a seed into a random valid module: deterministic random bytes (SplitMix64) fed to binaryen's
/// `wasm-opt -ttf` (translate-to-fuzz), restricted to wasm 2.0 (SIMD included) and threads features.
/// </summary>
internal sealed class ModuleGenerator(string wasmOptPath)
{
    /// <summary>
    /// The wasm 2.0 features (without reference types; with SIMD) and threads. Each is left out of a seed's module
    /// with probability 1/4, so code without them (e.g. unshared memories, no atomics, no vectors) is generated too.
    /// </summary>
    public static readonly string[] OptionalFeatures =
    [
        "sign-ext", "mutable-globals", "nontrapping-float-to-int", "bulk-memory", "multivalue", "threads", "simd",
    ];

    /// <summary>
    /// binaryen 108 models reference types with its GC type system and often writes modules that are not
    /// valid wasm 2.0 (typed references, anyref for externref): seeds with reference types mostly test that
    /// both engines reject the same modules.
    /// </summary>
    public const string ReferenceTypes = "reference-types";

    /// <summary>WebAssembly 3.0 features added to every seed with <see cref="Options.TailCallsAndExceptions"/>.</summary>
    public static readonly string[] TailCallsAndExceptions = ["tail-call", "exception-handling"];

    public sealed record Options(bool ReferenceTypesEvery4th, bool FuzzPasses, int MinBytes, int MaxBytes, bool TailCallsAndExceptions = false);

    public sealed record Generated(string Path, string[] FeatureFlags, string Description);

    public Generated Generate(long seed, string directory, Options options)
    {
        var rng = new SplitMix64((ulong)seed);
        int size = options.MinBytes + (int)(rng.Next() % (ulong)(options.MaxBytes - options.MinBytes + 1));
        var bytes = new byte[size];
        for (int i = 0; i < size; i += 8)
        {
            ulong word = rng.Next();
            for (int j = 0; j < 8 && i + j < size; j++) bytes[i + j] = (byte)(word >> (8 * j));
        }
        string input = System.IO.Path.Combine(directory, $"seed{seed}.bin");
        string output = System.IO.Path.Combine(directory, $"seed{seed}.wasm");
        File.WriteAllBytes(input, bytes);

        ulong choices = rng.Next();
        var features = OptionalFeatures.Where((_, i) => (choices >> (2 * i) & 3) != 0).ToList();
        var omitted = OptionalFeatures.Except(features).ToList();
        bool referenceTypes = options.ReferenceTypesEvery4th && seed % 4 == 3;
        if (referenceTypes) features.Add(ReferenceTypes);
        if (options.TailCallsAndExceptions) features.AddRange(TailCallsAndExceptions);
        bool passes = options.FuzzPasses && (choices >> 20 & 1) == 1;
        string[] flags = ["--mvp-features", .. features.Select(f => "--enable-" + f)];
        var args = new List<string> { "-ttf", input, "-o", output };
        if (passes) args.Add("--fuzz-passes");
        args.AddRange(flags);
        Run(args);
        File.Delete(input);
        string description = $"{size} random bytes"
            + (omitted.Count > 0 ? ", without " + string.Join(" ", omitted) : "")
            + (referenceTypes ? ", with reference types" : "")
            + (options.TailCallsAndExceptions ? ", with tail calls and exceptions" : "")
            + (passes ? ", fuzz passes" : "");
        return new Generated(output, flags, description);
    }

    /// <summary>The same module with NaNs replaced by 0 at runtime (binaryen's --denan), to tell NaN nondeterminism from bugs.</summary>
    public string Denan(string wasm, string[] features)
    {
        string output = System.IO.Path.ChangeExtension(wasm, ".denan.wasm");
        Run([wasm, "--denan", "-o", output, .. features]);
        return output;
    }

    private void Run(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(wasmOptPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + wasmOptPath);
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill();
            throw new InvalidOperationException("wasm-opt timed out");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"wasm-opt failed ({process.ExitCode}): {stderr.Result.Trim()}");
    }

    /// <summary>A tiny fixed PRNG, so a seed means the same bytes on every .NET version.</summary>
    private struct SplitMix64(ulong state)
    {
        public ulong Next()
        {
            ulong z = state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }
}
