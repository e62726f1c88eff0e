using Strand.Binary;

namespace Strand.Interpreter;

/// <summary>
/// A function translated for the interpreter (docs/interpreter.md): a flat array of <see cref="int"/> words, each
/// instruction an operation code (<see cref="Op"/>, the wasm opcode's byte for the numeric, memory and variable
/// instructions) followed by its immediates, with every branch resolved to a word index and, where the branch leaves
/// operands behind, the arity it carries and the operand height it unwinds to (heights are static in wasm).
/// <para>
/// Frame layout (slots of 64 bits): <c>[0, ParamCount)</c> the parameters, <c>[ParamCount, LocalCount)</c> the declared
/// locals (zero on entry), then at most <see cref="MaxHeight"/> operand slots. An i32 occupies the low half of a slot, an
/// f32 its bits in the low half, an f64 its bits.
/// </para>
/// </summary>
internal sealed class InterpretedFunction
{
    public required int DefinedIndex { get; init; }
    public required FuncType Type { get; init; }
    public required int[] Code { get; init; }
    public required int ParamCount { get; init; }
    public required int LocalCount { get; init; }
    public required int ResultCount { get; init; }
    /// <summary>The deepest operand stack (slots) the function reaches.</summary>
    public required int MaxHeight { get; init; }
    /// <summary>For each loop (by its id in <c>Op.LoopHead</c>): the index of its <c>loop</c> instruction in the decoded body.</summary>
    public required int[] LoopInstructions { get; init; }
    /// <summary>For each loop: the word index just after its <c>end</c> (where a fall-through out of the loop continues).</summary>
    public required int[] LoopEnds { get; init; }
    /// <summary>
    /// For each loop: the label that encloses it (its <see cref="Label.Parent"/> chain leads out to the function's label),
    /// for the branches of an on-stack replacement's exit. A chain, not a table per loop: a nest of n loops stays O(n).
    /// </summary>
    public required Label[] LoopParents { get; init; }
    /// <summary>For each loop: the operand height at its entry (0 when it may be entered by on-stack replacement; set to -1 once its loop entry failed to generate, so it is not asked for again).</summary>
    public required int[] LoopHeights { get; init; }

    /// <summary>Slots a frame needs: locals plus operands.</summary>
    public int FrameSlots => LocalCount + MaxHeight;
}

/// <summary>
/// A label as a branch sees it: where it jumps (a word index; -1 for the function's label, a return), how many values it
/// carries and the operand height it unwinds to; <see cref="Parent"/> is the label around it (null for the function's).
/// </summary>
internal sealed class Label
{
    public int Target = -1;
    public int Arity;
    public int Height;
    public Label? Parent;
}

/// <summary>
/// The interpreter's operation codes: the wasm opcode's byte where the operation is the instruction itself (numeric,
/// memory and variable instructions), and codes of the interpreter's own in bytes wasm does not use here.
/// </summary>
internal static class Op
{
    // Control, rewritten by the translator (wasm's 0x02..0x0F become these).
    public const int Unreachable = 0x00;
    /// <summary>[target]: jump.</summary>
    public const int Jump = 0x02;
    /// <summary>[target]: pop an i32, jump if it is zero (<c>if</c>).</summary>
    public const int JumpIfZero = 0x03;
    /// <summary>[target]: pop an i32, jump if it is not zero (<c>br_if</c> that unwinds nothing).</summary>
    public const int JumpIfNotZero = 0x04;
    /// <summary>[target, arity, height]: move the top arity values down to height, jump (<c>br</c> that unwinds).</summary>
    public const int Branch = 0x05;
    /// <summary>[target, arity, height]: pop an i32; if not zero, as <see cref="Branch"/>.</summary>
    public const int BranchIf = 0x06;
    /// <summary>[count, (target, arity, height) × (count + 1)]: pop an i32 index, branch to its entry (the last one when out of range).</summary>
    public const int BranchTable = 0x07;
    /// <summary>[loop id]: a loop header: counts the iteration, polls for interruption, may tier up.</summary>
    public const int LoopHead = 0x08;
    /// <summary>Returns the top ResultCount values.</summary>
    public const int Return = 0x0F;
    /// <summary>[function index].</summary>
    public const int Call = 0x10;
    /// <summary>[type index, table index].</summary>
    public const int CallIndirect = 0x11;
    public const int Drop = 0x1A;
    /// <summary>select (untyped or typed, numeric).</summary>
    public const int Select = 0x1B;
    public const int LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22;
    /// <summary>[global index]: by the global's type.</summary>
    public const int GlobalGetI32 = 0xC5, GlobalGetI64 = 0xC6, GlobalGetF32 = 0xC7, GlobalGetF64 = 0xC8;
    public const int GlobalSetI32 = 0xC9, GlobalSetI64 = 0xCA, GlobalSetF32 = 0xCB, GlobalSetF64 = 0xCC;
    /// <summary>[low, high]: a 64-bit constant (i64.const, f64.const).</summary>
    public const int Const64 = 0xCD;
    /// <summary>[value]: a 32-bit constant (i32.const, f32.const bits).</summary>
    public const int Const32 = 0xCE;
    /// <summary>0xFC-prefixed instructions: 0xE0 + the sub-opcode (trunc_sat 0..7, memory.copy 10, memory.fill 11).</summary>
    public const int PrefixFC = 0xE0;
    public const int MemoryCopy = PrefixFC + 10, MemoryFill = PrefixFC + 11;
}
