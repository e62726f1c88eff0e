namespace Strand.Binary;

/// <summary>
/// A decoded (not yet validated) module: the sections of the binary format as plain data.
/// Function bodies and constant expressions stay as byte ranges into <see cref="Bytes"/>
/// and are decoded on demand with <see cref="InstructionDecoder"/>.
/// Produced by <see cref="ModuleDecoder"/>; immutable once decoded and safe to share across threads.
/// </summary>
public sealed class ModuleDefinition
{
    /// <summary>An empty model of the module <paramref name="bytes"/>, filled by the decoder.</summary>
    public ModuleDefinition(byte[] bytes) => Bytes = bytes;

    /// <summary>The module's binary. Offsets in this model point into it.</summary>
    public byte[] Bytes { get; }

    /// <summary>
    /// The signature of each type by type index: a function type's, or <see cref="NotAFunction"/> for a struct or array
    /// type (GC). Validation checks that an index used as a function type names one.
    /// </summary>
    public List<FuncType> Types { get; } = new();
    /// <summary>Every type definition by type index, with its GC structure (composite kind, fields, finality, supertypes).</summary>
    public List<SubType> SubTypes { get; } = new();
    /// <summary>The recursion groups of the type section in order: first type index and number of types (a plain definition is a group of one).</summary>
    public List<(int Start, int Count)> RecGroups { get; } = new();

    /// <summary>The placeholder in <see cref="Types"/> for a struct or array type: no signature.</summary>
    public static readonly FuncType NotAFunction = new([], []);

    /// <summary>True if type <paramref name="typeIndex"/> exists and is a function type.</summary>
    public bool IsFunctionType(uint typeIndex)
    {
        CompleteTypeStructure();
        return typeIndex < (uint)SubTypes.Count && SubTypes[(int)typeIndex].Kind == CompositeKind.Func;
    }

    /// <summary>
    /// A definition built by hand may list only <see cref="Types"/> (function signatures): each type beyond
    /// <see cref="SubTypes"/> then becomes a plain function type (final, no supertype) in a recursion group of its own.
    /// Called by validation and canonicalisation; the decoder fills all three lists itself.
    /// </summary>
    public void CompleteTypeStructure()
    {
        for (int i = SubTypes.Count; i < Types.Count; i++)
        {
            SubTypes.Add(SubType.OfFunction(Types[i]));
            RecGroups.Add((i, 1));
        }
    }
    /// <summary>The import section, in order.</summary>
    public List<Import> Imports { get; } = new();
    /// <summary>Type index of each function defined in the module (not imported), in order.</summary>
    public List<uint> FunctionTypeIndices { get; } = new();
    /// <summary>Tables defined in the module (not imported), in order.</summary>
    public List<TableType> Tables { get; } = new();
    /// <summary>The initializer expression of each defined table that has one (3.0 <c>0x40 0x00</c> form), by defined-table position.</summary>
    public Dictionary<int, ConstExpr> TableInitializers { get; } = new();
    /// <summary>Memories defined in the module (not imported), in order.</summary>
    public List<MemoryType> Memories { get; } = new();
    /// <summary>Globals defined in the module (not imported), in order.</summary>
    public List<GlobalDefinition> Globals { get; } = new();
    /// <summary>The tag section (exception handling): the type index of each tag defined in the module, in order.</summary>
    public List<uint> Tags { get; } = new();
    /// <summary>The export section, in order.</summary>
    public List<Export> Exports { get; } = new();
    /// <summary>The start section's function index, if any.</summary>
    public uint? StartFunction { get; set; }
    /// <summary>The element section, in order.</summary>
    public List<ElementSegment> Elements { get; } = new();
    /// <summary>The data count section's value, if the section is present.</summary>
    public uint? DataCount { get; set; }

