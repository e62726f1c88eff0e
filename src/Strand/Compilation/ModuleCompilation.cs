using Strand.Binary;
using Strand.Validation;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>Module-wide facts the function compiler needs, computed once per module.</summary>
internal sealed class ModuleCompilation
{
    public ModuleCompilation(ModuleDefinition definition)
    {
        Definition = definition;
        ImportedFunctionCount = definition.ImportedFunctionCount;
        FunctionTypes = new FuncType[definition.TotalFunctionCount];
        int k = 0;
        foreach (var import in definition.Imports)
            if (import.Kind == ExternalKind.Function) FunctionTypes[k++] = definition.Types[(int)import.FunctionTypeIndex];
        foreach (var typeIndex in definition.FunctionTypeIndices) FunctionTypes[k++] = definition.Types[(int)typeIndex];

        GlobalTypes = new GlobalType[definition.TotalGlobalCount];
        ConstantGlobals = new Instruction?[GlobalTypes.Length];
        k = 0;
        foreach (var import in definition.Imports)
            if (import.Kind == ExternalKind.Global) GlobalTypes[k++] = import.Global;
        foreach (var global in definition.Globals)
        {
            // An immutable global initialised by a numeric constant has the same value in every instance: inline it.
            if (!global.Type.Mutable)
            {
                var init = global.Init.Decode(definition.Bytes);
                if (init.Count == 1 && init[0].Opcode is Opcode.I32Const or Opcode.I64Const or Opcode.F32Const or Opcode.F64Const)
                    ConstantGlobals[k] = init[0];
            }
            GlobalTypes[k++] = global.Type;
        }
    }

    public ModuleDefinition Definition { get; }

    /// <summary>True when some table has 64-bit indices (table64): table instructions on it narrow their i64 operands.</summary>
    public bool HasTable64 => _hasTable64 ??= Enumerable.Range(0, Definition.TotalTableCount).Any(t => Definition.GetTableType((uint)t).Limits.Is64);
    private bool? _hasTable64;
    public int ImportedFunctionCount { get; }
    /// <summary>Type of every function in the index space (imports first).</summary>
    public FuncType[] FunctionTypes { get; }
    public GlobalType[] GlobalTypes { get; }
    /// <summary>For globals whose value is a compile-time constant: the constant instruction.</summary>
    public Instruction?[] ConstantGlobals { get; }

    /// <summary>
    /// False when a call of function <paramref name="functionIndex"/> cannot grow any memory (see
    /// <see cref="MemoryGrowthAnalysis"/>); computed for the whole module on first use.
    /// </summary>
    public bool CallMayGrowMemory(uint functionIndex)
    {
        var mayGrow = LazyInitializer.EnsureInitialized(ref _mayGrowMemory, () => MemoryGrowthAnalysis.MayGrowMemory(Definition));
        return functionIndex >= (uint)mayGrow.Length || mayGrow[functionIndex];
    }
    private bool[]? _mayGrowMemory;

    /// <summary>
    /// True when defined function <paramref name="definedIndex"/>, if it calls, needs its entry stack check and interrupt
    /// poll (see <see cref="StackBoundAnalysis"/>); computed for the whole module on first use.
    /// </summary>
    public bool NeedsEntryCheck(int definedIndex)
    {
        var check = LazyInitializer.EnsureInitialized(ref _entryChecks, () => StackBoundAnalysis.NeedsEntryCheck(Definition, FunctionTypes));
        return check[ImportedFunctionCount + definedIndex];
    }
    private bool[]? _entryChecks;

    /// <summary>The canonical id of the module's type <paramref name="typeIndex"/> (<see cref="TypeRegistry"/>).</summary>
    public int TypeId(uint typeIndex) => (_typeIds ??= TypeRegistry.CanonicalIds(Definition))[typeIndex];
    private int[]? _typeIds;

    /// <summary><paramref name="type"/> with its module type index (if any) replaced by the canonical id.</summary>
    public ValType Canonical(ValType type) => TypeRegistry.Canonical(type, _typeIds ??= TypeRegistry.CanonicalIds(Definition));

    /// <summary>
    /// Code for a persisted assembly: canonical type ids differ between processes, so call_indirect reads them from
    /// <see cref="Instance.TypeIds"/> instead of baking them in.
    /// </summary>
    public bool PortableTypeIds { get; init; }

    /// <summary>Null: functions are split when the JIT would not optimise them; else the forced region size (testing; <see cref="FunctionSplitter.Plan"/>).</summary>
    public int? SplitUnits { get; init; } = FunctionSplitter.ConfiguredUnits;

    /// <summary>
    /// The code is for a ReadyToRun image: crossgen2 optimises methods of any size, so the cases of an interpreter loop
    /// are not outlined (<see cref="FunctionSplitter.Plan"/>).
    /// </summary>
    public bool ForReadyToRun { get; init; }

    /// <summary>Functions generated split (<see cref="FunctionSplitter"/>): defined index → number of outlined regions.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<int, int> SplitFunctions { get; } = new();
}
