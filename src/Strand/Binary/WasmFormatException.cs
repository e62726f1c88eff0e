namespace Strand.Binary;

/// <summary>
/// A module's bytes are malformed: they do not follow the binary format.
/// <see cref="Offset"/> is the byte offset at which the problem was found.
/// </summary>
public sealed class WasmFormatException : Exception
{
    /// <summary>A malformed binary: <paramref name="reason"/> (the spec test suite's wording) at byte <paramref name="offset"/>.</summary>
    public WasmFormatException(int offset, string reason)
        : base($"malformed module at byte 0x{offset:x}: {reason}")
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Byte offset in the module where decoding failed.</summary>
    public int Offset { get; }

    /// <summary>What was expected, in the spec test suite's wording where one exists (e.g. "unexpected end").</summary>
    public string Reason { get; }
}
