using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;

namespace Strand.Compilation;

/// <summary>Compiling a function split by <see cref="FunctionSplitter"/>: its regions' methods and the calls to them.</summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>The methods of the outlined regions this function calls, by synthetic function index minus <see cref="FunctionSplitter.Result.CallBase"/>.</summary>
    private MethodBuilder[]? _outlinedMethods;
    private FunctionSplitter.Result? _split;
    /// <summary>
    /// This method is an outlined region: if it calls, it always checks the stack at entry (the stack-bound analysis of
    /// its function did not count the region's own frame between the function and its callees).
    /// </summary>
    private bool _outlinedRegion;

    /// <summary>
    /// Compiles the regions of <paramref name="split"/> into methods <c>{name}_r{k}</c> of <paramref name="owner"/>
    /// (never inlined: that would undo the split) and the outer function into <paramref name="method"/>.
    /// </summary>
    /// <returns>The size of the outer method's IL in bytes.</returns>
    private static int CompileSplit(ModuleCompilation module, CodeUnit unit, int definedIndex, MethodBuilder method, TypeBuilder owner,
        FuncType type, ValType[] declaredLocals, FunctionSplitter.Result split)
    {
        var methods = new MethodBuilder[split.Regions.Count];
        for (int r = 0; r < methods.Length; r++)
        {
            var (ret, ps) = ClrTypes.Signature(split.Regions[r].Type);
            methods[r] = owner.DefineMethod($"{method.Name}_r{r}", MethodAttributes.Public | MethodAttributes.Static, ret, ps);
            methods[r].SetImplementationFlags(MethodImplAttributes.NoInlining
                | (split.HotCases ? MethodImplAttributes.AggressiveOptimization : 0));
        }
        for (int r = 0; r < methods.Length; r++) CompileRegion(module, unit, definedIndex, methods[r], split.Regions[r]);
        var outer = new FunctionCompiler(module, CachedTokenILGenerator.For(method), type, [.. declaredLocals, .. split.ExtraLocals])
        {
            _unit = unit, _definedIndex = definedIndex, _outlinedMethods = methods, _split = split,
        };
        outer.Run(split.Code);
        return outer._il.ILOffset;
    }

    /// <summary>
    /// Compiles <paramref name="region"/>, outlined from defined function <paramref name="definedIndex"/>, into
    /// <paramref name="method"/> (the region's function type in the calling convention): the prologue, interruption polls and
    /// traps of any function, and, if it calls, the stack check at entry. Also the loop entries of CompiledModule.Loops.cs.
    /// </summary>
    /// <returns>The size of the emitted IL in bytes.</returns>
    internal static int CompileRegion(ModuleCompilation module, CodeUnit unit, int definedIndex, MethodBuilder method, FunctionSplitter.Region region)
    {
        var compiler = new FunctionCompiler(module, CachedTokenILGenerator.For(method), region.Type, region.Locals)
        {
            _unit = unit, _definedIndex = definedIndex, _outlinedRegion = true,
        };
        compiler.Run(region.Code);
        return compiler._il.ILOffset;
    }

    /// <summary>
    /// A dry run: compiles the function (split when <paramref name="split"/> is given, the outer function only) into an
    /// <see cref="ILCounter"/>, which counts what the JIT's optimisation limits are about.
    /// </summary>
    /// <remarks><paramref name="region"/>: the code is an outlined region of function <paramref name="definedIndex"/>.</remarks>
    internal static ILCounter Measure(ModuleCompilation module, CodeUnit unit, int definedIndex, FuncType type, ValType[] declaredLocals,
        List<Instruction> code, FunctionSplitter.Result? split = null, bool region = false)
    {
        var counter = new ILCounter();
        var compiler = new FunctionCompiler(module, counter, type, split is null ? declaredLocals : [.. declaredLocals, .. split.ExtraLocals])
        {
            _unit = unit, _definedIndex = definedIndex, _outlinedRegion = region,
        };
        if (split is not null)
        {
            compiler._split = split;
            compiler._outlinedMethods = new MethodBuilder[split.Regions.Count]; // the counter ignores the operands
        }
        compiler.Run(split?.Code ?? code);
        return counter;
    }

    /// <summary>A call to an outlined region (a function index past the module's): a direct call with our context.</summary>
    private void CallOutlined(uint functionIndex)
    {
        int r = (int)(functionIndex - _split!.CallBase);
        var type = _split.Regions[r].Type;
        var extras = PushResultAddresses(type);
        Ldarg(_contextArg);
        _il.Emit(OpCodes.Call, _outlinedMethods![r]);
        FinishCall(type, extras);
    }
}
