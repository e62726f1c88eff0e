namespace Strand.Text;

/// <summary>Parses WebAssembly spec test scripts (.wast) into commands.</summary>
public static class WastParser
{
    /// <summary>
    /// Parses a whole script, stopping at the first command that cannot be parsed. Text modules are encoded
    /// to binary right away; quoted modules are kept as text because <c>assert_malformed</c> expects them to
    /// fail to parse. <see cref="ParseScript"/> is the tolerant form.
    /// </summary>
    /// <exception cref="WatParseException">Malformed script (or text module), with file, line and column.</exception>
    public static List<WastCommand> Parse(string text, string fileName)
    {
        var commands = ParseScript(text, fileName);
        foreach (var command in commands)
            if (command is WastUnparsable bad) throw bad.Error;
        return commands;
    }

    /// <summary>
    /// Parses a script command by command: a top-level command that cannot be parsed (syntax or an instruction
    /// the text parser does not know) becomes a <see cref="WastUnparsable"/> at its line, and the commands
    /// around it are parsed as usual. A form whose tokens are malformed is skipped to its closing parenthesis;
    /// only an unbalanced parenthesis stops the parse (the rest of the file is then one unparsable command).
    /// </summary>
    public static List<WastCommand> ParseScript(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var commands = new List<WastCommand>();
        var nodes = SExprReader.ReadTopLevel(text);
        if (nodes.Count > 0 && nodes[0].Node is SList { Head: var head } first && ModuleFieldHeads.Contains(head ?? ""))
        {
            // An inline module: the whole script is the fields of one module.
            try
            {
                if (nodes.FirstOrDefault(n => n.Error is not null).Error is { } lexical) throw lexical;
                var bytes = ModuleParser.Encode(nodes.Select(n => n.Node!).ToList());
                commands.Add(new WastModuleCommand(new WastModule(WastModuleKind.Text, null, bytes, null, first.Line), first.Line));
            }
            catch (WatParseException e)
            {
                commands.Add(new WastUnparsable("module", null, e.FileName is null ? e.WithFile(fileName) : e, first.Line));
            }
            return commands;
        }
        foreach (var (node, error, line) in nodes)
        {
            if (error is not null)
            {
                commands.Add(new WastUnparsable(null, null, error.WithFile(fileName), line));
                continue;
            }
            commands.Add(ParseCommandOrFailure(node!, fileName));
        }
        return commands;
    }

    /// <summary>One command, or the reason it cannot be parsed.</summary>
    private static WastCommand ParseCommandOrFailure(SNode node, string fileName)
    {
        var list = node as SList;
        try
        {
            if (list is null || list.Head is null) throw node.Error($"unexpected token {node}, expected a command");
            return ParseCommand(list, fileName);
        }
        catch (WatParseException e)
        {
            // A module that cannot be parsed still names the module it would have defined, so later commands can say why it is missing.
            string? head = list?.Head;
            string? moduleId = null;
            if (head == "module")
            {
                // (module $id? ...), and the 3.0 script forms (module definition $id? ...) and (module instance $id? $def?).
                int at = 1;
                if (list!.Items.Count > at && list.Items[at] is SAtom { Text: "definition" or "instance" } form)
                {
                    head = "module " + form.Text;
                    at++;
                }
                moduleId = list.Items.Count > at && list.Items[at] is SAtom { IsId: true } id ? id.Text : null;
            }
            return new WastUnparsable(head, moduleId, e.FileName is null ? e.WithFile(fileName) : e, node.Line);
        }
    }

    private static readonly HashSet<string> ModuleFieldHeads =
        ["type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data"];

