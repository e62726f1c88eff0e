using Strand.Binary;

namespace Strand.Threads;

/// <summary>A half-open byte range [<see cref="Start"/>, <see cref="End"/>) of linear memory.</summary>
/// <remarks>64-bit so that a range ending exactly at 4 GiB (or a bogus one beyond it) is representable.</remarks>
public readonly record struct AddressRange(ulong Start, ulong End)
{
    /// <summary>Bytes in the range (0 when empty).</summary>
    public ulong Size => End > Start ? End - Start : 0;
    /// <summary>True when <paramref name="address"/> is in [Start, End).</summary>
    public bool Contains(ulong address) => address >= Start && address < End;
    /// <summary>True when the two ranges share a byte.</summary>
    public bool Overlaps(AddressRange other) => Start < other.End && other.Start < End;
    /// <summary>The range as "[0x00001000, 0x00002000)".</summary>
    public override string ToString() => $"[0x{Start:x8}, 0x{End:x8})";
}

/// <summary>How a linker symbol (a global or function) was identified.</summary>
public enum SymbolSource
{
    /// <summary>Not found.</summary>
    NotFound,
    /// <summary>An export with the linker's name.</summary>
    Export,
    /// <summary>The "name" custom section names it.</summary>
    NameSection,
    /// <summary>Not present in the binary; computed from other facts (see the notes).</summary>
    Inferred,
}

/// <summary>How the shadow-stack pointer global was found.</summary>
public enum StackPointerSource
{
    /// <summary>Not found.</summary>
    NotFound,
    /// <summary>Exported as <c>__stack_pointer</c> (e.g. <c>--export=__stack_pointer</c>).</summary>
    Export,
    /// <summary>Named <c>__stack_pointer</c> in the name section.</summary>
    NameSection,
    /// <summary>Imported as <c>__stack_pointer</c> (position-independent modules): the host supplies its value.</summary>
    Import,
    /// <summary>Stripped module: chosen by <see cref="ModuleLayout"/>'s heuristic.</summary>
    Heuristic,
}

/// <summary>Where the shadow stack sits relative to the static data.</summary>
public enum StackPlacement
{
    /// <summary>Not determined (no stack pointer, no constant initial value, or the value lies inside the data).</summary>
    Unknown,
    /// <summary>Stack below the data (<c>--stack-first</c>, Rust): initial pointer &lt;= lowest data address.</summary>
    StackFirst,
    /// <summary>Stack between the end of the data and the heap (wasm-ld's default): initial pointer &gt;= data end.</summary>
    AfterData,
    /// <summary>
    /// Data both below and above the stack (e.g. segments a post-link tool such as Asyncify or wasi-vfs appended at
    /// the old heap base): the stack runs from the end of the highest data below the initial pointer up to it.
    /// </summary>
    BetweenData,
    /// <summary>The module has no data at all, so both layouts look the same: the stack may use everything below its initial pointer.</summary>
    NoData,
}

/// <summary>The module's linear memory that holds the shadow stack (memory 0 unless the module has several: see <see cref="ModuleLayout.StackMemoryIndex"/>).</summary>
public sealed record MemoryFacts(
    bool Imported,
    string? ImportModule,
    string? ImportName,
    string? ExportName,
    bool Shared,
    uint MinPages,
    uint? MaxPages,
    uint Index = 0,
    bool Is64 = false)
{
    /// <summary>The WebAssembly page size in bytes.</summary>
    public const uint PageSize = 65536;
    /// <summary>The initial size in bytes.</summary>
    public ulong InitialBytes => (ulong)MinPages * PageSize;
    /// <summary>The maximum size in bytes, or null when there is none.</summary>
    public ulong? MaximumBytes => MaxPages is { } m ? (ulong)m * PageSize : null;
}

/// <summary>A global the linker defines under a well-known name (<c>__data_end</c>, <c>__tls_base</c>, ...).</summary>
/// <param name="ConstValue">The value of its <c>i32.const</c> initialiser, if it has one.</param>
/// <param name="Name">The linker symbol name.</param>
/// <param name="GlobalIndex">Index in the global index space.</param>
/// <param name="Source">How it was identified.</param>
/// <param name="Type">Its global type.</param>
/// <param name="Imported">True when the global is imported.</param>
public sealed record GlobalSymbol(string Name, uint GlobalIndex, SymbolSource Source, GlobalType Type, bool Imported, uint? ConstValue)
{
    /// <summary>True for a mutable i32 global (what a stack pointer must be).</summary>
    public bool IsMutableI32 => Type.Mutable && Type.Type == ValType.I32;
    /// <summary>True for an immutable i32 global (what <c>__data_end</c> and <c>__heap_base</c> are).</summary>
    public bool IsImmutableI32 => !Type.Mutable && Type.Type == ValType.I32;
}

