using System.Runtime.Intrinsics;
using Strand.Binary;

namespace Strand.Runtime;

/// <summary>
/// A WebAssembly value for untyped calls (<c>Instance.Invoke</c>) and globals. Floats are kept
/// as raw bits so NaN payloads survive round trips. References are objects: a funcref is a
/// <see cref="FunctionReference"/> or null, an externref is any host object or null.
/// </summary>
public readonly struct Value : IEquatable<Value>
{
    private readonly ulong _bits;
    private readonly ulong _high; // the upper 64 bits of a v128; zero for every other type
    private readonly object? _ref;

    private Value(ValType type, ulong bits, object? reference, ulong high = 0)
    {
        Type = type;
        _bits = bits;
        _ref = reference;
        _high = high;
    }

    /// <summary>The value type (spec 2.3.4).</summary>
    public ValType Type { get; }

    /// <summary>An i32 (signedness is in the instructions, not the value: pass <c>unchecked((int)u)</c> for a <c>uint</c>).</summary>
    public static Value I32(int v) => new(ValType.I32, (uint)v, null);
    /// <summary>An i64.</summary>
    public static Value I64(long v) => new(ValType.I64, (ulong)v, null);
    /// <summary>An f32 with the bits of <paramref name="v"/>.</summary>
    public static Value F32(float v) => new(ValType.F32, BitConverter.SingleToUInt32Bits(v), null);
    /// <summary>An f64 with the bits of <paramref name="v"/>.</summary>
    public static Value F64(double v) => new(ValType.F64, BitConverter.DoubleToUInt64Bits(v), null);
    /// <summary>An f32 from its IEEE 754 bit pattern (any NaN payload kept).</summary>
    public static Value F32Bits(uint bits) => new(ValType.F32, bits, null);
    /// <summary>An f64 from its IEEE 754 bit pattern (any NaN payload kept).</summary>
    public static Value F64Bits(ulong bits) => new(ValType.F64, bits, null);
    /// <summary>A v128 (spec 2.3.2 vector type) with the 16 bytes of <paramref name="v"/>, lane 0 first (little-endian, as in memory).</summary>
    public static Value V128(Vector128<byte> v)
    {
        var longs = v.AsUInt64();
        return new(ValType.V128, longs.GetElement(0), null, longs.GetElement(1));
    }
    /// <summary>A funcref: <paramref name="f"/>, or null for <c>ref.null func</c>.</summary>
    public static Value FuncRef(FunctionReference? f) => new(ValType.FuncRef, 0, f);
    /// <summary>An externref holding any host object, or null for <c>ref.null extern</c>.</summary>
    public static Value ExternRef(object? o) => new(ValType.ExternRef, 0, o);
    /// <summary>
    /// An anyref (GC, spec 4.2 "reference values"): a struct or array a function gave the host, an i31
    /// (<see cref="I31Ref.Create"/>), null for <c>ref.null any</c>, or any other host object, which becomes an
    /// "externalized" reference as <c>any.convert_extern</c> makes one: of type <c>any</c> but not <c>eq</c>, and given
    /// back unchanged by <c>extern.convert_any</c>.
    /// </summary>
    public static Value AnyRef(object? reference) => new(ValType.AnyRef, 0, reference);
    /// <summary>An exnref (exception handling): a caught exception, or null for <c>ref.null exn</c>.</summary>
    public static Value ExnRef(WasmException? e) => new(ValType.ExnRef, 0, e);
    /// <summary>A reference value of kind <paramref name="kind"/> (funcref, externref, exnref, anyref) holding <paramref name="reference"/>, unchecked.</summary>
    internal static Value OfReference(ValType kind, object? reference) => new(kind, 0, reference);
    /// <summary>The null reference of <paramref name="refType"/>'s hierarchy (a value of funcref, externref or exnref).</summary>
    public static Value Null(ValType refType) => new(Validation.TypeRegistry.KindOf(refType), 0, null);
    /// <summary>The zero / null value of a type, as locals and tables are initialised.</summary>
    public static Value Default(ValType type) => new(Validation.TypeRegistry.KindOf(type), 0, null);

    /// <summary>The value as an i32 (the low 32 bits; meaningful when <see cref="Type"/> is i32).</summary>
    public int AsI32 => (int)_bits;
    /// <summary>The value as an i64 (meaningful when <see cref="Type"/> is i64).</summary>
    public long AsI64 => (long)_bits;
    /// <summary>The value as an f32 (meaningful when <see cref="Type"/> is f32).</summary>
    public float AsF32 => BitConverter.UInt32BitsToSingle((uint)_bits);
    /// <summary>The value as an f64 (meaningful when <see cref="Type"/> is f64).</summary>
    public double AsF64 => BitConverter.UInt64BitsToDouble(_bits);
    /// <summary>The value as a v128, bytes in lane order (meaningful when <see cref="Type"/> is v128; zero otherwise).
    /// Reinterpret with <c>AsInt32()</c>, <c>AsSingle()</c> and so on for other lane shapes.</summary>
    public Vector128<byte> AsV128 => Vector128.Create(_bits, _high).AsByte();
    /// <summary>Raw bits of a numeric value (i32 zero-extended, f32 in the low 32 bits).</summary>
    public ulong Bits => _bits;
    /// <summary>The referenced object of a funcref (<see cref="FunctionReference"/>) or externref; null for a null reference or a number.</summary>
    public object? Reference => _ref;
    /// <summary>True for a null reference of a reference type.</summary>
    public bool IsNull => Type.IsReference() && _ref is null;

    /// <summary>Converts to the natural CLR value: int, long, float, double, <c>Vector128&lt;byte&gt;</c> (v128), or the reference.</summary>
    public object? ToObject() => Type switch
    {
        ValType.I32 => AsI32,
        ValType.I64 => AsI64,
        ValType.F32 => AsF32,
        ValType.F64 => AsF64,
        ValType.V128 => AsV128,
        _ => _ref,
    };

    /// <summary>
    /// Same type, same bits (NaNs compare by bit pattern) and the same reference: the same object, or two boxes of the
    /// same i31 (<see cref="I31Ref"/>: an i31 is boxed afresh each time it leaves compiled code, so reading one global
    /// twice gives two boxes of one reference).
    /// </summary>
    public bool Equals(Value other) => Type == other.Type && _bits == other._bits && _high == other._high
        && (ReferenceEquals(_ref, other._ref) || (_ref is I31Ref a && other._ref is I31Ref b && a.Value == b.Value));
    /// <summary>See <see cref="Equals(Value)"/>.</summary>
    public override bool Equals(object? obj) => obj is Value v && Equals(v);
    /// <summary>A hash consistent with <see cref="Equals(Value)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(Type, _bits, _high, _ref is I31Ref i31 ? i31.Value : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_ref));

    /// <summary>The value in the form "i32:42".</summary>
    public override string ToString() => Type switch
    {
        ValType.I32 => $"i32:{AsI32}",
        ValType.I64 => $"i64:{AsI64}",
        ValType.F32 => $"f32:{AsF32.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}",
        ValType.F64 => $"f64:{AsF64.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}",
        ValType.V128 => $"v128:0x{_high:x16}{_bits:x16}",
        ValType.FuncRef => _ref is null ? "funcref:null" : "funcref",
        ValType.ExternRef => _ref is null ? "externref:null" : $"externref:{_ref}",
        ValType.ExnRef => _ref is null ? "exnref:null" : "exnref",
        ValType.AnyRef => _ref is null ? "anyref:null" : "anyref",
        _ => Type.ToString(),
    };
}
