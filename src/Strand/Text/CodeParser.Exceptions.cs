using Strand.Binary;

namespace Strand.Text;

/// <summary>
/// The text forms of <c>try_table</c> (with <c>(catch $tag $label)</c>, <c>(catch_ref ...)</c>, <c>(catch_all $label)</c>,
/// <c>(catch_all_ref $label)</c> clauses) and of the legacy <c>try</c>: plain
/// <c>try $l? bt instr* (catch $tag instr*)* (catch_all instr*)? end</c> or <c>try ... delegate $l</c>, and folded
/// <c>(try $l? bt (do instr*) (catch $tag instr*)* (catch_all instr*)?)</c> or <c>(try bt (do ...) (delegate $l))</c>.
/// Catch clause labels are resolved outside the <c>try_table</c>; a <c>delegate</c> label outside its <c>try</c>.
/// </summary>
internal sealed partial class CodeParser
{
    private static bool IsLegacyTryKeyword(Cursor c) => c.PeekKeyword("catch") || c.PeekKeyword("catch_all") || c.PeekKeyword("delegate");

    private void ParsePlainTry(Cursor c, ByteWriter w, SAtom keyword, Opcode op)
    {
        EnsureStack(keyword);
        var label = c.TryId();
        WriteOpcode(w, op);
        WriteBlockType(c, w);
        if (op == Opcode.TryTable) WriteCatchClauses(c, w);
        _labels.Add(label?.Text);
        ParseInstructions(c, w);
        if (op == Opcode.Try)
        {
            while (c.TryKeyword("catch"))
            {
                w.Byte((byte)Opcode.Catch);
                w.U32(_module.Tags.Resolve(ExpectIndexAtom(c)));
                ParseInstructions(c, w);
            }
            if (c.TryKeyword("catch_all"))
            {
                w.Byte((byte)Opcode.CatchAll);
                ParseInstructions(c, w);
            }
            if (c.TryKeyword("delegate"))
            {
                _labels.RemoveAt(_labels.Count - 1);
                w.Byte((byte)Opcode.Delegate);
                w.U32(ResolveLabel(ExpectIndexAtom(c)));
                return;
            }
        }
        if (!c.TryKeyword("end")) throw c.AtEnd ? keyword.Error($"missing 'end' for {keyword.Text}") : c.Unexpected();
        CheckClosingLabel(c, label);
        _labels.RemoveAt(_labels.Count - 1);
        w.Byte((byte)Opcode.End);
    }

    private void ParseFoldedTry(Cursor c, ByteWriter w, Opcode op)
    {
        var label = c.TryId();
        WriteOpcode(w, op);
        WriteBlockType(c, w);
        if (op == Opcode.TryTable)
        {
            WriteCatchClauses(c, w);
            _labels.Add(label?.Text);
            ParseInstructions(c, w);
            c.ExpectEnd();
            _labels.RemoveAt(_labels.Count - 1);
            w.Byte((byte)Opcode.End);
            return;
        }
        _labels.Add(label?.Text);
        var body = c.TryList("do") ?? throw c.ErrorHere("expected (do ...)");
        ParseBranch(body, w);
        while (c.TryList("catch") is { } clause)
        {
            var cc = new Cursor(clause);
            w.Byte((byte)Opcode.Catch);
            w.U32(_module.Tags.Resolve(ExpectIndexAtom(cc)));
            ParseInstructions(cc, w);
            cc.ExpectEnd();
        }
        if (c.TryList("catch_all") is { } all)
        {
            w.Byte((byte)Opcode.CatchAll);
            ParseBranch(all, w);
        }
        if (c.TryList("delegate") is { } d)
        {
            _labels.RemoveAt(_labels.Count - 1);
            var dc = new Cursor(d);
            w.Byte((byte)Opcode.Delegate);
            w.U32(ResolveLabel(ExpectIndexAtom(dc)));
            dc.ExpectEnd();
            c.ExpectEnd();
            return;
        }
        c.ExpectEnd();
        _labels.RemoveAt(_labels.Count - 1);
        w.Byte((byte)Opcode.End);
    }

    /// <summary>A try_table's clauses, encoded as a vector: kind byte, tag (catch, catch_ref), label.</summary>
    private void WriteCatchClauses(Cursor c, ByteWriter w)
    {
        var clauses = new ByteWriter();
        uint count = 0;
        while (c.Peek() is SList l && l.Head is "catch" or "catch_ref" or "catch_all" or "catch_all_ref")
        {
            c.Next();
            var cc = new Cursor(l);
            byte kind = l.Head switch { "catch" => 0, "catch_ref" => 1, "catch_all" => 2, _ => 3 };
            clauses.Byte(kind);
            if (kind <= 1) clauses.U32(_module.Tags.Resolve(ExpectIndexAtom(cc)));
            clauses.U32(ResolveLabel(ExpectIndexAtom(cc)));
            cc.ExpectEnd();
            count++;
        }
        w.U32(count);
        w.Bytes(clauses);
    }
}
