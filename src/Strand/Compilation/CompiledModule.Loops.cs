using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// A compiled loop for on-stack replacement (<see cref="CompiledModule.GetLoopEntry"/>): <see cref="Code"/> is the entry
/// point of a static method with Strand's calling convention for <see cref="Type"/> (docs/compiler.md, "Calling
/// convention"): <c>static R0 f(P0 .. Pn-1, ref R1 .. ref Rm, object context)</c>, the context being the
/// <see cref="Instance"/> the interpreted activation runs in. R0 is the i32 exit code; the parameters and the other
/// results are laid out as <see cref="LoopOutline"/> describes (<see cref="InLocals"/>, <see cref="OutLocals"/>,
/// <see cref="Exits"/>).
/// </summary>
internal sealed class LoopEntry
{
    internal LoopEntry(nint code, LoopOutline outline, Type owner)
    {
        Code = code;
        Outline = outline;
        Owner = owner;
    }

    /// <summary>
    /// The entry point: a managed <c>calli</c> (<c>CallingConventions.Standard</c>) with the signature
    /// <c>ClrTypes.Signature(Type)</c>, the instance as the last argument. Never 0.
    /// </summary>
    public nint Code { get; }
    /// <summary>The loop function's type: parameters <see cref="InLocals"/>, results the exit code, <see cref="OutLocals"/> and the carried values.</summary>
    public FuncType Type => Outline.Type;
    /// <summary>The loop's outline: region, locals in and out, exits.</summary>
    public LoopOutline Outline { get; }
    /// <summary>Outer local index of each parameter, in order.</summary>
    public int[] InLocals => Outline.InLocals;
    /// <summary>Outer local index of each result after the exit code, in order.</summary>
    public int[] OutLocals => Outline.OutLocals;
    /// <summary>What to do for each exit code (index).</summary>
    public LoopExit[] Exits => Outline.Exits;
    /// <summary>The created type holding the method: referenced so that collectible code lives as long as this entry.</summary>
    internal Type Owner { get; }
}

// Loop entries for on-stack replacement (docs/compiler.md, "Loop entries for on-stack replacement").
internal sealed partial class CompiledModule
{
    /// <summary>Loop entries made so far, by (defined index, loop instruction index); null when the loop cannot be outlined.</summary>
    private readonly ConcurrentDictionary<(int Defined, int Loop), LoopEntry?> _loopEntries = new();
    /// <summary>Loop entries whose generation failed, with the error (under <see cref="_gate"/>).</summary>
    private Dictionary<(int Defined, int Loop), Exception>? _loopFailures;
    private int _loopTypes;

    /// <summary>Number of loop entries generated (compiled methods; refusals not counted).</summary>
    internal int GeneratedLoopEntries => _loopEntries.Count(e => e.Value is not null);

    /// <summary>
    /// The compiled loop at instruction <paramref name="loopIndex"/> (an index into
    /// <see cref="FunctionCompiler.Decode"/>'s list for the function, at a <c>loop</c>) of defined function
    /// <paramref name="definedIndex"/>, generated on first request and cached for the module: every thread asking for the
    /// same loop gets the same entry (generation runs under the module's lock, like chunks). Null, cached too, when the loop
    /// cannot be outlined (<see cref="FunctionSplitter.OutlineLoop"/> lists why). The method is compiled by
    /// <see cref="FunctionCompiler"/> like any function (prologue, interruption polls at loop headers and calls, traps; a
    /// stack check at entry for its whole frame estimate) into a dynamic assembly, also when the module's functions come
    /// from a compiled artifact; its calls to functions of the module go through the code table
    /// (<see cref="Resolve"/>, generating or looking up the callee's chunk on first use). Throws
    /// <see cref="ArgumentOutOfRangeException"/> for an index that is not a defined function or not a loop; an internal
    /// compiler error (<see cref="InvalidOperationException"/>) or an implementation limit is thrown, and thrown again for
    /// every later request of the same loop. <paramref name="code"/>: the function's decoded instructions if the caller
    /// has them (<see cref="FunctionCompiler.Decode"/>'s list, not modified), else they are decoded again.
    /// </summary>
    internal LoopEntry? GetLoopEntry(int definedIndex, int loopIndex, List<Instruction>? code = null)
    {
        if ((uint)definedIndex >= (uint)Code.Length)
            throw new ArgumentOutOfRangeException(nameof(definedIndex), $"no defined function {definedIndex}");
        if (_loopEntries.TryGetValue((definedIndex, loopIndex), out var entry)) return entry;
        lock (_gate)
        {
            var key = (definedIndex, loopIndex);
            if (_loopEntries.TryGetValue(key, out entry)) return entry;
            if (_loopFailures is not null && _loopFailures.TryGetValue(key, out var failure))
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var compilation = Compilation;
            code ??= FunctionCompiler.Decode(_definition, definedIndex);
            var outline = FunctionSplitter.OutlineLoop(compilation, definedIndex, code, loopIndex); // throws only for a bad index
            try
            {
                entry = outline is null ? null : GenerateLoopEntry(compilation, definedIndex, outline);
            }
            catch (Exception e)
            {
                var error = e is WasmUnsupportedException or WasmImplementationLimitException
                    ? e
                    : new InvalidOperationException(
                        $"internal compiler error in the loop at offset 0x{code[loopIndex].Offset:x} of {_definition.DescribeFunction((uint)(_definition.ImportedFunctionCount + definedIndex))}: {e.Message}", e);
                (_loopFailures ??= new())[key] = error;
                if (error == e) throw;
                throw error;
            }
            _loopEntries[key] = entry;
            Interlocked.Add(ref _generationTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            return entry;
        }
    }

    /// <summary>Emits and creates the loop's method (caller holds <see cref="_gate"/>).</summary>
    private LoopEntry GenerateLoopEntry(ModuleCompilation compilation, int definedIndex, LoopOutline outline)
    {
        var module = DynamicModule(1);
        int imported = _definition.ImportedFunctionCount;
        string name = $"{ModuleCompiler.MethodName(imported + definedIndex)}_loop{outline.LoopIndex}";
        var type = module.DefineType($"Loop{++_loopTypes}_{name}",
            TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract | TypeAttributes.Class);
        var (ret, ps) = ClrTypes.Signature(outline.Type);
        var entry = type.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Static, ret, ps);
        var body = type.DefineMethod(name + "_body", MethodAttributes.Public | MethodAttributes.Static, ret, ps);
        // The interpreter found the loop hot: compiled optimised at once, never through tier-0.
        body.SetImplementationFlags(MethodImplAttributes.NoInlining | MethodImplAttributes.AggressiveOptimization);
        // No direct calls: every callee in the module is reached through the code table, whatever chunks exist.
        var unit = new CodeUnit(0, []);
        FunctionCompiler.CompileRegion(compilation, unit, definedIndex, body, outline.Region);
        // The entry checks the stack for the loop's whole frame: the interpreter's frame below it is no compiled caller
        // whose own check covered it. Not doubled as for a function with loops (FrameGuard): an AggressiveOptimization
        // method has no tier-0 frame for a runtime OSR frame to sit on.
        FrameGuard.EmitFrameCheckEntry(entry, body, outline.FrameBytes, ps, tailCalls: false);
        var created = type.CreateType();
        var method = created.GetMethod(name, BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)!;
        return new LoopEntry(method.MethodHandle.GetFunctionPointer(), outline, created);
    }
}
