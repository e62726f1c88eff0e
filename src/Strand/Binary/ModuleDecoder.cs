namespace Strand.Binary;

/// <summary>Decodes the WebAssembly binary format into a <see cref="ModuleDefinition"/>.</summary>
public static partial class ModuleDecoder
{
    /// <summary>
    /// Decodes <paramref name="bytes"/>. Throws <see cref="WasmFormatException"/> for malformed input
    /// and <see cref="WasmUnsupportedException"/> for features Strand does not implement.
    /// Does not validate (see <c>Strand.Validation.ModuleValidator</c>).
    /// </summary>
    public static ModuleDefinition Decode(byte[] bytes) => DecodeCore(bytes, tolerate: false);

    /// <summary>
    /// Decodes as much of <paramref name="bytes"/> as static analysis needs (types, imports, memories, tables,
    /// globals, exports, segments, names) while tolerating WebAssembly 3.0 constructs Strand does not implement:
    /// they are listed in <see cref="ModuleDefinition.Unsupported"/> instead of thrown. A function body using one
    /// is kept by its range with <see cref="FunctionBody.UnsupportedFeature"/> set. Malformed input still throws
    /// <see cref="WasmFormatException"/>, as does an unsupported construct whose extent cannot be known.
    /// The result is for analysis (<c>strand inspect</c>) only: it is never valid input to the compiler.
    /// </summary>
    public static ModuleDefinition DecodeForAnalysis(byte[] bytes) => DecodeCore(bytes, tolerate: true);

    // Implemented in ModuleDecoder.Sections.cs
    private static partial ModuleDefinition DecodeCore(byte[] bytes, bool tolerate);
}
