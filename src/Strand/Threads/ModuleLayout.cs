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
/// not exported under another name and not named otherwise in the name section; and, when data addresses are
/// known, whose value is either &lt;= the lowest data address (stack first) or &gt;= the data end (stack after
/// the data), and, when <c>__heap_base</c> is known, not above it (as WAMR requires). The first candidate in
/// index order wins; if there are several, a note records the ambiguity.</para>
/// <para><b>Stack range</b>: the stack grows down from the initial value. After the data: [align16(data end),
/// initial). Stack first, or no data at all: [0, initial) — the linker leaves nothing else below the initial value.
/// The size is high - low.</para>
/// </remarks>
public sealed class ModuleLayout
{
    private const string StackPointerName = "__stack_pointer";
    private const string DataEndName = "__data_end";
    private const string HeapBaseName = "__heap_base";
    private const string TlsBaseName = "__tls_base";
    private const string TlsSizeName = "__tls_size";
    private const string TlsAlignName = "__tls_align";
    private const string InitTlsName = "__wasm_init_tls";
    private const string InitMemoryName = "__wasm_init_memory";
    private const string TlsTemplateSegmentName = ".tdata";
    private const uint StackAlignment = 16;

    private ModuleLayout() { }

    /// <summary>The module's memory 0; null when it has none.</summary>
    public MemoryFacts? Memory { get; private init; }
    public required StackPointerInfo StackPointer { get; init; }
    public required LayoutAddress DataEnd { get; init; }
    public required LayoutAddress HeapBase { get; init; }
    public required TlsInfo Tls { get; init; }
    public required IReadOnlyList<DataSegmentInfo> DataSegments { get; init; }
    public StartFunctionInfo? Start { get; private init; }
    public required IReadOnlyList<LayoutImport> Imports { get; init; }
    public required IReadOnlyList<LayoutExport> Exports { get; init; }
    /// <summary>Everything ambiguous or inferred, as sentences.</summary>
    public required IReadOnlyList<string> Notes { get; init; }
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

        var memory = DescribeMemory(module, notes);
        var start = AnalyzeStart(module, notes, out var memoryInits);
        var segments = DescribeSegments(module, memoryInits, notes);

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

        var dataEnd = FindAddressSymbol(module, DataEndName, notes);
        if (dataEnd.Source == SymbolSource.NotFound && staticRanges.Count > 0)
        {
            ulong end = staticRanges.Max(r => r.End);
            if (end <= uint.MaxValue)
            {
                dataEnd = new LayoutAddress((uint)end, SymbolSource.Inferred, null);
                notes.Add($"__data_end is not in the binary; inferred 0x{end:x8} as the end of the highest known data (segments, .bss fills and the init flag).");
            }
        }
        else if (dataEnd.Value is { } declaredEnd && staticRanges.Count > 0 && staticRanges.Max(r => r.End) > declaredEnd)
        {
            notes.Add($"Some data lies above __data_end (0x{declaredEnd:x8}); the module's symbols and its data disagree.");
        }

        var heapBase = FindAddressSymbol(module, HeapBaseName, notes);
        var stack = FindStackPointer(module, memory, staticRanges, dataEnd, heapBase, notes);
        stack = PlaceStack(stack, staticRanges, dataEnd, notes);

        if (heapBase.Source == SymbolSource.NotFound)
            heapBase = InferHeapBase(stack, dataEnd, notes);

        var tls = FindTls(module, segments, notes);
        NoteStrippedTlsBase(module, stack, tls, segments, notes);

        var imports = module.Imports.Select(i => new LayoutImport(i.Module, i.Name, i.Kind, DescribeImport(module, i))).ToList();
        var exports = module.Exports.Select(e => new LayoutExport(e.Name, e.Kind, e.Index, DescribeExport(module, e))).ToList();

        var verdict = Judge(memory, stack, tls, module);

        return new ModuleLayout
        {
            Memory = memory,
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

    private static MemoryFacts? DescribeMemory(ModuleDefinition module, List<string> notes)
    {
        if (module.TotalMemoryCount == 0) return null;
        if (module.TotalMemoryCount > 1)
            notes.Add($"The module has {module.TotalMemoryCount} memories; only memory 0 is analysed (LLVM puts the stack and data there).");

        string? exportName = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Memory && e.Index == 0)?.Name;
        var import = module.Imports.FirstOrDefault(i => i.Kind == ExternalKind.Memory);
        var type = module.GetMemoryType(0);
        return new MemoryFacts(
            Imported: module.ImportedMemoryCount > 0,
            ImportModule: module.ImportedMemoryCount > 0 ? import?.Module : null,
            ImportName: module.ImportedMemoryCount > 0 ? import?.Name : null,
            ExportName: exportName,
            Shared: type.Shared,
            MinPages: type.Limits.Min,
            MaxPages: type.Limits.Max);
    }

    // ---------------------------------------------------------------- start function

    /// <summary>A constant <c>memory.init</c>: segment <paramref name="Segment"/> bytes [Source, Source+Length) go to <paramref name="Destination"/>.</summary>
    private readonly record struct MemoryInitCall(uint Segment, uint Destination, uint Source, uint Length);

