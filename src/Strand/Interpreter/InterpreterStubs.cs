using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;
using Strand.Compilation;
using Strand.Runtime;

namespace Strand.Interpreter;

/// <summary>
/// The two bridges between the interpreter's value slots and compiled code's calling convention
/// (docs/compiler.md, "Calling convention"), one of each per signature of number types, shared by the process:
/// <list type="bullet">
/// <item>an <em>entry thunk</em>, a static method (a trampoline of <c>CallStubs.DefineTrampoline</c>) with the signature <c>R0 f(P0..Pn, ref R1..ref Rm, object context)</c>
/// whose address compiled callers <c>calli</c> when the callee is interpreted: it stores its arguments into a
/// stack buffer and calls <see cref="Interpreter.EnterFromCompiled"/>;</item>
/// <item>a <em>call-out</em>, a <see cref="DynamicMethod"/> that loads arguments from slots, <c>calli</c>s a code
/// address (compiled code, a host trampoline or another entry thunk) and stores the results back into the slots.</item>
/// </list>
/// A slot holds an i32 or the bits of an f32 in its low half, an i64 or the bits of an f64 whole.
/// </summary>
internal sealed unsafe class InterpreterStubs
{
    /// <summary>Calls <c>code</c> with the uniform convention, the arguments in <c>values</c>' first slots; the results replace them.</summary>
    internal delegate void CallOutStub(nint code, object context, nint values);

    /// <summary>
    /// The most signatures whose stubs the process keeps (each kind). Stubs are shared by every module, so a host compiling
    /// module after module pays for a signature once; but signatures are the guest's to choose (up to 8,192 parameters
    /// of four types), and a stream of hostile modules could otherwise grow the caches without end. Past the bound, a
    /// call-out is made for the module that needs it and dies with it (<see cref="InterpreterTier"/> keeps its own), and a
    /// function whose signature has no thunk is compiled instead of interpreted (<see cref="Thunk"/> returns 0).
    /// </summary>
    internal const int MaxSharedSignatures = 4096;

    /// <summary>The process's stubs, shared by every module.</summary>
    public static InterpreterStubs Shared { get; } = new(MaxSharedSignatures);

    /// <summary>A cache of stubs keeping at most <paramref name="maxSignatures"/> signatures of each kind (tests make small ones).</summary>
    internal InterpreterStubs(int maxSignatures) => _maxSignatures = maxSignatures;

    private readonly int _maxSignatures;
    private readonly ConcurrentDictionary<string, CallOutStub> _callOuts = new();
    private readonly ConcurrentDictionary<string, nint> _thunks = new();
    private readonly object _thunkGate = new();
    /// <summary>The thunks' types (in CallStubs' trampoline assembly), kept alive with this cache: their addresses are handed out.</summary>
    private readonly List<Type> _thunkTypes = new();

    /// <summary>
    /// The call-out for functions of <paramref name="type"/>: the cached one, or a new one, cached only while fewer than the
    /// bound are (callers keep what they get: this looks it up by a key string).
    /// </summary>
    public CallOutStub CallOutFor(FuncType type)
    {
        string key = Key(type);
        if (_callOuts.TryGetValue(key, out var stub)) return stub;
        return _callOuts.Count < _maxSignatures ? _callOuts.GetOrAdd(key, _ => BuildCallOut(type)) : BuildCallOut(type);
    }

    /// <summary>The entry thunk for functions of <paramref name="type"/>, or 0 when the bound's number of thunks exist and this signature has none.</summary>
    public nint Thunk(FuncType type)
    {
        string key = Key(type);
        if (_thunks.TryGetValue(key, out nint thunk)) return thunk;
        lock (_thunkGate)
        {
            if (_thunks.TryGetValue(key, out thunk)) return thunk;
            if (_thunks.Count >= _maxSignatures) return 0;
            thunk = BuildThunk(type);
            _thunks[key] = thunk;
            return thunk;
        }
    }

    /// <summary>Signatures with a cached call-out and with a thunk (tests).</summary>
    internal (int CallOuts, int Thunks) Counts => (_callOuts.Count, _thunks.Count);

    private static string Key(FuncType type)
    {
        var chars = new char[type.Params.Length + 1 + type.Results.Length];
        int k = 0;
        foreach (var p in type.Params) chars[k++] = Letter(p);
        chars[k++] = ':';
        foreach (var r in type.Results) chars[k++] = Letter(r);
        return new string(chars);
    }

    private static char Letter(ValType type) => type switch
    {
        ValType.I32 => 'i', ValType.I64 => 'I', ValType.F32 => 'f', ValType.F64 => 'F',
        _ => throw new ArgumentException($"the interpreter's stubs carry number types only, not {type.ToWat()}"),
    };


