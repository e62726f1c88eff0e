using System.Text;

namespace Strand.Text;

/// <summary>Growable byte buffer with the binary format's primitive encodings.</summary>
internal sealed class ByteWriter
{
    private readonly List<byte> _bytes = new();

    public int Length => _bytes.Count;

    public void Byte(byte b) => _bytes.Add(b);

    /// <summary>
    /// A value type in the binary format (spec 5.3.4): numbers and v128 as their byte; a nullable abstract reference type
    /// as its one-byte shorthand; other reference types as 0x63/0x64 and the heap type as an s33.
    /// </summary>
    public void ValType(Binary.ValType type)
    {
        if (!Binary.ValTypes.IsReference(type))
        {
            Byte((byte)type);
            return;
        }
        uint heap = Binary.ValTypes.HeapCode(type);
        bool nullable = Binary.ValTypes.IsNullable(type);
        if (heap < Binary.ValTypes.TypeIndexBase)
        {
            if (!nullable) Byte(Binary.ValTypes.NonNullableRef);
            Byte((byte)heap); // an abstract heap type's byte is its one-byte s33
            return;
        }
        Byte(nullable ? Binary.ValTypes.NullableRef : Binary.ValTypes.NonNullableRef);
        HeapType(heap);
    }

    /// <summary>A heap type as an s33: an abstract type's byte, or a type index.</summary>
    public void HeapType(uint heapCode)
    {
        if (heapCode < Binary.ValTypes.TypeIndexBase) Byte((byte)heapCode);
        else S64(heapCode - Binary.ValTypes.TypeIndexBase);
    }

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) _bytes.Add(b);
    }

    public void Bytes(ByteWriter other) => _bytes.AddRange(other._bytes);

    public void U32(uint value)
    {
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            if (value != 0) b |= 0x80;
            _bytes.Add(b);
        } while (value != 0);
    }

    public void S32(int value) => S64(value);

    /// <summary>An unsigned LEB128 u64 (memory64 limits and offsets).</summary>
    public void U64(ulong value)
    {
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            if (value != 0) b |= 0x80;
            _bytes.Add(b);
        } while (value != 0);
    }

    public void S64(long value)
    {
        while (true)
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bool done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
            if (!done) b |= 0x80;
            _bytes.Add(b);
            if (done) return;
        }
    }

    public void U32LittleEndian(uint value)
    {
        for (int i = 0; i < 4; i++) _bytes.Add((byte)(value >> (8 * i)));
    }

    public void U64LittleEndian(ulong value)
    {
        for (int i = 0; i < 8; i++) _bytes.Add((byte)(value >> (8 * i)));
    }

    /// <summary>A length-prefixed name.</summary>
    public void Name(byte[] utf8)
    {
        U32((uint)utf8.Length);
        Bytes(utf8);
    }

    public void Name(string name) => Name(Encoding.UTF8.GetBytes(name));

    /// <summary>A length-prefixed copy of another buffer (section or function body).</summary>
    public void Sized(ByteWriter content)
    {
        U32((uint)content.Length);
        Bytes(content);
    }

    public byte this[int index] => _bytes[index];

    public byte[] ToArray() => _bytes.ToArray();
}
