using System.Reflection;
using System.Reflection.Emit;
using Strand.Compilation;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// <see cref="CachedTokenILGenerator"/> (docs/compiler.md, "Startup") must produce what the runtime's generator produces:
/// the same IL bytes (tokens included) and the same <c>maxstack</c>, which the runtime computes from each call's arity.
/// </summary>
public class CachedTokenILGeneratorTests
{
    /// <summary>Members the emitted method uses: static calls of several arities, an instance call, a field, a constructor, generic methods.</summary>
    public sealed class Target
    {
        public static int Add5(int a, int b, int c, int d, int e) => a + b + c + d + e;
        public static void Sink(int a, int b) => Field = a - b;
        public static int Answer() => 42;
        public static int Field;
        public int Instance = 3;
        public int Scaled(int x) => x * Instance;
        public static T Id<T>(T x) => x;
    }

    /// <summary>A generic type: calls to its methods take a type specification, not the plain method token.</summary>
    public static class Box<T>
    {
        public static T Same(T x) => x;
    }

    /// <summary>The same emission sequence through <paramref name="make"/>'s generator; returns the IL, its maxstack and the method's result for 2.</summary>
    private static (byte[] IL, int MaxStack, int Result) Emit(Func<MethodBuilder, ILGenerator> make)
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName($"TokenTest{Guid.NewGuid():N}"), AssemblyBuilderAccess.RunAndCollect);
        var module = assembly.DefineDynamicModule("m");
        var type = module.DefineType("T", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed);
        var method = type.DefineMethod("f", MethodAttributes.Public | MethodAttributes.Static, typeof(int), [typeof(int)]);
        var il = make(method);
        var add5 = typeof(Target).GetMethod(nameof(Target.Add5))!;
        var sink = typeof(Target).GetMethod(nameof(Target.Sink))!;
        var answer = typeof(Target).GetMethod(nameof(Target.Answer))!;
        var scaled = typeof(Target).GetMethod(nameof(Target.Scaled))!;
        var field = typeof(Target).GetField(nameof(Target.Field))!;
        var ctor = typeof(Target).GetConstructor(Type.EmptyTypes)!;
        var id = typeof(Target).GetMethod(nameof(Target.Id))!.MakeGenericMethod(typeof(int));
        var same = typeof(Box<int>).GetMethod(nameof(Box<int>.Same))!;
        var sizeOf = typeof(System.Runtime.CompilerServices.Unsafe).GetMethod(nameof(System.Runtime.CompilerServices.Unsafe.SizeOf))!.MakeGenericMethod(typeof(long));
        var ptr = il.DeclareLocal(typeof(nint));
        il.Emit(OpCodes.Ldftn, answer);
        il.Emit(OpCodes.Stloc, ptr);
        il.Emit(OpCodes.Ldarg_0);
        for (int round = 0; round < 6; round++) // each member several times: the cached path after the first
        {
            for (int i = 0; i < 4; i++) il.Emit(OpCodes.Ldc_I4, i + round);
            il.Emit(OpCodes.Call, add5); // 5 → 1
            il.Emit(OpCodes.Call, answer); // 0 → 1
            il.Emit(OpCodes.Ldloc, ptr);
            il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, typeof(int), Type.EmptyTypes, null); // ptr → 1
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Call, sink); // 2 → 0
            il.Emit(OpCodes.Ldsfld, field); // the sum so far
            il.Emit(OpCodes.Newobj, ctor);
            il.Emit(OpCodes.Ldc_I4_2);
            il.Emit(OpCodes.Call, scaled); // receiver and 1 → 1
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Call, id); // a generic method instantiation (a MethodSpec), 1 → 1
            il.Emit(OpCodes.Call, same); // a method of a generic type instantiation, 1 → 1
            il.Emit(OpCodes.Call, sizeOf); // a generic method of another assembly, 0 → 1
            il.Emit(OpCodes.Add);
        }
        il.Emit(OpCodes.Ret);
        var created = type.CreateType()!.GetMethod("f")!;
        var body = created.GetMethodBody()!;
        return (body.GetILAsByteArray()!, body.MaxStackSize, (int)created.Invoke(null, [2])!);
    }

    [Fact]
    public void EmitsTheRuntimeGeneratorsBytesAndMaxStack()
    {
        Assert.True(CachedTokenILGenerator.CallsCached); // the runtime this is built for has the member it relies on
        var plain = Emit(m => m.GetILGenerator());
        var cached = Emit(CachedTokenILGenerator.For);
        Assert.IsType<CachedTokenILGenerator>(CachedTokenILGenerator.For(
            AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("TokenProbe"), AssemblyBuilderAccess.RunAndCollect).DefineDynamicModule("m")
                .DefineType("T").DefineMethod("g", MethodAttributes.Public | MethodAttributes.Static)));
        Assert.Equal(plain.IL, cached.IL);
        Assert.Equal(plain.MaxStack, cached.MaxStack);
        // The running sum and four constants: a call counted as not changing the depth would have given far more.
        Assert.Equal(5, cached.MaxStack);
        Assert.Equal(plain.Result, cached.Result);
    }
}