    private static void EmitLoadSlot(ILGenerator il, ValType type)
    {
        switch (type)
        {
            case ValType.I32: il.Emit(OpCodes.Ldind_I4); break;
            case ValType.I64: il.Emit(OpCodes.Ldind_I8); break;
            case ValType.F32: il.Emit(OpCodes.Ldind_R4); break;
            default: il.Emit(OpCodes.Ldind_R8); break;
        }
    }

    private static void EmitStoreSlot(ILGenerator il, ValType type)
    {
        switch (type)
        {
            case ValType.I32: il.Emit(OpCodes.Stind_I4); break;
            case ValType.I64: il.Emit(OpCodes.Stind_I8); break;
            case ValType.F32: il.Emit(OpCodes.Stind_R4); break;
            default: il.Emit(OpCodes.Stind_R8); break;
        }
    }

    /// <summary>Pushes the address of slot <paramref name="index"/> of the buffer that <paramref name="loadBuffer"/> pushes.</summary>
    private static void EmitSlotAddress(ILGenerator il, Action loadBuffer, int index)
    {
        loadBuffer();
        if (index == 0) return;
        il.Emit(OpCodes.Ldc_I4, index * 8);
        il.Emit(OpCodes.Add);
    }

    private static CallOutStub BuildCallOut(FuncType type)
    {
        var dm = new DynamicMethod("interpreter call-out " + type, typeof(void), [typeof(nint), typeof(object), typeof(nint)],
            typeof(InterpreterStubs).Module, skipVisibility: true);
        var il = dm.GetILGenerator();
        void Buffer() => il.Emit(OpCodes.Ldarg_2);
        for (int i = 0; i < type.Params.Length; i++)
        {
            EmitSlotAddress(il, Buffer, i);
            EmitLoadSlot(il, type.Params[i]);
        }
        var extras = new LocalBuilder[Math.Max(0, type.Results.Length - 1)];
        for (int k = 0; k < extras.Length; k++)
        {
            extras[k] = il.DeclareLocal(ClrTypes.Of(type.Results[k + 1]));
            il.Emit(OpCodes.Ldloca, extras[k]);
        }
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldarg_0);
        var (ret, ps) = ClrTypes.Signature(type);
        il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ret, ps, null);
        if (type.Results.Length > 0)
        {
            var first = il.DeclareLocal(ret);
            il.Emit(OpCodes.Stloc, first);
            Buffer();
            il.Emit(OpCodes.Ldloc, first);
            EmitStoreSlot(il, type.Results[0]);
        }
        for (int k = 0; k < extras.Length; k++)
        {
            EmitSlotAddress(il, Buffer, k + 1);
            il.Emit(OpCodes.Ldloc, extras[k]);
            EmitStoreSlot(il, type.Results[k + 1]);
        }
        il.Emit(OpCodes.Ret);
        return dm.CreateDelegate<CallOutStub>();
    }

    private nint BuildThunk(FuncType type)
    {
        var (ret, ps) = ClrTypes.Signature(type);
        var thunk = CallStubs.DefineTrampoline(ret, ps, il => EmitThunk(il, type, ps.Length));
        _thunkTypes.Add(thunk.Holder);
        return thunk.Pointer;
    }

    /// <summary>The thunk's body: arguments into a stack buffer, <see cref="Interpreter.EnterFromCompiled"/>, results out.</summary>
    private static void EmitThunk(ILGenerator il, FuncType type, int parameterCount)
    {
        int slots = Math.Max(1, Math.Max(type.Params.Length, type.Results.Length));
        var buffer = il.DeclareLocal(typeof(nint));
        il.Emit(OpCodes.Ldc_I4, slots * 8);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Localloc);
        il.Emit(OpCodes.Stloc, buffer);
        void Buffer() => il.Emit(OpCodes.Ldloc, buffer);
        for (int i = 0; i < type.Params.Length; i++)
        {
            EmitSlotAddress(il, Buffer, i);
            il.Emit(OpCodes.Ldarg, i);
            EmitStoreSlot(il, type.Params[i]);
        }
        il.Emit(OpCodes.Ldarg, parameterCount - 1); // the context: the callee's instance
        Buffer();
        il.Emit(OpCodes.Call, typeof(Interpreter).GetMethod(nameof(Interpreter.EnterFromCompiled), BindingFlags.Public | BindingFlags.Static)!);
        for (int k = 1; k < type.Results.Length; k++)
        {
            il.Emit(OpCodes.Ldarg, type.Params.Length + k - 1);
            EmitSlotAddress(il, Buffer, k);
            EmitLoadSlot(il, type.Results[k]);
            EmitStoreSlot(il, type.Results[k]);
        }
        if (type.Results.Length > 0)
        {
            Buffer();
            EmitLoadSlot(il, type.Results[0]);
        }
        il.Emit(OpCodes.Ret);
    }
}
