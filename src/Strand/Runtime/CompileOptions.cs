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
