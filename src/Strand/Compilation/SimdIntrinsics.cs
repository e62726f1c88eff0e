using System.Reflection;
using System.Runtime.Intrinsics;
using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// SIMD instructions whose semantics are exactly one cross-platform <see cref="Vector128"/> operation on some lane type,
/// compiled as a direct call to that JIT intrinsic (with no-op <c>Vector128.As</c> reinterpretations around it) instead
/// of a call to a <see cref="Runtime.SimdOps"/> helper.
/// <para>
/// Why: the JIT expands intrinsic calls wherever they are, but it inlines helpers only within a budget (time, and at
/// most 512 locals in the method); in a big function (BLAKE3's compression function: over a thousand vector
/// operations) the helpers past the budget stay real calls, which made such code hundreds of times slower.
/// Everything else goes through <c>SimdOps</c> (one place for the exact semantics).
/// </para>
/// </summary>
internal static class SimdIntrinsics
{
    public enum Kind : byte
    {
        /// <summary>[v128] → [v128]: <c>op(a)</c>.</summary>
        Unary,
        /// <summary>[v128 v128] → [v128]: <c>op(a, b)</c>.</summary>
        Binary,
        /// <summary>[v128 i32] → [v128]: <c>op(a, count &amp; (lane bits - 1))</c>.</summary>
        Shift,
        /// <summary>[v128 v128 v128] → [v128]: <c>ConditionalSelect(c, a, b)</c> (bitselect, relaxed laneselect).</summary>
        Select,
        /// <summary>[scalar] → [v128]: <c>Create(x)</c>, the scalar narrowed to the lane first.</summary>
        Splat,
        /// <summary>[v128] → [scalar]: <c>GetElement(v, lane)</c>.</summary>
        Extract,
        /// <summary>[v128 scalar] → [v128]: <c>WithElement(v, lane, x)</c>.</summary>
        Replace,
        /// <summary>[v128] → [i32]: <c>op(a)</c> (bitmask: <c>ExtractMostSignificantBits</c>).</summary>
        Reduce,
    }

    /// <param name="Kind">The operand pattern (how the compiler arranges the stack around the call).</param>
    /// <param name="Lane">The lane type the operation works on (reinterpreted from and to <c>Vector128&lt;byte&gt;</c>).</param>
    /// <param name="Method">The intrinsic, closed over <paramref name="Lane"/>.</param>
    /// <param name="ResultLane">The result's lane type when it differs (widening, conversion); null: <paramref name="Lane"/>.</param>
    /// <param name="Negated">The result's bits are inverted afterwards (<c>ne</c> = not <c>eq</c>).</param>
    public sealed record Entry(Kind Kind, Type Lane, MethodInfo Method, Type? ResultLane = null, bool Negated = false)
    {
        /// <summary><c>~x</c> on the lane type (the operator intrinsic).</summary>
        public MethodInfo Not => V(ResultLane ?? Lane).GetMethod("op_OnesComplement", [V(ResultLane ?? Lane)])!;
    }

    /// <summary>Vector128 methods whose work is an operator of Vector128&lt;T&gt; (right shifts: arithmetic for signed lanes).</summary>
    private static readonly Dictionary<string, string> Operators = new()
    {
        [nameof(Vector128.Add)] = "op_Addition",
        [nameof(Vector128.Subtract)] = "op_Subtraction",
        [nameof(Vector128.Multiply)] = "op_Multiply",
        [nameof(Vector128.Divide)] = "op_Division",
        [nameof(Vector128.BitwiseAnd)] = "op_BitwiseAnd",
        [nameof(Vector128.BitwiseOr)] = "op_BitwiseOr",
        [nameof(Vector128.Xor)] = "op_ExclusiveOr",
        [nameof(Vector128.OnesComplement)] = "op_OnesComplement",
        [nameof(Vector128.Negate)] = "op_UnaryNegation",
        [nameof(Vector128.ShiftLeft)] = "op_LeftShift",
        [nameof(Vector128.ShiftRightArithmetic)] = "op_RightShift",
        [nameof(Vector128.ShiftRightLogical)] = "op_UnsignedRightShift",
    };

