namespace Strand.Runtime;

/// <summary>Why guest execution stopped. Messages are the spec test suite's wording.</summary>
public enum TrapCode
{
    /// <summary><c>unreachable</c> executed: "unreachable".</summary>
    Unreachable,
    /// <summary>Integer division or remainder by zero: "integer divide by zero".</summary>
    IntegerDivideByZero,
    /// <summary><c>i32.div_s</c>/<c>i64.div_s</c> of the minimum by -1: "integer overflow".</summary>
    IntegerOverflow,
    /// <summary>A trapping float-to-int conversion of NaN or an out-of-range value: "invalid conversion to integer" (or "integer overflow").</summary>
    InvalidConversionToInteger,
    /// <summary>A memory access outside the memory: "out of bounds memory access".</summary>
    OutOfBoundsMemoryAccess,
    /// <summary>A table access outside the table: "out of bounds table access".</summary>
    OutOfBoundsTableAccess,
    /// <summary><c>call_indirect</c> to a function of another type: "indirect call type mismatch".</summary>
    IndirectCallTypeMismatch,
    /// <summary><c>call_indirect</c> with an index outside the table: "undefined element".</summary>
    UndefinedElement,
    /// <summary><c>call_indirect</c> through a null element: "uninitialized element".</summary>
    UninitializedElement,
    /// <summary>Recursion too deep for the thread's stack: "call stack exhausted".</summary>
    CallStackExhausted,
    /// <summary>An atomic access at an address not aligned to its size: "unaligned atomic".</summary>
    UnalignedAtomic,
    /// <summary><c>memory.atomic.wait</c> on an unshared memory: "expected shared memory".</summary>
    ExpectedSharedMemory,
    /// <summary>A null reference where a non-null one was needed (<c>ref.as_non_null</c>, <c>throw_ref</c>): "null reference".</summary>
    NullReference,
    /// <summary>Execution was interrupted from outside (cancellation, or another thread of a group trapped).</summary>
    Interrupted,
    /// <summary>A thread's shadow stack pointer left its bounds (threads layer).</summary>
    ShadowStackOverflow,
    /// <summary>A thread's shadow stack pointer entered another live thread's stack (threads layer, diagnostic).</summary>
    ShadowStackCollision,
    /// <summary>A host function threw; the original exception is the inner exception.</summary>
    HostError,
    /// <summary><c>call_ref</c> or <c>return_call_ref</c> on a null reference (typed function references): "null function reference".</summary>
    NullFunctionReference,
    /// <summary>A struct instruction on null (GC): "null structure reference".</summary>
    NullStructureReference,
    /// <summary>An array instruction on null (GC): "null array reference".</summary>
    NullArrayReference,
    /// <summary><c>i31.get_s</c>/<c>i31.get_u</c> on null (GC): "null i31 reference".</summary>
    NullI31Reference,
    /// <summary>An array index or range outside the array (GC): "out of bounds array access".</summary>
    OutOfBoundsArrayAccess,
    /// <summary><c>ref.cast</c> of a reference that is not of the target type (GC): "cast failure".</summary>
    CastFailure,
    /// <summary>An array longer than Strand allocates (GC implementation limit): "array too large".</summary>
    ArrayTooLarge,
}

/// <summary>
/// The single exception type for a WebAssembly trap. Guest code never lets any other
/// CLR exception (InvalidCast, Overflow, NullReference, IndexOutOfRange, DivideByZero...) escape.
/// </summary>
public sealed class TrapException : Exception
{
    /// <summary>A trap with the spec's message for <paramref name="code"/>.</summary>
    public TrapException(TrapCode code) : base(DefaultMessage(code)) => Code = code;

    /// <summary>A trap with its own <paramref name="message"/> and optionally the host exception that caused it.</summary>
    public TrapException(TrapCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>Why execution stopped.</summary>
    public TrapCode Code { get; }

    /// <summary>The spec test suite's wording for <paramref name="code"/>.</summary>
    public static string DefaultMessage(TrapCode code) => code switch
    {
        TrapCode.Unreachable => "unreachable",
        TrapCode.IntegerDivideByZero => "integer divide by zero",
        TrapCode.IntegerOverflow => "integer overflow",
        TrapCode.InvalidConversionToInteger => "invalid conversion to integer",
        TrapCode.OutOfBoundsMemoryAccess => "out of bounds memory access",
        TrapCode.OutOfBoundsTableAccess => "out of bounds table access",
        TrapCode.IndirectCallTypeMismatch => "indirect call type mismatch",
        TrapCode.UndefinedElement => "undefined element",
        TrapCode.UninitializedElement => "uninitialized element",
        TrapCode.CallStackExhausted => "call stack exhausted",
        TrapCode.UnalignedAtomic => "unaligned atomic",
        TrapCode.ExpectedSharedMemory => "expected shared memory",
        TrapCode.NullReference => "null reference",
        TrapCode.NullFunctionReference => "null function reference",
        TrapCode.NullStructureReference => "null structure reference",
        TrapCode.NullArrayReference => "null array reference",
        TrapCode.NullI31Reference => "null i31 reference",
        TrapCode.OutOfBoundsArrayAccess => "out of bounds array access",
        TrapCode.CastFailure => "cast failure",
        TrapCode.ArrayTooLarge => "array too large",
        TrapCode.Interrupted => "interrupted",
        TrapCode.ShadowStackOverflow => "shadow stack overflow",
        TrapCode.ShadowStackCollision => "shadow stack collision",
        TrapCode.HostError => "host function failed",
        _ => code.ToString(),
    };
}

/// <summary>Instantiation failed because an import is missing or does not match its declared type.</summary>
public sealed class LinkException : Exception
{
    /// <summary>A link error: <paramref name="message"/> says which import and why ("unknown import", "incompatible import type").</summary>
    public LinkException(string message) : base(message) { }
}
