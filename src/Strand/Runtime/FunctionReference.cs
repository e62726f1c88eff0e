using Strand.Binary;
using Strand.Validation;

namespace Strand.Runtime;

/// <summary>
/// A function as a first-class value: the element of a funcref table, the value of
/// <c>ref.func</c>, an imported or exported function, host or WebAssembly.
/// </summary>
/// <remarks>
/// Every function, whatever its origin, is called the same way by compiled code: a <c>calli</c>
/// through <see cref="Code"/> with the arguments, then one byref slot per result after the first,
/// then <see cref="Context"/> as the last argument; the first result is the return value.
/// For a WebAssembly function the context is its <see cref="Instance"/>; for a host function it is
/// the function object itself, read by a per-signature trampoline.
/// </remarks>
public abstract partial class FunctionReference : Extern
{
    /// <summary>Canonical id of <see cref="Type"/> (see <see cref="TypeRegistry"/>).</summary>
    internal readonly int TypeId;
    /// <summary>
    /// Entry point with the uniform calling convention described above, or 0 for a WebAssembly function created before
    /// its code was generated or looked up (a table element made at instantiation, an export): its first call sets it
    /// (<see cref="EntryOf"/>). Written once at most after construction, one aligned word: racing callers read 0 or
    /// the final code, both correct.
    /// </summary>
    internal nint Code;
    /// <summary>The last argument passed to <see cref="Code"/>.</summary>
    internal readonly object Context;

    /// <summary>This function's untyped invoker, once <see cref="Invoke(Value[])"/> was called (the process's shared one, or its own: CallStubs.MaxSharedUntypedInvokers).</summary>
    private Func<FunctionReference, Value[], Value[]>? _untypedInvoker;

    /// <summary>A function of <paramref name="type"/>; <paramref name="typeId"/> its canonical id if known (a module's
    /// function, whose type may be part of a recursion group or have a supertype), else the id of the plain function type.</summary>
    private protected FunctionReference(FuncType type, nint code, object? context, int typeId = 0)
    {
        Type = type;
        TypeId = typeId != 0 ? typeId : TypeRegistry.GetId(type);
        Code = code;
        Context = context ?? this;
    }

    /// <summary>
    /// The entry point to call <paramref name="function"/> through: its <see cref="Code"/>, resolved on the first call
    /// of a WebAssembly function whose code was not generated (or, from a compiled artifact, not looked up) when the
    /// reference was made. Compiled code and the invokers call every function value through this
    /// (<c>CallStubs.EmitIndirectCall</c>); inlined, it is a load and a test. Resolving may generate the function's code
    /// and so throw what code generation throws (an implementation limit), like any first call.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static nint EntryOf(FunctionReference function)
    {
        nint code = function.Code;
        return code != 0 ? code : function.ResolveEntry();
    }

    /// <summary>Finds and stores <see cref="Code"/> when it is 0 (WebAssembly functions only; others always have code).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private protected virtual nint ResolveEntry() => throw new InvalidOperationException($"{this} has no entry point");

    /// <summary>The function's type: parameter and result value types.</summary>
    public FuncType Type { get; }

    /// <summary>Always <see cref="ExternalKind.Function"/>.</summary>
    public override ExternalKind Kind => ExternalKind.Function;

    /// <summary>The function type in text-format style, for diagnostics.</summary>
    public override string DescribeType() => TypeText.Describe(Type);

    /// <summary>
    /// Calls the function with untyped arguments. Checks the argument count and types and throws
    /// <see cref="ArgumentException"/> on a mismatch; a trap surfaces as <see cref="TrapException"/>.
    /// </summary>
    public Value[] Invoke(params Value[] args)
    {
        CheckArguments(args);
        var invoker = _untypedInvoker ??= CallStubs.GetUntypedInvoker(TypeId);
        return Threads.EntryStackPointer.Run(this, invoker, args);
    }

