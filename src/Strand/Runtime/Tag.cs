using Strand.Binary;

namespace Strand;

/// <summary>
/// An exception tag (exception handling, spec 4.2.7 tag instances): a unique identity with a function type whose
/// parameters are the payload of the exceptions thrown with it (its results are always empty). Two tags are the same
/// tag only if they are the same object: every instantiation of a module creates new tags for the tags it defines,
/// while an imported tag is the exporter's object. A host creates tags to throw into guest code
/// (<see cref="Runtime.WasmException"/>) and to define tag imports (<see cref="Linker.Define"/>).
/// </summary>
public sealed class Tag : Extern
{
    /// <summary>A new tag whose exceptions carry values of <paramref name="payload"/> types (i32, i64, f32, f64, v128, funcref, externref, exnref).</summary>
    /// <exception cref="ArgumentException">A payload type is not a value type Strand implements.</exception>
    public Tag(params ValType[] payload) : this(new FuncType(CheckPayload(payload), [])) { }

    /// <summary>A new tag of type <paramref name="type"/>, which must have no results.</summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> has results, or a parameter Strand does not implement.</exception>
    public Tag(FuncType type) : this(type, 0) { }

    /// <summary>A tag of a module's type <paramref name="type"/> whose canonical id is <paramref name="typeId"/> (0: the plain function type's).</summary>
    internal Tag(FuncType type, int typeId)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.Results.Length != 0) throw new ArgumentException($"a tag's type has no results (got {type})", nameof(type));
        CheckPayload(type.Params);
        Type = type;
        TypeId = typeId != 0 ? typeId : Validation.TypeRegistry.GetId(type);
    }

    /// <summary>The canonical id of <see cref="Type"/>: a tag import matches only a tag of exactly that type (spec 4.5.2).</summary>
    internal int TypeId { get; }

    private static ValType[] CheckPayload(ValType[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        foreach (var t in payload) Runtime.ValueTypeCheck.RequireHostType(t, nameof(payload));
        return (ValType[])payload.Clone();
    }

    /// <summary>The tag's type: parameters are the payload, results empty.</summary>
    public FuncType Type { get; }

    /// <summary>Always <see cref="ExternalKind.Tag"/>.</summary>
    public override ExternalKind Kind => ExternalKind.Tag;

    /// <summary>The type as "tag [i32] -> []".</summary>
    public override string DescribeType() => TypeText.Describe(this);
}
