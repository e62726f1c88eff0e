namespace Strand.Binary;

/// <summary>
/// A valid module exceeds a limit of Strand's implementation (not of the WebAssembly spec), for example a function
/// whose operand stack is deeper than <see cref="ImplementationLimits.MaxOperandStackDepth"/> values.
/// Raised at compile time (<see cref="Module.Compile(byte[], CompileOptions?)"/>), never as a trap. The limits are listed in docs/compiler.md.
/// </summary>
public sealed class WasmImplementationLimitException : Exception
{
    /// <summary>A module beyond one of Strand's implementation limits; the message starts with "implementation limit: ".</summary>
    public WasmImplementationLimitException(string message) : base("implementation limit: " + message) { }
}
