using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>The output of compiling a module: one static method per defined function.</summary>
internal sealed class CompiledModule
{
    public CompiledModule(Type[] types, nint[] functionPointers)
    {
        Types = types;
        FunctionPointers = functionPointers;
    }

    /// <summary>The generated types. Holding them keeps the collectible assembly (and so the code) alive.</summary>
    public Type[] Types { get; }

    /// <summary>Entry point of each defined function (index = function index minus imported functions).</summary>
    public nint[] FunctionPointers { get; }
}

/// <summary>
/// Compiles a validated module to CIL: one collectible dynamic assembly per module, holding one static method per
/// function (see <see cref="ClrTypes.Signature"/> for the calling convention) in types of
/// <see cref="ImplementationLimits.FunctionsPerType"/> functions each (a CLR type holds at most 65,535 methods).
/// A function whose frame may be large gets a small guarded entry method in front of its body (see <see cref="FrameGuard"/>).
/// </summary>
internal static class ModuleCompiler
{
    private static int _assemblyCounter;

    public static CompiledModule Compile(ModuleDefinition definition)
    {
        var name = new AssemblyName($"Strand.Wasm.M{Interlocked.Increment(ref _assemblyCounter)}");
        var assembly = AssemblyBuilder.DefineDynamicAssembly(name, AssemblyBuilderAccess.RunAndCollect);
        assembly.SetCustomAttribute(new CustomAttributeBuilder(
            typeof(IgnoresAccessChecksToAttribute).GetConstructor([typeof(string)])!,
            [typeof(ModuleCompiler).Assembly.GetName().Name!]));
        var module = assembly.DefineDynamicModule(name.Name!);

        int imported = definition.ImportedFunctionCount;
        int count = definition.FunctionTypeIndices.Count;
        var types = new TypeBuilder[Math.Max(1, (count + ImplementationLimits.FunctionsPerType - 1) / ImplementationLimits.FunctionsPerType)];
        for (int t = 0; t < types.Length; t++)
            types[t] = module.DefineType($"WasmModule{t}", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract | TypeAttributes.Class);

        var methods = new MethodBuilder[count];
        for (int i = 0; i < methods.Length; i++)
        {
            var (ret, ps) = ClrTypes.Signature(definition.Types[(int)definition.FunctionTypeIndices[i]]);
            methods[i] = TypeOf(types, i).DefineMethod(MethodName(imported + i), MethodAttributes.Public | MethodAttributes.Static, ret, ps);
            // Guest code is hot by nature: skip tier-0 and OSR so loops run fully optimised from the first call.
            methods[i].SetImplementationFlags(MethodImplAttributes.AggressiveOptimization);
        }

        var compilation = new ModuleCompilation(definition, methods);
        for (int i = 0; i < methods.Length; i++)
        {
            var body = definition.Bodies[i];
            if (body.MaxOperandDepth > ImplementationLimits.MaxOperandStackDepth)
                throw new WasmImplementationLimitException(
                    $"{definition.DescribeFunction((uint)(imported + i))} reaches an operand stack of {body.MaxOperandDepth} values; " +
                    $"Strand compiles at most {ImplementationLimits.MaxOperandStackDepth}");
            try
            {
                FrameGuard.CompileFunction(compilation, i, methods[i], TypeOf(types, i));
            }
            catch (Exception e) when (e is not WasmUnsupportedException and not WasmImplementationLimitException)
            {
                throw new InvalidOperationException($"internal compiler error in {definition.DescribeFunction((uint)(imported + i))}: {e.Message}", e);
            }
        }

        var created = new Type[types.Length];
        var byName = new Dictionary<string, MethodInfo>(count, StringComparer.Ordinal);
        for (int t = 0; t < types.Length; t++)
        {
            created[t] = types[t].CreateType();
            foreach (var method in created[t].GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
                byName[method.Name] = method;
        }
        var pointers = new nint[methods.Length];
        for (int i = 0; i < methods.Length; i++)
            pointers[i] = byName[MethodName(imported + i)].MethodHandle.GetFunctionPointer();
        return new CompiledModule(created, pointers);
    }

    private static TypeBuilder TypeOf(TypeBuilder[] types, int definedIndex) => types[definedIndex / ImplementationLimits.FunctionsPerType];

    internal static string MethodName(int functionIndex) => $"f{functionIndex}";
}

/// <summary>
/// Keeps guest recursion from overflowing the CLR stack whatever a function's frame size.
/// <para>
/// Every function that calls starts with <see cref="RuntimeHelpers.TryEnsureSufficientExecutionStack"/>, which
/// guarantees the runtime's margin (128 KiB on 64-bit, 64 KiB on 32-bit) below the caller's frame: enough for a
/// callee whose frame is small, plus the trap path (throwing and dispatching the exception). A function whose frame
/// may be larger than <see cref="SmallFrameBytes"/> (many locals, a deep operand stack, many blocks) is compiled into a
/// separate body method, and its entry point becomes a small method that first checks that the body's frame estimate
/// plus that margin is available (<see cref="WasmOps.EnsureStack"/>) and traps with "call stack exhausted" otherwise.
/// The check runs before the body's prologue allocates (and probes) the big frame.
/// </para>
/// </summary>
internal static class FrameGuard
{
    /// <summary>Frames up to this estimate are covered by the caller's margin.</summary>
    public const long SmallFrameBytes = 32 * 1024;

