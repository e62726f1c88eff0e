using Strand.Binary;

namespace Strand.Text;

/// <summary>
/// Type definitions in the text format (WebAssembly 3.0 with GC): <c>(type $t? comptype)</c>,
/// <c>(type $t? (sub final? $super* comptype))</c> and <c>(rec (type ...)*)</c>, where comptype is
/// <c>(func (param ...)* (result ...)*)</c>, <c>(struct (field $f? fieldtype*)*)</c> or <c>(array fieldtype)</c>,
/// and fieldtype is <c>storagetype</c> or <c>(mut storagetype)</c> with storagetype a value type, <c>i8</c> or <c>i16</c>.
/// </summary>
internal sealed partial class ModuleParser
{
    /// <summary>Every type definition in type-index order (explicit ones, then those added by type uses).</summary>
    private readonly List<SubType> _types = new();
    /// <summary>The recursion groups: first type index and count (a plain definition is a group of one).</summary>
    private readonly List<(int Start, int Count)> _recGroups = new();
    /// <summary>The field names of each struct type that names some (struct.get $t $f).</summary>
    private readonly Dictionary<int, Dictionary<string, uint>> _fieldNames = new();

    /// <summary>A field index or name of struct type <paramref name="type"/>.</summary>
    internal uint ResolveField(uint type, SAtom atom)
    {
        if (!atom.IsId) return Cursor.ParseU32(atom);
        if (_fieldNames.TryGetValue((int)type, out var names) && names.TryGetValue(atom.Text, out uint index)) return index;
        throw atom.Error($"unknown field {atom.Text}");
    }

    /// <summary>Adds the names of a <c>type</c> or <c>rec</c> field's types to the type index space (before anything is parsed).</summary>
    private void RegisterTypeNames(SList field)
    {
        if (field.HeadIs("type"))
        {
            _typeSpace.Add(new Cursor(field).TryId());
            return;
        }
        var c = new Cursor(field);
        while (!c.AtEnd)
        {
            var member = c.TryList("type") ?? throw c.Unexpected();
            _typeSpace.Add(new Cursor(member).TryId());
        }
    }

    /// <summary>Parses a <c>type</c> field (a group of one) or a <c>rec</c> field (a group of its members).</summary>
    private void DefineTypes(SList field)
    {
        int start = _types.Count;
        if (field.HeadIs("type")) _types.Add(ParseTypeDefinition(field));
        else
        {
            var c = new Cursor(field);
            while (!c.AtEnd) _types.Add(ParseTypeDefinition(c.TryList("type") ?? throw c.Unexpected()));
        }
        _recGroups.Add((start, _types.Count - start));
    }

    private SubType ParseTypeDefinition(SList typeField)
    {
        var c = new Cursor(typeField);
        c.TryId();
        var definition = c.ExpectList();
        c.ExpectEnd();
        _currentFieldNames = null;
        if (!definition.HeadIs("sub")) return Named(ParseCompositeType(definition, final: true, []));
        var sc = new Cursor(definition);
        bool final = sc.TryKeyword("final");
        var supertypes = new List<uint>();
        while (sc.PeekIndex()) supertypes.Add(_typeSpace.Resolve(sc.ExpectAtom()));
        var composite = sc.ExpectList();
        sc.ExpectEnd();
        return Named(ParseCompositeType(composite, final, supertypes.ToArray()));
    }

    /// <summary>Field names met while parsing the current type definition (<see cref="ParseCompositeType"/>), recorded under its index.</summary>
    [ThreadStatic] private static Dictionary<string, uint>? _currentFieldNames;

    private SubType Named(SubType type)
    {
        if (_currentFieldNames is { } names) _fieldNames[_types.Count] = names;
        _currentFieldNames = null;
        return type;
    }

