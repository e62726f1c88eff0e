namespace Strand.Text;

/// <summary>
/// The text is not a well-formed WebAssembly text module or script. <see cref="Line"/> and
/// <see cref="Column"/> (both 1-based) locate the offending token; <see cref="Reason"/> is the
/// bare description, worded like the spec test suite where it has a wording ("unknown operator").
/// </summary>
public sealed class WatParseException : Exception
{
    /// <summary>A text-format error: <paramref name="reason"/> at 1-based <paramref name="line"/> and <paramref name="column"/> of <paramref name="fileName"/> (if known).</summary>
    public WatParseException(int line, int column, string reason, string? fileName = null)
        : base($"{(fileName is null ? "" : fileName + ":")}{line}:{column}: {reason}")
    {
        Line = line;
        Column = column;
        Reason = reason;
        FileName = fileName;
    }

    /// <summary>1-based line of the error.</summary>
    public int Line { get; }
    /// <summary>1-based column of the error.</summary>
    public int Column { get; }
    /// <summary>What is wrong, without the position.</summary>
    public string Reason { get; }

    /// <summary>The script file, when the error comes from <see cref="WastParser"/>.</summary>
    public string? FileName { get; }

    /// <summary>
    /// True when the text is well-formed but the module it describes is invalid in a way the binary format cannot carry
    /// (WebAssembly 3.0 text: an <c>offset=</c> of 2^32 or more on a 32-bit memory, "offset out of range"; a 32-bit
    /// memory's or table's limit of 2^32 or more, "memory size"/"table size"). The spec test suite asserts these invalid,
    /// not malformed.
    /// </summary>
    public bool Invalid { get; init; }

    internal WatParseException WithFile(string fileName) => new(Line, Column, Reason, fileName) { Invalid = Invalid };

    /// <summary>The same error, marked <see cref="Invalid"/>.</summary>
    internal WatParseException AsInvalid() => new(Line, Column, Reason, FileName) { Invalid = true };
}
