using Strand.Binary;

namespace Strand.Text;

/// <summary>Sequential reader over the items of one S-expression list, with positioned errors.</summary>
internal sealed class Cursor
{
    private readonly SList _list;
    private int _pos;

    public Cursor(SList list, int start = 1)
    {
        _list = list;
        _pos = start;
    }

    public SList List => _list;
    public bool AtEnd => _pos >= _list.Items.Count;
    public SNode? Peek() => AtEnd ? null : _list.Items[_pos];
    public SNode? PeekAt(int ahead) => _pos + ahead < _list.Items.Count ? _list.Items[_pos + ahead] : null;

    public WatParseException ErrorHere(string reason) =>
        Peek() is { } n ? n.Error(reason) : new WatParseException(_list.EndLine, _list.EndColumn, reason);

    public WatParseException Unexpected() =>
        Peek() is { } n ? n.Error($"unexpected token {Describe(n)}") : ErrorHere("unexpected end of list");

    private static string Describe(SNode n)
    {
        var s = n.ToString() ?? "";
        return s.Length > 40 ? s[..40] + "..." : s;
    }

    public SNode Next()
    {
        if (AtEnd) throw ErrorHere("unexpected end of list");
        return _list.Items[_pos++];
    }

    public SAtom? PeekAtom() => Peek() as SAtom;

    public bool PeekKeyword(string keyword) => Peek() is SAtom a && a.Is(keyword);

    public bool TryKeyword(string keyword)
    {
        if (!PeekKeyword(keyword)) return false;
        _pos++;
        return true;
    }

    public void ExpectKeyword(string keyword)
    {
        if (!TryKeyword(keyword)) throw Peek() is null ? ErrorHere($"expected '{keyword}'") : Unexpected();
    }

    public bool PeekList(string head) => Peek() is SList l && l.HeadIs(head);

    public SList? TryList(string head)
    {
        if (Peek() is SList l && l.HeadIs(head))
        {
            _pos++;
            return l;
        }
        return null;
    }

    public SAtom ExpectAtom()
    {
        if (Peek() is SAtom a && !a.Reserved)
        {
            _pos++;
            return a;
        }
        throw Unexpected();
    }

    public SList ExpectList()
    {
        if (Peek() is SList l)
        {
            _pos++;
            return l;
        }
        throw Unexpected();
    }

    public SString ExpectString()
    {
        if (Peek() is SString s)
        {
            _pos++;
            return s;
        }
        throw Peek() is null ? ErrorHere("expected a string") : Unexpected();
    }

    /// <summary>Consumes an identifier like <c>$x</c> if one is next.</summary>
    public SAtom? TryId()
    {
        if (Peek() is SAtom { IsId: true } a)
        {
            _pos++;
            return a;
        }
        return null;
    }

    /// <summary>An index reference: a natural number or an identifier.</summary>
    public bool PeekIndex() => Peek() is SAtom { Reserved: false } a && (a.IsId || a.Text[0] is >= '0' and <= '9');

    public void ExpectEnd()
    {
        if (!AtEnd) throw Unexpected();
    }

    public uint ExpectU32()
    {
        var atom = ExpectAtom();
        return ParseU32(atom);
    }

    public static uint ParseU32(SAtom atom)
    {
        if (!Literals.TryParseNat(atom.Text, uint.MaxValue, out var v, out bool outOfRange)) throw atom.Error($"unexpected token {atom.Text}, expected a natural number");
        if (outOfRange) throw atom.Error(Literals.OutOfRange);
        return (uint)v;
    }

    public ValType ExpectValType()
    {
        if (TryList("ref") is { } reference) return ParseReferenceType(reference);
        var atom = ExpectAtom();
        return ParseValType(atom);
    }

    /// <summary>
    /// The type names of the module being parsed, for <c>(ref $t)</c> and other heap types written as identifiers. Ambient
    /// (thread-static, set by <see cref="ModuleParser"/> for the duration of one module) because value types are read by
    /// static helpers through many nested cursors; null outside a module, where only numeric type indices resolve.
    /// </summary>
    [ThreadStatic] internal static IndexSpace? TypeNames;

    /// <summary><c>(ref null? ht)</c> (WebAssembly 3.0): ht an abstract heap type or a type index or identifier.</summary>
    private static ValType ParseReferenceType(SList reference)
    {
        var c = new Cursor(reference);
        bool nullable = c.TryKeyword("null");
        var type = ValTypes.Ref(ParseHeapType(c.ExpectAtom()), nullable);
        c.ExpectEnd();
        return type;
    }

