using System.Text;
using Strand.Binary;

namespace Strand.Text;

/// <summary>
/// Turns the fields of one text module into the binary format. Pass one registers every
/// identifier and the explicit type definitions (so references may point forward); pass two
/// parses each field, desugars abbreviations and encodes the sections.
/// </summary>
internal sealed partial class ModuleParser
{
    private readonly IndexSpace _typeSpace = new("type");
    internal readonly IndexSpace Funcs = new("function");
    internal readonly IndexSpace Tables = new("table");
    internal readonly IndexSpace Memories = new("memory");
    internal readonly IndexSpace Globals = new("global");
    internal readonly IndexSpace Elems = new("elem segment");
    internal readonly IndexSpace Datas = new("data segment");
    internal readonly IndexSpace Tags = new("tag");

    private readonly ByteWriter _imports = new();
    private uint _importCount;
    private readonly ByteWriter _functions = new();
    private uint _functionCount;
    private readonly ByteWriter _tables = new();
    private uint _tableCount;
    private readonly ByteWriter _memories = new();
    private uint _memoryCount;
    private readonly ByteWriter _globals = new();
    private uint _globalCount;
    private readonly ByteWriter _exports = new();
    private uint _exportCount;
    private uint? _start;
    private readonly ByteWriter _elems = new();
    private uint _elemCount;
    private readonly ByteWriter _code = new();
    private readonly ByteWriter _datas = new();
    private uint _dataCount;

    /// <summary>Set when a function uses memory.init or data.drop, which need the data count section.</summary>
    internal bool UsesDataCount { get; set; }

    private ModuleParser() { }

    public static byte[] Encode(IReadOnlyList<SNode> fields, IReadOnlyList<SList>? customAnnotations = null)
    {
        var parser = new ModuleParser();
        parser._customSections = CustomSections.Parse(customAnnotations ?? []);
        var lists = new List<SList>(fields.Count);
        foreach (var f in fields)
        {
            if (f is not SList list || list.Head is null) throw f.Error($"unexpected token {f}, expected a module field");
            lists.Add(list);
        }
        // Type names first: a type may refer to itself or to a later type by name ((ref $t)).
        foreach (var field in lists)
            if (field.HeadIs("type") || field.HeadIs("rec")) parser.RegisterTypeNames(field);
        var outerNames = Cursor.TypeNames;
        Cursor.TypeNames = parser._typeSpace;
        try
        {
            foreach (var field in lists) parser.Register(field);
            foreach (var field in lists) parser.Define(field);
            return parser.Assemble();
        }
        finally
        {
            Cursor.TypeNames = outerNames;
        }
    }

    // ---------------------------------------------------------------- pass one

    private bool _definedFunc, _definedTable, _definedMemory, _definedGlobal;

    private void Register(SList field)
    {
        var c = new Cursor(field);
        switch (field.Head)
        {
            case "type" or "rec":
                DefineTypes(field); // its names were added first (Encode)
                break;
            case "import":
                {
                    c.ExpectString();
                    c.ExpectString();
                    var desc = c.ExpectList();
                    CheckImportOrder(field);
                    var dc = new Cursor(desc);
                    SpaceFor(desc).Add(dc.TryId());
                    if (desc.HeadIs("memory")) Memory64.Add(HasAtom(desc, "i64"));
                    break;
                }
            case "func" or "table" or "memory" or "global" or "tag":
                {
                    var id = c.TryId();
                    bool imported = false;
                    while (c.Peek() is SList l && l.HeadIs("export")) c.Next();
                    if (c.PeekList("import")) imported = true;
                    if (imported) CheckImportOrder(field);
                    SpaceFor(field).Add(id);
                    if (field.HeadIs("memory")) Memory64.Add(HasAtom(field, "i64"));
                    if (!imported)
                    {
                        switch (field.Head)
                        {
                            case "func": _definedFunc = true; break;
                            case "table": _definedTable = true; break;
                            case "memory": _definedMemory = true; break;
                            default: _definedGlobal = true; break;
                        }
                        // Inline segments occupy an (anonymous) segment index in text order.
                        if (field.HeadIs("table") && HasInlineSegment(c, "elem")) Elems.Add(null);
                        if (field.HeadIs("memory") && HasInlineSegment(c, "data")) Datas.Add(null);
                    }
                    break;
                }
            case "elem":
                Elems.Add(c.TryId());
                break;
            case "data":
                Datas.Add(c.TryId());
                break;
            case "export" or "start":
                break;
            default:
                throw field.Items[0].Error($"unknown module field '{field.Head}'");
        }
    }

