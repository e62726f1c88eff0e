using System.Runtime.Intrinsics;
using Strand.Runtime;
using Strand.Text;

namespace Strand.Tools;

/// <summary>Lane access for comparing v128 results of a script with their expected values.</summary>
internal static class V128Lanes
{
    /// <summary>Lane <paramref name="lane"/> of <paramref name="width"/> bytes (1, 2, 4 or 8), zero-extended.</summary>
    public static ulong Lane(Value v, int lane, int width)
    {
        var bytes = v.AsV128;
        ulong bits = 0;
        for (int i = 0; i < width; i++) bits |= (ulong)bytes.GetElement(lane * width + i) << (8 * i);
        return bits;
    }

    /// <summary>
    /// Every lane of <paramref name="actual"/> matches its pattern: exact bits, or a NaN pattern checked on the lane
    /// as a scalar f32/f64 (by <paramref name="matches"/>, the runner's scalar comparison).
    /// </summary>
    public static bool Match(Value actual, WastExpectedV128 pattern, Func<Value, WastExpected, bool> matches)
    {
        int width = SimdText.LaneBytes(pattern.Shape);
        if (pattern.Lanes.Count != SimdText.LaneCount(pattern.Shape)) return false;
        for (int i = 0; i < pattern.Lanes.Count; i++)
        {
            ulong bits = Lane(actual, i, width);
            var lane = pattern.Shape switch
            {
                V128Shape.F32x4 => Value.F32Bits((uint)bits),
                V128Shape.F64x2 => Value.F64Bits(bits),
                V128Shape.I64x2 => Value.I64((long)bits),
                _ => Value.I32((int)(uint)bits),
            };
            if (!matches(lane, pattern.Lanes[i])) return false;
        }
        return true;
    }
}
