using Strand.Binary;

namespace Strand.Runtime;

/// <summary>
/// Where the fields of a struct type live in a <see cref="GcStruct"/> (bit and reference slots), or how an array type
/// stores its elements (<see cref="GcArray{T}"/> of RefValue or of object): one layout per canonical type, computed when
/// the type is registered (<see cref="Validation.TypeRegistry"/>).
/// <para>
/// A reference field keeps an i31's bits beside the object if it may hold an i31. That is decided by the field's type
/// in the root of the type's declared supertype chain, not by the type's own field type: an immutable field may be
/// narrowed by a subtype (<c>eqref</c> to <c>structref</c>, spec 3.3.4 composite subtyping), and an access through the
/// supertype (<c>struct.get $super</c>, <c>array.get $super</c> on a subtype's object) must find every field where the
/// supertype's layout puts it. So a subtype inherits its supertype's layout for the inherited fields and appends its own.
/// </para>
/// </summary>
internal sealed class GcLayout
{
    private GcLayout((int Slot, int I31Slot)[] fields, int bitSlots, int refSlots)
    {
        _fields = fields;
        BitSlots = bitSlots;
        RefSlots = refSlots;
    }

    private readonly (int Slot, int I31Slot)[] _fields;

    /// <summary>The number of bit slots (an i32/i64/f32/f64 one, a v128 two, an i31's bits one) of a struct of this type.</summary>
    public int BitSlots { get; }

    /// <summary>The number of reference slots of a struct of this type.</summary>
    public int RefSlots { get; }

    /// <summary>
    /// Field <paramref name="field"/>'s slot (a reference slot for a reference, else a bit slot) and, for a reference
    /// that may hold an i31, the bit slot of its value (else -1). For an array type, field 0 is the element.
    /// </summary>
    public (int Slot, int I31Slot) Field(int field) => _fields[field];

    /// <summary>True if the elements of an array of this type are stored as <see cref="RefValue"/>s (they may be i31s), not objects.</summary>
    public bool ElementHoldsI31 => _fields.Length > 0 && _fields[0].I31Slot >= 0;

    /// <summary>
    /// The layout of a struct or array type with <paramref name="fields"/> whose declared supertype has layout
    /// <paramref name="super"/> (null for none): the supertype's fields keep their slots and their choice of i31 bits,
    /// the new fields follow, a reference one with i31 bits if its type can hold an i31 (<see cref="ValTypes.CanHoldI31"/>).
    /// </summary>
    public static GcLayout Create(FieldType[] fields, GcLayout? super)
    {
        var slots = new (int, int)[fields.Length];
        int bits = 0, refs = 0;
        for (int k = 0; k < fields.Length; k++)
        {
            var type = fields[k].Type;
            if (!type.IsReference())
            {
                slots[k] = (bits, -1);
                bits += type == ValType.V128 ? 2 : 1;
                continue;
            }
            bool holdsI31 = super is not null && k < super._fields.Length ? super._fields[k].I31Slot >= 0 : type.CanHoldI31();
            slots[k] = (refs++, holdsI31 ? bits++ : -1);
        }
        return new GcLayout(slots, bits, refs);
    }
}