/// <summary>A function the linker synthesises under a well-known name (<c>__wasm_init_tls</c>).</summary>
public sealed record FunctionSymbol(string Name, uint FunctionIndex, SymbolSource Source);

/// <summary>An address such as <c>__data_end</c>: its value (if known) and where it came from.</summary>
/// <param name="IsLowerBound">True when the value is inferred and the real one may be higher: a stripped module's
/// <c>.bss</c> is recorded nowhere unless the start function zero-fills it, so the inferred data end is only the end of
/// what the segments, the fills and the code's constant addresses show.</param>
/// <param name="Value">The address, when known.</param>
/// <param name="Source">How it was identified.</param>
/// <param name="GlobalIndex">The global holding it, if any.</param>
public sealed record LayoutAddress(uint? Value, SymbolSource Source, uint? GlobalIndex, bool IsLowerBound = false)
{
    /// <summary>An address that was not found.</summary>
    public static readonly LayoutAddress Unknown = new(null, SymbolSource.NotFound, null);
}

/// <summary>The shadow-stack pointer (LLVM's <c>__stack_pointer</c>) and the stack it points into.</summary>
public sealed record StackPointerInfo
{
    /// <summary>How the global was found.</summary>
    public required StackPointerSource Source { get; init; }
    /// <summary>Global index in the module's global index space (imports first).</summary>
    public uint? GlobalIndex { get; init; }
    /// <summary>True when the global is imported (its initial value is the host's).</summary>
    public bool Imported { get; init; }
    /// <summary>True when the global is a mutable i32, as a stack pointer must be.</summary>
    public bool IsMutableI32 { get; init; }
    /// <summary>The constant the linker initialised it with (the top of the main thread's stack).</summary>
    public uint? InitialValue { get; init; }
    /// <summary>Every global the heuristic considered plausible, those that functions allocate frames on first, else in index order (the chosen one first).</summary>
    public IReadOnlyList<uint> HeuristicCandidates { get; init; } = [];
    /// <summary>How many of <see cref="HeuristicCandidates"/> functions allocate frames on.</summary>
    public int FramedCandidates { get; init; }
    /// <summary>Where the main stack lies relative to the static data (LLVM's <c>--stack-first</c> or after the data).</summary>
    public StackPlacement Placement { get; init; }
    /// <summary>The inferred extent of the main stack: [low, high) with high = the initial value. Null when unknown.</summary>
    public AddressRange? Range { get; init; }

    /// <summary>
    /// The bottom <see cref="ModuleLayout.RedZoneSize"/> bytes of <see cref="Range"/> when static data lies right below
    /// it: left unused so that an LLVM leaf function (which addresses up to 128 bytes below the stack pointer without
    /// moving it) called at the bottom of the stack writes there and not into the data. Null when nothing lies
    /// below the stack (stack first: below address 0 every access traps).
    /// </summary>
    public AddressRange? RedZoneBand { get; init; }

    /// <summary>
    /// The range the stack pointer may take under Strand's overflow guard: <see cref="Range"/> minus
    /// <see cref="RedZoneBand"/>. Its start is the guard's floor.
    /// </summary>
    public AddressRange? GuardedRange { get; init; }

    /// <summary>
    /// True when the floor is known to lie above all static data (<c>.bss</c> included): the data end comes from
    /// <c>__data_end</c>, or the start function zero-fills the <c>.bss</c>, or the stack comes first. False when a
    /// stripped module's <c>.bss</c> may extend above the inferred data end, into what is reported as stack.
    /// </summary>
    public bool FloorIsCertain { get; init; }

    /// <summary>How strongly the code supports that this global is a shadow-stack pointer.</summary>
    public StackEvidence Evidence { get; init; }

    /// <summary>With <see cref="StackEvidence.Weak"/>: no code reads or writes the global at all.</summary>
    public bool Unused { get; init; }

    /// <summary>One sentence: why <see cref="Evidence"/> is what it is.</summary>
    public string EvidenceReason { get; init; } = "";

