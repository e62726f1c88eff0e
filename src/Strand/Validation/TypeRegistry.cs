using System.Text;
using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Process-wide canonical type ids (spec 3.3 type equivalence, iso-recursive): two types of any modules are the same
/// type iff they get the same id, so call_indirect, casts, imports and cross-module references compare integers. Ids
/// are baked into compiled code as constants, which is safe because they never change within a process.
/// <para>
/// A module's recursion group is canonicalised as a whole: its key spells every member (finality, supertypes,
/// composite type) with each type index inside the group written as <c>rec.i</c> and each index of an earlier group
/// as that type's canonical id. Equal keys are the same group, and its members get consecutive ids. So a type that
/// refers to itself and a structurally equal one that refers to it stay distinct, and equal definitions in two modules
/// are the same types. Each id also records its supertype chain (root first), so a subtype check is one array read
/// (the "supertype vector" of engines): <c>a &lt;: b</c> iff <c>chain(a)[depth(b)] == b</c>.
/// </para>
/// </summary>
internal static class TypeRegistry
{
    /// <summary>What the registry knows about one canonical type.</summary>
    /// <param name="Type">The definition with every type index replaced by a canonical id (a function's signature also as <see cref="Func"/>).</param>
    /// <param name="Func">The signature of a function type (canonical), or null for a struct or array type.</param>
    /// <param name="Chain">The declared supertype chain, root first, ending with this type's own id.</param>
    /// <param name="Layout">Where a struct's fields live, or how an array stores its elements (inherited from the supertype); null for a function type.</param>
    internal sealed record Entry(SubType Type, FuncType? Func, int[] Chain, Runtime.GcLayout? Layout);

    private static readonly Dictionary<string, int> Groups = new(StringComparer.Ordinal);
    private static readonly object Gate = new();

    // The entries, by id, in chunks that are never moved, so readers need no lock: compiled code asks IsSubtype on every
    // cast and call_indirect of a subtype. Writers hold Gate, store the entries, then publish the new count.
    private const int ChunkBits = 12;
    private static readonly Entry?[]?[] Chunks = new Entry?[]?[(MaxId >> ChunkBits) + 1];
    private static int _count = 1; // ids start at 1

    /// <summary>Stores entry <paramref name="id"/> (under Gate, before the count that publishes it).</summary>
    private static void Store(int id, Entry entry) =>
        (Chunks[id >> ChunkBits] ??= new Entry?[1 << ChunkBits])[id & ((1 << ChunkBits) - 1)] = entry;

    /// <summary>Entry <paramref name="id"/> as stored (a published one, or one of the group being registered under Gate).</summary>
    private static Entry? Peek(int id) => Chunks[id >> ChunkBits]?[id & ((1 << ChunkBits) - 1)];

    /// <summary>The canonical ids of a module's types, in type-index order (the module must have passed the type-section checks).</summary>
    public static int[] CanonicalIds(ModuleDefinition module)
    {
        module.CompleteTypeStructure();
        var ids = new int[module.SubTypes.Count];
        lock (Gate)
        {
            foreach (var (start, count) in module.RecGroups)
            {
                string key = GroupKey(module.SubTypes, start, count, ids);
                if (!Groups.TryGetValue(key, out int first))
                {
                    first = _count;
                    CheckIdRange(first + count - 1);
                    for (int k = 0; k < count; k++) ids[start + k] = first + k;
                    for (int k = 0; k < count; k++) Store(first + k, MakeEntry(module.SubTypes[start + k], ids, first + k));
                    Volatile.Write(ref _count, first + count);
                    Groups[key] = first;
                }
                for (int k = 0; k < count; k++) ids[start + k] = first + k;
            }
        }
        return ids;
    }

    /// <summary>The id of a plain function type (final, no supertype, its own group) in canonical form: host functions' types.</summary>
    public static int GetId(FuncType type)
    {
        var single = new List<SubType> { SubType.OfFunction(type) };
        string key = GroupKey(single, 0, 1, []);
        lock (Gate)
        {
            if (Groups.TryGetValue(key, out int id)) return id;
            id = _count;
            CheckIdRange(id);
            var copy = new FuncType((ValType[])type.Params.Clone(), (ValType[])type.Results.Clone());
            Store(id, new Entry(SubType.OfFunction(copy), copy, [id], null));
            Volatile.Write(ref _count, id + 1);
            Groups[key] = id;
            return id;
        }
    }

    /// <summary>
    /// The largest canonical id: a reference type carries its heap code in 24 bits (<see cref="ValTypes"/>), from
    /// <see cref="ValTypes.CanonicalIdBase"/> on. A larger id would wrap into another heap code (another type, or an
    /// abstract one), so a process that has seen this many distinct types refuses new ones.
    /// </summary>
    public const int MaxId = (int)((uint.MaxValue >> 8) - ValTypes.CanonicalIdBase);

