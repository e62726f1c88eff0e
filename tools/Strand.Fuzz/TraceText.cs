using System.Runtime.Intrinsics;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Fuzz;

/// <summary>
/// The canonical text of trace events, shared with tools/fuzz/run-node.mjs: both engines' traces are
/// lists of these lines and are compared line by line.
/// </summary>
internal static class TraceText
{
    /// <summary>
    /// A value as the trace shows it. NaN payloads cannot cross V8's JS boundary (and the spec lets
    /// engines pick them), so every NaN prints as "nan"; every other float prints as its exact bits.
    /// </summary>
    public static string Format(Value value) => value.Type switch
    {
        ValType.I32 => "i32:" + value.AsI32,
        ValType.I64 => "i64:" + value.AsI64,
        ValType.F32 => float.IsNaN(value.AsF32) ? "f32:nan" : "f32:" + ((uint)value.Bits).ToString("x8"),
        ValType.F64 => double.IsNaN(value.AsF64) ? "f64:nan" : "f64:" + value.Bits.ToString("x16"),
        // Exact bits as four i32 lanes (run-node.mjs receives them from a wasm helper; NaN lanes too).
        ValType.V128 => "v128:" + string.Join("_", Enumerable.Range(0, 4).Select(i => value.AsV128.AsUInt32().GetElement(i).ToString("x8"))),
        _ => value.Type.ToWat() + ":" + (value.IsNull ? "null" : "ref"),
    };

    /// <summary>The import signature both engines can log: (v128) -> [] (binaryen's <c>log-v128</c>).</summary>
    public static bool IsV128Logger(FuncType type) => type.Params is [ValType.V128] && type.Results.Length == 0;

    /// <summary>An argument in the plan's wire format (floats as hex bits, so both sides pass the same value).</summary>
    public static string FormatArgument(Value value) => value.Type switch
    {
        ValType.I32 => "i32:" + value.AsI32,
        ValType.I64 => "i64:" + value.AsI64,
        ValType.F32 => "f32:" + ((uint)value.Bits).ToString("x8"),
        ValType.F64 => "f64:" + value.Bits.ToString("x16"),
        _ => value.Type.ToWat() + ":null",
    };

    /// <summary>Strand's trap codes mapped to the categories run-node.mjs derives from V8's messages.</summary>
    public static string TrapCategory(TrapException trap) => trap.Code switch
    {
        TrapCode.Unreachable => "unreachable",
        TrapCode.IntegerDivideByZero => "integer-divide-by-zero",
        TrapCode.IntegerOverflow => "integer-overflow",
        TrapCode.InvalidConversionToInteger => "invalid-conversion",
        TrapCode.OutOfBoundsMemoryAccess => "memory-out-of-bounds",
        // V8 reports a call_indirect index past the table like any out-of-bounds table access...
        TrapCode.OutOfBoundsTableAccess or TrapCode.UndefinedElement => "table-out-of-bounds",
        // ...and does not tell a null entry from a signature mismatch.
        TrapCode.UninitializedElement or TrapCode.IndirectCallTypeMismatch => "indirect-call-null-or-mismatch",
        TrapCode.CallStackExhausted => "stack-exhausted",
        TrapCode.UnalignedAtomic => "unaligned-atomic",
        TrapCode.ExpectedSharedMemory => "expected-shared-memory",
        TrapCode.NullReference => "null-reference",
        TrapCode.HostError when trap.InnerException is V128AtJsBoundary => "host-error TypeError: " + V128AtJsBoundary.V8Message,
        _ => "other " + trap.Message,
    };

    /// <summary>
    /// What the Strand side's import throws when guest code calls a JS import whose signature has a v128 (other than
    /// <see cref="IsV128Logger"/>, which run-node.mjs serves with a wasm helper): V8 throws a
    /// TypeError at the boundary before any JS runs, which run-node.mjs reports as a host error with this message.
    /// </summary>
    public sealed class V128AtJsBoundary() : Exception(V8Message)
    {
        public const string V8Message = "type incompatibility when transforming from/to JS";
    }

    public const uint FnvOffset = 0x811c9dc5;

    /// <summary>32-bit FNV-1a, continued from <paramref name="hash"/> (the same function as run-node.mjs).</summary>
    public static uint Fnv1a(ReadOnlySpan<byte> bytes, uint hash)
    {
        foreach (byte b in bytes) hash = (hash ^ b) * 16777619;
        return hash;
    }
}
