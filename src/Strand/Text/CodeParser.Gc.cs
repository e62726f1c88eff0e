using Strand.Binary;

namespace Strand.Text;

/// <summary>
/// The immediates of the GC instructions in the text format (WebAssembly 3.0): type and field indices or names,
/// <c>array.new_fixed</c>'s count, data and element segments, and the reference types of <c>ref.test</c>,
/// <c>ref.cast</c> (whose nullability chooses the opcode) and <c>br_on_cast</c>(<c>_fail</c>) (a flags byte).
/// </summary>
internal sealed partial class CodeParser
{
    private Opcode ParseGcImmediates(Cursor c, ByteWriter w, Opcode op)
    {
        switch (op)
        {
            case Opcode.StructNew or Opcode.StructNewDefault or Opcode.ArrayNew or Opcode.ArrayNewDefault or Opcode.ArrayGet
                or Opcode.ArrayGetS or Opcode.ArrayGetU or Opcode.ArraySet or Opcode.ArrayFill:
                w.U32(_module.ResolveType(ExpectIndexAtom(c)));
                return op;
            case Opcode.StructGet or Opcode.StructGetS or Opcode.StructGetU or Opcode.StructSet:
            {
                uint type = _module.ResolveType(ExpectIndexAtom(c));
                w.U32(type);
                w.U32(_module.ResolveField(type, ExpectIndexAtom(c)));
                return op;
            }
            case Opcode.ArrayNewFixed:
                w.U32(_module.ResolveType(ExpectIndexAtom(c)));
                w.U32(c.ExpectU32());
                return op;
            case Opcode.ArrayNewData or Opcode.ArrayInitData:
                w.U32(_module.ResolveType(ExpectIndexAtom(c)));
                _module.UsesDataCount = true;
                w.U32(_module.Datas.Resolve(ExpectIndexAtom(c)));
                return op;
            case Opcode.ArrayNewElem or Opcode.ArrayInitElem:
                w.U32(_module.ResolveType(ExpectIndexAtom(c)));
                w.U32(_module.Elems.Resolve(ExpectIndexAtom(c)));
                return op;
            case Opcode.ArrayCopy:
                w.U32(_module.ResolveType(ExpectIndexAtom(c)));
                w.U32(_module.ResolveType(ExpectIndexAtom(c)));
                return op;
            case Opcode.RefTest or Opcode.RefCast:
            {
                var type = c.ExpectRefType();
                w.HeapType(type.HeapCode());
                return !type.IsNullable() ? op : op == Opcode.RefTest ? Opcode.RefTestNull : Opcode.RefCastNull;
            }
            case Opcode.BrOnCast or Opcode.BrOnCastFail:
            {
                uint label = ResolveLabel(ExpectIndexAtom(c));
                var source = c.ExpectRefType();
                var target = c.ExpectRefType();
                w.Byte((byte)((source.IsNullable() ? 1 : 0) | (target.IsNullable() ? 2 : 0)));
                w.U32(label);
                w.HeapType(source.HeapCode());
                w.HeapType(target.HeapCode());
                return op;
            }
            default:
                return op; // array.len, ref.eq, ref.i31, i31.get_s/u, any.convert_extern, extern.convert_any: none
        }
    }
}