    /// <summary>Bodies decoded without their malformation scan (<see cref="ModuleDecoder.DecodeDeferringBodyScan"/>), until validation has passed or failed.</summary>
    internal ModuleDecoder.PendingScan? PendingBodyScan { get; set; }
    /// <summary>The code section: one body per defined function.</summary>
    public List<FunctionBody> Bodies { get; } = new();
    /// <summary>The data section, in order.</summary>
    public List<DataSegment> Data { get; } = new();
    /// <summary>Every custom section, in order.</summary>
    public List<CustomSection> CustomSections { get; } = new();
    /// <summary>The decoded "name" custom section, if present and well-formed.</summary>
    public NameSection? Names { get; set; }

    /// <summary>
    /// Constructs of features Strand does not implement, in the order found. Always empty for
    /// <see cref="ModuleDecoder.Decode"/> (which throws instead); filled by <see cref="ModuleDecoder.DecodeForAnalysis"/>.
    /// </summary>
    public List<UnsupportedConstruct> Unsupported { get; } = new();

    // Index spaces: imports come first, then definitions.
    /// <summary>Functions imported: they come first in the function index space.</summary>
    public int ImportedFunctionCount { get; set; }
    /// <summary>Tables imported: they come first in the table index space.</summary>
    public int ImportedTableCount { get; set; }
    /// <summary>Memories imported: they come first in the memory index space.</summary>
    public int ImportedMemoryCount { get; set; }
    /// <summary>Globals imported: they come first in the global index space.</summary>
    public int ImportedGlobalCount { get; set; }
    /// <summary>Tags imported: they come first in the tag index space.</summary>
    public int ImportedTagCount { get; set; }
    /// <summary>Size of the tag index space (imports included).</summary>
    public int TotalTagCount => ImportedTagCount + Tags.Count;

    /// <summary>The type index of tag <paramref name="tagIndex"/> in the tag index space (a function type with no results).</summary>
    public uint GetTagTypeIndex(uint tagIndex) =>
        tagIndex < ImportedTagCount
            ? Imports.Where(i => i.Kind == ExternalKind.Tag).ElementAt((int)tagIndex).TagTypeIndex
            : Tags[(int)(tagIndex - (uint)ImportedTagCount)];

    /// <summary>Size of the function index space (imports included).</summary>
    public int TotalFunctionCount => ImportedFunctionCount + FunctionTypeIndices.Count;
    /// <summary>Size of the table index space (imports included).</summary>
    public int TotalTableCount => ImportedTableCount + Tables.Count;
    /// <summary>Size of the memory index space (imports included).</summary>
    public int TotalMemoryCount => ImportedMemoryCount + Memories.Count;

    /// <summary>For each memory index (imports first), whether the memory has 64-bit addresses (memory64).</summary>
    public bool[] Memory64Flags()
    {
        var flags = new bool[TotalMemoryCount];
        for (int i = 0; i < flags.Length; i++) flags[i] = GetMemoryType((uint)i).Limits.Is64;
        return flags;
    }
    /// <summary>Size of the global index space (imports included).</summary>
    public int TotalGlobalCount => ImportedGlobalCount + Globals.Count;

    /// <summary>Type index of function <paramref name="funcIndex"/> in the function index space.</summary>
    public uint GetFunctionTypeIndex(uint funcIndex)
    {
        if (funcIndex < ImportedFunctionCount)
        {
            int seen = 0;
            foreach (var imp in Imports)
                if (imp.Kind == ExternalKind.Function && seen++ == funcIndex) return imp.FunctionTypeIndex;
        }
        return FunctionTypeIndices[(int)(funcIndex - (uint)ImportedFunctionCount)];
    }

    /// <summary>The signature of function <paramref name="funcIndex"/> in the function index space.</summary>
    public FuncType GetFunctionType(uint funcIndex) => Types[(int)GetFunctionTypeIndex(funcIndex)];

    /// <summary>The type of table <paramref name="tableIndex"/> in the table index space.</summary>
    public TableType GetTableType(uint tableIndex) =>
        tableIndex < ImportedTableCount
            ? Imports.Where(i => i.Kind == ExternalKind.Table).ElementAt((int)tableIndex).Table!
            : Tables[(int)(tableIndex - (uint)ImportedTableCount)];

