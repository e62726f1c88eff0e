using System.Diagnostics;

namespace Strand.Cli;

/// <summary>
/// Shows the progress of a long compile on stderr: nothing during the first second, then one line rewritten in place
/// (at most every 100 ms), erased when the work ends. Silent when disabled (stderr is not a terminal, or --quiet).
/// Reports may come from several threads.
/// </summary>
public sealed class ProgressReporter : IDisposable
{
    private readonly TextWriter? _writer;
    private readonly Func<TimeSpan> _elapsed;
    private readonly TimeSpan _delay;
    private readonly object _gate = new();
    private TimeSpan _lastShown;
    private int _shownLength;

    public ProgressReporter(TextWriter? writer, Func<TimeSpan>? elapsed = null, TimeSpan? delay = null)
    {
        _writer = writer;
        var clock = Stopwatch.StartNew();
        _elapsed = elapsed ?? (() => clock.Elapsed);
        _delay = delay ?? TimeSpan.FromSeconds(1);
    }

    /// <summary>The reporter for the CLI: stderr when it is a terminal and <paramref name="quiet"/> is false, else silent.</summary>
    public static ProgressReporter ForConsole(bool quiet) =>
        new(quiet || Console.IsErrorRedirected ? null : Console.Error);

    /// <summary>Whether anything was written (and not yet erased).</summary>
    public bool Showing => _shownLength > 0;

    public void Report(CompileProgress progress)
    {
        if (_writer is null) return;
        var now = _elapsed();
        if (now < _delay) return;
        lock (_gate)
        {
            if (_shownLength > 0 && now - _lastShown < TimeSpan.FromMilliseconds(100) && progress.Done < progress.Total) return;
            _lastShown = now;
            string what = progress.Stage switch
            {
                "decode" => "decoding",
                "validate" => "validating functions",
                "generate" => "generating code",
                _ => progress.Stage,
            };
            string line = progress.Total > 0
                ? $"strand: {what} {progress.Done}/{progress.Total} ({100 * progress.Done / progress.Total}%), {now.TotalSeconds:0.0} s"
                : $"strand: {what}, {now.TotalSeconds:0.0} s";
            _writer.Write("\r" + line.PadRight(_shownLength));
            _shownLength = line.Length;
            _writer.Flush();
        }
    }

    /// <summary>Erases the progress line, if one was shown.</summary>
    public void Dispose()
    {
        if (_writer is null) return;
        lock (_gate)
        {
            if (_shownLength == 0) return;
            _writer.Write("\r" + new string(' ', _shownLength) + "\r");
            _writer.Flush();
            _shownLength = 0;
        }
    }
}
