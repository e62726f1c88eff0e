namespace Strand;

/// <summary>Options of <see cref="Module.Compile(byte[], CompileOptions?)"/>.</summary>
public sealed class CompileOptions
{
    /// <summary>
    /// Called as the up-front work advances (see <see cref="CompileProgress"/>), possibly from several threads at once
    /// (bodies are validated on all cores), so it must be thread-safe. Null: no reports.
    /// </summary>
    public Action<CompileProgress>? Progress { get; init; }
}

/// <summary>
/// How far the up-front work on a module is: <paramref name="Stage"/> is <c>"decode"</c> (bytes: done = total when
/// finished), <c>"validate"</c> (function bodies validated out of <paramref name="Total"/>) or <c>"generate"</c>
/// (chunks of code generated out of <paramref name="Total"/>, only for eager generation).
/// </summary>
public readonly record struct CompileProgress(string Stage, long Done, long Total);