    private static SubType ParseCompositeType(SList composite, bool final, uint[] supertypes)
    {
        var c = new Cursor(composite);
        switch (composite.Head)
        {
            case "func":
            {
                var (parameters, _) = ParseParams(c, allowIds: true);
                var results = ParseResults(c);
                c.ExpectEnd();
                return new SubType(CompositeKind.Func, new FuncType(parameters.ToArray(), results.ToArray()), [], final, supertypes);
            }
            case "struct":
            {
                var fields = new List<FieldType>();
                while (c.TryList("field") is { } field)
                {
                    var fc = new Cursor(field);
                    if (fc.TryId() is { } name)
                    {
                        _currentFieldNames ??= new Dictionary<string, uint>(StringComparer.Ordinal);
                        if (!_currentFieldNames.TryAdd(name.Text, (uint)fields.Count)) throw name.Error($"duplicate field {name.Text}");
                        fields.Add(ParseFieldType(fc)); // a named field has exactly one type
                        fc.ExpectEnd();
                        continue;
                    }
                    while (!fc.AtEnd) fields.Add(ParseFieldType(fc));
                }
                c.ExpectEnd();
                return new SubType(CompositeKind.Struct, null, fields.ToArray(), final, supertypes);
            }
            case "array":
            {
                var element = ParseFieldType(c);
                c.ExpectEnd();
                return new SubType(CompositeKind.Array, null, [element], final, supertypes);
            }
            default:
                throw composite.Error($"unexpected token {composite.Head}, expected func, struct or array");
        }
    }

    private static FieldType ParseFieldType(Cursor c)
    {
        if (c.TryList("mut") is { } mutable)
        {
            var mc = new Cursor(mutable);
            var field = ParseStorageType(mc) with { Mutable = true };
            mc.ExpectEnd();
            return field;
        }
        return ParseStorageType(c);
    }

    private static FieldType ParseStorageType(Cursor c)
    {
        if (c.TryKeyword("i8")) return new FieldType(ValType.I32, PackedType.I8, false);
        if (c.TryKeyword("i16")) return new FieldType(ValType.I32, PackedType.I16, false);
        return new FieldType(c.ExpectValType(), PackedType.None, false);
    }

    /// <summary>
    /// The first type that a type use with this signature abbreviates: a plain function type (final, no supertype, alone in
    /// its recursion group) with the same parameters and results; appended as a new group of one if there is none.
    /// </summary>
    internal uint FindOrAddType(FuncType type)
    {
        foreach (var (start, count) in _recGroups)
        {
            var t = _types[start];
            if (count == 1 && t.Kind == CompositeKind.Func && t.Final && t.Supertypes.Length == 0 && t.Func!.Equals(type)) return (uint)start;
        }
        _recGroups.Add((_types.Count, 1));
        _types.Add(SubType.OfFunction(type));
        _typeSpace.Add(null);
        return (uint)(_types.Count - 1);
    }

    /// <summary>The type section: each group as <c>0x4E</c> and its members when it has several, each member as a sub type.</summary>
    private void WriteTypeSection(ByteWriter module)
    {
        if (_types.Count == 0) return;
        var s = new ByteWriter();
        s.U32((uint)_recGroups.Count);
        foreach (var (start, count) in _recGroups)
        {
            if (count != 1)
            {
                s.Byte(0x4E);
                s.U32((uint)count);
            }
            for (int i = start; i < start + count; i++) WriteSubType(s, _types[i]);
        }
        Section(module, 1, s);
    }

    private static void WriteSubType(ByteWriter s, SubType t)
    {
        if (!t.Final || t.Supertypes.Length > 0)
        {
            s.Byte(t.Final ? (byte)0x4F : (byte)0x50);
            s.U32((uint)t.Supertypes.Length);
            foreach (var super in t.Supertypes) s.U32(super);
        }
        switch (t.Kind)
        {
            case CompositeKind.Func:
                s.Byte(0x60);
                s.U32((uint)t.Func!.Params.Length);
                foreach (var p in t.Func.Params) s.ValType(p);
                s.U32((uint)t.Func.Results.Length);
                foreach (var r in t.Func.Results) s.ValType(r);
                break;
            case CompositeKind.Struct:
                s.Byte(0x5F);
                s.U32((uint)t.Fields.Length);
                foreach (var f in t.Fields) WriteFieldType(s, f);
                break;
            default:
                s.Byte(0x5E);
                WriteFieldType(s, t.Fields[0]);
                break;
        }
    }

    private static void WriteFieldType(ByteWriter s, FieldType f)
    {
        if (f.Packed != PackedType.None) s.Byte((byte)f.Packed);
        else s.ValType(f.Type);
        s.Byte(f.Mutable ? (byte)1 : (byte)0);
    }
}
