namespace Strand.Binary;

/// <summary>
/// Decodes instructions (opcode + immediates) from a code range. Shared by the validator,
/// the compiler and the constant-expression evaluator so immediates are parsed in one place.
/// It knows encodings only; typing rules belong to validation.
/// </summary>
public static class InstructionDecoder
{
    public static Instruction Read(WasmReader r)
    {
        var ins = new Instruction { Offset = r.Position };
        byte b = r.ReadByte();
        switch (b)
        {
            case 0xFC:
            {
                uint sub = r.ReadU32();
                if (sub > 0x11) throw r.Error(ins.Offset, "illegal opcode");
                ins.Opcode = (Opcode)(0xFC00 | sub);
                ReadPrefixedFC(r, ref ins);
                return ins;
            }
            case 0xFE:
            {
                uint sub = r.ReadU32();
                if (!IsThreadsOpcode(sub)) throw r.Error(ins.Offset, "illegal opcode");
                ins.Opcode = (Opcode)(0xFE00 | sub);
                if (ins.Opcode == Opcode.AtomicFence)
                {
                    ReadZeroByte(r);
                }
                else
                {
                    ReadMemArg(r, ref ins);
                }
                return ins;
            }
            case 0xFD:
                throw new WasmUnsupportedException(ins.Offset, "SIMD (v128 instructions)");
        }

        if (!IsSingleByteOpcode(b)) throw r.Error(ins.Offset, "illegal opcode");
        ins.Opcode = (Opcode)b;
        switch (ins.Opcode)
        {
            case Opcode.Block or Opcode.Loop or Opcode.If:
                ins.Block = ReadBlockType(r);
                break;
            case Opcode.Br or Opcode.BrIf or Opcode.Call or Opcode.LocalGet or Opcode.LocalSet or Opcode.LocalTee
                or Opcode.GlobalGet or Opcode.GlobalSet or Opcode.TableGet or Opcode.TableSet or Opcode.RefFunc:
                ins.Index = r.ReadU32();
                break;
            case Opcode.BrTable:
            {
                uint n = r.ReadVectorLength(1);
                var labels = new uint[n];
                for (int i = 0; i < labels.Length; i++) labels[i] = r.ReadU32();
                ins.Labels = labels;
                ins.Index = r.ReadU32();
                break;
            }
            case Opcode.CallIndirect:
                ins.Index = r.ReadU32();
                ins.Index2 = r.ReadU32();
                break;
            case Opcode.SelectTyped:
            {
                uint n = r.ReadVectorLength(1);
                var types = new ValType[n];
                for (int i = 0; i < types.Length; i++) types[i] = r.ReadValType();
                ins.SelectTypes = types;
                break;
            }
            case Opcode.MemorySize or Opcode.MemoryGrow:
                ReadZeroByte(r);
                break;
            case Opcode.I32Const:
                ins.Immediate = (ulong)(long)r.ReadS32();
                break;
            case Opcode.I64Const:
                ins.Immediate = (ulong)r.ReadS64();
                break;
            case Opcode.F32Const:
                ins.Immediate = r.ReadF32Bits();
                break;
            case Opcode.F64Const:
                ins.Immediate = r.ReadF64Bits();
                break;
            case Opcode.RefNull:
                ins.RefType = r.ReadRefType();
                break;
            default:
                if (b >= 0x28 && b <= 0x3E) ReadMemArg(r, ref ins);
                break;
        }
        return ins;
    }

