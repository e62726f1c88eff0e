using Strand.Binary;

namespace Strand;

/// <summary>
/// Something a module can import or export: a <see cref="Strand.Runtime.FunctionReference"/>,
/// a <see cref="Memory"/>, a <see cref="Table"/> or a <see cref="Global"/>.
/// </summary>
public abstract class Extern
{
    private protected Extern() { }

    public abstract ExternalKind Kind { get; }

    /// <summary>The extern's current type in text-format style, for diagnostics.</summary>
    public abstract string DescribeType();
}

/// <summary>One import of a module: where it comes from and what type it must have.</summary>
public sealed record ImportInfo(string Module, string Name, ExternalKind Kind, string TypeDescription)
{
    public FuncType? FunctionType { get; init; }
    public TableType? TableType { get; init; }
    public MemoryType? MemoryType { get; init; }
    public GlobalType? GlobalType { get; init; }
}

/// <summary>One export of a module and its type.</summary>
public sealed record ExportInfo(string Name, ExternalKind Kind, uint Index, string TypeDescription)
{
    public FuncType? FunctionType { get; init; }
    public TableType? TableType { get; init; }
    public MemoryType? MemoryType { get; init; }
    public GlobalType? GlobalType { get; init; }
}

internal static class TypeText
{
    public static string Describe(FuncType t) => $"func {t}";
    public static string Describe(TableType t) => $"table {t.Limits} {t.ElementType.ToWat()}";
    public static string Describe(MemoryType t) => $"memory {t.Limits}";
    public static string Describe(GlobalType t) => $"global {t}";
}
