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

    /// <summary>
    /// The .NET element type of an array whose element storage is <paramref name="clr"/> (<see cref="Compilation.ClrTypes"/>): for a
    /// reference, RefValue if the array type's layout keeps i31s (<see cref="GcLayout.ElementHoldsI31"/>), else object.
    /// </summary>
    public static Type ArrayStorage(GcLayout layout, Type clr) =>
        clr == typeof(RefValue) && !layout.ElementHoldsI31 ? typeof(object) : clr;

    // ---- structs -----------------------------------------------------------------------------

    public static RefValue NewStruct(int typeId, int bitSlots, int refSlots) => RefValue.Wrap(new GcStruct(typeId, bitSlots, refSlots));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static GcStruct Struct(RefValue s) => s.Object is null ? Throw<GcStruct>(TrapCode.NullStructureReference) : Unsafe.As<GcStruct>(s.Object);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetI32(RefValue s, int slot, int v) => Struct(s).Bit(slot) = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetI64(RefValue s, int slot, long v) => Struct(s).Bit(slot) = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetF32(RefValue s, int slot, float v) => Struct(s).Bit(slot) = BitConverter.SingleToInt32Bits(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetF64(RefValue s, int slot, double v) => Struct(s).Bit(slot) = BitConverter.DoubleToInt64Bits(v);
    public static void SetV128(RefValue s, int slot, Vector128<byte> v)
    {
        var target = Struct(s);
        target.Bit(slot) = v.AsInt64().GetElement(0);
        target.Bit(slot + 1) = v.AsInt64().GetElement(1);
    }
    /// <summary>A reference field that never holds an i31: the object only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetRef(RefValue s, int slot, RefValue v) => Struct(s).Ref(slot) = v.Object;
    /// <summary>A reference field that may hold an i31: the object and the i31's bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetAnyRef(RefValue s, int slot, int i31Slot, RefValue v)
    {
        var target = Struct(s);
        target.Ref(slot) = v.Object;
        target.Bit(i31Slot) = v.Bits;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetI32(RefValue s, int slot) => (int)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetS8(RefValue s, int slot) => (sbyte)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetU8(RefValue s, int slot) => (byte)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetS16(RefValue s, int slot) => (short)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetU16(RefValue s, int slot) => (ushort)Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long GetI64(RefValue s, int slot) => Struct(s).Bit(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GetF32(RefValue s, int slot) => BitConverter.Int32BitsToSingle((int)Struct(s).Bit(slot));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GetF64(RefValue s, int slot) => BitConverter.Int64BitsToDouble(Struct(s).Bit(slot));
    public static Vector128<byte> GetV128(RefValue s, int slot)
    {
        var source = Struct(s);
        return Vector128.Create(source.Bit(slot), source.Bit(slot + 1)).AsByte();
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RefValue GetRef(RefValue s, int slot) => RefValue.Wrap(Struct(s).Ref(slot));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RefValue GetAnyRef(RefValue s, int slot, int i31Slot)
    {
        var source = Struct(s);
        return RefValue.Make(source.Ref(slot), (int)source.Bit(i31Slot));
    }

    // ---- arrays ------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T[] Elements<T>(RefValue a) =>
        a.Object is null ? Throw<T[]>(TrapCode.NullArrayReference) : Unsafe.As<GcArray<T>>(a.Object).Elements;

    private static void CheckRange(int length, int start, int count)
    {
        if ((ulong)(uint)start + (uint)count > (ulong)length) Throw<int>(TrapCode.OutOfBoundsArrayAccess);
    }

    private static T[] Allocate<T>(int length)
    {
        if ((uint)length > MaxArrayLength) throw new TrapException(TrapCode.ArrayTooLarge, $"array too large: {(uint)length} elements (at most {MaxArrayLength})");
        try
        {
            return new T[length];
        }
        catch (OutOfMemoryException)
        {
            // A wasm allocation the process cannot satisfy (up to 4 GiB for 2^28 16-byte elements) is the module's
            // trap, not an exception of the runtime's: the host's state is intact (a failed array allocation changes nothing).
            throw new TrapException(TrapCode.ArrayTooLarge,
                $"array too large: {length} elements of {Unsafe.SizeOf<T>()} bytes do not fit in the available memory");
        }
    }

    public static RefValue ArrayNew<T>(int typeId, T init, int length)
    {
        var elements = Allocate<T>(length);
        if (!IsDefault(init)) Array.Fill(elements, init);
        return RefValue.Wrap(new GcArray<T>(typeId, elements));
    }

    /// <summary>
    /// True if <paramref name="value"/> is what a new array already holds: all bits zero (so -0.0, equal to 0.0 as a
    /// float, is not: <c>array.new</c> of -0.0 once made +0.0 elements), or the null reference.
    /// </summary>
    private static bool IsDefault<T>(T value) => RuntimeHelpers.IsReferenceOrContainsReferences<T>()
        ? EqualityComparer<T>.Default.Equals(value, default)
        : MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, byte>(ref value), Unsafe.SizeOf<T>()).IndexOfAnyExcept((byte)0) < 0;

    public static RefValue ArrayNewDefault<T>(int typeId, int length) => RefValue.Wrap(new GcArray<T>(typeId, Allocate<T>(length)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ArrayGet<T>(RefValue a, int index)
    {
        var elements = Elements<T>(a);
        if ((uint)index >= (uint)elements.Length) Throw<int>(TrapCode.OutOfBoundsArrayAccess);
        return elements[index];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ArraySet<T>(RefValue a, int index, T value)
    {
        var elements = Elements<T>(a);
        if ((uint)index >= (uint)elements.Length) Throw<int>(TrapCode.OutOfBoundsArrayAccess);
        elements[index] = value;
    }

    /// <summary>array.set for the array.new_fixed sequence: the array is known to be non-null and large enough.</summary>
    public static RefValue ArrayStore<T>(RefValue a, int index, T value)
    {
        Unsafe.As<GcArray<T>>(a.Object!).Elements[index] = value;
        return a;
    }

    // Arrays whose element type never holds an i31 store objects (half the width); compiled code still passes RefValues.

    public static RefValue ArrayNewObject(int typeId, RefValue init, int length) => ArrayNew(typeId, init.Object, length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RefValue ArrayGetObject(RefValue a, int index) => RefValue.Wrap(ArrayGet<object?>(a, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ArraySetObject(RefValue a, int index, RefValue value) => ArraySet(a, index, value.Object);

    public static RefValue ArrayStoreObject(RefValue a, int index, RefValue value) => ArrayStore(a, index, value.Object);

    public static void ArrayFillObject(RefValue a, int start, RefValue value, int count) => ArrayFill(a, start, value.Object, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ArrayLen(RefValue a) => a.Object is null ? Throw<int>(TrapCode.NullArrayReference) : Unsafe.As<GcArray>(a.Object).Length;

    public static void ArrayFill<T>(RefValue a, int start, T value, int count)
    {
        var elements = Elements<T>(a);
        CheckRange(elements.Length, start, count);
        elements.AsSpan(start, count).Fill(value);
    }

    public static void ArrayCopy(RefValue destination, int d, RefValue source, int s, int count)
    {
        if (destination.Object is null || source.Object is null) throw new TrapException(TrapCode.NullArrayReference);
        var to = Unsafe.As<GcArray>(destination.Object);
        var from = Unsafe.As<GcArray>(source.Object);
        CheckRange(to.Length, d, count);
        CheckRange(from.Length, s, count);
        if (to.Data is RefValue[] wide && from.Data is object?[] narrow)
        {
            // From an array whose type never holds an i31 into one whose type may.
            for (int k = 0; k < count; k++) wide[d + k] = RefValue.Wrap(narrow[s + k]);
            return;
        }
        if (to.Data is object?[] objects && from.Data is RefValue[] pairs)
        {
            // From an array stored as RefValues (its root type's element may hold an i31, e.g. anyref) whose own
            // element type never does (a structref subtype) into one stored as objects: validation proves no i31 is copied.
            for (int k = 0; k < count; k++) objects[d + k] = pairs[s + k].Object;
            return;
        }
        Array.Copy(from.Data, s, to.Data, d, count); // overlapping ranges are copied as if through a buffer
    }

    /// <summary>array.new_data: <paramref name="length"/> elements read from data segment <paramref name="segment"/> at byte <paramref name="offset"/>.</summary>
    public static RefValue ArrayNewData<T>(int typeId, Instance instance, int segment, int offset, int length) where T : unmanaged
    {
        // The segment's range is checked before the allocation (a huge length is "out of bounds memory access", as the spec orders it).
        if ((uint)offset + (ulong)(uint)length * (ulong)Unsafe.SizeOf<T>() > (ulong)instance.GetDataSegment(segment).Length)
            throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);
        var elements = Allocate<T>(length);
        CopyData(elements, 0, instance, segment, offset, length);
        return RefValue.Wrap(new GcArray<T>(typeId, elements));
    }

    public static void ArrayInitData<T>(RefValue a, int destination, int offset, int count, Instance instance, int segment) where T : unmanaged
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

    /// <summary>array.new_elem; <typeparamref name="T"/> is the array's storage (RefValue or object, <see cref="ArrayStorage"/>).</summary>
    public static RefValue ArrayNewElem<T>(int typeId, Instance instance, int segment, int offset, int length)
    {
        var items = instance.GetElementSegment(segment); // checked before the allocation, as for array.new_data
        if ((ulong)(uint)offset + (uint)length > (ulong)items.Length) throw new TrapException(TrapCode.OutOfBoundsTableAccess);
        var elements = Allocate<T>(length);
        CopyElements(items, offset, elements, 0, length);
        return RefValue.Wrap(new GcArray<T>(typeId, elements));
    }

    public static void ArrayInitElem<T>(RefValue a, int destination, int offset, int count, Instance instance, int segment)
    {
        var elements = Elements<T>(a);
        CheckRange(elements.Length, destination, count);
        var items = instance.GetElementSegment(segment);
        if ((ulong)(uint)offset + (uint)count > (ulong)items.Length) throw new TrapException(TrapCode.OutOfBoundsTableAccess);
        CopyElements(items, offset, elements, destination, count);
    }

    private static void CopyElements<T>(RefValue[] items, int offset, T[] elements, int destination, int count)
    {
        if (elements is RefValue[] wide) Array.Copy(items, offset, wide, destination, count);
        else
        {
            var narrow = Unsafe.As<object?[]>(elements);
            for (int k = 0; k < count; k++) narrow[destination + k] = items[offset + k].Object;
        }
    }

    // ---- i31, equality, casts -----------------------------------------------------------------

    /// <summary>ref.i31: no allocation (see <see cref="RefValue"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RefValue RefI31(int value) => RefValue.I31(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int I31(RefValue r) => r.Object is null ? Throw<int>(TrapCode.NullI31Reference) : r.Bits;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I31GetS(RefValue r) => I31(r);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I31GetU(RefValue r) => I31(r) & 0x7FFFFFFF;

    /// <summary>ref.eq: the same object, or two i31 references with the same value; 1 or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RefEq(RefValue a, RefValue b) => a.Equals(b) ? 1 : 0;

    /// <summary>
    /// ref.test: 1 if <paramref name="reference"/> is of the reference type given by <paramref name="target"/> (a canonical
    /// type id when positive, else minus an abstract heap type's byte) and <paramref name="nullable"/> (1: null matches).
    /// </summary>
    public static int Test(RefValue reference, int target, int nullable)
    {
        object? o = reference.Object;
        if (o is null) return nullable;
        if (target > 0)
        {
            int actual = o switch
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
            AbstractHeapType.Eq => o is GcStruct or GcArray or I31Tag,
            AbstractHeapType.I31 => o is I31Tag,
            AbstractHeapType.Struct => o is GcStruct,
            AbstractHeapType.Array => o is GcArray,
            AbstractHeapType.Func => o is FunctionReference,
            AbstractHeapType.Exn => o is WasmException,
            _ => false, // the bottom types hold only null
        };
        return matches ? 1 : 0;
    }

    /// <summary>ref.cast: the reference if <see cref="Test"/> holds, else a "cast failure" trap.</summary>
    public static RefValue Cast(RefValue reference, int target, int nullable) =>
        Test(reference, target, nullable) != 0 ? reference : Throw<RefValue>(TrapCode.CastFailure);
}