    /// <summary>Functions that allocate a frame on the stack (<c>global.get; i32.const N; i32.sub; ... global.set</c>).</summary>
    public int FrameFunctions { get; init; }

    /// <summary>Leaf functions that use LLVM's red zone: compute <c>__stack_pointer - N</c> (N &lt;= 128) and never write it.</summary>
    public int RedZoneLeaves { get; init; }

    /// <summary>The largest red-zone frame of those leaves, in bytes (0 if none).</summary>
    public uint LargestRedZoneFrame { get; init; }

    /// <summary>The largest constant frame any function subtracts from the stack pointer, in bytes.</summary>
    public uint LargestFrame { get; init; }

    /// <summary>True when a stack-pointer global was identified.</summary>
    public bool Found => Source != StackPointerSource.NotFound;
}

/// <summary>How strongly the module's code supports the stack-pointer identification.</summary>
public enum StackEvidence
{
    /// <summary>No stack pointer.</summary>
    None,
    /// <summary>
    /// Only the heuristic's static facts (a mutable i32 with a plausible constant), and no function allocates frames
    /// on it: it may be something else, e.g. a bump allocator's pointer. Strand neither moves nor guards it.
    /// </summary>
    Weak,
    /// <summary>Named <c>__stack_pointer</c> (export, name section, import), or functions allocate frames on it (or address
    /// red-zone frames below it) the way LLVM does.</summary>
    Strong,
}

/// <summary>Thread-local storage symbols (clang's <c>-ftls-model=local-exec</c> with shared memory).</summary>
public sealed record TlsInfo
{
    /// <summary>True when the module has thread-locals: a <c>.tdata</c> segment or a <c>__tls_base</c> global.</summary>
    public bool HasThreadLocals { get; init; }
    /// <summary><c>__tls_base</c>: the running thread's TLS block address.</summary>
    public GlobalSymbol? TlsBase { get; init; }
    /// <summary><c>__tls_size</c>: the TLS block size in bytes.</summary>
    public GlobalSymbol? TlsSize { get; init; }
    /// <summary><c>__tls_align</c>: the TLS block alignment in bytes.</summary>
    public GlobalSymbol? TlsAlign { get; init; }
    /// <summary><c>__wasm_init_tls(ptr)</c>: initialises a TLS block at ptr and sets <c>__tls_base</c>.</summary>
    public FunctionSymbol? InitTls { get; init; }
    /// <summary>Index of the <c>.tdata</c> data segment (the per-thread template), if named.</summary>
    public int? TemplateSegment { get; init; }
    /// <summary>Bytes per thread: <c>__tls_size</c> if present, else the template segment's length.</summary>
    public uint? BlockSize { get; init; }

    /// <summary>
    /// True when the TLS symbols were recognised by the shape of the code (a stripped module), not by name; see
    /// <see cref="ShapeEvidence"/>.
    /// </summary>
    public bool FoundByShape { get; init; }

    /// <summary>What the shape-based recognition saw, as sentences (empty when the symbols are named).</summary>
    public IReadOnlyList<string> ShapeEvidence { get; init; } = [];

    /// <summary>
    /// Non-null when the module has TLS-like state (a global used as a base address, or one a thread entry point sets
    /// before user code) that Strand cannot give each thread a copy of: the reason, as a sentence. A thread group
    /// then refuses to start a second thread rather than run every thread on one TLS block.
    /// </summary>
    public string? Unaccounted { get; init; }
}

/// <summary>How a data segment's address was learnt.</summary>
public enum SegmentAddressSource
{
    /// <summary>Unknown.</summary>
    Unknown,
    /// <summary>An active segment with an <c>i32.const</c> offset.</summary>
    ActiveOffset,
    /// <summary>A passive segment copied by a constant <c>memory.init</c> in the start function (<c>__wasm_init_memory</c>).</summary>
    MemoryInit,
}

