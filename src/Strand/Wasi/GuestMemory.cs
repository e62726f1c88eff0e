using System.Buffers.Binary;
using System.Text;

namespace Strand.Wasi;

/// <summary>
/// The guest's linear memory as seen by the WASI host functions. Kept deliberately small so that an
/// adapter over the engine's memory type is a few lines. <see cref="GetSpan"/> must throw
/// <see cref="WasiErrnoException"/> with <see cref="WasiErrno.Fault"/> when the range is out of bounds.
/// Spans are only used for the duration of one WASI call (memory may grow between calls).
/// </summary>
internal interface IGuestMemory
{
    long Length { get; }

    Span<byte> GetSpan(uint address, uint length);
}

/// <summary>A guest memory backed by a plain array (tests, and hosts that manage memory themselves).</summary>
internal sealed class ByteArrayGuestMemory(byte[] bytes) : IGuestMemory
{
    public ByteArrayGuestMemory(int size) : this(new byte[size]) { }

    public byte[] Bytes { get; } = bytes;

    public long Length => Bytes.Length;

    public Span<byte> GetSpan(uint address, uint length)
    {
        if ((ulong)address + length > (ulong)Bytes.Length) throw new WasiErrnoException(WasiErrno.Fault);
        return Bytes.AsSpan((int)address, (int)length);
    }
}

/// <summary>Typed little-endian accessors with the alignment checks the witx ABI requires (misaligned: EINVAL).</summary>
internal static class GuestMemoryAccess
{
    public static void CheckAlignment(uint address, uint alignment)
    {
        if ((address & (alignment - 1)) != 0) throw new WasiErrnoException(WasiErrno.Inval);
    }

    public static byte ReadU8(this IGuestMemory memory, uint address) => memory.GetSpan(address, 1)[0];

    public static ushort ReadU16(this IGuestMemory memory, uint address)
    {
        CheckAlignment(address, 2);
        return BinaryPrimitives.ReadUInt16LittleEndian(memory.GetSpan(address, 2));
    }

    public static uint ReadU32(this IGuestMemory memory, uint address)
    {
        CheckAlignment(address, 4);
        return BinaryPrimitives.ReadUInt32LittleEndian(memory.GetSpan(address, 4));
    }

    public static ulong ReadU64(this IGuestMemory memory, uint address)
    {
        CheckAlignment(address, 8);
        return BinaryPrimitives.ReadUInt64LittleEndian(memory.GetSpan(address, 8));
    }

    public static void WriteU8(this IGuestMemory memory, uint address, byte value) => memory.GetSpan(address, 1)[0] = value;

    public static void WriteU16(this IGuestMemory memory, uint address, ushort value)
    {
        CheckAlignment(address, 2);
        BinaryPrimitives.WriteUInt16LittleEndian(memory.GetSpan(address, 2), value);
    }

    public static void WriteU32(this IGuestMemory memory, uint address, uint value)
    {
        CheckAlignment(address, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(address, 4), value);
    }

    public static void WriteU64(this IGuestMemory memory, uint address, ulong value)
    {
        CheckAlignment(address, 8);
        BinaryPrimitives.WriteUInt64LittleEndian(memory.GetSpan(address, 8), value);
    }

    /// <summary>Reads a guest string (pointer + length, no terminator); invalid UTF-8 gives EILSEQ.</summary>
    public static string ReadString(this IGuestMemory memory, uint address, uint length)
    {
        var bytes = memory.GetSpan(address, length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new WasiErrnoException(WasiErrno.Ilseq);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