    /// <summary>Per memory index (text order, imports included): whether the memory has 64-bit addresses (memory64).</summary>
    internal readonly List<bool> Memory64 = new();

    private static bool HasAtom(SList list, string text) => list.Items.Any(n => n is SAtom a && a.Text == text);

    private static bool HasInlineSegment(Cursor c, string head)
    {
        for (int i = 0; c.PeekAt(i) is { } n; i++)
            if (n is SList l && l.HeadIs(head)) return true;
        return false;
    }

    private void CheckImportOrder(SList field)
    {
        string? after = _definedFunc ? "function" : _definedTable ? "table" : _definedMemory ? "memory" : _definedGlobal ? "global" : null;
        if (after is not null) throw field.Error($"import after {after}");
    }

    private IndexSpace SpaceFor(SList descOrField) => descOrField.Head switch
    {
        "func" => Funcs,
        "table" => Tables,
        "memory" => Memories,
        "global" => Globals,
        "tag" => Tags,
        _ => throw descOrField.Error($"unexpected token {descOrField.Head}, expected func, table, memory, global or tag"),
    };

    // ---------------------------------------------------------------- types

    /// <summary>Parses <c>(param ...)*</c>; returns the types and, per parameter, its identifier if any.</summary>
    internal static (List<ValType> Types, List<SAtom?> Ids) ParseParams(Cursor c, bool allowIds)
    {
        var types = new List<ValType>();
        var ids = new List<SAtom?>();
        while (c.TryList("param") is { } p)
        {
            var pc = new Cursor(p);
            if (pc.TryId() is { } id)
            {
                if (!allowIds) throw id.Error($"unexpected token {id.Text}: parameters cannot be named here");
                types.Add(pc.ExpectValType());
                ids.Add(id);
                pc.ExpectEnd();
                continue;
            }
            while (!pc.AtEnd)
            {
                types.Add(pc.ExpectValType());
                ids.Add(null);
            }
        }
        return (types, ids);
    }

    internal static List<ValType> ParseResults(Cursor c)
    {
        var types = new List<ValType>();
        while (c.TryList("result") is { } r)
        {
            var rc = new Cursor(r);
            while (!rc.AtEnd) types.Add(rc.ExpectValType());
        }
        return types;
    }

    /// <summary>A type index or identifier (call_ref, return_call_ref).</summary>
    internal uint ResolveType(SAtom atom) => _typeSpace.Resolve(atom);

    /// <summary>
    /// A type use: <c>(type x)? (param ...)* (result ...)*</c>. With an explicit index any inline
    /// signature must agree with it; without one the signature is looked up or added.
    /// </summary>
    internal (uint TypeIndex, List<SAtom?> ParamIds) ParseTypeUse(Cursor c, bool allowParamIds)
    {
        uint? explicitIndex = null;
        SList? typeRef = c.TryList("type");
        if (typeRef is not null)
        {
            var tc = new Cursor(typeRef);
            explicitIndex = _typeSpace.Resolve(tc.ExpectAtom());
            tc.ExpectEnd();
        }
        var start = c.Peek();
        var (parameters, ids) = ParseParams(c, allowParamIds);
        var results = ParseResults(c);
        if (explicitIndex is { } index)
        {
            if (index >= _types.Count)
            {
                // Without an inline signature, an undefined index is left for validation to reject;
                // with one, the two cannot be checked against each other.
                if (parameters.Count > 0 || results.Count > 0) throw typeRef!.Error($"unknown type {index}");
                return (index, ids);
            }
            var declared = _types[(int)index].Func;
            if (declared is null)
            {
                // A struct or array type: validation reports it ("type mismatch"); an inline signature cannot agree with it.
                if (parameters.Count > 0 || results.Count > 0) throw typeRef!.Error("inline function type does not match the referenced type");
                return (index, ids);
            }
            if (parameters.Count > 0 || results.Count > 0)
            {
                if (!declared.Equals(new FuncType(parameters.ToArray(), results.ToArray())))
                    throw (start ?? typeRef!).Error("inline function type does not match the referenced type");
                return (index, ids);
            }
            return (index, Enumerable.Repeat<SAtom?>(null, declared.Params.Length).ToList());
        }
        return (FindOrAddType(new FuncType(parameters.ToArray(), results.ToArray())), ids);
    }