    private static WastCommand ParseCommand(SList list, string fileName)
    {
        var c = new Cursor(list);
        int line = list.Line;
        switch (list.Head)
        {
            case "module" when list.Items.Count > 1 && list.Items[1] is SAtom { Text: "definition" }:
                {
                    // (module definition $id? ...): the rest is a module form as usual.
                    var form = new SList(list.Line, list.Column, [list.Items[0], .. list.Items.Skip(2)], list.EndLine, list.EndColumn);
                    return new WastModuleDefinition(ParseModule(form), line);
                }
            case "module" when list.Items.Count > 1 && list.Items[1] is SAtom { Text: "instance" }:
                {
                    c.Next();
                    var instance = c.TryId()?.Text;
                    var definition = c.TryId()?.Text;
                    c.ExpectEnd();
                    return new WastModuleInstance(instance, definition, line);
                }
            case "module":
                return new WastModuleCommand(ParseModule(list), line);
            case "register":
                {
                    var name = Utf8(c.ExpectString());
                    var id = c.TryId()?.Text;
                    c.ExpectEnd();
                    return new WastRegister(name, id, line);
                }
            case "invoke" or "get":
                return new WastActionCommand(ParseAction(list), line);
            case "assert_return":
                {
                    var action = ParseAction(c.ExpectList());
                    var expected = new List<WastExpected>();
                    while (!c.AtEnd) expected.Add(ParseExpected(c.ExpectList()));
                    return new WastAssertReturn(action, expected, line);
                }
            case "assert_trap":
                {
                    var target = c.ExpectList();
                    var message = Utf8(c.ExpectString());
                    c.ExpectEnd();
                    return target.HeadIs("module")
                        ? new WastAssertModuleTrap(ParseModule(target), message, line)
                        : new WastAssertTrap(ParseAction(target), message, line);
                }
            case "assert_exception":
                {
                    var action = ParseAction(c.ExpectList());
                    c.ExpectEnd();
                    return new WastAssertException(action, line);
                }
            case "assert_exhaustion":
                {
                    var action = ParseAction(c.ExpectList());
                    var message = Utf8(c.ExpectString());
                    c.ExpectEnd();
                    return new WastAssertExhaustion(action, message, line);
                }
            case "assert_invalid" or "assert_malformed" or "assert_unlinkable" or "assert_uninstantiable":
                {
                    var moduleList = c.ExpectList();
                    if (!moduleList.HeadIs("module")) throw moduleList.Error($"unexpected token {moduleList.Head}, expected a module");
                    WastModule module;
                    try
                    {
                        module = ParseModule(moduleList);
                    }
                    catch (WatParseException e) when (e.Invalid && list.Head is "assert_invalid" or "assert_malformed")
                    {
                        module = new WastModule(WastModuleKind.Text, null, null, null, moduleList.Line) { TextError = e };
                    }
                    var message = Utf8(c.ExpectString());
                    c.ExpectEnd();
                    return list.Head switch
                    {
                        "assert_invalid" => new WastAssertInvalid(module, message, line),
                        "assert_malformed" => new WastAssertMalformed(module, message, line),
                        "assert_unlinkable" => new WastAssertUnlinkable(module, message, line),
                        _ => new WastAssertUninstantiable(module, message, line),
                    };
                }
            case "thread":
                {
                    var name = c.TryId() ?? throw c.ErrorHere("expected a thread name");
                    var shared = new List<string>();
                    while (c.TryList("shared") is { } s)
                    {
                        var sc = new Cursor(s);
                        var m = sc.TryList("module") ?? throw sc.Unexpected();
                        var mc = new Cursor(m);
                        shared.Add((mc.TryId() ?? throw mc.ErrorHere("expected a module name")).Text);
                        mc.ExpectEnd();
                        sc.ExpectEnd();
                    }
                    var body = new List<WastCommand>();
                    while (!c.AtEnd) body.Add(ParseCommandOrFailure(c.ExpectList(), fileName));
                    return new WastThread(name.Text, shared, body, line);
                }
            case "wait":
                {
                    var name = c.TryId() ?? throw c.ErrorHere("expected a thread name");
                    c.ExpectEnd();
                    return new WastWait(name.Text, line);
                }
            default:
                throw list.Items[0].Error($"unknown command {list.Head}");
        }
    }

    private static string Utf8(SString s) => System.Text.Encoding.UTF8.GetString(s.Bytes);

