using System.Reflection;
using System.Text;
using Strand.Compilation;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// Generated code is spread over dynamic assemblies of at most <see cref="CompiledModule.MethodsPerDynamicAssembly"/>
/// methods (the runtime's type creation slows down as its module fills up; docs/compiler.md, "Startup"): chunks of
/// different assemblies call each other directly, and the code stays collectible or not as asked.
/// </summary>
public class DynamicAssemblyTests
{
    /// <summary>$f0 returns its argument; $f{i} returns $f{i-1}(x) + 1; the last one is exported as "last".</summary>
    private static string ChainModule(int count)
    {
        var sb = new StringBuilder("(module (func $f0 (param i32) (result i32) (local.get 0))");
        for (int i = 1; i < count; i++)
            sb.Append($"(func $f{i} {(i == count - 1 ? "(export \"last\")" : "")} (param i32) (result i32) (i32.add (call $f{i - 1} (local.get 0)) (i32.const 1)))");
        return sb.Append(')').ToString();
    }

    [Fact]
    public void ACollectibleModulesAssembliesAreAllCollectedOnceItIsDropped()
    {
        var assemblies = GenerateAndDrop();
        Assert.True(assemblies.Count >= 3);
        for (int i = 0; i < 20 && assemblies.Any(a => a.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.All(assemblies, a => Assert.False(a.IsAlive));
    }

    /// <summary>
    /// A function big enough for the splitter's dry run (a loop and 600 calls) calling a function of an earlier chunk: the
    /// dry run's counter looks at the created method it calls directly, and must not keep it (and so its collectible
    /// assembly) in a process-wide cache.
    /// </summary>
    [Fact]
    public void TheSplittersDryRunKeepsNoGeneratedMethodAlive()
    {
        var assemblies = GenerateAndDropMeasured();
        for (int i = 0; i < 20 && assemblies.Any(a => a.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.All(assemblies, a => Assert.False(a.IsAlive));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<WeakReference> GenerateAndDropMeasured()
    {
        var sb = new StringBuilder("(module (func $f0 (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))");
        for (int i = 1; i < 2 * CompiledModule.ChunkFunctions; i++) sb.Append("(func)");
        sb.Append("(func (export \"big\") (param i32) (result i32) (loop");
        for (int i = 0; i < 600; i++) sb.Append("(local.set 0 (call $f0 (local.get 0)))");
        sb.Append(") (local.get 0)))");
        var module = Module.Compile(WatParser.ParseModule(sb.ToString()));
        module.Compiled.GroupGeneration = false;
        module.Compiled.GenerateAll(); // $f0's chunk first: $big calls its created method directly
        Assert.Equal(605, new Linker().Instantiate(module).Invoke("big", Value.I32(5))[0].AsI32);
        return module.Compiled.Types.Select(t => t.Assembly).Distinct().Select(a => new WeakReference(a)).ToList();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<WeakReference> GenerateAndDrop()
    {
        int count = 2 * CompiledModule.MethodsPerDynamicAssembly + 100;
        var module = Module.Compile(WatParser.ParseModule(ChainModule(count)));
        module.Compiled.GroupGeneration = false;
        module.Compiled.GenerateAll();
        Assert.Equal(7 + count - 1, new Linker().Instantiate(module).Invoke("last", Value.I32(7))[0].AsI32);
        return module.Compiled.Types.Select(t => t.Assembly).Distinct().Select(a => new WeakReference(a)).ToList();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ABigModulesCodeSpansSeveralAssembliesThatCallEachOtherDirectly(bool collectible)
    {
        int count = 2 * CompiledModule.MethodsPerDynamicAssembly + 100;
        var module = Module.Compile(WatParser.ParseModule(ChainModule(count)), new CompileOptions { CollectibleCode = collectible });
        module.Compiled.GroupGeneration = false;
        // In index order: each chunk's calls into the one before it are direct CIL calls, across assemblies too.
        module.Compiled.GenerateAll();
        var instance = new Linker().Instantiate(module);
        Assert.Equal(7 + count - 1, instance.Invoke("last", Value.I32(7))[0].AsI32);

        var methods = module.Compiled.Types
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.StartsWith('f'))
            .ToList();
        Assert.Equal(count, methods.Count);
        var assemblies = methods.GroupBy(m => m.DeclaringType!.Assembly).ToList();
        Assert.Equal((count + CompiledModule.MethodsPerDynamicAssembly - 1) / CompiledModule.MethodsPerDynamicAssembly, assemblies.Count);
        Assert.All(assemblies, a => Assert.InRange(a.Count(), 1, CompiledModule.MethodsPerDynamicAssembly));
        Assert.All(assemblies, a => Assert.Equal(collectible, a.Key.IsCollectible));
        // The first function of each later assembly calls the last function of the one before it directly.
        foreach (var assembly in assemblies.Skip(1))
        {
            var first = assembly.OrderBy(m => int.Parse(m.Name.AsSpan(1))).First();
            int index = int.Parse(first.Name.AsSpan(1));
            var callee = methods.Single(m => m.Name == $"f{index - 1}");
            Assert.NotEqual(assembly.Key, callee.DeclaringType!.Assembly);
            Assert.Contains(callee.Name, ChunkGroupTests.CalledMethods(first));
            Assert.DoesNotContain(nameof(CompiledModule.Resolve), ChunkGroupTests.CalledMethods(first));
        }
    }
}
