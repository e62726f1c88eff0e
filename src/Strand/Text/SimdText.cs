namespace Strand.Text;

/// <summary>The lane interpretation of a 128-bit vector in the text format (<c>v128.const SHAPE ...</c>).</summary>
public enum V128Shape
{
    /// <summary>Sixteen 8-bit integer lanes.</summary>
    I8x16,
    /// <summary>Eight 16-bit integer lanes.</summary>
    I16x8,
    /// <summary>Four 32-bit integer lanes.</summary>
    I32x4,
    /// <summary>Two 64-bit integer lanes.</summary>
    I64x2,
    /// <summary>Four binary32 lanes.</summary>
    F32x4,
    /// <summary>Two binary64 lanes.</summary>
    F64x2,
}

/// <summary>
/// The text of vector instructions (spec 6.5.8): encoding with <see cref="SimdOperatorTable"/>, <c>v128.const</c>
/// in all its shapes and literal forms, lane indices, <c>i8x16.shuffle</c>, and memory arguments with an optional
/// memory index. Produces bytes only.
/// </summary>
internal static class SimdText
{
    /// <summary>Lanes of the shape.</summary>
    public static int LaneCount(V128Shape shape) => 16 / LaneBytes(shape);

    /// <summary>Bytes per lane.</summary>
    public static int LaneBytes(V128Shape shape) => shape switch
    {
        V128Shape.I8x16 => 1,
        V128Shape.I16x8 => 2,
        V128Shape.I32x4 or V128Shape.F32x4 => 4,
        _ => 8,
    };

    public static bool IsFloat(V128Shape shape) => shape is V128Shape.F32x4 or V128Shape.F64x2;

    /// <summary>Reads the shape keyword after <c>v128.const</c>.</summary>
    public static V128Shape ExpectShape(Cursor c)
    {
        if (c.AtEnd) throw c.ErrorHere("unexpected end of list, expected a vector shape (i8x16, i16x8, i32x4, i64x2, f32x4, f64x2)");
        var atom = c.ExpectAtom();
        return atom.Text switch
        {
            "i8x16" => V128Shape.I8x16,
            "i16x8" => V128Shape.I16x8,
            "i32x4" => V128Shape.I32x4,
            "i64x2" => V128Shape.I64x2,
            "f32x4" => V128Shape.F32x4,
            "f64x2" => V128Shape.F64x2,
            _ => throw atom.Error($"unexpected token {atom.Text}, expected a vector shape (i8x16, i16x8, i32x4, i64x2, f32x4, f64x2)"),
        };
    }

    /// <summary>
    /// One lane literal of <paramref name="shape"/>, as its little-endian bits: integers in the signed or unsigned range
    /// of the lane width (e.g. -128..255 for i8x16), floats in every float literal form. A literal that does not fit
    /// is "constant out of range"; text of another shape is "unexpected token".
    /// </summary>
    public static ulong ParseLane(SAtom atom, V128Shape shape)
    {
        bool ok;
        ulong bits;
        bool outOfRange;
        switch (shape)
        {
            case V128Shape.F32x4:
                ok = Literals.TryParseF32(atom.Text, out uint f, out outOfRange);
                bits = f;
                break;
            case V128Shape.F64x2:
                ok = Literals.TryParseF64(atom.Text, out bits, out outOfRange);
                break;
            default:
                ok = Literals.TryParseInt(atom.Text, LaneBytes(shape) * 8, out bits, out outOfRange);
                break;
        }
        if (!ok) throw atom.Error($"unexpected token {atom.Text}, expected a{(IsFloat(shape) ? " float" : "n integer")} lane of {shape.ToString().ToLowerInvariant()}");
        if (outOfRange) throw atom.Error(Literals.OutOfRange);
        return bits;
    }

    /// <summary>Writes one lane's bits into the vector's bytes, little-endian.</summary>
    public static void PutLane(Span<byte> vector, V128Shape shape, int lane, ulong bits)
    {
        int width = LaneBytes(shape);
        for (int i = 0; i < width; i++) vector[lane * width + i] = (byte)(bits >> (8 * i));
    }

    /// <summary>
    /// <c>SHAPE lane*</c> after <c>v128.const</c>: exactly as many literals as the shape has lanes. Returns the 16 bytes.
    /// </summary>
    public static byte[] ParseConst(Cursor c)
    {
        var shape = ExpectShape(c);
        var bytes = new byte[16];
        int lanes = LaneCount(shape);
        for (int i = 0; i < lanes; i++)
        {
            if (c.Peek() is null or SList)
                throw c.ErrorHere($"wrong number of lane literals: {shape.ToString().ToLowerInvariant()} needs {lanes}, got {i}");
            PutLane(bytes, shape, i, ParseLane(c.ExpectAtom(), shape));
        }
        if (c.PeekAtom() is { } extra && LooksNumeric(extra))
            throw extra.Error($"wrong number of lane literals: {shape.ToString().ToLowerInvariant()} needs {lanes}");
        return bytes;
    }

    /// <summary>A token of a number's shape (sign, digit, <c>inf</c>, <c>nan</c>), as opposed to an instruction keyword.</summary>
    private static bool LooksNumeric(SAtom a) =>
        !a.Reserved && a.Text.Length > 0 && (a.Text[0] is >= '0' and <= '9' or '+' or '-' || a.Text.StartsWith("inf", StringComparison.Ordinal) || a.Text.StartsWith("nan", StringComparison.Ordinal));

