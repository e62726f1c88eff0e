using Strand.Binary;

namespace Strand.Runtime;

/// <summary>Helpers the compiled code of exception handling calls (see Compilation/FunctionCompiler.Exceptions.cs).</summary>
internal static class ExceptionOps
{
    /// <summary><c>throw</c>: a new exception of the instance's tag <paramref name="tag"/> (the IL throws it).</summary>
    public static Exception Throw(Instance instance, int tag, Value[] payload) => new WasmException(instance.Tags[tag], payload, trusted: true);

    /// <summary><c>throw_ref</c>: the exception to throw again, or the trap for a null reference.</summary>
    public static Exception ThrowRef(RefValue exn) =>
        exn.Object as WasmException ?? (Exception)new TrapException(TrapCode.NullReference, "null exception reference");

    /// <summary>Filter of <c>catch</c>/<c>catch_ref</c>: 1 for a wasm exception of the instance's tag <paramref name="tag"/>.</summary>
    public static int Matches(object exception, Instance instance, int tag) =>
        exception is WasmException e && ReferenceEquals(e.Tag, instance.Tags[tag]) ? 1 : 0;

    /// <summary>Filter of <c>catch_all</c>/<c>catch_all_ref</c> and <c>delegate</c>: 1 for any wasm exception, 0 for a trap or anything else.</summary>
    public static int IsWasmException(object exception) => exception is WasmException ? 1 : 0;

    public static int PayloadI32(WasmException e, int i) => e.PayloadArray[i].AsI32;
    public static long PayloadI64(WasmException e, int i) => e.PayloadArray[i].AsI64;
    public static float PayloadF32(WasmException e, int i) => e.PayloadArray[i].AsF32;
    public static double PayloadF64(WasmException e, int i) => e.PayloadArray[i].AsF64;
    public static RefValue PayloadRef(WasmException e, int i) => RefValue.Of(e.PayloadArray[i].Reference);
    public static System.Runtime.Intrinsics.Vector128<byte> PayloadV128(WasmException e, int i) => e.PayloadArray[i].AsV128;

    /// <summary>The method compiled code (and a host call stub) calls to make a <see cref="Value"/> of type <paramref name="type"/> from its CLR value (an i31 boxed).</summary>
    public static System.Reflection.MethodInfo ValueFactory(ValType type) => Validation.TypeRegistry.KindOf(type) switch
    {
        ValType.I32 => typeof(Value).GetMethod(nameof(Value.I32))!,
        ValType.I64 => typeof(Value).GetMethod(nameof(Value.I64))!,
        ValType.F32 => typeof(Value).GetMethod(nameof(Value.F32))!,
        ValType.F64 => typeof(Value).GetMethod(nameof(Value.F64))!,
        ValType.V128 => typeof(Value).GetMethod(nameof(Value.V128))!,
        ValType.FuncRef => typeof(ExceptionOps).GetMethod(nameof(FuncRefValue))!,
        ValType.ExternRef => typeof(ExceptionOps).GetMethod(nameof(ExternRefValue))!,
        ValType.AnyRef => typeof(ExceptionOps).GetMethod(nameof(AnyRefValue))!,
        _ => typeof(ExceptionOps).GetMethod(nameof(ExnRefValue))!,
    };

    public static Value FuncRefValue(RefValue f) => Value.FuncRef((FunctionReference?)f.Object);
    public static Value ExnRefValue(RefValue e) => Value.ExnRef((WasmException?)e.Object);
    public static Value AnyRefValue(RefValue r) => Value.OfReference(ValType.AnyRef, r.ToObject());
    public static Value ExternRefValue(RefValue r) => Value.ExternRef(r.ToObject());

    public static string PayloadGetter(ValType type) => type switch
    {
        ValType.I32 => nameof(PayloadI32),
        ValType.I64 => nameof(PayloadI64),
        ValType.F32 => nameof(PayloadF32),
        ValType.F64 => nameof(PayloadF64),
        ValType.V128 => nameof(PayloadV128),
        _ => nameof(PayloadRef),
    };
}
