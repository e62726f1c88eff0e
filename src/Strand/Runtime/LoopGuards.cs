using System.Runtime.CompilerServices;

namespace Strand.Runtime;

/// <summary>
/// The entry guard of a versioned loop (docs/compiler.md, "Loop versioning"; <c>FunctionCompiler.LoopVersioning.cs</c>):
/// a bound on the iterations a loop can run, computed from its induction variable's value at entry, and the test that
/// every access through an induction variable over those iterations is inside memory 0. Each answers "no" whenever it
/// cannot prove the bound; the compiled code then runs the loop's checked copy.
/// </summary>
internal static class LoopGuards
{
    /// <summary>Continue conditions <c>x op bound</c> of the exit test (x: the induction variable's tested value).</summary>
    public const int Ne = 0, LtU = 1, LtS = 2, LeU = 3, LeS = 4, GtU = 5, GtS = 6, GeU = 7, GeS = 8;

    /// <summary>
    /// The index J of the first iteration whose exit test fails, for an induction variable with value
    /// <paramref name="start"/> at loop entry that adds <paramref name="step"/> (non-zero, |step| ≤ 65536, i32 wrapping)
    /// once per iteration; the test in iteration j sees <c>start + (j + afterIncrement)·step</c> and the loop goes on while
    /// <c>x op bound</c> holds (<paramref name="op"/> one of the constants above, x on the left). So at most iterations
    /// 0..J run, iteration J only up to the test. −1 when no such bound follows from this rule (a wrap of the tested value
    /// before the exit, a stride that never meets the bound, a direction that moves away from it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ExitIteration(int start, int bound, int step, int afterIncrement, int op)
    {
        long t = afterIncrement;
        switch (op)
        {
            case Ne:
            {
                // The first k ≥ 0 with start + k·step ≡ bound (mod 2^32) is dist / |step| when |step| divides the distance
                // (a smaller k·|step| < dist < 2^32 cannot be ≡ dist); other solutions are not counted.
                uint dist = step > 0 ? (uint)(bound - start) : (uint)(start - bound);
                long m = Math.Abs((long)step);
                if (dist % m != 0) return -1;
                long k = dist / m;
                return k >= t ? k - t : -1;
            }
            case LtU or LtS or LeU or LeS:
            {
                if (step <= 0) return -1;
                bool signed = op is LtS or LeS;
                long x0 = signed ? start : (uint)start;
                long n = (signed ? bound : (long)(uint)bound) + (op is LeU or LeS ? 1 : 0);
                // The first k ≥ t with x0 + k·step ≥ n; the values before it are below n, so none wrapped; that one must not.
                long k = n - x0 <= 0 ? 0 : (n - x0 + step - 1) / step;
                if (k < t) k = t;
                long last = x0 + k * step;
                return last <= (signed ? int.MaxValue : uint.MaxValue) ? k - t : -1;
            }
            case GtU or GtS or GeU or GeS:
            {
                if (step >= 0) return -1;
                bool signed = op is GtS or GeS;
                long m = -(long)step;
                long x0 = signed ? start : (uint)start;
                long n = (signed ? bound : (long)(uint)bound) - (op is GeU or GeS ? 1 : 0);
                long k = x0 - n <= 0 ? 0 : (x0 - n + m - 1) / m;
                if (k < t) k = t;
                long last = x0 - k * m;
                return last >= (signed ? int.MinValue : 0) ? k - t : -1;
            }
            default:
                return -1;
        }
    }

    /// <summary>
    /// True when every access of one group fits in a memory of <paramref name="length"/> bytes: addresses
    /// <c>base + constOffset + (v &lt;&lt; shift)</c> (i32 arithmetic) plus <paramref name="end"/> (the largest offset + size),
    /// where v = <paramref name="value"/> + i·<paramref name="step"/> for the increment counts i in
    /// [after, exitIteration − passed + after] (<paramref name="after"/>: 1 when the value was read after the variable's
    /// increment in the iteration; <paramref name="passed"/>: 1 when the access comes after the exit test, so not in
    /// iteration J). Proves that no i32 sum wraps: every 64-bit sum is at most <paramref name="length"/> ≤ 2^32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Fits(long exitIteration, int passed, int value, int step, int after, int baseValue, long constOffset, int shift,
        long end, long length)
    {
        long lo = after, hi = exitIteration - passed + after;
        if (hi < lo) return true; // the access runs in no iteration
        long first = (uint)value + lo * step, last = (uint)value + hi * step;
        long min = Math.Min(first, last), max = Math.Max(first, last);
        if (min < 0 || max > uint.MaxValue) return false;
        return (uint)baseValue + constOffset + (max << shift) + end <= length;
    }
}
