using System.Runtime.CompilerServices;

namespace Strand.Runtime;

/// <summary>
/// A reference value as compiled code holds it: in locals, operands, parameters and results, globals, struct fields and
/// array elements (spec 4.2.x, "reference values": <c>ref.null</c>, <c>ref.i31</c>, <c>ref.struct</c>, <c>ref.array</c>,
/// <c>ref.func</c>, <c>ref.exn</c>, <c>ref.host</c>, <c>ref.extern</c>).
/// <para>
/// The .NET heap has no tagged pointers, so an <c>i31ref</c> cannot hide in an object reference the way engines keep it
/// in a pointer's low bit. Instead every reference is this 16-byte pair: <see cref="Object"/> is the object (null for
/// <c>ref.null</c>), or the marker <see cref="I31Tag.Instance"/> for an i31 whose value is <see cref="Bits"/>. So
/// <c>ref.i31</c> never allocates, and since every other reference has <see cref="Bits"/> 0, <c>ref.eq</c> compares both
/// fields without a type test. Where a reference leaves compiled code (the host API, tables, exception payloads) an i31
/// is boxed as an <see cref="I31Ref"/> (<see cref="ToObject"/>) and unboxed again on the way in (<see cref="Of"/>).
/// </para>
/// </summary>
internal readonly struct RefValue : IEquatable<RefValue>
{
    private RefValue(object? obj, int bits)
    {
        Object = obj;
        Bits = bits;
    }

    /// <summary>The referenced object; null for a null reference; <see cref="I31Tag.Instance"/> for an i31.</summary>
    public readonly object? Object;

    /// <summary>An i31's value, sign-extended from 31 bits; 0 for every other reference.</summary>
    public readonly int Bits;

    /// <summary><c>ref.null</c> of any type.</summary>
    public static RefValue Null
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => default;
    }

    /// <summary>A reference to <paramref name="obj"/>, which is never a boxed <see cref="I31Ref"/> (a GC object, function, exception).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RefValue Wrap(object? obj) => new(obj, 0);

    /// <summary>The reference stored as <paramref name="obj"/> and <paramref name="bits"/> (a struct field that may hold an i31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RefValue Make(object? obj, int bits) => new(obj, bits);

    /// <summary>The compiled form of a reference in its host form: a boxed <see cref="I31Ref"/> becomes an unboxed i31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RefValue Of(object? obj) => obj is I31Ref boxed ? new(I31Tag.Instance, boxed.Value) : new(obj, 0);

    /// <summary><c>ref.i31</c>: the i31 of the low 31 bits of <paramref name="bits"/> (spec 4.4.x, wrap then sign-extend on read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RefValue I31(int bits) => new(I31Tag.Instance, (bits << 1) >> 1);

    /// <summary>True for an i31.</summary>
    public bool IsI31
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ReferenceEquals(Object, I31Tag.Instance);
    }

    /// <summary>The host form: the object, null, or an i31 boxed as an <see cref="I31Ref"/>.</summary>
    public object? ToObject() => IsI31 ? I31Ref.Box(Bits) : Object;

    /// <summary><see cref="ToObject"/> as a static method (for generated host stubs).</summary>
    public static object? Box(RefValue reference) => reference.ToObject();

    /// <summary>The same reference (<c>ref.eq</c>): the same object, or two i31s of the same value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(RefValue other) => ReferenceEquals(Object, other.Object) && Bits == other.Bits;

    /// <summary>Equality as <see cref="Equals(RefValue)"/>.</summary>
    public override bool Equals(object? obj) => obj is RefValue other && Equals(other);

    /// <summary>A hash of the object's identity and the i31 value.</summary>
    public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(Object!), Bits);

    /// <summary>The host form's text, for diagnostics.</summary>
    public override string ToString() => ToObject()?.ToString() ?? "null";
}

/// <summary>The marker object of an unboxed i31 in <see cref="RefValue.Object"/>; never seen outside compiled code.</summary>
internal sealed class I31Tag
{
    private I31Tag() { }

    /// <summary>The one marker.</summary>
    public static readonly I31Tag Instance = new();

    /// <summary>Says what it is, should one ever be printed.</summary>
    public override string ToString() => "i31 (unboxed)";
}
