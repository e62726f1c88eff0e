using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Static bounds: accesses to memory 0 whose address is known, at compile time, to stay below the memory's declared
/// minimum size need no check.
/// </summary>
/// <remarks>
/// Memory 0 is never smaller than its declared minimum (an imported memory's actual size is at least the minimum its
/// import declares) and never shrinks. So an access whose effective address plus size cannot exceed that minimum is in
/// bounds whenever it runs. The compile-time stack mirror carries, per i32 value, an interval of the unsigned values it
/// may have (<see cref="_ranges"/>):
/// <list type="bullet">
/// <item><c>i32.const c</c>: [c, c] (C and C++ globals, addressed by constants);</item>
/// <item><c>local.get $i</c> inside a counted loop (<see cref="CountedLoopAt"/>) before its final increment: the
/// counter's values init + k·step for k in [0, trips), when they do not cross the 2^32 boundary (the loop's only write of
/// $i is that increment, its only back edge the final br_if, and every entry passes the constant initialisation);</item>
/// <item><c>i32.add</c> of two known intervals when every sum has the same quotient by 2^32 (all wrap or none does; the
/// LLVM form <c>$i + c</c> with $i counting up from a negative value to zero wraps on every iteration).</item>
/// </list>
/// Anything else is unknown. An access through a known interval [lo, hi] with offset o and size s skips the check when
/// hi + o + s is at most the minimum; it records no redundant-check fact.
/// </remarks>
internal sealed partial class FunctionCompiler
{
    /// <summary>An interval of unsigned 32-bit values, or unknown (<see cref="Known"/> false, the default).</summary>
    /// <remarks><see cref="Affine"/>: inside a versioned loop, the value's affine form (FunctionCompiler.LoopVersioning.cs).</remarks>
    private readonly record struct ValueRange(uint Lo, uint Hi, bool Known, AffineAddress Affine = default)
    {
        public static ValueRange Of(uint lo, uint hi) => new(lo, hi, true);
    }

    /// <summary>Per value of the stack mirror, its interval when known (parallel to <see cref="_stack"/>).</summary>
    private readonly List<ValueRange> _ranges = new();

    /// <summary>Counters of the enclosing counted loops, with their interval inside the body (until their increment).</summary>
    private readonly Dictionary<int, ValueRange> _counterRanges = new();

    /// <summary>Memory 0's declared minimum size in bytes, a lower bound of its length at any time; 0 when not a 32-bit memory 0.</summary>
    private ulong MinimumMemory0Bytes =>
        _module.Definition.TotalMemoryCount > 0 && _module.Definition.GetMemoryType(0).Limits is { Is64: false } limits
            ? limits.Min * 65536UL : 0;

    /// <summary>Before instruction <paramref name="ins"/> is emitted: the interval of the value it will push, if known.</summary>
    private ValueRange RangeBefore(in Instruction ins)
    {
        if (_versionedLoop is null) return IntervalBefore(in ins);
        // Inside a versioned loop: the interval (static bounds win where they apply) and the affine form.
        var affine = AffineBefore(in ins);
        var interval = IntervalBefore(in ins);
        return affine.Valid ? interval with { Affine = affine } : interval;
    }

