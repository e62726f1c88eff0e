using System.Text;

namespace Strand.Binary;

/// <summary>
/// A cursor over a module's bytes that decodes the binary format's primitive encodings
/// (LEB128 integers, floats, names). Every read is bounds-checked and every failure is a
/// <see cref="WasmFormatException"/> carrying the byte offset.
/// </summary>
public sealed class WasmReader
{
    private readonly byte[] _data;
    private int _pos;
    private int _end;

    /// <summary>A reader over all of <paramref name="data"/>.</summary>
    public WasmReader(byte[] data) : this(data, 0, data.Length) { }

    /// <summary>A reader over <paramref name="data"/>[<paramref name="start"/>, <paramref name="end"/>).</summary>
    public WasmReader(byte[] data, int start, int end)
    {
        if (start < 0 || end > data.Length || start > end) throw new ArgumentOutOfRangeException(nameof(start));
        _data = data;
        _pos = start;
        _end = end;
    }

    /// <summary>The whole underlying buffer.</summary>
    public byte[] Data => _data;
    /// <summary>The offset of the next byte to read, in <see cref="Data"/>.</summary>
    public int Position { get => _pos; set => _pos = value; }
    /// <summary>Exclusive end of the readable range (a section or body end).</summary>
    public int End { get => _end; set => _end = value; }
    /// <summary>True when every byte up to the end has been read.</summary>
    public bool AtEnd => _pos >= _end;
    /// <summary>Bytes left before the end.</summary>
    public int Remaining => _end - _pos;

    /// <summary>A malformed-module error at the current position.</summary>
    public WasmFormatException Error(string reason) => new(_pos, reason);
    /// <summary>A malformed-module error at <paramref name="offset"/>.</summary>
    public WasmFormatException Error(int offset, string reason) => new(offset, reason);

    /// <summary>Reads one byte; "unexpected end" at the end.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        // Inlined into the decoders' and validator's loops (their size exhausts the JIT's inlining budget otherwise).
        int pos = _pos;
        if (pos >= _end) ThrowUnexpectedEnd();
        _pos = pos + 1;
        return _data[pos];
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ThrowUnexpectedEnd() => throw Error("unexpected end");

    /// <summary>The next byte, without consuming it; "unexpected end" at the end.</summary>
    public byte PeekByte()
    {
        if (_pos >= _end) throw Error("unexpected end");
        return _data[_pos];
    }

    /// <summary>Reads <paramref name="count"/> bytes; "unexpected end" if fewer remain.</summary>
    public ReadOnlySpan<byte> ReadBytes(uint count)
    {
        if (count > (uint)Remaining) throw Error("unexpected end");
        var span = new ReadOnlySpan<byte>(_data, _pos, (int)count);
        _pos += (int)count;
        return span;
    }

    /// <summary>Reads an unsigned LEB128 u32 (at most 5 bytes, unused bits zero: "integer too large" / "integer representation too long" otherwise).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public uint ReadU32()
    {
        // One-byte values (most indices and counts) inline; the rest in ReadU32Slow.
        int pos = _pos;
        if (pos < _end && _data[pos] < 0x80)
        {
            _pos = pos + 1;
            return _data[pos];
        }
        return ReadU32Slow();
    }

    private uint ReadU32Slow()
    {
        uint result = 0;
        int shift = 0;
        while (true)
        {
            int at = _pos;
            byte b = ReadByte();
            if (shift == 28)
            {
                // Fifth byte: only 4 payload bits remain, and no continuation.
                if ((b & 0x80) != 0) throw Error(at, "integer representation too long");
                if ((b & 0x70) != 0) throw Error(at, "integer too large");
                return result | ((uint)b << 28);
            }
            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
            shift += 7;
        }
    }

    /// <summary>Reads a signed LEB128 s32 (at most 5 bytes, unused bits a sign extension).</summary>
    public int ReadS32()
    {
        int result = 0;
        int shift = 0;
        while (true)
        {
            int at = _pos;
            byte b = ReadByte();
            if (shift == 28)
            {
                if ((b & 0x80) != 0) throw Error(at, "integer representation too long");
                // The unused bits must be a sign extension of bit 3 of this byte.
                int high = b & 0x70;
                bool negative = (b & 0x08) != 0;
                if ((negative && high != 0x70) || (!negative && high != 0)) throw Error(at, "integer too large");
                return result | (b << 28);
            }
            result |= (b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0)
            {
                if (shift < 32 && (b & 0x40) != 0) result |= -1 << shift;
                return result;
            }
        }
    }

