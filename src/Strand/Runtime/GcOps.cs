using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Strand.Binary;
using Strand.Validation;

namespace Strand.Runtime;

/// <summary>
/// Run-time operations of the GC instructions, called by compiled code (Compilation/FunctionCompiler.Gc.cs). Validation
/// guarantees the static types; these check what only run time knows: null operands, array bounds, cast targets.
/// </summary>
internal static class GcOps
{
    /// <summary>
    /// Throws the trap. Kept out of line so the small accessors below, which only branch to it, are inlined by the JIT
    /// into the compiled code (a method that throws itself is not inlined).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static T Throw<T>(TrapCode code) => throw new TrapException(code);

    /// <summary>The most elements an array may have (an implementation limit; larger traps "array too large").</summary>
    public const int MaxArrayLength = 1 << 28;

    // ---- layout ----------------------------------------------------------------------------

    /// <summary>Where field <paramref name="field"/> lives: true and a reference slot (<see cref="GcStruct.Ref"/>), or false and a bit slot (<see cref="GcStruct.Bit"/>).</summary>
    public static (bool IsRef, int Slot) FieldSlot(FieldType[] fields, int field)
    {
        int bits = 0, refs = 0;
        for (int k = 0; k < field; k++)
        {
            if (fields[k].Type.IsReference()) refs++;
            else bits += fields[k].Type == ValType.V128 ? 2 : 1;
        }
        return fields[field].Type.IsReference() ? (true, refs) : (false, bits);
    }

    /// <summary>The number of bit and reference slots of a struct with <paramref name="fields"/>.</summary>
    public static (int Bits, int Refs) SlotCounts(FieldType[] fields)
    {
        int bits = 0, refs = 0;
        foreach (var f in fields)
        {
            if (f.Type.IsReference()) refs++;
            else bits += f.Type == ValType.V128 ? 2 : 1;
        }
        return (bits, refs);
    }

    // ---- structs -----------------------------------------------------------------------------

