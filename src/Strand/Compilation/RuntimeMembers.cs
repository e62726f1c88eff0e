using System.Reflection;
using System.Runtime.CompilerServices;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>Reflection handles of the runtime members compiled code uses, resolved once.</summary>
internal static class RuntimeMembers
{
    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    public static readonly FieldInfo InstanceMemory = Field(typeof(Instance), nameof(Instance.Memory0));
    public static readonly FieldInfo InstanceMemories = Field(typeof(Instance), nameof(Instance.Memories));
    public static readonly FieldInfo InstanceGlobals = Field(typeof(Instance), nameof(Instance.Globals));
    public static readonly FieldInfo InstanceTables = Field(typeof(Instance), nameof(Instance.Tables));
    public static readonly FieldInfo InstanceFunctions = Field(typeof(Instance), nameof(Instance.Functions));
    public static readonly FieldInfo InstanceTypeIds = Field(typeof(Instance), nameof(Instance.TypeIds));
    public static readonly FieldInfo InstanceSignal = Field(typeof(Instance), nameof(Instance.Signal));
    public static readonly FieldInfo InstanceGlobalSetHook = Field(typeof(Instance), nameof(Instance.GlobalSetHook));
    public static readonly FieldInfo SignalRequested = Field(typeof(InterruptSignal), nameof(InterruptSignal.Requested));
    public static readonly FieldInfo MemoryBase = Field(typeof(Memory), nameof(Memory.BaseAddress));
    public static readonly FieldInfo MemoryLength = Field(typeof(Memory), nameof(Memory.LengthInBytes));
    public static readonly FieldInfo FunctionContext = Field(typeof(FunctionReference), nameof(FunctionReference.Context));
    public static readonly FieldInfo OpaqueZero = Field(typeof(WasmOps), nameof(WasmOps.OpaqueZero));

    /// <summary>A reference's object (<see cref="RefValue.Object"/>: null tests), <c>ref.null</c> and the wrapper of an object.</summary>
    public static readonly FieldInfo RefObject = Field(typeof(RefValue), nameof(RefValue.Object));
    public static readonly MethodInfo RefNull = typeof(RefValue).GetProperty(nameof(RefValue.Null), Any)!.GetMethod!;
    public static readonly MethodInfo RefWrap = Op(typeof(RefValue), nameof(RefValue.Wrap));

    /// <summary><c>Unsafe.As&lt;Instance&gt;(object)</c>: a compiled function's context argument is always its instance, so no type check.</summary>
    public static readonly MethodInfo AsInstance =
        typeof(Unsafe).GetMethod(nameof(Unsafe.As), 1, [typeof(object)])!.MakeGenericMethod(typeof(Instance));

    /// <summary><see cref="GC.KeepAlive"/>: the end of a function's reach to its instance (see FunctionCompiler.EmitKeepContextAlive).</summary>
    public static readonly MethodInfo KeepAlive = typeof(GC).GetMethod(nameof(GC.KeepAlive))!;

    public static readonly MethodInfo ResolveCode = Op(typeof(CompiledModule), nameof(CompiledModule.Resolve));
    public static readonly MethodInfo FunctionEntry = Op(typeof(FunctionReference), nameof(FunctionReference.EntryOf));

    /// <summary>The entry check of functions that call: the instance's <see cref="StackWindow"/> and the slow path <see cref="WasmOps.EnterStack"/>.</summary>
    public static readonly FieldInfo InstanceStackWindow = Field(typeof(Instance), nameof(Instance.StackWindow));
    public static readonly FieldInfo StackWindowLow = Field(typeof(StackWindow), nameof(StackWindow.Low));
    public static readonly FieldInfo StackWindowHigh = Field(typeof(StackWindow), nameof(StackWindow.High));
    public static readonly MethodInfo EnterStack = Op(nameof(WasmOps.EnterStack));

    /// <summary><see cref="WasmOps.EnsureStack"/>: the entry check of a function with a big frame (see <see cref="FrameGuard"/>).</summary>
    public static readonly MethodInfo EnsureStackFor = Op(nameof(WasmOps.EnsureStack));

    public static FieldInfo GlobalField(ValType type) => type switch
    {
        ValType.I32 => Field(typeof(Global), nameof(Global.I32)),
        ValType.I64 => Field(typeof(Global), nameof(Global.I64)),
        ValType.F32 => Field(typeof(Global), nameof(Global.F32)),
        ValType.F64 => Field(typeof(Global), nameof(Global.F64)),
        ValType.V128 => Field(typeof(Global), nameof(Global.V128)),
        _ => Field(typeof(Global), nameof(Global.Ref)),
    };

    /// <summary>A static helper of <see cref="WasmOps"/>.</summary>
    public static MethodInfo Op(string name) =>
        typeof(WasmOps).GetMethod(name, Any) ?? throw new MissingMethodException(nameof(WasmOps), name);

    /// <summary>A static helper of another runtime class.</summary>
    public static MethodInfo Op(Type type, string name) =>
        type.GetMethod(name, Any) ?? throw new MissingMethodException(type.Name, name);

    public static MethodInfo Method(Type type, string name, params Type[] parameters) =>
        type.GetMethod(name, Any, parameters) ?? throw new MissingMethodException(type.Name, name);

    private static FieldInfo Field(Type type, string name) =>
        type.GetField(name, Any) ?? throw new MissingFieldException(type.Name, name);
}
