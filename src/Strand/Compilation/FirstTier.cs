namespace Strand.Compilation;

/// <summary>
/// What runs a function before it is compiled (docs/interpreter.md): installed on a <see cref="CompiledModule"/>, it is
/// asked for the entry of every call that finds no code in the module's code table. The compiler knows it only through
/// this contract, so the interpreter (a later stage) depends on the compiler and not the reverse.
/// </summary>
internal abstract class FirstTier
{
    /// <summary>
    /// The address a caller about to jump to defined function <paramref name="definedIndex"/> (whose code-table entry
    /// is 0) must jump to: the function's compiled code (<paramref name="final"/> true: callers may keep it), or an
    /// entry of the first tier valid for this one call only (<paramref name="final"/> false), which the caller must
    /// jump to before anything else runs on its thread.
    /// </summary>
    public abstract nint CallTarget(int definedIndex, out bool final);
}
