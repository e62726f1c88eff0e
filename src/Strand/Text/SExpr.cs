using System.Text;

namespace Strand.Text;

/// <summary>A node of the S-expression tree the text format is read into.</summary>
internal abstract class SNode
{
    protected SNode(int line, int column)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }
    public int Column { get; }

    public WatParseException Error(string reason) => new(Line, Column, reason);
}

/// <summary>
/// A keyword, identifier, number or reserved token. <see cref="Reserved"/> marks a token that
/// fits none of the text format's token classes (for example an idchar run glued to a string).
/// </summary>
internal sealed class SAtom : SNode
{
    public SAtom(int line, int column, string text, bool reserved) : base(line, column)
    {
        Text = text;
        Reserved = reserved;
    }

    public string Text { get; }
    public bool Reserved { get; }

    /// <summary>Starts with a lower-case letter: keywords, also <c>inf</c>, <c>nan</c>, <c>offset=</c>.</summary>
    public bool IsKeyword => !Reserved && Text[0] is >= 'a' and <= 'z';

    public bool IsId => !Reserved && Text.Length > 1 && Text[0] == '$';

    public bool Is(string keyword) => !Reserved && Text == keyword;

    public override string ToString() => Text;
}

/// <summary>A string literal, kept as the bytes it denotes (escapes resolved).</summary>
internal sealed class SString : SNode
{
    public SString(int line, int column, byte[] bytes) : base(line, column) => Bytes = bytes;

    public byte[] Bytes { get; }

    public override string ToString() => "\"" + Encoding.UTF8.GetString(Bytes) + "\"";
}

internal sealed class SList : SNode
{
    public SList(int line, int column, List<SNode> items, int endLine, int endColumn) : base(line, column)
    {
        Items = items;
        EndLine = endLine;
        EndColumn = endColumn;
    }

    public List<SNode> Items { get; }

    /// <summary>The <c>(@custom ...)</c> annotations directly inside this list, in text order (kept for custom sections).</summary>
    public IReadOnlyList<SList> CustomAnnotations { get; init; } = [];

    /// <summary>Position of the closing parenthesis, for "unexpected end" style errors.</summary>
    public int EndLine { get; }
    public int EndColumn { get; }

    /// <summary>The leading keyword, or null when the list is empty or starts otherwise.</summary>
    public string? Head => Items.Count > 0 && Items[0] is SAtom { Reserved: false } a ? a.Text : null;

    public bool HeadIs(string keyword) => Head == keyword;

    /// <summary>Short form for messages: only the head, so huge or deep lists stay cheap to describe.</summary>
    public override string ToString() => Items.Count == 0 ? "()" : Items[0] is SList ? "((...) ...)" : $"({Items[0]}{(Items.Count > 1 ? " ..." : "")})";
}

/// <summary>
/// Reads text into S-expressions: tokens per the spec's lexical format (idchar runs, strings,
/// parentheses), line comments <c>;;</c>, nested block comments <c>(; ;)</c>. Annotations
/// <c>(@name ...)</c> are dropped.
/// </summary>
internal sealed class SExprReader
{
    private const int MaxDepth = 10_000;

    private readonly string _text;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    /// <summary>Custom annotations met so far, by the item list of the list they stand in.</summary>
    private readonly Dictionary<List<SNode>, List<SList>> _customs = new();

    private SExprReader(string text) => _text = text;

    /// <summary>A closed list, with the custom annotations read directly inside it.</summary>
    private SList Close(int line, int col, List<SNode> items, int endLine, int endColumn) =>
        _customs.Remove(items, out var customs)
            ? new SList(line, col, items, endLine, endColumn) { CustomAnnotations = customs }
            : new SList(line, col, items, endLine, endColumn);

    /// <summary>An annotation just closed inside <paramref name="parent"/>: checked, and kept aside if it is <c>@custom</c>.</summary>
    private void AnnotationRead(SList annotation, List<SNode> parent)
    {
        CheckAnnotation(annotation);
        if (annotation.Head != "@custom") return;
        if (!_customs.TryGetValue(parent, out var list)) _customs[parent] = list = new List<SList>();
        list.Add(annotation);
    }

