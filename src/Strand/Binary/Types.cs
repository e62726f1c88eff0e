namespace Strand.Binary;

/// <summary>
/// A WebAssembly value type (spec 2.3.4 <c>valtype</c>, 3.0 grammar). Numbers and v128 are their binary byte
/// (0x7F i32 .. 0x7B v128). A reference type (spec 2.3.3 <c>reftype</c> = <c>ref null? heaptype</c>) packs the byte
/// 0x63 (<c>ref null</c>) or 0x64 (<c>ref</c>) in bits 0..7 and its heap type in bits 8..31
/// (<see cref="ValTypes.HeapCode"/>): an abstract heap type's binary byte (0x70 func, 0x6F extern, 0x69 exn, ...),
/// or a concrete type (a module's type index, or a process-wide canonical type id after linking; see <see cref="ValTypes"/>).
/// The shorthands funcref, externref and exnref are the named members: <c>funcref</c> is <c>(ref null func)</c>.
/// Compare with <c>==</c> for equality within one module; use <see cref="ValTypes"/> for subtyping.
/// </summary>
public enum ValType : uint
{
    /// <summary>32-bit integer (binary 0x7F).</summary>
    I32 = 0x7F,
    /// <summary>64-bit integer (binary 0x7E).</summary>
    I64 = 0x7E,
    /// <summary>IEEE 754 binary32 (binary 0x7D).</summary>
    F32 = 0x7D,
    /// <summary>IEEE 754 binary64 (binary 0x7C).</summary>
    F64 = 0x7C,
    /// <summary>128-bit vector (SIMD, binary 0x7B).</summary>
    V128 = 0x7B,
    /// <summary><c>funcref</c> = <c>(ref null func)</c>: any function reference, or null (binary 0x70).</summary>
    FuncRef = 0x7063,
    /// <summary><c>externref</c> = <c>(ref null extern)</c>: any host reference, or null (binary 0x6F).</summary>
    ExternRef = 0x6F63,
    /// <summary><c>exnref</c> = <c>(ref null exn)</c>: a caught exception, or null (exception handling, binary 0x69).</summary>
    ExnRef = 0x6963,
    /// <summary><c>anyref</c> = <c>(ref null any)</c>: any GC reference (struct, array, i31), or null (GC, binary 0x6E).</summary>
    AnyRef = 0x6E63,
    /// <summary>
    /// A type Strand could not decode in a definition from <see cref="ModuleDecoder.DecodeForAnalysis"/> (a tolerated
    /// unsupported construct); never in a module that compiles. Also the "unknown" operand type of unreachable code in validation.
    /// </summary>
    Unsupported = 0x00,
}

/// <summary>The abstract heap types (spec 2.3.3 <c>absheaptype</c>), by their binary byte.</summary>
public enum AbstractHeapType : byte
{
    /// <summary><c>func</c>: every function (0x70).</summary>
    Func = 0x70,
    /// <summary><c>extern</c>: every host reference (0x6F).</summary>
    Extern = 0x6F,
    /// <summary><c>any</c>: every internal GC reference (0x6E).</summary>
    Any = 0x6E,
    /// <summary><c>eq</c>: references comparable with <c>ref.eq</c> (0x6D).</summary>
    Eq = 0x6D,
    /// <summary><c>i31</c>: unboxed 31-bit scalars (0x6C).</summary>
    I31 = 0x6C,
    /// <summary><c>struct</c> (0x6B).</summary>
    Struct = 0x6B,
    /// <summary><c>array</c> (0x6A).</summary>
    Array = 0x6A,
    /// <summary><c>exn</c>: exceptions (0x69).</summary>
    Exn = 0x69,
    /// <summary><c>noexn</c>: the bottom of the exn hierarchy (0x74).</summary>
    NoExn = 0x74,
    /// <summary><c>nofunc</c>: the bottom of the func hierarchy (0x73).</summary>
    NoFunc = 0x73,
    /// <summary><c>noextern</c>: the bottom of the extern hierarchy (0x72).</summary>
    NoExtern = 0x72,
    /// <summary><c>none</c>: the bottom of the any hierarchy (0x71).</summary>
    None = 0x71,
}

