using System.Reflection.Emit;
using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Keeps RyuJIT's float identity folding from changing results (docs/compiler.md, "Numerics", 2). The JIT rewrites
/// <c>x * 1</c>, <c>x / 1</c>, <c>x - 0</c>, <c>x + -0</c>, <c>-0 - x</c> and <c>-1 * x</c> to <c>x</c> or <c>-x</c> once it
/// knows the constant, wherever the constant came from (a literal, a local, <c>select</c>, a block result, an inlined
/// callee, a folded conversion or constant arithmetic); for a signalling NaN <c>x</c> the result is then not the
/// arithmetic (quiet) NaN the spec requires (4.3.3, <c>nans</c>). So the check is made where the constant would be
/// used: each operand of a scalar float add/sub/mul/div/min/max that may be a JIT constant of the dangerous kind is
/// passed through an opaque bit-identity (<c>bits | OpaqueZero</c>), and integer-to-float conversions and
/// <c>f64.reinterpret_i64</c> get the opaque zero or-ed into their operand, so integer constants never become float
/// constants. An operand needs nothing when it is certainly not a constant (<see cref="ValueFacts.NonConstant"/>: a load
/// or a value computed from one), or a constant no identity involves (<see cref="ValueFacts.BenignConstant"/>: not 0,
/// not 1 in magnitude, not NaN; <see cref="ValueFacts.Zero"/>: +0, which is an identity only as the subtrahend).
/// Parameters are made opaque once on entry (an inlining caller may pass constants). Locals (f32, f64 and v128, whose
/// arithmetic <see cref="HideFoldableOperands"/> guards the same way): a read's facts merge every assignment before it in
/// code order, plus the local's initial value (+0, zero bits) unless an assignment at the same or an outer
/// level of nesting comes first; a loop the JIT may unroll (no interrupt check) merges "unknown" for the locals its body assigns. A value
/// the JIT sees as a constant on one path only (a phi with a non-constant) is not folded, so this is enough.
/// </summary>
internal sealed partial class FunctionCompiler
{
    private readonly bool[] _floatLocalAssigned;
    private readonly bool[] _floatLocalInitialReaches;

    private const ValueFacts FoldingFacts = ValueFacts.NonConstant | ValueFacts.BenignConstant | ValueFacts.Zero;

    private static ValueFacts MergeFacts(ValueFacts a, ValueFacts b) => (a & b & FoldingFacts) | ((a | b) & ~FoldingFacts);

    /// <summary>Values whose constant-ness the folding checks track through locals: floats and vectors.</summary>
    private static bool IsFoldTracked(ValType type) => type is ValType.F32 or ValType.F64 or ValType.V128;

    private ValueFacts InitialFacts(uint index) => index < _paramCount ? ValueFacts.NonConstant : ValueFacts.Zero;

    /// <summary>
    /// Passes each f32/f64/v128 parameter the body reads through the opaque identity once, on entry: a caller the JIT inlines
    /// this function into may pass a constant, and this way no use has to be hidden (a float loop scaled by a
    /// parameter: 0.34 s instead of 0.30 s with the parameter hidden at each use, 0.30 s this way).
    /// </summary>
    private void HideFloatParameters(List<Instruction> code)
    {
        var read = new bool[_paramCount];
        foreach (ref readonly var ins in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(code))
            if (ins.Opcode is Opcode.LocalGet or Opcode.LocalTee && ins.Index < _paramCount) read[ins.Index] = true;
        for (int i = 0; i < _paramCount; i++)
        {
            if (!read[i] || !IsFoldTracked(_localTypes[i])) continue;
            Ldarg(i);
            if (_localTypes[i] == ValType.V128) _il.Emit(OpCodes.Call, RuntimeMembers.Op(typeof(Runtime.SimdOps), nameof(Runtime.SimdOps.Opaque)));
            else EmitOpaqueFloat(_localTypes[i] == ValType.F64);
            if (i < 256) _il.Emit(OpCodes.Starg_S, (byte)i);
            else _il.Emit(OpCodes.Starg, (short)i);
        }
    }

