using Strand.Binary;

namespace Strand;

/// <summary>
/// Something a module can import or export: a <see cref="Strand.Runtime.FunctionReference"/>,
/// a <see cref="Memory"/>, a <see cref="Table"/>, a <see cref="Global"/> or a <see cref="Tag"/>.
/// </summary>
public abstract class Extern
{
    private protected Extern() { }

    /// <summary>What kind of extern this is: function, table, memory or global.</summary>
    public abstract ExternalKind Kind { get; }

    /// <summary>The extern's current type in text-format style, for diagnostics.</summary>
    public abstract string DescribeType();
}

/// <summary>One import of a module: where it comes from and what type it must have.</summary>
public sealed record ImportInfo(string Module, string Name, ExternalKind Kind, string TypeDescription)
{
    /// <summary>The function type, when <c>Kind</c> is a function; otherwise null.</summary>
    public FuncType? FunctionType { get; init; }
    /// <summary>The table type, when <c>Kind</c> is a table; otherwise null.</summary>
    public TableType? TableType { get; init; }
    /// <summary>The memory type, when <c>Kind</c> is a memory; otherwise null.</summary>
    public MemoryType? MemoryType { get; init; }
    /// <summary>The global type, when <c>Kind</c> is a global; otherwise null.</summary>
    public GlobalType? GlobalType { get; init; }
    /// <summary>The tag's type (payload parameters, no results), when <c>Kind</c> is a tag; otherwise null.</summary>
    public FuncType? TagType { get; init; }
}

/// <summary>One export of a module and its type.</summary>
public sealed record ExportInfo(string Name, ExternalKind Kind, uint Index, string TypeDescription)
{
    /// <summary>The function type, when <c>Kind</c> is a function; otherwise null.</summary>
    public FuncType? FunctionType { get; init; }
    /// <summary>The table type, when <c>Kind</c> is a table; otherwise null.</summary>
    public TableType? TableType { get; init; }
    /// <summary>The memory type, when <c>Kind</c> is a memory; otherwise null.</summary>
    public MemoryType? MemoryType { get; init; }
    /// <summary>The global type, when <c>Kind</c> is a global; otherwise null.</summary>
    public GlobalType? GlobalType { get; init; }
    /// <summary>The tag's type (payload parameters, no results), when <c>Kind</c> is a tag; otherwise null.</summary>
    public FuncType? TagType { get; init; }
}

internal static class TypeText
{
    public static string Describe(FuncType t) => $"func {t}";
    public static string Describe(TableType t) => $"table {t.Limits} {t.ElementType.ToWat()}";
    public static string Describe(MemoryType t) => $"memory {t.Limits}";
    public static string Describe(GlobalType t) => $"global {t}";
    public static string Describe(Tag t) => $"tag {t.Type}";
    public static string DescribeTag(FuncType t) => $"tag {t}";
}
