namespace Strand.Text;

/// <summary>
/// The text is not a well-formed WebAssembly text module or script. <see cref="Line"/> and
/// <see cref="Column"/> (both 1-based) locate the offending token; <see cref="Reason"/> is the
/// bare description, worded like the spec test suite where it has a wording ("unknown operator").
/// </summary>
public sealed class WatParseException : Exception
{
    public WatParseException(int line, int column, string reason, string? fileName = null)
        : base($"{(fileName is null ? "" : fileName + ":")}{line}:{column}: {reason}")
    {
        Line = line;
        Column = column;
        Reason = reason;
        FileName = fileName;
    }

    public int Line { get; }
    public int Column { get; }
    public string Reason { get; }

    /// <summary>The script file, when the error comes from <see cref="WastParser"/>.</summary>
    public string? FileName { get; }

    internal WatParseException WithFile(string fileName) => new(Line, Column, Reason, fileName);
}
