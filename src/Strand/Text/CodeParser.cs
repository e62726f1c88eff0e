using Strand.Binary;

namespace Strand.Text;

/// <summary>
/// Parses instruction sequences, flat (<c>block ... end</c>) and folded (<c>(i32.add (...) (...))</c>),
/// resolving label, local and module-level identifiers, and encodes them.
/// </summary>
internal sealed partial class CodeParser
{
    private readonly ModuleParser _module;
    private readonly IndexSpace _locals = new("local");
    private readonly List<string?> _labels = new();

    /// <summary>For constant expressions (globals, offsets, element items): no locals.</summary>
    public CodeParser(ModuleParser module) => _module = module;

    public CodeParser(ModuleParser module, List<SAtom?> paramIds)
    {
        _module = module;
        foreach (var id in paramIds) _locals.Add(id);
    }

    public ByteWriter ParseFunctionBody(Cursor c)
    {
        var localTypes = new List<ValType>();
        while (c.TryList("local") is { } l)
        {
            var lc = new Cursor(l);
            if (lc.TryId() is { } id)
            {
                _locals.Add(id);
                localTypes.Add(lc.ExpectValType());
                lc.ExpectEnd();
                continue;
            }
            while (!lc.AtEnd)
            {
                _locals.Add(null);
                localTypes.Add(lc.ExpectValType());
            }
        }
        var body = new ByteWriter();
        // Locals are encoded as runs of equal types.
        var runs = new List<(uint Count, ValType Type)>();
        foreach (var t in localTypes)
        {
            if (runs.Count > 0 && runs[^1].Type == t) runs[^1] = (runs[^1].Count + 1, t);
            else runs.Add((1, t));
        }
        body.U32((uint)runs.Count);
        foreach (var (count, type) in runs)
        {
            body.U32(count);
            body.ValType(type);
        }
        ParseInstructions(c, body);
        c.ExpectEnd();
        body.Byte((byte)Opcode.End);
        return body;
    }

    /// <summary>A constant expression running to the end of the list, with its <c>end</c>.</summary>
    public ByteWriter ParseConstExpr(Cursor c)
    {
        var w = new ByteWriter();
        ParseInstructions(c, w);
        c.ExpectEnd();
        w.Byte((byte)Opcode.End);
        return w;
    }

    /// <summary>An abbreviated constant expression: exactly one folded instruction.</summary>
    public ByteWriter ParseSingleFoldedExpr(SList list)
    {
        var w = new ByteWriter();
        ParseFolded(list, w);
        w.Byte((byte)Opcode.End);
        return w;
    }

    /// <summary>Parses instructions until the list ends or a flat <c>end</c>/<c>else</c> is next.</summary>
    private void ParseInstructions(Cursor c, ByteWriter w)
    {
        while (!c.AtEnd)
        {
            if (c.Peek() is SList list)
            {
                c.Next();
                ParseFolded(list, w);
                continue;
            }
            if (c.PeekKeyword("end") || c.PeekKeyword("else") || IsLegacyTryKeyword(c)) return;
            ParsePlain(c, w);
        }
    }

    private static OperatorInfo LookupOperator(SNode node)
    {
        if (node is SAtom { Reserved: false } atom && OperatorTable.TryGet(atom.Text, out var info)) return info;
        if (node is SAtom a) throw a.Error($"unknown operator {a.Text}");
        throw node.Error("unexpected token, expected an instruction");
    }

    /// <summary>A vector instruction (0xFD prefix, <see cref="SimdOperatorTable"/>), encoded with its immediates.</summary>
    private bool TryEncodeSimd(SNode keyword, Cursor c, ByteWriter w)
    {
        if (keyword is not SAtom { Reserved: false } k || !SimdOperatorTable.TryGet(k.Text, out var simd)) return false;
        SimdText.Encode(simd, c, w, _module.Memories, _module.Memory64);
        return true;
    }

    private static void WriteOpcode(ByteWriter w, Opcode op)
    {
        ushort v = (ushort)op;
        if (v < 0x100)
        {
            w.Byte((byte)v);
        }
        else
        {
            w.Byte((byte)(v >> 8));
            w.U32((uint)(v & 0xFF));
        }
    }

    private void ParsePlain(Cursor c, ByteWriter w)
    {
        var keyword = c.Next();
        if (TryEncodeSimd(keyword, c, w)) return;
        var info = LookupOperator(keyword);
        if (info.Immediate == Immediate.Block)
        {
            if (info.Opcode is Opcode.Try or Opcode.TryTable) ParsePlainTry(c, w, (SAtom)keyword, info.Opcode);
            else ParsePlainBlock(c, w, (SAtom)keyword, info.Opcode);
            return;
        }
        var immediates = new ByteWriter();
        var op = ParseImmediates(c, immediates, info);
        WriteOpcode(w, op);
        w.Bytes(immediates);
    }

