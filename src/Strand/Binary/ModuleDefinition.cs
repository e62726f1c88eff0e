namespace Strand.Binary;

/// <summary>
/// A decoded (not yet validated) module: the sections of the binary format as plain data.
/// Function bodies and constant expressions stay as byte ranges into <see cref="Bytes"/>
/// and are decoded on demand with <see cref="InstructionDecoder"/>.
/// Produced by <see cref="ModuleDecoder"/>; immutable once decoded and safe to share across threads.
/// </summary>
public sealed class ModuleDefinition
{
    public ModuleDefinition(byte[] bytes) => Bytes = bytes;

    /// <summary>The module's binary. Offsets in this model point into it.</summary>
    public byte[] Bytes { get; }

    public List<FuncType> Types { get; } = new();
    public List<Import> Imports { get; } = new();
    /// <summary>Type index of each function defined in the module (not imported), in order.</summary>
    public List<uint> FunctionTypeIndices { get; } = new();
    public List<TableType> Tables { get; } = new();
    public List<MemoryType> Memories { get; } = new();
    public List<GlobalDefinition> Globals { get; } = new();
    public List<Export> Exports { get; } = new();
    public uint? StartFunction { get; set; }
    public List<ElementSegment> Elements { get; } = new();
    /// <summary>The data count section's value, if the section is present.</summary>
    public uint? DataCount { get; set; }
    public List<FunctionBody> Bodies { get; } = new();
    public List<DataSegment> Data { get; } = new();
    public List<CustomSection> CustomSections { get; } = new();
    /// <summary>The decoded "name" custom section, if present and well-formed.</summary>
    public NameSection? Names { get; set; }

    /// <summary>
    /// Constructs of features Strand does not implement, in the order found. Always empty for
    /// <see cref="ModuleDecoder.Decode"/> (which throws instead); filled by <see cref="ModuleDecoder.DecodeForAnalysis"/>.
    /// </summary>
    public List<UnsupportedConstruct> Unsupported { get; } = new();

    // Index spaces: imports come first, then definitions.
    public int ImportedFunctionCount { get; set; }
    public int ImportedTableCount { get; set; }
    public int ImportedMemoryCount { get; set; }
    public int ImportedGlobalCount { get; set; }

    public int TotalFunctionCount => ImportedFunctionCount + FunctionTypeIndices.Count;
    public int TotalTableCount => ImportedTableCount + Tables.Count;
    public int TotalMemoryCount => ImportedMemoryCount + Memories.Count;
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

    public FuncType GetFunctionType(uint funcIndex) => Types[(int)GetFunctionTypeIndex(funcIndex)];

    public TableType GetTableType(uint tableIndex) =>
        tableIndex < ImportedTableCount
            ? Imports.Where(i => i.Kind == ExternalKind.Table).ElementAt((int)tableIndex).Table!
            : Tables[(int)(tableIndex - (uint)ImportedTableCount)];

    public MemoryType GetMemoryType(uint memoryIndex) =>
        memoryIndex < ImportedMemoryCount
            ? Imports.Where(i => i.Kind == ExternalKind.Memory).ElementAt((int)memoryIndex).Memory!
            : Memories[(int)(memoryIndex - (uint)ImportedMemoryCount)];

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

public sealed class Import
{
    public required string Module { get; init; }
    public required string Name { get; init; }
    public required ExternalKind Kind { get; init; }
    /// <summary>For function imports.</summary>
    public uint FunctionTypeIndex { get; init; }
    public TableType? Table { get; init; }
    public MemoryType? Memory { get; init; }
    public GlobalType Global { get; init; }

    public override string ToString() => $"{Module}.{Name} ({Kind})";
}

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
        var r = new WasmReader(moduleBytes, Start, End);
        var list = new List<Instruction>();
        while (!r.AtEnd)
        {
            var ins = InstructionDecoder.Read(r);
            if (ins.Opcode == Opcode.End && r.AtEnd) break;
            list.Add(ins);
        }
        return list;
    }
}

public sealed record GlobalDefinition(GlobalType Type, ConstExpr Init);

public enum SegmentMode : byte
{
    Active,
    Passive,
    /// <summary>Element segments only: declares functions referenceable by ref.func.</summary>
    Declarative,
}

public sealed class ElementSegment
{
    public required SegmentMode Mode { get; init; }
    public uint TableIndex { get; init; }
    /// <summary>Offset expression for active segments.</summary>
    public ConstExpr? Offset { get; init; }
    public required ValType ElementType { get; init; }
    /// <summary>Set when the segment lists function indices (elemkind 0x00 forms).</summary>
    public uint[]? FunctionIndices { get; init; }
    /// <summary>Set when the segment lists constant expressions (ref.func / ref.null / global.get).</summary>
    public ConstExpr[]? Expressions { get; init; }
    public int Count => FunctionIndices?.Length ?? Expressions!.Length;
    /// <summary>Byte offset of the segment in the module, for error messages.</summary>
    public int SourceOffset { get; init; }
}

public sealed class DataSegment
{
    public required SegmentMode Mode { get; init; }
    public uint MemoryIndex { get; init; }
    public ConstExpr? Offset { get; init; }
    /// <summary>Position of the segment's bytes within <see cref="ModuleDefinition.Bytes"/>.</summary>
    public required int DataStart { get; init; }
    public required int DataLength { get; init; }
    public int SourceOffset { get; init; }

    public ReadOnlySpan<byte> GetBytes(ModuleDefinition module) => module.Bytes.AsSpan(DataStart, DataLength);
}

public readonly record struct LocalGroup(uint Count, ValType Type);

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

public sealed record CustomSection(string Name, int PayloadStart, int PayloadLength, int SectionOffset)
{
    public ReadOnlySpan<byte> GetPayload(ModuleDefinition module) => module.Bytes.AsSpan(PayloadStart, PayloadLength);
}

/// <summary>The decoded "name" custom section (function, local and global names, and the others).</summary>
public sealed class NameSection
{
    public string? ModuleName { get; set; }
    public Dictionary<uint, string> FunctionNames { get; } = new();
    public Dictionary<uint, Dictionary<uint, string>> LocalNames { get; } = new();
    public Dictionary<uint, string> GlobalNames { get; } = new();
    public Dictionary<uint, string> TableNames { get; } = new();
    public Dictionary<uint, string> MemoryNames { get; } = new();
    public Dictionary<uint, string> DataNames { get; } = new();
    public Dictionary<uint, string> ElementNames { get; } = new();
    public Dictionary<uint, string> TypeNames { get; } = new();
}