    private ValueFacts LocalFactsAtRead(uint index)
    {
        if (!IsFoldTracked(_localTypes[index])) return _localFacts[index];
        if (!_floatLocalAssigned[index]) return InitialFacts(index);
        return _floatLocalInitialReaches[index] ? MergeFacts(InitialFacts(index), _localFacts[index]) : _localFacts[index];
    }

    private ValueFacts LocalFactsAtWrite(uint index, ValueFacts value)
    {
        if (!IsFoldTracked(_localTypes[index])) return value;
        if (_floatLocalInitialReaches[index])
        {
            _floatLocalInitialReaches[index] = false;
            (_controls[^1].AssignedLocals ??= []).Add((int)index);
        }
        var merged = _floatLocalAssigned[index] ? MergeFacts(_localFacts[index], value) : value;
        _floatLocalAssigned[index] = true;
        return merged;
    }

    /// <summary>What <see cref="AfterScalarFolding"/> needs from before the instruction: the result facts to set, if any.</summary>
    private readonly record struct FoldingNote(bool Set, ValueFacts Result);

    private FoldingNote BeforeScalarFolding(Instruction ins)
    {
        var op = ins.Opcode;
        switch (op)
        {
            case Opcode.F32Add or Opcode.F32Sub or Opcode.F32Mul or Opcode.F32Div or Opcode.F32Min or Opcode.F32Max
                or Opcode.F64Add or Opcode.F64Sub or Opcode.F64Mul or Opcode.F64Div or Opcode.F64Min or Opcode.F64Max:
                return new FoldingNote(true, HideFoldableScalarOperands(op));
            case Opcode.F32ConvertI32S or Opcode.F32ConvertI32U or Opcode.F64ConvertI32S or Opcode.F64ConvertI32U:
                _il.Emit(OpCodes.Ldsfld, RuntimeMembers.OpaqueZero);
                _il.Emit(OpCodes.Or);
                return new FoldingNote(true, ValueFacts.NonConstant);
            case Opcode.F32ConvertI64S or Opcode.F32ConvertI64U or Opcode.F64ConvertI64S or Opcode.F64ConvertI64U or Opcode.F64ReinterpretI64:
                _il.Emit(OpCodes.Ldsfld, RuntimeMembers.OpaqueZero);
                _il.Emit(OpCodes.Conv_I8);
                _il.Emit(OpCodes.Or);
                return new FoldingNote(true, ValueFacts.NonConstant);
            case Opcode.F32ReinterpretI32: // or-s the opaque zero itself (ReinterpretAsF32)
            case >= Opcode.I32Load and <= Opcode.I64Load32U:
                return new FoldingNote(true, ValueFacts.NonConstant);
            case Opcode.Select or Opcode.SelectTyped when _stack.Count >= 3:
                return new FoldingNote(true, MergeFacts(_facts[^3], _facts[^2]) & FoldingFacts);
            case >= Opcode.I32Eqz and <= Opcode.I64Extend32S when op is not (Opcode.I32Const or Opcode.I64Const or Opcode.F32Const or Opcode.F64Const):
            {
                int arity = IsUnaryNumeric(op) ? 1 : 2;
                if (_stack.Count < arity) return default;
                bool nonConstant = (_facts[^1] & ValueFacts.NonConstant) != 0 || (arity == 2 && (_facts[^2] & ValueFacts.NonConstant) != 0);
                return new FoldingNote(true, nonConstant ? ValueFacts.NonConstant : ValueFacts.None);
            }
            case Opcode.F32Const:
                return new FoldingNote(true, ScalarConstantFacts(BitConverter.UInt32BitsToSingle(ins.F32Bits)));
            case Opcode.F64Const:
                return new FoldingNote(true, ScalarConstantFacts(BitConverter.UInt64BitsToDouble(ins.F64Bits)));
            case Opcode.Loop when _signal is null || IsShortCountedLoop():
                ForgetLocalsAssignedInLoop();
                return default;
            case Opcode.Else or Opcode.Catch or Opcode.CatchAll or Opcode.End or Opcode.Delegate when _controls.Count > 0:
            {
                // Code after this point may be reached without the assignments made so far in this construct.
                var c = _controls[^1];
                if (c.AssignedLocals is { } assigned)
                {
                    foreach (int i in assigned) _floatLocalInitialReaches[i] = true;
                    assigned.Clear();
                }
                return default;
            }
            default:
                return default;
        }
    }

