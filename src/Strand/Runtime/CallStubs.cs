using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;
using Strand.Validation;
using Strand.Compilation;

namespace Strand.Runtime;

/// <summary>
/// Small generated methods that bridge the host and the uniform wasm calling convention
/// (<see cref="ClrTypes.Signature"/>):
/// <list type="bullet">
/// <item>untyped invokers: (FunctionReference, Value[]) -> Value[], one per function type;</item>
/// <item>typed invokers: bodies of delegates such as Func&lt;int,int,int&gt; bound to a FunctionReference, one per delegate type;</item>
/// <item>host trampolines: the wasm-convention entry point of a host function, one per delegate type (typed) or per function type (untyped).</item>
/// </list>
/// Invokers are <see cref="DynamicMethod"/>s. Trampolines need a code pointer for <c>calli</c>, which a
/// DynamicMethod cannot give (no method handle, no <c>ldftn</c>), so each is a static method of its own
/// type in one shared collectible dynamic assembly. All are created on demand and cached for the process.
/// </summary>
internal static class CallStubs
{
    private static readonly ConcurrentDictionary<int, Func<FunctionReference, Value[], Value[]>> UntypedInvokers = new();
    private static readonly ConcurrentDictionary<Type, DynamicMethod> TypedInvokers = new();
    private static readonly ConcurrentDictionary<Type, DynamicMethod> GuardedTypedInvokers = new();
    private static readonly ConcurrentDictionary<Type, DynamicMethod> CancellableInvokers = new();
    private static readonly ConcurrentDictionary<Type, Trampoline> TypedTrampolines = new();
    private static readonly ConcurrentDictionary<int, Trampoline> UntypedTrampolines = new();

    /// <summary>A trampoline: the created type keeps its (collectible) code alive while cached.</summary>
    internal sealed record Trampoline(Type Holder, nint Pointer);

    private static readonly object TrampolineGate = new();
    private static ModuleBuilder? _trampolineModule;
    private static int _trampolineCounter;

    private static readonly System.Reflection.Module OwnerModule = typeof(CallStubs).Module;

    // ------------------------------------------------------------------ CLR <-> wasm type mapping for host-facing signatures

    /// <summary>Maps a CLR parameter/result type of a host-facing delegate to a wasm value type.</summary>
    public static ValType? ToValType(Type clr)
    {
        if (clr == typeof(int) || clr == typeof(uint)) return ValType.I32;
        if (clr == typeof(long) || clr == typeof(ulong)) return ValType.I64;
        if (clr == typeof(float)) return ValType.F32;
        if (clr == typeof(double)) return ValType.F64;
        if (clr == typeof(FunctionReference)) return ValType.FuncRef;
        if (clr == typeof(object)) return ValType.ExternRef;
        if (clr == typeof(WasmException)) return ValType.ExnRef;
        if (IsVector128(clr)) return ValType.V128;
        return null;
    }

    /// <summary>Vector128&lt;T&gt; of a numeric lane type: all of them are a v128 (compiled code uses Vector128&lt;byte&gt;).</summary>
    private static bool IsVector128(Type clr) =>
        clr.IsGenericType && clr.GetGenericTypeDefinition() == typeof(System.Runtime.Intrinsics.Vector128<>)
            && Type.GetTypeCode(clr.GetGenericArguments()[0]) is TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16
                or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Single or TypeCode.Double;

    private static readonly MethodInfo VectorAs = typeof(System.Runtime.Intrinsics.Vector128).GetMethods()
        .Single(m => m.Name == nameof(System.Runtime.Intrinsics.Vector128.As) && m.GetGenericArguments().Length == 2);

