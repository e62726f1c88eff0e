using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Strand.Binary;

namespace Strand.Compilation;

/// <summary>The output of compiling a module: one static method per defined function.</summary>
internal sealed class CompiledModule
{
    public CompiledModule(Type type, nint[] functionPointers)
    {
        Type = type;
        FunctionPointers = functionPointers;
    }

    /// <summary>The generated type. Holding it keeps the collectible assembly (and so the code) alive.</summary>
    public Type Type { get; }

    /// <summary>Entry point of each defined function (index = function index minus imported functions).</summary>
    public nint[] FunctionPointers { get; }
}

/// <summary>
/// Compiles a validated module to CIL: one collectible dynamic assembly per module with one type
/// holding one static method per function (see <see cref="ClrTypes.Signature"/> for the calling convention).
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
        var type = module.DefineType("WasmModule", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract | TypeAttributes.Class);

        int imported = definition.ImportedFunctionCount;
        var methods = new MethodBuilder[definition.FunctionTypeIndices.Count];
        for (int i = 0; i < methods.Length; i++)
        {
            var (ret, ps) = ClrTypes.Signature(definition.Types[(int)definition.FunctionTypeIndices[i]]);
            methods[i] = type.DefineMethod(MethodName(imported + i), MethodAttributes.Public | MethodAttributes.Static, ret, ps);
            // Guest code is hot by nature: skip tier-0 and OSR so loops run fully optimised from the first call.
            methods[i].SetImplementationFlags(MethodImplAttributes.AggressiveOptimization);
        }

        var compilation = new ModuleCompilation(definition, methods);
        for (int i = 0; i < methods.Length; i++)
        {
            try
            {
                FunctionCompiler.Compile(compilation, i, methods[i]);
            }
            catch (Exception e) when (e is not WasmUnsupportedException)
            {
                throw new InvalidOperationException($"internal compiler error in {definition.DescribeFunction((uint)(imported + i))}: {e.Message}", e);
            }
        }

        var created = type.CreateType();
        var pointers = new nint[methods.Length];
        for (int i = 0; i < methods.Length; i++)
        {
            var method = created.GetMethod(MethodName(imported + i), BindingFlags.Public | BindingFlags.Static)!;
            pointers[i] = method.MethodHandle.GetFunctionPointer();
        }
        return new CompiledModule(created, pointers);
    }

    private static string MethodName(int functionIndex) => $"f{functionIndex}";
}
