using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.InteropServices;

namespace Strand.Compilation;

/// <summary>
/// An <see cref="ILGenerator"/> that emits nothing and counts what RyuJIT's MinOpts switch looks at: IL bytes, IL
/// instructions, basic blocks (an upper bound: one per branch, label, return and throw), locals and local references
/// (the <c>ldarg</c>/<c>ldarga</c>/<c>starg</c>/<c>ldloc</c>/<c>ldloca</c>/<c>stloc</c> forms, as the JIT's
/// <c>fgFindJumpTargets</c> counts them). The function
/// splitter compiles a big function with it first (a dry run) to learn whether the JIT would optimise the method.
/// </summary>
internal sealed class ILCounter : ILGenerator
{
    private sealed class CountedLocal(Type type, int index) : LocalBuilder
    {
        public override Type LocalType => type;
        public override int LocalIndex => index;
        public override bool IsPinned => false;
    }

    private int _labels;

    /// <summary>IL bytes.</summary>
    public int Bytes { get; private set; }
    /// <summary>IL instructions.</summary>
    public int Instructions { get; private set; }
    /// <summary>An upper bound of the basic blocks.</summary>
    public int Blocks { get; private set; } = 1;
    /// <summary>Locals declared.</summary>
    public int Locals { get; private set; }
    /// <summary>Instructions that load, store or take the address of an argument or local (RyuJIT's <c>lvRefCount</c>).</summary>
    public int LocalRefs { get; private set; }
    /// <summary>
    /// The locals the JIT would add by inlining the helpers called (see <see cref="InlineCost"/>): RyuJIT inlines nothing
    /// more once a method has 512 locals (MAX_LV_NUM_COUNT_FOR_INLINING), and the rest of the helpers stay calls.
    /// </summary>
    public int InlineLocals { get; private set; }

    private void Count(OpCode op, int operandBytes)
    {
        Bytes += op.Size + operandBytes;
        Instructions++;
        // CEE_LDARG_0..CEE_STLOC_S (0x02-0x13) and CEE_LDARG..CEE_STLOC (0xFE09-0xFE0E).
        ushort value = (ushort)op.Value;
        if (value is >= 0x02 and <= 0x13 or >= 0xFE09 and <= 0xFE0E) LocalRefs++;
        if (op.FlowControl is FlowControl.Branch or FlowControl.Cond_Branch or FlowControl.Return or FlowControl.Throw) Blocks++;
    }

    public override int ILOffset => Bytes;
    public override void Emit(OpCode opcode) => Count(opcode, 0);
    public override void Emit(OpCode opcode, byte arg) => Count(opcode, 1);
    public override void Emit(OpCode opcode, short arg) => Count(opcode, 2);
    public override void Emit(OpCode opcode, int arg) => Count(opcode, 4);
    public override void Emit(OpCode opcode, long arg) => Count(opcode, 8);
    public override void Emit(OpCode opcode, float arg) => Count(opcode, 4);
    public override void Emit(OpCode opcode, double arg) => Count(opcode, 8);
    public override void Emit(OpCode opcode, string str) => Count(opcode, 4);
    public override void Emit(OpCode opcode, Type cls) => Count(opcode, 4);
    public override void Emit(OpCode opcode, FieldInfo field) => Count(opcode, 4);
    public override void Emit(OpCode opcode, MethodInfo meth)
    {
        Count(opcode, 4);
        // Generated methods (a dynamic assembly's: earlier chunks called directly) are never AggressiveInlining, and caching
        // them in the process-wide table would keep their collectible assemblies alive.
        if (meth is not null && meth is not MethodBuilder && opcode == OpCodes.Call && !meth.Module.Assembly.IsDynamic) InlineLocals += InlineCost(meth);
    }

    /// <summary>
    /// The locals RyuJIT adds to the method when it inlines a call to <paramref name="method"/>: for an
    /// <c>AggressiveInlining</c> helper, a temporary per parameter, its own locals and one for the result (0 for others).
    /// </summary>
    private static int InlineCost(MethodInfo method) => InlineCosts.GetOrAdd(method, static m =>
    {
        if ((m.MethodImplementationFlags & MethodImplAttributes.AggressiveInlining) == 0) return 0;
        int locals;
        try { locals = m.GetMethodBody()?.LocalVariables.Count ?? 0; }
        catch (InvalidOperationException) { locals = 0; }
        return m.GetParameters().Length + locals + 1;
    });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<MethodInfo, int> InlineCosts = new();
    public override void Emit(OpCode opcode, ConstructorInfo con) => Count(opcode, 4);
    public override void Emit(OpCode opcode, SignatureHelper signature) => Count(opcode, 4);
    public override void Emit(OpCode opcode, Label label) => Count(opcode, opcode.OperandType == OperandType.ShortInlineBrTarget ? 1 : 4);
    public override void Emit(OpCode opcode, Label[] labels) => Count(opcode, 4 + 4 * labels.Length);
    /// <summary>The runtime's generator picks the short forms itself (<c>ldloc.0</c>..<c>ldloc.3</c>, <c>ldloc.s</c>).</summary>
    public override void Emit(OpCode opcode, LocalBuilder local)
    {
        Instructions++;
        LocalRefs++;
        int index = local.LocalIndex;
        Bytes += index < 4 && opcode != OpCodes.Ldloca && opcode != OpCodes.Ldloca_S ? 1 : index < 256 ? 2 : 4;
    }
    public override void EmitCall(OpCode opcode, MethodInfo methodInfo, Type[]? optionalParameterTypes) => Count(opcode, 4);
    public override void EmitCalli(OpCode opcode, CallingConventions callingConvention, Type? returnType, Type[]? parameterTypes, Type[]? optionalParameterTypes) => Count(opcode, 4);
    public override void EmitCalli(OpCode opcode, CallingConvention unmanagedCallConv, Type? returnType, Type[]? parameterTypes) => Count(opcode, 4);

    public override LocalBuilder DeclareLocal(Type localType, bool pinned) => new CountedLocal(localType, Locals++);
    public override Label DefineLabel() => CreateLabel(_labels++);
    public override void MarkLabel(Label loc) => Blocks++;

    public override Label BeginExceptionBlock()
    {
        Blocks++;
        return DefineLabel();
    }
    public override void BeginCatchBlock(Type? exceptionType) => Count(OpCodes.Leave, 4);
    public override void BeginExceptFilterBlock() => Count(OpCodes.Leave, 4);
    public override void BeginFaultBlock() => Count(OpCodes.Leave, 4);
    public override void BeginFinallyBlock() => Count(OpCodes.Leave, 4);
    public override void EndExceptionBlock() => Count(OpCodes.Leave, 4);
    public override void BeginScope() { }
    public override void EndScope() { }
    public override void UsingNamespace(string usingNamespace) { }
}