    /// <summary>Deeply nested blocks recurse; refuse cleanly instead of overflowing the stack.</summary>
    private static void EnsureStack(SNode at)
    {
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw at.Error("nesting too deep");
    }

    private void ParsePlainBlock(Cursor c, ByteWriter w, SAtom keyword, Opcode op)
    {
        EnsureStack(keyword);
        var label = c.TryId();
        WriteOpcode(w, op);
        WriteBlockType(c, w);
        _labels.Add(label?.Text);
        ParseInstructions(c, w);
        if (op == Opcode.If && c.TryKeyword("else"))
        {
            CheckClosingLabel(c, label);
            w.Byte((byte)Opcode.Else);
            ParseInstructions(c, w);
        }
        if (!c.TryKeyword("end")) throw c.AtEnd ? keyword.Error($"missing 'end' for {keyword.Text}") : c.Unexpected();
        CheckClosingLabel(c, label);
        _labels.RemoveAt(_labels.Count - 1);
        w.Byte((byte)Opcode.End);
    }

    /// <summary><c>end $l</c> / <c>else $l</c> may repeat the block's label, and must then match it.</summary>
    private static void CheckClosingLabel(Cursor c, SAtom? label)
    {
        if (c.TryId() is { } closing && (label is null || closing.Text != label.Text))
            throw closing.Error($"mismatching label {closing.Text}");
    }

    private void ParseFolded(SList list, ByteWriter w)
    {
        if (list.Items.Count == 0) throw list.Error("unexpected token (), expected an instruction");
        EnsureStack(list);
        var c = new Cursor(list);
        var simd = new ByteWriter();
        if (TryEncodeSimd(list.Items[0], c, simd))
        {
            ParseOperands(c, w);
            w.Bytes(simd);
            return;
        }
        var info = LookupOperator(list.Items[0]);
        if (info.Opcode is Opcode.Try or Opcode.TryTable)
        {
            ParseFoldedTry(c, w, info.Opcode);
            return;
        }
        if (info.Immediate == Immediate.Block)
        {
            var label = c.TryId();
            var blockType = new ByteWriter();
            WriteBlockType(c, blockType);
            if (info.Opcode == Opcode.If)
            {
                while (c.Peek() is SList condition && !condition.HeadIs("then"))
                {
                    c.Next();
                    ParseFolded(condition, w);
                }
                var thenList = c.TryList("then") ?? throw c.ErrorHere("expected (then ...)");
                WriteOpcode(w, Opcode.If);
                w.Bytes(blockType);
                _labels.Add(label?.Text);
                ParseBranch(thenList, w);
                if (c.TryList("else") is { } elseList)
                {
                    w.Byte((byte)Opcode.Else);
                    ParseBranch(elseList, w);
                }
                c.ExpectEnd();
            }
            else
            {
                WriteOpcode(w, info.Opcode);
                w.Bytes(blockType);
                _labels.Add(label?.Text);
                ParseInstructions(c, w);
                c.ExpectEnd();
            }
            _labels.RemoveAt(_labels.Count - 1);
            w.Byte((byte)Opcode.End);
            return;
        }
        // Immediates come first in the text but the operands (folded children) are emitted first.
        var immediates = new ByteWriter();
        var opcode = ParseImmediates(c, immediates, info);
        ParseOperands(c, w);
        WriteOpcode(w, opcode);
        w.Bytes(immediates);
    }

    /// <summary>The folded operands that follow a folded instruction's immediates.</summary>
    private void ParseOperands(Cursor c, ByteWriter w)
    {
        while (!c.AtEnd)
        {
            if (c.Peek() is not SList operand) throw c.Unexpected();
            c.Next();
            ParseFolded(operand, w);
        }
    }

    private void ParseBranch(SList branch, ByteWriter w)
    {
        var c = new Cursor(branch);
        ParseInstructions(c, w);
        c.ExpectEnd();
    }

    /// <summary>
    /// A block type: <c>(type x)</c> and/or inline <c>(param ...)* (result ...)*</c>. No params and at
    /// most one result encode as the value type (or 0x40); anything else as a type index.
    /// </summary>
    private void WriteBlockType(Cursor c, ByteWriter w)
    {
        if (!c.PeekList("type") && !c.PeekList("param"))
        {
            var results = ModuleParser.ParseResults(c);
            if (results.Count == 0) { w.Byte(0x40); return; }
            if (results.Count == 1) { w.ValType(results[0]); return; }
            w.S64(_module.FindOrAddType(new FuncType([], results.ToArray())));
            return;
        }
        var (typeIndex, _) = _module.ParseTypeUse(c, allowParamIds: false);
        w.S64(typeIndex);
    }

