using System.Collections.Concurrent;
using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Process-wide canonical type ids (spec 3.3 type equivalence, iso-recursive): two types of any modules are the same
/// type iff they get the same id, so call_indirect, imports and cross-module references compare one integer. Ids are
/// baked into compiled code as constants, which is safe because they never change within a process.
/// <para>
/// A module's type is canonicalised by rewriting the type indices in it: an index of an earlier type becomes that
/// type's canonical id (<see cref="ValTypes.CanonicalIdBase"/>), a reference to the type itself (its own recursion group:
/// without GC's <c>rec</c>, every type is a group of one) becomes <c>rec.0</c> (<see cref="ValTypes.RecIndexBase"/>). The
/// canonical form is the key: a type that refers to itself and one that refers to an equal earlier type stay distinct,
/// as iso-recursive equivalence requires.
/// </para>
/// </summary>
internal static class TypeRegistry
{
    private static readonly ConcurrentDictionary<FuncType, int> Ids = new();
    private static readonly ConcurrentDictionary<int, FuncType> Types = new();
    private static int _next;
    private static readonly object Gate = new();

    /// <summary>The id of a type in canonical form (no module type indices in it).</summary>
    public static int GetId(FuncType type)
    {
        if (Ids.TryGetValue(type, out int id)) return id;
        lock (Gate)
        {
            if (Ids.TryGetValue(type, out id)) return id;
            id = ++_next;
            // Keep our own copy so later mutation of the caller's arrays cannot change the key.
            var copy = new FuncType((ValType[])type.Params.Clone(), (ValType[])type.Results.Clone());
            Types[id] = copy;
            Ids[copy] = id;
            return id;
        }
    }

    /// <summary>The canonical form of the type with id <paramref name="id"/>.</summary>
    public static FuncType GetType(int id) => Types[id];

    /// <summary>
    /// The canonical ids of a module's types, in type-index order. The types must have passed
    /// <see cref="ModuleValidator"/>'s type checks (every type index in type i is at most i).
    /// </summary>
    public static int[] CanonicalIds(IReadOnlyList<FuncType> types)
    {
        var ids = new int[types.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            int self = i;
            ids[i] = GetId(Map(types[i], index => index == (uint)self ? ValTypes.RecIndexBase : ValTypes.CanonicalIdBase + (uint)ids[index]));
        }
        return ids;
    }

    /// <summary>
    /// <paramref name="type"/> with every module type index replaced by its canonical id (<paramref name="ids"/> from
    /// <see cref="CanonicalIds"/>): the form the runtime compares across modules.
    /// </summary>
    public static ValType Canonical(ValType type, int[] ids) => type.MapTypeIndex(index => ValTypes.CanonicalIdBase + (uint)ids[index]);

    /// <summary>The canonical form of the module's type <paramref name="typeIndex"/> (the registry's key for it).</summary>
    public static FuncType CanonicalType(int[] ids, uint typeIndex) => GetType(ids[typeIndex]);

    private static FuncType Map(FuncType type, Func<uint, uint> map)
    {
        bool concrete = false;
        foreach (var t in type.Params) concrete |= t.TypeIndex() is not null;
        foreach (var t in type.Results) concrete |= t.TypeIndex() is not null;
        if (!concrete) return type;
        return new FuncType(type.Params.Select(t => t.MapTypeIndex(map)).ToArray(), type.Results.Select(t => t.MapTypeIndex(map)).ToArray());
    }
}
