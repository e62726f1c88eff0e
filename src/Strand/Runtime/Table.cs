using Strand.Binary;
using Strand.Runtime;

namespace Strand;

/// <summary>
/// A WebAssembly table of references (funcref: <see cref="FunctionReference"/> or null; externref: any object or null).
/// Not shared between threads by WebAssembly 2.0, so growing replaces the element array.
/// </summary>
public sealed class Table : Extern
{
    /// <summary>Growth beyond this many elements fails (returns -1) instead of exhausting the process.</summary>
    public const uint ImplementationLimit = 10_000_000;

    /// <summary>The elements in compiled code's form (an i31 unboxed); its length is the table's size. Read by compiled code.</summary>
    internal RefValue[] Elements;

    /// <summary>A host table of <paramref name="type"/>, its initial size filled with <paramref name="initialValue"/> (default: null references).</summary>
    /// <exception cref="Binary.WasmImplementationLimitException">the initial size is above <see cref="ImplementationLimit"/>
    /// (an instantiation that needs such a table fails with it: exit code 1 in the CLI, never a trap).</exception>
    public Table(TableType type, Value initialValue = default)
    {
        if (!type.ElementType.IsReference()) throw new ArgumentException("a table's element type must be funcref or externref", nameof(type));
        ValueTypeCheck.RequireHostType(type.ElementType, nameof(type));
        if (type.Limits.Max is { } mx && mx < type.Limits.Min) throw new ArgumentException("table maximum is below its minimum", nameof(type));
        if (type.Limits.Min > ImplementationLimit)
            throw new Binary.WasmImplementationLimitException(
                $"a table of {type.Limits.Min} elements: Strand creates tables of at most {ImplementationLimit} elements");
        ElementType = type.ElementType;
        MaximumSize = type.Limits.Max;
        Is64 = type.Limits.Is64;
        var init = InitialElement(initialValue);
        Elements = new RefValue[type.Limits.Min];
        if (init.Object is not null) Array.Fill(Elements, init);
    }

    /// <summary>The reference type of the elements: funcref, externref, or (typed function references) a module's reference type in canonical form.</summary>
    public ValType ElementType { get; }
    /// <summary>The declared maximum number of elements, or null when there is none.</summary>
    public ulong? MaximumSize { get; }
    /// <summary>True for a table with 64-bit indices (table64): i64 indices, sizes and <c>table.grow</c> deltas.</summary>
    public bool Is64 { get; }
    /// <summary>The current number of elements.</summary>
    public uint Size => (uint)Elements.Length;

    /// <summary>The table's current type: current size as minimum, declared maximum.</summary>
    public TableType Type => new(ElementType, new Limits(Size, MaximumSize, Is64: Is64));

    /// <summary>Always <see cref="ExternalKind.Table"/>.</summary>
    public override ExternalKind Kind => ExternalKind.Table;

    /// <summary>The table type in text-format style, for diagnostics.</summary>
    public override string DescribeType() => TypeText.Describe(Type);

    /// <summary>The element at <paramref name="index"/> (a null reference when unset).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Size"/></exception>
    public Value Get(uint index)
    {
        var elements = Elements;
        if (index >= (uint)elements.Length) throw new ArgumentOutOfRangeException(nameof(index), $"index {index} is outside the table (size {elements.Length})");
        return ValueTypeCheck.ToValue(ElementType, elements[index].ToObject());
    }

    /// <summary>Replaces the element at <paramref name="index"/> with <paramref name="value"/>, a reference of the table's element type.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Size"/></exception><exception cref="ArgumentException">the value is not of the element type</exception>
    public void Set(uint index, Value value)
    {
        var elements = Elements;
        if (index >= (uint)elements.Length) throw new ArgumentOutOfRangeException(nameof(index), $"index {index} is outside the table (size {elements.Length})");
        elements[index] = ToElement(value, nameof(value));
    }

    /// <summary>Grows by <paramref name="delta"/> elements set to <paramref name="initialValue"/> (default: null); returns the old size or -1.</summary>
    /// <exception cref="ArgumentException">the value is not of the element type (a table of a non-nullable type needs one)</exception>
    public int Grow(uint delta, Value initialValue = default) => GrowCore(delta, InitialElement(initialValue));

    /// <summary>The element an initial value (of the constructor or <see cref="Grow"/>) stands for: default means null, which only a nullable table holds.</summary>
    private RefValue InitialElement(Value initialValue)
    {
        if (initialValue.Type != default) return ToElement(initialValue, nameof(initialValue));
        if (!ElementType.IsNullable())
            throw new ArgumentException($"a table of non-nullable {ElementType.ToWat()} needs an initial value", nameof(initialValue));
        return RefValue.Null;
    }

    internal int GrowCore(uint delta, RefValue init)
    {
        var old = Elements;
        ulong newSize = (ulong)old.Length + delta;
        if (newSize > (MaximumSize ?? ulong.MaxValue) || newSize > ImplementationLimit) return -1;
        if (delta == 0) return old.Length;
        var grown = new RefValue[newSize];
        Array.Copy(old, grown, old.Length);
        if (init.Object is not null) Array.Fill(grown, init, old.Length, (int)delta);
        Elements = grown;
        return old.Length;
    }

    private RefValue ToElement(Value value, string paramName)
    {
        if (ValueTypeCheck.Mismatch(value, ElementType) is { } reason)
            throw new ArgumentException($"a {ElementType.ToWat()} table cannot hold this value ({reason})", paramName);
        return RefValue.Of(value.Reference);
    }

    /// <summary>The table's size and element type.</summary>
    public override string ToString() => $"table {Size} {ElementType.ToWat()}";
}
