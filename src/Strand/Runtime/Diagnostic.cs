using Strand.Threads;

namespace Strand;

/// <summary>
/// How serious a <see cref="Diagnostic"/> is. The numeric values are those of
/// <c>Microsoft.Extensions.Logging.LogLevel</c>, so an adapter can cast: <c>(LogLevel)diagnostic.Level</c>.
/// </summary>
public enum DiagnosticLevel
{
    /// <summary>Detail for the engine's developers (LogLevel.Trace, 0).</summary>
    Trace = 0,
    /// <summary>Detail useful when investigating (LogLevel.Debug, 1).</summary>
    Debug = 1,
    /// <summary>Something expected that a host may want to know (LogLevel.Information, 2).</summary>
    Information = 2,
    /// <summary>Something wrong that did not stop the program (LogLevel.Warning, 3).</summary>
    Warning = 3,
    /// <summary>A failure: a thread or a program stopped (LogLevel.Error, 4).</summary>
    Error = 4,
}

/// <summary>What a <see cref="Diagnostic"/> reports; the numeric value is stable and serves as an event id.</summary>
public enum DiagnosticEvent
{
    /// <summary>
    /// A thread's <c>__stack_pointer</c> entered another thread's stack (<see cref="Diagnostic.Collision"/>); a
    /// <see cref="DiagnosticLevel.Warning"/>, or an <see cref="DiagnosticLevel.Error"/> when the write trapped
    /// (<see cref="ThreadGroupOptions.TrapOnStackCollision"/>).
    /// </summary>
    StackCollision = 1,
    /// <summary>A thread of a thread group failed: a trap, a host exception, or a failure to instantiate (<see cref="Diagnostic.Exception"/>, <see cref="Diagnostic.ThreadId"/>).</summary>
    ThreadFailed = 2,
    /// <summary>A thread group was stopped from outside: cancelled, timed out or disposed while running (<see cref="Diagnostic.Exception"/> says which).</summary>
    ThreadGroupStopped = 3,
    /// <summary>
    /// A function's generated code is too big for the .NET JIT to optimise, so it runs unoptimised (docs/compiler.md,
    /// "Big functions"); <see cref="Diagnostic.FunctionIndex"/> names it. Reported once per function, when it is first generated.
    /// </summary>
    FunctionNotOptimized = 4,
}

/// <summary>
/// One report from the engine to a host, for a logger rather than the console (the engine writes nothing to the
/// console). Receive them with <see cref="CompileOptions.Diagnostics"/>, <see cref="ThreadGroupOptions.Diagnostics"/> or
/// <c>WasiThreadsOptions.Diagnostics</c>; handlers may be called on any thread, concurrently, and should be short. With
/// Microsoft.Extensions.Logging: <c>d =&gt; logger.Log((LogLevel)d.Level, new EventId((int)d.Event, d.Event.ToString()), d.Exception, "{Message}", d.Message)</c>
/// (docs/embedding.md, "Diagnostics to a logger").
/// </summary>
/// <param name="Level">How serious it is.</param>
/// <param name="Event">What happened: also the event id.</param>
/// <param name="Message">One line of text for a human, with the details below already in it.</param>
public sealed record Diagnostic(DiagnosticLevel Level, DiagnosticEvent Event, string Message)
{
    /// <summary>The thread group's thread id (1 for the first thread) the report is about, if any.</summary>
    public int? ThreadId { get; init; }
    /// <summary>The exception that ended a thread or stopped a group, if any.</summary>
    public Exception? Exception { get; init; }
    /// <summary>For <see cref="DiagnosticEvent.StackCollision"/>: the collision, with structured fields.</summary>
    public StackCollision? Collision { get; init; }
    /// <summary>For <see cref="DiagnosticEvent.FunctionNotOptimized"/>: the function's index in the module's function index space.</summary>
    public uint? FunctionIndex { get; init; }

    /// <summary>The message, prefixed with the level and event: "warning StackCollision: ...".</summary>
    public override string ToString() => $"{Level.ToString().ToLowerInvariant()} {Event}: {Message}";
}