    /// <summary>Refuses a new id beyond <see cref="MaxId"/>.</summary>
    /// <exception cref="WasmImplementationLimitException"><paramref name="last"/> is above <see cref="MaxId"/>.</exception>
    internal static void CheckIdRange(int last)
    {
        if (last > MaxId)
            throw new WasmImplementationLimitException($"more than {MaxId} distinct types in this process (a reference type carries its type's id in 24 bits)");
    }

    /// <summary>The registry's entry for id <paramref name="id"/>, or null if no type has that id.</summary>
    public static Entry? TryGet(int id) => id > 0 && id < Volatile.Read(ref _count) ? Peek(id) : null;

    /// <summary>The registry's entry for id <paramref name="id"/> (an id the registry gave out).</summary>
    public static Entry Get(int id) => TryGet(id) ?? throw new ArgumentOutOfRangeException(nameof(id), $"no canonical type has id {id}");

    /// <summary>The layout of struct or array type <paramref name="id"/> (<see cref="Runtime.GcLayout"/>).</summary>
    public static Runtime.GcLayout Layout(int id) => Get(id).Layout ?? throw new ArgumentException($"type {id} is a function type", nameof(id));

    /// <summary>The canonical signature of function type <paramref name="id"/> (an empty one for a struct or array type).</summary>
    public static FuncType GetType(int id) => Get(id).Func ?? ModuleDefinition.NotAFunction;

    /// <summary>
    /// <see cref="ValTypes.Kind"/> for a type whose concrete heap type is a canonical id: anyref for a struct or array
    /// type, funcref for a function type (module type indices count as function types: canonicalise them first).
    /// </summary>
    public static ValType KindOf(ValType type) =>
        type.CanonicalId() is int id && Get(id).Type.Kind != CompositeKind.Func ? ValType.AnyRef : type.Kind();

    /// <summary>True if canonical type <paramref name="sub"/> is <paramref name="super"/> or declares it as a (transitive) supertype.</summary>
    public static bool IsSubtype(int sub, int super)
    {
        if (sub == super) return true;
        int[] a = Get(sub).Chain, b = Get(super).Chain;
        return a.Length > b.Length && a[b.Length - 1] == super;
    }

    /// <summary>
    /// <paramref name="type"/> with every module type index replaced by its canonical id (<paramref name="ids"/> from
    /// <see cref="CanonicalIds"/>): the form the runtime compares across modules.
    /// </summary>
    public static ValType Canonical(ValType type, int[] ids) => type.MapTypeIndex(index => ValTypes.CanonicalIdBase + (uint)ids[index]);

    private static Entry MakeEntry(SubType type, int[] ids, int self)
    {
        var canonical = Map(type, index => ValTypes.CanonicalIdBase + (uint)ids[index], ids);
        var super = type.Supertypes.Length == 0 ? null : Peek(ids[type.Supertypes[0]])!;
        int[] chain = super is null ? [self] : [.. super.Chain, self];
        var layout = type.Kind == CompositeKind.Func ? null : Runtime.GcLayout.Create(canonical.Fields, super?.Layout);
        return new Entry(canonical, canonical.Func, chain, layout);
    }

    private static SubType Map(SubType type, Func<uint, uint> map, int[] ids)
    {
        FieldType MapField(FieldType f) => f with { Type = f.Type.MapTypeIndex(map) };
        var func = type.Func is null ? null
            : new FuncType(type.Func.Params.Select(t => t.MapTypeIndex(map)).ToArray(), type.Func.Results.Select(t => t.MapTypeIndex(map)).ToArray());
        return new SubType(type.Kind, func, type.Fields.Select(MapField).ToArray(), type.Final, type.Supertypes.Select(s => (uint)ids[s]).ToArray());
    }

    /// <summary>The key of recursion group <paramref name="start"/>..+<paramref name="count"/>: members spelled with rec.i and earlier groups' ids.</summary>
    private static string GroupKey(IReadOnlyList<SubType> types, int start, int count, int[] ids)
    {
        var key = new StringBuilder();
        uint Code(uint index) => index >= (uint)start && index < (uint)(start + count)
            ? ValTypes.RecIndexBase + (index - (uint)start)
            : ValTypes.CanonicalIdBase + (uint)ids[index];
        void Type(ValType t) => key.Append((uint)t.MapTypeIndex(Code)).Append(',');
        for (int k = 0; k < count; k++)
        {
            var s = types[start + k];
            key.Append(s.Final ? 'F' : 'O').Append((int)s.Kind).Append('<');
            foreach (var super in s.Supertypes) key.Append(Code(super)).Append(',');
            key.Append('>');
            if (s.Func is { } f)
            {
                foreach (var p in f.Params) Type(p);
                key.Append("->");
                foreach (var r in f.Results) Type(r);
            }
            foreach (var field in s.Fields)
            {
                key.Append(field.Mutable ? 'm' : 'c').Append((int)field.Packed).Append(':');
                Type(field.Type);
            }
            key.Append(';');
        }
        return key.ToString();
    }
}
