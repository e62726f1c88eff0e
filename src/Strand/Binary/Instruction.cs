namespace Strand.Binary;

public enum BlockTypeKind : byte
{
    /// <summary>[] -> []</summary>
    Empty,
    /// <summary>[] -> [Value]</summary>
    Value,
    /// <summary>The signature at <see cref="BlockType.TypeIndex"/> (multi-value).</summary>
    TypeIndex,
}

public readonly record struct BlockType(BlockTypeKind Kind, ValType Value = default, uint TypeIndex = 0)
{
    public static readonly BlockType Empty = new(BlockTypeKind.Empty);
}

/// <summary>
/// One decoded instruction. Which fields are meaningful depends on <see cref="Opcode"/>:
/// <list type="bullet">
/// <item>block/loop/if: <see cref="Block"/>.</item>
/// <item>br, br_if: <see cref="Index"/> = label depth. br_table: <see cref="Labels"/> = targets, <see cref="Index"/> = default.</item>
/// <item>call, ref.func: <see cref="Index"/> = function. call_indirect: <see cref="Index"/> = type, <see cref="Index2"/> = table.</item>
/// <item>local.*, global.*: <see cref="Index"/>. table.get/set/grow/size/fill: <see cref="Index"/> = table.</item>
/// <item>loads, stores, atomics: <see cref="Align"/> (log2) and <see cref="MemOffset"/>; <see cref="Index"/> = memory (0).</item>
/// <item>memory.size/grow/fill: <see cref="Index"/> = memory. memory.copy: <see cref="Index"/> = destination, <see cref="Index2"/> = source.</item>
/// <item>memory.init: <see cref="Index"/> = data segment, <see cref="Index2"/> = memory. data.drop: <see cref="Index"/> = data segment.</item>
/// <item>table.init: <see cref="Index"/> = element segment, <see cref="Index2"/> = table. elem.drop: <see cref="Index"/>. table.copy: <see cref="Index"/> = destination, <see cref="Index2"/> = source.</item>
/// <item>i32.const: <see cref="Immediate"/> = the value sign-extended to 64 bits; i64.const: its bits; f32.const/f64.const: the raw IEEE bits.</item>
/// <item>ref.null: <see cref="RefType"/>. select with types: <see cref="SelectTypes"/>.</item>
/// </list>
/// </summary>
public struct Instruction
{
    public Opcode Opcode;
    /// <summary>Byte offset of the opcode within the module.</summary>
    public int Offset;
    public uint Index;
    public uint Index2;
    public ulong Immediate;
    public uint Align;
    public ulong MemOffset;
    public BlockType Block;
    public ValType RefType;
    public uint[]? Labels;
    public ValType[]? SelectTypes;

    public readonly int I32 => (int)Immediate;
    public readonly long I64 => (long)Immediate;
    public readonly uint F32Bits => (uint)Immediate;
    public readonly ulong F64Bits => Immediate;
}
