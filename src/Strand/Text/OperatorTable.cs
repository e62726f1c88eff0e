using Strand.Binary;

namespace Strand.Text;

/// <summary>What follows an operator's keyword in the text format.</summary>
internal enum Immediate
{
    None,
    Block,        // block / loop / if: label, block type
    Label,        // br, br_if
    BrTable,
    Call,
    CallIndirect,
    Local,
    Global,
    Table,        // table.get/set/size/grow/fill: optional table index
    MemArg,
    MemoryZero,   // memory.size / memory.grow / memory.fill / atomic.fence: reserved zero byte
    MemoryCopy,   // two reserved zero bytes
    I32,
    I64,
    F32,
    F64,
    Select,
    RefNull,
    RefFunc,
    MemoryInit,
    Data,         // data.drop
    TableInit,
    Elem,         // elem.drop
    TableCopy,
    Tag,          // throw: a tag index
    Type,         // call_ref, return_call_ref: a type index
    Gc,           // GC instructions: CodeParser.Gc.cs
}

internal readonly record struct OperatorInfo(Opcode Opcode, Immediate Immediate, int NaturalAlignment = 0);

/// <summary>Maps instruction keywords (e.g. <c>i32.atomic.rmw8.add_u</c>) to opcodes and immediate shapes.</summary>
internal static class OperatorTable
{
    private static readonly Dictionary<string, OperatorInfo> Operators = Build();

    public static bool TryGet(string keyword, out OperatorInfo info) => Operators.TryGetValue(keyword, out info);


