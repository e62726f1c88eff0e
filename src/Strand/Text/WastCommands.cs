namespace Strand.Text;

/// <summary>Type of a script constant.</summary>
public enum WastValueType
{
    /// <summary>i32.</summary>
    I32,
    /// <summary>i64.</summary>
    I64,
    /// <summary>f32.</summary>
    F32,
    /// <summary>f64.</summary>
    F64,
    /// <summary>funcref.</summary>
    FuncRef,
    /// <summary>externref.</summary>
    ExternRef,
    /// <summary>exnref (exception handling; only <c>ref.null exn</c> is written in scripts).</summary>
    ExnRef,
}

/// <summary>
/// A constant in a script (an argument or an exact expected result). Numbers carry their exact
/// bits (f32 as the low 32 bits, f64 as the full 64). A reference is either null
/// (<see cref="IsNull"/>) or, for <c>ref.extern N</c>, the host reference number N in <see cref="Bits"/>.
/// </summary>
public readonly record struct WastValue(WastValueType Type, ulong Bits, bool IsNull = false)
{
    /// <summary>An i32 argument or result with <paramref name="bits"/>.</summary>
    public static WastValue I32(uint bits) => new(WastValueType.I32, bits);
    /// <summary>An i64 with <paramref name="bits"/>.</summary>
    public static WastValue I64(ulong bits) => new(WastValueType.I64, bits);
    /// <summary>An f32 with <paramref name="bits"/> (NaN payloads kept).</summary>
    public static WastValue F32(uint bits) => new(WastValueType.F32, bits);
    /// <summary>An f64 with <paramref name="bits"/> (NaN payloads kept).</summary>
    public static WastValue F64(ulong bits) => new(WastValueType.F64, bits);
    /// <summary><c>ref.null</c> of <paramref name="type"/>.</summary>
    public static WastValue NullRef(WastValueType type) => new(type, 0, true);
    /// <summary><c>ref.extern N</c>: a host reference the script names by number.</summary>
    public static WastValue ExternRef(ulong id) => new(WastValueType.ExternRef, id);

    /// <summary>The value as the script writes it.</summary>
    public override string ToString() => Type switch
    {
        WastValueType.I32 => $"(i32.const 0x{Bits:x8})",
        WastValueType.I64 => $"(i64.const 0x{Bits:x16})",
        WastValueType.F32 => $"(f32.const bits 0x{Bits:x8})",
        WastValueType.F64 => $"(f64.const bits 0x{Bits:x16})",
        _ when IsNull => $"(ref.null {Type switch { WastValueType.FuncRef => "func", WastValueType.ExnRef => "exn", _ => "extern" }})",
        WastValueType.ExternRef => $"(ref.extern {Bits})",
        _ => "(ref.func)",
    };
}

/// <summary>An expected result of <c>assert_return</c>.</summary>
public abstract record WastExpected;

/// <summary>Exactly this value (bit-exact for floats; for references: null, or extern N).</summary>
public sealed record WastExpectedValue(WastValue Value) : WastExpected;

/// <summary><c>nan:canonical</c> (<see cref="Canonical"/> true) or <c>nan:arithmetic</c> of an f32/f64.</summary>
public sealed record WastExpectedNan(WastValueType Type, bool Canonical) : WastExpected;

/// <summary>Any non-null reference of the type: <c>(ref.func)</c> or <c>(ref.extern)</c> without a number.</summary>
public sealed record WastExpectedNonNullRef(WastValueType Type) : WastExpected;

/// <summary>Threads proposal: <c>(either r1 r2 ...)</c>, any one alternative matches.</summary>
public sealed record WastExpectedEither(IReadOnlyList<WastExpected> Alternatives) : WastExpected;

/// <summary>How a script gives a module.</summary>
public enum WastModuleKind
{
    /// <summary>Text module, already encoded into <see cref="WastModule.Binary"/>.</summary>
    Text,
    /// <summary><c>(module binary "...")</c>: the concatenated bytes.</summary>
    Binary,
    /// <summary><c>(module quote "...")</c>: the concatenated text, to be parsed with <see cref="WatParser"/>.</summary>
    Quote,
}

/// <summary>A module in a script. <see cref="Binary"/> is null only for <see cref="WastModuleKind.Quote"/>.</summary>
public sealed record WastModule(WastModuleKind Kind, string? Id, byte[]? Binary, string? QuoteText, int Line);

/// <summary>An action: invoke an export or read an exported global; <see cref="ModuleId"/> null means the latest module.</summary>
public abstract record WastAction(string? ModuleId, string ExportName, int Line);