    /// <summary><c>Vector128.Shuffle(Vector128&lt;byte&gt;, Vector128&lt;byte&gt;)</c>: indices from 16 select 0.</summary>
    public static readonly MethodInfo ShuffleBytes = Exact(nameof(Vector128.Shuffle), typeof(Vector128<byte>), typeof(Vector128<byte>));

    // Declared after Operators and ShuffleBytes, which Build reads (static fields initialise in order).
    public static readonly IReadOnlyDictionary<Opcode, Entry> Table = Build();

    private static MethodInfo Generic(string name, Type lane, int parameters) =>
        typeof(Vector128).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == name && m.IsGenericMethodDefinition && m.GetParameters().Length == parameters
                         && m.GetParameters().All(p => p.ParameterType.IsGenericType || p.ParameterType == typeof(int)))
            .MakeGenericMethod(lane);

    private static MethodInfo Exact(string name, params Type[] parameters) =>
        typeof(Vector128).GetMethod(name, BindingFlags.Public | BindingFlags.Static, parameters)
            ?? throw new MissingMethodException(nameof(Vector128), name);

    private static Type V(Type lane) => typeof(Vector128<>).MakeGenericType(lane);

    private static Dictionary<Opcode, Entry> Build()
    {
        var t = new Dictionary<Opcode, Entry>();
        void Add(Opcode op, Kind kind, Type lane, string name)
        {
            // Vector128.Add, Xor, ShiftLeft and the like are wrappers the JIT only inlines (within its budget) around
            // the operators of Vector128<T>, which are the intrinsics it always expands: use those.
            if (Operators.TryGetValue(name, out string? operatorName))
            {
                var parameters = kind == Kind.Shift ? new[] { V(lane), typeof(int) } : Enumerable.Repeat(V(lane), kind == Kind.Unary ? 1 : 2).ToArray();
                var found = V(lane).GetMethod(operatorName, BindingFlags.Public | BindingFlags.Static, parameters)
                    ?? throw new MissingMethodException(V(lane).Name, operatorName);
                t.Add(op, new Entry(kind, lane, found));
                return;
            }
            var method = kind switch
            {
                Kind.Unary => Generic(name, lane, 1),
                Kind.Binary => Generic(name, lane, 2),
                Kind.Select => Generic(name, lane, 3),
                Kind.Shift => Exact(name, V(lane), typeof(int)),
                Kind.Splat => Exact(name, lane),
                Kind.Extract => Generic(name, lane, 2),
                Kind.Replace => typeof(Vector128).GetMethods(BindingFlags.Public | BindingFlags.Static)
                    .Single(m => m.Name == name && m.IsGenericMethodDefinition).MakeGenericMethod(lane),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
            t.Add(op, new Entry(kind, lane, method));
        }

        // Bitwise: lane type irrelevant.
        Add(Opcode.V128Not, Kind.Unary, typeof(byte), nameof(Vector128.OnesComplement));
        Add(Opcode.V128And, Kind.Binary, typeof(byte), nameof(Vector128.BitwiseAnd));
        Add(Opcode.V128Or, Kind.Binary, typeof(byte), nameof(Vector128.BitwiseOr));
        Add(Opcode.V128Xor, Kind.Binary, typeof(byte), nameof(Vector128.Xor));
        Add(Opcode.V128Andnot, Kind.Binary, typeof(byte), nameof(Vector128.AndNot));
        Add(Opcode.V128Bitselect, Kind.Select, typeof(byte), nameof(Vector128.ConditionalSelect));
        foreach (var op in new[] { Opcode.I8x16RelaxedLaneselect, Opcode.I16x8RelaxedLaneselect, Opcode.I32x4RelaxedLaneselect, Opcode.I64x2RelaxedLaneselect })
            Add(op, Kind.Select, typeof(byte), nameof(Vector128.ConditionalSelect));

        // Wrapping integer arithmetic and IEEE float arithmetic (hardware NaN results are quiet).
        (Type Lane, Opcode Add, Opcode Sub, Opcode? Mul)[] arithmetic =
        [
            (typeof(byte), Opcode.I8x16Add, Opcode.I8x16Sub, null),
            (typeof(ushort), Opcode.I16x8Add, Opcode.I16x8Sub, Opcode.I16x8Mul),
            (typeof(uint), Opcode.I32x4Add, Opcode.I32x4Sub, Opcode.I32x4Mul),
            (typeof(ulong), Opcode.I64x2Add, Opcode.I64x2Sub, Opcode.I64x2Mul),
            (typeof(float), Opcode.F32x4Add, Opcode.F32x4Sub, Opcode.F32x4Mul),
            (typeof(double), Opcode.F64x2Add, Opcode.F64x2Sub, Opcode.F64x2Mul),
        ];
        foreach (var (lane, add, sub, mul) in arithmetic)
        {
            Add(add, Kind.Binary, lane, nameof(Vector128.Add));
            Add(sub, Kind.Binary, lane, nameof(Vector128.Subtract));
            if (mul is { } m) Add(m, Kind.Binary, lane, nameof(Vector128.Multiply));
        }
        Add(Opcode.I8x16Neg, Kind.Unary, typeof(byte), nameof(Vector128.Negate));
        Add(Opcode.I16x8Neg, Kind.Unary, typeof(ushort), nameof(Vector128.Negate));
        Add(Opcode.I32x4Neg, Kind.Unary, typeof(uint), nameof(Vector128.Negate));
        Add(Opcode.I64x2Neg, Kind.Unary, typeof(ulong), nameof(Vector128.Negate));
        Add(Opcode.F32x4Div, Kind.Binary, typeof(float), nameof(Vector128.Divide));
        Add(Opcode.F64x2Div, Kind.Binary, typeof(double), nameof(Vector128.Divide));
        Add(Opcode.F32x4Sqrt, Kind.Unary, typeof(float), nameof(Vector128.Sqrt));
        Add(Opcode.F64x2Sqrt, Kind.Unary, typeof(double), nameof(Vector128.Sqrt));

        // Integer min/max (float min/max have wasm's own NaN and ±0 rules: SimdOps).
        Add(Opcode.I8x16MinS, Kind.Binary, typeof(sbyte), nameof(Vector128.Min));
        Add(Opcode.I8x16MinU, Kind.Binary, typeof(byte), nameof(Vector128.Min));
        Add(Opcode.I8x16MaxS, Kind.Binary, typeof(sbyte), nameof(Vector128.Max));
        Add(Opcode.I8x16MaxU, Kind.Binary, typeof(byte), nameof(Vector128.Max));
        Add(Opcode.I16x8MinS, Kind.Binary, typeof(short), nameof(Vector128.Min));
        Add(Opcode.I16x8MinU, Kind.Binary, typeof(ushort), nameof(Vector128.Min));
        Add(Opcode.I16x8MaxS, Kind.Binary, typeof(short), nameof(Vector128.Max));
        Add(Opcode.I16x8MaxU, Kind.Binary, typeof(ushort), nameof(Vector128.Max));
        Add(Opcode.I32x4MinS, Kind.Binary, typeof(int), nameof(Vector128.Min));
        Add(Opcode.I32x4MinU, Kind.Binary, typeof(uint), nameof(Vector128.Min));
        Add(Opcode.I32x4MaxS, Kind.Binary, typeof(int), nameof(Vector128.Max));
        Add(Opcode.I32x4MaxU, Kind.Binary, typeof(uint), nameof(Vector128.Max));

        // Comparisons (all-ones lanes for true; float ones are ordered; ne is not eq, true for NaN).
        (Type Signed, Type Unsigned, Opcode Eq, Opcode LtS, Opcode? LtU, Opcode GtS, Opcode? GtU, Opcode LeS, Opcode? LeU, Opcode GeS, Opcode? GeU)[] compares =
        [
            (typeof(sbyte), typeof(byte), Opcode.I8x16Eq, Opcode.I8x16LtS, Opcode.I8x16LtU, Opcode.I8x16GtS, Opcode.I8x16GtU, Opcode.I8x16LeS, Opcode.I8x16LeU, Opcode.I8x16GeS, Opcode.I8x16GeU),
            (typeof(short), typeof(ushort), Opcode.I16x8Eq, Opcode.I16x8LtS, Opcode.I16x8LtU, Opcode.I16x8GtS, Opcode.I16x8GtU, Opcode.I16x8LeS, Opcode.I16x8LeU, Opcode.I16x8GeS, Opcode.I16x8GeU),
            (typeof(int), typeof(uint), Opcode.I32x4Eq, Opcode.I32x4LtS, Opcode.I32x4LtU, Opcode.I32x4GtS, Opcode.I32x4GtU, Opcode.I32x4LeS, Opcode.I32x4LeU, Opcode.I32x4GeS, Opcode.I32x4GeU),
            (typeof(long), typeof(ulong), Opcode.I64x2Eq, Opcode.I64x2LtS, null, Opcode.I64x2GtS, null, Opcode.I64x2LeS, null, Opcode.I64x2GeS, null),
            (typeof(float), typeof(float), Opcode.F32x4Eq, Opcode.F32x4Lt, null, Opcode.F32x4Gt, null, Opcode.F32x4Le, null, Opcode.F32x4Ge, null),
            (typeof(double), typeof(double), Opcode.F64x2Eq, Opcode.F64x2Lt, null, Opcode.F64x2Gt, null, Opcode.F64x2Le, null, Opcode.F64x2Ge, null),
        ];
        (Opcode Ne, Type Lane)[] notEqual =
        [
            (Opcode.I8x16Ne, typeof(byte)), (Opcode.I16x8Ne, typeof(ushort)), (Opcode.I32x4Ne, typeof(uint)),
            (Opcode.I64x2Ne, typeof(ulong)), (Opcode.F32x4Ne, typeof(float)), (Opcode.F64x2Ne, typeof(double)),
        ];
        foreach (var (ne, lane) in notEqual)
            t.Add(ne, new Entry(Kind.Binary, lane, Generic(nameof(Vector128.Equals), lane, 2), Negated: true));
        foreach (var c in compares)
        {
            Add(c.Eq, Kind.Binary, c.Signed, nameof(Vector128.Equals));
            Add(c.LtS, Kind.Binary, c.Signed, nameof(Vector128.LessThan));
            Add(c.GtS, Kind.Binary, c.Signed, nameof(Vector128.GreaterThan));
            Add(c.LeS, Kind.Binary, c.Signed, nameof(Vector128.LessThanOrEqual));
            Add(c.GeS, Kind.Binary, c.Signed, nameof(Vector128.GreaterThanOrEqual));
            if (c.LtU is { } ltU) Add(ltU, Kind.Binary, c.Unsigned, nameof(Vector128.LessThan));
            if (c.GtU is { } gtU) Add(gtU, Kind.Binary, c.Unsigned, nameof(Vector128.GreaterThan));
            if (c.LeU is { } leU) Add(leU, Kind.Binary, c.Unsigned, nameof(Vector128.LessThanOrEqual));
            if (c.GeU is { } geU) Add(geU, Kind.Binary, c.Unsigned, nameof(Vector128.GreaterThanOrEqual));
        }

        // Shifts (the count masked to the lane width by the compiler).
        (Type Signed, Type Unsigned, Opcode Shl, Opcode ShrS, Opcode ShrU)[] shifts =
        [
            (typeof(sbyte), typeof(byte), Opcode.I8x16Shl, Opcode.I8x16ShrS, Opcode.I8x16ShrU),
            (typeof(short), typeof(ushort), Opcode.I16x8Shl, Opcode.I16x8ShrS, Opcode.I16x8ShrU),
            (typeof(int), typeof(uint), Opcode.I32x4Shl, Opcode.I32x4ShrS, Opcode.I32x4ShrU),
            (typeof(long), typeof(ulong), Opcode.I64x2Shl, Opcode.I64x2ShrS, Opcode.I64x2ShrU),
        ];
        foreach (var (signed, unsigned, shl, shrS, shrU) in shifts)
        {
            Add(shl, Kind.Shift, unsigned, nameof(Vector128.ShiftLeft));
            Add(shrS, Kind.Shift, signed, nameof(Vector128.ShiftRightArithmetic));
            Add(shrU, Kind.Shift, unsigned, nameof(Vector128.ShiftRightLogical));
        }

        // swizzle (and Strand's relaxed_swizzle): Vector128.Shuffle gives 0 for indices from 16, as the spec says.
        t.Add(Opcode.I8x16Swizzle, new Entry(Kind.Binary, typeof(byte), ShuffleBytes));
        t.Add(Opcode.I8x16RelaxedSwizzle, new Entry(Kind.Binary, typeof(byte), ShuffleBytes));

        // Widening (sign or zero extension by the source lane type), exact conversion, bitmask.
        (Opcode Op, Type From, Type To, string Name)[] widening =
        [
            (Opcode.I16x8ExtendLowI8x16S, typeof(sbyte), typeof(short), nameof(Vector128.WidenLower)),
            (Opcode.I16x8ExtendHighI8x16S, typeof(sbyte), typeof(short), nameof(Vector128.WidenUpper)),
            (Opcode.I16x8ExtendLowI8x16U, typeof(byte), typeof(ushort), nameof(Vector128.WidenLower)),
            (Opcode.I16x8ExtendHighI8x16U, typeof(byte), typeof(ushort), nameof(Vector128.WidenUpper)),
            (Opcode.I32x4ExtendLowI16x8S, typeof(short), typeof(int), nameof(Vector128.WidenLower)),
            (Opcode.I32x4ExtendHighI16x8S, typeof(short), typeof(int), nameof(Vector128.WidenUpper)),
            (Opcode.I32x4ExtendLowI16x8U, typeof(ushort), typeof(uint), nameof(Vector128.WidenLower)),
            (Opcode.I32x4ExtendHighI16x8U, typeof(ushort), typeof(uint), nameof(Vector128.WidenUpper)),
            (Opcode.I64x2ExtendLowI32x4S, typeof(int), typeof(long), nameof(Vector128.WidenLower)),
            (Opcode.I64x2ExtendHighI32x4S, typeof(int), typeof(long), nameof(Vector128.WidenUpper)),
            (Opcode.I64x2ExtendLowI32x4U, typeof(uint), typeof(ulong), nameof(Vector128.WidenLower)),
            (Opcode.I64x2ExtendHighI32x4U, typeof(uint), typeof(ulong), nameof(Vector128.WidenUpper)),
        ];
        foreach (var (op, from, to, name) in widening)
            t.Add(op, new Entry(Kind.Unary, from, Exact(name, V(from)), to));
        t.Add(Opcode.F32x4ConvertI32x4S, new Entry(Kind.Unary, typeof(int), Exact(nameof(Vector128.ConvertToSingle), V(typeof(int))), typeof(float)));
        foreach (var (op, lane) in new[] { (Opcode.I8x16Bitmask, typeof(byte)), (Opcode.I16x8Bitmask, typeof(ushort)), (Opcode.I32x4Bitmask, typeof(uint)), (Opcode.I64x2Bitmask, typeof(ulong)) })
            t.Add(op, new Entry(Kind.Reduce, lane, Generic(nameof(Vector128.ExtractMostSignificantBits), lane, 1)));

        // Splats, lane extraction (sign/zero extension by the lane type) and replacement.
        Add(Opcode.I8x16Splat, Kind.Splat, typeof(byte), nameof(Vector128.Create));
        Add(Opcode.I16x8Splat, Kind.Splat, typeof(ushort), nameof(Vector128.Create));
        Add(Opcode.I32x4Splat, Kind.Splat, typeof(int), nameof(Vector128.Create));
        Add(Opcode.I64x2Splat, Kind.Splat, typeof(long), nameof(Vector128.Create));
        Add(Opcode.F32x4Splat, Kind.Splat, typeof(float), nameof(Vector128.Create));
        Add(Opcode.F64x2Splat, Kind.Splat, typeof(double), nameof(Vector128.Create));
        Add(Opcode.I8x16ExtractLaneS, Kind.Extract, typeof(sbyte), nameof(Vector128.GetElement));
        Add(Opcode.I8x16ExtractLaneU, Kind.Extract, typeof(byte), nameof(Vector128.GetElement));
        Add(Opcode.I16x8ExtractLaneS, Kind.Extract, typeof(short), nameof(Vector128.GetElement));
        Add(Opcode.I16x8ExtractLaneU, Kind.Extract, typeof(ushort), nameof(Vector128.GetElement));
        Add(Opcode.I32x4ExtractLane, Kind.Extract, typeof(int), nameof(Vector128.GetElement));
        Add(Opcode.I64x2ExtractLane, Kind.Extract, typeof(long), nameof(Vector128.GetElement));
        // f32x4.extract_lane stays the SimdOps helper: a folded float lane would be a literal kept as a double (quiet sNaN).
        Add(Opcode.F64x2ExtractLane, Kind.Extract, typeof(double), nameof(Vector128.GetElement));
        Add(Opcode.I8x16ReplaceLane, Kind.Replace, typeof(byte), nameof(Vector128.WithElement));
        Add(Opcode.I16x8ReplaceLane, Kind.Replace, typeof(ushort), nameof(Vector128.WithElement));
        Add(Opcode.I32x4ReplaceLane, Kind.Replace, typeof(int), nameof(Vector128.WithElement));
        Add(Opcode.I64x2ReplaceLane, Kind.Replace, typeof(long), nameof(Vector128.WithElement));
        Add(Opcode.F32x4ReplaceLane, Kind.Replace, typeof(float), nameof(Vector128.WithElement));
        Add(Opcode.F64x2ReplaceLane, Kind.Replace, typeof(double), nameof(Vector128.WithElement));
        return t;
    }

    /// <summary><c>Vector128.As&lt;TFrom, TTo&gt;</c>: a reinterpretation the JIT compiles to nothing.</summary>
    public static MethodInfo As(Type from, Type to) => AsDefinition.MakeGenericMethod(from, to);

    private static readonly MethodInfo AsDefinition = typeof(Vector128).GetMethods(BindingFlags.Public | BindingFlags.Static)
        .Single(m => m.Name == nameof(Vector128.As) && m.GetGenericArguments().Length == 2);

    /// <summary><c>Vector128.Create(long, long)</c> (the JIT folds constant arguments into a vector constant).</summary>
    public static readonly MethodInfo CreateFromLongs = Exact(nameof(Vector128.Create), typeof(long), typeof(long));
    public static readonly MethodInfo AsLongToByte = As(typeof(long), typeof(byte));
    public static readonly MethodInfo OrBytes = typeof(Vector128<byte>).GetMethod("op_BitwiseOr", [typeof(Vector128<byte>), typeof(Vector128<byte>)])!;
    /// <summary><c>Unsafe.ReadUnaligned&lt;Vector128&lt;byte&gt;&gt;(void*)</c> and <c>Unsafe.WriteUnaligned(void*, Vector128&lt;byte&gt;)</c> (JIT intrinsics).</summary>
    public static readonly MethodInfo LoadBytes = UnsafeAccess("ReadUnaligned", 1);
    public static readonly MethodInfo StoreBytes = UnsafeAccess("WriteUnaligned", 2);

    private static MethodInfo UnsafeAccess(string name, int parameters, Type? type = null) =>
        typeof(System.Runtime.CompilerServices.Unsafe).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == name && m.GetParameters().Length == parameters && m.GetParameters()[0].ParameterType.IsPointer)
            .MakeGenericMethod(type ?? typeof(Vector128<byte>));

    /// <summary>
    /// The narrower memory instructions, as intrinsics on the scalar read or written at the checked address:
    /// splats (<c>Create</c>), zero-extending loads (<c>CreateScalar</c>), extending loads (8 bytes, <c>WidenLower</c>),
    /// lane loads (<c>WithElement</c>) and lane stores (<c>GetElement</c>).
    /// </summary>
    public enum MemoryKind : byte { Splat, Zero, Extend, LoadLane, StoreLane }

    /// <param name="Kind">Which access.</param>
    /// <param name="Scalar">The type read or written (the lane type; ulong for extending loads).</param>
    /// <param name="Lane">The lane type of the vector operation (for extending loads, the source lanes).</param>
    /// <param name="Result">The result lane type of an extending load.</param>
    public sealed record MemoryEntry(MemoryKind Kind, Type Scalar, Type Lane, Type? Result = null)
    {
        public MethodInfo Read => UnsafeAccess("ReadUnaligned", 1, Scalar);
        public MethodInfo Write => UnsafeAccess("WriteUnaligned", 2, Scalar);
    }

    public static readonly IReadOnlyDictionary<Opcode, MemoryEntry> Memory = new Dictionary<Opcode, MemoryEntry>
    {
        [Opcode.V128Load8Splat] = new(MemoryKind.Splat, typeof(byte), typeof(byte)),
        [Opcode.V128Load16Splat] = new(MemoryKind.Splat, typeof(ushort), typeof(ushort)),
        [Opcode.V128Load32Splat] = new(MemoryKind.Splat, typeof(uint), typeof(uint)),
        [Opcode.V128Load64Splat] = new(MemoryKind.Splat, typeof(ulong), typeof(ulong)),
        [Opcode.V128Load32Zero] = new(MemoryKind.Zero, typeof(uint), typeof(uint)),
        [Opcode.V128Load64Zero] = new(MemoryKind.Zero, typeof(ulong), typeof(ulong)),
        [Opcode.V128Load8x8S] = new(MemoryKind.Extend, typeof(ulong), typeof(sbyte), typeof(short)),
        [Opcode.V128Load8x8U] = new(MemoryKind.Extend, typeof(ulong), typeof(byte), typeof(ushort)),
        [Opcode.V128Load16x4S] = new(MemoryKind.Extend, typeof(ulong), typeof(short), typeof(int)),
        [Opcode.V128Load16x4U] = new(MemoryKind.Extend, typeof(ulong), typeof(ushort), typeof(uint)),
        [Opcode.V128Load32x2S] = new(MemoryKind.Extend, typeof(ulong), typeof(int), typeof(long)),
        [Opcode.V128Load32x2U] = new(MemoryKind.Extend, typeof(ulong), typeof(uint), typeof(ulong)),
        [Opcode.V128Load8Lane] = new(MemoryKind.LoadLane, typeof(byte), typeof(byte)),
        [Opcode.V128Load16Lane] = new(MemoryKind.LoadLane, typeof(ushort), typeof(ushort)),
        [Opcode.V128Load32Lane] = new(MemoryKind.LoadLane, typeof(uint), typeof(uint)),
        [Opcode.V128Load64Lane] = new(MemoryKind.LoadLane, typeof(ulong), typeof(ulong)),
        [Opcode.V128Store8Lane] = new(MemoryKind.StoreLane, typeof(byte), typeof(byte)),
        [Opcode.V128Store16Lane] = new(MemoryKind.StoreLane, typeof(ushort), typeof(ushort)),
        [Opcode.V128Store32Lane] = new(MemoryKind.StoreLane, typeof(uint), typeof(uint)),
        [Opcode.V128Store64Lane] = new(MemoryKind.StoreLane, typeof(ulong), typeof(ulong)),
    };

    public static MethodInfo CreateOf(Type lane) => Exact(nameof(Vector128.Create), lane);
    /// <summary><c>Vector128.Create(x, y, z, w)</c> of four lanes (constant arguments fold into a vector constant).</summary>
    public static MethodInfo CreateOf4(Type lane) => Exact(nameof(Vector128.Create), lane, lane, lane, lane);
    public static MethodInfo CreateScalarOf(Type lane) => Exact(nameof(Vector128.CreateScalar), lane);
    public static MethodInfo WidenLowerOf(Type lane) => Exact(nameof(Vector128.WidenLower), V(lane));
    public static MethodInfo GetElementOf(Type lane) => Generic(nameof(Vector128.GetElement), lane, 2);
    public static MethodInfo WithElementOf(Type lane) => typeof(Vector128).GetMethods(BindingFlags.Public | BindingFlags.Static)
        .Single(m => m.Name == nameof(Vector128.WithElement) && m.IsGenericMethodDefinition).MakeGenericMethod(lane);
}
