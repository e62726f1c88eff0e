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
    /// <summary>v128: the low 64 bits in <see cref="WastValue.Bits"/>, the high 64 in <see cref="WastValue.High"/>.</summary>
    V128,
    /// <summary>anyref (GC: any, eq, i31, struct, array, none; only <c>ref.null</c> is read here).</summary>
    AnyRef,
    /// <summary><c>ref.host N</c> (GC scripts): host reference N, passed in the parameter's hierarchy (like <c>ref.extern N</c>).</summary>
    HostRef,
}

/// <summary>
/// A constant in a script (an argument or an exact expected result). Numbers carry their exact
/// bits (f32 as the low 32 bits, f64 as the full 64). A reference is either null
/// (<see cref="IsNull"/>) or, for <c>ref.extern N</c>, the host reference number N in <see cref="Bits"/>.
/// A v128 keeps its bytes 0-7 (little-endian) in <see cref="Bits"/> and bytes 8-15 in <see cref="High"/>.
/// </summary>
public readonly record struct WastValue(WastValueType Type, ulong Bits, bool IsNull = false, ulong High = 0)
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
    /// <summary><c>ref.host N</c>: the same host reference as <c>ref.extern N</c>, in any hierarchy.</summary>
    public static WastValue HostRef(ulong id) => new(WastValueType.HostRef, id);
    /// <summary>A v128 from its 16 bytes in memory order (lane 0 first, each lane little-endian).</summary>
    public static WastValue V128(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 16) throw new ArgumentException("a v128 has 16 bytes", nameof(bytes));
        return new(WastValueType.V128, System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes),
            High: System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]));
    }

    /// <summary>The value as the script writes it.</summary>
    public override string ToString() => Type switch
    {
        WastValueType.I32 => $"(i32.const 0x{Bits:x8})",
        WastValueType.I64 => $"(i64.const 0x{Bits:x16})",
        WastValueType.F32 => $"(f32.const bits 0x{Bits:x8})",
        WastValueType.F64 => $"(f64.const bits 0x{Bits:x16})",
        WastValueType.V128 => $"(v128.const i64x2 0x{Bits:x16} 0x{High:x16})",
        _ when IsNull => $"(ref.null {Type switch { WastValueType.FuncRef => "func", WastValueType.ExnRef => "exn", WastValueType.AnyRef => "any", _ => "extern" }})",
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

/// <summary>WebAssembly 3.0 scripts: <c>(ref.null)</c> without a heap type, a null reference of any type.</summary>
public sealed record WastExpectedAnyNull : WastExpected;

/// <summary>Any non-null reference of the type: <c>(ref.func)</c> or <c>(ref.extern)</c> without a number.</summary>
public sealed record WastExpectedNonNullRef(WastValueType Type) : WastExpected;

/// <summary>
/// WebAssembly 3.0 (GC) scripts: a non-null reference of an abstract heap type, <c>(ref.struct)</c>, <c>(ref.array)</c>,
/// <c>(ref.i31)</c>, <c>(ref.eq)</c>, <c>(ref.any)</c>; or <c>(ref.host N)</c>, host reference N (<see cref="HostId"/>) in whatever hierarchy.
/// </summary>
public sealed record WastExpectedGcRef(string Heap, ulong? HostId = null) : WastExpected;

/// <summary>
/// A v128 result given lane by lane, when some lane is a NaN pattern: <c>(v128.const f32x4 nan:canonical 1.0
/// nan:arithmetic -0.0)</c>. Each of <see cref="Lanes"/> (as many as <see cref="Shape"/> has) is a
/// <see cref="WastExpectedValue"/> with the lane's exact bits (an f32 or f64 value for float shapes) or a
/// <see cref="WastExpectedNan"/>.
/// </summary>
public sealed record WastExpectedV128(V128Shape Shape, IReadOnlyList<WastExpected> Lanes) : WastExpected;

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
public sealed record WastModule(WastModuleKind Kind, string? Id, byte[]? Binary, string? QuoteText, int Line)
{
    /// <summary>
    /// For a text module in <c>assert_invalid</c>/<c>assert_malformed</c> that is well-formed but invalid in a way only the
    /// text can express (<see cref="WatParseException.Invalid"/>): the error, raised when the module is compiled.
    /// </summary>
    public WatParseException? TextError { get; init; }
}

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

/// <summary>
/// WebAssembly 3.0 scripts: <c>(module definition $id? ...)</c> compiles (decodes and validates) a module without
/// instantiating it; <see cref="WastModule.Id"/> names the definition.
/// </summary>
public sealed record WastModuleDefinition(WastModule Module, int Line) : WastCommand(Line);

/// <summary>
/// WebAssembly 3.0 scripts: <c>(module instance $id? $def?)</c> instantiates the definition <see cref="DefinitionId"/>
/// (null: the latest module defined by either form) as instance <see cref="InstanceId"/>, which becomes the current module.
/// </summary>
public sealed record WastModuleInstance(string? InstanceId, string? DefinitionId, int Line) : WastCommand(Line);

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