/// <summary><c>(invoke $id? "name" arg*)</c>: call an export.</summary>
/// <param name="ModuleId">The module, or null for the latest.</param>
/// <param name="ExportName">The exported function.</param>
/// <param name="Arguments">The arguments.</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastInvoke(string? ModuleId, string ExportName, IReadOnlyList<WastValue> Arguments, int Line)
    : WastAction(ModuleId, ExportName, Line);

/// <summary><c>(get $id? "name")</c>: read an exported global.</summary>
/// <param name="ModuleId">The module, or null for the latest.</param>
/// <param name="ExportName">The exported global.</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastGet(string? ModuleId, string ExportName, int Line) : WastAction(ModuleId, ExportName, Line);

/// <summary>One command of a script; <see cref="Line"/> is where it starts (1-based).</summary>
public abstract record WastCommand(int Line);

/// <summary>Define (and instantiate) a module.</summary>
public sealed record WastModuleCommand(WastModule Module, int Line) : WastCommand(Line);

/// <summary><c>(register "name" $id?)</c>: make a module's exports importable under <see cref="Name"/>.</summary>
public sealed record WastRegister(string Name, string? ModuleId, int Line) : WastCommand(Line);

/// <summary>A bare action, its result ignored (it must not trap).</summary>
public sealed record WastActionCommand(WastAction Action, int Line) : WastCommand(Line);

/// <summary><c>assert_return</c>: the action returns the expected values.</summary>
/// <param name="Action">The action.</param>
/// <param name="Expected">The expected results, in order.</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastAssertReturn(WastAction Action, IReadOnlyList<WastExpected> Expected, int Line) : WastCommand(Line);

/// <summary><c>assert_trap</c> on an action: it must trap with the message.</summary>
/// <param name="Action">The action.</param>
/// <param name="Message">The expected error message (a prefix of Strand's, as the suite compares).</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastAssertTrap(WastAction Action, string Message, int Line) : WastCommand(Line);

/// <summary><c>assert_trap</c> on a module: instantiation (e.g. its start function) must trap.</summary>
public sealed record WastAssertModuleTrap(WastModule Module, string Message, int Line) : WastCommand(Line);

/// <summary><c>assert_exception</c> (exception handling): the action must throw a wasm exception that nothing catches.</summary>
/// <param name="Action">The action.</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastAssertException(WastAction Action, int Line) : WastCommand(Line);

/// <summary><c>assert_exhaustion</c>: the action must exhaust the call stack.</summary>
/// <param name="Action">The action.</param>
/// <param name="Message">The expected error message (a prefix of Strand's, as the suite compares).</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastAssertExhaustion(WastAction Action, string Message, int Line) : WastCommand(Line);

/// <summary><c>assert_invalid</c>: the module must fail validation.</summary>
/// <param name="Module">The module.</param>
/// <param name="Message">The expected error message (a prefix of Strand's, as the suite compares).</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastAssertInvalid(WastModule Module, string Message, int Line) : WastCommand(Line);

/// <summary><c>assert_malformed</c>: the module must fail to decode or parse.</summary>
/// <param name="Module">The module.</param>
/// <param name="Message">The expected error message (a prefix of Strand's, as the suite compares).</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastAssertMalformed(WastModule Module, string Message, int Line) : WastCommand(Line);

/// <summary><c>assert_unlinkable</c>: linking the module must fail.</summary>
/// <param name="Module">The module.</param>
/// <param name="Message">The expected error message (a prefix of Strand's, as the suite compares).</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastAssertUnlinkable(WastModule Module, string Message, int Line) : WastCommand(Line);

/// <summary><c>assert_uninstantiable</c>: instantiation must trap (e.g. in the start function).</summary>
/// <param name="Module">The module.</param>
/// <param name="Message">The expected error message (a prefix of Strand's, as the suite compares).</param>
/// <param name="Line">1-based line where the command starts.</param>
public sealed record WastAssertUninstantiable(WastModule Module, string Message, int Line) : WastCommand(Line);

/// <summary>Threads proposal: <c>(thread $T (shared (module $M))* command*)</c> runs commands concurrently.</summary>
public sealed record WastThread(string Name, IReadOnlyList<string> SharedModules, IReadOnlyList<WastCommand> Commands, int Line) : WastCommand(Line);

/// <summary>Threads proposal: <c>(wait $T)</c> joins a thread.</summary>
public sealed record WastWait(string Name, int Line) : WastCommand(Line);

/// <summary>
/// A top-level command the parser could not read (syntax or an instruction the text parser does not know).
/// <see cref="Head"/> is its keyword (null when not even that could be read; "module definition" and "module instance"
/// for those script forms); for a module command <see cref="ModuleId"/> is the name it would have defined.
/// <see cref="Error"/> names file, line and column.
/// </summary>
public sealed record WastUnparsable(string? Head, string? ModuleId, WatParseException Error, int Line) : WastCommand(Line);