    /// <summary>
    /// Calls the function like <see cref="Invoke(Value[])"/>, interruptible: when <paramref name="cancellationToken"/> is
    /// cancelled, the running guest code traps with <see cref="TrapCode.Interrupted"/> at its next loop iteration or call (at
    /// once while it waits in <c>memory.atomic.wait</c> on a shared memory), and the call throws
    /// <see cref="OperationCanceledException"/> carrying the token (the trap as its inner exception). The interrupt reaches the
    /// function's instance and every instance sharing its interrupt signal (a thread group's); a host function, or guest code
    /// of another instance it calls, is not interrupted and should take the token itself. The interrupt is cleared when the
    /// call ends, so the instance can be called again. Throws <see cref="OperationCanceledException"/> at once if the token is
    /// already cancelled, and <see cref="ArgumentException"/> for arguments that do not match <see cref="Type"/>.
    /// </summary>
    public Value[] Invoke(CancellationToken cancellationToken, params Value[] args)
    {
        CheckArguments(args);
        var invoker = _untypedInvoker ??= CallStubs.GetUntypedInvoker(TypeId);
        if (!cancellationToken.CanBeCanceled) return Threads.EntryStackPointer.Run(this, invoker, args);
        return new CancellableCall(this, cancellationToken).Run(f => Threads.EntryStackPointer.Run(f, invoker, args));
    }

    private void CheckArguments(Value[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var ps = Type.Params;
        if (args.Length != ps.Length)
            throw new ArgumentException($"function of type {Type} expects {ps.Length} argument(s) but got {args.Length}", nameof(args));
        for (int i = 0; i < ps.Length; i++)
        {
            if (ValueTypeCheck.Mismatch(args[i], ps[i]) is { } reason)
                throw new ArgumentException($"argument {i} must be {ps[i].ToWat()} ({reason}; function type {Type})", nameof(args));
        }
    }

    /// <summary>
    /// A typed delegate (for example <c>Func&lt;int, int, int&gt;</c>) that calls this function directly.
    /// The delegate's signature must map exactly to the function type (i32 = int/uint, i64 = long/ulong,
    /// f32 = float, f64 = double, funcref = FunctionReference, externref = object; several results as a ValueTuple).
    /// </summary>
    public TDelegate ToDelegate<TDelegate>() where TDelegate : Delegate =>
        (TDelegate)CallStubs.CreateTypedDelegate(this, typeof(TDelegate));

    /// <summary>
    /// A typed delegate like <see cref="ToDelegate{TDelegate}()"/> whose every call can be stopped by
    /// <paramref name="cancellationToken"/>, as <see cref="Invoke(CancellationToken, Value[])"/> describes: a call made after
    /// the token is cancelled, or running when it is, throws <see cref="OperationCanceledException"/>. Each call registers
    /// with the token (about the cost of one <see cref="CancellationToken.Register(Action)"/>); with
    /// <see cref="CancellationToken.None"/> the delegate is the plain one.
    /// </summary>
    public TDelegate ToDelegate<TDelegate>(CancellationToken cancellationToken) where TDelegate : Delegate =>
        cancellationToken.CanBeCanceled
            ? (TDelegate)CallStubs.CreateCancellableDelegate(new CancellableCall(this, cancellationToken), typeof(TDelegate))
            : ToDelegate<TDelegate>();
}

/// <summary>A function defined by a WebAssembly module, bound to its instance.</summary>
internal sealed class WasmFunction : FunctionReference
{
    public WasmFunction(FuncType type, nint code, Instance instance, uint index)
        : base(type, code, instance, instance.Module.FunctionTypeIds[index])
    {
        Instance = instance;
        Index = index;
    }

    public Instance Instance { get; }
    public uint Index { get; }

    private protected override nint ResolveEntry()
    {
        nint code = Instance.Module.Compiled.CallTarget((int)Index - Instance.Module.Definition.ImportedFunctionCount, out bool final);
        // An interpreter entry serves this one call (docs/interpreter.md): the reference keeps 0 until the code exists.
        if (final) Volatile.Write(ref Code, code);
        return code;
    }

    public override string ToString() => $"wasm {Instance.Module.Definition.DescribeFunction(Index)} {Type}";
}

/// <summary>A function implemented by the host, called through a per-signature trampoline.</summary>
internal sealed class HostFunction : FunctionReference
{
    public HostFunction(FuncType type, nint trampoline, Delegate callback, string name) : base(type, trampoline, null)
    {
        Callback = callback;
        Name = name;
    }

    /// <summary>The user's delegate; the trampoline casts it back to its exact delegate type.</summary>
    internal readonly Delegate Callback;

    public string Name { get; }

    public override string ToString() => $"host function {Name} {Type}";
}
