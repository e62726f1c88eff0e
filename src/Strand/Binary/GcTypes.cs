namespace Strand.Binary;

/// <summary>The kind of a composite type (spec 2.3.6 <c>comptype</c>): a function, a struct or an array.</summary>
public enum CompositeKind : byte
{
    /// <summary><c>func</c> (binary 0x60).</summary>
    Func,
    /// <summary><c>struct</c> (GC, binary 0x5F).</summary>
    Struct,
    /// <summary><c>array</c> (GC, binary 0x5E).</summary>
    Array,
}

/// <summary>A packed storage type of a GC field (spec 2.3.5 <c>packtype</c>), or none for a field of a value type.</summary>
public enum PackedType : byte
{
    /// <summary>The field holds a value of its <see cref="FieldType.Type"/>.</summary>
    None = 0,
    /// <summary><c>i8</c> (binary 0x78): an i32 stored in 8 bits.</summary>
    I8 = 0x78,
    /// <summary><c>i16</c> (binary 0x77): an i32 stored in 16 bits.</summary>
    I16 = 0x77,
}

/// <summary>
/// A GC field or array element type (spec 2.3.5 <c>fieldtype</c>): a storage type (a value type, or a packed i8/i16
/// whose <see cref="Type"/> is i32) and its mutability.
/// </summary>
/// <param name="Type">The value type read and written (i32 for a packed field).</param>
/// <param name="Packed">The packed storage, or <see cref="PackedType.None"/>.</param>
/// <param name="Mutable">True for <c>(mut ...)</c>.</param>
public readonly record struct FieldType(ValType Type, PackedType Packed, bool Mutable)
{
    /// <summary>The text-format form: <c>i32</c>, <c>(mut i8)</c>, ...</summary>
    public override string ToString()
    {
        string storage = Packed switch { PackedType.I8 => "i8", PackedType.I16 => "i16", _ => Type.ToWat() };
        return Mutable ? $"(mut {storage})" : storage;
    }
}

/// <summary>
/// A type definition (spec 2.3.7 <c>subtype</c>): a composite type (<see cref="Func"/>, or the <see cref="Fields"/> of a
/// struct or the one element field of an array), whether it is final, and its declared supertype (at most one).
/// A plain <c>(type (func ...))</c> is final with no supertype.
/// </summary>
public sealed class SubType
{
    /// <summary>A type definition; <paramref name="func"/> for a function type, <paramref name="fields"/> for a struct (its fields) or an array (one element field).</summary>
    public SubType(CompositeKind kind, FuncType? func, FieldType[] fields, bool final, uint[] supertypes)
    {
        Kind = kind;
        Func = func;
        Fields = fields;
        Final = final;
        Supertypes = supertypes;
    }

    /// <summary>Function, struct or array.</summary>
    public CompositeKind Kind { get; }
    /// <summary>The signature of a function type; null otherwise.</summary>
    public FuncType? Func { get; }
    /// <summary>A struct's fields in order, or an array's single element field; empty for a function type.</summary>
    public FieldType[] Fields { get; }
    /// <summary>True if no type may declare this one as its supertype (<c>sub final</c>, and every plain definition).</summary>
    public bool Final { get; }
    /// <summary>The declared supertypes' type indices (at most one is valid).</summary>
    public uint[] Supertypes { get; }

    /// <summary>A plain function type: final, no supertype.</summary>
    public static SubType OfFunction(FuncType func) => new(CompositeKind.Func, func, [], final: true, []);

    /// <summary>The definition in text-format style, e.g. <c>(sub final (struct (field (mut i32))))</c>.</summary>
    public override string ToString()
    {
        string composite = Kind switch
        {
            CompositeKind.Func => $"(func {Func})",
            CompositeKind.Struct => $"(struct{string.Concat(Fields.Select(f => $" (field {f})"))})",
            _ => $"(array {Fields[0]})",
        };
        return Final && Supertypes.Length == 0 ? composite : $"(sub{(Final ? " final" : "")}{string.Concat(Supertypes.Select(s => $" {s}"))} {composite})";
    }
}
