namespace Strand.Validation;

/// <summary>
/// A well-formed module breaks a validation rule. The message names the function (when the
/// problem is in a body) and the byte offset of the offending instruction.
/// <see cref="Reason"/> is the bare rule in the spec test suite's wording (e.g. "type mismatch").
/// </summary>
public sealed class WasmValidationException : Exception
{
    /// <summary>An invalid module: <paramref name="reason"/> (the spec test suite's wording) at byte <paramref name="offset"/>, in function <paramref name="functionIndex"/> (named <paramref name="functionName"/>) when the error is in code.</summary>
    public WasmValidationException(string reason, int offset, uint? functionIndex = null, string? functionName = null)
        : base(Format(reason, offset, functionIndex, functionName))
    {
        Reason = reason;
        Offset = offset;
        FunctionIndex = functionIndex;
    }

    /// <summary>What is invalid, without the position.</summary>
    public string Reason { get; }
    /// <summary>Byte offset of the offending instruction or construct in the module binary.</summary>
    public int Offset { get; }
    /// <summary>The function whose code is invalid (in the function index space), or null outside code.</summary>
    public uint? FunctionIndex { get; }

    private static string Format(string reason, int offset, uint? functionIndex, string? functionName)
    {
        var where = functionIndex is { } f
            ? $"in {(functionName ?? $"func[{f}]")} at byte 0x{offset:x}"
            : $"at byte 0x{offset:x}";
        return $"invalid module {where}: {reason}";
    }
}
