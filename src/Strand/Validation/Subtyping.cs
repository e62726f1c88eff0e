using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Subtyping of value types (spec 3.3 "matching": <c>t1 &lt;: t2</c>), WebAssembly 3.0 with GC. Reference types match
/// when the nullability does (<c>(ref ht)</c> &lt;: <c>(ref null ht)</c>) and the heap types do. Heap types form three
/// hierarchies: func (concrete function types, bottom nofunc), extern (bottom noextern) and exn (bottom noexn), and
/// any &gt; eq &gt; {i31, struct &gt; concrete struct types, array &gt; concrete array types} with bottom none.
/// Two concrete types match when the first declares the second as a (transitive) supertype, or they are the same
/// type (<see cref="TypeRegistry.IsSubtype"/> on canonical ids). Concrete heap types may be module type indices
/// (resolved with the module's canonical ids) or canonical ids.
/// </summary>
internal static class Subtyping
{
    /// <summary>True if <paramref name="actual"/> &lt;: <paramref name="expected"/>. <paramref name="ids"/>: the module's canonical type ids, for module type indices.</summary>
    public static bool Matches(ValType actual, ValType expected, int[]? ids)
    {
        if (actual == expected) return true;
        if (!actual.IsReference() || !expected.IsReference()) return false;
        if (actual.IsNullable() && !expected.IsNullable()) return false;
        return HeapMatches(actual.HeapCode(), expected.HeapCode(), ids);
    }

    /// <summary>True if heap type <paramref name="actual"/> &lt;: <paramref name="expected"/> (heap codes, see <see cref="ValTypes"/>).</summary>
    public static bool HeapMatches(uint actual, uint expected, int[]? ids)
    {
        if (actual == expected) return true;
        var top = Top(expected, ids);
        if (Top(actual, ids) != top) return false;
        if (actual == (uint)Bottom(top)) return true; // the bottom of a hierarchy matches everything in it
        if (expected == (uint)Bottom(top)) return false;
        bool actualConcrete = actual >= ValTypes.TypeIndexBase, expectedConcrete = expected >= ValTypes.TypeIndexBase;
        if (actualConcrete && expectedConcrete)
            return Canonical(actual, ids) is int a && Canonical(expected, ids) is int b && TypeRegistry.IsSubtype(a, b);
        if (expectedConcrete) return false; // only the bottom (handled above) and concrete subtypes match a concrete type
        // expected is abstract: the actual type's abstract "kind" must be at or below it.
        var kind = actualConcrete ? KindOf(actual, ids) : (AbstractHeapType)actual;
        return AbstractMatches(kind, (AbstractHeapType)expected);
    }

    /// <summary>Abstract heap subtyping: i31, struct, array &lt;: eq &lt;: any; every other abstract type only matches itself.</summary>
    private static bool AbstractMatches(AbstractHeapType actual, AbstractHeapType expected) =>
        actual == expected || expected switch
        {
            AbstractHeapType.Any => actual is AbstractHeapType.Eq or AbstractHeapType.I31 or AbstractHeapType.Struct or AbstractHeapType.Array,
            AbstractHeapType.Eq => actual is AbstractHeapType.I31 or AbstractHeapType.Struct or AbstractHeapType.Array,
            _ => false,
        };

    /// <summary>The abstract type just above a concrete one: func, struct or array.</summary>
    private static AbstractHeapType KindOf(uint heapCode, int[]? ids) =>
        Canonical(heapCode, ids) is int id
            ? TypeRegistry.Get(id).Type.Kind switch
            {
                CompositeKind.Struct => AbstractHeapType.Struct,
                CompositeKind.Array => AbstractHeapType.Array,
                _ => AbstractHeapType.Func,
            }
            : AbstractHeapType.Func;

    /// <summary>The top of the heap type's hierarchy: func, extern, exn or any.</summary>
    public static AbstractHeapType Top(uint heapCode, int[]? ids) => heapCode switch
    {
        >= ValTypes.TypeIndexBase => KindOf(heapCode, ids) == AbstractHeapType.Func ? AbstractHeapType.Func : AbstractHeapType.Any,
        (uint)AbstractHeapType.Func or (uint)AbstractHeapType.NoFunc => AbstractHeapType.Func,
        (uint)AbstractHeapType.Extern or (uint)AbstractHeapType.NoExtern => AbstractHeapType.Extern,
        (uint)AbstractHeapType.Exn or (uint)AbstractHeapType.NoExn => AbstractHeapType.Exn,
        _ => AbstractHeapType.Any,
    };

    /// <summary>The bottom type of a hierarchy: nofunc, noextern, noexn, none.</summary>
    public static AbstractHeapType Bottom(AbstractHeapType top) => top switch
    {
        AbstractHeapType.Func => AbstractHeapType.NoFunc,
        AbstractHeapType.Extern => AbstractHeapType.NoExtern,
        AbstractHeapType.Exn => AbstractHeapType.NoExn,
        _ => AbstractHeapType.None,
    };

    /// <summary>The canonical id of a concrete heap code (a module type index through <paramref name="ids"/>, or a canonical id); null if unknown.</summary>
    private static int? Canonical(uint heapCode, int[]? ids)
    {
        if (heapCode >= ValTypes.CanonicalIdBase) return (int)(heapCode - ValTypes.CanonicalIdBase);
        if (heapCode >= ValTypes.RecIndexBase) return null;
        uint index = heapCode - ValTypes.TypeIndexBase;
        return ids is not null && index < ids.Length ? ids[index] : null;
    }

    /// <summary>True if each of <paramref name="actual"/> matches the expected type at its position (equal lengths).</summary>
    public static bool Matches(ReadOnlySpan<ValType> actual, ReadOnlySpan<ValType> expected, int[]? ids)
    {
        if (actual.Length != expected.Length) return false;
        for (int i = 0; i < actual.Length; i++)
            if (!Matches(actual[i], expected[i], ids)) return false;
        return true;
    }

    /// <summary>
    /// Function subtyping (spec 3.3.5): <c>[t1*] -> [t2*]</c> &lt;: <c>[t1'*] -> [t2'*]</c> iff the parameters are
    /// contravariant and the results covariant.
    /// </summary>
    public static bool Matches(FuncType actual, FuncType expected, int[]? ids) =>
        Matches(expected.Params, actual.Params, ids) && Matches(actual.Results, expected.Results, ids);
}