    /// <summary>The type of memory <paramref name="memoryIndex"/> in the memory index space.</summary>
    public MemoryType GetMemoryType(uint memoryIndex) =>
        memoryIndex < ImportedMemoryCount
            ? Imports.Where(i => i.Kind == ExternalKind.Memory).ElementAt((int)memoryIndex).Memory!
            : Memories[(int)(memoryIndex - (uint)ImportedMemoryCount)];

    /// <summary>The type of global <paramref name="globalIndex"/> in the global index space.</summary>
    public GlobalType GetGlobalType(uint globalIndex) =>
        globalIndex < ImportedGlobalCount
            ? Imports.Where(i => i.Kind == ExternalKind.Global).ElementAt((int)globalIndex).Global
            : Globals[(int)(globalIndex - (uint)ImportedGlobalCount)].Type;

    /// <summary>A name for diagnostics: the name section's, else an export's, else "func[N]".</summary>
    public string DescribeFunction(uint funcIndex)
    {
        if (Names?.FunctionNames.TryGetValue(funcIndex, out var n) == true) return $"func[{funcIndex}] <{n}>";
        foreach (var e in Exports)
            if (e.Kind == ExternalKind.Function && e.Index == funcIndex) return $"func[{funcIndex}] <{e.Name}>";
        return $"func[{funcIndex}]";
    }
}

/// <summary>One import (spec 5.5.5).</summary>
public sealed class Import
{
    /// <summary>The import module name.</summary>
    public required string Module { get; init; }
    /// <summary>The import name.</summary>
    public required string Name { get; init; }
    /// <summary>What is imported.</summary>
    public required ExternalKind Kind { get; init; }
    /// <summary>For function imports.</summary>
    public uint FunctionTypeIndex { get; init; }
    /// <summary>For table imports: the table type.</summary>
    public TableType? Table { get; init; }
    /// <summary>For memory imports: the memory type.</summary>
    public MemoryType? Memory { get; init; }
    /// <summary>For global imports: the global type.</summary>
    public GlobalType Global { get; init; }
    /// <summary>For tag imports: the tag's type index.</summary>
    public uint TagTypeIndex { get; init; }

    /// <summary>"module.name (kind)", for diagnostics.</summary>
    public override string ToString() => $"{Module}.{Name} ({Kind})";
}

/// <summary>One export (spec 5.5.10).</summary>
/// <param name="Name">The export name.</param>
/// <param name="Kind">What is exported.</param>
/// <param name="Index">Index in the kind's index space.</param>
public sealed record Export(string Name, ExternalKind Kind, uint Index);

/// <summary>
/// A constant expression: the instructions from <see cref="Start"/> up to and including the
/// terminating <c>end</c> at <see cref="End"/>-1 in the module's bytes.
/// </summary>
public sealed record ConstExpr(int Start, int End)
{
    /// <summary>Decodes the expression's instructions (without the final <c>end</c>).</summary>
    public List<Instruction> Decode(byte[] moduleBytes)
    {
        var r = new WasmReader(moduleBytes, Start, End) { MultipleMemories = true };
        var list = new List<Instruction>();
        while (!r.AtEnd)
        {
            InstructionDecoder.Read(r, out var ins);
            if (ins.Opcode == Opcode.End && r.AtEnd) break;
            list.Add(ins);
        }
        return list;
    }
}

/// <summary>A global defined in the module.</summary>
/// <param name="Type">Its type.</param>
/// <param name="Init">Its constant initialiser.</param>
public sealed record GlobalDefinition(GlobalType Type, ConstExpr Init);

/// <summary>How a data or element segment is used (spec 2.5.7, 2.5.8).</summary>
public enum SegmentMode : byte
{
    /// <summary>Copied into a memory or table at instantiation, at its offset.</summary>
    Active,
    /// <summary>Copied only by <c>memory.init</c> / <c>table.init</c>.</summary>
    Passive,
    /// <summary>Element segments only: declares functions referenceable by ref.func.</summary>
    Declarative,
}

