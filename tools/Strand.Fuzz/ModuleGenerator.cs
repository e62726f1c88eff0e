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

    /// <summary>
    /// WebAssembly 3.0 features that can be added to every seed (<c>--feature NAME</c>): binaryen 108 accepts each
    /// (<c>--enable-NAME</c>), and Node 20 runs it, with the V8 flags given here. multi-memory is not among them: binaryen
    /// 108 has no flag for it. What binaryen actually generates with each is counted per run (<see cref="FeatureUse"/>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> ExtraFeatures = new Dictionary<string, string[]>
    {
        ["tail-call"] = [],                                         // V8 11.3: on by default (--experimental-wasm-return-call)
        ["exception-handling"] = [],                                // the legacy instructions: shipped in V8
        ["memory64"] = ["--experimental-wasm-memory64"],
        ["extended-const"] = ["--experimental-wasm-extended-const"],
    };

    /// <summary>The features <c>--tail-eh</c> stands for.</summary>
    public static readonly string[] TailCallsAndExceptions = ["tail-call", "exception-handling"];

    public sealed record Options(bool ReferenceTypesEvery4th, bool FuzzPasses, int MinBytes, int MaxBytes, string[]? Extra = null);

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
        if (options.Extra is { } extra) features.AddRange(extra);
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
            + (options.Extra is { Length: > 0 } more ? ", with " + string.Join(" ", more) : "")
            + (passes ? ", fuzz passes" : "");
        return new Generated(output, flags, description);
    }

    /// <summary>
    /// Which of the <see cref="ExtraFeatures"/> the module really uses, from binaryen's own disassembly (<c>wasm-dis</c>
    /// next to <c>wasm-opt</c>): <c>return_call*</c>; <c>try</c>/<c>throw</c>/<c>rethrow</c>/<c>delegate</c> (and, separately,
    /// tags alone); a 64-bit memory; a global initialiser with an arithmetic instruction.
    /// </summary>
    public IEnumerable<string> FeatureUse(string wasm, string[] flags)
    {
        string dis = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(wasmOptPath) ?? "", "wasm-dis");
        string text;
        try
        {
            text = Run(System.IO.Path.GetDirectoryName(wasmOptPath) is { Length: > 0 } ? dis : "wasm-dis", [wasm, .. flags]);
        }
        catch (InvalidOperationException)
        {
            yield break;
        }
        if (text.Contains("(return_call", StringComparison.Ordinal)) yield return "tail-call";
        if (text.Contains("(try", StringComparison.Ordinal) || text.Contains("(throw ", StringComparison.Ordinal)
            || text.Contains("(rethrow", StringComparison.Ordinal) || text.Contains("(delegate", StringComparison.Ordinal))
            yield return "exception-handling";
        if (text.Contains("(tag ", StringComparison.Ordinal)) yield return "tags";
        if (System.Text.RegularExpressions.Regex.IsMatch(text, @"\(memory \$\S+ i64")) yield return "memory64";
        if (System.Text.RegularExpressions.Regex.IsMatch(text, @"\(global \$\S+ (\(mut )?i(32|64)\)? \(i(32|64)\.(add|sub|mul)")) yield return "extended-const";
    }

    /// <summary>The same module with NaNs replaced by 0 at runtime (binaryen's --denan), to tell NaN nondeterminism from bugs.</summary>
    public string Denan(string wasm, string[] features)
    {
        string output = System.IO.Path.ChangeExtension(wasm, ".denan.wasm");
        Run([wasm, "--denan", "-o", output, .. features]);
        return output;
    }

    private void Run(IEnumerable<string> args) => Run(wasmOptPath, args);

    private static string Run(string tool, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + tool);
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill();
            throw new InvalidOperationException(tool + " timed out");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {stderr.Result.Trim()}");
        return stdout;
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
