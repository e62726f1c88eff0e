using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Subtyping of value types (spec 3.3 "matching": <c>t1 &lt;: t2</c>) for the typed-function-references part of
/// WebAssembly 3.0. Reference types match when the nullability does (<c>(ref ht)</c> &lt;: <c>(ref null ht)</c>) and
/// the heap types do: a concrete function type &lt;: <c>func</c>; the bottom types <c>nofunc</c>, <c>noextern</c> and
/// <c>noexn</c> &lt;: every heap type of their hierarchy; two concrete types match iff they are the same type
/// (equal canonical ids; without GC's declared subtypes there is no other subtyping between them).
/// Concrete heap types may be module type indices (resolved with the module's canonical ids) or canonical ids.
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
        var top = Top(expected);
        if (Top(actual) != top) return false;
        // The bottom of a hierarchy matches everything in it.
        if (actual == (uint)Bottom(top)) return true;
        if (expected < ValTypes.TypeIndexBase)
        {
            // expected is the top (func/extern/exn); every type of the hierarchy matches it. Nothing but the bottom
            // matches a bottom type.
            return expected == (uint)top;
        }
        if (actual < ValTypes.TypeIndexBase) return false; // an abstract type never matches a concrete one
        return Canonical(actual, ids) == Canonical(expected, ids);
    }

    /// <summary>The top of the heap type's hierarchy: func for concrete (function) types, nofunc and func; extern; exn.</summary>
    public static AbstractHeapType Top(uint heapCode) => heapCode switch
    {
        >= ValTypes.TypeIndexBase => AbstractHeapType.Func,
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

    /// <summary>The type's canonical id (a concrete heap code: module type index or canonical id).</summary>
    private static long Canonical(uint heapCode, int[]? ids)
    {
        if (heapCode >= ValTypes.CanonicalIdBase) return heapCode - ValTypes.CanonicalIdBase;
        if (heapCode >= ValTypes.RecIndexBase) return -1 - (heapCode - ValTypes.RecIndexBase); // rec.i: only equal to itself
        uint index = heapCode - ValTypes.TypeIndexBase;
        return ids is not null && index < ids.Length ? ids[index] : -0x1_0000_0000L - index;
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