    /// <summary>Reads all top-level nodes of the text; <paramref name="topLevelCustoms"/>, if given, receives the top-level <c>(@custom ...)</c> annotations.</summary>
    public static List<SNode> ReadAll(string text, List<SList>? topLevelCustoms = null)
    {
        var reader = new SExprReader(text);
        var nodes = new List<SNode>();
        var stack = new Stack<(int Line, int Col, List<SNode> Items, bool Annotation)>();
        var current = nodes;
        int annotationDepth = -1; // the depth where the annotation being read opened; lists inside it are its content
        while (true)
        {
            reader.SkipTrivia();
            if (reader._pos >= text.Length) break;
            int line = reader._line, col = reader.Column;
            char c = text[reader._pos];
            if (c == '(')
            {
                reader._pos++;
                if (stack.Count >= MaxDepth) throw new WatParseException(line, col, "nesting too deep");
                bool annotation = annotationDepth < 0 && reader.Peek(0) == '@';
                if (annotation) annotationDepth = stack.Count;
                stack.Push((line, col, current, annotation));
                current = new List<SNode>();
            }
            else if (c == ')')
            {
                reader._pos++;
                if (stack.Count == 0) throw new WatParseException(line, col, "unexpected token \")\"");
                var (l, cl, parent, annotation) = stack.Pop();
                var list = reader.Close(l, cl, current, line, col);
                current = parent;
                if (annotation)
                {
                    reader.AnnotationRead(list, parent);
                    annotationDepth = -1;
                }
                else current.Add(list);
            }
            else
            {
                current.Add(reader.ReadToken());
            }
        }
        if (topLevelCustoms is not null && reader._customs.TryGetValue(nodes, out var top)) topLevelCustoms.AddRange(top);
        if (stack.Count > 0)
        {
            var (l, cl, _, _) = stack.Peek();
            throw new WatParseException(l, cl, annotationDepth >= 0 ? "unclosed annotation" : "unclosed parenthesis");
        }
        return nodes;
    }

    /// <summary>
    /// Reads the top-level forms of a script one by one, each with the line it starts on. A form whose tokens are malformed (an unclosed
    /// string, a bad escape, a stray character) yields its error instead of a node; reading resumes after that
    /// form's closing parenthesis, found by counting parentheses outside strings and comments. An error outside
    /// any form (a stray <c>)</c> or token) resumes on the next line; only a form that never closes ends the reading.
    /// </summary>
    public static List<(SNode? Node, WatParseException? Error, int Line)> ReadTopLevel(string text)
    {
        var result = new List<(SNode?, WatParseException?, int)>();
        int pos = 0, line = 1, lineStart = 0;
        while (true)
        {
            var reader = new SExprReader(text) { _pos = pos, _line = line, _lineStart = lineStart };
            try
            {
                reader.SkipTrivia();
            }
            catch (WatParseException e)
            {
                // A block comment between commands that never closes: it runs to the end of the text.
                result.Add((null, e, e.Line));
                break;
            }
            if (reader._pos >= text.Length) break;
            int start = reader._pos, startLine = reader._line, startLineStart = reader._lineStart;
            try
            {
                var node = reader.ReadOneNode();
                if (node is not null) result.Add((node, null, startLine));
                (pos, line, lineStart) = (reader._pos, reader._line, reader._lineStart);
            }
            catch (WatParseException e)
            {
                result.Add((null, e, startLine));
                if (text[start] != '(')
                {
                    // A stray ")" or a bad token outside any form: resume on the next line.
                    int next = text.IndexOf('\n', start);
                    if (next < 0) break;
                    (pos, line, lineStart) = (next, startLine, startLineStart);
                    continue;
                }
                // Resume after the form's matching parenthesis, if there is one.
                var skipper = new SExprReader(text) { _pos = start, _line = startLine, _lineStart = startLineStart };
                if (!skipper.SkipBalancedForm()) break;
                (pos, line, lineStart) = (skipper._pos, skipper._line, skipper._lineStart);
            }
        }
        return result;
    }

    /// <summary>Reads one top-level node at the current position (null for an annotation, which is dropped).</summary>
    private SNode? ReadOneNode()
    {
        if (_text[_pos] != '(')
        {
            if (_text[_pos] == ')') throw ErrorHere("unexpected token \")\"");
            return ReadToken();
        }
        var stack = new Stack<(int Line, int Col, List<SNode> Items, bool Annotation)>();
        var current = new List<SNode>();
        int annotationDepth = -1;
        while (true)
        {
            SkipTrivia();
            if (_pos >= _text.Length)
            {
                var (l, cl, _, _) = stack.Peek();
                throw new WatParseException(l, cl, annotationDepth >= 0 ? "unclosed annotation" : "unclosed parenthesis");
            }
            int line = _line, col = Column;
            char c = _text[_pos];
            if (c == '(')
            {
                _pos++;
                if (stack.Count >= MaxDepth) throw new WatParseException(line, col, "nesting too deep");
                bool annotation = annotationDepth < 0 && Peek(0) == '@';
                if (annotation) annotationDepth = stack.Count;
                stack.Push((line, col, current, annotation));
                current = new List<SNode>();
            }
            else if (c == ')')
            {
                _pos++;
                var (l, cl, parent, annotation) = stack.Pop();
                var list = Close(l, cl, current, line, col);
                current = parent;
                if (annotation)
                {
                    AnnotationRead(list, parent);
                    annotationDepth = -1;
                }
                else current.Add(list);
                if (stack.Count == 0) return annotation ? null : list;
            }
            else
            {
                current.Add(ReadToken());
            }
        }
    }

