using Strand.Binary;

namespace Strand.Threads;

/// <summary>
/// Static analysis of the memory layout an LLVM toolchain (clang/wasm-ld, rustc, zig) gives a module:
/// the shadow stack, data end / heap base, TLS, data segments and <c>__wasm_init_memory</c>, plus a verdict on
/// whether threads can share the module's memory. It reads only the decoded module; nothing is executed.
/// </summary>
/// <remarks>
/// <para><b>Finding the stack pointer</b>, in order: (1) a global exported as <c>__stack_pointer</c>;
/// (2) a global the name section calls <c>__stack_pointer</c>; (3) a global imported as <c>__stack_pointer</c>;
/// (4) for stripped modules, a heuristic. The heuristic's candidates are the globals that are
/// defined (not imported), mutable, of type i32, initialised by a single <c>i32.const</c> whose value is
/// non-zero, a multiple of 16 (the wasm32 stack alignment) and at most the memory's initial size; that are
/// not exported under another name and not named otherwise in the name section; and, when <c>__heap_base</c> is
/// known, not above it (as WAMR requires). Candidates that functions allocate frames on come first, then index
/// order; if there are several, a note records the ambiguity.</para>
/// <para><b>Stack range</b>: the stack grows down from the initial value. After the data: [align16(data end),
/// initial). Stack first, or no data at all: [0, initial) — the linker leaves nothing else below the initial value.
/// Data on both sides: the largest empty gap below the initial value, up to it (data between the gap and the
/// initial value is a snapshot's dead frames). The size is high - low.</para>
/// </remarks>
public sealed class ModuleLayout
{
    internal const string StackPointerName = "__stack_pointer";
    private const string DataEndName = "__data_end";
    private const string HeapBaseName = "__heap_base";
    private const string TlsBaseName = "__tls_base";
    private const string TlsSizeName = "__tls_size";
    private const string TlsAlignName = "__tls_align";
    private const string InitTlsName = "__wasm_init_tls";
    private const string InitMemoryName = "__wasm_init_memory";
    private const string TlsTemplateSegmentName = ".tdata";
    private const uint StackAlignment = 16;

    /// <summary>
    /// LLVM's red zone on wasm32, in bytes: a leaf function whose frame fits in it addresses memory below
    /// <c>__stack_pointer</c> without writing the global (WebAssemblyFrameLowering's RedZoneSize). Strand leaves a
    /// band of this size unassigned below every stack it places and keeps the guard's floor above it.
    /// </summary>
    public const uint RedZoneSize = 128;

    private ModuleLayout() { }

    /// <summary>The module's memory that holds the shadow stack (memory 0 unless it has several); null when it has none.</summary>
    public MemoryFacts? Memory { get; private init; }
    /// <summary>
    /// The index of the memory that holds the shadow stack and that threads share: 0 with one memory; with several
    /// (multi-memory), the one the code addresses through <c>__stack_pointer</c> (<see cref="StackMemoryReason"/>); null when
    /// that cannot be told (a thread group then refuses to start).
    /// </summary>
    public uint? StackMemoryIndex { get; private init; }
    /// <summary>How <see cref="StackMemoryIndex"/> was decided, or why it could not be.</summary>
    public string StackMemoryReason { get; private init; } = "";
    /// <summary>The shadow-stack pointer global (<c>__stack_pointer</c>): how it was found, its evidence and range.</summary>
    public required StackPointerInfo StackPointer { get; init; }
    /// <summary><c>__data_end</c>: the end of static data, if found.</summary>
    public required LayoutAddress DataEnd { get; init; }
    /// <summary><c>__heap_base</c>: where the guest heap starts, if found.</summary>
    public required LayoutAddress HeapBase { get; init; }
    /// <summary>Thread-local storage: <c>__tls_base</c>, <c>__tls_size</c>, <c>__tls_align</c>, <c>__wasm_init_tls</c>.</summary>
    public required TlsInfo Tls { get; init; }
    /// <summary>Every data segment with its address range, if constant.</summary>
    public required IReadOnlyList<DataSegmentInfo> DataSegments { get; init; }
    /// <summary>What the start function does (LLVM's <c>__wasm_init_memory</c>: zero fills, init flag), if there is one.</summary>
    public StartFunctionInfo? Start { get; private init; }
    /// <summary>The module's imports as the analysis sees them.</summary>
    public required IReadOnlyList<LayoutImport> Imports { get; init; }
    /// <summary>The module's exports as the analysis sees them.</summary>
    public required IReadOnlyList<LayoutExport> Exports { get; init; }
    /// <summary>Everything ambiguous or inferred, as sentences.</summary>
    public required IReadOnlyList<string> Notes { get; init; }
    /// <summary>Whether the module is safe to run on several threads, as is and under Strand, with the reasons.</summary>
    public required ThreadSafetyVerdict Verdict { get; init; }

    /// <summary>
    /// Every region of memory whose address is known to hold static data: placed data segments, the start
    /// function's zero-filled ranges and its once-flag word. Sorted by start address.
    /// </summary>
    public IReadOnlyList<AddressRange> StaticDataRanges { get; private init; } = [];

    /// <summary>Analyses <paramref name="module"/>. Never throws for a decoded module: problems become notes.</summary>
    public static ModuleLayout Analyze(ModuleDefinition module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var notes = new List<string>();

        var memory = DescribeMemory(module, notes, out var memoryChoice);
        uint stackMemory = memoryChoice.Index ?? 0;
        var start = AnalyzeStart(module, notes, out var memoryInits, stackMemory);
        var segments = DescribeSegments(module, memoryInits, notes, stackMemory);

        var staticRanges = new List<AddressRange>();
        foreach (var s in segments)
            if (s.Range is { } r && !s.IsTlsTemplate) staticRanges.Add(r);
        if (start is not null)
        {
            staticRanges.AddRange(start.ZeroFills);
            if (start.FlagAddress is { } flag) staticRanges.Add(new AddressRange(flag, (ulong)flag + 4));
        }
        staticRanges.RemoveAll(r => r.Size == 0);
        staticRanges.Sort((a, b) => a.Start.CompareTo(b.Start));
        int unplaced = segments.Count(s => s.Address is null && !s.IsTlsTemplate);
        if (unplaced > 0)
            notes.Add($"{unplaced} data segment(s) have no constant address; the inferred data end ignores them.");

        var scan = CodeScan.Run(module);
        if (scan.UndecodableBodies > 0)
            notes.Add($"{scan.UndecodableBodies} function bodies could not be decoded; the code evidence ignores them.");
        bool bssRecorded = start is { ZeroFills.Count: > 0 };

        var dataEnd = FindAddressSymbol(module, DataEndName, notes);
        if (dataEnd.Source == SymbolSource.NotFound && staticRanges.Count > 0)
        {
            ulong end = staticRanges.Max(r => r.End);
            if (end <= uint.MaxValue)
            {
                dataEnd = new LayoutAddress((uint)end, SymbolSource.Inferred, null, IsLowerBound: !bssRecorded);
                notes.Add($"__data_end is not in the binary; inferred 0x{end:x8} as the end of the highest known data (segments, .bss fills and the init flag)"
                          + (bssRecorded ? "." : "; the .bss is recorded nowhere in a stripped module, so the real end may be higher."));
            }
        }
        else if (dataEnd.Value is { } declaredEnd && staticRanges.Count > 0 && staticRanges.Max(r => r.End) > declaredEnd)
        {
            notes.Add($"Some data lies above __data_end (0x{declaredEnd:x8}); the module's symbols and its data disagree.");
        }

        var heapBase = FindAddressSymbol(module, HeapBaseName, notes);
        var stack = FindStackPointer(module, memory, staticRanges, dataEnd, heapBase, scan, notes);
        dataEnd = RaiseDataEndByCode(dataEnd, stack, staticRanges, memory, scan, notes);
        // The band is needed only when some function may use the red zone (or the code could not all be read).
        bool redZoneUsed = stack.RedZoneLeaves > 0 || scan.UndecodableBodies > 0;
        stack = PlaceStack(stack, staticRanges, dataEnd, redZoneUsed, notes);

        if (heapBase.Source == SymbolSource.NotFound)
            heapBase = InferHeapBase(stack, staticRanges, dataEnd, notes);

        var tls = FindTls(module, segments, notes);
        if (tls.TlsBase is null)
            tls = FindTlsByShape(module, stack, start, segments, scan, notes) ?? tls;
        if (tls.FoundByShape && tls.TemplateSegment is { } inferredTemplate)
            segments[inferredTemplate] = segments[inferredTemplate] with { IsInferredTlsTemplate = true };

        var imports = module.Imports.Select(i => new LayoutImport(i.Module, i.Name, i.Kind, DescribeImport(module, i))).ToList();
        var exports = module.Exports.Select(e => new LayoutExport(e.Name, e.Kind, e.Index, DescribeExport(module, e))).ToList();

        var verdict = Judge(memory, stack, tls, module, scan);
        if (memoryChoice.Index is null && memory is not null)
        {
            // Multi-memory without a known stack memory: Strand runs one thread as the module is and refuses a second.
            verdict = verdict with
            {
                UnderStrand = new SafetyAssessment(SafetyLevel.Unknown,
                    [$"Strand cannot tell which memory holds the shadow stack ({memoryChoice.Reason}): it runs one thread as the module is (its stack pointer neither moved nor guarded) and refuses a second."]),
            };
        }

        return new ModuleLayout
        {
            Memory = memory,
            StackMemoryIndex = memoryChoice.Index,
            StackMemoryReason = memoryChoice.Reason,
            StackPointer = stack,
            DataEnd = dataEnd,
            HeapBase = heapBase,
            Tls = tls,
            DataSegments = segments,
            Start = start,
            Imports = imports,
            Exports = exports,
            Notes = notes,
            Verdict = verdict,
            StaticDataRanges = staticRanges,
        };
    }

