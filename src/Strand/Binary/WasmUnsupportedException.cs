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

    public int Offset { get; }
    public string Feature { get; }
    public string Construct { get; }
}

/// <summary>Names of the features a <see cref="WasmUnsupportedException"/> reports.</summary>
public static class UnsupportedFeatures
{
    public const string Simd = "SIMD";
    public const string ExceptionHandling = "exception handling";
    public const string Gc = "GC";
    public const string FunctionReferences = "typed function references";
    public const string TailCalls = "tail calls";
    public const string Memory64 = "memory64";
    public const string MultiMemory = "multi-memory";
}

/// <summary>
/// A construct using a feature Strand does not implement, recorded by <see cref="ModuleDecoder.DecodeForAnalysis"/>.
/// <see cref="FunctionIndex"/> is the function (in the function index space) whose body contains it, if any.
/// </summary>
public sealed record UnsupportedConstruct(string Feature, string Construct, int Offset, uint? FunctionIndex = null)
{
    public override string ToString() =>
        $"{Feature} ({Construct} at offset 0x{Offset:x}{(FunctionIndex is { } f ? $", function {f}" : "")})";
}