    private static WastModule ParseModule(SList list)
    {
        var form = WatParser.ParseModuleForm(list, parseQuote: false);
        var kind = form.QuoteText is not null ? WastModuleKind.Quote
            : list.Items.Count > (form.Id is null ? 1 : 2) && list.Items[form.Id is null ? 1 : 2] is SAtom { Text: "binary" } ? WastModuleKind.Binary
            : WastModuleKind.Text;
        return new WastModule(kind, form.Id, form.Binary, form.QuoteText, list.Line);
    }

    private static WastAction ParseAction(SList list)
    {
        var c = new Cursor(list);
        switch (list.Head)
        {
            case "invoke":
                {
                    var id = c.TryId()?.Text;
                    var name = Utf8(c.ExpectString());
                    var args = new List<WastValue>();
                    while (!c.AtEnd) args.Add(ParseConst(c.ExpectList()));
                    return new WastInvoke(id, name, args, list.Line);
                }
            case "get":
                {
                    var id = c.TryId()?.Text;
                    var name = Utf8(c.ExpectString());
                    c.ExpectEnd();
                    return new WastGet(id, name, list.Line);
                }
            default:
                throw list.Error($"unexpected token {list.Head}, expected invoke or get");
        }
    }

    /// <summary>An argument: <c>(i32.const 1)</c>, <c>(ref.null func)</c>, <c>(ref.extern 7)</c> ...</summary>
    private static WastValue ParseConst(SList list)
    {
        var c = new Cursor(list);
        var value = ParseConstBody(list, c) ?? throw list.Error($"unexpected token {list.Head}, expected a constant");
        c.ExpectEnd();
        return value;
    }

    private static WastValue? ParseConstBody(SList list, Cursor c)
    {
        switch (list.Head)
        {
            case "i32.const":
                {
                    var a = c.ExpectAtom();
                    if (!Literals.TryParseInt(a.Text, 32, out var v, out bool oor)) throw a.Error($"unexpected token {a.Text}, expected an i32 literal");
                    if (oor) throw a.Error(Literals.OutOfRange);
                    return WastValue.I32((uint)v);
                }
            case "i64.const":
                {
                    var a = c.ExpectAtom();
                    if (!Literals.TryParseInt(a.Text, 64, out var v, out bool oor)) throw a.Error($"unexpected token {a.Text}, expected an i64 literal");
                    if (oor) throw a.Error(Literals.OutOfRange);
                    return WastValue.I64(v);
                }
            case "f32.const":
                {
                    var a = c.ExpectAtom();
                    if (!Literals.TryParseF32(a.Text, out var v, out bool oor)) throw a.Error($"unexpected token {a.Text}, expected an f32 literal");
                    if (oor) throw a.Error(Literals.OutOfRange);
                    return WastValue.F32(v);
                }
            case "f64.const":
                {
                    var a = c.ExpectAtom();
                    if (!Literals.TryParseF64(a.Text, out var v, out bool oor)) throw a.Error($"unexpected token {a.Text}, expected an f64 literal");
                    if (oor) throw a.Error(Literals.OutOfRange);
                    return WastValue.F64(v);
                }
            case "ref.null":
                return WastValue.NullRef(Strand.Binary.ValTypes.Kind(c.ExpectHeapType()) switch
                {
                    Strand.Binary.ValType.FuncRef => WastValueType.FuncRef,
                    Strand.Binary.ValType.ExnRef => WastValueType.ExnRef,
                    Strand.Binary.ValType.AnyRef => WastValueType.AnyRef,
                    _ => WastValueType.ExternRef,
                });
            case "ref.host" when c.PeekAtom() is not null:
                {
                    var a = c.ExpectAtom();
                    if (!Literals.TryParseNat(a.Text, ulong.MaxValue, out var n, out bool oor) || oor) throw a.Error($"unexpected token {a.Text}, expected a host reference number");
                    return WastValue.HostRef(n);
                }
            case "ref.extern" when c.PeekAtom() is not null:
                {
                    var a = c.ExpectAtom();
                    if (!Literals.TryParseNat(a.Text, ulong.MaxValue, out var n, out bool oor) || oor) throw a.Error($"unexpected token {a.Text}, expected a host reference number");
                    return WastValue.ExternRef(n);
                }
            case "v128.const":
                return WastValue.V128(SimdText.ParseConst(c));
            default:
                return null;
        }
    }