    /// <summary>
    /// From a <c>(</c>, moves past its matching <c>)</c>, skipping strings (ended leniently at a line end) and
    /// comments. Returns false when the text ends first.
    /// </summary>
    private bool SkipBalancedForm()
    {
        int depth = 0;
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n') { NewLineAt(_pos); _pos++; }
            else if (c == ';' && Peek(1) == ';')
            {
                // A line comment ends at a line feed or a carriage return (3.0 text format: newline ::= LF | CR | CR LF).
                while (_pos < _text.Length && _text[_pos] is not '\n' and not '\r') _pos++;
            }
            else if (c == '(' && Peek(1) == ';')
            {
                try { SkipBlockComment(); }
                catch (WatParseException) { return false; }
            }
            else if (c == '"')
            {
                _pos++;
                while (_pos < _text.Length && _text[_pos] is not '"' and not '\n')
                    _pos += _text[_pos] == '\\' && _pos + 1 < _text.Length && _text[_pos + 1] != '\n' ? 2 : 1;
                if (_pos < _text.Length && _text[_pos] == '"') _pos++;
            }
            else if (c == '(') { depth++; _pos++; }
            else if (c == ')')
            {
                _pos++;
                if (--depth == 0) return true;
            }
            else _pos++;
        }
        return false;
    }

    /// <summary>
    /// An annotation <c>(@id ...)</c> (a list whose <c>(</c> is directly followed by <c>@</c>) needs a non-empty id,
    /// <c>@name</c> or <c>@"name"</c>; its content is any balanced tokens and it is dropped (WebAssembly 3.0, 6.3.3).
    /// </summary>
    private static void CheckAnnotation(SList list)
    {
        // The id is the longest idchar run (or string) after "@": in (@a"x") it is a, followed by the string "x".
        if (list.Items.Count == 0 || list.Items[0] is not SAtom id || id.Text.Length < 2 || id.Text[0] != '@' || !(IsIdChar(id.Text[1]) || !id.Reserved))
            throw list.Error("empty annotation id");
    }

    private int Column => _pos - _lineStart + 1;

    private WatParseException ErrorHere(string reason) => new(_line, Column, reason);

    private void NewLineAt(int index)
    {
        _line++;
        _lineStart = index + 1;
    }

    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n') { NewLineAt(_pos); _pos++; }
            else if (c is ' ' or '\t' or '\r') _pos++;
            else if (c == ';' && Peek(1) == ';')
            {
                // A line comment ends at a line feed or a carriage return (3.0 text format: newline ::= LF | CR | CR LF).
                while (_pos < _text.Length && _text[_pos] is not '\n' and not '\r') _pos++;
            }
            else if (c == '(' && Peek(1) == ';') SkipBlockComment();
            else break;
        }
    }

    private char Peek(int ahead) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private void SkipBlockComment()
    {
        int line = _line, col = Column;
        int depth = 0;
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '(' && Peek(1) == ';') { depth++; _pos += 2; }
            else if (c == ';' && Peek(1) == ')')
            {
                depth--;
                _pos += 2;
                if (depth == 0) return;
            }
            else
            {
                if (c == '\n') NewLineAt(_pos);
                _pos++;
            }
        }
        throw new WatParseException(line, col, "unclosed block comment");
    }

    public static bool IsIdChar(char c) =>
        c is >= '0' and <= '9' or >= 'a' and <= 'z' or >= 'A' and <= 'Z'
          or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '/'
          or ':' or '<' or '=' or '>' or '?' or '@' or '\\' or '^' or '_' or '`' or '|' or '~';

    /// <summary>
    /// Reads one token: a maximal run of idchars and strings. A lone string is a string token, a
    /// run without strings an atom; anything mixing them (e.g. <c>$l"a"</c>) is reserved.
    /// </summary>
    private SNode ReadToken()
    {
        int line = _line, col = Column, start = _pos;
        int strings = 0, idchars = 0, others = 0;
        byte[]? lastString = null;
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '"') { lastString = ReadString(); strings++; }
            else if (IsIdChar(c)) { _pos++; idchars++; }
            // Reserved characters of the 3.0 lexical format: they only form (reserved) tokens.
            else if (c is ',' or '[' or ']' or '{' or '}' || (c == ';' && Peek(1) != ';')) { _pos++; others++; }
            else break;
        }
        if (_pos < _text.Length)
        {
            char next = _text[_pos];
            bool delimited = next is ' ' or '\t' or '\r' or '\n' or '(' or ')' || (next == ';' && Peek(1) == ';');
            // Anything else (a control character, a non-ASCII character outside strings and comments) is no token at
            // all, wherever it is, annotations included.
            if (!delimited) throw ErrorHere($"illegal character '{Printable(next)}'");
        }
        if (strings == 1 && idchars == 0 && others == 0) return new SString(line, col, lastString!);
        if (strings == 1 && idchars == 1 && others == 0 && _text[start] is '$' or '@' && _text[start + 1] == '"')
            return QuotedName(line, col, _text[start], lastString!);
        return new SAtom(line, col, _text[start.._pos], reserved: strings > 0 || others > 0);
    }

    /// <summary>
    /// A quoted identifier <c>$"name"</c> or annotation id <c>@"name"</c> (WebAssembly 3.0): the same token as
    /// <c>$name</c> when the name is valid UTF-8 and not empty.
    /// </summary>
    private static SAtom QuotedName(int line, int col, char sigil, byte[] name)
    {
        if (name.Length == 0) throw new WatParseException(line, col, sigil == '$' ? "empty identifier" : "empty annotation id");
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(name);
        }
        catch (DecoderFallbackException)
        {
            throw new WatParseException(line, col, "malformed UTF-8 encoding");
        }
        return new SAtom(line, col, sigil + text, reserved: false);
    }

    private static string Printable(char c) => c < ' ' || c == '\u007f' ? $"\\u{(int)c:x4}" : c.ToString();

    private byte[] ReadString()
    {
        int line = _line, col = Column;
        _pos++; // opening quote
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
        while (true)
        {
            if (_pos >= _text.Length) throw new WatParseException(line, col, "unclosed string");
            char c = _text[_pos];
            if (c == '"') { _pos++; break; }
            if (c == '\n') throw ErrorHere("newline in string");
            if (c < ' ' || c == '\u007f') throw ErrorHere("control character in string");
            if (c != '\\')
            {
                int rune = c;
                int width = 1;
                if (char.IsHighSurrogate(c) && _pos + 1 < _text.Length && char.IsLowSurrogate(_text[_pos + 1]))
                {
                    rune = char.ConvertToUtf32(c, _text[_pos + 1]);
                    width = 2;
                }
                else if (char.IsSurrogate(c)) throw ErrorHere("malformed UTF-16 in string");
                int n = new Rune(rune).EncodeToUtf8(utf8);
                for (int i = 0; i < n; i++) bytes.Add(utf8[i]);
                _pos += width;
                continue;
            }
            int escapeColumn = Column;
            _pos++;
            if (_pos >= _text.Length) throw new WatParseException(line, col, "unclosed string");
            char e = _text[_pos];
            switch (e)
            {
                case 't': bytes.Add((byte)'\t'); _pos++; break;
                case 'n': bytes.Add((byte)'\n'); _pos++; break;
                case 'r': bytes.Add((byte)'\r'); _pos++; break;
                case '"': bytes.Add((byte)'"'); _pos++; break;
                case '\'': bytes.Add((byte)'\''); _pos++; break;
                case '\\': bytes.Add((byte)'\\'); _pos++; break;
                case 'u':
                    {
                        _pos++;
                        if (Peek(0) != '{') throw ErrorHere("malformed unicode escape");
                        _pos++;
                        long value = 0;
                        int digits = 0;
                        while (_pos < _text.Length && _text[_pos] != '}')
                        {
                            char h = _text[_pos];
                            if (h == '_' && digits > 0 && IsHex(Peek(1))) { _pos++; continue; }
                            if (!IsHex(h)) throw ErrorHere("malformed unicode escape");
                            value = value * 16 + HexValue(h);
                            if (value > 0x10FFFF) throw ErrorHere("malformed unicode escape (out of range)");
                            digits++;
                            _pos++;
                        }
                        if (_pos >= _text.Length || digits == 0) throw ErrorHere("malformed unicode escape");
                        _pos++; // '}'
                        if (value is >= 0xD800 and < 0xE000) throw ErrorHere("malformed unicode escape (surrogate)");
                        int n = new Rune((int)value).EncodeToUtf8(utf8);
                        for (int i = 0; i < n; i++) bytes.Add(utf8[i]);
                        break;
                    }
                default:
                    if (IsHex(e) && IsHex(Peek(1)))
                    {
                        bytes.Add((byte)(HexValue(e) * 16 + HexValue(Peek(1))));
                        _pos += 2;
                        break;
                    }
                    throw new WatParseException(_line, escapeColumn, $"unknown escape \\{Printable(e)}");
            }
        }
        return bytes.ToArray();
    }

    internal static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    internal static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