    // ---------------------------------------------------------------- pass two

    private void Define(SList field)
    {
        var c = new Cursor(field);
        switch (field.Head)
        {
            case "type" or "rec": break;
            case "import": DefineImport(c); break;
            case "func": DefineFunc(c); break;
            case "table": DefineTable(c); break;
            case "memory": DefineMemory(c); break;
            case "global": DefineGlobal(c); break;
            case "tag": DefineTag(c); break;
            case "export": DefineExport(c); break;
            case "start":
                {
                    if (_start is not null) throw field.Error("multiple start sections");
                    _start = Funcs.Resolve(c.ExpectAtom());
                    c.ExpectEnd();
                    break;
                }
            case "elem": DefineElem(c); break;
            case "data": DefineData(c); break;
        }
    }

    internal static byte[] ExpectName(Cursor c)
    {
        var s = c.ExpectString();
        try
        {
            _ = new UTF8Encoding(false, true).GetString(s.Bytes);
        }
        catch (DecoderFallbackException)
        {
            throw s.Error("malformed UTF-8 encoding");
        }
        return s.Bytes;
    }

    /// <summary>Inline <c>(export "name")*</c> of a definition whose index is <paramref name="index"/>.</summary>
    private void InlineExports(Cursor c, ExternalKind kind, uint index)
    {
        while (c.TryList("export") is { } e)
        {
            var ec = new Cursor(e);
            var name = ExpectName(ec);
            ec.ExpectEnd();
            AddExport(name, kind, index);
        }
    }

    private void AddExport(byte[] name, ExternalKind kind, uint index)
    {
        _exports.Name(name);
        _exports.Byte((byte)kind);
        _exports.U32(index);
        _exportCount++;
    }

    /// <summary>Inline <c>(import "m" "n")</c>: writes the import entry header and returns true.</summary>
    private bool TryInlineImport(Cursor c, ExternalKind kind)
    {
        if (c.TryList("import") is not { } i) return false;
        var ic = new Cursor(i);
        var module = ExpectName(ic);
        var name = ExpectName(ic);
        ic.ExpectEnd();
        _imports.Name(module);
        _imports.Name(name);
        _imports.Byte((byte)kind);
        _importCount++;
        return true;
    }

    private void DefineImport(Cursor c)
    {
        var module = ExpectName(c);
        var name = ExpectName(c);
        var desc = c.ExpectList();
        c.ExpectEnd();
        var dc = new Cursor(desc);
        dc.TryId();
        switch (desc.Head)
        {
            case "func": _nextFunc++; break;
            case "table": _nextTable++; break;
            case "memory": _nextMemory++; break;
            case "tag": _nextTag++; break;
            default: _nextGlobal++; break;
        }
        _imports.Name(module);
        _imports.Name(name);
        _importCount++;
        switch (desc.Head)
        {
            case "func":
                _imports.Byte((byte)ExternalKind.Function);
                _imports.U32(ParseTypeUse(dc, allowParamIds: true).TypeIndex);
                break;
            case "table":
                _imports.Byte((byte)ExternalKind.Table);
                WriteTableType(_imports, dc);
                break;
            case "memory":
                _imports.Byte((byte)ExternalKind.Memory);
                WriteMemoryType(_imports, dc);
                break;
            case "global":
                _imports.Byte((byte)ExternalKind.Global);
                WriteGlobalType(_imports, dc);
                break;
            case "tag":
                _imports.Byte((byte)ExternalKind.Tag);
                WriteTagType(_imports, dc);
                break;
        }
        dc.ExpectEnd();
    }