    /// <summary>
    /// A heap type's code (see <see cref="ValTypes"/>): an abstract heap type (func, extern, exn, any, eq, i31, struct, array,
    /// nofunc, noextern, noexn, none), or a type index or identifier.
    /// </summary>
    private static uint ParseHeapType(SAtom atom)
    {
        switch (atom.Text)
        {
            case "func": return (uint)AbstractHeapType.Func;
            case "extern": return (uint)AbstractHeapType.Extern;
            case "exn": return (uint)AbstractHeapType.Exn;
            case "nofunc": return (uint)AbstractHeapType.NoFunc;
            case "noextern": return (uint)AbstractHeapType.NoExtern;
            case "noexn": return (uint)AbstractHeapType.NoExn;
            case "any": return (uint)AbstractHeapType.Any;
            case "eq": return (uint)AbstractHeapType.Eq;
            case "i31": return (uint)AbstractHeapType.I31;
            case "struct": return (uint)AbstractHeapType.Struct;
            case "array": return (uint)AbstractHeapType.Array;
            case "none": return (uint)AbstractHeapType.None;
        }
        if (atom.IsId)
        {
            if (TypeNames is { } names && names.TryLookup(atom.Text, out uint index)) return ValTypes.TypeIndexBase + ValTypes.PackableTypeIndex(index);
            throw atom.Error($"unknown type {atom.Text}");
        }
        if (atom.Text.Length > 0 && atom.Text[0] is >= '0' and <= '9')
        {
            // An index too large to pack names no type of any module we accept: validation reports it ("unknown type").
            return ValTypes.TypeIndexBase + ValTypes.PackableTypeIndex(ParseU32(atom));
        }
        throw atom.Error($"unexpected token {atom.Text}, expected a heap type");
    }

    public static ValType ParseValType(SAtom atom) => atom.Text switch
    {
        "i32" => ValType.I32,
        "i64" => ValType.I64,
        "f32" => ValType.F32,
        "f64" => ValType.F64,
        "v128" => ValType.V128,
        _ => TryParseRefShorthand(atom.Text) ?? throw atom.Error($"unexpected token {atom.Text}, expected a value type"),
    };

    /// <summary>The reference type shorthands: funcref, externref, exnref, anyref, eqref, i31ref, structref, arrayref and the bottoms nullfuncref, nullexternref, nullexnref, nullref.</summary>
    private static ValType? TryParseRefShorthand(string text) => text switch
    {
        "funcref" => ValType.FuncRef,
        "externref" => ValType.ExternRef,
        "exnref" => ValType.ExnRef,
        "nullfuncref" => ValTypes.Ref(AbstractHeapType.NoFunc, nullable: true),
        "nullexternref" => ValTypes.Ref(AbstractHeapType.NoExtern, nullable: true),
        "nullexnref" => ValTypes.Ref(AbstractHeapType.NoExn, nullable: true),
        "anyref" => ValType.AnyRef,
        "eqref" => ValTypes.Ref(AbstractHeapType.Eq, nullable: true),
        "i31ref" => ValTypes.Ref(AbstractHeapType.I31, nullable: true),
        "structref" => ValTypes.Ref(AbstractHeapType.Struct, nullable: true),
        "arrayref" => ValTypes.Ref(AbstractHeapType.Array, nullable: true),
        "nullref" => ValTypes.Ref(AbstractHeapType.None, nullable: true),
        _ => null,
    };

    public ValType ExpectRefType()
    {
        if (TryList("ref") is { } reference) return ParseReferenceType(reference);
        var atom = ExpectAtom();
        return TryParseRefShorthand(atom.Text) ?? throw atom.Error($"unexpected token {atom.Text}, expected a reference type");
    }

    public bool PeekRefType() =>
        (Peek() is SAtom { IsId: false } a && TryParseRefShorthand(a.Text) is not null) || PeekList("ref");

    /// <summary>A heap type as used by <c>ref.null</c>: the nullable reference type of it (<c>ref.null func</c> is funcref).</summary>
    public ValType ExpectHeapType() => ValTypes.Ref(ParseHeapType(ExpectAtom()), nullable: true);
}

/// <summary>One index space (functions, tables, ...) with its identifiers.</summary>
internal sealed class IndexSpace
{
    private readonly Dictionary<string, uint> _ids = new(StringComparer.Ordinal);

    public IndexSpace(string kind) => Kind = kind;

    public string Kind { get; }
    public uint Count { get; private set; }

    public uint Add(SAtom? id)
    {
        if (id is not null && !_ids.TryAdd(id.Text, Count)) throw id.Error($"duplicate {Kind} {id.Text}");
        return Count++;
    }

    public bool TryLookup(string id, out uint index) => _ids.TryGetValue(id, out index);

    /// <summary>Resolves a numeric index or an identifier; numeric indices are not range-checked (that is validation's job).</summary>
    public uint Resolve(SAtom atom)
    {
        if (atom.IsId)
        {
            if (_ids.TryGetValue(atom.Text, out var index)) return index;
            throw atom.Error($"unknown {Kind} {atom.Text}");
        }
        return Cursor.ParseU32(atom);
    }
}
