using System.Numerics;
using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

internal sealed partial class FunctionCompiler
{
    private const ValType I32 = ValType.I32, I64 = ValType.I64, F32 = ValType.F32, F64 = ValType.F64;

    private void EmitInstruction(Instruction ins)
    {
        if (_module.HasTable64 && NarrowTable64Operands(ins)) return;
        switch (ins.Opcode)
        {
            // ---- control
            case Opcode.Unreachable:
                Ldc((int)TrapCode.Unreachable);
                Call(nameof(WasmOps.Trap));
                _il.Emit(OpCodes.Throw);
                _unreachable = true;
                break;
            case Opcode.Nop: break;
            case Opcode.Block: DoBlock(ins); break;
            case Opcode.Loop: DoLoop(ins); break;
            case Opcode.If: DoIf(ins); break;
            case Opcode.Else: DoElse(); break;
            case Opcode.End: DoEnd(); break;
            case Opcode.Br:
                EmitBranchTo(Target(ins.Index));
                _unreachable = true;
                break;
            case Opcode.BrIf: DoBrIf(ins); break;
            case Opcode.BrTable: DoBrTable(ins); break;
            case Opcode.Return:
                EmitBranchTo(_controls[0]);
                _unreachable = true;
                break;
            case Opcode.Try or Opcode.Catch or Opcode.CatchAll or Opcode.Delegate or Opcode.Rethrow or Opcode.Throw
                or Opcode.ThrowRef or Opcode.TryTable or Opcode.ReturnCall or Opcode.ReturnCallIndirect or Opcode.ReturnCallRef:
                EmitExceptionOrTailCall(ins);
                break;
            case Opcode.Call: DoCall(ins.Index); break;
            case Opcode.CallIndirect: DoCallIndirect(ins); break;
            case Opcode.CallRef or Opcode.RefAsNonNull or Opcode.BrOnNull or Opcode.BrOnNonNull: EmitReference(ins); break;
            case Opcode.RefEq or (>= Opcode.StructNew and <= Opcode.I31GetU): EmitGc(ins); break;

            // ---- parametric
            case Opcode.Drop:
                _il.Emit(OpCodes.Pop);
                Pop();
                break;
            case Opcode.Select or Opcode.SelectTyped: DoSelect(); break;

            // ---- variables
            case Opcode.LocalGet: LocalGet(ins.Index); break;
            case Opcode.LocalSet: LocalSet(ins.Index); break;
            case Opcode.LocalTee: LocalTee(ins.Index); break;
            case Opcode.GlobalGet: GlobalGet(ins.Index); break;
            case Opcode.GlobalSet: GlobalSet(ins.Index); break;

            // ---- tables and references
            case Opcode.TableGet:
                _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index]);
                Call(nameof(WasmOps.TableGet));
                Pop();
                Push(TableElementType(ins.Index));
                break;
            case Opcode.TableSet:
                _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index]);
                Call(nameof(WasmOps.TableSet));
                PopN(2);
                break;
            case Opcode.TableSize:
                _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index]);
                Call(nameof(WasmOps.TableSize));
                Push(I32);
                break;
            case Opcode.TableGrow:
                _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index]);
                Call(nameof(WasmOps.TableGrow));
                PopN(2);
                Push(I32);
                break;
            case Opcode.TableFill:
                _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index]);
                Call(nameof(WasmOps.TableFill));
                PopN(3);
                break;
            case Opcode.TableCopy:
                _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index]);
                _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index2]);
                Call(nameof(WasmOps.TableCopy));
                PopN(3);
                break;
            case Opcode.TableInit:
                _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index2]);
                _il.Emit(OpCodes.Ldloc, _instance!);
                Ldc((int)ins.Index);
                Call(nameof(WasmOps.TableInit));
                PopN(3);
                break;
            case Opcode.ElemDrop:
                _il.Emit(OpCodes.Ldloc, _instance!);
                Ldc((int)ins.Index);
                Call(nameof(WasmOps.ElemDrop));
                break;
            case Opcode.RefNull:
                EmitRefNull();
                Push(ins.RefType);
                break;
            case Opcode.RefIsNull:
                _il.Emit(OpCodes.Ldfld, RuntimeMembers.RefObject);
                _il.Emit(OpCodes.Ldnull);
                _il.Emit(OpCodes.Ceq);
                Pop();
                Push(I32);
                break;
            case Opcode.RefFunc:
                _il.Emit(OpCodes.Ldloc, _instance!);
                Ldc((int)ins.Index);
                Call(nameof(WasmOps.RefFunc));
                Push(ValTypes.RefToType(_module.Definition.GetFunctionTypeIndex(ins.Index), nullable: false));
                break;

            // ---- memory
            case Opcode.I32Load: Load(ins, 4, OpCodes.Ldind_I4, null, I32); break;
            case Opcode.I64Load: Load(ins, 8, OpCodes.Ldind_I8, null, I64); break;
            case Opcode.F32Load: Load(ins, 4, OpCodes.Ldind_R4, null, F32); break;
            case Opcode.F64Load: Load(ins, 8, OpCodes.Ldind_R8, null, F64); break;
            case Opcode.I32Load8S: Load(ins, 1, OpCodes.Ldind_I1, null, I32); break;
            case Opcode.I32Load8U: Load(ins, 1, OpCodes.Ldind_U1, null, I32); break;
            case Opcode.I32Load16S: Load(ins, 2, OpCodes.Ldind_I2, null, I32); break;
            case Opcode.I32Load16U: Load(ins, 2, OpCodes.Ldind_U2, null, I32); break;
            case Opcode.I64Load8S: Load(ins, 1, OpCodes.Ldind_I1, OpCodes.Conv_I8, I64); break;
            case Opcode.I64Load8U: Load(ins, 1, OpCodes.Ldind_U1, OpCodes.Conv_U8, I64); break;
            case Opcode.I64Load16S: Load(ins, 2, OpCodes.Ldind_I2, OpCodes.Conv_I8, I64); break;
            case Opcode.I64Load16U: Load(ins, 2, OpCodes.Ldind_U2, OpCodes.Conv_U8, I64); break;
            case Opcode.I64Load32S: Load(ins, 4, OpCodes.Ldind_I4, OpCodes.Conv_I8, I64); break;
            case Opcode.I64Load32U: Load(ins, 4, OpCodes.Ldind_U4, OpCodes.Conv_U8, I64); break;
            case Opcode.I32Store: Store(ins, 4, OpCodes.Stind_I4, I32); break;
            case Opcode.I64Store: Store(ins, 8, OpCodes.Stind_I8, I64); break;
            case Opcode.F32Store: Store(ins, 4, OpCodes.Stind_R4, F32); break;
            case Opcode.F64Store: Store(ins, 8, OpCodes.Stind_R8, F64); break;
            case Opcode.I32Store8: Store(ins, 1, OpCodes.Stind_I1, I32); break;
            case Opcode.I32Store16: Store(ins, 2, OpCodes.Stind_I2, I32); break;
            case Opcode.I64Store8: Store(ins, 1, OpCodes.Stind_I1, I64); break;
            case Opcode.I64Store16: Store(ins, 2, OpCodes.Stind_I2, I64); break;
            case Opcode.I64Store32: Store(ins, 4, OpCodes.Stind_I4, I64); break;
            case Opcode.MemorySize or Opcode.MemoryGrow or Opcode.MemoryFill or Opcode.MemoryCopy or Opcode.MemoryInit:
                EmitMemoryOperation(ins);
                break;
            case Opcode.DataDrop:
                _il.Emit(OpCodes.Ldloc, _instance!);
                Ldc((int)ins.Index);
                Call(nameof(WasmOps.DataDrop));
                break;

            // ---- constants
            case Opcode.I32Const: EmitConstant(ins); Push(I32); break;
            case Opcode.I64Const: EmitConstant(ins); Push(I64); break;
            case Opcode.F32Const: EmitConstant(ins); Push(F32); break;
            case Opcode.F64Const: EmitConstant(ins); Push(F64); break;

            default:
                if (SimdOpcodes.IsSimd(ins.Opcode)) EmitSimd(ins);
                else if ((ushort)ins.Opcode >= 0xFE00) EmitAtomic(ins);
                else EmitNumeric(ins.Opcode);
                break;
        }
    }

    private ValType TableElementType(uint tableIndex) => _module.Definition.GetTableType(tableIndex).ElementType;

    private void DoSelect()
    {
        Pop(); // condition
        var second = _ranges[^1];
        Pop();
        // The result is either operand: not the first one's local, and in both intervals' hull only when both are known.
        var first = _ranges[^1];
        _origin[^1] = -1;
        _ranges[^1] = first.Known && second.Known ? ValueRange.Of(Math.Min(first.Lo, second.Lo), Math.Max(first.Hi, second.Hi)) : default;
        // Stack: a, b, cond. Keep a when cond != 0, else b.
        var type = _stack[^1];
        var keepFirst = _il.DefineLabel();
        var done = _il.DefineLabel();
        var tmp = Rent(ClrTypes.Of(type));
        _il.Emit(OpCodes.Brtrue, keepFirst);
        _il.Emit(OpCodes.Stloc, tmp);
        _il.Emit(OpCodes.Pop);
        _il.Emit(OpCodes.Ldloc, tmp);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(keepFirst);
        _il.Emit(OpCodes.Pop);
        _il.MarkLabel(done);
        Release(tmp);
    }

    // ---------------------------------------------------------------- numeric instructions

    private void Op(OpCode op, int pops, ValType result)
    {
        _il.Emit(op);
        PopN(pops);
        Push(result);
    }

    private void Op(OpCode first, OpCode second, int pops, ValType result)
    {
        _il.Emit(first);
        _il.Emit(second);
        PopN(pops);
        Push(result);
    }

    private void Helper(string name, int pops, ValType result)
    {
        Call(name);
        PopN(pops);
        Push(result);
    }

    /// <summary>
    /// f32.reinterpret_i32. The operand always gets <see cref="WasmOps.OpaqueZero"/> or-ed in, so the JIT sees no value
    /// it could fold: (1) RyuJIT (.NET 10) turns Int32BitsToSingle of an 8/16-bit load into a 4-byte float load of the
    /// same address (dotnet/runtime#133580): wrong bits, and a read past the end of memory, even through a single-use
    /// local or after inlining a callee (found by tools/Strand.Fuzz); (2) it folds Int32BitsToSingle of a constant (an
    /// <c>i32.const</c>, constant arithmetic, a local or argument holding one) into a float literal, which it keeps as a
    /// double, so a signalling NaN came out quiet (0x7F800001 became 0x7FC00001; found by the SIMD differential test).
    /// </summary>
    private void ReinterpretAsF32()
    {
        _il.Emit(OpCodes.Ldsfld, RuntimeMembers.OpaqueZero);
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.Int32BitsToSingle), typeof(int)));
        PopN(1);
        Push(F32);
    }

    /// <summary>Compare and negate: for ne, le, ge (a false comparison yields 1).</summary>
    private void NotCompare(OpCode compare)
    {
        _il.Emit(compare);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Ceq);
        PopN(2);
        Push(I32);
    }

    private void Shift(OpCode shift, ValType type)
    {
        // CIL leaves shifts by >= width unspecified; wasm takes the count modulo the width.
        if (type == I32)
        {
            Ldc(31);
            _il.Emit(OpCodes.And);
        }
        else
        {
            _il.Emit(OpCodes.Ldc_I4_S, (sbyte)63);
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Conv_I4);
        }
        _il.Emit(shift);
        PopN(2);
        Push(type);
        _facts[^1] = ValueFacts.ShiftResult;
    }

    /// <summary>
    /// xor. RyuJIT (.NET 10) turns <c>(x shl n) xor (x shr_u (w - n))</c> into a rotation, which is wrong when n is a
    /// multiple of the width (the xor is 0, the rotation x; dotnet/runtime#133864). When both operands come from
    /// shifts, the top one gets <see cref="WasmOps.OpaqueZero"/> added, which hides the pattern; other xors are plain.
    /// </summary>
    private void Xor(ValType type)
    {
        if ((_facts[^1] & _facts[^2] & ValueFacts.ShiftResult) != 0)
        {
            _il.Emit(OpCodes.Ldsfld, RuntimeMembers.OpaqueZero);
            if (type == I64) _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Add);
        }
        Op(OpCodes.Xor, 2, type);
    }

    private void EmitNumeric(Opcode op)
    {
        switch (op)
        {
            // i32 comparisons
            case Opcode.I32Eqz: _il.Emit(OpCodes.Ldc_I4_0); Op(OpCodes.Ceq, 1, I32); break;
            case Opcode.I32Eq: Op(OpCodes.Ceq, 2, I32); break;
            case Opcode.I32Ne: NotCompare(OpCodes.Ceq); break;
            case Opcode.I32LtS: Op(OpCodes.Clt, 2, I32); break;
            case Opcode.I32LtU: Op(OpCodes.Clt_Un, 2, I32); break;
            case Opcode.I32GtS: Op(OpCodes.Cgt, 2, I32); break;
            case Opcode.I32GtU: Op(OpCodes.Cgt_Un, 2, I32); break;
            case Opcode.I32LeS: NotCompare(OpCodes.Cgt); break;
            case Opcode.I32LeU: NotCompare(OpCodes.Cgt_Un); break;
            case Opcode.I32GeS: NotCompare(OpCodes.Clt); break;
            case Opcode.I32GeU: NotCompare(OpCodes.Clt_Un); break;

            // i64 comparisons
            case Opcode.I64Eqz: _il.Emit(OpCodes.Ldc_I4_0); _il.Emit(OpCodes.Conv_I8); Op(OpCodes.Ceq, 1, I32); break;
            case Opcode.I64Eq: Op(OpCodes.Ceq, 2, I32); break;
            case Opcode.I64Ne: NotCompare(OpCodes.Ceq); break;
            case Opcode.I64LtS: Op(OpCodes.Clt, 2, I32); break;
            case Opcode.I64LtU: Op(OpCodes.Clt_Un, 2, I32); break;
            case Opcode.I64GtS: Op(OpCodes.Cgt, 2, I32); break;
            case Opcode.I64GtU: Op(OpCodes.Cgt_Un, 2, I32); break;
            case Opcode.I64LeS: NotCompare(OpCodes.Cgt); break;
            case Opcode.I64LeU: NotCompare(OpCodes.Cgt_Un); break;
            case Opcode.I64GeS: NotCompare(OpCodes.Clt); break;
            case Opcode.I64GeU: NotCompare(OpCodes.Clt_Un); break;

            // float comparisons: unordered (NaN) operands make eq/lt/gt/le/ge false and ne true
            case Opcode.F32Eq or Opcode.F64Eq: Op(OpCodes.Ceq, 2, I32); break;
            case Opcode.F32Ne or Opcode.F64Ne: NotCompare(OpCodes.Ceq); break;
            case Opcode.F32Lt or Opcode.F64Lt: Op(OpCodes.Clt, 2, I32); break;
            case Opcode.F32Gt or Opcode.F64Gt: Op(OpCodes.Cgt, 2, I32); break;
            case Opcode.F32Le or Opcode.F64Le: NotCompare(OpCodes.Cgt_Un); break;
            case Opcode.F32Ge or Opcode.F64Ge: NotCompare(OpCodes.Clt_Un); break;

            // i32 arithmetic
            case Opcode.I32Clz: BitCountIntrinsic(nameof(BitOperations.LeadingZeroCount), I32); break;
            case Opcode.I32Ctz: BitCountIntrinsic(nameof(BitOperations.TrailingZeroCount), I32); break;
            case Opcode.I32Popcnt: BitCountIntrinsic(nameof(BitOperations.PopCount), I32); break;
            case Opcode.I32Add: Op(OpCodes.Add, 2, I32); break;
            case Opcode.I32Sub: Op(OpCodes.Sub, 2, I32); break;
            case Opcode.I32Mul: Op(OpCodes.Mul, 2, I32); break;
            case Opcode.I32DivS: DivRem(OpCodes.Div, nameof(WasmOps.I32DivS), I32); break;
            case Opcode.I32DivU: DivRem(OpCodes.Div_Un, nameof(WasmOps.I32DivU), I32); break;
            case Opcode.I32RemS: DivRem(OpCodes.Rem, nameof(WasmOps.I32RemS), I32); break;
            case Opcode.I32RemU: DivRem(OpCodes.Rem_Un, nameof(WasmOps.I32RemU), I32); break;
            case Opcode.I32And: Op(OpCodes.And, 2, I32); break;
            case Opcode.I32Or: Op(OpCodes.Or, 2, I32); break;
            case Opcode.I32Xor: Xor(I32); break;
            case Opcode.I32Shl: Shift(OpCodes.Shl, I32); break;
            case Opcode.I32ShrS: Shift(OpCodes.Shr, I32); break;
            case Opcode.I32ShrU: Shift(OpCodes.Shr_Un, I32); break;
            case Opcode.I32Rotl: RotateInline(true, I32); break;
            case Opcode.I32Rotr: RotateInline(false, I32); break;

            // i64 arithmetic
            case Opcode.I64Clz: BitCountIntrinsic(nameof(BitOperations.LeadingZeroCount), I64); break;
            case Opcode.I64Ctz: BitCountIntrinsic(nameof(BitOperations.TrailingZeroCount), I64); break;
            case Opcode.I64Popcnt: BitCountIntrinsic(nameof(BitOperations.PopCount), I64); break;
            case Opcode.I64Add: Op(OpCodes.Add, 2, I64); break;
            case Opcode.I64Sub: Op(OpCodes.Sub, 2, I64); break;
            case Opcode.I64Mul: Op(OpCodes.Mul, 2, I64); break;
            case Opcode.I64DivS: DivRem(OpCodes.Div, nameof(WasmOps.I64DivS), I64); break;
            case Opcode.I64DivU: DivRem(OpCodes.Div_Un, nameof(WasmOps.I64DivU), I64); break;
            case Opcode.I64RemS: DivRem(OpCodes.Rem, nameof(WasmOps.I64RemS), I64); break;
            case Opcode.I64RemU: DivRem(OpCodes.Rem_Un, nameof(WasmOps.I64RemU), I64); break;
            case Opcode.I64And: Op(OpCodes.And, 2, I64); break;
            case Opcode.I64Or: Op(OpCodes.Or, 2, I64); break;
            case Opcode.I64Xor: Xor(I64); break;
            case Opcode.I64Shl: Shift(OpCodes.Shl, I64); break;
            case Opcode.I64ShrS: Shift(OpCodes.Shr, I64); break;
            case Opcode.I64ShrU: Shift(OpCodes.Shr_Un, I64); break;
            case Opcode.I64Rotl: RotateInline(true, I64); break;
            case Opcode.I64Rotr: RotateInline(false, I64); break;

            // f32 arithmetic
            case Opcode.F32Abs: SignBitOperation(true, F32); break;
            case Opcode.F32Neg: SignBitOperation(false, F32); break;
            case Opcode.F32Ceil: MathIntrinsic(nameof(MathF.Ceiling), F32); break;
            case Opcode.F32Floor: MathIntrinsic(nameof(MathF.Floor), F32); break;
            case Opcode.F32Trunc: MathIntrinsic(nameof(MathF.Truncate), F32); break;
            case Opcode.F32Nearest: MathIntrinsic(nameof(MathF.Round), F32); break;
            case Opcode.F32Sqrt: MathIntrinsic(nameof(MathF.Sqrt), F32); break;
            case Opcode.F32Add: Op(OpCodes.Add, 2, F32); break;
            case Opcode.F32Sub: Op(OpCodes.Sub, 2, F32); break;
            case Opcode.F32Mul: Op(OpCodes.Mul, 2, F32); break;
            case Opcode.F32Div: Op(OpCodes.Div, 2, F32); break;
            case Opcode.F32Min: MinMaxInline(true, F32); break;
            case Opcode.F32Max: MinMaxInline(false, F32); break;
            case Opcode.F32Copysign: CopysignInline(F32); break;

            // f64 arithmetic
            case Opcode.F64Abs: SignBitOperation(true, F64); break;
            case Opcode.F64Neg: SignBitOperation(false, F64); break;
            case Opcode.F64Ceil: MathIntrinsic(nameof(Math.Ceiling), F64); break;
            case Opcode.F64Floor: MathIntrinsic(nameof(Math.Floor), F64); break;
            case Opcode.F64Trunc: MathIntrinsic(nameof(Math.Truncate), F64); break;
            case Opcode.F64Nearest: MathIntrinsic(nameof(Math.Round), F64); break;
            case Opcode.F64Sqrt: MathIntrinsic(nameof(Math.Sqrt), F64); break;
            case Opcode.F64Add: Op(OpCodes.Add, 2, F64); break;
            case Opcode.F64Sub: Op(OpCodes.Sub, 2, F64); break;
            case Opcode.F64Mul: Op(OpCodes.Mul, 2, F64); break;
            case Opcode.F64Div: Op(OpCodes.Div, 2, F64); break;
            case Opcode.F64Min: MinMaxInline(true, F64); break;
            case Opcode.F64Max: MinMaxInline(false, F64); break;
            case Opcode.F64Copysign: CopysignInline(F64); break;

            // conversions
            case Opcode.I32WrapI64: Op(OpCodes.Conv_I4, 1, I32); break;
            case Opcode.I32TruncF32S: TruncateInline(F32, -2147483648.0, true, 2147483648.0, OpCodes.Conv_I4, I32); break;
            case Opcode.I32TruncF32U: TruncateInline(F32, -1.0, false, 4294967296.0, OpCodes.Conv_U4, I32); break;
            case Opcode.I32TruncF64S: TruncateInline(F64, -2147483649.0, false, 2147483648.0, OpCodes.Conv_I4, I32); break;
            case Opcode.I32TruncF64U: TruncateInline(F64, -1.0, false, 4294967296.0, OpCodes.Conv_U4, I32); break;
            case Opcode.I64ExtendI32S: Op(OpCodes.Conv_I8, 1, I64); break;
            case Opcode.I64ExtendI32U: Op(OpCodes.Conv_U8, 1, I64); break;
            case Opcode.I64TruncF32S: TruncateInline(F32, -9223372036854775808.0, true, 9223372036854775808.0, OpCodes.Conv_I8, I64); break;
            case Opcode.I64TruncF32U: TruncateInline(F32, -1.0, false, 18446744073709551616.0, OpCodes.Conv_U8, I64); break;
            case Opcode.I64TruncF64S: TruncateInline(F64, -9223372036854775808.0, true, 9223372036854775808.0, OpCodes.Conv_I8, I64); break;
            case Opcode.I64TruncF64U: TruncateInline(F64, -1.0, false, 18446744073709551616.0, OpCodes.Conv_U8, I64); break;
            case Opcode.F32ConvertI32S: Op(OpCodes.Conv_R4, 1, F32); break;
            case Opcode.F32ConvertI32U: Helper(nameof(WasmOps.F32ConvertI32U), 1, F32); break;
            case Opcode.F32ConvertI64S: Helper(nameof(WasmOps.F32ConvertI64S), 1, F32); break;
            case Opcode.F32ConvertI64U: Helper(nameof(WasmOps.F32ConvertI64U), 1, F32); break;
            case Opcode.F32DemoteF64:
                // demote(promote(x)) must quiet a signalling NaN; the JIT would fold the pair to x.
                if (_position > 0 && _code[_position - 1].Opcode == Opcode.F64PromoteF32) Helper(nameof(WasmOps.F32DemoteF64Opaque), 1, F32);
                else Op(OpCodes.Conv_R4, 1, F32);
                break;
            case Opcode.F64ConvertI32S: Op(OpCodes.Conv_R8, 1, F64); break;
            case Opcode.F64ConvertI32U: Helper(nameof(WasmOps.F64ConvertI32U), 1, F64); break;
            case Opcode.F64ConvertI64S: Helper(nameof(WasmOps.F64ConvertI64S), 1, F64); break;
            case Opcode.F64ConvertI64U: Helper(nameof(WasmOps.F64ConvertI64U), 1, F64); break;
            case Opcode.F64PromoteF32: Op(OpCodes.Conv_R8, 1, F64); break;
            case Opcode.I32ReinterpretF32:
                _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.SingleToInt32Bits), typeof(float)));
                PopN(1); Push(I32);
                break;
            case Opcode.I64ReinterpretF64:
                _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.DoubleToInt64Bits), typeof(double)));
                PopN(1); Push(I64);
                break;
            case Opcode.F32ReinterpretI32: ReinterpretAsF32(); break;
            case Opcode.F64ReinterpretI64:
                _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.Int64BitsToDouble), typeof(long)));
                PopN(1); Push(F64);
                break;

            // sign extension
            case Opcode.I32Extend8S: Op(OpCodes.Conv_I1, 1, I32); break;
            case Opcode.I32Extend16S: Op(OpCodes.Conv_I2, 1, I32); break;
            case Opcode.I64Extend8S: Op(OpCodes.Conv_I1, OpCodes.Conv_I8, 1, I64); break;
            case Opcode.I64Extend16S: Op(OpCodes.Conv_I2, OpCodes.Conv_I8, 1, I64); break;
            case Opcode.I64Extend32S: Op(OpCodes.Conv_I4, OpCodes.Conv_I8, 1, I64); break;

            // saturating truncation
            case Opcode.I32TruncSatF32S: TruncateSaturating(OpCodes.Conv_I4, I32); break;
            case Opcode.I32TruncSatF32U: TruncateSaturating(OpCodes.Conv_U4, I32); break;
            case Opcode.I32TruncSatF64S: TruncateSaturating(OpCodes.Conv_I4, I32); break;
            case Opcode.I32TruncSatF64U: TruncateSaturating(OpCodes.Conv_U4, I32); break;
            case Opcode.I64TruncSatF32S: TruncateSaturating(OpCodes.Conv_I8, I64); break;
            case Opcode.I64TruncSatF32U: TruncateSaturating(OpCodes.Conv_U8, I64); break;
            case Opcode.I64TruncSatF64S: TruncateSaturating(OpCodes.Conv_I8, I64); break;
            case Opcode.I64TruncSatF64U: TruncateSaturating(OpCodes.Conv_U8, I64); break;

            default:
                throw new NotSupportedException($"opcode {op} (0x{(ushort)op:x}) is not supported by the compiler");
        }
    }

    // ---------------------------------------------------------------- threads: atomics

    private void EmitAtomic(Instruction ins)
    {
        var op = ins.Opcode;
        if (op == Opcode.AtomicFence)
        {
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(AtomicOps), nameof(AtomicOps.Fence)));
            return;
        }
        int size = 1 << InstructionDecoder.NaturalAlignment(op);
        string name = op.ToString();
        bool wide = name.StartsWith("I64", StringComparison.Ordinal);
        ValType operand = wide ? I64 : I32;

        // Operands above the address, in stack order.
        ValType[] operands;
        string helper;
        ValType? result;
        if (op == Opcode.MemoryAtomicNotify) { operands = [I32]; helper = nameof(AtomicOps.Notify); result = I32; }
        else if (op == Opcode.MemoryAtomicWait32) { operands = [I32, I64]; helper = nameof(AtomicOps.Wait32); result = I32; }
        else if (op == Opcode.MemoryAtomicWait64) { operands = [I64, I64]; helper = nameof(AtomicOps.Wait64); result = I32; }
        else if (name.Contains("Load", StringComparison.Ordinal)) { operands = []; helper = "Load"; result = operand; }
        else if (name.Contains("Store", StringComparison.Ordinal)) { operands = [operand]; helper = "Store"; result = null; }
        else if (name.Contains("Cmpxchg", StringComparison.Ordinal)) { operands = [operand, operand]; helper = "Cmpxchg"; result = operand; }
        else
        {
            operands = [operand];
            result = operand;
            helper = name.Contains("Xchg", StringComparison.Ordinal) ? "Xchg"
                : name.Contains("Add", StringComparison.Ordinal) ? "Add"
                : name.Contains("Sub", StringComparison.Ordinal) ? "Sub"
                : name.Contains("And", StringComparison.Ordinal) ? "And"
                : name.Contains("Xor", StringComparison.Ordinal) ? "Xor"
                : "Or";
        }
        bool waitOrNotify = op is Opcode.MemoryAtomicNotify or Opcode.MemoryAtomicWait32 or Opcode.MemoryAtomicWait64;
        if (!waitOrNotify) helper += size * 8;

        var temps = new LocalBuilder[operands.Length];
        for (int k = operands.Length - 1; k >= 0; k--)
        {
            temps[k] = Rent(ClrTypes.Of(operands[k]));
            _il.Emit(OpCodes.Stloc, temps[k]);
        }
        PopN(operands.Length + 1);

        var ea = EmitAtomicAddress(ins.MemOffset, size, ins.Memory);
        for (int k = 0; k < operands.Length; k++)
        {
            _il.Emit(OpCodes.Ldloc, temps[k]);
            // Narrow accesses of i64 values take the low 32 bits (the helpers wrap further).
            if (!waitOrNotify && operands[k] == I64 && size < 8) _il.Emit(OpCodes.Conv_I4);
            Release(temps[k]);
        }
        if (waitOrNotify)
        {
            _il.Emit(OpCodes.Ldloc, MemoryLocal(ins.Memory));
            _il.Emit(OpCodes.Ldloc, ea);
            _il.Emit(OpCodes.Conv_I4);
            // A wait carries the instance's interrupt signal, so a thread group can stop a blocked thread.
            if (op != Opcode.MemoryAtomicNotify) _il.Emit(OpCodes.Ldloc, _instance!);
        }
        Release(ea);
        _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(AtomicOps), helper));
        if (result is { } r)
        {
            // Narrow results are zero-extended into i64.
            if (!waitOrNotify && r == I64 && size < 8) _il.Emit(OpCodes.Conv_U8);
            Push(r);
        }
    }
}