    /// <summary>Limits, after an optional address type (<c>i32</c>, or <c>i64</c>: memory64/table64, flag bit 2 and u64 limits).</summary>
    private static void WriteLimits(ByteWriter w, Cursor c, bool allowShared, bool? addressTypeRead = null)
    {
        bool is64 = addressTypeRead ?? TryAddressType(c);
        // Memories are the limits that may be shared; the error wording follows the spec suite's.
        string kind = allowShared ? "memory size must be at most 65536 pages (4GiB)" : "table size must be at most 2^32-1 elements";
        ulong min = ExpectLimit(c, is64, kind);
        ulong? max = null;
        if (c.PeekAtom() is { } a && a.Text[0] is >= '0' and <= '9') max = ExpectLimit(c, is64, kind);
        bool shared = allowShared && c.TryKeyword("shared");
        byte flags = (byte)((max is null ? 0 : 1) | (shared ? 2 : 0) | (is64 ? 4 : 0));
        w.Byte(flags);
        w.U64(min);
        if (max is { } m) w.U64(m);
    }

    /// <summary>Reads an optional address type keyword: true for <c>i64</c>.</summary>
    private static bool TryAddressType(Cursor c) => !c.TryKeyword("i32") && c.TryKeyword("i64");

    /// <summary>
    /// A limit: a u64 literal (WebAssembly 3.0 text). With a 32-bit address type one of 2^32 or more is well-formed but
    /// invalid (<paramref name="tooLarge"/>): the binary format's 32-bit limits cannot carry it.
    /// </summary>
    private static ulong ExpectLimit(Cursor c, bool is64, string tooLarge)
    {
        var atom = c.ExpectAtom();
        if (!Literals.TryParseNat(atom.Text, ulong.MaxValue, out var v, out bool outOfRange)) throw atom.Error($"unexpected token {atom.Text}, expected a natural number");
        if (outOfRange) throw atom.Error(Literals.OutOfRange);
        if (!is64 && v > uint.MaxValue) throw atom.Error(tooLarge).AsInvalid();
        return v;
    }

    /// <summary>An offset expression <c>i32.const 0</c> or (for a 64-bit memory or table) <c>i64.const 0</c>.</summary>
    private static ByteWriter ZeroOffset(bool is64)
    {
        var offset = new ByteWriter();
        offset.Byte((byte)(is64 ? Opcode.I64Const : Opcode.I32Const));
        offset.S32(0);
        offset.Byte((byte)Opcode.End);
        return offset;
    }

    private static void WriteTableType(ByteWriter w, Cursor c)
    {
        // Text order is limits then reference type; binary order is the reverse.
        var limits = new ByteWriter();
        WriteLimits(limits, c, allowShared: false);
        w.ValType(c.ExpectRefType());
        w.Bytes(limits);
    }

    private static void WriteMemoryType(ByteWriter w, Cursor c) => WriteLimits(w, c, allowShared: true);

    private static void WriteGlobalType(ByteWriter w, Cursor c)
    {
        if (c.TryList("mut") is { } m)
        {
            var mc = new Cursor(m);
            w.ValType(mc.ExpectValType());
            mc.ExpectEnd();
            w.Byte(1);
        }
        else
        {
            w.ValType(c.ExpectValType());
            w.Byte(0);
        }
    }

    private uint _nextFunc, _nextTable, _nextMemory, _nextGlobal;

    private void DefineFunc(Cursor c)
    {
        c.TryId();
        uint index = _nextFunc++;
        InlineExports(c, ExternalKind.Function, index);
        if (TryInlineImport(c, ExternalKind.Function))
        {
            _imports.U32(ParseTypeUse(c, allowParamIds: true).TypeIndex);
            c.ExpectEnd();
            return;
        }
        var (typeIndex, paramIds) = ParseTypeUse(c, allowParamIds: true);
        _functions.U32(typeIndex);
        _functionCount++;
        var body = new CodeParser(this, paramIds);
        _code.Sized(body.ParseFunctionBody(c));
    }

