using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Strand.Compilation;

/// <summary>
/// An <see cref="ILGenerator"/> for a method of a run-time dynamic module that emits calls, field accesses and
/// <c>calli</c> signatures with metadata tokens cached per module, forwarding everything else to the runtime's generator.
/// <para>
/// The runtime's generator asks its module for the token of every member it emits, each time: for a method or field of
/// another assembly, a type reference lookup by name and a member reference lookup in the module's metadata (about
/// 0.7 µs each; a fifth of code generation on yosys <c>-V</c>, whose functions call the engine's helpers at most
/// instructions). A token does not change within a module (<see cref="ModuleBuilder.GetMethodMetadataToken(MethodInfo)"/>
/// and the others return the same one for the same member), so it is looked up once per module here and emitted with
/// <see cref="ILGenerator.Emit(OpCode, int)"/>, which writes the same bytes. For fields that is all: the runtime's
/// <c>Emit(OpCode, FieldInfo)</c> is exactly the token lookup followed by the <c>int</c> emission. For <c>call</c> and
/// <c>calli</c> the runtime's generator also adjusts its evaluation stack depth by the callee's arity (it computes the
/// method's <c>maxstack</c> from it); that adjustment is made through the generator's internal <c>UpdateStackSize</c>
/// (an <see cref="UnsafeAccessorAttribute"/>), so the method's IL and <c>maxstack</c> are byte for byte what the
/// runtime's generator would produce. If that internal member is missing (another runtime version), calls are emitted
/// through the runtime's generator as before (<see cref="CallsCached"/> is false); fields are cached either way.
/// See docs/compiler.md, "Startup".
/// </para>
/// </summary>
internal sealed class CachedTokenILGenerator : ILGenerator
{
    private static readonly Type? RuntimeILGeneratorType = typeof(ILGenerator).Assembly.GetType("System.Reflection.Emit.RuntimeILGenerator");
    private static readonly Type RuntimeMethodInfoType = typeof(object).GetMethod(nameof(ToString))!.GetType();
    private static readonly Type RuntimeFieldInfoType = typeof(string).GetField(nameof(string.Empty))!.GetType();

    /// <summary>Per module: the tokens of the members emitted so far (used under the owning module's generation lock).</summary>
    private static readonly ConditionalWeakTable<ModuleBuilder, Tokens> ModuleTokens = new();

    private sealed class Tokens
    {
        public readonly Dictionary<MemberInfo, (int Token, int StackChange)> Members = new();
        public readonly Dictionary<CalliKey, int> Signatures = new();
    }

