namespace Strand;

/// <summary>
/// Limits of Strand's implementation that valid modules can reach (see docs/compiler.md, "Implementation limits").
/// Exceeding one is a <see cref="Binary.WasmImplementationLimitException"/> at compile time, never a trap or a crash.
/// </summary>
public static class ImplementationLimits
{
    /// <summary>
    /// The deepest operand stack a function may reach, in values. The wasm operand stack is the CIL evaluation stack,
    /// whose depth a method header records in 16 bits (65,535); the rest is headroom for the values the compiler
    /// pushes itself (result addresses, the callee's context and code pointer).
    /// </summary>
    public const int MaxOperandStackDepth = 50_000;

    /// <summary>
    /// The most parameters and results together of a function type that a function, an import or a
    /// <c>call_indirect</c> uses. A function becomes a CLR method with one argument per parameter, one byref per
    /// result after the first and a context argument; the JIT rejects methods and calls with more than about 8,200
    /// arguments ("invalid program"). Web engines allow 1,000 parameters and 1,000 results.
    /// </summary>
    public const int MaxFunctionTypeArity = 8_192;

    /// <summary>
    /// The most operand values a function may keep on the stack across the control-flow joins of its compiled code,
    /// summed over those joins (<see cref="Binary.FunctionBody.BranchSpillUnits"/>: each block counts its stack height
    /// thrice, each other instruction that may branch, such as a memory access or <c>br_if</c>, twice). The JIT spills
    /// the evaluation stack into fresh slots at every join, so a deep stack held across thousands of branches makes a
    /// frame of many megabytes and takes the JIT minutes and gigabytes. Compiler-generated code stays far below
    /// (a 100,000-instruction function at a typical height of 2: about 160,000).
    /// </summary>
    public const long MaxBranchSpillUnits = 1_000_000;

    /// <summary>
    /// The most <c>loop</c> instructions in one function. Every loop header gets an interruption check, and the JIT a
    /// patchpoint: about 6 KB of JIT memory per loop (measured: 100,000 loops, sequential or nested, 600 MB and 1.4 s;
    /// 1,000,000 loops, 5.6 GB). Compiled C and Rust functions have at most a few thousand.
    /// </summary>
    public const int MaxLoopsPerFunction = 65_536;

    /// <summary>
    /// The most memories (imported and defined, multi-memory) a module may have. Each defined memory reserves up to
    /// 4 GiB of address space (64 GiB for a 64-bit one) and a kernel mapping, and a process keeps at most 16,384 live
    /// reservations: a few bytes of binary per memory could otherwise exhaust them in one instantiation. Programs use a
    /// handful; the spec suite at most a few.
    /// </summary>
    public const int MaxMemories = 256;

    /// <summary>
    /// The most <c>try_table</c> and legacy <c>try</c> instructions in one function (exception handling): each is a CIL
    /// protected region, and the JIT's work grows with the square of their number (measured: 5,000 sequential regions
    /// 2.6 s, 10,000: 13 s). C++ functions compiled with -fwasm-exceptions have one per call in a scope with
    /// destructors: hundreds in big functions.
    /// </summary>
    public const int MaxTryRegionsPerFunction = 5_000;

    /// <summary>
    /// The most try regions of one function counted with their nesting (<see cref="Binary.FunctionBody.TryNestingUnits"/>:
    /// a region nested in n others counts n + 1). The JIT's work also grows with that sum (measured: 1,000 nested
    /// regions, a sum of 500,500: 3.6 s; 1,000 nested around 4,000 more: 44 s and 560 MB; 10,000 nested: over 2 minutes
    /// and 2.5 GB).
    /// </summary>
    public const long MaxTryNestingUnits = 250_000;

    /// <summary>
    /// The most branches out of try regions in one function, each counted once per region it leaves
    /// (<see cref="Binary.FunctionBody.TryExitUnits"/>): the compiled code leaves one region at a time, with a stub per
    /// region and branch (measured: 300 nested regions left by 300 branches each, 90,000 units: 2.8 s and 330 MB;
    /// 204,000 units: 8 s and 680 MB).
    /// </summary>
    public const long MaxTryExitUnits = 100_000;

    /// <summary>
    /// The most types (type section entries) a module may define, as in V8. A reference type packs its type index into
    /// 21 bits (<see cref="Binary.ValTypes"/>), so an index at or above <see cref="Binary.ValTypes.OutOfRangeTypeIndex"/>
    /// can name no type and is reported "unknown type".
    /// </summary>
    public const int MaxTypes = 1_000_000;

    /// <summary>
    /// The longest declared supertype chain below a type (its subtyping depth; a type without a supertype has depth 0),
    /// as in V8 and wasmparser. Each canonical type keeps its whole chain for one-read subtype checks
    /// (<see cref="Validation.TypeRegistry"/>), so an unbounded chain costs the square of its length: a chain of 30,000
    /// struct types (190 KB of binary) took 1.8 GB, and 1,000,000 would take terabytes.
    /// </summary>
    public const int MaxSubtypingDepth = 63;

    /// <summary>
    /// The most fields a struct type may declare, as the JS API's limits and wasmparser (10,000). Every field is a slot
    /// of each allocated struct and an operand of <c>struct.new</c>, which the compiler keeps on the CIL stack: a
    /// million-field type made one allocation of 16 MB and a <c>struct.new</c> of 49,000 operands took the JIT seconds.
    /// Checked when the type section is decoded.
    /// </summary>
    public const int MaxStructFields = 10_000;

    /// <summary>
    /// The most operands of one <c>array.new_fixed</c>, in a function body or a constant expression, as the JS API's
    /// limits (10,000). Checked during validation.
    /// </summary>
    public const int MaxArrayNewFixedOperands = 10_000;
}
