namespace Strand.Runtime;

/// <summary>
/// A WebAssembly GC struct (spec 4.2.x struct instances) on the .NET heap, collected by the .NET GC. Opaque to the
/// host: it can be held, passed back and compared, not read. Numeric and vector fields take "bit slots" (an i32/f32 or
/// i64/f64 one, a v128 two), reference fields "reference slots" (the object), in field order (<see cref="GcLayout"/>, inherited from the supertype);
/// a reference field whose type can hold an i31 (anyref, eqref, i31ref, externref) also takes a bit slot for the i31's
/// value (<see cref="RefValue"/>), so no i31 is ever boxed. The
/// first four slots of each kind are fields of the object itself, so a small struct is one allocation; further slots
/// are in <see cref="MoreBits"/> and <see cref="MoreRefs"/>.
/// </summary>
public sealed class GcStruct
{
    internal GcStruct(int typeId, int bitSlots, int refSlots)
    {
        TypeId = typeId;
        MoreBits = bitSlots <= InlineSlots ? [] : new long[bitSlots - InlineSlots];
        MoreRefs = refSlots <= InlineSlots ? [] : new object?[refSlots - InlineSlots];
    }

    /// <summary>Slots of each kind held in the object itself.</summary>
    internal const int InlineSlots = 4;

    /// <summary>The canonical id of the struct's type (its run-time type, for casts).</summary>
    internal readonly int TypeId;
    internal long B0, B1, B2, B3;
    internal object? R0, R1, R2, R3;
    internal readonly long[] MoreBits;
    internal readonly object?[] MoreRefs;

    /// <summary>Bit slot <paramref name="slot"/> (a constant at every call site: the JIT folds the switch).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal ref long Bit(int slot)
    {
        switch (slot)
        {
            case 0: return ref B0;
            case 1: return ref B1;
            case 2: return ref B2;
            case 3: return ref B3;
            default: return ref MoreBits[slot - InlineSlots];
        }
    }

    /// <summary>Reference slot <paramref name="slot"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal ref object? Ref(int slot)
    {
        switch (slot)
        {
            case 0: return ref R0;
            case 1: return ref R1;
            case 2: return ref R2;
            case 3: return ref R3;
            default: return ref MoreRefs[slot - InlineSlots];
        }
    }

    /// <summary>"struct" and the type's id, for diagnostics.</summary>
    public override string ToString() => $"struct (type#{TypeId})";
}

/// <summary>
/// A WebAssembly GC array on the .NET heap: the elements in a .NET array of their storage type (sbyte for i8, short
/// for i16, int, long, float, double, Vector128&lt;byte&gt;; for references <see cref="RefValue"/> when the element type can hold an i31, else object). Opaque to the host.
/// </summary>
public abstract class GcArray
{
    private protected GcArray(int typeId) => TypeId = typeId;

    /// <summary>The canonical id of the array's type.</summary>
    internal readonly int TypeId;

    /// <summary>The number of elements.</summary>
    internal abstract int Length { get; }

    /// <summary>The elements as a .NET array (for array.copy between arrays of the same storage type).</summary>
    internal abstract Array Data { get; }

    /// <summary>"array", the type's id and length, for diagnostics.</summary>
    public override string ToString() => $"array (type#{TypeId}) [{Length}]";
}

/// <summary>A GC array whose elements are stored as <typeparamref name="T"/>.</summary>
internal sealed class GcArray<T> : GcArray
{
    public GcArray(int typeId, T[] elements) : base(typeId) => Elements = elements;

    public readonly T[] Elements;
    internal override int Length => Elements.Length;
    internal override Array Data => Elements;
}

/// <summary>
/// An <c>i31ref</c> as the host sees it: a 31-bit integer as a reference (spec 4.2.x). Compiled code keeps i31s unboxed
/// (<see cref="RefValue"/>); they are boxed as this class only where they reach the host or a table. Values in
/// [-1024, 1023] are preallocated and shared. Two boxes of the same value are the same reference to wasm.
/// </summary>
public sealed class I31Ref
{
    private I31Ref(int value) => Value = value;

    /// <summary>The 31-bit value, sign-extended to 32 bits.</summary>
    public int Value { get; }

    private static readonly I31Ref[] Small = Enumerable.Range(-1024, 2048).Select(v => new I31Ref(v)).ToArray();

    /// <summary>The smallest value an i31 holds (-2^30).</summary>
    public const int MinValue = -(1 << 30);

    /// <summary>The largest value an i31 holds (2^30 - 1).</summary>
    public const int MaxValue = (1 << 30) - 1;

    /// <summary>
    /// An i31 the host makes (what <c>ref.i31</c> makes of the same value), to pass as an <c>anyref</c>, <c>eqref</c> or
    /// <c>i31ref</c> (<see cref="Runtime.Value.AnyRef"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside [<see cref="MinValue"/>, <see cref="MaxValue"/>]
    /// (an i31 is 31 bits; <c>ref.i31</c> itself would wrap it)</exception>
    public static I31Ref Create(int value) =>
        value is >= MinValue and <= MaxValue ? Box(value)
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"an i31 holds {MinValue}..{MaxValue}");

    /// <summary>The box of an i31 whose sign-extended value is <paramref name="value"/>.</summary>
    internal static I31Ref Box(int value) => value is >= -1024 and < 1024 ? Small[value + 1024] : new I31Ref(value);

    /// <summary>Two boxes of the same i31 are the same reference (as <c>ref.eq</c> says): equal by <see cref="Value"/>.</summary>
    public override bool Equals(object? obj) => obj is I31Ref other && other.Value == Value;

    /// <summary>The value's hash, consistent with <see cref="Equals(object?)"/>.</summary>
    public override int GetHashCode() => Value;

    /// <summary>"i31" and the value.</summary>
    public override string ToString() => $"i31 {Value}";
}
