using System.Runtime.ExceptionServices;

namespace Strand.Binary;

// Scanning the bodies of a big code section on all cores (docs/compiler.md, "Startup"). The decoder decodes every
// instruction of every body once, so that a malformed one is reported at decoding (before any validation error); on one
// core that was a tenth of yosys's first run. Bodies are independent once their extents are known, so the section's
// loop reads each body's size and locals in order and leaves its instructions to this scan, which reports what the loop
// would have: the error of the lowest-numbered body that has one, and otherwise the error (if any) that stopped the loop.
public static partial class ModuleDecoder
{
    /// <summary>Code sections with at least this many bodies are scanned in parallel (smaller ones in the loop, as before).</summary>
    private const int ParallelScanBodies = 256;

    /// <summary>Bodies per parallel work item.</summary>
    private const int ScanBatch = 64;

    /// <summary>A body whose instructions are scanned after the section's loop: its code range and whether it ends the section.</summary>
    internal readonly record struct DeferredBody(int CodeStart, int CodeEnd, bool EndsSection);

    /// <summary>
    /// Whether the code section's bodies are scanned by <see cref="ScanDeferred"/>: not for trusted input (not scanned at
    /// all), not when tolerating unsupported constructs (what is recorded then depends on the order), not for few bodies
    /// or on one core.
    /// </summary>
    private static List<DeferredBody>? DeferredScan(WasmReader r, uint count, bool trusted) =>
        !trusted && r.Tolerated is null && count >= ParallelScanBodies && Environment.ProcessorCount > 1 ? new((int)count) : null;

    /// <summary>
    /// Scans <paramref name="bodies"/> (<see cref="ScanBody"/> on a reader of each body's range with the section reader's
    /// settings) on all cores; throws the exception of the lowest-numbered body that fails, as the sequential loop would.
    /// </summary>
    private static void ScanDeferred(WasmReader r, ModuleDefinition module, List<DeferredBody> bodies)
    {
        if (bodies.Count == 0) return;
        var failures = new Exception?[(bodies.Count + ScanBatch - 1) / ScanBatch];
        // Break(b) still runs every batch below b, so the lowest failing body is found.
        Parallel.For(0, failures.Length, (b, state) =>
        {
            var blocks = new Stack<BlockKind>();
            for (int i = b * ScanBatch; i < Math.Min(bodies.Count, (b + 1) * ScanBatch); i++)
            {
                var body = bodies[i];
                try
                {
                    ScanBody(r.Slice(body.CodeStart, body.CodeEnd), module, blocks, body.EndsSection);
                }
                catch (Exception e)
                {
                    failures[b] = e;
                    state.Break();
                    return;
                }
            }
        });
        foreach (var failure in failures)
            if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }
}
