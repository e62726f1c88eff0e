using Strand.Binary;

namespace Strand.Compilation;

/// <summary>How WebAssembly values are represented in compiled code and in the uniform calling convention.</summary>
internal static class ClrTypes
{
    /// <summary>i32 = int, i64 = long, f32 = float, f64 = double, v128 = Vector128&lt;byte&gt;, every reference type = <see cref="Runtime.RefValue"/> (an object or an unboxed i31).</summary>
    public static Type Of(ValType type) => type switch
    {
        ValType.I32 => typeof(int),
        ValType.I64 => typeof(long),
        ValType.F32 => typeof(float),
        ValType.F64 => typeof(double),
        ValType.V128 => typeof(System.Runtime.Intrinsics.Vector128<byte>),
        _ when type.IsReference() => typeof(Runtime.RefValue),
        _ => throw new NotSupportedException($"value type {type.ToWat()} is not supported"),
    };

    /// <summary>
    /// The CLR signature of a function of type <paramref name="type"/>: its parameters, then one byref per
    /// result after the first, then the context object; returns the first result (or void).
    /// </summary>
    public static (Type Return, Type[] Parameters) Signature(FuncType type)
    {
        var ps = new Type[type.Params.Length + Math.Max(0, type.Results.Length - 1) + 1];
        int k = 0;
        foreach (var p in type.Params) ps[k++] = Of(p);
        for (int i = 1; i < type.Results.Length; i++) ps[k++] = Of(type.Results[i]).MakeByRefType();
        ps[k] = typeof(object);
        return (type.Results.Length > 0 ? Of(type.Results[0]) : typeof(void), ps);
    }
}
