namespace Strand.Fuzz;

internal enum Verdict
{
    /// <summary>The traces are equal (or differ only inside a call both engines cut short the same way).</summary>
    Match,
    /// <summary>A real difference.</summary>
    Mismatch,
    /// <summary>One engine timed out in a call the other finished: usually speed, not semantics.</summary>
    TimeoutAsymmetry,
}

internal sealed record Comparison(Verdict Verdict, int Index, string? Strand, string? Node)
{
    public string Describe() => Verdict == Verdict.Match
        ? "match"
        : $"{Verdict} at event {Index}: strand `{Strand ?? "<end>"}` vs node `{Node ?? "<end>"}`";
}

/// <summary>
/// Compares two traces line by line. A call that both engines end with a timeout, or with call-stack
/// exhaustion, is compared only up to its "call" line, and nothing after it is compared: how far the
/// guest got (how many imports it logged, what it wrote) depends on speed and stack size.
/// </summary>
internal static class TraceComparer
{
    public static Comparison Compare(IReadOnlyList<string> strand, IReadOnlyList<string> node)
    {
        int i = 0;
        while (i < strand.Count && i < node.Count && Same(strand[i], node[i])) i++;
        if (i == strand.Count && i == node.Count) return new Comparison(Verdict.Match, -1, null, null);

        string? s = i < strand.Count ? strand[i] : null, n = i < node.Count ? node[i] : null;
        // Calls before the divergence have identical "call" lines on both sides.
        for (int c = 0; c < i; c++)
        {
            if (!strand[c].StartsWith("call ", StringComparison.Ordinal)) continue;
            string? strandCut = CutKind(strand, c), nodeCut = CutKind(node, c);
            if (strandCut is not null && strandCut == nodeCut) return new Comparison(Verdict.Match, -1, null, null);
            if (LastCallLine(strand, i) == c && (strandCut == "timeout" || nodeCut == "timeout"))
                return new Comparison(Verdict.TimeoutAsymmetry, i, s, n);
        }
        return new Comparison(Verdict.Mismatch, i, s, n);
    }

    /// <summary>
    /// Equal events, with two loose cases. V8 says "float unrepresentable in integer range" both for NaN and
    /// for an out-of-range truncation, which the spec (and Strand) call "invalid conversion to integer" and
    /// "integer overflow". An atomic access that is both misaligned and out of bounds may report either trap
    /// (the threads spec leaves the order open; V8 checks bounds first, Strand and the reference interpreter
    /// alignment first); V8 only reports out of bounds when the access is.
    /// </summary>
    private static bool Same(string strand, string node) =>
        strand == node
        || (strand == "trap integer-overflow" && node == "trap invalid-conversion")
        || (strand == "trap unaligned-atomic" && node == "trap memory-out-of-bounds");

    private static int LastCallLine(IReadOnlyList<string> trace, int before)
    {
        for (int j = Math.Min(before - 1, trace.Count - 1); j >= 0; j--)
            if (trace[j].StartsWith("call ", StringComparison.Ordinal)) return j;
        return -1;
    }

    private static IEnumerable<string> Segment(IReadOnlyList<string> trace, int callStart)
    {
        for (int j = callStart + 1; j < trace.Count && !trace[j].StartsWith("call ", StringComparison.Ordinal); j++)
            yield return trace[j];
    }

    private static string? CutKind(IReadOnlyList<string> trace, int callStart) =>
        Segment(trace, callStart).FirstOrDefault(e => e is "timeout" or "hang" or "trap stack-exhausted") switch
        {
            "hang" => "timeout",
            var other => other,
        };

}
