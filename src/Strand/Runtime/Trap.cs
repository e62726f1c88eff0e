namespace Strand.Runtime;

/// <summary>Why guest execution stopped. Messages are the spec test suite's wording.</summary>
public enum TrapCode
{
    Unreachable,
    IntegerDivideByZero,
    IntegerOverflow,
    InvalidConversionToInteger,
    OutOfBoundsMemoryAccess,
    OutOfBoundsTableAccess,
    IndirectCallTypeMismatch,
    UndefinedElement,
    UninitializedElement,
    CallStackExhausted,
    UnalignedAtomic,
    ExpectedSharedMemory,
    NullReference,
    /// <summary>Execution was interrupted from outside (cancellation, or another thread of a group trapped).</summary>
    Interrupted,
    /// <summary>A thread's shadow stack pointer left its bounds (threads layer).</summary>
    ShadowStackOverflow,
    /// <summary>A thread's shadow stack pointer entered another live thread's stack (threads layer, diagnostic).</summary>
    ShadowStackCollision,
    /// <summary>A host function threw; the original exception is the inner exception.</summary>
    HostError,
}

/// <summary>
/// The single exception type for a WebAssembly trap. Guest code never lets any other
/// CLR exception (InvalidCast, Overflow, NullReference, IndexOutOfRange, DivideByZero...) escape.
/// </summary>
public sealed class TrapException : Exception
{
    public TrapException(TrapCode code) : base(DefaultMessage(code)) => Code = code;

    public TrapException(TrapCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    public TrapCode Code { get; }

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
    public LinkException(string message) : base(message) { }
}