    private static void ReadPrefixedFC(WasmReader r, ref Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.MemoryInit:
                ins.Index = r.ReadU32();
                ReadZeroByte(r);
                break;
            case Opcode.DataDrop or Opcode.ElemDrop or Opcode.TableGrow or Opcode.TableSize or Opcode.TableFill:
                ins.Index = r.ReadU32();
                break;
            case Opcode.MemoryCopy:
                ReadZeroByte(r);
                ReadZeroByte(r);
                break;
            case Opcode.MemoryFill:
                ReadZeroByte(r);
                break;
            case Opcode.TableInit:
                ins.Index = r.ReadU32();
                ins.Index2 = r.ReadU32();
                break;
            case Opcode.TableCopy:
                ins.Index = r.ReadU32();
                ins.Index2 = r.ReadU32();
                break;
        }
    }

    /// <summary>A reserved byte (memory index placeholder) that must be zero; reported at its own offset.</summary>
    private static void ReadZeroByte(WasmReader r)
    {
        int at = r.Position;
        if (r.ReadByte() != 0) throw r.Error(at, "zero byte expected");
    }

    private static void ReadMemArg(WasmReader r, ref Instruction ins)
    {
        ins.Align = r.ReadU32();
        ins.MemOffset = r.ReadU32();
    }

    public static BlockType ReadBlockType(WasmReader r)
    {
        int at = r.Position;
        byte first = r.PeekByte();
        if (first == 0x40)
        {
            r.ReadByte();
            return BlockType.Empty;
        }
        if (first is 0x7F or 0x7E or 0x7D or 0x7C or 0x7B or 0x70 or 0x6F)
        {
            r.ReadByte();
            return new BlockType(BlockTypeKind.Value, (ValType)first);
        }
        long index = r.ReadS33();
        if (index < 0) throw r.Error(at, "malformed block type");
        return new BlockType(BlockTypeKind.TypeIndex, TypeIndex: (uint)index);
    }

    private static bool IsSingleByteOpcode(byte b) => b switch
    {
        <= 0x05 => true,
        >= 0x0B and <= 0x11 => true,
        0x1A or 0x1B or 0x1C => true,
        >= 0x20 and <= 0x26 => true,
        >= 0x28 and <= 0xC4 => true,
        0xD0 or 0xD1 or 0xD2 => true,
        _ => false,
    };

    private static bool IsThreadsOpcode(uint sub) => sub is <= 0x03 or (>= 0x10 and <= 0x4E);

    /// <summary>The natural alignment (log2 of the access width in bytes) of a memory instruction.</summary>
    public static int NaturalAlignment(Opcode op) => op switch
    {
        Opcode.I32Load8S or Opcode.I32Load8U or Opcode.I64Load8S or Opcode.I64Load8U or Opcode.I32Store8 or Opcode.I64Store8
            or Opcode.I32AtomicLoad8U or Opcode.I64AtomicLoad8U or Opcode.I32AtomicStore8 or Opcode.I64AtomicStore8
            or Opcode.I32AtomicRmw8AddU or Opcode.I64AtomicRmw8AddU or Opcode.I32AtomicRmw8SubU or Opcode.I64AtomicRmw8SubU
            or Opcode.I32AtomicRmw8AndU or Opcode.I64AtomicRmw8AndU or Opcode.I32AtomicRmw8OrU or Opcode.I64AtomicRmw8OrU
            or Opcode.I32AtomicRmw8XorU or Opcode.I64AtomicRmw8XorU or Opcode.I32AtomicRmw8XchgU or Opcode.I64AtomicRmw8XchgU
            or Opcode.I32AtomicRmw8CmpxchgU or Opcode.I64AtomicRmw8CmpxchgU => 0,
        Opcode.I32Load16S or Opcode.I32Load16U or Opcode.I64Load16S or Opcode.I64Load16U or Opcode.I32Store16 or Opcode.I64Store16
            or Opcode.I32AtomicLoad16U or Opcode.I64AtomicLoad16U or Opcode.I32AtomicStore16 or Opcode.I64AtomicStore16
            or Opcode.I32AtomicRmw16AddU or Opcode.I64AtomicRmw16AddU or Opcode.I32AtomicRmw16SubU or Opcode.I64AtomicRmw16SubU
            or Opcode.I32AtomicRmw16AndU or Opcode.I64AtomicRmw16AndU or Opcode.I32AtomicRmw16OrU or Opcode.I64AtomicRmw16OrU
            or Opcode.I32AtomicRmw16XorU or Opcode.I64AtomicRmw16XorU or Opcode.I32AtomicRmw16XchgU or Opcode.I64AtomicRmw16XchgU
            or Opcode.I32AtomicRmw16CmpxchgU or Opcode.I64AtomicRmw16CmpxchgU => 1,
        Opcode.I32Load or Opcode.F32Load or Opcode.I64Load32S or Opcode.I64Load32U or Opcode.I32Store or Opcode.F32Store or Opcode.I64Store32
            or Opcode.I32AtomicLoad or Opcode.I64AtomicLoad32U or Opcode.I32AtomicStore or Opcode.I64AtomicStore32
            or Opcode.I32AtomicRmwAdd or Opcode.I64AtomicRmw32AddU or Opcode.I32AtomicRmwSub or Opcode.I64AtomicRmw32SubU
            or Opcode.I32AtomicRmwAnd or Opcode.I64AtomicRmw32AndU or Opcode.I32AtomicRmwOr or Opcode.I64AtomicRmw32OrU
            or Opcode.I32AtomicRmwXor or Opcode.I64AtomicRmw32XorU or Opcode.I32AtomicRmwXchg or Opcode.I64AtomicRmw32XchgU
            or Opcode.I32AtomicRmwCmpxchg or Opcode.I64AtomicRmw32CmpxchgU or Opcode.MemoryAtomicNotify or Opcode.MemoryAtomicWait32 => 2,
        _ => 3,
    };
}
