using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

// table64: table instructions and call_indirect on tables with 64-bit indices. The i64 operands are narrowed to the
// 32-bit helpers' int (values above 2^32-1 become 2^32-1, out of bounds of every table Strand creates: the same trap or
// failure), then the instruction is emitted as for a 32-bit table, and i32 results are widened to i64.
internal sealed partial class FunctionCompiler
{
    private bool _emittingNarrowed;

    /// <summary>
    /// When <paramref name="ins"/> uses a 64-bit table, narrows its i64 operands, emits it, widens its result and returns
    /// true; otherwise returns false (the caller emits the instruction).
    /// </summary>
    private bool NarrowTable64Operands(Instruction ins)
    {
        if (_emittingNarrowed) return false;
        bool Is64(uint table) => _module.Definition.GetTableType(table).Limits.Is64;
        bool[]? narrow;
        switch (ins.Opcode)
        {
            case Opcode.TableGet when Is64(ins.Index): narrow = [true]; break;
            case Opcode.TableSet when Is64(ins.Index): narrow = [true, false]; break;
            case Opcode.TableSize when Is64(ins.Index): narrow = []; break;
            case Opcode.TableGrow when Is64(ins.Index): narrow = [false, true]; break;
            case Opcode.TableFill when Is64(ins.Index): narrow = [true, false, true]; break;
            case Opcode.TableInit when Is64(ins.Index2): narrow = [true, false, false]; break;
            case Opcode.TableCopy when Is64(ins.Index) || Is64(ins.Index2): narrow = [true, true, true]; break;
            case Opcode.CallIndirect or Opcode.ReturnCallIndirect when Is64(ins.Index2): narrow = [true]; break;
            default: return false;
        }
        NarrowOperands(narrow);
        _emittingNarrowed = true;
        try
        {
            EmitInstruction(ins);
        }
        finally
        {
            _emittingNarrowed = false;
        }
        if (ins.Opcode is Opcode.TableSize or Opcode.TableGrow)
        {
            // table.size is below 2^31 (zero-extended); table.grow's -1 stays -1 (sign-extended).
            _il.Emit(ins.Opcode == Opcode.TableSize ? OpCodes.Conv_U8 : OpCodes.Conv_I8);
            _stack[^1] = I64;
        }
        return true;
    }

    /// <summary>Narrows each i64 operand flagged in <paramref name="narrow"/> (bottom first, the top operands) to an int via <see cref="MemoryOps.ClampIndex"/>.</summary>
    private void NarrowOperands(bool[] narrow)
    {
        int count = narrow.Length;
        if (count == 0) return;
        int first = _stack.Count - count;
        var temps = new LocalBuilder[count];
        for (int k = count - 1; k >= 1; k--)
        {
            temps[k] = Rent(ClrTypes.Of(_stack[first + k]));
            _il.Emit(OpCodes.Stloc, temps[k]);
        }
        for (int k = 0; k < count; k++)
        {
            if (k > 0) _il.Emit(OpCodes.Ldloc, temps[k]);
            if (narrow[k] && _stack[first + k] == I64)
            {
                _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(MemoryOps), nameof(MemoryOps.ClampIndex)));
                _stack[first + k] = I32;
            }
            if (k > 0) Release(temps[k]);
        }
    }
}