    private static WastExpected ParseExpected(SList list)
    {
        var c = new Cursor(list);
        WastExpected result;
        if (list.Head is "f32.const" or "f64.const" && c.PeekAtom() is { Text: "nan:canonical" or "nan:arithmetic" } nan)
        {
            c.Next();
            result = new WastExpectedNan(list.Head == "f32.const" ? WastValueType.F32 : WastValueType.F64, nan.Text == "nan:canonical");
        }
        else if (list.HeadIs("v128.const") && HasNanLane(c))
        {
            result = ParseV128Pattern(c);
        }
        else if (list.HeadIs("ref.func"))
        {
            // Any non-null function reference; an index, if written, cannot be checked from outside.
            if (c.PeekIndex()) c.Next();
            result = new WastExpectedNonNullRef(WastValueType.FuncRef);
        }
        else if (list.HeadIs("ref.null") && c.AtEnd)
        {
            result = new WastExpectedAnyNull();
        }
        else if (list.HeadIs("ref.extern") && c.AtEnd)
        {
            result = new WastExpectedNonNullRef(WastValueType.ExternRef);
        }
        else if (list.Head is "ref.struct" or "ref.array" or "ref.i31" or "ref.eq" or "ref.any" or "ref.host" && c.AtEnd)
        {
            result = new WastExpectedGcRef(list.Head![4..]);
        }
        else if (list.HeadIs("ref.host"))
        {
            var a = c.ExpectAtom();
            if (!Literals.TryParseNat(a.Text, ulong.MaxValue, out var n, out bool oor) || oor) throw a.Error($"unexpected token {a.Text}, expected a host reference number");
            result = new WastExpectedGcRef("host", n);
        }
        else if (list.HeadIs("either"))
        {
            var alternatives = new List<WastExpected>();
            while (!c.AtEnd) alternatives.Add(ParseExpected(c.ExpectList()));
            result = new WastExpectedEither(alternatives);
        }
        else
        {
            result = new WastExpectedValue(ParseConstBody(list, c) ?? throw list.Error($"unexpected token {list.Head}, expected a result"));
        }
        c.ExpectEnd();
        return result;
    }

    private static bool IsNanPattern(SNode? n) => n is SAtom { Text: "nan:canonical" or "nan:arithmetic" };

    /// <summary>True when a lane of the <c>v128.const</c> after the cursor is a NaN pattern (the cursor does not move).</summary>
    private static bool HasNanLane(Cursor c)
    {
        for (int i = 1; c.PeekAt(i) is { } n; i++)
            if (IsNanPattern(n)) return true;
        return false;
    }

    /// <summary><c>SHAPE lane*</c> of an expected v128 where float lanes may be <c>nan:canonical</c> or <c>nan:arithmetic</c>.</summary>
    private static WastExpectedV128 ParseV128Pattern(Cursor c)
    {
        var shape = SimdText.ExpectShape(c);
        string name = shape.ToString().ToLowerInvariant();
        if (!SimdText.IsFloat(shape)) throw c.ErrorHere($"NaN patterns need a float shape (f32x4 or f64x2), not {name}");
        var laneType = shape == V128Shape.F32x4 ? WastValueType.F32 : WastValueType.F64;
        int count = SimdText.LaneCount(shape);
        var lanes = new List<WastExpected>(count);
        for (int i = 0; i < count; i++)
        {
            if (c.Peek() is null or SList)
                throw c.ErrorHere($"wrong number of lane literals: {name} needs {count}, got {i}");
            var atom = c.ExpectAtom();
            if (IsNanPattern(atom))
                lanes.Add(new WastExpectedNan(laneType, atom.Text == "nan:canonical"));
            else
                lanes.Add(new WastExpectedValue(new WastValue(laneType, SimdText.ParseLane(atom, shape))));
        }
        return new WastExpectedV128(shape, lanes);
    }
}