    private uint ResolveLabel(SAtom atom)
    {
        if (atom.IsId)
        {
            for (int i = _labels.Count - 1; i >= 0; i--)
                if (_labels[i] == atom.Text) return (uint)(_labels.Count - 1 - i);
            throw atom.Error($"unknown label {atom.Text}");
        }
        return Cursor.ParseU32(atom);
    }

    private SAtom ExpectIndexAtom(Cursor c)
    {
        if (!c.PeekIndex()) throw c.Peek() is SAtom a ? a.Error($"unknown operator {a.Text}") : c.ErrorHere("expected an index");
        return c.ExpectAtom();
    }

    /// <summary>Parses and encodes the immediates; returns the opcode to emit (select with types differs).</summary>
    private Opcode ParseImmediates(Cursor c, ByteWriter w, OperatorInfo info)
    {
        switch (info.Immediate)
        {
            case Immediate.None:
                break;
            case Immediate.Gc:
                return ParseGcImmediates(c, w, info.Opcode);
            case Immediate.Label:
                w.U32(ResolveLabel(ExpectIndexAtom(c)));
                break;
            case Immediate.BrTable:
                {
                    var targets = new List<uint> { ResolveLabel(ExpectIndexAtom(c)) };
                    while (c.PeekIndex()) targets.Add(ResolveLabel(c.ExpectAtom()));
                    w.U32((uint)(targets.Count - 1));
                    foreach (var t in targets) w.U32(t);
                    break;
                }
            case Immediate.Call:
                w.U32(_module.Funcs.Resolve(ExpectIndexAtom(c)));
                break;
            case Immediate.Tag:
                w.U32(_module.Tags.Resolve(ExpectIndexAtom(c)));
                break;
            case Immediate.Type:
                w.U32(_module.ResolveType(ExpectIndexAtom(c)));
                break;
            case Immediate.CallIndirect:
                {
                    uint table = c.PeekIndex() ? _module.Tables.Resolve(c.ExpectAtom()) : 0;
                    var (typeIndex, _) = _module.ParseTypeUse(c, allowParamIds: false);
                    w.U32(typeIndex);
                    w.U32(table);
                    break;
                }
            case Immediate.Local:
                w.U32(_locals.Resolve(ExpectIndexAtom(c)));
                break;
            case Immediate.Global:
                w.U32(_module.Globals.Resolve(ExpectIndexAtom(c)));
                break;
            case Immediate.Table:
                w.U32(c.PeekIndex() ? _module.Tables.Resolve(c.ExpectAtom()) : 0);
                break;
            case Immediate.MemArg:
                {
                    uint memory = OptionalMemory(c);
                    WriteMemArg(c, w, info.NaturalAlignment, memory, memory < (uint)_module.Memory64.Count && _module.Memory64[(int)memory]);
                    break;
                }
            case Immediate.MemoryZero:
                // atomic.fence's reserved byte; memory.size/grow/fill's memory index (multi-memory; 0 when omitted).
                w.U32(info.Opcode == Opcode.AtomicFence ? 0 : OptionalMemory(c));
                break;
            case Immediate.MemoryCopy:
                {
                    uint destination = OptionalMemory(c);
                    uint source = c.PeekIndex() ? _module.Memories.Resolve(c.ExpectAtom()) : destination;
                    w.U32(destination);
                    w.U32(source);
                    break;
                }
            case Immediate.I32:
                {
                    var atom = c.ExpectAtom();
                    if (!Literals.TryParseInt(atom.Text, 32, out var v, out bool oor)) throw atom.Error($"unexpected token {atom.Text}, expected an i32 literal");
                    if (oor) throw atom.Error(Literals.OutOfRange);
                    w.S32((int)(uint)v);
                    break;
                }
            case Immediate.I64:
                {
                    var atom = c.ExpectAtom();
                    if (!Literals.TryParseInt(atom.Text, 64, out var v, out bool oor)) throw atom.Error($"unexpected token {atom.Text}, expected an i64 literal");
                    if (oor) throw atom.Error(Literals.OutOfRange);
                    w.S64((long)v);
                    break;
                }
            case Immediate.F32:
                {
                    var atom = c.ExpectAtom();
                    if (!Literals.TryParseF32(atom.Text, out var bits, out bool oor)) throw atom.Error($"unexpected token {atom.Text}, expected an f32 literal");
                    if (oor) throw atom.Error(Literals.OutOfRange);
                    w.U32LittleEndian(bits);
                    break;
                }
            case Immediate.F64:
                {
                    var atom = c.ExpectAtom();
                    if (!Literals.TryParseF64(atom.Text, out var bits, out bool oor)) throw atom.Error($"unexpected token {atom.Text}, expected an f64 literal");
                    if (oor) throw atom.Error(Literals.OutOfRange);
                    w.U64LittleEndian(bits);
                    break;
                }
            case Immediate.Select:
                {
                    if (!c.PeekList("result")) break;
                    var results = ModuleParser.ParseResults(c);
                    w.U32((uint)results.Count);
                    foreach (var r in results) w.ValType(r);
                    return Opcode.SelectTyped;
                }
            case Immediate.RefNull:
                w.HeapType(c.ExpectHeapType().HeapCode());
                break;
            case Immediate.RefFunc:
                w.U32(_module.Funcs.Resolve(ExpectIndexAtom(c)));
                break;
            case Immediate.MemoryInit:
                {
                    // memory.init $data, or memory.init $memory $data (multi-memory).
                    _module.UsesDataCount = true;
                    var first = ExpectIndexAtom(c);
                    if (c.PeekIndex())
                    {
                        uint memory = _module.Memories.Resolve(first);
                        w.U32(_module.Datas.Resolve(c.ExpectAtom()));
                        w.U32(memory);
                    }
                    else
                    {
                        w.U32(_module.Datas.Resolve(first));
                        w.Byte(0);
                    }
                    break;
                }
            case Immediate.Data:
                _module.UsesDataCount = true;
                w.U32(_module.Datas.Resolve(ExpectIndexAtom(c)));
                break;
            case Immediate.TableInit:
                {
                    var first = ExpectIndexAtom(c);
                    if (c.PeekIndex())
                    {
                        uint table = _module.Tables.Resolve(first);
                        w.U32(_module.Elems.Resolve(c.ExpectAtom()));
                        w.U32(table);
                    }
                    else
                    {
                        w.U32(_module.Elems.Resolve(first));
                        w.U32(0);
                    }
                    break;
                }
            case Immediate.Elem:
                w.U32(_module.Elems.Resolve(ExpectIndexAtom(c)));
                break;
            case Immediate.TableCopy:
                if (c.PeekIndex())
                {
                    w.U32(_module.Tables.Resolve(c.ExpectAtom()));
                    w.U32(_module.Tables.Resolve(ExpectIndexAtom(c)));
                }
                else
                {
                    w.U32(0);
                    w.U32(0);
                }
                break;
            default:
                throw new InvalidOperationException($"unhandled immediate kind {info.Immediate}");
        }
        return info.Opcode;
    }