/// <summary>An element segment (spec 2.5.7).</summary>
public sealed class ElementSegment
{
    /// <summary>Active, passive or (elements) declarative.</summary>
    public required SegmentMode Mode { get; init; }
    /// <summary>For active segments: the table to fill.</summary>
    public uint TableIndex { get; init; }
    /// <summary>Offset expression for active segments.</summary>
    public ConstExpr? Offset { get; init; }
    /// <summary>The reference type of the elements.</summary>
    public required ValType ElementType { get; init; }
    /// <summary>Set when the segment lists function indices (elemkind 0x00 forms).</summary>
    public uint[]? FunctionIndices { get; init; }
    /// <summary>Set when the segment lists constant expressions (ref.func / ref.null / global.get).</summary>
    public ConstExpr[]? Expressions { get; init; }
    /// <summary>Number of elements.</summary>
    public int Count => FunctionIndices?.Length ?? Expressions!.Length;
    /// <summary>Byte offset of the segment in the module, for error messages.</summary>
    public int SourceOffset { get; init; }
}

/// <summary>A data segment (spec 2.5.8).</summary>
public sealed class DataSegment
{
    /// <summary>Active, passive or (elements) declarative.</summary>
    public required SegmentMode Mode { get; init; }
    /// <summary>For active segments: the memory to fill.</summary>
    public uint MemoryIndex { get; init; }
    /// <summary>For active segments: the offset expression.</summary>
    public ConstExpr? Offset { get; init; }
    /// <summary>Position of the segment's bytes within <see cref="ModuleDefinition.Bytes"/>.</summary>
    public required int DataStart { get; init; }
    /// <summary>Length of the segment's bytes.</summary>
    public required int DataLength { get; init; }
    /// <summary>Byte offset of the segment in the module, for error messages.</summary>
    public int SourceOffset { get; init; }

    /// <summary>The segment's bytes within <paramref name="module"/>'s binary.</summary>
    public ReadOnlySpan<byte> GetBytes(ModuleDefinition module) => module.Bytes.AsSpan(DataStart, DataLength);
}

/// <summary>A run of locals of one type, as the code section declares them.</summary>
/// <param name="Count">How many locals.</param>
/// <param name="Type">Their type.</param>
public readonly record struct LocalGroup(uint Count, ValType Type);

/// <summary>A function body of the code section (spec 5.5.13): its locals and the position of its code.</summary>
public sealed class FunctionBody
{
    /// <summary>Declared locals (excluding parameters), as in the binary: runs of one type.</summary>
    public required LocalGroup[] Locals { get; init; }
    /// <summary>Total number of declared locals (excluding parameters).</summary>
    public required int LocalCount { get; init; }
    /// <summary>First instruction byte (after the local declarations).</summary>
    public required int CodeStart { get; init; }
    /// <summary>Exclusive end of the body (just after its final <c>end</c>).</summary>
    public required int CodeEnd { get; init; }
    /// <summary>Offset of the body's size field, for diagnostics.</summary>
    public int SourceOffset { get; init; }
    /// <summary>
    /// Set only by <see cref="ModuleDecoder.DecodeForAnalysis"/>: the first feature Strand does not implement
    /// that the body uses (its instructions were not all decoded).
    /// </summary>
    public string? UnsupportedFeature { get; init; }

    /// <summary>The deepest the operand stack gets in this body (values of all blocks together), recorded by validation; -1 before.</summary>
    public int MaxOperandDepth { get; internal set; } = -1;

    /// <summary>
    /// Operand values possibly live at the control-flow joins of the compiled code, summed (recorded by validation;
    /// -1 before). The JIT gives each join its own spill slots, so the compiler sizes frames with it.
    /// </summary>
    public long BranchSpillUnits { get; internal set; } = -1;

    /// <summary>The number of <c>loop</c> instructions in this body, recorded by validation (-1 before).</summary>
    public int LoopCount { get; internal set; } = -1;