    /// <summary>
    /// A generous upper bound of the native frame of a function: 16 bytes (twice a JIT stack slot) per parameter,
    /// local, operand stack value and block (whose branch values travel in locals), plus 4 KiB.
    /// </summary>
    public static long EstimateFrameBytes(ModuleDefinition definition, int definedIndex, FuncType type, int controlCount)
    {
        var body = definition.Bodies[definedIndex];
        // Without a validator's figure, every instruction byte could push a value.
        long depth = body.MaxOperandDepth >= 0 ? body.MaxOperandDepth : body.CodeEnd - body.CodeStart;
        long units = type.Params.Length + (long)body.LocalCount + depth + 2L * controlCount;
        return 16 * units + 4096;
    }

    public static void CompileFunction(ModuleCompilation compilation, int definedIndex, MethodBuilder entry, TypeBuilder owner)
    {
        var definition = compilation.Definition;
        var type = compilation.FunctionTypes[compilation.ImportedFunctionCount + definedIndex];
        var code = FunctionCompiler.Decode(definition, definedIndex);
        int controls = 0;
        foreach (var ins in code)
            if (ins.Opcode is Opcode.Block or Opcode.Loop or Opcode.If) controls++;
        long frame = EstimateFrameBytes(definition, definedIndex, type, controls);
        if (frame <= SmallFrameBytes)
        {
            FunctionCompiler.Compile(compilation, definedIndex, entry, code);
            return;
        }

        var (ret, ps) = ClrTypes.Signature(type);
        var body = owner.DefineMethod(entry.Name + "_body", MethodAttributes.Public | MethodAttributes.Static, ret, ps);
        body.SetImplementationFlags(MethodImplAttributes.AggressiveOptimization | MethodImplAttributes.NoInlining);
        FunctionCompiler.Compile(compilation, definedIndex, body, code);

        var il = entry.GetILGenerator();
        var ok = il.DefineLabel();
        il.Emit(OpCodes.Ldc_I8, frame);
        il.Emit(OpCodes.Call, RuntimeMembers.EnsureStackFor);
        il.Emit(OpCodes.Brtrue, ok);
        il.Emit(OpCodes.Ldc_I4, (int)TrapCode.CallStackExhausted);
        il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.Trap)));
        il.Emit(OpCodes.Throw);
        il.MarkLabel(ok);
        for (int p = 0; p < ps.Length; p++) il.Emit(OpCodes.Ldarg, (short)p);
        il.Emit(OpCodes.Call, body);
        il.Emit(OpCodes.Ret);
    }
}
