using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Strand.Runtime;

namespace Strand.Interpreter;

/// <summary>
/// A thread's stack of interpreter frames (64-bit slots): segments of pinned memory, the first of 16 Ki slots (128 KiB),
/// further ones allocated when a frame does not fit and kept for reuse while the thread lives. Interpreted calls place
/// the callee's frame on the caller's arguments; <see cref="Top"/> marks the first free slot for an entry from compiled
/// code (set before every call out of the interpreter). Depth is bounded by the native stack, which every
/// <see cref="Interpreter.Execute"/> checks, and the frames' total size by <see cref="MaxSlots"/>.
/// </summary>
internal sealed unsafe class ValueStack
{
    private const int FirstSegmentSlots = 16 * 1024;

    /// <summary>
    /// The most slots a thread's frames may hold: 8 Mi (64 MiB). A recursion that needs more traps "call stack exhausted":
    /// without a bound, a function with 48,000 locals calling itself took a segment per level until the machine ran out
    /// of memory, long before the native stack (which every activation checks) was exhausted.
    /// </summary>
    internal const long MaxSlots = 8L * 1024 * 1024;

    [ThreadStatic] private static ValueStack? t_current;

    /// <summary>This thread's stack.</summary>
    public static ValueStack Current => t_current ??= new ValueStack();

    private readonly List<ulong[]> _segments = new();
    private int _segment = -1;

    /// <summary>The first free slot for an entry from compiled code.</summary>
    public ulong* Top;
    /// <summary>The end of the current segment.</summary>
    public ulong* End;

    /// <summary>
    /// Native stack the interpreter may use on this thread, from its outermost entry: an interpreted level takes several
    /// times a compiled one's stack (about 240 bytes against 50 for a small function), and with thousands of calls before a
    /// function turns hot, deep recursion in the interpreter would trap "call stack exhausted" where compiled code goes on.
    /// Below <see cref="NativeLimit"/> callees run compiled instead (not under <see cref="InterpreterTier.Only"/>).
    /// </summary>
    public const int NativeBudget = 32 * 1024;

    /// <summary>The native stack address below which calls do not start interpreted activations; null outside the interpreter.</summary>
    public byte* NativeLimit;

    /// <summary>True when the caller's frame (<paramref name="here"/>, the address of one of its locals) is within <see cref="NativeBudget"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool WithinBudget(void* here) => (byte*)here > NativeLimit;

    /// <summary>Slots held by this thread's segments (tests).</summary>
    internal long AllocatedSlots => _segments.Sum(segment => (long)segment.Length);

    /// <summary>Makes room for <paramref name="slots"/> at <see cref="Top"/>, moving to another segment if needed; returns what <see cref="Release"/> restores.</summary>
    public int Reserve(int slots)
    {
        int previous = _segment;
        if (_segment < 0 || Top + slots > End) NextSegment(slots);
        return previous;
    }

    /// <summary>Returns to segment <paramref name="previousSegment"/> (from <see cref="Reserve"/>) with <see cref="Top"/> at <paramref name="savedTop"/>.</summary>
    public void Release(int previousSegment, ulong* savedTop)
    {
        if (_segment != previousSegment)
        {
            _segment = previousSegment;
            End = previousSegment < 0 ? null : Base(_segments[previousSegment]) + _segments[previousSegment].Length;
        }
        Top = savedTop;
    }

    /// <summary>Runs an interpreted callee whose frame does not fit in the current segment: in the next one, its arguments copied there and its results back.</summary>
    public void ExecuteOnNewSegment(Instance instance, InterpreterTier tier, InterpretedFunction callee, ulong* args)
    {
        ulong* saved = Top;
        int previous = _segment;
        NextSegment(callee.FrameSlots);
        try
        {
            ulong* fp = Top;
            for (int i = 0; i < callee.ParamCount; i++) fp[i] = args[i];
            Interpreter.Execute(instance, tier, callee, fp, this);
            for (int i = 0; i < callee.ResultCount; i++) args[i] = fp[i];
        }
        finally
        {
            Release(previous, saved);
        }
    }

    private void NextSegment(int slots)
    {
        int next = _segment + 1;
        if (next == _segments.Count || _segments[next].Length < slots)
        {
            long size = Math.Max(FirstSegmentSlots << Math.Min(next, 4), 2L * slots);
            // The segments below this one stay in use (their frames are live); past the limit, the recursion traps as
            // compiled code's would when its frames fill the native stack.
            long below = 0;
            for (int i = 0; i < next; i++) below += _segments[i].Length;
            if (below + size > MaxSlots)
            {
                size = Math.Max(slots, MaxSlots - below);
                if (below + size > MaxSlots) WasmOps.ThrowCallStackExhausted();
            }
            var array = GC.AllocateUninitializedArray<ulong>((int)size, pinned: true);
            if (next == _segments.Count) _segments.Add(array);
            else _segments[next] = array;
        }
        _segment = next;
        var segment = _segments[next];
        Top = Base(segment);
        End = Top + segment.Length;
    }

    private static ulong* Base(ulong[] pinned) => (ulong*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
}