/// <summary>
/// Helpers on <see cref="ValType"/>: construction and inspection of reference types, and the text-format names.
/// Heap codes (bits 8..31 of a reference type): below 0x100 an <see cref="AbstractHeapType"/>; from
/// <see cref="TypeIndexBase"/> a module's type index; from <see cref="RecIndexBase"/> an index relative to the
/// recursion group being canonicalised; from <see cref="CanonicalIdBase"/> a process-wide canonical type id
/// (types of two modules are the same type iff their canonical ids are equal: spec 3.3 type equivalence).
/// </summary>
public static class ValTypes
{
    /// <summary>The byte of <c>(ref null ht)</c>.</summary>
    public const byte NullableRef = 0x63;
    /// <summary>The byte of <c>(ref ht)</c>.</summary>
    public const byte NonNullableRef = 0x64;
    /// <summary>First heap code of a module type index (index = code - base); at most 2^20 types.</summary>
    public const uint TypeIndexBase = 0x100;
    /// <summary>First heap code of a recursion-group-relative index (<c>rec.i</c>), used only in canonical keys.</summary>
    public const uint RecIndexBase = 0x20_0000;
    /// <summary>First heap code of a canonical type id.</summary>
    public const uint CanonicalIdBase = 0x80_0000;
    /// <summary>
    /// The type index that stands for every index too large to pack (at least this one): no module has that many types
    /// (<see cref="ImplementationLimits.MaxTypes"/>), so validation rejects it as "unknown type", as the spec does for any
    /// index beyond the module's types (an index out of range makes a module invalid, not malformed).
    /// </summary>
    public const uint OutOfRangeTypeIndex = RecIndexBase - TypeIndexBase - 1;

    /// <summary>The type index a decoded or parsed index packs to: itself, or <see cref="OutOfRangeTypeIndex"/> when it is that large.</summary>
    public static uint PackableTypeIndex(ulong index) => index >= OutOfRangeTypeIndex ? OutOfRangeTypeIndex : (uint)index;

    /// <summary>A type index for messages: the number, or "beyond N" for <see cref="OutOfRangeTypeIndex"/>.</summary>
    public static string TypeIndexText(uint index) =>
        index == OutOfRangeTypeIndex ? $"{index} or beyond" : index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The reference type <c>(ref null? heap)</c> for a heap code (see the class summary).</summary>
    public static ValType Ref(uint heapCode, bool nullable) => (ValType)((heapCode << 8) | (nullable ? NullableRef : NonNullableRef));
    /// <summary>The reference type <c>(ref null? heap)</c> for an abstract heap type.</summary>
    public static ValType Ref(AbstractHeapType heap, bool nullable) => Ref((uint)heap, nullable);
    /// <summary>The reference type <c>(ref null? $index)</c> for a type index of the module.</summary>
    public static ValType RefToType(uint typeIndex, bool nullable) => Ref(TypeIndexBase + typeIndex, nullable);

    /// <summary>True for every reference type.</summary>
    public static bool IsReference(this ValType t) => ((uint)t & 0xFF) is NullableRef or NonNullableRef && (uint)t > 0xFF;
    /// <summary>True for i32, i64, f32 and f64.</summary>
    public static bool IsNumeric(this ValType t) => t is ValType.I32 or ValType.I64 or ValType.F32 or ValType.F64;
    /// <summary>True for a reference type that admits null (<c>ref null</c>).</summary>
    public static bool IsNullable(this ValType t) => ((uint)t & 0xFF) == NullableRef;
    /// <summary>
    /// True for a type whose locals start with a default value (numbers, vectors, nullable references); a local of a
    /// non-defaultable type must be set before it is read (spec 3.4.11, local initialisation).
    /// </summary>
    public static bool IsDefaultable(this ValType t) => !t.IsReference() || t.IsNullable();
    /// <summary>The heap code of a reference type (bits 8..31).</summary>
    public static uint HeapCode(this ValType t) => (uint)t >> 8;
    /// <summary>The same reference type with the given nullability.</summary>
    public static ValType WithNullable(this ValType t, bool nullable) => Ref(t.HeapCode(), nullable);
    /// <summary>The abstract heap type of a reference type, or null for a concrete one.</summary>
    public static AbstractHeapType? AbstractHeap(this ValType t) => t.HeapCode() < TypeIndexBase ? (AbstractHeapType)t.HeapCode() : null;
    /// <summary>The module type index of <c>(ref null? $t)</c>, or null if the heap type is not a type index.</summary>
    public static uint? TypeIndex(this ValType t)
    {
        uint h = t.HeapCode();
        return t.IsReference() && h >= TypeIndexBase && h < RecIndexBase ? h - TypeIndexBase : null;
    }
    /// <summary>The canonical type id of a canonicalised concrete reference type, or null.</summary>
    public static int? CanonicalId(this ValType t)
    {
        uint h = t.HeapCode();
        return t.IsReference() && h >= CanonicalIdBase ? (int)(h - CanonicalIdBase) : null;
    }
    /// <summary>
    /// The representation kind of a value of type <paramref name="t"/>: numbers and v128 themselves; a reference type the
    /// nullable top of its hierarchy (funcref for function types, nofunc and func; externref; exnref; anyref for the GC
    /// types), which is how <c>Value</c>, tables and globals carry it. A concrete type given by a module type index counts
    /// as a function type here (only the module knows its kind; canonicalised types are resolved by the runtime).
    /// </summary>
    public static ValType Kind(this ValType t)
    {
        if (!t.IsReference()) return t;
        uint h = t.HeapCode();
        if (h >= TypeIndexBase) return ValType.FuncRef;
        return (AbstractHeapType)h switch
        {
            AbstractHeapType.Func or AbstractHeapType.NoFunc => ValType.FuncRef,
            AbstractHeapType.Extern or AbstractHeapType.NoExtern => ValType.ExternRef,
            AbstractHeapType.Exn or AbstractHeapType.NoExn => ValType.ExnRef,
            _ => ValType.AnyRef, // any, eq, i31, struct, array, none
        };
    }