    /// <summary>A <c>calli</c> signature: managed calling convention, return type and parameter types.</summary>
    private readonly struct CalliKey(CallingConventions convention, Type? returnType, Type[]? parameterTypes) : IEquatable<CalliKey>
    {
        private readonly CallingConventions _convention = convention;
        private readonly Type? _returnType = returnType;
        private readonly Type[]? _parameterTypes = parameterTypes;

        public bool Equals(CalliKey other) =>
            _convention == other._convention && _returnType == other._returnType
            && (_parameterTypes ?? []).AsSpan().SequenceEqual(other._parameterTypes ?? []);

        public override bool Equals(object? obj) => obj is CalliKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(_convention);
            hash.Add(_returnType);
            foreach (var t in _parameterTypes ?? []) hash.Add(t);
            return hash.ToHashCode();
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "UpdateStackSize")]
    private static extern void UpdateStackSize([UnsafeAccessorType("System.Reflection.Emit.RuntimeILGenerator")] object generator, OpCode opcode, int stackChange);

    /// <summary>Whether calls are emitted with cached tokens: the runtime's generator has the stack-depth member this relies on.</summary>
    internal static readonly bool CallsCached = ProbeUpdateStackSize();

    private static bool ProbeUpdateStackSize()
    {
        try
        {
            // A throwaway dynamic method's generator derives from RuntimeILGenerator.
            var il = new DynamicMethod("probe", typeof(void), Type.EmptyTypes).GetILGenerator();
            UpdateStackSize(il, OpCodes.Nop, 0);
            return true;
        }
        catch (Exception e) when (e is MissingMemberException or TypeLoadException or InvalidCastException or NotSupportedException)
        {
            return false;
        }
    }

    private readonly ILGenerator _il;
    private readonly ModuleBuilder _module;
    private readonly Tokens _tokens;

    private CachedTokenILGenerator(ILGenerator il, ModuleBuilder module, Tokens tokens)
    {
        _il = il;
        _module = module;
        _tokens = tokens;
    }

    /// <summary>
    /// The generator for <paramref name="method"/>: a caching one when the method belongs to a run-time dynamic module
    /// (generation holds that module's lock), else the method's own generator (e.g. a persisted assembly's).
    /// </summary>
    public static ILGenerator For(MethodBuilder method)
    {
        var il = method.GetILGenerator();
        if (il.GetType() != RuntimeILGeneratorType || method.Module is not ModuleBuilder module) return il;
        return new CachedTokenILGenerator(il, module, ModuleTokens.GetValue(module, static _ => new Tokens()));
    }

    public override void Emit(OpCode opcode, MethodInfo meth)
    {
        // Only where the runtime's EmitCall takes the module's method token as it is (GetMethodTokenInternal): generic
        // methods, methods of generic types or arrays and varargs methods get a MethodSpec or a signature-based reference.
        if (!CallsCached || !opcode.Equals(OpCodes.Call) || meth is null || meth.GetType() != RuntimeMethodInfoType || meth.IsGenericMethod
            || (meth.CallingConvention & CallingConventions.VarArgs) != 0 || meth.DeclaringType is not { IsGenericType: false, IsArray: false })
        {
            _il.Emit(opcode, meth!);
            return;
        }
        if (!_tokens.Members.TryGetValue(meth, out var entry))
        {
            // As the runtime's EmitCall: a result pushes one, each parameter (and an instance method's receiver) pops one.
            int change = (meth.ReturnType != typeof(void) ? 1 : 0) - meth.GetParameters().Length - (meth.IsStatic ? 0 : 1);
            _tokens.Members[meth] = entry = (_module.GetMethodMetadataToken(meth), change);
        }
        _il.Emit(opcode, entry.Token); // the opcode and the token; a call's own stack delta is 0
        UpdateStackSize(_il, opcode, entry.StackChange);
    }

    public override void EmitCall(OpCode opcode, MethodInfo methodInfo, Type[]? optionalParameterTypes)
    {
        if (optionalParameterTypes is null) Emit(opcode, methodInfo);
        else _il.EmitCall(opcode, methodInfo, optionalParameterTypes);
    }

    public override void Emit(OpCode opcode, FieldInfo field)
    {
        if (field is null || field.GetType() != RuntimeFieldInfoType)
        {
            _il.Emit(opcode, field!);
            return;
        }
        if (!_tokens.Members.TryGetValue(field, out var entry))
            _tokens.Members[field] = entry = (_module.GetFieldMetadataToken(field), 0);
        _il.Emit(opcode, entry.Token);
    }

    public override void EmitCalli(OpCode opcode, CallingConventions callingConvention, Type? returnType, Type[]? parameterTypes, Type[]? optionalParameterTypes)
    {
        if (!CallsCached || optionalParameterTypes is not null || !opcode.Equals(OpCodes.Calli)
            || (callingConvention & (CallingConventions.HasThis | CallingConventions.VarArgs)) != 0)
        {
            _il.EmitCalli(opcode, callingConvention, returnType, parameterTypes, optionalParameterTypes);
            return;
        }
        var key = new CalliKey(callingConvention, returnType, parameterTypes);
        if (!_tokens.Signatures.TryGetValue(key, out int token))
        {
            var signature = SignatureHelper.GetMethodSigHelper(_module, callingConvention, returnType);
            foreach (var p in parameterTypes ?? []) signature.AddArgument(p);
            _tokens.Signatures[key] = token = _module.GetSignatureMetadataToken(signature);
        }
        _il.Emit(OpCodes.Calli, token);
        // As the runtime's EmitCalli: the result pushes one; the parameters and the function pointer pop.
        UpdateStackSize(_il, OpCodes.Calli, (returnType != typeof(void) ? 1 : 0) - (parameterTypes?.Length ?? 0) - 1);
    }

    // Everything else as the runtime's generator.
    public override int ILOffset => _il.ILOffset;
    public override void Emit(OpCode opcode) => _il.Emit(opcode);
    public override void Emit(OpCode opcode, byte arg) => _il.Emit(opcode, arg);
    public override void Emit(OpCode opcode, short arg) => _il.Emit(opcode, arg);
    public override void Emit(OpCode opcode, int arg) => _il.Emit(opcode, arg);
    public override void Emit(OpCode opcode, long arg) => _il.Emit(opcode, arg);
    public override void Emit(OpCode opcode, float arg) => _il.Emit(opcode, arg);
    public override void Emit(OpCode opcode, double arg) => _il.Emit(opcode, arg);
    public override void Emit(OpCode opcode, string str) => _il.Emit(opcode, str);
    public override void Emit(OpCode opcode, Type cls) => _il.Emit(opcode, cls);
    public override void Emit(OpCode opcode, ConstructorInfo con) => _il.Emit(opcode, con);
    public override void Emit(OpCode opcode, SignatureHelper signature) => _il.Emit(opcode, signature);
    public override void Emit(OpCode opcode, Label label) => _il.Emit(opcode, label);
    public override void Emit(OpCode opcode, Label[] labels) => _il.Emit(opcode, labels);
    public override void Emit(OpCode opcode, LocalBuilder local) => _il.Emit(opcode, local);
    public override void EmitCalli(OpCode opcode, CallingConvention unmanagedCallConv, Type? returnType, Type[]? parameterTypes) =>
        _il.EmitCalli(opcode, unmanagedCallConv, returnType, parameterTypes);
    public override LocalBuilder DeclareLocal(Type localType, bool pinned) => _il.DeclareLocal(localType, pinned);
    public override Label DefineLabel() => _il.DefineLabel();
    public override void MarkLabel(Label loc) => _il.MarkLabel(loc);
    public override Label BeginExceptionBlock() => _il.BeginExceptionBlock();
    public override void BeginCatchBlock(Type? exceptionType) => _il.BeginCatchBlock(exceptionType);
    public override void BeginExceptFilterBlock() => _il.BeginExceptFilterBlock();
    public override void BeginFaultBlock() => _il.BeginFaultBlock();
    public override void BeginFinallyBlock() => _il.BeginFinallyBlock();
    public override void EndExceptionBlock() => _il.EndExceptionBlock();
    public override void BeginScope() => _il.BeginScope();
    public override void EndScope() => _il.EndScope();
    public override void UsingNamespace(string usingNamespace) => _il.UsingNamespace(usingNamespace);
}
