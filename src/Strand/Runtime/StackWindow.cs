namespace Strand.Runtime;

/// <summary>
/// A range of one thread's native stack in which a function's entry check passes with two field loads and a compare
/// instead of a thread-static read (on linux-x64 a call to <c>__tls_get_addr</c>, a quarter of a recursive benchmark's
/// time). An <see cref="Instance"/> points at a window of the thread that last claimed it (<see cref="Instance.StackWindow"/>,
/// or <see cref="Empty"/>); <see cref="WasmOps.EnterStack"/> publishes them.
/// <para>
/// Invariant: while an instance points at a window other than <see cref="Empty"/>, the window's thread
/// (<see cref="Owner"/>) is running guest code (it resets the instances it claimed when its call into guest code ends,
/// <see cref="WasmOps.LeaveGuest"/>), <see cref="Low"/> is a limit that thread verified (<see cref="WasmOps.StackLowInverted"/>:
/// a probe local at or above it has the runtime's margin below its frame) and <see cref="High"/> the address of a probe
/// local of that thread, so [Low, High] lies inside that live thread's stack. Two live threads' stacks never overlap,
/// so another thread's probe can never fall inside, and a thread created later on a dead thread's stack memory only
/// ever finds <see cref="Empty"/>.
/// </para>
/// <para>
/// A window never changes once published (a wider one replaces it): the check's test <c>probe - Low &lt;= High - Low</c>
/// (unsigned) is a range only when <c>Low &lt;= High</c>; with <c>Low &gt; High</c> it passes every probe at or above
/// Low and every one at or below High. With two fields written one after the other (as until 2026-11-30), a reader on
/// another thread could see Low of one moment and High of another, (Low, 0) or (<c>nuint.MaxValue</c>, High), and pass
/// any probe above or below the owner's stack without a check.
/// </para>
/// </summary>
internal sealed class StackWindow(nuint low, nuint high, object? owner)
{
    /// <summary>The window of no thread: every probe fails it (only 0 and <c>nuint.MaxValue</c> pass, no stack address).</summary>
    internal static readonly StackWindow Empty = new(nuint.MaxValue, 0, null);

    /// <summary>Lowest probe address that passes (a verified limit of the owner thread), or <c>nuint.MaxValue</c> when empty.</summary>
    internal readonly nuint Low = low;

    /// <summary>Highest probe address that passes (a probe the owner thread passed through the slow path), or 0 when empty.</summary>
    internal readonly nuint High = high;

    /// <summary>The owner thread's token (<see cref="WasmOps"/>' per-thread object), or null for <see cref="Empty"/>.</summary>
    internal readonly object? Owner = owner;

    /// <summary>True when no probe passes.</summary>
    internal bool IsEmpty => Low > High;
}
