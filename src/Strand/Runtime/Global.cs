using Strand.Binary;
using Strand.Runtime;

namespace Strand;

/// <summary>
/// A WebAssembly global variable. The value lives in the field for its type; compiled code reads
/// and writes those fields directly (floats keep their exact bits, NaN payloads included).
/// </summary>
public sealed class Global : Extern
{
    internal int I32;
    internal long I64;
    internal float F32;
    internal double F64;
    internal System.Runtime.Intrinsics.Vector128<byte> V128;
    internal RefValue Ref;

    /// <summary>A host global of <paramref name="type"/> holding <paramref name="initialValue"/>, which must have the global's value type.</summary>
    /// <exception cref="ArgumentException">the value's type is not the global's</exception>
    public Global(GlobalType type, Value initialValue)
    {
        ValueTypeCheck.RequireHostType(type.Type, nameof(type));
        Type = type;
        Store(initialValue);
    }

    /// <summary>A host global of value type <paramref name="type"/>, mutable or not, holding <paramref name="initialValue"/>.</summary>
    public Global(ValType type, bool mutable, Value initialValue) : this(new GlobalType(type, mutable), initialValue) { }

    /// <summary>The global's value type and mutability.</summary>
    public GlobalType Type { get; }

    /// <summary>Always <see cref="ExternalKind.Global"/>.</summary>
    public override ExternalKind Kind => ExternalKind.Global;

    /// <summary>The global type in text-format style, for diagnostics.</summary>
    public override string DescribeType() => TypeText.Describe(Type);

    /// <summary>The current value. Setting an immutable global throws <see cref="InvalidOperationException"/>.</summary>
    public Value Value
    {
        get => Type.Type switch
        {
            ValType.I32 => Value.I32(I32),
            ValType.I64 => Value.I64(I64),
            ValType.F32 => Value.F32Bits(BitConverter.SingleToUInt32Bits(F32)),
            ValType.F64 => Value.F64Bits(BitConverter.DoubleToUInt64Bits(F64)),
            ValType.V128 => Value.V128(V128),
            _ => ValueTypeCheck.ToValue(Type.Type, Ref.ToObject()),
        };
        set
        {
            if (!Type.Mutable) throw new InvalidOperationException("cannot set an immutable global");
            Store(value);
        }
    }

    private void Store(Value value)
    {
        if (ValueTypeCheck.Mismatch(value, Type.Type) is { } reason)
            throw new ArgumentException($"a {Type} global cannot hold this value ({reason})");
        switch (Type.Type)
        {
            case ValType.I32: I32 = value.AsI32; break;
            case ValType.I64: I64 = value.AsI64; break;
            case ValType.F32: F32 = BitConverter.UInt32BitsToSingle((uint)value.Bits); break;
            case ValType.F64: F64 = BitConverter.UInt64BitsToDouble(value.Bits); break;
            case ValType.V128: V128 = value.AsV128; break;
            default:
                Ref = RefValue.Of(value.Reference);
                break;
        }
    }

    /// <summary>The global's type and current value.</summary>
    public override string ToString() => $"global {Type} = {Value}";
}
