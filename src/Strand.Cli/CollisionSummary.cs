using Strand.Threads;

namespace Strand.Cli;

/// <summary>
/// Prints stack collisions the way a person can read them when there are many (1000 threads on one stack report
/// hundreds of thousands): the first <see cref="FullReports"/> in full as they happen, then, at the end, how many
/// there were for each pair of threads (thread, other thread), most frequent first. Thread-safe.
/// </summary>
public sealed class CollisionSummary(TextWriter writer, string prefix)
{
    /// <summary>How many collisions are printed in full before the rest are only counted.</summary>
    public const int FullReports = 20;

    /// <summary>How many pairs the closing summary lists before one line for the rest.</summary>
    public const int PairsListed = 20;

    private readonly Lock _lock = new();
    private readonly Dictionary<(int, int), long> _pairs = new();
    private long _total;

    public long Total
    {
        get { lock (_lock) return _total; }
    }

    public void Report(StackCollision collision)
    {
        lock (_lock)
        {
            _total++;
            var key = (collision.ThreadId, collision.OtherThreadId);
            _pairs[key] = _pairs.GetValueOrDefault(key) + 1;
            if (_total <= FullReports) writer.WriteLine($"{prefix}{collision.Message}");
        }
    }

    /// <summary>Nothing when every collision was printed in full; otherwise the counts per pair.</summary>
    public void WriteSummary()
    {
        lock (_lock)
        {
            if (_total <= FullReports) return;
            writer.WriteLine($"{prefix}{_total} collisions in all ({_total - FullReports} not shown) between {_pairs.Count} pair(s) of threads:");
            var ordered = _pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).ToList();
            foreach (var ((thread, other), count) in ordered.Take(PairsListed))
                writer.WriteLine($"{prefix}  thread {thread} into thread {other}'s stack: {count}");
            if (ordered.Count > PairsListed)
                writer.WriteLine($"{prefix}  ... {ordered.Count - PairsListed} more pair(s), {ordered.Skip(PairsListed).Sum(p => p.Value)} collision(s)");
        }
    }
}
