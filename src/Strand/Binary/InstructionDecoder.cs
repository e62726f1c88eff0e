namespace Strand.Binary;

/// <summary>
/// Decodes instructions (opcode + immediates) from a code range. Shared by the validator,
/// the compiler and the constant-expression evaluator so immediates are parsed in one place.
/// It knows encodings only; typing rules belong to validation.
/// </summary>
public static partial class InstructionDecoder
{
    /// <summary>
    /// Reads one instruction. Malformed input throws <see cref="WasmFormatException"/>; a well-formed opcode of a
    /// WebAssembly 3.0 feature Strand does not implement goes to <see cref="WasmReader.Unsupported"/> (throws
    /// <see cref="WasmUnsupportedException"/>, or, when tolerated, skips its immediates and returns
    /// <see cref="Opcode.NotSupported"/>).
    /// </summary>
    public static Instruction Read(WasmReader r)
    {
        Read(r, out var ins);
        return ins;
    }

    /// <summary>
    /// <see cref="Read(WasmReader)"/> into <paramref name="ins"/>: the hot loops (validation, compilation) decode into their
    /// own storage, because returning the instruction (about 100 bytes) by value costs a block copy per instruction.
    /// </summary>
    public static void Read(WasmReader r, out Instruction ins)
    {
        ins = default;
        ins.Offset = r.Position;
        byte b = r.ReadByte();
        switch (b)
        {
            case 0xFC:
            {
                uint sub = r.ReadU32();
                if (sub > 0x11) throw r.Error(ins.Offset, "illegal opcode");
                ins.Opcode = (Opcode)(0xFC00 | sub);
                ReadPrefixedFC(r, ref ins);
                return;
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
                return;
            }
            case 0xFD:
            {
                uint sub = r.ReadU32();
                var simd = SimdOpcodes.FromSub(sub) ?? throw r.Error(ins.Offset, "illegal opcode");
                ins.Opcode = simd.Opcode;
                ReadSimdImmediates(r, simd.Immediate, ref ins);
                return;
            }
            case 0xFB:
            {
                uint sub = r.ReadU32();
                if (sub > 0x1E) throw r.Error(ins.Offset, "illegal opcode");
                ins.Opcode = (Opcode)(0xFB00 | sub);
                ReadGcImmediates(r, ref ins);
                return;
            }
        }

        if (!IsSingleByteOpcode(b)) throw r.Error(ins.Offset, "illegal opcode");
        ins.Opcode = (Opcode)b;
        switch (ins.Opcode)
        {
            case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try:
                ins.Block = ReadBlockType(r);
                break;
            case Opcode.TryTable or Opcode.Catch or Opcode.Throw or Opcode.Rethrow or Opcode.Delegate
                or Opcode.ReturnCall or Opcode.ReturnCallIndirect:
                ReadExceptionOrTailCall(r, ref ins);
                break;
            case Opcode.Br or Opcode.BrIf or Opcode.BrOnNull or Opcode.BrOnNonNull or Opcode.Call or Opcode.CallRef
                or Opcode.ReturnCallRef or Opcode.LocalGet or Opcode.LocalSet or Opcode.LocalTee
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
                ins.Memory = ReadMemoryIndexByte(r);
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
            {
                // A heap type (3.0): abstract or a type index; the GC heap types are not supported.
                int at = r.Position;
                long heap = r.ReadHeapType(out string name);
                ins.RefType = r.RefTypeOf(at, heap, nullable: true, $"ref.null {name}");
                if (ins.RefType == ValType.Unsupported) { ins.Opcode = Opcode.NotSupported; return; }
                break;
            }
            default:
                if (b >= 0x28 && b <= 0x3E) ReadMemArg(r, ref ins);
                break;
        }
        return;
    }

    private static void SkipBlockType(WasmReader r) => ReadBlockType(r);

