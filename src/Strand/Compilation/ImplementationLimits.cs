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
    /// Upper bound of functions in one generated CLR type (a type holds at most 65,535 methods; a function may need
    /// two). Code is generated in chunks far below it (<see cref="Compilation.CompiledModule.ChunkFunctions"/>).
    /// </summary>
    internal const int FunctionsPerType = 16_384;
}