    private void DefineTable(Cursor c)
    {
        c.TryId();
        uint index = _nextTable++;
        InlineExports(c, ExternalKind.Table, index);
        if (TryInlineImport(c, ExternalKind.Table))
        {
            WriteTableType(_imports, c);
            c.ExpectEnd();
            return;
        }
        _tableCount++;
        // An explicit address type (i32 or i64, table64) is consumed here, before the inline-segment form is recognised.
        bool table64 = c.PeekAtom() is { Text: "i64" or "i32" } && TryAddressType(c);
        if (c.PeekRefType())
        {
            // (table reftype (elem ...)): the table is sized to fit its inline segment exactly.
            var refType = c.ExpectRefType();
            var elemList = c.TryList("elem") ?? throw c.Unexpected();
            c.ExpectEnd();
            var ec = new Cursor(elemList);
            var items = new List<byte[]>();
            if (ec.Peek() is SList)
            {
                while (!ec.AtEnd) items.Add(ParseElemItem(ec));
            }
            else
            {
                while (!ec.AtEnd) items.Add(RefFuncExpr(Funcs.Resolve(ec.ExpectAtom())));
            }
            _tables.ValType(refType);
            _tables.Byte((byte)(table64 ? 5 : 1));
            _tables.U32((uint)items.Count);
            _tables.U32((uint)items.Count);
            var offset = ZeroOffset(table64);
            WriteElemSegment(ElemMode.Active, index, offset, refType, items);
            return;
        }
        // (table limits reftype expr): a table initialised with expr (WebAssembly 3.0), 0x40 0x00 tabletype expr.
        var tableType = new ByteWriter();
        if (table64)
        {
            var limits = new ByteWriter();
            WriteLimits(limits, c, allowShared: false, addressTypeRead: true);
            tableType.ValType(c.ExpectRefType());
            tableType.Bytes(limits);
        }
        else WriteTableType(tableType, c);
        if (!c.AtEnd)
        {
            _tables.Bytes([0x40, 0x00]);
            _tables.Bytes(tableType);
            _tables.Bytes(new CodeParser(this).ParseConstExpr(c));
            return;
        }
        _tables.Bytes(tableType);
    }

    private void DefineMemory(Cursor c)
    {
        c.TryId();
        uint index = _nextMemory++;
        InlineExports(c, ExternalKind.Memory, index);
        if (TryInlineImport(c, ExternalKind.Memory))
        {
            WriteMemoryType(_imports, c);
            c.ExpectEnd();
            return;
        }
        _memoryCount++;
        bool memory64 = c.PeekAtom() is { Text: "i64" or "i32" } && c.PeekAt(1) is SList { } l && l.HeadIs("data") && TryAddressType(c);
        if (c.TryList("data") is { } dataList)
        {
            c.ExpectEnd();
            var dc = new Cursor(dataList);
            var bytes = new ByteWriter();
            while (!dc.AtEnd) bytes.Bytes(dc.ExpectString().Bytes);
            uint pages = (uint)((bytes.Length + 65535L) / 65536);
            _memories.Byte((byte)(memory64 ? 5 : 1));
            _memories.U32(pages);
            _memories.U32(pages);
            _dataCount++;
            WriteDataHeader(index, ZeroOffset(memory64));
            _datas.Sized(bytes);
            return;
        }
        WriteMemoryType(_memories, c);
        c.ExpectEnd();
    }


    private void DefineGlobal(Cursor c)
    {
        c.TryId();
        uint index = _nextGlobal++;
        InlineExports(c, ExternalKind.Global, index);
        if (TryInlineImport(c, ExternalKind.Global))
        {
            WriteGlobalType(_imports, c);
            c.ExpectEnd();
            return;
        }
        _globalCount++;
        WriteGlobalType(_globals, c);
        _globals.Bytes(new CodeParser(this).ParseConstExpr(c));
    }

