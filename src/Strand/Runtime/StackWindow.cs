namespace Strand.Runtime;

/// <summary>
/// A range of one thread's native stack in which a function's entry check passes with two field loads and a compare
/// instead of a thread-static read (on linux-x64 a call to <c>__tls_get_addr</c>, a quarter of a recursive benchmark's
/// time). Each thread has one (<see cref="WasmOps.EnterStack"/> creates it); an <see cref="Instance"/> points at the
/// window of the thread that last claimed it (<see cref="Instance.StackWindow"/>, or <see cref="Empty"/>).
/// <para>
/// Invariant: while a window is not empty, its thread is running guest code (the window is emptied when the thread's
/// call into guest code ends, <see cref="WasmOps.LeaveGuest"/>), <see cref="Low"/> is a limit that thread verified
/// (<see cref="WasmOps.StackLowInverted"/>: a probe local at or above it has the runtime's margin below its frame) and
/// <see cref="High"/> the address of a probe local of that thread, so [Low, High] lies inside that live thread's stack.
/// Two live threads' stacks never overlap, so another thread's probe can never fall inside, whichever instance it reads
/// the window through, and a thread created later on a dead thread's stack memory only ever finds it empty. Both fields
/// only change from their own thread; a reader on another thread that sees one field old and one new still sees either
/// an empty range or a range of the owner's stack.
/// </para>
/// </summary>
internal sealed class StackWindow
{
    /// <summary>The window of no thread: every probe fails it (Low above High), so the check takes its slow path.</summary>
    internal static readonly StackWindow Empty = new();

    /// <summary>Lowest probe address that passes (a verified limit of the owner thread), or <c>nuint.MaxValue</c> when empty.</summary>
    internal nuint Low = nuint.MaxValue;

    /// <summary>Highest probe address that passes (a probe the owner thread passed through the slow path), or 0 when empty.</summary>
    internal nuint High;

    /// <summary>True when no probe passes.</summary>
    internal bool IsEmpty => Low > High;
}
