namespace Strand.Binary;

/// <summary>
/// The module uses a feature Strand does not implement (SIMD, exception handling, GC, typed function
/// references, tail calls, memory64, multi-memory). Distinct from a malformed or invalid module: the
/// construct is well-formed WebAssembly 3.0, and the module may be fine elsewhere.
/// The message reads <c>not supported: FEATURE (CONSTRUCT at offset 0xN)</c>.
/// </summary>
public sealed class WasmUnsupportedException : Exception
{
    /// <param name="offset">Byte offset of the construct in the module.</param>
    /// <param name="feature">The feature (proposal) name, e.g. "SIMD", "exception handling".</param>
    /// <param name="construct">What was found, e.g. "opcode 0xFD 0x0C (v128.const)", "tag section".</param>
    public WasmUnsupportedException(int offset, string feature, string construct)
        : base($"not supported: {feature} ({construct} at offset 0x{offset:x})")
    {
        Offset = offset;
        Feature = feature;
        Construct = construct;
    }

    /// <summary>Byte offset of the construct in the module binary.</summary>
    public int Offset { get; }
    /// <summary>The feature, one of the <see cref="UnsupportedFeatures"/> names ("SIMD", "GC", ...).</summary>
    public string Feature { get; }
    /// <summary>The construct that uses it, e.g. "opcode 0xFD 0x0C".</summary>
    public string Construct { get; }
}

/// <summary>Names of the features a <see cref="WasmUnsupportedException"/> reports.</summary>
public static class UnsupportedFeatures
{
    /// <summary>The SIMD proposal (<c>v128</c>, the 0xFD prefix, relaxed SIMD). Strand implements it, so this is no
    /// longer reported; kept for code that compares <see cref="WasmUnsupportedException.Feature"/> with it.</summary>
    public const string Simd = "SIMD";
    /// <summary>The exception-handling proposal (tags, <c>try_table</c>, <c>throw</c>, legacy <c>try</c>).</summary>
    public const string ExceptionHandling = "exception handling";
    /// <summary>The GC proposal (struct, array, rec and sub types, the 0xFB prefix).</summary>
    public const string Gc = "GC";
    /// <summary>The tail-call proposal (<c>return_call</c>, <c>return_call_indirect</c>, <c>return_call_ref</c>).</summary>
    public const string TailCalls = "tail calls";
    /// <summary>The memory64 proposal (64-bit memory limits and addresses). Implemented: no longer reported; kept for compatibility.</summary>
    public const string Memory64 = "memory64";
    /// <summary>The multi-memory proposal (several memories, memory indices in instructions). Implemented: no longer reported; kept for compatibility.</summary>
    public const string MultiMemory = "multi-memory";
}

/// <summary>
/// A construct using a feature Strand does not implement, recorded by <see cref="ModuleDecoder.DecodeForAnalysis"/>.
/// <see cref="FunctionIndex"/> is the function (in the function index space) whose body contains it, if any.
/// </summary>
public sealed record UnsupportedConstruct(string Feature, string Construct, int Offset, uint? FunctionIndex = null)
{
    /// <summary>"FEATURE (CONSTRUCT at offset N)", as in the messages.</summary>
    public override string ToString() =>
        $"{Feature} ({Construct} at offset 0x{Offset:x}{(FunctionIndex is { } f ? $", function {f}" : "")})";
}
