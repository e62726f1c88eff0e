namespace Strand.Binary;

/// <summary>A WebAssembly value type, with its binary encoding as the enum value.</summary>
public enum ValType : byte
{
    /// <summary>32-bit integer (binary 0x7F).</summary>
    I32 = 0x7F,
    /// <summary>64-bit integer (binary 0x7E).</summary>
    I64 = 0x7E,
    /// <summary>IEEE 754 binary32 (binary 0x7D).</summary>
    F32 = 0x7D,
    /// <summary>IEEE 754 binary64 (binary 0x7C).</summary>
    F64 = 0x7C,
    /// <summary>128-bit vector (SIMD, binary 0x7B): decoded, not supported.</summary>
    V128 = 0x7B,
    /// <summary>Function reference (binary 0x70).</summary>
    FuncRef = 0x70,
    /// <summary>Host reference (binary 0x6F).</summary>
    ExternRef = 0x6F,
    /// <summary>Exception reference (exception handling, binary 0x69): a caught exception, or null.</summary>
    ExnRef = 0x69,
    /// <summary>
    /// A WebAssembly 3.0 reference type Strand does not implement (typed function references, GC, exnref).
    /// Appears only in definitions from <see cref="ModuleDecoder.DecodeForAnalysis"/>; never in a module that compiles.
    /// </summary>
    Unsupported = 0x00,
}

/// <summary>Helpers on <see cref="ValType"/>.</summary>
public static class ValTypeExtensions
{
    /// <summary>True for funcref, externref and exnref.</summary>
    public static bool IsReference(this ValType t) => t is ValType.FuncRef or ValType.ExternRef or ValType.ExnRef;
    /// <summary>True for i32, i64, f32 and f64.</summary>
    public static bool IsNumeric(this ValType t) => t is ValType.I32 or ValType.I64 or ValType.F32 or ValType.F64;

    /// <summary>The text-format name: i32, i64, f32, f64, v128, funcref, externref, exnref.</summary>
    public static string ToWat(this ValType t) => t switch
    {
        ValType.I32 => "i32",
        ValType.I64 => "i64",
        ValType.F32 => "f32",
        ValType.F64 => "f64",
        ValType.V128 => "v128",
        ValType.FuncRef => "funcref",
        ValType.ExternRef => "externref",
        ValType.ExnRef => "exnref",
        ValType.Unsupported => "<not supported>",
        _ => $"<type 0x{(byte)t:x2}>",
    };
}

/// <summary>A function signature. Instances are compared structurally.</summary>
public sealed class FuncType : IEquatable<FuncType>
{
    /// <summary>The signature <paramref name="parameters"/> -> <paramref name="results"/> (the arrays are kept, not copied).</summary>
    public FuncType(ValType[] parameters, ValType[] results)
    {
        Params = parameters;
        Results = results;
    }

    /// <summary>Parameter types, in order.</summary>
    public ValType[] Params { get; }
    /// <summary>Result types, in order.</summary>
    public ValType[] Results { get; }

    /// <summary>Structural equality: the same parameter and result types.</summary>
    public bool Equals(FuncType? other) =>
        other is not null && Params.AsSpan().SequenceEqual(other.Params) && Results.AsSpan().SequenceEqual(other.Results);

    /// <summary>See <see cref="Equals(FuncType)"/>.</summary>
    public override bool Equals(object? obj) => Equals(obj as FuncType);

    /// <summary>A hash consistent with structural equality.</summary>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var p in Params) h.Add(p);
        h.Add(0xFF);
        foreach (var r in Results) h.Add(r);
        return h.ToHashCode();
    }

    /// <summary>The signature as "[i32 i32] -> [i32]".</summary>
    public override string ToString() =>
        $"[{string.Join(" ", Params.Select(p => p.ToWat()))}] -> [{string.Join(" ", Results.Select(r => r.ToWat()))}]";
}

/// <summary>
/// Limits of a memory (in 64 KiB pages) or a table (in elements), spec 2.3.8 (3.0: <c>addrtype limits</c>).
/// <see cref="Is64"/> is the address type: false for i32 (limits below 2^32), true for i64 (memory64/table64:
/// addresses, indices, sizes and limits are i64).
/// </summary>
public readonly record struct Limits(ulong Min, ulong? Max, bool Shared = false, bool Is64 = false)
{
    /// <summary>The address type: <see cref="ValType.I64"/> for a 64-bit memory or table, else <see cref="ValType.I32"/>.</summary>
    public ValType AddressType => Is64 ? ValType.I64 : ValType.I32;

    /// <summary>The limits as "MIN..MAX" (prefixed by "i64 " for the 64-bit address type, with " shared" for a shared memory).</summary>
    public override string ToString() =>
        (Is64 ? "i64 " : "") + (Max is { } m ? $"{Min}..{m}{(Shared ? " shared" : "")}" : $"{Min}..{(Shared ? " shared" : "")}");
}

/// <summary>A table type (spec 2.3.10).</summary>
/// <param name="ElementType">funcref or externref.</param>
/// <param name="Limits">Size limits in elements, and the address type of the table's indices (table64).</param>
public sealed record TableType(ValType ElementType, Limits Limits)
{
    /// <summary>The type of the table's indices and sizes: i32, or i64 for a 64-bit table (table64).</summary>
    public ValType AddressType => Limits.AddressType;
}

/// <summary>A memory type (spec 2.3.9).</summary>
/// <param name="Limits">Size limits in 64 KiB pages, whether the memory is shared, and its address type (memory64).</param>
public sealed record MemoryType(Limits Limits)
{
    /// <summary>True for a shared memory (threads proposal).</summary>
    public bool Shared => Limits.Shared;
    /// <summary>The type of the memory's addresses and sizes: i32, or i64 for a 64-bit memory (memory64).</summary>
    public ValType AddressType => Limits.AddressType;
}

/// <summary>A global type (spec 2.3.11).</summary>
/// <param name="Type">The value type.</param>
/// <param name="Mutable">True for <c>(mut t)</c>.</param>
public readonly record struct GlobalType(ValType Type, bool Mutable)
{
    /// <summary>The type as the text format writes it: "i32" or "(mut i32)".</summary>
    public override string ToString() => Mutable ? $"(mut {Type.ToWat()})" : Type.ToWat();
}

/// <summary>The kind of an import or export (spec 5.5.5/5.5.10 descriptor byte).</summary>
public enum ExternalKind : byte
{
    /// <summary>A function (descriptor 0x00).</summary>
    Function = 0,
    /// <summary>A table (descriptor 0x01).</summary>
    Table = 1,
    /// <summary>A memory (descriptor 0x02).</summary>
    Memory = 2,
    /// <summary>A global (descriptor 0x03).</summary>
    Global = 3,
    /// <summary>A tag (exception handling, descriptor 0x04).</summary>
    Tag = 4,
}
