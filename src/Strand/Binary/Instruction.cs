namespace Strand.Binary;

/// <summary>How a block's signature is given (spec 5.4.1, <c>blocktype</c>).</summary>
public enum BlockTypeKind : byte
{
    /// <summary>[] -> []</summary>
    Empty,
    /// <summary>[] -> [Value]</summary>
    Value,
    /// <summary>The signature at <see cref="BlockType.TypeIndex"/> (multi-value).</summary>
    TypeIndex,
}

/// <summary>A block's signature: empty, one result <paramref name="Value"/>, or the type at <paramref name="TypeIndex"/>.</summary>
/// <param name="Kind">Which of the three forms.</param>
/// <param name="Value">The single result type, for <see cref="BlockTypeKind.Value"/>.</param>
/// <param name="TypeIndex">The type index, for <see cref="BlockTypeKind.TypeIndex"/>.</param>
public readonly record struct BlockType(BlockTypeKind Kind, ValType Value = default, uint TypeIndex = 0)
{
    /// <summary>The empty signature [] -> [].</summary>
    public static readonly BlockType Empty = new(BlockTypeKind.Empty);
}

/// <summary>
/// One decoded instruction. Which fields are meaningful depends on <see cref="Opcode"/>:
/// <list type="bullet">
/// <item>block/loop/if: <see cref="Block"/>.</item>
/// <item>br, br_if: <see cref="Index"/> = label depth. br_table: <see cref="Labels"/> = targets, <see cref="Index"/> = default.</item>
/// <item>call, ref.func: <see cref="Index"/> = function. call_indirect: <see cref="Index"/> = type, <see cref="Index2"/> = table.</item>
/// <item>local.*, global.*: <see cref="Index"/>. table.get/set/grow/size/fill: <see cref="Index"/> = table.</item>
/// <item>loads, stores, atomics: <see cref="Align"/> (log2), <see cref="MemOffset"/> and <see cref="Memory"/>.</item>
/// <item>memory.size/grow/fill: <see cref="Memory"/>. memory.copy: <see cref="Memory"/> = destination, <see cref="Memory2"/> = source.</item>
/// <item>memory.init: <see cref="Index"/> = data segment, <see cref="Memory"/> = memory. data.drop: <see cref="Index"/> = data segment.</item>
/// <item>table.init: <see cref="Index"/> = element segment, <see cref="Index2"/> = table. elem.drop: <see cref="Index"/>. table.copy: <see cref="Index"/> = destination, <see cref="Index2"/> = source.</item>
/// <item>i32.const: <see cref="Immediate"/> = the value sign-extended to 64 bits; i64.const: its bits; f32.const/f64.const: the raw IEEE bits.</item>
/// <item>ref.null: <see cref="RefType"/> (the nullable reference type of its heap type). select with types: <see cref="SelectTypes"/>.</item>
/// <item>call_ref, return_call_ref: <see cref="Index"/> = type. br_on_null, br_on_non_null: <see cref="Index"/> = label depth.</item>
/// <item>try, try_table: <see cref="Block"/>; try_table: <see cref="Catches"/>. throw, catch: <see cref="Index"/> = tag. rethrow, delegate: <see cref="Index"/> = label depth.</item>
/// <item>return_call: <see cref="Index"/> = function. return_call_indirect: <see cref="Index"/> = type, <see cref="Index2"/> = table.</item>
/// <item>v128.const: <see cref="Immediate"/> = bytes 0..7 and <see cref="ImmediateHigh"/> = bytes 8..15 (little-endian);
/// i8x16.shuffle: its 16 lane indices the same way. extract_lane, replace_lane, v128.loadN_lane/storeN_lane: <see cref="Lane"/>.</item>
/// </list>
/// </summary>
public struct Instruction
{
    /// <summary>The instruction.</summary>
    public Opcode Opcode;
    /// <summary>Byte offset of the opcode within the module.</summary>
    public int Offset;
    /// <summary>The first index immediate: function, local, global, table, type, data, element or label, by opcode.</summary>
    public uint Index;
    /// <summary>The second index immediate (<c>call_indirect</c>'s table, <c>table.copy</c>/<c>memory.init</c>/<c>table.init</c>'s second index).</summary>
    public uint Index2;
    /// <summary>A constant's bits (<c>i32/i64/f32/f64.const</c>).</summary>
    public ulong Immediate;
    /// <summary>The upper 64 bits of a <c>v128.const</c> or of <c>i8x16.shuffle</c>'s lane indices (the lower ones are <see cref="Immediate"/>).</summary>
    public ulong ImmediateHigh;
    /// <summary>A SIMD instruction's lane index immediate.</summary>
    public byte Lane;
    /// <summary>A memory access's alignment exponent (log2 of the byte alignment).</summary>
    public uint Align;
    /// <summary>A memory access's static offset, in bytes.</summary>
    public ulong MemOffset;
    /// <summary>The memory index of a memory instruction (multi-memory; 0 without one): loads, stores, atomics, <c>memory.*</c>; <c>memory.copy</c>'s destination.</summary>
    public uint Memory;
    /// <summary><c>memory.copy</c>'s source memory index.</summary>
    public uint Memory2;
    /// <summary>A <c>block</c>, <c>loop</c> or <c>if</c> signature.</summary>
    public BlockType Block;
    /// <summary><c>ref.null</c>'s reference type; the target type of <c>ref.test</c>, <c>ref.cast</c>, <c>br_on_cast</c>(<c>_fail</c>).</summary>
    public ValType RefType;
    /// <summary>The source (operand) type of <c>br_on_cast</c> and <c>br_on_cast_fail</c>.</summary>
    public ValType RefType2;
    /// <summary><c>br_table</c>'s label depths, without the default (which is <see cref="Index"/>).</summary>
    public uint[]? Labels;
    /// <summary>The result types of a typed <c>select</c>.</summary>
    public ValType[]? SelectTypes;
    /// <summary>A <c>try_table</c>'s catch clauses (its <see cref="Block"/> is the signature).</summary>
    public CatchClause[]? Catches;

    /// <summary><see cref="Immediate"/> as an i32 constant.</summary>
    public readonly int I32 => (int)Immediate;
    /// <summary><see cref="Immediate"/> as an i64 constant.</summary>
    public readonly long I64 => (long)Immediate;
    /// <summary><see cref="Immediate"/> as an f32 constant's bits.</summary>
    public readonly uint F32Bits => (uint)Immediate;
    /// <summary><see cref="Immediate"/> as an f64 constant's bits.</summary>
    public readonly ulong F64Bits => Immediate;
}