    private void DefineExport(Cursor c)
    {
        var name = ExpectName(c);
        var desc = c.ExpectList();
        c.ExpectEnd();
        var dc = new Cursor(desc);
        var target = dc.ExpectAtom();
        dc.ExpectEnd();
        var kind = desc.Head switch
        {
            "func" => ExternalKind.Function,
            "table" => ExternalKind.Table,
            "memory" => ExternalKind.Memory,
            "global" => ExternalKind.Global,
            "tag" => ExternalKind.Tag,
            _ => throw desc.Error($"unexpected token {desc.Head}, expected func, table, memory, global or tag"),
        };
        AddExport(name, kind, SpaceFor(desc).Resolve(target));
    }

    // ---------------------------------------------------------------- segments

    private enum ElemMode { Active, Passive, Declarative }

    private static byte[] RefFuncExpr(uint funcIndex)
    {
        var w = new ByteWriter();
        w.Byte((byte)Opcode.RefFunc);
        w.U32(funcIndex);
        w.Byte((byte)Opcode.End);
        return w.ToArray();
    }

    /// <summary>An element expression: <c>(item instr*)</c> or a single folded instruction.</summary>
    private byte[] ParseElemItem(Cursor c)
    {
        var list = c.ExpectList();
        var parser = new CodeParser(this);
        if (list.HeadIs("item")) return parser.ParseConstExpr(new Cursor(list)).ToArray();
        return parser.ParseSingleFoldedExpr(list).ToArray();
    }

    /// <summary>An offset: <c>(offset instr*)</c> or a single folded instruction.</summary>
    private ByteWriter ParseOffset(Cursor c)
    {
        var list = c.ExpectList();
        var parser = new CodeParser(this);
        if (list.HeadIs("offset")) return parser.ParseConstExpr(new Cursor(list));
        return parser.ParseSingleFoldedExpr(list);
    }

    private void DefineElem(Cursor c)
    {
        c.TryId();
        var mode = ElemMode.Passive;
        uint table = 0;
        ByteWriter? offset = null;
        if (c.TryKeyword("declare")) mode = ElemMode.Declarative;
        else
        {
            if (c.TryList("table") is { } t)
            {
                var tc = new Cursor(t);
                table = Tables.Resolve(tc.ExpectAtom());
                tc.ExpectEnd();
                mode = ElemMode.Active;
                offset = ParseOffset(c);
            }
            else if (c.PeekIndex() && c.PeekAt(1) is SList)
            {
                // Legacy form: a bare table index before the offset.
                table = Tables.Resolve(c.ExpectAtom());
                mode = ElemMode.Active;
                offset = ParseOffset(c);
            }
            else if (c.Peek() is SList offsetOrType && !offsetOrType.HeadIs("ref")) // (ref null func) is the element type of a passive segment
            {
                mode = ElemMode.Active;
                offset = ParseOffset(c);
            }
        }

        ValType refType = RefFunc; // 3.0: the elemkind func (and a bare list of function indices) is (ref func)
        var items = new List<byte[]>();
        if (c.TryKeyword("func") || (mode == ElemMode.Active && c.PeekIndex()) || (mode == ElemMode.Active && c.AtEnd))
        {
            while (!c.AtEnd) items.Add(RefFuncExpr(Funcs.Resolve(c.ExpectAtom())));
        }
        else
        {
            refType = c.ExpectRefType();
            while (!c.AtEnd) items.Add(ParseElemItem(c));
        }
        WriteElemSegment(mode, table, offset, refType, items);
    }

    /// <summary>True if the expression is exactly <c>ref.func x end</c>, so the index-list encoding can carry it.</summary>
    private static bool IsRefFuncOnly(byte[] expr, out uint funcIndex)
    {
        funcIndex = 0;
        if (expr.Length < 3 || expr[0] != (byte)Opcode.RefFunc) return false;
        int pos = 1;
        int shift = 0;
        while (pos < expr.Length - 1)
        {
            byte b = expr[pos++];
            funcIndex |= (uint)(b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0) return pos == expr.Length - 1 && expr[pos] == (byte)Opcode.End;
        }
        return false;
    }

    private static readonly ValType RefFunc = ValTypes.Ref(AbstractHeapType.Func, nullable: false);

