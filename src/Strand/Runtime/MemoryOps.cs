using Strand.Binary;

namespace Strand.Runtime;

/// <summary>
/// Helpers compiled code calls for memory and table instructions beyond a 32-bit memory 0: memory64 (i64 addresses,
/// sizes and deltas), multi-memory (memory.copy between two memories) and table64 indices. Operands arrive as unsigned
/// 64-bit values (a 32-bit memory's i32 operands zero-extended), so one helper serves both address types.
/// </summary>
internal static class MemoryOps
{
    /// <summary>memory.size of a 32-bit memory other than memory 0.</summary>
    public static int Size32(Memory memory) => (int)memory.Pages;

    /// <summary>memory.size of a 64-bit memory (pages, as an i64).</summary>
    public static long Size64(Memory memory) => memory.Length / Memory.PageSize;

    /// <summary>memory.grow of a 32-bit memory other than memory 0: the old size in pages, or -1.</summary>
    public static int Grow32(int delta, Memory memory) => (int)memory.Grow64((uint)delta);

    /// <summary>memory.grow of a 64-bit memory: the delta is a u64; the old size in pages, or -1.</summary>
    public static long Grow64(long delta, Memory memory) => memory.Grow64((ulong)delta);

    /// <summary>memory.fill: [destination, destination + count) set to the low byte of <paramref name="value"/>.</summary>
    public static void Fill(long destination, int value, long count, Memory memory) =>
        memory.Fill((ulong)destination, (byte)value, (ulong)count);

    /// <summary>memory.copy from <paramref name="source"/> to <paramref name="destination"/> (possibly another memory; memmove semantics).</summary>
    public static void Copy(long destination, long source, long count, Memory destinationMemory, Memory sourceMemory) =>
        Memory.Copy(destinationMemory, (ulong)destination, sourceMemory, (ulong)source, (ulong)count);

    /// <summary>memory.init: data segment <paramref name="segment"/> bytes [source, source + count) to <paramref name="destination"/>.</summary>
    public static void Init(long destination, long source, long count, Memory memory, Instance instance, int segment) =>
        memory.Initialize((ulong)destination, instance.GetDataSegment(segment), (ulong)source, (ulong)count);

    /// <summary>
    /// A table64 index, size or count narrowed for the 32-bit table helpers: values above 2^32-1 become 2^32-1, which is
    /// out of bounds of every table (Strand's tables have at most <see cref="Table.ImplementationLimit"/> elements), so the
    /// helper traps or fails exactly as the 64-bit operation must.
    /// </summary>
    public static int ClampIndex(long value) => (ulong)value > uint.MaxValue ? -1 : (int)value;
}