/// <summary>A data segment as the layout analysis sees it.</summary>
/// <param name="Index">The segment's index.</param>
/// <param name="Name">Its name from the name section (LLVM names them <c>.data</c>, <c>.rodata</c>, <c>.tdata</c>, ...), if any.</param>
/// <param name="Mode">Active or passive.</param>
/// <param name="Size">Its length in bytes.</param>
/// <param name="Address">Its address in memory, when known.</param>
/// <param name="AddressSource">How the address was learnt.</param>
public sealed record DataSegmentInfo(
    int Index,
    string? Name,
    SegmentMode Mode,
    uint Size,
    uint? Address,
    SegmentAddressSource AddressSource)
{
    /// <summary>The segment's bytes in memory, when its address is known.</summary>
    public AddressRange? Range => Address is { } a ? new AddressRange(a, (ulong)a + Size) : null;
    /// <summary>True for the TLS template (<c>.tdata</c>, named or recognised by shape): copied into each thread's TLS block, never used in place.</summary>
    public bool IsTlsTemplate => Name == ".tdata" || IsInferredTlsTemplate;

    /// <summary>A stripped module's TLS template, recognised by shape (see <see cref="TlsInfo.ShapeEvidence"/>).</summary>
    public bool IsInferredTlsTemplate { get; init; }
}

/// <summary>The start function and, when it is LLVM's <c>__wasm_init_memory</c>, what it initialises.</summary>
public sealed record StartFunctionInfo
{
    /// <summary>The start function's index.</summary>
    public required uint FunctionIndex { get; init; }
    /// <summary>Its name from the name section, if any.</summary>
    public string? Name { get; init; }
    /// <summary>True when it is LLVM's <c>__wasm_init_memory</c> (by name or shape).</summary>
    public bool IsInitMemory { get; init; }
    /// <summary>"name", "shape" or "name and shape"; null when it is not <c>__wasm_init_memory</c>.</summary>
    public string? RecognizedBy { get; init; }
    /// <summary>Address of the 4-byte once-flag (the cmpxchg target).</summary>
    public uint? FlagAddress { get; init; }
    /// <summary>Constant <c>memory.fill</c> ranges (the <c>.bss</c>, zeroed once).</summary>
    public IReadOnlyList<AddressRange> ZeroFills { get; init; } = [];
    /// <summary>
    /// The main thread's static TLS block, as wasm-ld 15 and later set it up in <c>__wasm_init_memory</c>:
    /// <c>i32.const C; i32.const C; global.set g; i32.const 0; i32.const len; memory.init S</c> points global g
    /// (<c>__tls_base</c>) at C and copies passive segment S (the TLS template) there.
    /// </summary>
    public IReadOnlyList<StaticTlsBlock> StaticTlsBlocks { get; init; } = [];
}

/// <summary>A start function sets global <paramref name="Global"/> to <paramref name="Address"/> and copies passive segment <paramref name="Segment"/> there.</summary>
public sealed record StaticTlsBlock(uint Global, uint Segment, uint Address);

/// <summary>An import as the layout analysis lists it.</summary>
/// <param name="Module">The import module name.</param>
/// <param name="Name">The import name.</param>
/// <param name="Kind">Function, table, memory or global.</param>
/// <param name="Description">Its type in text-format style.</param>
public sealed record LayoutImport(string Module, string Name, ExternalKind Kind, string Description);

/// <summary>An export as the layout analysis lists it.</summary>
/// <param name="Name">The export name.</param>
/// <param name="Kind">Function, table, memory or global.</param>
/// <param name="Index">Index in the kind's index space.</param>
/// <param name="Description">Its type in text-format style.</param>
public sealed record LayoutExport(string Name, ExternalKind Kind, uint Index, string Description);

/// <summary>The thread-safety verdict of a module (<see cref="ThreadSafetyVerdict"/>).</summary>
public enum SafetyLevel
{
    /// <summary>Safe on several threads sharing its memory.</summary>
    Safe,
    /// <summary>Threads sharing its memory would corrupt each other's state (shadow stacks, TLS).</summary>
    Unsafe,
    /// <summary>Unknown.</summary>
    Unknown,
    /// <summary>The question does not arise (e.g. no memory, or an unshared one).</summary>
    NotApplicable,
}

/// <summary>One half of the verdict: a level and the human-readable reasons for it.</summary>
public sealed record SafetyAssessment(SafetyLevel Level, IReadOnlyList<string> Reasons);

/// <summary>
/// Whether several threads can run instances of this module on one shared memory.
/// <see cref="WithoutStackManagement"/>: a host that just instantiates the module on each thread, so every
/// instance starts with the linker's constant stack pointer (the seed's "unsafe run").
/// <see cref="UnderStrand"/>: Strand, which gives each thread its own shadow stack and TLS block.
/// </summary>
public sealed record ThreadSafetyVerdict(SafetyAssessment WithoutStackManagement, SafetyAssessment UnderStrand);