    private ValueRange IntervalBefore(in Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.I32Const:
                return ValueRange.Of((uint)ins.I32, (uint)ins.I32);
            case Opcode.LocalGet:
                return _counterRanges.TryGetValue((int)ins.Index, out var counter) ? counter : default;
            case Opcode.I32Add when BothKnown(out var a, out var b):
            {
                ulong lo = (ulong)a.Lo + b.Lo, hi = (ulong)a.Hi + b.Hi;
                return (lo >> 32) == (hi >> 32) ? ValueRange.Of((uint)lo, (uint)hi) : default;
            }
            case Opcode.I32Mul when BothKnown(out var a, out var b):
            {
                ulong hi = (ulong)a.Hi * b.Hi;
                return hi <= uint.MaxValue ? ValueRange.Of(a.Lo * b.Lo, (uint)hi) : default;
            }
            case Opcode.I32Shl when BothKnown(out var a, out var b) && b.Lo == b.Hi:
            {
                int k = (int)(b.Lo & 31);
                return ((ulong)a.Hi << k) <= uint.MaxValue ? ValueRange.Of(a.Lo << k, a.Hi << k) : default;
            }
            case Opcode.I32ShrU when _ranges.Count >= 2 && _ranges[^1] is { Known: true } shift && shift.Lo == shift.Hi:
            {
                int k = (int)(shift.Lo & 31);
                var a = _ranges[^2];
                return a.Known ? ValueRange.Of(a.Lo >> k, a.Hi >> k) : ValueRange.Of(0, uint.MaxValue >> k);
            }
            case Opcode.I32And when _ranges.Count >= 2 && (_ranges[^1].Known || _ranges[^2].Known):
                // x & y is at most the smaller of the two (an unknown operand is at most 2^32 - 1).
                return ValueRange.Of(0, Math.Min(_ranges[^1].Known ? _ranges[^1].Hi : uint.MaxValue, _ranges[^2].Known ? _ranges[^2].Hi : uint.MaxValue));
            case Opcode.I32RemU when _ranges.Count >= 2 && _ranges[^1] is { Known: true, Hi: > 0 } divisor:
                // x % d < d (d = 0 traps); at most x too.
                return ValueRange.Of(0, Math.Min(divisor.Hi - 1, _ranges[^2].Known ? _ranges[^2].Hi : uint.MaxValue));
            case Opcode.I32Load8U or Opcode.I32AtomicLoad8U:
                return ValueRange.Of(0, byte.MaxValue);
            case Opcode.I32Load16U or Opcode.I32AtomicLoad16U:
                return ValueRange.Of(0, ushort.MaxValue);
            case Opcode.I32Eqz or Opcode.I64Eqz or (>= Opcode.I32Eq and <= Opcode.F64Ge):
                return ValueRange.Of(0, 1);
            default:
                return default;
        }
    }

    /// <summary>The intervals of the two operands on top of the stack, when both are known.</summary>
    private bool BothKnown(out ValueRange below, out ValueRange top)
    {
        below = _ranges.Count >= 2 ? _ranges[^2] : default;
        top = _ranges.Count >= 1 ? _ranges[^1] : default;
        return below.Known && top.Known;
    }

    /// <summary>After the instruction whose interval <see cref="RangeBefore"/> gave: records it on the pushed value.</summary>
    private void RangeAfter(ValueRange range)
    {
        if ((range.Known || range.Affine.Valid) && _ranges.Count > 0 && _stack[^1] == ValType.I32) _ranges[^1] = range;
    }

    /// <summary>At a loop (<paramref name="c"/>) at the current position: a counted loop's counter gets its interval.</summary>
    private void EnterCountedLoop(Control c)
    {
        if (CountedLoopAt(_position) is not { } loop) return;
        // The counter's values init + k·step, k in [0, trips): an interval when they do not cross 2^32, unsigned or signed.
        long last = (long)loop.Step * (loop.Trips - 1);
        long u0 = (uint)loop.Init, uEnd = u0 + last;
        long s0 = loop.Init, sEnd = s0 + last;
        ValueRange range;
        if (uEnd is >= 0 and <= uint.MaxValue) range = ValueRange.Of((uint)Math.Min(u0, uEnd), (uint)Math.Max(u0, uEnd));
        else if (sEnd is >= int.MinValue and < 0 && s0 < 0) range = ValueRange.Of((uint)(int)Math.Min(s0, sEnd), (uint)(int)Math.Max(s0, sEnd));
        else return;
        _counterRanges[(int)loop.Counter] = range;
        c.Counter = (int)loop.Counter;
    }

    /// <summary>
    /// True when an access through an address with interval <paramref name="range"/>, at <paramref name="offset"/>, of
    /// <paramref name="size"/> bytes, is inside memory 0's declared minimum.
    /// </summary>
    private bool StaticallyInBounds(ValueRange range, ulong offset, int size) =>
        range.Known && (ulong)range.Hi + offset + (ulong)size <= MinimumMemory0Bytes;
}
