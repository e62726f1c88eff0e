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
    private static readonly MethodInfo RotateLeft32 = RuntimeMembers.Method(typeof(BitOperations), nameof(BitOperations.RotateLeft), typeof(uint), typeof(int));
    private static readonly MethodInfo RotateRight32 = RuntimeMembers.Method(typeof(BitOperations), nameof(BitOperations.RotateRight), typeof(uint), typeof(int));
    private static readonly MethodInfo RotateLeft64 = RuntimeMembers.Method(typeof(BitOperations), nameof(BitOperations.RotateLeft), typeof(ulong), typeof(int));
    private static readonly MethodInfo RotateRight64 = RuntimeMembers.Method(typeof(BitOperations), nameof(BitOperations.RotateRight), typeof(ulong), typeof(int));

    /// <summary>
    /// i32/i64.rotl/rotr: <c>BitOperations.RotateLeft/Right</c>, a JIT intrinsic (one <c>rol</c>/<c>ror</c>). The count
    /// gets <see cref="WasmOps.OpaqueZero"/> added (dotnet/runtime#129288); an i64 count is narrowed to int, which
    /// keeps it modulo 64 as the intrinsic (and wasm) take it.
    /// </summary>
    private void RotateIntrinsic(bool left, ValType type)
    {
        _il.Emit(OpCodes.Ldsfld, RuntimeMembers.OpaqueZero);
        if (type == I64)
        {
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Call, left ? RotateLeft64 : RotateRight64);
        }
        else
        {
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Call, left ? RotateLeft32 : RotateRight32);
        }
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
}