    private static Dictionary<string, OperatorInfo> Build()
    {
        var d = new Dictionary<string, OperatorInfo>(StringComparer.Ordinal);
        void Add(string name, Opcode op, Immediate imm = Immediate.None, int align = 0) => d.Add(name, new OperatorInfo(op, imm, align));

        Add("unreachable", Opcode.Unreachable);
        Add("nop", Opcode.Nop);
        Add("block", Opcode.Block, Immediate.Block);
        Add("loop", Opcode.Loop, Immediate.Block);
        Add("if", Opcode.If, Immediate.Block);
        Add("br", Opcode.Br, Immediate.Label);
        Add("br_if", Opcode.BrIf, Immediate.Label);
        Add("br_table", Opcode.BrTable, Immediate.BrTable);
        Add("return", Opcode.Return);
        Add("call", Opcode.Call, Immediate.Call);
        Add("call_indirect", Opcode.CallIndirect, Immediate.CallIndirect);
        // exception handling and tail calls (try, try_table: CodeParser.Exceptions.cs)
        Add("try", Opcode.Try, Immediate.Block);
        Add("try_table", Opcode.TryTable, Immediate.Block);
        Add("throw", Opcode.Throw, Immediate.Tag);
        Add("throw_ref", Opcode.ThrowRef);
        Add("rethrow", Opcode.Rethrow, Immediate.Label);
        Add("return_call", Opcode.ReturnCall, Immediate.Call);
        Add("return_call_indirect", Opcode.ReturnCallIndirect, Immediate.CallIndirect);
        // typed function references
        Add("call_ref", Opcode.CallRef, Immediate.Type);
        Add("return_call_ref", Opcode.ReturnCallRef, Immediate.Type);
        Add("ref.as_non_null", Opcode.RefAsNonNull);
        Add("br_on_null", Opcode.BrOnNull, Immediate.Label);
        Add("br_on_non_null", Opcode.BrOnNonNull, Immediate.Label);
        // GC (immediates: CodeParser.Gc.cs)
        Add("ref.eq", Opcode.RefEq);
        foreach (var (name, op) in new (string, Opcode)[]
                 {
                     ("struct.new", Opcode.StructNew), ("struct.new_default", Opcode.StructNewDefault), ("struct.get", Opcode.StructGet),
                     ("struct.get_s", Opcode.StructGetS), ("struct.get_u", Opcode.StructGetU), ("struct.set", Opcode.StructSet),
                     ("array.new", Opcode.ArrayNew), ("array.new_default", Opcode.ArrayNewDefault), ("array.new_fixed", Opcode.ArrayNewFixed),
                     ("array.new_data", Opcode.ArrayNewData), ("array.new_elem", Opcode.ArrayNewElem), ("array.get", Opcode.ArrayGet),
                     ("array.get_s", Opcode.ArrayGetS), ("array.get_u", Opcode.ArrayGetU), ("array.set", Opcode.ArraySet),
                     ("array.len", Opcode.ArrayLen), ("array.fill", Opcode.ArrayFill), ("array.copy", Opcode.ArrayCopy),
                     ("array.init_data", Opcode.ArrayInitData), ("array.init_elem", Opcode.ArrayInitElem), ("ref.test", Opcode.RefTest),
                     ("ref.cast", Opcode.RefCast), ("br_on_cast", Opcode.BrOnCast), ("br_on_cast_fail", Opcode.BrOnCastFail),
                     ("any.convert_extern", Opcode.AnyConvertExtern), ("extern.convert_any", Opcode.ExternConvertAny),
                     ("ref.i31", Opcode.RefI31), ("i31.get_s", Opcode.I31GetS), ("i31.get_u", Opcode.I31GetU),
                 })
            Add(name, op, Immediate.Gc);
        Add("drop", Opcode.Drop);
        Add("select", Opcode.Select, Immediate.Select);
        Add("local.get", Opcode.LocalGet, Immediate.Local);
        Add("local.set", Opcode.LocalSet, Immediate.Local);
        Add("local.tee", Opcode.LocalTee, Immediate.Local);
        Add("global.get", Opcode.GlobalGet, Immediate.Global);
        Add("global.set", Opcode.GlobalSet, Immediate.Global);
        Add("table.get", Opcode.TableGet, Immediate.Table);
        Add("table.set", Opcode.TableSet, Immediate.Table);
        Add("table.size", Opcode.TableSize, Immediate.Table);
        Add("table.grow", Opcode.TableGrow, Immediate.Table);
        Add("table.fill", Opcode.TableFill, Immediate.Table);
        Add("table.init", Opcode.TableInit, Immediate.TableInit);
        Add("elem.drop", Opcode.ElemDrop, Immediate.Elem);
        Add("table.copy", Opcode.TableCopy, Immediate.TableCopy);

        Add("i32.load", Opcode.I32Load, Immediate.MemArg, 4);
        Add("i64.load", Opcode.I64Load, Immediate.MemArg, 8);
        Add("f32.load", Opcode.F32Load, Immediate.MemArg, 4);
        Add("f64.load", Opcode.F64Load, Immediate.MemArg, 8);
        Add("i32.load8_s", Opcode.I32Load8S, Immediate.MemArg, 1);
        Add("i32.load8_u", Opcode.I32Load8U, Immediate.MemArg, 1);
        Add("i32.load16_s", Opcode.I32Load16S, Immediate.MemArg, 2);
        Add("i32.load16_u", Opcode.I32Load16U, Immediate.MemArg, 2);
        Add("i64.load8_s", Opcode.I64Load8S, Immediate.MemArg, 1);
        Add("i64.load8_u", Opcode.I64Load8U, Immediate.MemArg, 1);
        Add("i64.load16_s", Opcode.I64Load16S, Immediate.MemArg, 2);
        Add("i64.load16_u", Opcode.I64Load16U, Immediate.MemArg, 2);
        Add("i64.load32_s", Opcode.I64Load32S, Immediate.MemArg, 4);
        Add("i64.load32_u", Opcode.I64Load32U, Immediate.MemArg, 4);
        Add("i32.store", Opcode.I32Store, Immediate.MemArg, 4);
        Add("i64.store", Opcode.I64Store, Immediate.MemArg, 8);
        Add("f32.store", Opcode.F32Store, Immediate.MemArg, 4);
        Add("f64.store", Opcode.F64Store, Immediate.MemArg, 8);
        Add("i32.store8", Opcode.I32Store8, Immediate.MemArg, 1);
        Add("i32.store16", Opcode.I32Store16, Immediate.MemArg, 2);
        Add("i64.store8", Opcode.I64Store8, Immediate.MemArg, 1);
        Add("i64.store16", Opcode.I64Store16, Immediate.MemArg, 2);
        Add("i64.store32", Opcode.I64Store32, Immediate.MemArg, 4);
        Add("memory.size", Opcode.MemorySize, Immediate.MemoryZero);
        Add("memory.grow", Opcode.MemoryGrow, Immediate.MemoryZero);
        Add("memory.fill", Opcode.MemoryFill, Immediate.MemoryZero);
        Add("memory.copy", Opcode.MemoryCopy, Immediate.MemoryCopy);
        Add("memory.init", Opcode.MemoryInit, Immediate.MemoryInit);
        Add("data.drop", Opcode.DataDrop, Immediate.Data);

        Add("i32.const", Opcode.I32Const, Immediate.I32);
        Add("i64.const", Opcode.I64Const, Immediate.I64);
        Add("f32.const", Opcode.F32Const, Immediate.F32);
        Add("f64.const", Opcode.F64Const, Immediate.F64);

        Add("ref.null", Opcode.RefNull, Immediate.RefNull);
        Add("ref.is_null", Opcode.RefIsNull);
        Add("ref.func", Opcode.RefFunc, Immediate.RefFunc);

        AddNumeric(d);
        AddAtomics(d);
        return d;
    }

