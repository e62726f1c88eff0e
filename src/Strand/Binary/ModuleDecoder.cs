namespace Strand.Binary;

/// <summary>Decodes the WebAssembly binary format into a <see cref="ModuleDefinition"/>.</summary>
public static partial class ModuleDecoder
{
    /// <summary>
    /// Decodes <paramref name="bytes"/>. Throws <see cref="WasmFormatException"/> for malformed input
    /// and <see cref="WasmUnsupportedException"/> for features Strand does not implement.
    /// Does not validate (see <c>Strand.Validation.ModuleValidator</c>).
    /// </summary>
    public static ModuleDefinition Decode(byte[] bytes) => DecodeCore(bytes, tolerate: false, trusted: false);

    /// <summary>
    /// Decodes a binary this build of Strand already decoded and validated (the wasm of a compiled artifact whose
    /// checksums matched): the sections as <see cref="Decode"/> does, but each function body only by its extent and
    /// locals, without decoding its instructions (which <see cref="Decode"/> does to report malformed ones; they are read
    /// again when the function is compiled). A third of a cached start of a big module went there (docs/compiler.md,
    /// "Compiled modules and the cache"). Never for untrusted input: a malformed body would surface only when compiled.
    /// </summary>
    internal static ModuleDefinition DecodeTrusted(byte[] bytes) => DecodeCore(bytes, tolerate: false, trusted: true);

    /// <summary>
    /// Decodes as much of <paramref name="bytes"/> as static analysis needs (types, imports, memories, tables,
    /// globals, exports, segments, names) while tolerating WebAssembly 3.0 constructs Strand does not implement:
    /// they are listed in <see cref="ModuleDefinition.Unsupported"/> instead of thrown. A function body using one
    /// is kept by its range with <see cref="FunctionBody.UnsupportedFeature"/> set. Malformed input still throws
    /// <see cref="WasmFormatException"/>, as does an unsupported construct whose extent cannot be known.
    /// The result is for analysis (<c>strand inspect</c>) only: it is never valid input to the compiler.
    /// </summary>
    public static ModuleDefinition DecodeForAnalysis(byte[] bytes) => DecodeCore(bytes, tolerate: true, trusted: false);

    /// <summary>
    /// <see cref="Decode"/> for a module about to be validated (<c>Module.Compile</c>): the code section's bodies are not
    /// scanned for malformed instructions here, because validation decodes every instruction again; the scan runs only if
    /// validation fails (<see cref="ScanPendingBodies"/>), so that a malformed body is still reported as malformed, with
    /// the error decoding would have given, before any validation error. Saves one decoding pass over every body (yosys:
    /// 27 MB of code). Only with <c>ModuleValidator.Validate</c> right after, which performs the scan's checks.
    /// </summary>
    internal static ModuleDefinition DecodeDeferringBodyScan(byte[] bytes) => DecodeCore(bytes, tolerate: false, trusted: false, deferScan: true);

    /// <summary>
    /// Scans the bodies <see cref="DecodeDeferringBodyScan"/> left unscanned (on all cores), throwing the
    /// <see cref="WasmFormatException"/> of the lowest-numbered malformed one as decoding would have; then none are pending.
    /// </summary>
    internal static void ScanPendingBodies(ModuleDefinition module)
    {
        if (module.PendingBodyScan is not { } pending) return;
        module.PendingBodyScan = null;
        ScanDeferred(pending.Reader, module, pending.Bodies);
    }

    /// <summary>Bodies left unscanned by <see cref="DecodeDeferringBodyScan"/>, with a reader of the module's settings.</summary>
    internal sealed record PendingScan(WasmReader Reader, List<DeferredBody> Bodies);

    // Implemented in ModuleDecoder.Sections.cs
    private static partial ModuleDefinition DecodeCore(byte[] bytes, bool tolerate, bool trusted, bool deferScan = false);
}