    /// <summary>
    /// Encodes one vector instruction: the 0xFD prefix, the sub-opcode (u32 LEB128) and its immediates, read from
    /// <paramref name="c"/> (positioned after the keyword). Memory indices are resolved in <paramref name="memories"/>;
    /// <paramref name="memory64"/> tells, per memory, whether it is a 64-bit one (its offsets are u64).
    /// </summary>
    public static void Encode(SimdOperatorInfo info, Cursor c, ByteWriter w, IndexSpace memories, IReadOnlyList<bool> memory64)
    {
        w.Byte(SimdOperatorTable.Prefix);
        w.U32(info.SubOpcode);
        switch (info.Immediate)
        {
            case SimdImmediate.None:
                break;
            case SimdImmediate.MemArg:
                WriteMemArg(c, w, info.NaturalAlignment, memories, memory64, laneFollows: false);
                break;
            case SimdImmediate.MemArgLane:
                WriteMemArg(c, w, info.NaturalAlignment, memories, memory64, laneFollows: true);
                w.Byte(ExpectLaneIndex(c));
                break;
            case SimdImmediate.Lane:
                w.Byte(ExpectLaneIndex(c));
                break;
            case SimdImmediate.Const:
                w.Bytes(ParseConst(c));
                break;
            case SimdImmediate.Shuffle:
                for (int i = 0; i < 16; i++)
                {
                    if (c.PeekAtom() is not { } atom) throw c.ErrorHere($"invalid lane length: i8x16.shuffle needs 16 lane indices, got {i}");
                    c.Next();
                    if (atom.Reserved || !Literals.TryParseNat(atom.Text, 255, out var lane, out bool oor) || oor)
                        throw atom.Error($"malformed lane index {atom.Text}");
                    w.Byte((byte)lane);
                }
                if (c.PeekAtom() is { } more && LooksNumeric(more))
                    throw more.Error("invalid lane length: i8x16.shuffle needs 16 lane indices");
                break;
            default:
                throw new InvalidOperationException($"unhandled vector immediate {info.Immediate}");
        }
    }

    /// <summary>A lane index: a natural number below 256 (whether it fits the shape is validation's question).</summary>
    private static byte ExpectLaneIndex(Cursor c)
    {
        if (c.PeekAtom() is not { Reserved: false } atom) throw c.Peek() is null ? c.ErrorHere("unexpected end of list, expected a lane index") : c.Unexpected();
        if (!Literals.TryParseNat(atom.Text, 255, out var lane, out bool oor)) throw atom.Error($"unexpected token {atom.Text}, expected a lane index");
        if (oor) throw atom.Error($"malformed lane index {atom.Text}");
        c.Next();
        return (byte)lane;
    }

    private static bool IsNat(SNode? n) => n is SAtom { Reserved: false } a && a.Text[0] is >= '0' and <= '9';

    private static bool IsMemArgField(SNode? n) =>
        n is SAtom { Reserved: false } a && (a.Text.StartsWith("offset=", StringComparison.Ordinal) || a.Text.StartsWith("align=", StringComparison.Ordinal));

    /// <summary>
    /// <c>memidx? offset=N? align=N?</c>. A leading number is the memory index when something of the memory argument
    /// (or, for lane instructions, the lane index) still follows it; otherwise, for lane instructions, it is the lane.
    /// The alignment is written as its log2, with bit 6 set and the index after it for a memory other than 0
    /// (multi-memory); the offset as for scalar loads and stores (<see cref="CodeParser.ParseOffset"/>).
    /// </summary>
    private static void WriteMemArg(Cursor c, ByteWriter w, int naturalAlignment, IndexSpace memories, IReadOnlyList<bool> memory64, bool laneFollows)
    {
        uint memory = 0;
        if (c.PeekAtom() is { IsId: true } id)
        {
            c.Next();
            memory = memories.Resolve(id);
        }
        else if (IsNat(c.Peek()) && (!laneFollows || IsNat(c.PeekAt(1)) || IsMemArgField(c.PeekAt(1))))
        {
            memory = memories.Resolve(c.ExpectAtom());
        }
        ulong offset = 0;
        uint align = (uint)naturalAlignment;
        if (c.PeekAtom() is { } o && o.Text.StartsWith("offset=", StringComparison.Ordinal))
        {
            c.Next();
            offset = CodeParser.ParseOffset(o, memory < (uint)memory64.Count && memory64[(int)memory]);
        }
        if (c.PeekAtom() is { } a && a.Text.StartsWith("align=", StringComparison.Ordinal))
        {
            c.Next();
            if (!Literals.TryParseNat(a.Text[6..], uint.MaxValue, out var value, out bool oor)) throw a.Error($"unexpected token {a.Text}");
            if (oor || value == 0 || (value & (value - 1)) != 0) throw a.Error("alignment must be a power of two");
            align = (uint)value;
        }
        uint log2 = (uint)System.Numerics.BitOperations.Log2(align);
        if (memory != 0)
        {
            w.U32(log2 | 0x40);
            w.U32(memory);
        }
        else
        {
            w.U32(log2);
        }
        w.U64(offset);
    }
}