    private void AfterScalarFolding(FoldingNote note)
    {
        if (!note.Set || _unreachable || _facts.Count == 0) return;
        _facts[^1] = (_facts[^1] & ~FoldingFacts) | note.Result;
    }

    /// <summary>NaN literals are materialised from their bits by a call the JIT does not inline: not constants to it.</summary>
    private static ValueFacts ScalarConstantFacts(double value) =>
        double.IsNaN(value) ? ValueFacts.NonConstant
        : value == 0 && !double.IsNegative(value) ? ValueFacts.Zero
        : Math.Abs(value) is 0.0 or 1.0 ? ValueFacts.None
        : ValueFacts.BenignConstant;

    /// <summary>
    /// Hides the operands of a scalar float add/sub/mul/div/min/max that may be constants an identity folds with
    /// (min/max: their NaN path adds the operands). Returns the result's facts: not a constant if an operand is not
    /// or was hidden.
    /// </summary>
    private ValueFacts HideFoldableScalarOperands(Opcode op)
    {
        bool isSub = op is Opcode.F32Sub or Opcode.F64Sub, isDiv = op is Opcode.F32Div or Opcode.F64Div;
        bool Foldable(ValueFacts facts, bool right) =>
            (facts & (ValueFacts.NonConstant | ValueFacts.BenignConstant)) == 0
            && ((facts & ValueFacts.Zero) == 0 || (isSub && right));
        bool hideLeft = !isDiv && Foldable(_facts[^2], right: false), hideRight = Foldable(_facts[^1], right: true);
        bool f64 = _stack[^1] == ValType.F64;
        if (hideLeft)
        {
            var right = Rent(f64 ? typeof(double) : typeof(float));
            _il.Emit(OpCodes.Stloc, right);
            EmitOpaqueFloat(f64);
            _il.Emit(OpCodes.Ldloc, right);
            Release(right);
        }
        if (hideRight) EmitOpaqueFloat(f64);
        return hideLeft || hideRight || ((_facts[^1] | _facts[^2]) & ValueFacts.NonConstant) != 0 ? ValueFacts.NonConstant : ValueFacts.None;
    }

    /// <summary>The float on the stack, through its bits or-ed with <see cref="Runtime.WasmOps.OpaqueZero"/>: the same bits, no constant.</summary>
    private void EmitOpaqueFloat(bool f64)
    {
        if (f64)
        {
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.DoubleToInt64Bits), typeof(double)));
            _il.Emit(OpCodes.Ldsfld, RuntimeMembers.OpaqueZero);
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Or);
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.Int64BitsToDouble), typeof(long)));
        }
        else
        {
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.SingleToInt32Bits), typeof(float)));
            _il.Emit(OpCodes.Ldsfld, RuntimeMembers.OpaqueZero);
            _il.Emit(OpCodes.Or);
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.Int32BitsToSingle), typeof(int)));
        }
    }

    /// <summary>The float locals a loop body assigns: a JIT that unrolls the loop sees their in-loop values directly.</summary>
    private void ForgetLocalsAssignedInLoop()
    {
        int depth = 0;
        for (int i = _position + 1; i < _code.Count; i++)
        {
            var ins = _code[i];
            switch (ins.Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable: depth++; break;
                case Opcode.End or Opcode.Delegate when depth == 0: return;
                case Opcode.End or Opcode.Delegate: depth--; break;
                case Opcode.LocalSet or Opcode.LocalTee when IsFoldTracked(_localTypes[ins.Index]):
                    _localFacts[ins.Index] = _floatLocalAssigned[ins.Index] ? MergeFacts(_localFacts[ins.Index], ValueFacts.None) : ValueFacts.None;
                    _floatLocalAssigned[ins.Index] = true;
                    break;
            }
        }
    }
}