    /// <summary>A SIMD instruction's immediates: memargs, lane indices, v128.const and i8x16.shuffle bytes.</summary>
    private static void ReadSimdImmediates(WasmReader r, SimdImmediate kind, ref Instruction ins)
    {
        switch (kind)
        {
            case SimdImmediate.MemArg:
                ReadMemArg(r, ref ins);
                break;
            case SimdImmediate.MemArgLane:
                ReadMemArg(r, ref ins);
                ins.Lane = r.ReadByte();
                break;
            case SimdImmediate.Lane:
                ins.Lane = r.ReadByte();
                break;
            case SimdImmediate.Const or SimdImmediate.Shuffle:
            {
                var bytes = r.ReadBytes(16);
                ins.Immediate = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
                ins.ImmediateHigh = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
                break;
            }
        }
    }

    /// <summary>
    /// A GC instruction's immediates: <see cref="Instruction.Index"/> = type (struct.*, array.* but array.len, array.copy's
    /// destination), <see cref="Instruction.Index2"/> = field, second type (array.copy's source), data or element segment,
    /// or array.new_fixed's length; ref.test/ref.cast: <see cref="Instruction.RefType"/>; br_on_cast(_fail): the label in
    /// <see cref="Instruction.Index"/>, the source and target types in <see cref="Instruction.RefType2"/> and <see cref="Instruction.RefType"/>.
    /// </summary>
    private static void ReadGcImmediates(WasmReader r, ref Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.StructNew or Opcode.StructNewDefault or Opcode.ArrayNew or Opcode.ArrayNewDefault or Opcode.ArrayGet
                or Opcode.ArrayGetS or Opcode.ArrayGetU or Opcode.ArraySet or Opcode.ArrayFill:
                ins.Index = r.ReadU32();
                break;
            case Opcode.StructGet or Opcode.StructGetS or Opcode.StructGetU or Opcode.StructSet or Opcode.ArrayNewFixed
                or Opcode.ArrayNewData or Opcode.ArrayNewElem or Opcode.ArrayCopy or Opcode.ArrayInitData or Opcode.ArrayInitElem:
                ins.Index = r.ReadU32();
                ins.Index2 = r.ReadU32();
                break;
            case Opcode.RefTest or Opcode.RefTestNull or Opcode.RefCast or Opcode.RefCastNull:
            {
                int at = r.Position;
                long heap = r.ReadHeapType(out string name);
                ins.RefType = r.RefTypeOf(at, heap, ins.Opcode is Opcode.RefTestNull or Opcode.RefCastNull, name);
                break;
            }
            case Opcode.BrOnCast or Opcode.BrOnCastFail:
            {
                int flagsAt = r.Position;
                byte flags = r.ReadByte();
                if (flags > 3) throw r.Error(flagsAt, "malformed br_on_cast flags");
                ins.Index = r.ReadU32();
                int at = r.Position;
                long source = r.ReadHeapType(out string sourceName);
                ins.RefType2 = r.RefTypeOf(at, source, (flags & 1) != 0, sourceName);
                at = r.Position;
                long target = r.ReadHeapType(out string targetName);
                ins.RefType = r.RefTypeOf(at, target, (flags & 2) != 0, targetName);
                break;
            }
        }
    }

    private static void ReadPrefixedFC(WasmReader r, ref Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.MemoryInit:
                ins.Index = r.ReadU32();
                ins.Memory = ReadMemoryIndexByte(r);
                break;
            case Opcode.DataDrop or Opcode.ElemDrop or Opcode.TableGrow or Opcode.TableSize or Opcode.TableFill:
                ins.Index = r.ReadU32();
                break;
            case Opcode.MemoryCopy:
                ins.Memory = ReadMemoryIndexByte(r);
                ins.Memory2 = ReadMemoryIndexByte(r);
                break;
            case Opcode.MemoryFill:
                ins.Memory = ReadMemoryIndexByte(r);
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

    /// <summary>A reserved byte that must be zero; reported at its own offset.</summary>
    private static void ReadZeroByte(WasmReader r)
    {
        int at = r.Position;
        if (r.ReadByte() != 0) throw r.Error(at, "zero byte expected");
    }

    /// <summary>
    /// A memory index where WebAssembly 2.0 reserves a zero byte: zero, or (only in a module declaring several
    /// memories: multi-memory) any index, checked by validation; else "zero byte expected", as the 2.0 suite asserts.
    /// </summary>
    private static uint ReadMemoryIndexByte(WasmReader r)
    {
        int at = r.Position;
        if (r.PeekByte() == 0)
        {
            r.ReadByte();
            return 0;
        }
        if (!r.MultipleMemories) throw r.Error(at, "zero byte expected");
        return r.ReadU32();
    }

    /// <summary>
    /// A memarg (WebAssembly 3.0 encoding): flags below 2^6 are the alignment (log2); flags in [2^6, 2^7) are the
    /// alignment plus 2^6 followed by a memory index (multi-memory); larger flags are "malformed memop flags". The offset
    /// is a u64 for a 64-bit memory (memory64) and a u32 for a 32-bit one when the reader knows the memory's address type.
    /// </summary>
    private static void ReadMemArg(WasmReader r, ref Instruction ins)
    {
        int at = r.Position;
        uint flags = r.ReadU32();
        if (flags >= 0x80) throw r.Error(at, "malformed memop flags");
        ins.Align = flags & 0x3F;
        if ((flags & 0x40) != 0) ins.Memory = r.ReadU32();
        // A 32-bit memory's offset is read as a u32 (WebAssembly 2.0: at most 5 bytes, "integer too large" beyond 2^32-1, as
        // the 2.0 suite asserts); a 64-bit memory's (or an unknown memory's) as a u64, which validation checks.
        ins.MemOffset = r.IsMemory64(ins.Memory) ? r.ReadU64() : r.ReadU32();
    }

    /// <summary>
    /// A block type: empty (0x40), a value type, or a type index (non-negative s33). A reference type of a
    /// feature Strand does not implement goes to <see cref="WasmReader.Unsupported"/> (tolerated: an empty block type).
    /// </summary>
    public static BlockType ReadBlockType(WasmReader r)
    {
        int at = r.Position;
        byte first = r.PeekByte();
        if (first == 0x40)
        {
            r.ReadByte();
            return BlockType.Empty;
        }
        if (first is 0x7F or 0x7E or 0x7D or 0x7C or 0x7B or 0x63 or 0x64 or (>= 0x69 and <= 0x74))
        {
            var type = r.ReadValType();
            return type == ValType.Unsupported ? BlockType.Empty : new BlockType(BlockTypeKind.Value, type);
        }
        long index = r.ReadS33();
        if (index < 0) throw r.Error(at, "malformed block type");
        return new BlockType(BlockTypeKind.TypeIndex, TypeIndex: (uint)index);
    }

    /// <summary>Whether <paramref name="b"/> is a one-byte opcode this decoder knows (a table: it is asked for every instruction).</summary>
    private static bool IsSingleByteOpcode(byte b) => SingleByteOpcodes[b];

    private static readonly bool[] SingleByteOpcodes = BuildSingleByteOpcodes();

    private static bool[] BuildSingleByteOpcodes()
    {
        var table = new bool[256];
        for (int b = 0; b < 256; b++) table[b] = IsSingleByteOpcodeSlow((byte)b);
        return table;
    }

    private static bool IsSingleByteOpcodeSlow(byte b) => b switch
    {
        <= 0x05 => true,
        >= 0x0B and <= 0x11 => true,
        0x1A or 0x1B or 0x1C => true,
        0x06 or 0x07 or 0x08 or 0x09 or 0x0A or 0x12 or 0x13 or 0x18 or 0x19 or 0x1F => true, // exception handling, tail calls
        >= 0x20 and <= 0x26 => true,
        >= 0x28 and <= 0xC4 => true,
        0x14 or 0x15 => true, // call_ref, return_call_ref
        0xD0 or 0xD1 or 0xD2 or 0xD3 or 0xD4 or 0xD5 or 0xD6 => true,
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