    public static GcStruct NewStruct(int typeId, int bitSlots, int refSlots) => new(typeId, bitSlots, refSlots);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static GcStruct Struct(object? s) => s is null ? Throw<GcStruct>(TrapCode.NullStructureReference) : Unsafe.As<GcStruct>(s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetI32(object? s, int slot, int v) => Struct(s).Bit(slot) = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetI64(object? s, int slot, long v) => Struct(s).Bit(slot) = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetF32(object? s, int slot, float v) => Struct(s).Bit(slot) = BitConverter.SingleToInt32Bits(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetF64(object? s, int slot, double v) => Struct(s).Bit(slot) = BitConverter.DoubleToInt64Bits(v);
    public static void SetV128(object? s, int slot, Vector128<byte> v)
    {
        var target = Struct(s);
        target.Bit(slot) = v.AsInt64().GetElement(0);
        target.Bit(slot + 1) = v.AsInt64().GetElement(1);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetRef(object? s, int slot, object? v) => Struct(s).Ref(slot) = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetI32(object? s, int slot) => (int)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetS8(object? s, int slot) => (sbyte)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetU8(object? s, int slot) => (byte)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetS16(object? s, int slot) => (short)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetU16(object? s, int slot) => (ushort)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long GetI64(object? s, int slot) => Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GetF32(object? s, int slot) => BitConverter.Int32BitsToSingle((int)Struct(s).Bit(slot));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GetF64(object? s, int slot) => BitConverter.Int64BitsToDouble(Struct(s).Bit(slot));
    public static Vector128<byte> GetV128(object? s, int slot)
    {
        var source = Struct(s);
        return Vector128.Create(source.Bit(slot), source.Bit(slot + 1)).AsByte();
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static object? GetRef(object? s, int slot) => Struct(s).Ref(slot);

    // ---- arrays ------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T[] Elements<T>(object? a) =>
        a is null ? Throw<T[]>(TrapCode.NullArrayReference) : Unsafe.As<GcArray<T>>(a).Elements;

    private static void CheckRange(int length, int start, int count)
    {
        if ((ulong)(uint)start + (uint)count > (ulong)length) Throw<int>(TrapCode.OutOfBoundsArrayAccess);
    }

    private static T[] Allocate<T>(int length)
    {
        if ((uint)length > MaxArrayLength) throw new TrapException(TrapCode.ArrayTooLarge, $"array too large: {(uint)length} elements (at most {MaxArrayLength})");
        return new T[length];
    }

    public static object ArrayNew<T>(int typeId, T init, int length)
    {
        var elements = Allocate<T>(length);
        if (!EqualityComparer<T>.Default.Equals(init, default)) Array.Fill(elements, init);
        return new GcArray<T>(typeId, elements);
    }

    public static object ArrayNewDefault<T>(int typeId, int length) => new GcArray<T>(typeId, Allocate<T>(length));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ArrayGet<T>(object? a, int index)
    {
        var elements = Elements<T>(a);
        if ((uint)index >= (uint)elements.Length) Throw<int>(TrapCode.OutOfBoundsArrayAccess);
        return elements[index];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ArraySet<T>(object? a, int index, T value)
    {
        var elements = Elements<T>(a);
        if ((uint)index >= (uint)elements.Length) Throw<int>(TrapCode.OutOfBoundsArrayAccess);
        elements[index] = value;
    }

    /// <summary>array.set for the array.new_fixed sequence: the array is known to be non-null and large enough.</summary>
    public static object ArrayStore<T>(object a, int index, T value)
    {
        Unsafe.As<GcArray<T>>(a).Elements[index] = value;
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ArrayLen(object? a) => a is null ? Throw<int>(TrapCode.NullArrayReference) : Unsafe.As<GcArray>(a).Length;

    public static void ArrayFill<T>(object? a, int start, T value, int count)
    {
        var elements = Elements<T>(a);
        CheckRange(elements.Length, start, count);
        elements.AsSpan(start, count).Fill(value);
    }

    public static void ArrayCopy(object? destination, int d, object? source, int s, int count)
    {
        if (destination is null || source is null) throw new TrapException(TrapCode.NullArrayReference);
        var to = Unsafe.As<GcArray>(destination);
        var from = Unsafe.As<GcArray>(source);
        CheckRange(to.Length, d, count);
        CheckRange(from.Length, s, count);
        Array.Copy(from.Data, s, to.Data, d, count); // overlapping ranges are copied as if through a buffer
    }

    /// <summary>array.new_data: <paramref name="length"/> elements read from data segment <paramref name="segment"/> at byte <paramref name="offset"/>.</summary>
    public static object ArrayNewData<T>(int typeId, Instance instance, int segment, int offset, int length) where T : unmanaged
    {
        // The segment's range is checked before the allocation (a huge length is "out of bounds memory access", as the spec orders it).
        if ((uint)offset + (ulong)(uint)length * (ulong)Unsafe.SizeOf<T>() > (ulong)instance.GetDataSegment(segment).Length)
            throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);
        var elements = Allocate<T>(length);
        CopyData(elements, 0, instance, segment, offset, length);
        return new GcArray<T>(typeId, elements);
    }

    public static void ArrayInitData<T>(object? a, int destination, int offset, int count, Instance instance, int segment) where T : unmanaged
    {
        var elements = Elements<T>(a);
        CheckRange(elements.Length, destination, count);
        CopyData(elements, destination, instance, segment, offset, count);
    }

    private static void CopyData<T>(T[] elements, int destination, Instance instance, int segment, int offset, int count) where T : unmanaged
    {
        var data = instance.GetDataSegment(segment);
        ulong bytes = (ulong)(uint)count * (ulong)Unsafe.SizeOf<T>();
        if ((uint)offset + bytes > (ulong)data.Length) throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);
        MemoryMarshal.Cast<byte, T>(data.Slice(offset, (int)bytes)).CopyTo(elements.AsSpan(destination, count));
    }

    public static object ArrayNewElem(int typeId, Instance instance, int segment, int offset, int length)
    {
        var items = instance.GetElementSegment(segment); // checked before the allocation, as for array.new_data
        if ((ulong)(uint)offset + (uint)length > (ulong)items.Length) throw new TrapException(TrapCode.OutOfBoundsTableAccess);
        var elements = Allocate<object?>(length);
        Array.Copy(items, offset, elements, 0, length);
        return new GcArray<object?>(typeId, elements);
    }

    public static void ArrayInitElem(object? a, int destination, int offset, int count, Instance instance, int segment)
    {
        var elements = Elements<object?>(a);
        CheckRange(elements.Length, destination, count);
        var items = instance.GetElementSegment(segment);
        if ((ulong)(uint)offset + (uint)count > (ulong)items.Length) throw new TrapException(TrapCode.OutOfBoundsTableAccess);
        Array.Copy(items, offset, elements, destination, count);
    }

    // ---- i31, equality, casts -----------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static object RefI31(int value) => I31Ref.Of(value);

    private static int I31(object? r) => r is null ? Throw<int>(TrapCode.NullI31Reference) : Unsafe.As<I31Ref>(r).Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I31GetS(object? r) => I31(r);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I31GetU(object? r) => I31(r) & 0x7FFFFFFF;

    /// <summary>ref.eq: the same object, or two i31 references with the same value; 1 or 0.</summary>
    public static int RefEq(object? a, object? b) =>
        ReferenceEquals(a, b) || (a is I31Ref x && b is I31Ref y && x.Value == y.Value) ? 1 : 0;

    /// <summary>
    /// ref.test: 1 if <paramref name="reference"/> is of the reference type given by <paramref name="target"/> (a canonical
    /// type id when positive, else minus an abstract heap type's byte) and <paramref name="nullable"/> (1: null matches).
    /// </summary>
    public static int Test(object? reference, int target, int nullable)
    {
        if (reference is null) return nullable;
        if (target > 0)
        {
            int actual = reference switch
            {
                GcStruct s => s.TypeId,
                GcArray a => a.TypeId,
                FunctionReference f => f.TypeId,
                _ => 0,
            };
            return actual != 0 && TypeRegistry.IsSubtype(actual, target) ? 1 : 0;
        }
        bool matches = (AbstractHeapType)(-target) switch
        {
            AbstractHeapType.Any or AbstractHeapType.Extern => true,
            AbstractHeapType.Eq => reference is GcStruct or GcArray or I31Ref,
            AbstractHeapType.I31 => reference is I31Ref,
            AbstractHeapType.Struct => reference is GcStruct,
            AbstractHeapType.Array => reference is GcArray,
            AbstractHeapType.Func => reference is FunctionReference,
            AbstractHeapType.Exn => reference is WasmException,
            _ => false, // the bottom types hold only null
        };
        return matches ? 1 : 0;
    }

    /// <summary>ref.cast: the reference if <see cref="Test"/> holds, else a "cast failure" trap.</summary>
    public static object? Cast(object? reference, int target, int nullable) =>
        Test(reference, target, nullable) != 0 ? reference : Throw<object?>(TrapCode.CastFailure);
}
