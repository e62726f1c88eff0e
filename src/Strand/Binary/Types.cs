namespace Strand.Binary;

/// <summary>A WebAssembly value type, with its binary encoding as the enum value.</summary>
public enum ValType : byte
{
    I32 = 0x7F,
    I64 = 0x7E,
    F32 = 0x7D,
    F64 = 0x7C,
    V128 = 0x7B,
    FuncRef = 0x70,
    ExternRef = 0x6F,
    /// <summary>
    /// A WebAssembly 3.0 reference type Strand does not implement (typed function references, GC, exnref).
    /// Appears only in definitions from <see cref="ModuleDecoder.DecodeForAnalysis"/>; never in a module that compiles.
    /// </summary>
    Unsupported = 0x00,
}

public static class ValTypeExtensions
{
    public static bool IsReference(this ValType t) => t is ValType.FuncRef or ValType.ExternRef;
    public static bool IsNumeric(this ValType t) => t is ValType.I32 or ValType.I64 or ValType.F32 or ValType.F64;

    /// <summary>The text-format name: i32, i64, f32, f64, v128, funcref, externref.</summary>
    public static string ToWat(this ValType t) => t switch
    {
        ValType.I32 => "i32",
        ValType.I64 => "i64",
        ValType.F32 => "f32",
        ValType.F64 => "f64",
        ValType.V128 => "v128",
        ValType.FuncRef => "funcref",
        ValType.ExternRef => "externref",
        ValType.Unsupported => "<not supported>",
        _ => $"<type 0x{(byte)t:x2}>",
    };
}

/// <summary>A function signature. Instances are compared structurally.</summary>
public sealed class FuncType : IEquatable<FuncType>
{
    public FuncType(ValType[] parameters, ValType[] results)
    {
        Params = parameters;
        Results = results;
    }

    public ValType[] Params { get; }
    public ValType[] Results { get; }

    public bool Equals(FuncType? other) =>
        other is not null && Params.AsSpan().SequenceEqual(other.Params) && Results.AsSpan().SequenceEqual(other.Results);

    public override bool Equals(object? obj) => Equals(obj as FuncType);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var p in Params) h.Add(p);
        h.Add(0xFF);
        foreach (var r in Results) h.Add(r);
        return h.ToHashCode();
    }

    public override string ToString() =>
        $"[{string.Join(" ", Params.Select(p => p.ToWat()))}] -> [{string.Join(" ", Results.Select(r => r.ToWat()))}]";
}

/// <summary>Limits of a memory (in 64 KiB pages) or a table (in elements).</summary>
public readonly record struct Limits(uint Min, uint? Max, bool Shared = false)
{
    public override string ToString() => Max is { } m ? $"{Min}..{m}{(Shared ? " shared" : "")}" : $"{Min}..{(Shared ? " shared" : "")}";
}

public sealed record TableType(ValType ElementType, Limits Limits);

public sealed record MemoryType(Limits Limits)
{
    public bool Shared => Limits.Shared;
}

public readonly record struct GlobalType(ValType Type, bool Mutable)
{
    public override string ToString() => Mutable ? $"(mut {Type.ToWat()})" : Type.ToWat();
}

public enum ExternalKind : byte
{
    Function = 0,
    Table = 1,
    Memory = 2,
    Global = 3,
}