    /// <summary>Reads a signed LEB128 s64 (at most 10 bytes, unused bits a sign extension).</summary>
    public long ReadS64()
    {
        long result = 0;
        int shift = 0;
        while (true)
        {
            int at = _pos;
            byte b = ReadByte();
            if (shift == 63)
            {
                if ((b & 0x80) != 0) throw Error(at, "integer representation too long");
                // Only bit 0 is payload; bits 1..6 must equal it (sign extension).
                if (b != 0 && b != 0x7F) throw Error(at, "integer too large");
                return result | ((long)b << 63);
            }
            result |= (long)(b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0)
            {
                if (shift < 64 && (b & 0x40) != 0) result |= -1L << shift;
                return result;
            }
        }
    }

    /// <summary>A signed 33-bit LEB128 (block types): returned as a long.</summary>
    public long ReadS33()
    {
        long result = 0;
        int shift = 0;
        while (true)
        {
            int at = _pos;
            byte b = ReadByte();
            if (shift == 28)
            {
                if ((b & 0x80) != 0) throw Error(at, "integer representation too long");
                // 5 payload bits (28..32); remaining 2 bits must sign-extend bit 32.
                int high = b & 0x60;
                bool negative = (b & 0x10) != 0;
                if ((negative && high != 0x60) || (!negative && high != 0)) throw Error(at, "integer too large");
                result |= (long)(b & 0x7F) << 28;
                if (negative) result |= -1L << 35;
                return result;
            }
            result |= (long)(b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0)
            {
                if ((b & 0x40) != 0) result |= -1L << shift;
                return result;
            }
        }
    }

    /// <summary>Reads 4 little-endian bytes: an f32's bits.</summary>
    public uint ReadF32Bits()
    {
        var s = ReadBytes(4);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(s);
    }

    /// <summary>Reads 8 little-endian bytes: an f64's bits.</summary>
    public ulong ReadF64Bits()
    {
        var s = ReadBytes(8);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(s);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a name: a u32 length and that many bytes of UTF-8 ("malformed UTF-8 encoding" otherwise).</summary>
    public string ReadName()
    {
        uint length = ReadU32();
        int at = _pos;
        var bytes = ReadBytes(length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error(at, "malformed UTF-8 encoding");
        }
    }

    /// <summary>
    /// Reads a vector length and rejects it up front if even the smallest possible elements
    /// (<paramref name="minElementSize"/> bytes each) could not fit in the remaining bytes,
    /// so a hostile length never causes a large allocation.
    /// </summary>
    public uint ReadVectorLength(int minElementSize = 1)
    {
        int at = _pos;
        uint n = ReadU32();
        if ((ulong)n * (ulong)Math.Max(minElementSize, 0) > (ulong)Remaining)
            throw Error(at, minElementSize == 0 ? "length out of bounds" : "unexpected end");
        return n;
    }

    /// <summary>
    /// When set (only by <see cref="ModuleDecoder.DecodeForAnalysis"/>), constructs of features Strand does not
    /// implement are recorded here and decoding goes on; when null they throw <see cref="WasmUnsupportedException"/>.
    /// </summary>
    internal List<UnsupportedConstruct>? Tolerated { get; set; }

    /// <summary>
    /// Set by the decoder when the module declares more than one memory (multi-memory): then a non-zero byte where
    /// WebAssembly 2.0 reserves a zero (<c>memory.size</c>, <c>memory.grow</c>, <c>memory.init/copy/fill</c>) is a
    /// memory index, not supported; otherwise it stays "zero byte expected", as the 2.0 suite asserts.
    /// </summary>
    internal bool MultipleMemories { get; set; }

    /// <summary>
    /// Which memories have 64-bit addresses (memory64), by memory index, when known: a memarg offset of 2^32 or more for
    /// a 32-bit memory is then "integer too large" at decoding (the 2.0 suite's answer for a u32 offset). Null: unknown,
    /// the offset is read as a u64 and validation checks it.
    /// </summary>
    internal bool[]? Memory64 { get; set; }

    /// <summary>True unless the memory is known to have 32-bit addresses (see <see cref="Memory64"/>).</summary>
    internal bool IsMemory64(uint memory) => Memory64 is not { } flags || memory >= (uint)flags.Length || flags[memory];

    /// <summary>A reader of [start, end) of the same bytes with this reader's settings (memories; not <see cref="Tolerated"/>).</summary>
    internal WasmReader Slice(int start, int end) => new(_data, start, end) { MultipleMemories = MultipleMemories, Memory64 = Memory64 };

    /// <summary>A reader of code range [start, end) of <paramref name="module"/>, knowing its memories (multi-memory indices, memory64 offsets).</summary>
    internal static WasmReader ForCode(ModuleDefinition module, int start, int end) =>
        new(module.Bytes, start, end) { MultipleMemories = module.TotalMemoryCount > 1, Memory64 = module.Memory64Flags() };

    /// <summary>Reads an unsigned LEB128 u64 (at most 10 bytes, unused bits zero).</summary>
    public ulong ReadU64()
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            int at = _pos;
            byte b = ReadByte();
            if (shift == 63)
            {
                if ((b & 0x80) != 0) throw Error(at, "integer representation too long");
                if ((b & 0x7E) != 0) throw Error(at, "integer too large");
                return result | ((ulong)b << 63);
            }
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }

