using System.Numerics;
using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// Numeric operators emitted without a helper call. RyuJIT inlines small helpers (even <c>AggressiveInlining</c> ones)
/// only while the method's inline budget lasts: in a big function such as blake3's compress (224 rotations) the later
/// ones became real calls that start unoptimised and spill the state around them. These operators are emitted as IL
/// the JIT never needs to inline: calls to JIT intrinsics (<see cref="BitOperations"/>, <see cref="BitConverter"/>,
/// <see cref="Math"/>), which it expands in place, or plain CIL when the operand makes a check unnecessary.
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// i32/i64.rotl/rotr as the shift pattern RyuJIT turns into one <c>rol</c>/<c>ror</c>:
    /// <c>(x shl n) or (x shr_un (w - n))</c> (left; mirrored for right), the count taken modulo the width by the
    /// shift instructions. Calling <see cref="BitOperations.RotateLeft(uint, int)"/> instead is an ordinary inline
    /// candidate, not an intrinsic: in blake3's compress 67 of 224 rotations stayed calls. The count gets
    /// <see cref="WasmOps.OpaqueZero"/> added (dotnet/runtime#129288); an i64 count is narrowed to int (modulo 64 kept).
    /// </summary>
    private void RotateInline(bool left, ValType type)
    {
        if (ConstantRotationCount(type) is int constant)
        {
            RotateByConstant(left, type, constant);
            return;
        }
        var count = Rent(typeof(int));
        _il.Emit(OpCodes.Ldsfld, RuntimeMembers.OpaqueZero);
        if (type == I64)
        {
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Conv_I4);
        }
        else _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, count);
        var value = Rent(ClrTypes.Of(type));
        _il.Emit(OpCodes.Stloc, value);
        int width = type == I64 ? 64 : 32;
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Ldloc, count);
        Ldc(width - 1);
        _il.Emit(OpCodes.And);
        _il.Emit(left ? OpCodes.Shl : OpCodes.Shr_Un);
        _il.Emit(OpCodes.Ldloc, value);
        Ldc(width);
        _il.Emit(OpCodes.Ldloc, count);
        _il.Emit(OpCodes.Sub);
        Ldc(width - 1);
        _il.Emit(OpCodes.And);
        _il.Emit(left ? OpCodes.Shr_Un : OpCodes.Shl);
        _il.Emit(OpCodes.Or);
        Release(value);
        Release(count);
        PopN(2);
        Push(type);
    }

    /// <summary>clz/ctz/popcnt: the <see cref="BitOperations"/> intrinsic (lzcnt/tzcnt/popcnt), an i64 result widened from its int count.</summary>
    private void BitCountIntrinsic(string name, ValType type)
    {
        _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitOperations), name, type == I64 ? typeof(ulong) : typeof(uint)));
        if (type == I64) _il.Emit(OpCodes.Conv_U8);
        PopN(1);
        Push(type);
    }

    /// <summary>abs/neg (<paramref name="and"/>: mask the sign bit off, else flip it) on the bits, so NaN payloads are kept.</summary>
    private void SignBitOperation(bool and, ValType type)
    {
        if (type == F32)
        {
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.SingleToInt32Bits), typeof(float)));
            Ldc(and ? 0x7FFF_FFFF : int.MinValue);
            _il.Emit(and ? OpCodes.And : OpCodes.Xor);
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.Int32BitsToSingle), typeof(int)));
        }
        else
        {
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.DoubleToInt64Bits), typeof(double)));
            _il.Emit(OpCodes.Ldc_I8, and ? long.MaxValue : long.MinValue);
            _il.Emit(and ? OpCodes.And : OpCodes.Xor);
            _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.Int64BitsToDouble), typeof(long)));
        }
        PopN(1);
        Push(type);
    }

    /// <summary>
    /// ceil/floor/trunc/nearest/sqrt: the <see cref="Math"/>/<see cref="MathF"/> intrinsic (roundss/roundsd with the
    /// mode, sqrtss/sqrtsd). <c>Round(x)</c> rounds half to even, wasm's nearest.
    /// </summary>
    private void MathIntrinsic(string name, ValType type)
    {
        var owner = type == F32 ? typeof(MathF) : typeof(Math);
        var t = type == F32 ? typeof(float) : typeof(double);
        _il.Emit(OpCodes.Call, RuntimeMembers.Method(owner, name, t));
        PopN(1);
        Push(type);
    }

    /// <summary>
    /// Integer div/rem. When the divisor is the constant the previous instruction pushed and is neither 0 nor -1,
    /// nothing can trap, so the plain CIL instruction is emitted (the JIT turns it into a multiplication or shift);
    /// otherwise the checking helper of <see cref="WasmOps"/>.
    /// </summary>
    private void DivRem(OpCode plain, string helper, ValType type)
    {
        if (_position > 0 && _code[_position - 1] is var previous
            && (previous.Opcode == Opcode.I32Const && type == I32 && previous.I32 is not (0 or -1)
                || previous.Opcode == Opcode.I64Const && type == I64 && previous.I64 is not (0 or -1)))
        {
            Op(plain, 2, type);
            return;
        }
        Helper(helper, 2, type);
    }

    /// <summary>
    /// The count of a rotation whose count is the constant pushed by the previous instruction and whose result only feeds
    /// integer arithmetic (see <see cref="RotationFeedsArithmetic"/>), or null. Such a rotation needs no
    /// <see cref="WasmOps.OpaqueZero"/>: dotnet/runtime#129288 drops the zero test of a compare whose operand is the
    /// rotation itself, and here the value compared (if any) is the result of an add, xor... (which set the flags) or a
    /// local holding a copy.
    /// </summary>
    private int? ConstantRotationCount(ValType type)
    {
        if (_position == 0) return null;
        var previous = _code[_position - 1];
        int? count = previous.Opcode switch
        {
            Opcode.I32Const when type == I32 => previous.I32 & 31,
            Opcode.I64Const when type == I64 => (int)(previous.I64 & 63),
            _ => null,
        };
        return count is not null && RotationFeedsArithmetic() ? count : null;
    }

    /// <summary>
    /// True when the value the current instruction pushes is consumed, within 64 instructions, by a binary integer
    /// operator (add, sub, mul, and, or, xor, shifts, rotations); in between, only <c>local.tee</c>s (of it or of another
    /// value), pushes of other operands (local.get, global.get, constants), and binary operators, loads and local.set on
    /// values above it. Any other instruction (a compare, eqz, a branch, a call...) returns false.
    /// </summary>
    private bool RotationFeedsArithmetic()
    {
        int depth = 0; // the value's position below the top of the stack
        for (int i = _position + 1; i < _code.Count && i <= _position + 64; i++)
        {
            switch (_code[i].Opcode)
            {
                case Opcode.LocalTee:
                    break; // stores a copy of the top value and leaves it
                case Opcode.LocalSet when depth > 0:
                    depth--; // pops another value
                    break;
                case >= Opcode.I32Load and <= Opcode.I64Load32U when depth > 0:
                    break; // replaces another value (an address) by the loaded one
                case Opcode.LocalGet or Opcode.GlobalGet or Opcode.I32Const or Opcode.I64Const:
                    depth++;
                    break;
                case Opcode.I32Add or Opcode.I32Sub or Opcode.I32Mul or Opcode.I32And or Opcode.I32Or or Opcode.I32Xor
                    or Opcode.I32Shl or Opcode.I32ShrS or Opcode.I32ShrU or Opcode.I32Rotl or Opcode.I32Rotr
                    or Opcode.I64Add or Opcode.I64Sub or Opcode.I64Mul or Opcode.I64And or Opcode.I64Or or Opcode.I64Xor
                    or Opcode.I64Shl or Opcode.I64ShrS or Opcode.I64ShrU or Opcode.I64Rotl or Opcode.I64Rotr:
                    if (depth <= 1) return true;
                    depth--;
                    break;
                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary>
    /// A rotation by the constant <paramref name="count"/> (the count already on the stack is dropped): the shift pattern
    /// with constant shift amounts, which RyuJIT turns into <c>rol</c>/<c>ror</c> by an immediate; a count of 0 leaves the value.
    /// </summary>
    private void RotateByConstant(bool left, ValType type, int count)
    {
        _il.Emit(OpCodes.Pop);
        PopN(1);
        if (count == 0) return;
        var value = Rent(ClrTypes.Of(type));
        _il.Emit(OpCodes.Stloc, value);
        int width = type == I64 ? 64 : 32;
        _il.Emit(OpCodes.Ldloc, value);
        Ldc(count);
        _il.Emit(left ? OpCodes.Shl : OpCodes.Shr_Un);
        _il.Emit(OpCodes.Ldloc, value);
        Ldc(width - count);
        _il.Emit(left ? OpCodes.Shr_Un : OpCodes.Shl);
        _il.Emit(OpCodes.Or);
        Release(value);
        PopN(1);
        Push(type);
    }
}