    /// <summary>An optional memory index (multi-memory) before a memarg or as <c>memory.*</c>'s immediate: 0 when absent.</summary>
    private uint OptionalMemory(Cursor c) => c.PeekIndex() ? _module.Memories.Resolve(c.ExpectAtom()) : 0;

    /// <summary>
    /// The value of an <c>offset=N</c> field (scalar and vector memargs): a u64 (WebAssembly 3.0); for a 32-bit memory one of
    /// 2^32 or more is well-formed but invalid, "offset out of range" (the binary memarg of a 32-bit memory carries a u32).
    /// </summary>
    internal static ulong ParseOffset(SAtom field, bool memory64)
    {
        if (!Literals.TryParseNat(field.Text[7..], ulong.MaxValue, out ulong offset, out bool oor)) throw field.Error($"unexpected token {field.Text}");
        if (oor) throw field.Error("offset " + Literals.OutOfRange);
        if (!memory64 && offset > uint.MaxValue) throw field.Error("offset out of range").AsInvalid();
        return offset;
    }

    /// <summary>
    /// A memarg: <c>offset=</c> (a u64; for a 32-bit memory one of 2^32 or more is well-formed but invalid, "offset out of
    /// range", as the 3.0 text format has it) and <c>align=</c>;
    /// a non-zero <paramref name="memory"/> sets flag bit 6 and follows the alignment (multi-memory).
    /// </summary>
    private static void WriteMemArg(Cursor c, ByteWriter w, int naturalAlignment, uint memory = 0, bool memory64 = false)
    {
        ulong offset = 0;
        ulong align = (ulong)naturalAlignment;
        if (c.PeekAtom() is { } o && o.Text.StartsWith("offset=", StringComparison.Ordinal))
        {
            c.Next();
            offset = ParseOffset(o, memory64);
        }
        if (c.PeekAtom() is { } a && a.Text.StartsWith("align=", StringComparison.Ordinal))
        {
            c.Next();
            if (!Literals.TryParseNat(a.Text[6..], ulong.MaxValue, out var value, out bool oor)) throw a.Error($"unexpected token {a.Text}");
            if (oor || value == 0 || (value & (value - 1)) != 0) throw a.Error("alignment must be a power of two");
            align = value;
        }
        uint flags = (uint)System.Numerics.BitOperations.Log2(align == 0 ? 1UL : align);
        if (memory != 0)
        {
            w.U32(flags | 0x40);
            w.U32(memory);
        }
        else w.U32(flags);
        w.U64(offset);
    }
}