    /// <summary>
    /// Numeric operators without immediates. Their text names follow mechanically from the opcode
    /// names: <c>I32TruncSatF64U</c> is <c>i32.trunc_sat_f64_u</c>, <c>I64Extend32S</c> is <c>i64.extend32_s</c>.
    /// </summary>
    private static void AddNumeric(Dictionary<string, OperatorInfo> d)
    {
        foreach (var op in Enum.GetValues<Opcode>())
        {
            bool numeric = op is >= Opcode.I32Eqz and <= Opcode.I64Extend32S or >= Opcode.I32TruncSatF32S and <= Opcode.I64TruncSatF64U;
            if (!numeric) continue;
            d.Add(NumericName(op.ToString()), new OperatorInfo(op, Immediate.None));
        }
    }

    internal static string NumericName(string enumName)
    {
        // Split "I32TruncSatF64U" into words at capitals: I32 Trunc Sat F64 U.
        var words = new List<string>();
        int start = 0;
        for (int i = 1; i <= enumName.Length; i++)
        {
            if (i == enumName.Length || char.IsUpper(enumName[i]))
            {
                words.Add(enumName[start..i].ToLowerInvariant());
                start = i;
            }
        }
        return words[0] + "." + string.Join("_", words.Skip(1));
    }

    private static void AddAtomics(Dictionary<string, OperatorInfo> d)
    {
        void Add(string name, Opcode op, int align, Immediate imm = Immediate.MemArg) => d.Add(name, new OperatorInfo(op, imm, align));

        Add("memory.atomic.notify", Opcode.MemoryAtomicNotify, 4);
        Add("memory.atomic.wait32", Opcode.MemoryAtomicWait32, 4);
        Add("memory.atomic.wait64", Opcode.MemoryAtomicWait64, 8);
        Add("atomic.fence", Opcode.AtomicFence, 0, Immediate.MemoryZero);

        Add("i32.atomic.load", Opcode.I32AtomicLoad, 4);
        Add("i64.atomic.load", Opcode.I64AtomicLoad, 8);
        Add("i32.atomic.load8_u", Opcode.I32AtomicLoad8U, 1);
        Add("i32.atomic.load16_u", Opcode.I32AtomicLoad16U, 2);
        Add("i64.atomic.load8_u", Opcode.I64AtomicLoad8U, 1);
        Add("i64.atomic.load16_u", Opcode.I64AtomicLoad16U, 2);
        Add("i64.atomic.load32_u", Opcode.I64AtomicLoad32U, 4);
        Add("i32.atomic.store", Opcode.I32AtomicStore, 4);
        Add("i64.atomic.store", Opcode.I64AtomicStore, 8);
        Add("i32.atomic.store8", Opcode.I32AtomicStore8, 1);
        Add("i32.atomic.store16", Opcode.I32AtomicStore16, 2);
        Add("i64.atomic.store8", Opcode.I64AtomicStore8, 1);
        Add("i64.atomic.store16", Opcode.I64AtomicStore16, 2);
        Add("i64.atomic.store32", Opcode.I64AtomicStore32, 4);

        // Read-modify-write: seven operators, each in the same seven widths, numbered consecutively.
        string[] rmwOps = ["add", "sub", "and", "or", "xor", "xchg", "cmpxchg"];
        (string Prefix, string Suffix, int Align)[] widths =
        [
            ("i32.atomic.rmw.", "", 4), ("i64.atomic.rmw.", "", 8),
            ("i32.atomic.rmw8.", "_u", 1), ("i32.atomic.rmw16.", "_u", 2),
            ("i64.atomic.rmw8.", "_u", 1), ("i64.atomic.rmw16.", "_u", 2), ("i64.atomic.rmw32.", "_u", 4),
        ];
        for (int k = 0; k < rmwOps.Length; k++)
        {
            for (int w = 0; w < widths.Length; w++)
            {
                var op = (Opcode)((int)Opcode.I32AtomicRmwAdd + k * widths.Length + w);
                Add(widths[w].Prefix + rmwOps[k] + widths[w].Suffix, op, widths[w].Align);
            }
        }
    }
}
