namespace Strand;

/// <summary>Options of <see cref="Module.Compile(byte[], CompileOptions?)"/>.</summary>
public sealed class CompileOptions
{
    /// <summary>
    /// Called as the up-front work advances (see <see cref="CompileProgress"/>), possibly from several threads at once
    /// (bodies are validated on all cores), so it must be thread-safe. Null: no reports.
    /// </summary>
    public Action<CompileProgress>? Progress { get; init; }

    /// <summary>
    /// For a module of 1,000 functions or more: when it is first instantiated, generate and JIT-compile the code its
    /// start function and exports reach by direct calls on a low-priority background thread, ahead of the first calls
    /// (docs/compiler.md, "Startup"). Default false (code is generated only when it is called): on the 2-core machine it
    /// was measured on, the head start cost more CPU than it saved wall time.
    /// </summary>
    public bool BackgroundCodeGeneration { get; init; }

    /// <summary>
    /// Receives the module's <see cref="Diagnostic"/>s for as long as it lives: <see cref="DiagnosticEvent.FunctionNotOptimized"/>
    /// when a function too big for the JIT's optimiser is generated (on first call, on the calling thread). Null: none.
    /// </summary>
    public Action<Diagnostic>? Diagnostics { get; init; }

    /// <summary>
    /// Whether the module's code (generated, or loaded by <see cref="Module.Deserialize"/>) is unloaded once the module and
    /// its instances are no longer used: it lives in a collectible assembly. Default true. .NET does not apply tiered
    /// compilation to collectible code, so each function is JIT-compiled fully optimised on its first call, even one that
    /// runs once. False: the code is tiered (a quick tier-0 compile first, optimised again when it runs hot; loops move to
    /// optimised code by on-stack replacement), which starts big programs several times faster (yosys <c>-V</c>, from
    /// the cache: 1.5 to 1.0 s of CPU; a yosys synthesis: 8.6 to 3.6 s), but the code then stays in memory until the
    /// process ends, and each such module keeps a few kernel memory mappings (see <see cref="Module.MaxLiveModules"/>).
    /// For hosts that compile a few long-lived modules, as <c>strand run</c> does (docs/compiler.md, "Startup").
    /// </summary>
    public bool CollectibleCode { get; init; } = true;

    /// <summary>
    /// Whether functions run in the interpreter before they are compiled (docs/interpreter.md). Default
    /// <see cref="InterpreterMode.Auto"/>: in modules of more than 1 MiB of code, where compiling each function on its
    /// first call would dominate the start of the program. The environment variable <c>STRAND_INTERPRETER</c>
    /// (<c>off</c>, <c>auto</c>, <c>always</c>) overrides it.
    /// </summary>
    public InterpreterMode Interpreter { get; init; } = InterpreterMode.Auto;

    /// <summary>Internal (tests): the interpreter's tier-up thresholds; null: the defaults (both <see cref="int.MaxValue"/>: never compile).</summary>
    internal Interpreter.InterpreterThresholds? InterpreterThresholds { get; init; }

    /// <summary>
    /// Internal (tests): functions bigger than this many size units are split into several methods
    /// (<c>Compilation.FunctionSplitter</c>); null: the default. A small value forces splitting.
    /// </summary>
    internal int? SplitUnits { get; init; }
}

/// <summary>
/// How far the up-front work on a module is: <paramref name="Stage"/> is <c>"decode"</c> (bytes: done = total when
/// finished), <c>"validate"</c> (function bodies validated out of <paramref name="Total"/>) or <c>"generate"</c>
/// (chunks of code generated out of <paramref name="Total"/>, only for eager generation).
/// </summary>
public readonly record struct CompileProgress(string Stage, long Done, long Total);

/// <summary>When a module's functions run in the interpreter before being compiled (<see cref="CompileOptions.Interpreter"/>).</summary>
public enum InterpreterMode
{
    /// <summary>In modules of more than 1 MiB of function bodies.</summary>
    Auto,
    /// <summary>Never: every function is compiled on its first call.</summary>
    Never,
    /// <summary>In every module.</summary>
    Always,
}
