namespace Strand.Binary;

/// <summary>
/// The module uses a feature Strand does not implement yet (for example SIMD / v128).
/// Distinct from a malformed or invalid module: the module may be fine elsewhere.
/// </summary>
public sealed class WasmUnsupportedException : Exception
{
    public WasmUnsupportedException(int offset, string feature)
        : base($"{feature} is not supported yet (at byte 0x{offset:x})")
    {
        Offset = offset;
        Feature = feature;
    }

    public int Offset { get; }
    public string Feature { get; }
}