    /// <summary>The number of <c>try_table</c> and legacy <c>try</c> instructions (CIL protected regions), recorded by validation (-1 before).</summary>
    public int TryRegionCount { get; internal set; } = -1;

    /// <summary>Each such region counted once per region it lies in, plus once (the sum of their nesting depths), recorded by validation (-1 before).</summary>
    public long TryNestingUnits { get; internal set; } = -1;

    /// <summary>Branches out of try regions, each counted once per region it leaves, recorded by validation (-1 before).</summary>
    public long TryExitUnits { get; internal set; } = -1;

    /// <summary>
    /// The function indices (imports included) the body names in <c>call</c> and <c>return_call</c>, distinct, recorded by
    /// validation (null before). Read by <c>Compilation.MemoryGrowthAnalysis</c> and <c>Compilation.StackBoundAnalysis</c>.
    /// </summary>
    public uint[]? DirectCallees { get; internal set; }

    /// <summary>The body calls through a table or a reference (<c>call_indirect</c>, <c>call_ref</c> and their <c>return_</c> forms), recorded by validation.</summary>
    public bool CallsIndirectly { get; internal set; }

    /// <summary>The body has a <c>memory.grow</c> (of any memory), recorded by validation.</summary>
    public bool GrowsMemory { get; internal set; }

    /// <summary>The body has a tail call (<c>return_call</c>, <c>return_call_indirect</c>, <c>return_call_ref</c>), recorded by validation.</summary>
    public bool TailCalls { get; internal set; }

    /// <summary>The <c>block</c>, <c>loop</c>, <c>if</c>, <c>try</c> and <c>try_table</c> instructions of the body, recorded by validation (-1 before).</summary>
    public int ControlCount { get; internal set; } = -1;

    /// <summary>Expands <see cref="Locals"/> into one entry per local.</summary>
    public ValType[] ExpandLocals()
    {
        var result = new ValType[LocalCount];
        int k = 0;
        foreach (var g in Locals)
            for (uint i = 0; i < g.Count; i++) result[k++] = g.Type;
        return result;
    }
}

/// <summary>A custom section (spec 5.5.3).</summary>
/// <param name="Name">The section name.</param>
/// <param name="PayloadStart">Offset of the payload (after the name) in the module.</param>
/// <param name="PayloadLength">Length of the payload.</param>
/// <param name="SectionOffset">Offset of the section id byte, for diagnostics.</param>
public sealed record CustomSection(string Name, int PayloadStart, int PayloadLength, int SectionOffset)
{
    /// <summary>The payload bytes within <paramref name="module"/>'s binary.</summary>
    public ReadOnlySpan<byte> GetPayload(ModuleDefinition module) => module.Bytes.AsSpan(PayloadStart, PayloadLength);
}

/// <summary>The decoded "name" custom section (function, local and global names, and the others).</summary>
public sealed class NameSection
{
    /// <summary>The module's name (subsection 0), if given.</summary>
    public string? ModuleName { get; set; }
    /// <summary>Function names by function index (subsection 1).</summary>
    public Dictionary<uint, string> FunctionNames { get; } = new();
    /// <summary>Local names by function index, then local index (subsection 2).</summary>
    public Dictionary<uint, Dictionary<uint, string>> LocalNames { get; } = new();
    /// <summary>Global names by global index (extended name section, subsection 7).</summary>
    public Dictionary<uint, string> GlobalNames { get; } = new();
    /// <summary>Table names by table index (subsection 5).</summary>
    public Dictionary<uint, string> TableNames { get; } = new();
    /// <summary>Memory names by memory index (subsection 6).</summary>
    public Dictionary<uint, string> MemoryNames { get; } = new();
    /// <summary>Data segment names by segment index (subsection 9).</summary>
    public Dictionary<uint, string> DataNames { get; } = new();
    /// <summary>Element segment names by segment index (subsection 8).</summary>
    public Dictionary<uint, string> ElementNames { get; } = new();
    /// <summary>Type names by type index (subsection 4).</summary>
    public Dictionary<uint, string> TypeNames { get; } = new();
}
