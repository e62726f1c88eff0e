namespace Strand.Binary;

/// <summary>Decodes the WebAssembly binary format into a <see cref="ModuleDefinition"/>.</summary>
public static partial class ModuleDecoder
{
    /// <summary>
    /// Decodes <paramref name="bytes"/>. Throws <see cref="WasmFormatException"/> for malformed input
    /// and <see cref="WasmUnsupportedException"/> for features Strand does not implement.
    /// Does not validate (see <c>Strand.Validation.ModuleValidator</c>).
    /// </summary>
    public static ModuleDefinition Decode(byte[] bytes) => DecodeCore(bytes);

    // Implemented in ModuleDecoder.Sections.cs
    private static partial ModuleDefinition DecodeCore(byte[] bytes);
}