    /// <summary>A well-formed construct of a feature Strand does not implement: thrown, or recorded when tolerated.</summary>
    public void Unsupported(int offset, string feature, string construct)
    {
        if (Tolerated is null) throw new WasmUnsupportedException(offset, feature, construct);
        Tolerated.Add(new UnsupportedConstruct(feature, construct, offset));
    }

    /// <summary>
    /// A value type (WebAssembly 3.0 grammar, spec 5.3.4): i32, i64, f32, f64, v128 and the reference types
    /// <c>(ref null? ht)</c> with ht an abstract heap type (func, extern, exn, any, eq, i31, struct, array and the bottoms
    /// nofunc, noextern, noexn, none) or a type index, including the one-byte shorthands; any other byte is "malformed
    /// value type". A type index is not checked here (validation says "unknown type").
    /// </summary>
    public ValType ReadValType()
    {
        int at = _pos;
        byte b = ReadByte();
        switch (b)
        {
            case 0x7F or 0x7E or 0x7D or 0x7C or 0x7B:
                return (ValType)b;
            case 0x63 or 0x64:
            case >= 0x69 and <= 0x74:
                return ReadRefTypeRest(at, b);
            default:
                throw Error(at, "malformed value type");
        }
    }

    /// <summary>A reference type (tables, element segments): as <see cref="ReadValType"/>, but numbers and v128 are "malformed reference type".</summary>
    public ValType ReadRefType()
    {
        int at = _pos;
        byte b = ReadByte();
        return b switch
        {
            0x63 or 0x64 or (>= 0x69 and <= 0x74) => ReadRefTypeRest(at, b),
            _ => throw Error(at, "malformed reference type"),
        };
    }

    /// <summary>The rest of a reference type whose first byte <paramref name="first"/> was read at <paramref name="at"/>.</summary>
    private ValType ReadRefTypeRest(int at, byte first)
    {
        if (first is 0x63 or 0x64)
        {
            bool nullable = first == 0x63;
            long heap = ReadHeapType(out string name);
            return RefTypeOf(at, heap, nullable, $"reference type (ref {(nullable ? "null " : "")}{name})");
        }
        long shorthand = first - 0x80; // the one-byte s33 of an abstract heap type
        return RefTypeOf(at, shorthand, nullable: true, $"reference type {AbstractHeapTypeName(shorthand)}ref (0x{first:X2})");
    }

    /// <summary>The reference type for a heap type read as an s33 (<see cref="ReadHeapType"/>): abstract, or a type index (checked by validation).</summary>
    public ValType RefTypeOf(int at, long heap, bool nullable, string construct)
    {
        if (heap >= 0)
        {
            // An index too large to pack names no type of any module we accept: validation reports it ("unknown type").
            return ValTypes.RefToType(ValTypes.PackableTypeIndex((ulong)heap), nullable);
        }
        if (heap is >= -0x17 and <= -0x0C) return ValTypes.Ref((uint)(heap + 0x80), nullable); // 0x69..0x74: every abstract heap type
        throw Error(at, $"malformed reference type ({construct})");
    }

    /// <summary>
    /// A heap type: an abstract one (a negative one-byte s33: func, extern, any, eq, i31, struct, array, exn and
    /// the bottom types) or a type index (non-negative s33). Returned as the s33 value.
    /// </summary>
    public long ReadHeapType(out string name)
    {
        int at = _pos;
        long value = ReadS33();
        if (value >= 0)
        {
            name = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return value;
        }
        string? abstractName = AbstractHeapTypeName(value);
        name = abstractName ?? throw Error(at, "malformed reference type");
        return value;
    }

    private static string? AbstractHeapTypeName(long s33) => s33 switch
    {
        -0x10 => "func",   // 0x70
        -0x11 => "extern", // 0x6F
        -0x12 => "any",    // 0x6E
        -0x13 => "eq",     // 0x6D
        -0x14 => "i31",    // 0x6C
        -0x15 => "struct", // 0x6B
        -0x16 => "array",  // 0x6A
        -0x17 => "exn",    // 0x69
        -0x0C => "noexn",  // 0x74
        -0x0D => "nofunc", // 0x73
        -0x0E => "noextern", // 0x72
        -0x0F => "none",   // 0x71
        _ => null,
    };

}