    // ---------------------------------------------------------------- memory

    private static MemoryFacts? DescribeMemory(ModuleDefinition module, List<string> notes, out StackMemory.Choice choice)
    {
        var spByName = FindGlobal(module, StackPointerName)?.GlobalIndex ?? ImportedStackPointer(module);
        choice = StackMemory.Choose(module, spByName);
        if (module.TotalMemoryCount == 0) return null;
        uint index = choice.Index ?? 0;
        if (module.TotalMemoryCount > 1)
            notes.Add($"The module has {module.TotalMemoryCount} memories; "
                      + (choice.Index is not null ? $"the analysis uses {choice.Reason}." : $"{choice.Reason}; memory 0 is analysed, and a thread group refuses to place stacks."));

        string? exportName = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Memory && e.Index == index)?.Name;
        var import = index < module.ImportedMemoryCount
            ? module.Imports.Where(i => i.Kind == ExternalKind.Memory).ElementAt((int)index)
            : null;
        var type = module.GetMemoryType(index);
        return new MemoryFacts(
            Imported: import is not null,
            ImportModule: import?.Module,
            ImportName: import?.Name,
            ExportName: exportName,
            Shared: type.Shared,
            MinPages: (uint)Math.Min(type.Limits.Min, uint.MaxValue),
            MaxPages: type.Limits.Max is { } max ? (uint)Math.Min(max, uint.MaxValue) : null,
            Index: index,
            Is64: type.Limits.Is64);
    }

    /// <summary>The index of a global imported under the name <c>__stack_pointer</c>, if any.</summary>
    private static uint? ImportedStackPointer(ModuleDefinition module)
    {
        uint globals = 0;
        foreach (var import in module.Imports)
        {
            if (import.Kind != ExternalKind.Global) continue;
            if (import.Name == StackPointerName) return globals;
            globals++;
        }
        return null;
    }

    // ---------------------------------------------------------------- start function

    /// <summary>A constant <c>memory.init</c>: segment <paramref name="Segment"/> bytes [Source, Source+Length) go to <paramref name="Destination"/>.</summary>
    private readonly record struct MemoryInitCall(uint Segment, uint Destination, uint Source, uint Length);

    private static StartFunctionInfo? AnalyzeStart(ModuleDefinition module, List<string> notes, out List<MemoryInitCall> inits, uint memory = 0)
    {
        inits = [];
        if (module.StartFunction is not { } index) return null;

        string? name = FunctionName(module, index);
        bool byName = name == InitMemoryName;
        if (index < module.ImportedFunctionCount || index - (uint)module.ImportedFunctionCount >= module.Bodies.Count)
        {
            return new StartFunctionInfo { FunctionIndex = index, Name = name, IsInitMemory = byName, RecognizedBy = byName ? "name" : null };
        }

        var body = module.Bodies[(int)(index - (uint)module.ImportedFunctionCount)];
        List<Instruction> code;
        try
        {
            code = DecodeBody(module, body);
        }
        catch (Exception e) when (e is WasmFormatException or WasmUnsupportedException)
        {
            notes.Add($"The start function's body could not be decoded ({e.Message}); its memory initialisation is unknown.");
            return new StartFunctionInfo { FunctionIndex = index, Name = name, IsInitMemory = byName, RecognizedBy = byName ? "name" : null };
        }

        uint? flag = null;
        bool hasCmpxchg = false, hasInitOrFill = false, hasWaitOrNotify = false;
        var staticTls = new List<StaticTlsBlock>();
        var fills = new List<AddressRange>();
        for (int i = 0; i < code.Count; i++)
        {
            var ins = code[i];
            switch (ins.Opcode)
            {
                case Opcode.I32AtomicRmwCmpxchg:
                    hasCmpxchg = true;
                    // (i32.atomic.rmw.cmpxchg (i32.const flag) (i32.const 0) (i32.const 1))
                    if (flag is null && ConstAt(code, i - 3) is { } addr && ConstAt(code, i - 2) == 0 && ConstAt(code, i - 1) == 1)
                        flag = EffectiveAddress(addr, ins.MemOffset);
                    break;
                case Opcode.MemoryInit:
                    hasInitOrFill = true;
                    if (ins.Memory == memory && ConstAt(code, i - 3) is { } dst && ConstAt(code, i - 2) is { } src && ConstAt(code, i - 1) is { } len)
                        inits.Add(new MemoryInitCall(ins.Index, dst, src, len));
                    // wasm-ld >= 15, the main thread's TLS block: i32.const C; i32.const C; global.set g; i32.const 0;
                    // i32.const len; memory.init S (the destination is pushed before __tls_base is set to the same C).
                    else if (ins.Memory == memory && i >= 5 && code[i - 3].Opcode == Opcode.GlobalSet && ConstAt(code, i - 4) is { } tlsBase
                             && ConstAt(code, i - 5) == tlsBase && ConstAt(code, i - 2) is { } tlsSrc && ConstAt(code, i - 1) is { } tlsLen)
                    {
                        inits.Add(new MemoryInitCall(ins.Index, tlsBase, tlsSrc, tlsLen));
                        staticTls.Add(new StaticTlsBlock(code[i - 3].Index, ins.Index, tlsBase));
                    }
                    break;
                case Opcode.MemoryFill:
                    hasInitOrFill = true;
                    if (ins.Memory == memory && ConstAt(code, i - 3) is { } fillDst && ConstAt(code, i - 2) == 0 && ConstAt(code, i - 1) is { } fillLen && fillLen > 0)
                        fills.Add(new AddressRange(fillDst, (ulong)fillDst + fillLen));
                    break;
                case Opcode.MemoryAtomicWait32 or Opcode.MemoryAtomicNotify:
                    hasWaitOrNotify = true;
                    break;
            }
        }

        bool byShape = hasCmpxchg && hasInitOrFill && hasWaitOrNotify && flag is not null;
        string? recognizedBy = (byName, byShape) switch
        {
            (true, true) => "name and shape",
            (true, false) => "name",
            (false, true) => "shape",
            _ => null,
        };
        if (byName && !byShape)
            notes.Add("The start function is named __wasm_init_memory but does not have its usual shape (cmpxchg on a flag, memory.init/fill, wait/notify).");

        return new StartFunctionInfo
        {
            FunctionIndex = index,
            Name = name,
            IsInitMemory = byName || byShape,
            RecognizedBy = recognizedBy,
            FlagAddress = byName || byShape ? flag : null,
            ZeroFills = byName || byShape ? fills : [],
            StaticTlsBlocks = byName || byShape ? staticTls : [],
        };
    }

    private static List<Instruction> DecodeBody(ModuleDefinition module, FunctionBody body)
    {
        var reader = WasmReader.ForCode(module, body.CodeStart, body.CodeEnd);
        var list = new List<Instruction>((body.CodeEnd - body.CodeStart) / 2 + 4);
        while (!reader.AtEnd)
        {
            InstructionDecoder.Read(reader, out var ins);
            list.Add(ins);
        }
        return list;
    }

    private static uint? ConstAt(List<Instruction> code, int i) =>
        i >= 0 && i < code.Count && code[i].Opcode == Opcode.I32Const ? (uint)code[i].I32 : null;

    private static uint? EffectiveAddress(uint address, ulong offset)
    {
        ulong ea = address + offset;
        return ea <= uint.MaxValue ? (uint)ea : null;
    }

    // ---------------------------------------------------------------- data segments

    private static List<DataSegmentInfo> DescribeSegments(ModuleDefinition module, List<MemoryInitCall> inits, List<string> notes, uint memory = 0)
    {
        var result = new List<DataSegmentInfo>(module.Data.Count);
        for (int i = 0; i < module.Data.Count; i++)
        {
            var seg = module.Data[i];
            string? name = module.Names?.DataNames.GetValueOrDefault((uint)i);
            uint size = (uint)seg.DataLength;
            uint? address = null;
            var source = SegmentAddressSource.Unknown;

            if (seg.Mode == SegmentMode.Active && seg.MemoryIndex == memory && seg.Offset is { } offset && ConstI32(module, offset) is { } at)
            {
                address = at;
                source = SegmentAddressSource.ActiveOffset;
            }
            else if (seg.Mode == SegmentMode.Passive)
            {
                var calls = inits.Where(c => c.Segment == i).ToList();
                if (calls.Count > 0)
                {
                    var call = calls[0];
                    // The segment's byte 0 lands at Destination - Source; wasm-ld always uses Source = 0.
                    if (call.Source <= call.Destination)
                    {
                        address = call.Destination - call.Source;
                        source = SegmentAddressSource.MemoryInit;
                    }
                    if (calls.Count > 1)
                        notes.Add($"Data segment {i} is copied by {calls.Count} memory.init calls; the first one's address is reported.");
                    if (call.Length != size - Math.Min(size, call.Source))
                        notes.Add($"memory.init of data segment {i} copies {call.Length} of its {size} bytes.");
                }
            }
            result.Add(new DataSegmentInfo(i, name, seg.Mode, size, address, source));
        }
        return result;
    }

    // ---------------------------------------------------------------- symbols

    /// <summary>Value of a constant expression that is a single <c>i32.const</c>, else null (also for an undecodable one).</summary>
    internal static uint? ConstI32(ModuleDefinition module, ConstExpr expr)
    {
        try
        {
            var code = expr.Decode(module.Bytes);
            return code.Count == 1 && code[0].Opcode == Opcode.I32Const ? (uint)code[0].I32 : null;
        }
        catch (Exception e) when (e is WasmFormatException or WasmUnsupportedException)
        {
            return null;
        }
    }

    private static uint? GlobalConstValue(ModuleDefinition module, uint globalIndex)
    {
        if (globalIndex < module.ImportedGlobalCount) return null;
        long defined = globalIndex - (long)module.ImportedGlobalCount;
        if (defined >= module.Globals.Count) return null;
        var g = module.Globals[(int)defined];
        return g.Type.Type == ValType.I32 ? ConstI32(module, g.Init) : null;
    }

    /// <summary>Finds a global by export name, then by name-section name.</summary>
    private static GlobalSymbol? FindGlobal(ModuleDefinition module, string name)
    {
        uint? index = null;
        var source = SymbolSource.NotFound;
        var export = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Global && e.Name == name);
        if (export is not null)
        {
            index = export.Index;
            source = SymbolSource.Export;
        }
        else if (module.Names is { } names)
        {
            foreach (var (i, n) in names.GlobalNames.OrderBy(p => p.Key))
            {
                if (n == name)
                {
                    index = i;
                    source = SymbolSource.NameSection;
                    break;
                }
            }
        }
        if (index is not { } g || g >= module.TotalGlobalCount) return null;
        return new GlobalSymbol(name, g, source, module.GetGlobalType(g), g < module.ImportedGlobalCount, GlobalConstValue(module, g));
    }

    private static FunctionSymbol? FindFunction(ModuleDefinition module, string name)
    {
        var export = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Function && e.Name == name);
        if (export is not null && export.Index < module.TotalFunctionCount)
            return new FunctionSymbol(name, export.Index, SymbolSource.Export);
        if (module.Names is { } names)
        {
            foreach (var (i, n) in names.FunctionNames.OrderBy(p => p.Key))
                if (n == name && i < module.TotalFunctionCount) return new FunctionSymbol(name, i, SymbolSource.NameSection);
        }
        return null;
    }

    private static string? FunctionName(ModuleDefinition module, uint index)
    {
        if (module.Names?.FunctionNames.TryGetValue(index, out var n) == true) return n;
        return module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Function && e.Index == index)?.Name;
    }

    /// <summary>An address symbol like <c>__data_end</c>: must be an immutable i32 global with a constant value.</summary>
    private static LayoutAddress FindAddressSymbol(ModuleDefinition module, string name, List<string> notes)
    {
        var symbol = FindGlobal(module, name);
        if (symbol is null) return LayoutAddress.Unknown;
        if (!symbol.IsImmutableI32 || symbol.ConstValue is null)
        {
            notes.Add($"Global {symbol.GlobalIndex} is called {name} but is not an immutable i32 with a constant value; ignored.");
            return LayoutAddress.Unknown;
        }
        return new LayoutAddress(symbol.ConstValue, symbol.Source, symbol.GlobalIndex);
    }

    // ---------------------------------------------------------------- stack pointer

    private static StackPointerInfo FindStackPointer(
        ModuleDefinition module, MemoryFacts? memory, List<AddressRange> staticRanges,
        LayoutAddress dataEnd, LayoutAddress heapBase, CodeScan scan, List<string> notes)
    {
        var named = FindGlobal(module, StackPointerName);
        if (named is not null)
        {
            var source = named.Source == SymbolSource.Export ? StackPointerSource.Export : StackPointerSource.NameSection;
            if (!named.IsMutableI32)
                notes.Add($"Global {named.GlobalIndex} is called __stack_pointer but is not a mutable i32 ({named.Type}); it cannot be a shadow stack pointer.");
            return WithCodeFacts(new StackPointerInfo
            {
                Source = source,
                GlobalIndex = named.GlobalIndex,
                Imported = named.Imported,
                IsMutableI32 = named.IsMutableI32,
                InitialValue = named.IsMutableI32 ? named.ConstValue : null,
                Evidence = named.IsMutableI32 ? StackEvidence.Strong : StackEvidence.None,
                EvidenceReason = $"named __stack_pointer by the {(source == StackPointerSource.Export ? "export" : "name section")}",
            }, scan);
        }

        // Position-independent code (emscripten side modules, -shared) imports the stack pointer.
        int globalImport = 0;
        foreach (var imp in module.Imports)
        {
            if (imp.Kind != ExternalKind.Global) continue;
            if (imp.Name == StackPointerName)
            {
                notes.Add($"__stack_pointer is imported from \"{imp.Module}\": the host chooses its value, so the module itself fixes no stack.");
                bool mutableI32 = imp.Global is { Mutable: true, Type: ValType.I32 };
                return WithCodeFacts(new StackPointerInfo
                {
                    Source = StackPointerSource.Import,
                    GlobalIndex = (uint)globalImport,
                    Imported = true,
                    IsMutableI32 = mutableI32,
                    Evidence = mutableI32 ? StackEvidence.Strong : StackEvidence.None,
                    EvidenceReason = "imported under the name __stack_pointer",
                }, scan);
            }
            globalImport++;
        }

        var candidates = HeuristicCandidates(module, memory, staticRanges, dataEnd, heapBase);
        if (candidates.Count == 0) return new StackPointerInfo { Source = StackPointerSource.NotFound };

        // Prefer the candidates the code uses the way LLVM uses its stack pointer: prologues that subtract a
        // constant frame size and write the global back (a stable sort keeps index order among equals).
        // Frames allocated on it, or red-zone frames addressed below it: both are how LLVM uses its stack pointer.
        int FrameFunctions(uint g) => scan.Globals.TryGetValue(g, out var use) ? use.FrameFunctions + use.RedZoneLeaves : 0;
        var ranked = candidates.OrderByDescending(c => FrameFunctions(c) > 0).ToList();
        uint chosen = ranked[0];
        int framed = ranked.Count(c => FrameFunctions(c) > 0);
        if (candidates.Count > 1)
            notes.Add($"Several globals fit the stack-pointer heuristic ({string.Join(", ", candidates.Select(c => $"global {c} ({FrameFunctions(c)} frame functions)"))}); chose global {chosen}"
                      + (framed == 1 ? ", the only one that functions allocate frames on." : framed > 1 ? ", the first of those that functions allocate frames on." : ", the first."));
        notes.Add($"No export or name identifies __stack_pointer; global {chosen} was chosen by the heuristic (a defined mutable i32 with a 16-byte aligned constant inside the initial memory).");
        var info = WithCodeFacts(new StackPointerInfo
        {
            Source = StackPointerSource.Heuristic,
            GlobalIndex = chosen,
            IsMutableI32 = true,
            InitialValue = GlobalConstValue(module, chosen),
            HeuristicCandidates = ranked,
        }, scan);
        if (info.FrameFunctions + info.RedZoneLeaves > 0)
        {
            info = info with
            {
                FramedCandidates = framed,
                Evidence = StackEvidence.Strong,
                EvidenceReason = $"{info.FrameFunctions} function(s) allocate frames on it (global.get; i32.const N; i32.sub; ... global.set) and {info.RedZoneLeaves} address a red-zone frame below it, as LLVM's code does"
                                 + (framed > 1 ? $"; {framed - 1} other candidate(s) are used the same way" : ""),
            };
        }
        else
        {
            // Unused only when no candidate is read or written: then no code can keep a stack through any of them.
            bool unused = candidates.All(c => !scan.Globals.TryGetValue(c, out var use) || (use.Reads == 0 && use.WritingFunctions == 0));
            info = info with
            {
                Evidence = StackEvidence.Weak,
                Unused = unused,
                EvidenceReason = unused
                    ? "only its type and initial value fit, and no code reads or writes it"
                    : "only its type and initial value fit; no function allocates a frame on it (it may be, e.g., a bump allocator's pointer)",
            };
            notes.Add($"Global {chosen} fits the stack-pointer heuristic only by its type and value: no function allocates a frame on it, so Strand neither moves nor guards it.");
        }
        return info;
    }

    /// <summary>Adds what the code does with the stack-pointer global (frames, red-zone leaves).</summary>
    private static StackPointerInfo WithCodeFacts(StackPointerInfo info, CodeScan scan)
    {
        if (info.GlobalIndex is not { } g || !scan.Globals.TryGetValue(g, out var use)) return info;
        return info with
        {
            FrameFunctions = use.FrameFunctions,
            RedZoneLeaves = use.RedZoneLeaves,
            LargestRedZoneFrame = use.LargestRedZoneFrame,
            LargestFrame = use.LargestFrame,
        };
    }

    /// <summary>
    /// A stripped module's <c>.bss</c> is in no segment: the code's loads and stores at constant addresses above the
    /// inferred data end (and below the top of a stack placed after the data) show that static data extends at least
    /// that far. Still a lower bound: an array indexed at run time shows only its base.
    /// </summary>
    private static LayoutAddress RaiseDataEndByCode(LayoutAddress dataEnd, StackPointerInfo stack, List<AddressRange> staticRanges, MemoryFacts? memory, CodeScan scan, List<string> notes)
    {
        if (dataEnd.Source is SymbolSource.Export or SymbolSource.NameSection || memory is null) return dataEnd;
        if (dataEnd.Value is not null && !dataEnd.IsLowerBound) return dataEnd;
        ulong from = dataEnd.Value ?? (staticRanges.Count > 0 ? staticRanges[^1].End : 1);
        // Above the stack's top lies the heap (stack after the data), which constant addresses do not reach; with the
        // stack first the data runs from the top upwards, so anything in the initial memory may be static data.
        ulong limit = stack.InitialValue is { } top && top > from ? top : memory.InitialBytes;
        ulong end = 0;
        foreach (var (start, stop, inMemory) in scan.ConstantAccesses)
            if (inMemory == memory.Index && start >= from && start < limit && stop <= limit) end = Math.Max(end, stop);
        if (end == 0 || end <= (dataEnd.Value ?? 0) || end > uint.MaxValue) return dataEnd;
        notes.Add($"The code loads or stores at constant addresses up to 0x{end:x8}, above the data the segments record: static data (.bss) extends at least that far; the data end is raised to it (still a lower bound).");
        return new LayoutAddress((uint)end, SymbolSource.Inferred, null, IsLowerBound: true);
    }

    private static List<uint> HeuristicCandidates(
        ModuleDefinition module, MemoryFacts? memory, List<AddressRange> staticRanges, LayoutAddress dataEnd, LayoutAddress heapBase)
    {
        var result = new List<uint>();
        if (memory is null) return result; // no linear memory: nowhere for a shadow stack to live

        ulong? lowestData = staticRanges.Count > 0 ? staticRanges[0].Start : null;
        ulong? endOfData = dataEnd.Value is { } declared ? declared : staticRanges.Count > 0 ? staticRanges.Max(r => r.End) : null;

        for (int d = 0; d < module.Globals.Count; d++)
        {
            uint index = (uint)(module.ImportedGlobalCount + d);
            var g = module.Globals[d];
            if (!g.Type.Mutable || g.Type.Type != ValType.I32) continue;
            if (ConstI32(module, g.Init) is not { } value) continue;
            if (value == 0 || value % StackAlignment != 0 || value > memory.InitialBytes) continue;
            if (HasOtherName(module, index)) continue;
            // Inside the data is allowed: a gap between data ranges may hold the stack, and a pre-initialised snapshot
            // (Wizer) may record the stack's top frames merged with the data above it. PlaceStack sorts it out.
            if (heapBase.Value is { } hb && value > hb) continue;
            result.Add(index);
        }
        return result;
    }

    /// <summary>True when an export or the name section gives the global a name other than __stack_pointer.</summary>
    private static bool HasOtherName(ModuleDefinition module, uint index)
    {
        if (module.Exports.Any(e => e.Kind == ExternalKind.Global && e.Index == index && e.Name != StackPointerName)) return true;
        // A global the name section calls anything else is not the stack pointer: the linker would name it so.
        return module.Names?.GlobalNames.TryGetValue(index, out var n) == true && n != StackPointerName;
    }

    private static StackPointerInfo PlaceStack(StackPointerInfo stack, List<AddressRange> staticRanges, LayoutAddress dataEnd, bool redZoneUsed, List<string> notes)
    {
        if (stack.InitialValue is not { } top) return stack;

        bool noData = staticRanges.Count == 0 && dataEnd.Value is null;
        if (noData)
        {
            notes.Add($"The module has no data, so the stack's low end is not recorded; reporting [0, 0x{top:x8}) (wasm-ld's default layout would start it at the 1024 global base).");
            var all = new AddressRange(0, top);
            return stack with { Placement = StackPlacement.NoData, Range = all, GuardedRange = all, FloorIsCertain = false };
        }

        ulong lowestData = staticRanges.Count > 0 ? staticRanges[0].Start : dataEnd.Value!.Value;
        ulong end = Math.Max(dataEnd.Value ?? 0, staticRanges.Count > 0 ? staticRanges.Max(r => r.End) : 0);
        bool certain = !dataEnd.IsLowerBound;

        if (top <= lowestData)
        {
            // Nothing below address 0: a red zone below it wraps and traps, so the whole range is usable.
            var range = new AddressRange(0, top);
            return stack with { Placement = StackPlacement.StackFirst, Range = range, GuardedRange = range, FloorIsCertain = true };
        }
        if (top >= end)
            return WithBand(stack with { Placement = StackPlacement.AfterData, FloorIsCertain = certain }, AlignUp(end, StackAlignment), top, redZoneUsed);

        // Data below and above the initial pointer: the stack grows down from it through the largest empty gap below
        // it. Data between that gap and the pointer lies inside the stack: a pre-initialised snapshot (Wizer) records
        // the dead frames left on the stack when it was taken, and may merge the topmost with the data above.
        var (gapStart, gapEnd) = LargestGapBelow(staticRanges, top);
        if (gapEnd - gapStart >= MinimumStackGap)
        {
            if (staticRanges.Any(r => r.Start < top && top < r.End))
                notes.Add($"The initial stack pointer 0x{top:x8} lies inside a data range: the data around it is taken to be a snapshot of the stack's top frames merged with the data above.");
            int inside = staticRanges.Count(r => r.Start >= gapEnd && r.End <= top);
            if (inside > 0)
                notes.Add($"{inside} data range(s) lie in [0x{gapEnd:x8}, 0x{top:x8}), just below the initial stack pointer and above the largest gap below it: taken to be inside the stack (the dead frames a pre-initialised snapshot such as Wizer's records), not data below it.");
            if (gapStart == 0)
            {
                var whole = new AddressRange(0, top);
                return stack with { Placement = StackPlacement.StackFirst, Range = whole, GuardedRange = whole, FloorIsCertain = true };
            }
            ulong low = AlignUp(gapStart, StackAlignment);
            notes.Add($"Static data lies both below and above the initial stack pointer 0x{top:x8} (data appended after linking, e.g. by Asyncify or wasi-vfs); the stack is the gap [0x{low:x8}, 0x{top:x8}).");
            return WithBand(stack with { Placement = StackPlacement.BetweenData, FloorIsCertain = certain }, low, top, redZoneUsed);
        }

        notes.Add($"The initial stack pointer 0x{top:x8} lies inside the static data [0x{lowestData:x8}, 0x{end:x8}); the stack's extent is unknown.");
        return stack with { Placement = StackPlacement.Unknown };
    }

    /// <summary>The smallest empty stretch below the initial stack pointer taken for the stack when data lies on both sides.</summary>
    private const ulong MinimumStackGap = 1024;

    /// <summary>The largest stretch [start, end) below <paramref name="top"/> that no data range touches (the highest one on a tie).</summary>
    private static (ulong Start, ulong End) LargestGapBelow(List<AddressRange> ranges, ulong top)
    {
        (ulong Start, ulong End) best = (0, 0);
        ulong cursor = 0;
        foreach (var r in ranges.Where(r => r.Start < top).OrderBy(r => r.Start))
        {
            if (r.Start > cursor && r.Start - cursor >= best.End - best.Start) best = (cursor, r.Start);
            cursor = Math.Max(cursor, r.End);
        }
        if (top > cursor && top - cursor >= best.End - best.Start) best = (cursor, top);
        return best;
    }

    /// <summary>
    /// The stack [low, top) with static data right below it: when some function uses the red zone, its bottom
    /// <see cref="RedZoneSize"/> bytes are the red-zone band (a leaf called with the stack pointer at the floor then
    /// writes into the band, not into the data); when none does, the whole range is usable.
    /// </summary>
    private static StackPointerInfo WithBand(StackPointerInfo stack, ulong low, ulong top, bool redZoneUsed)
    {
        if (low > top) low = top;
        if (!redZoneUsed) return stack with { Range = new AddressRange(low, top), GuardedRange = new AddressRange(low, top) };
        ulong floor = Math.Min(low + RedZoneSize, top);
        return stack with
        {
            Range = new AddressRange(low, top),
            RedZoneBand = new AddressRange(low, floor),
            GuardedRange = new AddressRange(floor, top),
        };
    }

    private static ulong AlignUp(ulong value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    private static LayoutAddress InferHeapBase(StackPointerInfo stack, List<AddressRange> staticRanges, LayoutAddress dataEnd, List<string> notes)
    {
        ulong allData = Math.Max(dataEnd.Value ?? 0, staticRanges.Count > 0 ? staticRanges.Max(r => r.End) : 0);
        string bound = dataEnd.IsLowerBound ? " (a lower bound: the .bss of a stripped module may end higher)" : "";
        switch (stack.Placement)
        {
            case StackPlacement.AfterData or StackPlacement.NoData when stack.InitialValue is { } top:
                notes.Add($"__heap_base is not in the binary; inferred 0x{top:x8}, the top of the stack (the heap starts where the stack ends).");
                return new LayoutAddress(top, SymbolSource.Inferred, null);
            case StackPlacement.StackFirst or StackPlacement.BetweenData when allData > 0 && AlignUp(allData, StackAlignment) <= uint.MaxValue:
                uint heap = (uint)AlignUp(allData, StackAlignment);
                notes.Add($"__heap_base is not in the binary; inferred 0x{heap:x8}, the end of all static data rounded up to 16{bound}.");
                return new LayoutAddress(heap, SymbolSource.Inferred, null, IsLowerBound: dataEnd.IsLowerBound);
            default:
                return LayoutAddress.Unknown;
        }
    }

    // ---------------------------------------------------------------- TLS

    private static TlsInfo FindTls(ModuleDefinition module, List<DataSegmentInfo> segments, List<string> notes)
    {
        var tlsBase = FindGlobal(module, TlsBaseName);
        var tlsSize = FindGlobal(module, TlsSizeName);
        var tlsAlign = FindGlobal(module, TlsAlignName);
        var initTls = FindFunction(module, InitTlsName);
        var template = segments.FirstOrDefault(s => s.IsTlsTemplate);
        // Strand calls __wasm_init_tls(block) itself: a function of another type under that name cannot be it.
        if (initTls is not null && !HasType(module, initTls.FunctionIndex, [ValType.I32], []))
        {
            notes.Add($"Function {initTls.FunctionIndex} is called __wasm_init_tls but is not of type (i32) -> (); it is not used to set up TLS blocks.");
            initTls = null;
        }

        if (tlsBase is not null && !tlsBase.Type.Mutable)
            notes.Add("__tls_base is immutable: the module was linked without shared memory and has a single TLS block.");
        if (template is not null && tlsBase is null)
            notes.Add("The module has a .tdata segment but no __tls_base global is identifiable.");

        uint? blockSize = tlsSize?.ConstValue ?? template?.Size;
        if (tlsSize is null && template is not null)
            notes.Add($"__tls_size is not in the binary; the TLS block size is taken from the .tdata segment ({template.Size} bytes).");

        return new TlsInfo
        {
            HasThreadLocals = template is not null || tlsBase is not null,
            TlsBase = tlsBase,
            TlsSize = tlsSize,
            TlsAlign = tlsAlign,
            InitTls = initTls,
            TemplateSegment = template?.Index,
            BlockSize = blockSize,
        };
    }

    /// <summary>
    /// Thread-locals of a stripped module (no name section, no TLS exports: Rust's <c>wasm32-wasip1-threads</c> as
    /// shipped), recognised by the shape of the code. A candidate <c>__tls_base</c> is a defined mutable i32 global,
    /// not the stack pointer, that no export or name calls anything else and that no function allocates frames on.
    /// In order: (1) a function with a first i32 parameter that sets such a global from it and <c>memory.init</c>s a
    /// passive segment at that address is <c>__wasm_init_tls</c>, the global <c>__tls_base</c> and the segment the
    /// template; (2) a global that the code writes only from a function's first parameter
    /// (<c>local.get 0; global.set g</c>) or in <c>wasi_thread_start</c> (wasi-libc's sets <c>__tls_base</c> from its
    /// start argument), if at all, and uses as a base address (<c>global.get g; i32.const k; i32.add</c>) together
    /// with exactly one passive segment that the start function does not copy is <c>__tls_base</c> with that
    /// segment as template. <c>__tls_size</c> is then an unnamed immutable i32 global equal to the template's size,
    /// <c>__tls_align</c> the immutable i32 global right after it if its value is a power of two. A global that
    /// <c>wasi_thread_start</c> (or a function it calls) sets, other than the stack pointer, or a base-address global
    /// without a template, is TLS-like state Strand cannot account for (<see cref="TlsInfo.Unaccounted"/>).
    /// </summary>
    private static TlsInfo? FindTlsByShape(ModuleDefinition module, StackPointerInfo stack, StartFunctionInfo? start,
        List<DataSegmentInfo> segments, CodeScan scan, List<string> notes)
    {
        uint? sp = stack.Evidence == StackEvidence.Strong ? stack.GlobalIndex : null;
        // A defined mutable i32 that is not the stack pointer, not named otherwise and has no frames allocated on it.
        bool PossibleBase(uint g)
        {
            if (g == sp || g < module.ImportedGlobalCount || g >= module.TotalGlobalCount) return false;
            var type = module.GetGlobalType(g);
            if (!type.Mutable || type.Type != ValType.I32 || HasOtherName(module, g)) return false;
            return !scan.Globals.TryGetValue(g, out var use) || use.FrameFunctions == 0;
        }
        // Without an init function as evidence: also written only from a parameter or by the thread entry, if at all.
        bool CandidateBase(uint g) => PossibleBase(g) && (!scan.Globals.TryGetValue(g, out var use) || use.OtherWrites == 0);
        GlobalSymbol Symbol(string name, uint g) =>
            new(name, g, SymbolSource.Inferred, module.GetGlobalType(g), false, GlobalConstValue(module, g));

        var evidence = new List<string>();
        GlobalSymbol? tlsBase = null;
        FunctionSymbol? initTls = null;
        int? template = null;

        // The init function's shape is evidence enough: other writes of the base are allowed (newer wasm-ld's
        // __wasm_init_memory points it at a static block for the main thread; Rust saves and restores it around calls).
        var init = scan.InitTlsCandidates.FirstOrDefault(c => PossibleBase(c.BaseGlobal) && c.Segment < segments.Count && segments[(int)c.Segment].Mode == SegmentMode.Passive);
        if (init is not null)
        {
            tlsBase = Symbol(TlsBaseName, init.BaseGlobal);
            initTls = new FunctionSymbol(InitTlsName, init.FunctionIndex, SymbolSource.Inferred);
            template = (int)init.Segment;
            evidence.Add($"func {init.FunctionIndex} sets global {init.BaseGlobal} from its parameter and memory.inits passive data segment {init.Segment} there: __wasm_init_tls, __tls_base and the TLS template.");
        }
        else if (start?.StaticTlsBlocks.FirstOrDefault(b => PossibleBase(b.Global) && b.Segment < segments.Count && segments[(int)b.Segment].Mode == SegmentMode.Passive) is { } block)
        {
            // wasm-ld >= 15 without __wasm_init_tls in the binary: __wasm_init_memory points __tls_base at the main
            // thread's static block and copies the template there (the shape is as specific as the init function's).
            tlsBase = Symbol(TlsBaseName, block.Global);
            template = (int)block.Segment;
            evidence.Add($"__wasm_init_memory sets global {block.Global} to 0x{block.Address:x8} and memory.inits passive data segment {block.Segment} there (wasm-ld's static TLS block for the main thread): __tls_base and the TLS template.");
        }
        else
        {
            // Passive segments the start function (__wasm_init_memory) does not copy: the TLS template is the only one.
            var uncopied = segments.Where(s => s.Mode == SegmentMode.Passive && s.Address is null && s.Name is null or ".tdata").ToList();
            var bases = scan.Globals.Where(p => p.Value.BasePlusConstant > 0 && CandidateBase(p.Key)).Select(p => p.Key).Order().ToList();
            if (bases.Count == 1 && uncopied.Count == 1 && (start?.IsInitMemory ?? false))
            {
                tlsBase = Symbol(TlsBaseName, bases[0]);
                template = uncopied[0].Index;
                evidence.Add($"global {bases[0]} is used as a base address (global.get; i32.const k; i32.add, k up to {scan.Globals[bases[0]].LargestBaseOffset}) and written only from a parameter if at all, and passive data segment {template} is the only one __wasm_init_memory does not copy: __tls_base and the TLS template.");
            }
            else if (bases.Count > 0 && bases.Any(b => scan.Globals[b].ParameterWrites > 0 || uncopied.Count > 0))
            {
                string which = string.Join(", ", bases.Select(b => $"global {b}"));
                string reason = $"{which} {(bases.Count == 1 ? "is" : "are")} used as a base address (global.get; i32.const k; i32.add) and set only from a function parameter, as __tls_base is, but no TLS template and init function could be identified";
                notes.Add($"TLS-like state: {reason}.");
                return new TlsInfo { HasThreadLocals = true, FoundByShape = true, ShapeEvidence = [reason + "."], Unaccounted = reason };
            }
        }

        // wasi_thread_start sets the new thread's globals before user code: any besides the stack pointer is per-thread state.
        var threadStart = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Function && e.Name == "wasi_thread_start");
        string? unaccounted = null;
        if (threadStart is not null)
        {
            var set = new HashSet<uint>(scan.WritesByFunction.GetValueOrDefault(threadStart.Index) ?? []);
            foreach (var callee in scan.CallsByFunction.GetValueOrDefault(threadStart.Index) ?? [])
                set.UnionWith(scan.WritesByFunction.GetValueOrDefault(callee) ?? []);
            var extra = set.Where(g => g != stack.GlobalIndex && g != tlsBase?.GlobalIndex).Order().ToList();
            if (tlsBase is not null && set.Contains(tlsBase.GlobalIndex))
                evidence.Add($"wasi_thread_start (func {threadStart.Index}) sets global {tlsBase.GlobalIndex} before calling user code.");
            if (extra.Count > 0)
            {
                unaccounted = $"wasi_thread_start (func {threadStart.Index}) sets {string.Join(", ", extra.Select(g => $"global {g}"))} for each new thread, per-thread state that Strand cannot identify";
                notes.Add($"TLS-like state: {unaccounted}.");
            }
        }
        if (tlsBase is null && unaccounted is null) return null;

        GlobalSymbol? tlsSize = null, tlsAlign = null;
        if (template is { } t)
        {
            uint size = segments[t].Size;
            for (int d = 0; d < module.Globals.Count; d++)
            {
                uint g = (uint)(module.ImportedGlobalCount + d);
                var global = module.Globals[d];
                if (global.Type.Mutable || global.Type.Type != ValType.I32 || HasOtherName(module, g) || ConstI32(module, global.Init) != size) continue;
                tlsSize = Symbol(TlsSizeName, g);
                evidence.Add($"global {g} is immutable and equals the template's size ({size} bytes): __tls_size.");
                if (d + 1 < module.Globals.Count && module.Globals[d + 1] is { Type: { Mutable: false, Type: ValType.I32 } } next
                    && ConstI32(module, next.Init) is { } align && align is > 0 and <= 65536 && (align & (align - 1)) == 0 && !HasOtherName(module, g + 1))
                {
                    tlsAlign = Symbol(TlsAlignName, g + 1);
                    evidence.Add($"global {g + 1} follows it, immutable, a power of two ({align}): __tls_align.");
                }
                break;
            }
        }
        uint? blockSize = tlsSize?.ConstValue ?? (template is { } tt ? segments[tt].Size : null);
        if (tlsBase is not null && scan.Globals.TryGetValue(tlsBase.GlobalIndex, out var baseUse) && blockSize is { } b && baseUse.LargestBaseOffset >= b)
        {
            unaccounted ??= $"the code addresses global {tlsBase.GlobalIndex} + {baseUse.LargestBaseOffset}, beyond the {b}-byte TLS template, so the block size is unknown";
        }
        foreach (var e in evidence) notes.Add($"TLS recognised by shape: {e}");
        return new TlsInfo
        {
            HasThreadLocals = true,
            TlsBase = tlsBase,
            TlsSize = tlsSize,
            TlsAlign = tlsAlign,
            InitTls = initTls,
            TemplateSegment = template,
            BlockSize = blockSize,
            FoundByShape = true,
            ShapeEvidence = evidence,
            Unaccounted = unaccounted,
        };
    }

    /// <summary>
    /// Defined mutable globals, other than the stack pointer Strand manages and <c>__tls_base</c>, that the code writes
    /// outside the thread entry point (writes there are per-thread set-up, judged as TLS-like state).
    /// </summary>
    private static List<uint> PerInstanceGlobals(ModuleDefinition module, StackPointerInfo stack, TlsInfo tls, CodeScan scan)
    {
        var result = new List<uint>();
        for (int d = 0; d < module.Globals.Count; d++)
        {
            uint g = (uint)(module.ImportedGlobalCount + d);
            if (!module.Globals[d].Type.Mutable) continue;
            if (g == stack.GlobalIndex) continue; // a weak pick is judged as such above
            if (g == tls.TlsBase?.GlobalIndex) continue;
            if (scan.Globals.TryGetValue(g, out var use) && use.ParameterWrites + use.OtherWrites > 0) result.Add(g);
        }
        return result;
    }

    private static bool HasType(ModuleDefinition module, uint function, ValType[] parameters, ValType[] results)
    {
        try
        {
            var type = module.GetFunctionType(function);
            return type.Params.AsSpan().SequenceEqual(parameters) && type.Results.AsSpan().SequenceEqual(results);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    // ---------------------------------------------------------------- imports / exports

    private static string DescribeImport(ModuleDefinition module, Import import) => import.Kind switch
    {
        ExternalKind.Function => import.FunctionTypeIndex < module.Types.Count
            ? $"func {module.Types[(int)import.FunctionTypeIndex]}"
            : $"func (type {import.FunctionTypeIndex})",
        ExternalKind.Table => import.Table is { } t ? $"table {t.ElementType.ToWat()} {t.Limits}" : "table",
        ExternalKind.Memory => import.Memory is { } m ? $"memory {m.Limits}" : "memory",
        ExternalKind.Global => $"global {import.Global}",
        ExternalKind.Tag => import.TagTypeIndex < module.Types.Count ? $"tag {module.Types[(int)import.TagTypeIndex]}" : $"tag (type {import.TagTypeIndex})",
        _ => import.Kind.ToString(),
    };

    private static string DescribeExport(ModuleDefinition module, Export export)
    {
        try
        {
            return export.Kind switch
            {
                ExternalKind.Function => $"func[{export.Index}] {module.GetFunctionType(export.Index)}",
                ExternalKind.Table => $"table[{export.Index}] {module.GetTableType(export.Index).Limits}",
                ExternalKind.Memory => $"memory[{export.Index}] {module.GetMemoryType(export.Index).Limits}",
                ExternalKind.Global => $"global[{export.Index}] {module.GetGlobalType(export.Index)}"
                    + (GlobalConstValue(module, export.Index) is { } v ? $" = {v}" : ""),
                ExternalKind.Tag => $"tag[{export.Index}] {module.Types[(int)module.GetTagTypeIndex(export.Index)]}",
                _ => export.Kind.ToString(),
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            // Decoded but unvalidated modules may export an index that does not exist.
            return $"{export.Kind.ToString().ToLowerInvariant()}[{export.Index}] (index out of range)";
        }
    }

    // ---------------------------------------------------------------- verdict

    private static ThreadSafetyVerdict Judge(MemoryFacts? memory, StackPointerInfo stack, TlsInfo tls, ModuleDefinition module, CodeScan scan)
    {
        bool hasMutableI32 = module.Globals.Any(g => g.Type.Mutable && g.Type.Type == ValType.I32)
                             || module.Imports.Any(i => i.Kind == ExternalKind.Global && i.Global is { Mutable: true, Type: ValType.I32 });

        if (memory is null)
        {
            var none = new SafetyAssessment(SafetyLevel.NotApplicable, ["The module has no linear memory, so there is nothing for threads to share and no shadow stack."]);
            return new ThreadSafetyVerdict(none, none);
        }

        // (a) A host that instantiates the module once per thread and does nothing else.
        SafetyAssessment unmanaged;
        if (!memory.Shared)
        {
            unmanaged = new SafetyAssessment(SafetyLevel.Safe,
                ["The memory is not shared, so instances on different threads cannot share it: each thread has its own memory, stack and data."]);
        }
        else
        {
            var reasons = new List<string>();
            var level = SafetyLevel.Safe;
            if (stack.Found && stack.Evidence == StackEvidence.Weak && stack.Unused)
            {
                reasons.Add($"The only stack-pointer candidate (global {stack.GlobalIndex}) is never read or written, so threads do not share a stack in memory.");
            }
            else if (stack.Found && stack.Evidence == StackEvidence.Weak && stack.InitialValue is { } weakTop)
            {
                level = SafetyLevel.Unsafe;
                reasons.Add($"Every instance starts global {stack.GlobalIndex} (a mutable i32 pointer into memory, perhaps a stack pointer or an allocator's) at {weakTop} (0x{weakTop:x8}): each instance moves its own copy from the same address, so threads on the shared memory hand out or use the same bytes.");
            }
            else if (stack.Found && stack.IsMutableI32 && stack.InitialValue is { } top)
            {
                level = SafetyLevel.Unsafe;
                reasons.Add($"Every instance starts with __stack_pointer (global {stack.GlobalIndex}) = {top} (0x{top:x8}), a constant: threads on the shared memory push their frames at the same addresses and overwrite each other's locals.");
            }
            else if (stack.Imported)
            {
                level = SafetyLevel.Unknown;
                reasons.Add("__stack_pointer is imported: whether threads get distinct stacks depends on what the host passes to each instance.");
            }
            else if (!stack.Found && hasMutableI32)
            {
                level = SafetyLevel.Unknown;
                reasons.Add("No shadow-stack pointer was identified, but the module has mutable i32 globals; one of them may be an unrecognised stack pointer.");
            }
            else if (!stack.Found)
            {
                reasons.Add("The module has no shadow-stack global (no mutable i32 globals), so threads do not share a stack in memory.");
            }
            else
            {
                level = SafetyLevel.Unknown;
                reasons.Add("The stack pointer has no constant initial value; whether threads share a stack cannot be told statically.");
            }

            if (tls.Unaccounted is { } tlsLike)
            {
                if (level == SafetyLevel.Safe) level = SafetyLevel.Unsafe;
                reasons.Add($"TLS-like state: {tlsLike}; every instance starts with the same values, so threads would share it.");
            }
            else if (tls.HasThreadLocals && tls.TlsBase is { } tb && tb.Type.Mutable)
            {
                if (level == SafetyLevel.Safe) level = SafetyLevel.Unsafe;
                string start = tb.ConstValue is { } v ? $"{v} (0x{v:x8})" : "the same constant";
                string fix = tls.InitTls is { } f
                    ? $"unless each thread calls __wasm_init_tls (func {f.FunctionIndex}) with a block of its own"
                    : "; the module has no __wasm_init_tls, so a host would have to set __tls_base and copy the .tdata template itself";
                reasons.Add($"Thread-locals: every instance starts with __tls_base = {start}, so all threads' thread-locals live at the same addresses{(tls.InitTls is null ? "" : " ")}{fix}.");
            }
            unmanaged = new SafetyAssessment(level, reasons);
        }

        // (b) Strand, which allocates a stack and a TLS block per thread.
        SafetyAssessment strand;
        if (!memory.Shared)
        {
            strand = new SafetyAssessment(SafetyLevel.NotApplicable,
                ["Not applicable: the memory is not shared, so Strand cannot run several instances on it from different threads."]);
        }
        else
        {
            var reasons = new List<string>();
            var level = SafetyLevel.Safe;
            if (stack.Found && stack.IsMutableI32 && stack.InitialValue is not null && stack.GlobalIndex is { } unusedGlobal && stack.Evidence == StackEvidence.Weak && stack.Unused)
            {
                reasons.Add($"Global {unusedGlobal} fits the stack-pointer heuristic only by its type and value, and no code reads or writes it: there is no shadow stack in use to separate.");
            }
            else if (stack.Found && stack.IsMutableI32 && stack.InitialValue is not null && stack.GlobalIndex is { } weakGlobal && stack.Evidence == StackEvidence.Weak)
            {
                level = SafetyLevel.Unknown;
                reasons.Add($"Global {weakGlobal} fits the stack-pointer heuristic only weakly ({stack.EvidenceReason}), so Strand neither moves nor guards it; if the module has a shadow stack, threads will share it.");
            }
            else if (stack.Found && stack.IsMutableI32 && stack.InitialValue is { } top && stack.GlobalIndex is { } g)
            {
                string range = stack.Range is { } r ? $" the main stack is {r}, {r.Size} bytes," : "";
                reasons.Add($"Strand sets __stack_pointer (global {g}) of each thread's instance to the top of a stack of its own;{range} so frames cannot collide.");
                if (stack.Source == StackPointerSource.Heuristic)
                {
                    // Ambiguous when another candidate is used for frames too (or none is and there are several).
                    bool ambiguous = stack.FramedCandidates > 1 || (stack.FramedCandidates == 0 && stack.HeuristicCandidates.Count > 1);
                    level = ambiguous ? SafetyLevel.Unknown : SafetyLevel.Safe;
                    reasons.Add($"Caveat: global {g} was chosen by a heuristic (the module is stripped); evidence: {stack.EvidenceReason}. If it is not the stack pointer, threads still share the real one. Export __stack_pointer to be sure.");
                }
                if (stack.Range is null && !stack.Imported)
                    reasons.Add($"The main stack's extent is unknown (placement {stack.Placement}), so the overflow guard's floor for thread 1 is address 0: an overflow of the linker's stack into the static data below it is not caught.");
                if (stack.GuardedRange is { } guarded && !stack.FloorIsCertain)
                    reasons.Add($"The overflow guard's floor 0x{guarded.Start:x8} is a lower bound: the module records no __data_end and its .bss may end higher, so an overflow into the part of the .bss above the floor is not caught.");
            }
            else if (stack.Imported && stack.IsMutableI32)
            {
                reasons.Add("__stack_pointer is imported: Strand supplies a separate global with its own stack to each thread's instance (isolated mode).");
            }
            else if (!stack.Found && !hasMutableI32)
            {
                reasons.Add("The module has no shadow-stack global, so there is no stack in memory to separate.");
            }
            else
            {
                level = SafetyLevel.Unknown;
                reasons.Add("No usable shadow-stack pointer was identified, so Strand cannot give threads separate stacks; if the module has one, threads will share it.");
            }

            if (tls.Unaccounted is { } tlsLike)
            {
                level = level == SafetyLevel.Safe ? SafetyLevel.Unknown : level;
                reasons.Add($"TLS-like state Strand cannot account for: {tlsLike}. Strand refuses to run a second thread of it (ThreadSpawnException) rather than let all threads share one block.");
            }
            else if (tls.HasThreadLocals)
            {
                if (tls.TlsBase is not { IsMutableI32: true })
                {
                    level = level == SafetyLevel.Safe ? SafetyLevel.Unknown : level;
                    reasons.Add("The module has thread-locals but no identifiable mutable __tls_base, so Strand cannot give threads their own TLS block.");
                }
                else if (tls.InitTls is not null)
                    reasons.Add($"Strand gives each thread its own TLS block ({tls.BlockSize?.ToString() ?? "?"} bytes) by calling __wasm_init_tls.");
                else if (tls.TemplateSegment is not null)
                    reasons.Add($"Strand gives each thread its own TLS block ({tls.BlockSize?.ToString() ?? "?"} bytes) by setting __tls_base and copying the .tdata segment (the module has no __wasm_init_tls).");
                else
                {
                    level = level == SafetyLevel.Safe ? SafetyLevel.Unknown : level;
                    reasons.Add("The module has a mutable __tls_base but neither __wasm_init_tls nor a named .tdata segment, so the TLS template is unknown.");
                }
            }
            // Other mutable globals the code writes: each thread's instance has its own copy, which Strand neither
            // separates nor shares. LLVM keeps no program state in globals besides __stack_pointer and __tls_base, so
            // such a global is another runtime's state (an allocator's bump pointer, AssemblyScript's runtime, Emscripten's
            // stack limits): if the program assumes it is process-wide, threads hand out or use the same memory.
            var perInstance = PerInstanceGlobals(module, stack, tls, scan);
            if (perInstance.Count > 0)
            {
                level = level == SafetyLevel.Safe ? SafetyLevel.Unknown : level;
                reasons.Add($"The code writes {string.Join(", ", perInstance.Select(g => $"global {g}"))}, mutable state that every thread's instance keeps a copy of (starting from the same value): if it is meant to be process-wide (e.g. an allocator's pointer), threads will hand out or use the same memory; Strand neither separates nor shares it.");
            }
            strand = new SafetyAssessment(level, reasons);
        }

        return new ThreadSafetyVerdict(unmanaged, strand);
    }
}