    private void WriteElemSegment(ElemMode mode, uint table, ByteWriter? offset, ValType refType, List<byte[]> items)
    {
        _elemCount++;
        var indices = new List<uint>();
        // The binary forms with function indices mean (ref func) (3.0); other types need the expression forms, whose
        // implied type (flags 4) is funcref.
        bool indexForm = refType == RefFunc;
        foreach (var item in items)
        {
            if (!IsRefFuncOnly(item, out var f)) { indexForm = false; break; }
            indices.Add(f);
        }
        bool impliedType = indexForm || refType == ValType.FuncRef;
        bool explicitTable = mode == ElemMode.Active && (table != 0 || !impliedType);
        byte flags = mode switch
        {
            ElemMode.Active => (byte)(explicitTable ? 2 : 0),
            ElemMode.Passive => 1,
            _ => 3,
        };
        if (!indexForm) flags |= 4;
        _elems.U32(flags);
        if (explicitTable) _elems.U32(table);
        if (mode == ElemMode.Active) _elems.Bytes(offset!);
        if (mode != ElemMode.Active || explicitTable)
        {
            if (indexForm) _elems.Byte(0x00); // elemkind funcref
            else _elems.ValType(refType);
        }
        _elems.U32((uint)items.Count);
        if (indexForm) foreach (var f in indices) _elems.U32(f);
        else foreach (var item in items) _elems.Bytes(item);
    }

    private void WriteDataHeader(uint memory, ByteWriter offset)
    {
        if (memory == 0)
        {
            _datas.U32(0);
        }
        else
        {
            _datas.U32(2);
            _datas.U32(memory);
        }
        _datas.Bytes(offset);
    }

    private void DefineData(Cursor c)
    {
        c.TryId();
        _dataCount++;
        bool active = false;
        uint memory = 0;
        ByteWriter? offset = null;
        if (c.TryList("memory") is { } m)
        {
            var mc = new Cursor(m);
            memory = Memories.Resolve(mc.ExpectAtom());
            mc.ExpectEnd();
            active = true;
            offset = ParseOffset(c);
        }
        else if (c.PeekIndex() && c.PeekAt(1) is SList)
        {
            // Legacy form: a bare memory index before the offset.
            memory = Memories.Resolve(c.ExpectAtom());
            active = true;
            offset = ParseOffset(c);
        }
        else if (c.Peek() is SList)
        {
            active = true;
            offset = ParseOffset(c);
        }
        var bytes = new ByteWriter();
        while (!c.AtEnd) bytes.Bytes(c.ExpectString().Bytes);
        if (active) WriteDataHeader(memory, offset!);
        else _datas.U32(1);
        _datas.Sized(bytes);
    }

    // ---------------------------------------------------------------- assembly

    private byte[] Assemble()
    {
        var module = new ByteWriter();
        module.Bytes([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]);

        WriteTypeSection(module);
        VectorSection(module, 2, _importCount, _imports);
        VectorSection(module, 3, _functionCount, _functions);
        VectorSection(module, 4, _tableCount, _tables);
        VectorSection(module, 5, _memoryCount, _memories);
        VectorSection(module, 13, _tagCount, _tags);
        VectorSection(module, 6, _globalCount, _globals);
        VectorSection(module, 7, _exportCount, _exports);
        if (_start is { } start)
        {
            var s = new ByteWriter();
            s.U32(start);
            Section(module, 8, s);
        }
        VectorSection(module, 9, _elemCount, _elems);
        if (UsesDataCount)
        {
            var s = new ByteWriter();
            s.U32(_dataCount);
            Section(module, 12, s);
        }
        VectorSection(module, 10, _functionCount, _code);
        VectorSection(module, 11, _dataCount, _datas);
        _customSections.EmitUpTo(module, int.MaxValue);
        return module.ToArray();
    }

    private void VectorSection(ByteWriter module, byte id, uint count, ByteWriter entries)
    {
        if (count == 0) return;
        var s = new ByteWriter();
        s.U32(count);
        s.Bytes(entries);
        Section(module, id, s);
    }

    private void Section(ByteWriter module, byte id, ByteWriter content)
    {
        _customSections.EmitUpTo(module, CustomSections.Rank(id));
        module.Byte(id);
        module.Sized(content);
    }
}