    private static StartFunctionInfo? AnalyzeStart(ModuleDefinition module, List<string> notes, out List<MemoryInitCall> inits)
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
                    if (ins.Index2 == 0 && ConstAt(code, i - 3) is { } dst && ConstAt(code, i - 2) is { } src && ConstAt(code, i - 1) is { } len)
                        inits.Add(new MemoryInitCall(ins.Index, dst, src, len));
                    break;
                case Opcode.MemoryFill:
                    hasInitOrFill = true;
                    if (ins.Index == 0 && ConstAt(code, i - 3) is { } fillDst && ConstAt(code, i - 2) == 0 && ConstAt(code, i - 1) is { } fillLen && fillLen > 0)
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
        };
    }

    private static List<Instruction> DecodeBody(ModuleDefinition module, FunctionBody body)
    {
        var reader = new WasmReader(module.Bytes, body.CodeStart, body.CodeEnd);
        var list = new List<Instruction>();
        while (!reader.AtEnd) list.Add(InstructionDecoder.Read(reader));
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

    private static List<DataSegmentInfo> DescribeSegments(ModuleDefinition module, List<MemoryInitCall> inits, List<string> notes)
    {
        var result = new List<DataSegmentInfo>(module.Data.Count);
        for (int i = 0; i < module.Data.Count; i++)
        {
            var seg = module.Data[i];
            string? name = module.Names?.DataNames.GetValueOrDefault((uint)i);
            uint size = (uint)seg.DataLength;
            uint? address = null;
            var source = SegmentAddressSource.Unknown;

            if (seg.Mode == SegmentMode.Active && seg.MemoryIndex == 0 && seg.Offset is { } offset && ConstI32(module, offset) is { } at)
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

    /// <summary>Value of a constant expression that is a single <c>i32.const</c>, else null.</summary>
    private static uint? ConstI32(ModuleDefinition module, ConstExpr expr)
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
        LayoutAddress dataEnd, LayoutAddress heapBase, List<string> notes)
    {
        var named = FindGlobal(module, StackPointerName);
        if (named is not null)
        {
            var source = named.Source == SymbolSource.Export ? StackPointerSource.Export : StackPointerSource.NameSection;
            if (!named.IsMutableI32)
                notes.Add($"Global {named.GlobalIndex} is called __stack_pointer but is not a mutable i32 ({named.Type}); it cannot be a shadow stack pointer.");
            return new StackPointerInfo
            {
                Source = source,
                GlobalIndex = named.GlobalIndex,
                Imported = named.Imported,
                IsMutableI32 = named.IsMutableI32,
                InitialValue = named.IsMutableI32 ? named.ConstValue : null,
            };
        }

        // Position-independent code (emscripten side modules, -shared) imports the stack pointer.
        int globalImport = 0;
        foreach (var imp in module.Imports)
        {
            if (imp.Kind != ExternalKind.Global) continue;
            if (imp.Name == StackPointerName)
            {
                notes.Add($"__stack_pointer is imported from \"{imp.Module}\": the host chooses its value, so the module itself fixes no stack.");
                return new StackPointerInfo
                {
                    Source = StackPointerSource.Import,
                    GlobalIndex = (uint)globalImport,
                    Imported = true,
                    IsMutableI32 = imp.Global is { Mutable: true, Type: ValType.I32 },
                };
            }
            globalImport++;
        }

        var candidates = HeuristicCandidates(module, memory, staticRanges, dataEnd, heapBase);
        if (candidates.Count == 0) return new StackPointerInfo { Source = StackPointerSource.NotFound };

        uint chosen = candidates[0];
        if (candidates.Count > 1)
            notes.Add($"Several globals fit the stack-pointer heuristic ({string.Join(", ", candidates.Select(c => $"global {c}"))}); chose global {chosen}, the first.");
        notes.Add($"No export or name identifies __stack_pointer; global {chosen} was chosen by the heuristic (first defined mutable i32 with a 16-byte aligned constant inside the initial memory and outside the data).");
        return new StackPointerInfo
        {
            Source = StackPointerSource.Heuristic,
            GlobalIndex = chosen,
            IsMutableI32 = true,
            InitialValue = GlobalConstValue(module, chosen),
            HeuristicCandidates = candidates,
        };
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
            if (lowestData is { } low && endOfData is { } high && value > low && value < high) continue; // inside the data
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

    private static StackPointerInfo PlaceStack(StackPointerInfo stack, List<AddressRange> staticRanges, LayoutAddress dataEnd, List<string> notes)
    {
        if (stack.InitialValue is not { } top) return stack;

        bool noData = staticRanges.Count == 0 && dataEnd.Value is null;
        if (noData)
        {
            notes.Add($"The module has no data, so the stack's low end is not recorded; reporting [0, 0x{top:x8}) (wasm-ld's default layout would start it at the 1024 global base).");
            return stack with { Placement = StackPlacement.NoData, Range = new AddressRange(0, top) };
        }

        ulong lowestData = staticRanges.Count > 0 ? staticRanges[0].Start : dataEnd.Value!.Value;
        ulong end = dataEnd.Value ?? staticRanges.Max(r => r.End);

        if (top <= lowestData)
            return stack with { Placement = StackPlacement.StackFirst, Range = new AddressRange(0, top) };
        if (top >= end)
        {
            ulong low = AlignUp(end, StackAlignment);
            if (low > top) low = top;
            return stack with { Placement = StackPlacement.AfterData, Range = new AddressRange(low, top) };
        }

        notes.Add($"The initial stack pointer 0x{top:x8} lies inside the static data [0x{lowestData:x8}, 0x{end:x8}); the stack's extent is unknown.");
        return stack with { Placement = StackPlacement.Unknown };
    }

    private static ulong AlignUp(ulong value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    private static LayoutAddress InferHeapBase(StackPointerInfo stack, LayoutAddress dataEnd, List<string> notes)
    {
        switch (stack.Placement)
        {
            case StackPlacement.AfterData or StackPlacement.NoData when stack.InitialValue is { } top:
                notes.Add($"__heap_base is not in the binary; inferred 0x{top:x8}, the top of the stack (the heap starts where the stack ends).");
                return new LayoutAddress(top, SymbolSource.Inferred, null);
            case StackPlacement.StackFirst when dataEnd.Value is { } end && AlignUp(end, StackAlignment) <= uint.MaxValue:
                uint heap = (uint)AlignUp(end, StackAlignment);
                notes.Add($"__heap_base is not in the binary; inferred 0x{heap:x8}, the data end rounded up to 16 (stack-first layout).");
                return new LayoutAddress(heap, SymbolSource.Inferred, null);
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

    /// <summary>In a stripped module, __tls_base is a mutable i32 initialised to 0: flag such globals.</summary>
    private static void NoteStrippedTlsBase(ModuleDefinition module, StackPointerInfo stack, TlsInfo tls, List<DataSegmentInfo> segments, List<string> notes)
    {
        if (tls.TlsBase is not null || module.Names?.GlobalNames.Count > 0) return;
        for (int d = 0; d < module.Globals.Count; d++)
        {
            uint index = (uint)(module.ImportedGlobalCount + d);
            var g = module.Globals[d];
            if (index == stack.GlobalIndex || !g.Type.Mutable || g.Type.Type != ValType.I32) continue;
            if (module.Exports.Any(e => e.Kind == ExternalKind.Global && e.Index == index)) continue;
            if (ConstI32(module, g.Init) != 0) continue;
            // __wasm_init_memory copies every passive segment except the TLS template, so an uncopied one is a .tdata suspect.
            var template = segments.FirstOrDefault(s => s.Mode == SegmentMode.Passive && s.Address is null);
            notes.Add($"Global {index} (mutable i32 = 0, unnamed) may be __tls_base of a stripped module with thread-locals"
                      + (template is null ? "." : $"; passive data segment {template.Index} ({template.Size} bytes), which the start function does not copy, may be its .tdata template."));
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

    private static ThreadSafetyVerdict Judge(MemoryFacts? memory, StackPointerInfo stack, TlsInfo tls, ModuleDefinition module)
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
            if (stack.Found && stack.IsMutableI32 && stack.InitialValue is { } top)
            {
                level = SafetyLevel.Unsafe;
                reasons.Add($"Every instance starts with __stack_pointer (global {stack.GlobalIndex}) = {top} (0x{top:x8}), a constant: threads on the shared memory push their frames at the same addresses and overwrite each other's locals.");
            }
            else if (stack.Source == StackPointerSource.Import)
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

            if (tls.HasThreadLocals && tls.TlsBase is { } tb && tb.Type.Mutable)
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
            if (stack.Found && stack.IsMutableI32 && stack.InitialValue is { } top && stack.GlobalIndex is { } g)
            {
                string range = stack.Range is { } r ? $" the main stack is {r}, {r.Size} bytes," : "";
                reasons.Add($"Strand sets __stack_pointer (global {g}) of each thread's instance to the top of a stack of its own;{range} so frames cannot collide.");
                if (stack.Source == StackPointerSource.Heuristic)
                {
                    level = stack.HeuristicCandidates.Count > 1 ? SafetyLevel.Unknown : SafetyLevel.Safe;
                    reasons.Add($"Caveat: global {g} was chosen by a heuristic (the module is stripped){(stack.HeuristicCandidates.Count > 1 ? " among several candidates" : "")}; if it is not the stack pointer, threads still share the real one. Export __stack_pointer to be sure.");
                }
            }
            else if (stack.Source == StackPointerSource.Import && stack.IsMutableI32)
            {
                reasons.Add("__stack_pointer is imported: Strand supplies a separate global with its own stack to each thread's instance.");
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

            if (tls.HasThreadLocals)
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
            strand = new SafetyAssessment(level, reasons);
        }

        return new ThreadSafetyVerdict(unmanaged, strand);
    }
}