    /// <summary>Reinterprets the vector on the stack from <paramref name="from"/> to <paramref name="to"/> (no-op unless both are Vector128 of different lanes).</summary>
    /// <summary>
    /// Converts a value between a host-facing CLR type and compiled code's type for it: one Vector128 to another, or a
    /// reference between its host form (object, FunctionReference, WasmException; an i31 boxed) and <see cref="RefValue"/>.
    /// </summary>
    private static void EmitBoundaryCast(ILGenerator il, Type from, Type to)
    {
        if (from == to) return;
        if (IsVector128(from) && IsVector128(to))
            il.Emit(OpCodes.Call, VectorAs.MakeGenericMethod(from.GetGenericArguments()[0], to.GetGenericArguments()[0]));
        else if (to == typeof(RefValue) && !from.IsValueType)
            il.Emit(OpCodes.Call, typeof(RefValue).GetMethod(nameof(RefValue.Of))!);
        else if (from == typeof(RefValue) && !to.IsValueType)
        {
            il.Emit(OpCodes.Call, typeof(RefValue).GetMethod(nameof(RefValue.Box))!);
            if (to != typeof(object)) il.Emit(OpCodes.Castclass, to);
        }
    }

    private static bool IsValueTuple(Type t) =>
        t.IsGenericType && t.FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal) && t.GetGenericArguments().Length <= 7;

    /// <summary>The wasm function type a delegate type denotes, or an explanation of why it has none.</summary>
    public static FuncType FuncTypeOf(Type delegateType)
    {
        if (!typeof(Delegate).IsAssignableFrom(delegateType) || delegateType == typeof(Delegate) || delegateType == typeof(MulticastDelegate))
            throw new ArgumentException($"{delegateType} is not a concrete delegate type");
        var invoke = delegateType.GetMethod("Invoke")!;
        var ps = new List<ValType>();
        foreach (var p in invoke.GetParameters())
        {
            if (p.ParameterType.IsByRef || ToValType(p.ParameterType) is not { } vt)
                throw new ArgumentException($"delegate {delegateType} has parameter type {p.ParameterType}, which has no WebAssembly equivalent " +
                                            "(use int/uint, long/ulong, float, double, Vector128<T> (v128), object (externref) or FunctionReference (funcref))");
            ps.Add(vt);
        }
        return new FuncType(ps.ToArray(), ResultTypes(invoke.ReturnType, delegateType));
    }

    private static ValType[] ResultTypes(Type returnType, Type delegateType)
    {
        if (returnType == typeof(void)) return [];
        if (ToValType(returnType) is { } single) return [single];
        if (IsValueTuple(returnType))
        {
            var items = returnType.GetGenericArguments();
            var rs = new ValType[items.Length];
            for (int i = 0; i < items.Length; i++)
                rs[i] = ToValType(items[i]) ?? throw new ArgumentException($"delegate {delegateType} returns a tuple containing {items[i]}, which has no WebAssembly equivalent");
            return rs;
        }
        throw new ArgumentException($"delegate {delegateType} returns {returnType}, which has no WebAssembly equivalent");
    }

    private static Type[] ResultClrTypes(Type returnType) =>
        returnType == typeof(void) ? [] : IsValueTuple(returnType) ? returnType.GetGenericArguments() : [returnType];

    // ------------------------------------------------------------------ host -> wasm

    /// <summary>
    /// The most function types whose untyped invokers the process keeps: the types are the guest's, and a host invoking
    /// the exports of module after module must not grow the process without end. Past it, the invoker is made for the
    /// function reference that asks and kept by it (<see cref="FunctionReference.Invoke(Value[])"/>).
    /// </summary>
    internal const int MaxSharedUntypedInvokers = 4096;

    /// <summary>
    /// The untyped invoker for functions of type <paramref name="typeId"/>: the process's, or a new one, not kept, once
    /// <paramref name="maxShared"/> (<see cref="MaxSharedUntypedInvokers"/>; tests pass less) are kept.
    /// </summary>
    public static Func<FunctionReference, Value[], Value[]> GetUntypedInvoker(int typeId, int maxShared = MaxSharedUntypedInvokers) =>
        UntypedInvokers.TryGetValue(typeId, out var invoker) ? invoker
        : UntypedInvokers.Count < maxShared ? UntypedInvokers.GetOrAdd(typeId, static id => BuildUntypedInvoker(TypeRegistry.GetType(id)))
        : BuildUntypedInvoker(TypeRegistry.GetType(typeId));

    /// <summary>Function types with a kept untyped invoker (tests).</summary>
    internal static bool HasSharedUntypedInvoker(int typeId) => UntypedInvokers.ContainsKey(typeId);

    private static Func<FunctionReference, Value[], Value[]> BuildUntypedInvoker(FuncType type)
    {
        var dm = new DynamicMethod("invoke " + type, typeof(Value[]), [typeof(FunctionReference), typeof(Value[])], OwnerModule, skipVisibility: true);
        var il = dm.GetILGenerator();
        var results = new LocalBuilder[type.Results.Length];
        if (results.Length > 0) results[0] = il.DeclareLocal(ClrTypes.Of(type.Results[0]));
        il.BeginExceptionBlock(); // try { ... } finally { WasmOps.LeaveGuest(); }
        for (int i = 0; i < type.Params.Length; i++)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldelema, typeof(Value));
            EmitFromValue(il, type.Params[i]);
        }
        var extras = DeclareExtraResults(il, type);
        EmitIndirectCall(il, OpCodes.Ldarg_0, type);
        EmitKeepAlive(il, OpCodes.Ldarg_0);
        if (results.Length > 0) il.Emit(OpCodes.Stloc, results[0]);
        EmitLeaveGuest(il);

        for (int k = 1; k < results.Length; k++) results[k] = extras[k - 1];
        var array = il.DeclareLocal(typeof(Value[]));
        il.Emit(OpCodes.Ldc_I4, results.Length);
        il.Emit(OpCodes.Newarr, typeof(Value));
        il.Emit(OpCodes.Stloc, array);
        for (int k = 0; k < results.Length; k++)
        {
            il.Emit(OpCodes.Ldloc, array);
            il.Emit(OpCodes.Ldc_I4, k);
            il.Emit(OpCodes.Ldloc, results[k]);
            EmitToValue(il, type.Results[k]);
            il.Emit(OpCodes.Stelem, typeof(Value));
        }
        il.Emit(OpCodes.Ldloc, array);
        il.Emit(OpCodes.Ret);
        return dm.CreateDelegate<Func<FunctionReference, Value[], Value[]>>();
    }

    public static Delegate CreateTypedDelegate(FunctionReference function, Type delegateType)
    {
        var type = FuncTypeOf(delegateType);
        if (TypeRegistry.GetId(type) != function.TypeId)
            throw new ArgumentException($"delegate type {delegateType} denotes a function of type {type}, but the function has type {function.Type}");
        // A function whose instance has a shadow stack restores its stack pointer when the call ends abnormally.
        if (Threads.EntryStackPointer.For(function) is { } entry)
            return GuardedTypedInvokers.GetOrAdd(delegateType, t => BuildTypedInvoker(t, guarded: true))
                .CreateDelegate(delegateType, new GuardedTarget(function, entry));
        var dm = TypedInvokers.GetOrAdd(delegateType, t => BuildTypedInvoker(t, guarded: false));
        return dm.CreateDelegate(delegateType, function);
    }

    /// <summary>The closed-over state of a typed delegate whose calls restore the instance's stack pointer on an abnormal end.</summary>
    internal sealed class GuardedTarget(FunctionReference function, Threads.EntryStackPointer entry)
    {
        public readonly FunctionReference Function = function;
        public readonly Threads.EntryStackPointer Entry = entry;
    }

    /// <summary>
    /// A typed delegate whose body runs the plain typed delegate under <paramref name="call"/>'s token:
    /// <c>reg = call.Enter(); try { r = inner(args); } catch (TrapException e) { if (!call.IsCancellation(e)) throw; throw call.Cancelled(e); }
    /// finally { call.Exit(reg); } return r;</c>
    /// </summary>
    public static Delegate CreateCancellableDelegate(CancellableCall call, Type delegateType)
    {
        var inner = CreateTypedDelegate(call.Function, delegateType);
        var dm = CancellableInvokers.GetOrAdd(delegateType, BuildCancellableInvoker);
        return dm.CreateDelegate(delegateType, new CancellableTarget(call, inner));
    }

    /// <summary>The closed-over state of a cancellable typed delegate.</summary>
    internal sealed class CancellableTarget(CancellableCall call, Delegate inner)
    {
        public readonly CancellableCall Call = call;
        public readonly Delegate Inner = inner;
    }

    private static DynamicMethod BuildCancellableInvoker(Type delegateType)
    {
        var invoke = delegateType.GetMethod("Invoke")!;
        var clrParams = invoke.GetParameters().Select(p => p.ParameterType).ToArray();
        var dm = new DynamicMethod("invoke cancellable " + delegateType.Name, invoke.ReturnType, [typeof(CancellableTarget), .. clrParams], OwnerModule, skipVisibility: true);
        var il = dm.GetILGenerator();
        var callField = typeof(CancellableTarget).GetField(nameof(CancellableTarget.Call))!;
        var registration = il.DeclareLocal(typeof(CancellationTokenRegistration));
        var result = invoke.ReturnType == typeof(void) ? null : il.DeclareLocal(invoke.ReturnType);
        var trap = il.DeclareLocal(typeof(TrapException));
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, callField);
        il.Emit(OpCodes.Call, typeof(CancellableCall).GetMethod(nameof(CancellableCall.Enter))!);
        il.Emit(OpCodes.Stloc, registration);
        il.BeginExceptionBlock();                 // try (finally)
        il.BeginExceptionBlock();                 // try (catch)
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, typeof(CancellableTarget).GetField(nameof(CancellableTarget.Inner))!);
        il.Emit(OpCodes.Castclass, delegateType);
        for (int i = 0; i < clrParams.Length; i++) il.Emit(OpCodes.Ldarg, (short)(i + 1));
        il.Emit(OpCodes.Callvirt, invoke);
        if (result is not null) il.Emit(OpCodes.Stloc, result);
        il.BeginCatchBlock(typeof(TrapException));
        il.Emit(OpCodes.Stloc, trap);
        var notOurs = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, callField);
        il.Emit(OpCodes.Ldloc, trap);
        il.Emit(OpCodes.Call, typeof(CancellableCall).GetMethod(nameof(CancellableCall.IsCancellation))!);
        il.Emit(OpCodes.Brfalse, notOurs);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, callField);
        il.Emit(OpCodes.Ldloc, trap);
        il.Emit(OpCodes.Call, typeof(CancellableCall).GetMethod(nameof(CancellableCall.Cancelled))!);
        il.Emit(OpCodes.Throw);
        il.MarkLabel(notOurs);
        il.Emit(OpCodes.Rethrow);
        il.EndExceptionBlock();
        il.BeginFinallyBlock();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, callField);
        il.Emit(OpCodes.Ldloc, registration);
        il.Emit(OpCodes.Call, typeof(CancellableCall).GetMethod(nameof(CancellableCall.Exit))!);
        il.EndExceptionBlock();
        if (result is not null) il.Emit(OpCodes.Ldloc, result);
        il.Emit(OpCodes.Ret);
        return dm;
    }

    /// <summary>
    /// The body of a typed delegate bound to a <see cref="FunctionReference"/>, or with <paramref name="guarded"/> to a
    /// <see cref="GuardedTarget"/>: <c>saved = entry.Save(); try { r = call(...); } fault { entry.Restore(saved); } return r;</c>
    /// (a fault block, not a catch: the exception is never caught and rethrown, see <see cref="EmitHostCatch"/>).
    /// </summary>
    private static DynamicMethod BuildTypedInvoker(Type delegateType, bool guarded)
    {
        var invoke = delegateType.GetMethod("Invoke")!;
        var type = FuncTypeOf(delegateType);
        var clrParams = invoke.GetParameters().Select(p => p.ParameterType).ToArray();
        var dm = new DynamicMethod((guarded ? "invoke guarded " : "invoke ") + type, invoke.ReturnType,
            [guarded ? typeof(GuardedTarget) : typeof(FunctionReference), .. clrParams], OwnerModule, skipVisibility: true);
        var il = dm.GetILGenerator();
        LocalBuilder? function = null, saved = null;
        var result = invoke.ReturnType == typeof(void) ? null : il.DeclareLocal(invoke.ReturnType);
        if (guarded)
        {
            function = il.DeclareLocal(typeof(FunctionReference));
            saved = il.DeclareLocal(typeof(Threads.EntryStackPointer.Saved));
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, typeof(GuardedTarget).GetField(nameof(GuardedTarget.Function))!);
            il.Emit(OpCodes.Stloc, function);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, typeof(GuardedTarget).GetField(nameof(GuardedTarget.Entry))!);
            il.Emit(OpCodes.Call, typeof(Threads.EntryStackPointer).GetMethod(nameof(Threads.EntryStackPointer.Save))!);
            il.Emit(OpCodes.Stloc, saved);
            il.BeginExceptionBlock();
        }
        il.BeginExceptionBlock(); // try { ... } finally { WasmOps.LeaveGuest(); }
        for (int i = 0; i < clrParams.Length; i++)
        {
            il.Emit(OpCodes.Ldarg, (short)(i + 1));
            EmitBoundaryCast(il, clrParams[i], ClrTypes.Of(type.Params[i]));
        }
        var extras = DeclareExtraResults(il, type);
        if (function is null) EmitIndirectCall(il, OpCodes.Ldarg_0, type);
        else EmitIndirectCall(il, function, type);
        EmitKeepAlive(il, OpCodes.Ldarg_0);

        var resultTypes = ResultClrTypes(invoke.ReturnType);
        if (resultTypes.Length > 0) EmitBoundaryCast(il, ClrTypes.Of(type.Results[0]), resultTypes[0]);
        for (int k = 1; k < resultTypes.Length; k++)
        {
            il.Emit(OpCodes.Ldloc, extras[k - 1]);
            EmitBoundaryCast(il, ClrTypes.Of(type.Results[k]), resultTypes[k]);
        }
        if (resultTypes.Length > 1) il.Emit(OpCodes.Newobj, invoke.ReturnType.GetConstructor(resultTypes)!);
        if (result is not null) il.Emit(OpCodes.Stloc, result);
        EmitLeaveGuest(il);
        if (guarded)
        {
            il.BeginFaultBlock();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, typeof(GuardedTarget).GetField(nameof(GuardedTarget.Entry))!);
            il.Emit(OpCodes.Ldloc, saved!);
            il.Emit(OpCodes.Call, typeof(Threads.EntryStackPointer).GetMethod(nameof(Threads.EntryStackPointer.Restore))!);
            il.EndExceptionBlock();
        }
        if (result is not null) il.Emit(OpCodes.Ldloc, result);
        il.Emit(OpCodes.Ret);
        return dm;
    }

    // ------------------------------------------------------------------ wasm -> host

    /// <summary>Wraps a typed host delegate (its signature defines the function type).</summary>
    public static HostFunction CreateHostFunction(Delegate callback, string name)
    {
        var delegateType = callback.GetType();
        var type = FuncTypeOf(delegateType);
        var trampoline = TypedTrampolines.GetOrAdd(delegateType, t => BuildTypedTrampoline(t, type));
        return new HostFunction(type, trampoline.Pointer, callback, name);
    }

    /// <summary>Wraps an untyped host callback of the given function type.</summary>
    public static HostFunction CreateHostFunction(FuncType type, Func<Value[], Value[]> callback, string name)
    {
        foreach (var t in type.Params.Concat(type.Results))
        {
            if (!t.IsNumeric() && !t.IsReference() && t != ValType.V128) throw new NotSupportedException($"{t.ToWat()} is not supported in host function signatures");
            ValueTypeCheck.RequireHostType(t, nameof(type));
        }
        var trampoline = UntypedTrampolines.GetOrAdd(TypeRegistry.GetId(type), id => BuildUntypedTrampoline(TypeRegistry.GetType(id)));
        return new HostFunction(type, trampoline.Pointer, callback, name);
    }

    private static Trampoline BuildTypedTrampoline(Type delegateType, FuncType type)
    {
        var invoke = delegateType.GetMethod("Invoke")!;
        var clrParams = invoke.GetParameters().Select(p => p.ParameterType).ToArray();
        var (ret, ps) = ClrTypes.Signature(type);
        int contextArg = ps.Length - 1;
        return DefineTrampoline(ret, ps, il =>
        {
            var result = ret == typeof(void) ? null : il.DeclareLocal(ret);
            il.BeginExceptionBlock();
            il.Emit(OpCodes.Ldarg, (short)contextArg);
            il.Emit(OpCodes.Castclass, typeof(HostFunction));
            il.Emit(OpCodes.Ldfld, CallbackField);
            il.Emit(OpCodes.Castclass, delegateType);
            for (int i = 0; i < clrParams.Length; i++)
            {
                il.Emit(OpCodes.Ldarg, (short)i);
                EmitBoundaryCast(il, ClrTypes.Of(type.Params[i]), clrParams[i]);
            }
            il.Emit(OpCodes.Callvirt, invoke);
            var resultTypes = ResultClrTypes(invoke.ReturnType);
            if (resultTypes.Length > 1)
            {
                var tuple = il.DeclareLocal(invoke.ReturnType);
                il.Emit(OpCodes.Stloc, tuple);
                for (int k = 1; k < resultTypes.Length; k++)
                {
                    il.Emit(OpCodes.Ldarg, (short)(type.Params.Length + k - 1));
                    il.Emit(OpCodes.Ldloc, tuple);
                    il.Emit(OpCodes.Ldfld, invoke.ReturnType.GetField("Item" + (k + 1))!);
                    EmitBoundaryCast(il, resultTypes[k], ClrTypes.Of(type.Results[k]));
                    il.Emit(OpCodes.Stobj, ClrTypes.Of(type.Results[k]));
                }
                il.Emit(OpCodes.Ldloc, tuple);
                il.Emit(OpCodes.Ldfld, invoke.ReturnType.GetField("Item1")!);
            }
            if (resultTypes.Length > 0) EmitBoundaryCast(il, resultTypes[0], ret);
            if (result is not null) il.Emit(OpCodes.Stloc, result);
            EmitHostCatch(il);
            if (result is not null) il.Emit(OpCodes.Ldloc, result);
            il.Emit(OpCodes.Ret);
        });
    }

    private static Trampoline BuildUntypedTrampoline(FuncType type)
    {
        var (ret, ps) = ClrTypes.Signature(type);
        int contextArg = ps.Length - 1;
        return DefineTrampoline(ret, ps, il =>
        {
            var result = ret == typeof(void) ? null : il.DeclareLocal(ret);
            var args = il.DeclareLocal(typeof(Value[]));
            var results = il.DeclareLocal(typeof(Value[]));
            il.BeginExceptionBlock();
            il.Emit(OpCodes.Ldc_I4, type.Params.Length);
            il.Emit(OpCodes.Newarr, typeof(Value));
            il.Emit(OpCodes.Stloc, args);
            for (int i = 0; i < type.Params.Length; i++)
            {
                il.Emit(OpCodes.Ldloc, args);
                il.Emit(OpCodes.Ldc_I4, i);
                il.Emit(OpCodes.Ldarg, (short)i);
                EmitToValue(il, type.Params[i]);
                il.Emit(OpCodes.Stelem, typeof(Value));
            }
            il.Emit(OpCodes.Ldarg, (short)contextArg);
            il.Emit(OpCodes.Castclass, typeof(HostFunction));
            il.Emit(OpCodes.Ldloc, args);
            il.Emit(OpCodes.Call, typeof(CallStubs).GetMethod(nameof(CallUntypedHost), BindingFlags.NonPublic | BindingFlags.Static)!);
            il.Emit(OpCodes.Stloc, results);
            for (int k = 1; k < type.Results.Length; k++)
            {
                il.Emit(OpCodes.Ldarg, (short)(type.Params.Length + k - 1));
                il.Emit(OpCodes.Ldloc, results);
                il.Emit(OpCodes.Ldc_I4, k);
                il.Emit(OpCodes.Ldelema, typeof(Value));
                EmitFromValue(il, type.Results[k]);
                il.Emit(OpCodes.Stobj, ClrTypes.Of(type.Results[k]));
            }
            if (result is not null)
            {
                il.Emit(OpCodes.Ldloc, results);
                il.Emit(OpCodes.Ldc_I4_0);
                il.Emit(OpCodes.Ldelema, typeof(Value));
                EmitFromValue(il, type.Results[0]);
                il.Emit(OpCodes.Stloc, result);
            }
            EmitHostCatch(il);
            if (result is not null) il.Emit(OpCodes.Ldloc, result);
            il.Emit(OpCodes.Ret);
        });
    }

    /// <summary>Calls an untyped host callback and checks that it returned values of the declared result types.</summary>
    private static Value[] CallUntypedHost(HostFunction function, Value[] args)
    {
        var results = ((Func<Value[], Value[]>)function.Callback)(args)
            ?? throw new InvalidOperationException($"host function {function.Name} returned null instead of {function.Type.Results.Length} value(s)");
        var expected = function.Type.Results;
        if (results.Length != expected.Length)
            throw new InvalidOperationException($"host function {function.Name} returned {results.Length} value(s) but its type {function.Type} has {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (ValueTypeCheck.Mismatch(results[i], expected[i]) is { } reason)
                throw new InvalidOperationException($"host function {function.Name} returned a wrong result {i} ({reason})");
        }
        return results;
    }

    /// <summary>
    /// Closes the try block: a <see cref="TrapException"/> or a <see cref="WasmException"/> (a host function throwing a wasm
    /// exception into the guest, or one from guest code it called) passes unchanged, any other exception becomes a HostError trap.
    /// The choice is an exception <em>filter</em>, so a trap is never caught and rethrown: with guest → host → guest
    /// re-entrance thousands of levels deep, a catch-and-rethrow per level would nest exception dispatches on the
    /// already exhausted stack and overflow it while the "call stack exhausted" trap unwinds. (No stack check is
    /// needed here: the calling guest function checked the runtime's margin at its entry, and so does every guest
    /// function the host calls back into.)
    /// </summary>
    private static void EmitHostCatch(ILGenerator il)
    {
        il.BeginExceptFilterBlock();
        il.Emit(OpCodes.Call, typeof(CallStubs).GetMethod(nameof(IsHostFailure), BindingFlags.NonPublic | BindingFlags.Static)!);
        il.BeginCatchBlock(null);
        il.Emit(OpCodes.Call, typeof(CallStubs).GetMethod(nameof(WrapHostException), BindingFlags.NonPublic | BindingFlags.Static)!);
        il.Emit(OpCodes.Throw);
        il.EndExceptionBlock();
    }

    /// <summary>1 (wrap it) unless the exception is a trap or a wasm exception, which pass through unchanged.</summary>
    private static int IsHostFailure(object exception) => exception is TrapException or WasmException ? 0 : 1;

    private static Exception WrapHostException(Exception e) =>
        new TrapException(TrapCode.HostError, $"host function failed: {e.GetType().Name}: {e.Message}", e);

    private static readonly FieldInfo CallbackField =
        typeof(HostFunction).GetField(nameof(HostFunction.Callback), BindingFlags.NonPublic | BindingFlags.Instance)!;

    // ------------------------------------------------------------------ shared emission helpers

    /// <summary>A local per result after the first, its address pushed: the callee's result byrefs follow its parameters.</summary>
    private static LocalBuilder[] DeclareExtraResults(ILGenerator il, FuncType type)
    {
        var extras = new LocalBuilder[Math.Max(0, type.Results.Length - 1)];
        for (int k = 0; k < extras.Length; k++)
        {
            extras[k] = il.DeclareLocal(ClrTypes.Of(type.Results[k + 1]));
            il.Emit(OpCodes.Ldloca, extras[k]);
        }
        return extras;
    }

    /// <summary>
    /// Closes the <c>try</c> an invoker opened around its call into guest code with <c>finally { WasmOps.LeaveGuest(); }</c>:
    /// the thread's stack window must not outlive its stay in guest code (see <see cref="StackWindow"/>).
    /// </summary>
    private static void EmitLeaveGuest(ILGenerator il)
    {
        il.BeginFinallyBlock();
        il.Emit(OpCodes.Call, typeof(WasmOps).GetMethod(nameof(WasmOps.LeaveGuest))!);
        il.EndExceptionBlock();
    }

    /// <summary>
    /// <c>GC.KeepAlive(arg)</c> after the call into guest code: the called function (or the guarded target holding it),
    /// and through its context the instance and its memories, stay reachable until the call returns. Compiled code may
    /// hold only a memory's raw base address after its last use of the instance, and the host may have dropped every
    /// reference of its own: without this, a collection during the call (say, from a host function it calls) could
    /// finalize the memory and unmap it under the running code.
    /// </summary>
    private static void EmitKeepAlive(ILGenerator il, OpCode loadTarget)
    {
        il.Emit(loadTarget);
        il.Emit(OpCodes.Call, typeof(GC).GetMethod(nameof(GC.KeepAlive))!);
    }

    /// <summary>Calls the FunctionReference in <paramref name="function"/> (its context, then calli of its code): compiled code's and the stubs' one way to call a function value.</summary>
    internal static void EmitIndirectCall(ILGenerator il, LocalBuilder function, FuncType type) =>
        EmitIndirectCall(il, () => il.Emit(OpCodes.Ldloc, function), type);

    /// <summary>Calls the FunctionReference that <paramref name="loadFunction"/> loads.</summary>
    private static void EmitIndirectCall(ILGenerator il, OpCode loadFunction, FuncType type) =>
        EmitIndirectCall(il, () => il.Emit(loadFunction), type);

    private static void EmitIndirectCall(ILGenerator il, Action loadFunction, FuncType type)
    {
        loadFunction();
        il.Emit(OpCodes.Ldfld, RuntimeMembers.FunctionContext);
        loadFunction();
        il.Emit(OpCodes.Call, RuntimeMembers.FunctionEntry);
        var (ret, ps) = ClrTypes.Signature(type);
        il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ret, ps, null);
    }

    /// <summary>Reads a <see cref="Value"/> (its address on the stack) as compiled code's representation of <paramref name="type"/>.</summary>
    private static void EmitFromValue(ILGenerator il, ValType type)
    {
        il.Emit(OpCodes.Call, typeof(Value).GetProperty(type switch
        {
            ValType.I32 => nameof(Value.AsI32),
            ValType.I64 => nameof(Value.AsI64),
            ValType.F32 => nameof(Value.AsF32),
            ValType.F64 => nameof(Value.AsF64),
            ValType.V128 => nameof(Value.AsV128),
            _ => nameof(Value.Reference),
        })!.GetMethod!);
        if (type.IsReference()) il.Emit(OpCodes.Call, typeof(RefValue).GetMethod(nameof(RefValue.Of))!);
    }

    /// <summary>Converts the wasm-representation value on the stack to a <see cref="Value"/> (float bits preserved, an i31 boxed).</summary>
    private static void EmitToValue(ILGenerator il, ValType type) => il.Emit(OpCodes.Call, ExceptionOps.ValueFactory(type));

    /// <summary>
    /// Defines a static method with the given signature in a new type of the shared trampoline assembly (also the
    /// interpreter's entry thunks); the caller keeps <see cref="Trampoline.Holder"/> alive as long as it hands out the pointer.
    /// </summary>
    internal static Trampoline DefineTrampoline(Type returnType, Type[] parameters, Action<ILGenerator> emitBody)
    {
        lock (TrampolineGate)
        {
            if (_trampolineModule is null)
            {
                var name = new AssemblyName("Strand.HostTrampolines");
                var assembly = AssemblyBuilder.DefineDynamicAssembly(name, AssemblyBuilderAccess.RunAndCollect);
                assembly.SetCustomAttribute(new CustomAttributeBuilder(
                    typeof(System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute).GetConstructor([typeof(string)])!,
                    [typeof(CallStubs).Assembly.GetName().Name!]));
                _trampolineModule = assembly.DefineDynamicModule(name.Name!);
            }
            var typeBuilder = _trampolineModule.DefineType($"Trampoline{++_trampolineCounter}",
                TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract | TypeAttributes.Class);
            var method = typeBuilder.DefineMethod("Call", MethodAttributes.Public | MethodAttributes.Static, returnType, parameters);
            emitBody(method.GetILGenerator());
            var created = typeBuilder.CreateType();
            var pointer = created.GetMethod("Call", BindingFlags.Public | BindingFlags.Static)!.MethodHandle.GetFunctionPointer();
            return new Trampoline(created, pointer);
        }
    }
}
