using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Intrinsics;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// Float min/max/copysign and float-to-integer truncations emitted without a helper call (see FunctionCompiler.Numeric.cs
/// for why: the JIT inlines helpers only within a budget). Exact wasm semantics: min/max return a quiet NaN when an
/// operand is NaN and order -0 below +0; trapping truncations trap "invalid conversion to integer" on NaN and "integer
/// overflow" outside the range; saturating ones clamp and give 0 for NaN (spec 4.3.3 "trunc", "trunc_sat").
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// f32/f64 min and max as <see cref="Vector128.Min{T}"/>/<see cref="Vector128.Max{T}"/> on lane 0 (IEEE 754-2019
    /// minimum/maximum since .NET 9: NaN propagates, -0 &lt; +0; AVX-512 <c>vrange</c>/<c>vfixupimm</c>, <c>fmin</c> on
    /// arm64), then the quiet bit or-ed into a NaN result (<c>r | (quiet &amp; ~(r == r))</c>) so a signalling NaN operand
    /// gives an arithmetic NaN, whatever the platform's sequence does with it. No branch, no call.
    /// </summary>
    private void MinMaxInline(bool min, ValType type)
    {
        var lane = type == F32 ? typeof(float) : typeof(double);
        var vector = typeof(Vector128<>).MakeGenericType(lane);
        var right = Rent(lane);
        _il.Emit(OpCodes.Stloc, right);
        _il.Emit(OpCodes.Call, Vector128Method(nameof(Vector128.CreateScalarUnsafe), lane, 1));
        _il.Emit(OpCodes.Ldloc, right);
        _il.Emit(OpCodes.Call, Vector128Method(nameof(Vector128.CreateScalarUnsafe), lane, 1));
        _il.Emit(OpCodes.Call, Vector128Method(min ? nameof(Vector128.Min) : nameof(Vector128.Max), lane, 2));
        var result = Rent(vector);
        _il.Emit(OpCodes.Stloc, result);
        _il.Emit(OpCodes.Ldloc, result);
        // The quiet bit as a (subnormal, so exactly representable) float literal splatted into a vector.
        if (type == F32) _il.Emit(OpCodes.Ldc_R4, BitConverter.Int32BitsToSingle(0x0040_0000));
        else _il.Emit(OpCodes.Ldc_R8, BitConverter.Int64BitsToDouble(0x0008_0000_0000_0000));
        _il.Emit(OpCodes.Call, typeof(Vector128).GetMethod(nameof(Vector128.Create), [lane])!);
        _il.Emit(OpCodes.Ldloc, result);
        _il.Emit(OpCodes.Ldloc, result);
        _il.Emit(OpCodes.Call, Vector128Method(nameof(Vector128.Equals), lane, 2));
        _il.Emit(OpCodes.Call, Vector128Method(nameof(Vector128.AndNot), lane, 2));
        _il.Emit(OpCodes.Call, vector.GetMethod("op_BitwiseOr", [vector, vector])!);
        _il.Emit(OpCodes.Call, Vector128Method(nameof(Vector128.ToScalar), lane, 1));
        Release(result);
        Release(right);
        PopN(2);
        Push(type);
    }

    /// <summary>The generic <see cref="Vector128"/> method <paramref name="name"/> of <paramref name="parameters"/> parameters, closed over <paramref name="lane"/>.</summary>
    private static MethodInfo Vector128Method(string name, Type lane, int parameters) =>
        typeof(Vector128).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == name && m.IsGenericMethodDefinition && m.GetGenericArguments().Length == 1
                         && m.GetParameters().Length == parameters)
            .MakeGenericMethod(lane);

    /// <summary>f32/f64 copysign on the bits: <c>(bits(a) &amp; ~sign) | (bits(b) &amp; sign)</c>; NaN payloads are kept.</summary>
    private void CopysignInline(ValType type)
    {
        bool f32 = type == F32;
        var sign = Rent(f32 ? typeof(int) : typeof(long));
        var toBits = f32
            ? RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.SingleToInt32Bits), typeof(float))
            : RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.DoubleToInt64Bits), typeof(double));
        _il.Emit(OpCodes.Call, toBits);
        if (f32) Ldc(int.MinValue); else _il.Emit(OpCodes.Ldc_I8, long.MinValue);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Stloc, sign);
        _il.Emit(OpCodes.Call, toBits);
        if (f32) Ldc(int.MaxValue); else _il.Emit(OpCodes.Ldc_I8, long.MaxValue);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Ldloc, sign);
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Call, f32
            ? RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.Int32BitsToSingle), typeof(int))
            : RuntimeMembers.Method(typeof(BitConverter), nameof(BitConverter.Int64BitsToDouble), typeof(long)));
        Release(sign);
        PopN(2);
        Push(type);
    }

    /// <summary>
    /// Trapping truncation (i32/i64.trunc_f32/f64_s/u): two compares of the operand, left on the stack, against the
    /// bounds of the exactly representable range, each a not-taken branch (unordered forms, so NaN branches too) to a trap
    /// block shared per stack shape, which tells NaN ("invalid conversion to integer") from out of range ("integer
    /// overflow"); then the plain conversion. <paramref name="lowerInclusive"/>: the lower bound itself converts (-2^31
    /// or -2^63 as a float); otherwise only values above it (-1 for unsigned, -2^31-1 from f64).
    /// </summary>
    private void TruncateInline(ValType from, double lower, bool lowerInclusive, double upper, OpCode convert, ValType to)
    {
        var trap = TruncationTrap();
        _il.Emit(OpCodes.Dup);
        LdcFloat(from, lower);
        EmitTruncationBranch(lowerInclusive ? OpCodes.Blt_Un : OpCodes.Ble_Un, trap);
        _il.Emit(OpCodes.Dup);
        LdcFloat(from, upper);
        EmitTruncationBranch(OpCodes.Bge_Un, trap);
        Op(convert, 1, to);
    }

    /// <summary>Saturating truncation: since .NET 9 the CIL conversions saturate on every platform (NaN gives 0), as trunc_sat does.</summary>
    private void TruncateSaturating(OpCode convert, ValType to) => Op(convert, 1, to);

    private void LdcFloat(ValType type, double value)
    {
        if (type == F32) _il.Emit(OpCodes.Ldc_R4, (float)value);
        else _il.Emit(OpCodes.Ldc_R8, value);
    }

    /// <summary>Trap blocks of the truncations, per stack shape (the operand on top): emitted after the body.</summary>
    private readonly Dictionary<string, Label> _truncationTraps = new();

    /// <summary>The shared truncation trap for the current stack (operand included), or null inside a try region.</summary>
    private Label? TruncationTrap()
    {
        if (_tryDepth > 0) return null;
        var key = new System.Text.StringBuilder();
        foreach (var type in _stack) key.Append(ClrTypes.Of(type).FullName).Append(';');
        string shape = key.ToString();
        if (!_truncationTraps.TryGetValue(shape, out var label))
        {
            label = _il.DefineLabel();
            _truncationTraps[shape] = label;
        }
        return label;
    }

    /// <summary>Branches to the shared trap, or inside a try region (a branch may not leave it) to a local one.</summary>
    private void EmitTruncationBranch(OpCode branch, Label? shared)
    {
        if (shared is Label label) _il.Emit(branch, label);
        else EmitLocalTrapBranch(branch, () => EmitTruncationTrap(_stack[^1]));
    }

    /// <summary>With the operand on the stack: throws the trap its value calls for.</summary>
    private void EmitTruncationTrap(ValType from)
    {
        _il.Emit(OpCodes.Call, RuntimeMembers.Method(typeof(WasmOps), nameof(WasmOps.TruncationTrap), from == F32 ? typeof(float) : typeof(double)));
        _il.Emit(OpCodes.Throw);
    }

    /// <summary>After the body: the shared truncation trap blocks.</summary>
    private void EmitTruncationTraps()
    {
        foreach (var (shape, label) in _truncationTraps)
        {
            _il.MarkLabel(label);
            EmitTruncationTrap(shape.EndsWith("System.Single;", StringComparison.Ordinal) ? F32 : F64);
        }
    }
}