    /// <summary>
    /// True for a reference type whose values may be an i31 (heap type any, eq, i31, or extern, which holds
    /// <c>extern.convert_any</c> of one): GC storage of such a type keeps the i31's bits next to the object.
    /// </summary>
    public static bool CanHoldI31(this ValType t) =>
        t.IsReference() && t.AbstractHeap() is AbstractHeapType.Any or AbstractHeapType.Eq or AbstractHeapType.I31 or AbstractHeapType.Extern;

    /// <summary>True for a concrete reference type (<c>(ref null? $t)</c>), in any of its encodings.</summary>
    public static bool IsConcrete(this ValType t) => t.IsReference() && t.HeapCode() >= TypeIndexBase;

    /// <summary>
    /// Replaces each module type index in <paramref name="t"/> by <paramref name="map"/>'s code for it (a canonical id or a
    /// recursion-group index); other types are returned as they are.
    /// </summary>
    public static ValType MapTypeIndex(this ValType t, Func<uint, uint> map) =>
        t.TypeIndex() is { } index ? Ref(map(index), t.IsNullable()) : t;

    /// <summary>The text-format name: i32, i64, f32, f64, v128, funcref, externref, exnref, <c>(ref null? ht)</c>.</summary>
    public static string ToWat(this ValType t)
    {
        switch (t)
        {
            case ValType.I32: return "i32";
            case ValType.I64: return "i64";
            case ValType.F32: return "f32";
            case ValType.F64: return "f64";
            case ValType.V128: return "v128";
            case ValType.FuncRef: return "funcref";
            case ValType.ExternRef: return "externref";
            case ValType.ExnRef: return "exnref";
            case ValType.AnyRef: return "anyref";
            case ValType.Unsupported: return "<not supported>";
        }
        if (!t.IsReference()) return $"<type 0x{(uint)t:x2}>";
        return t.IsNullable() ? $"(ref null {HeapName(t.HeapCode())})" : $"(ref {HeapName(t.HeapCode())})";
    }

    /// <summary>The text-format name of a heap code: an abstract type's keyword, a type index, <c>rec.i</c> or <c>canon.i</c>.</summary>
    public static string HeapName(uint heapCode) => heapCode switch
    {
        < TypeIndexBase => AbstractHeapName((AbstractHeapType)heapCode) ?? $"<heap 0x{heapCode:x2}>",
        < RecIndexBase => (heapCode - TypeIndexBase).ToString(System.Globalization.CultureInfo.InvariantCulture),
        < CanonicalIdBase => $"rec.{heapCode - RecIndexBase}",
        _ => $"type#{heapCode - CanonicalIdBase}",
    };

    /// <summary>The keyword of an abstract heap type (func, extern, any, eq, i31, struct, array, exn, noexn, nofunc, noextern, none).</summary>
    public static string? AbstractHeapName(AbstractHeapType heap) => heap switch
    {
        AbstractHeapType.Func => "func",
        AbstractHeapType.Extern => "extern",
        AbstractHeapType.Any => "any",
        AbstractHeapType.Eq => "eq",
        AbstractHeapType.I31 => "i31",
        AbstractHeapType.Struct => "struct",
        AbstractHeapType.Array => "array",
        AbstractHeapType.Exn => "exn",
        AbstractHeapType.NoExn => "noexn",
        AbstractHeapType.NoFunc => "nofunc",
        AbstractHeapType.NoExtern => "noextern",
        AbstractHeapType.None => "none",
        _ => null,
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
