namespace Strand.Binary;

/// <summary>The immediates of a SIMD instruction (0xFD prefix).</summary>
internal enum SimdImmediate : byte
{
    /// <summary>No immediate.</summary>
    None,
    /// <summary>A memarg (alignment, offset).</summary>
    MemArg,
    /// <summary>A memarg, then a lane index byte (<c>v128.loadN_lane</c>, <c>v128.storeN_lane</c>).</summary>
    MemArgLane,
    /// <summary>A lane index byte (<c>extract_lane</c>, <c>replace_lane</c>).</summary>
    Lane,
    /// <summary>16 bytes of a constant (<c>v128.const</c>).</summary>
    Const,
    /// <summary>16 lane-index bytes (<c>i8x16.shuffle</c>).</summary>
    Shuffle,
}

/// <summary>
/// One SIMD instruction: text name, operand and result types, immediates, the lane count a lane index must stay
/// below, and the bytes a memory instruction accesses (its natural alignment is log2 of that).
/// </summary>
internal sealed class SimdOpcodeInfo
{
    public SimdOpcodeInfo(Opcode opcode, string name, string signature, SimdImmediate immediate, int lanes, int accessSize)
    {
        Opcode = opcode;
        Name = name;
        Immediate = immediate;
        Lanes = lanes;
        AccessSize = accessSize;
        var parts = signature.Split(':');
        Operands = parts[0].Select(TypeOf).ToArray();
        Results = parts[1].Select(TypeOf).ToArray();
    }

    public Opcode Opcode { get; }
    /// <summary>The text-format name (spec 6.5.8).</summary>
    public string Name { get; }
    /// <summary>Operand types, bottom of the stack first.</summary>
    public ValType[] Operands { get; }
    /// <summary>Result types (none for stores, one otherwise).</summary>
    public ValType[] Results { get; }
    public SimdImmediate Immediate { get; }
    /// <summary>Lane indices must be below this (32 for <c>i8x16.shuffle</c>); 0 when there is no lane immediate.</summary>
    public int Lanes { get; }
    /// <summary>Bytes read or written by a memory instruction; 0 for the others.</summary>
    public int AccessSize { get; }
    /// <summary>True for loads and stores.</summary>
    public bool IsMemory => AccessSize != 0;

    private static ValType TypeOf(char c) => c switch
    {
        'i' => ValType.I32,
        'l' => ValType.I64,
        'f' => ValType.F32,
        'd' => ValType.F64,
        'v' => ValType.V128,
        _ => throw new ArgumentException($"bad signature letter {c}"),
    };
}

/// <summary>
/// The table of every SIMD instruction (WebAssembly 2.0 fixed-width SIMD, spec 5.4.8, and the relaxed SIMD proposal
/// of WebAssembly 3.0), driving decoding, validation and compilation. Signatures are "operands:results" with
/// i = i32, l = i64, f = f32, d = f64, v = v128.
/// </summary>
internal static class SimdOpcodes
{
    private static readonly SimdOpcodeInfo[] All =
    [
        new(Opcode.V128Load, "v128.load", "i:v", SimdImmediate.MemArg, 0, 16),
        new(Opcode.V128Load8x8S, "v128.load8x8_s", "i:v", SimdImmediate.MemArg, 0, 8),
        new(Opcode.V128Load8x8U, "v128.load8x8_u", "i:v", SimdImmediate.MemArg, 0, 8),
        new(Opcode.V128Load16x4S, "v128.load16x4_s", "i:v", SimdImmediate.MemArg, 0, 8),
        new(Opcode.V128Load16x4U, "v128.load16x4_u", "i:v", SimdImmediate.MemArg, 0, 8),
        new(Opcode.V128Load32x2S, "v128.load32x2_s", "i:v", SimdImmediate.MemArg, 0, 8),
        new(Opcode.V128Load32x2U, "v128.load32x2_u", "i:v", SimdImmediate.MemArg, 0, 8),
        new(Opcode.V128Load8Splat, "v128.load8_splat", "i:v", SimdImmediate.MemArg, 0, 1),
        new(Opcode.V128Load16Splat, "v128.load16_splat", "i:v", SimdImmediate.MemArg, 0, 2),
        new(Opcode.V128Load32Splat, "v128.load32_splat", "i:v", SimdImmediate.MemArg, 0, 4),
        new(Opcode.V128Load64Splat, "v128.load64_splat", "i:v", SimdImmediate.MemArg, 0, 8),
        new(Opcode.V128Store, "v128.store", "iv:", SimdImmediate.MemArg, 0, 16),
        new(Opcode.V128Const, "v128.const", ":v", SimdImmediate.Const, 0, 0),
        new(Opcode.I8x16Shuffle, "i8x16.shuffle", "vv:v", SimdImmediate.Shuffle, 32, 0),
        new(Opcode.I8x16Swizzle, "i8x16.swizzle", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Splat, "i8x16.splat", "i:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Splat, "i16x8.splat", "i:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Splat, "i32x4.splat", "i:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Splat, "i64x2.splat", "l:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Splat, "f32x4.splat", "f:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Splat, "f64x2.splat", "d:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16ExtractLaneS, "i8x16.extract_lane_s", "v:i", SimdImmediate.Lane, 16, 0),
        new(Opcode.I8x16ExtractLaneU, "i8x16.extract_lane_u", "v:i", SimdImmediate.Lane, 16, 0),
        new(Opcode.I8x16ReplaceLane, "i8x16.replace_lane", "vi:v", SimdImmediate.Lane, 16, 0),
        new(Opcode.I16x8ExtractLaneS, "i16x8.extract_lane_s", "v:i", SimdImmediate.Lane, 8, 0),
        new(Opcode.I16x8ExtractLaneU, "i16x8.extract_lane_u", "v:i", SimdImmediate.Lane, 8, 0),
        new(Opcode.I16x8ReplaceLane, "i16x8.replace_lane", "vi:v", SimdImmediate.Lane, 8, 0),
        new(Opcode.I32x4ExtractLane, "i32x4.extract_lane", "v:i", SimdImmediate.Lane, 4, 0),
        new(Opcode.I32x4ReplaceLane, "i32x4.replace_lane", "vi:v", SimdImmediate.Lane, 4, 0),
        new(Opcode.I64x2ExtractLane, "i64x2.extract_lane", "v:l", SimdImmediate.Lane, 2, 0),
        new(Opcode.I64x2ReplaceLane, "i64x2.replace_lane", "vl:v", SimdImmediate.Lane, 2, 0),
        new(Opcode.F32x4ExtractLane, "f32x4.extract_lane", "v:f", SimdImmediate.Lane, 4, 0),
        new(Opcode.F32x4ReplaceLane, "f32x4.replace_lane", "vf:v", SimdImmediate.Lane, 4, 0),
        new(Opcode.F64x2ExtractLane, "f64x2.extract_lane", "v:d", SimdImmediate.Lane, 2, 0),
        new(Opcode.F64x2ReplaceLane, "f64x2.replace_lane", "vd:v", SimdImmediate.Lane, 2, 0),
        new(Opcode.I8x16Eq, "i8x16.eq", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Ne, "i8x16.ne", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16LtS, "i8x16.lt_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16LtU, "i8x16.lt_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16GtS, "i8x16.gt_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16GtU, "i8x16.gt_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16LeS, "i8x16.le_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16LeU, "i8x16.le_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16GeS, "i8x16.ge_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16GeU, "i8x16.ge_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Eq, "i16x8.eq", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Ne, "i16x8.ne", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8LtS, "i16x8.lt_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8LtU, "i16x8.lt_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8GtS, "i16x8.gt_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8GtU, "i16x8.gt_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8LeS, "i16x8.le_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8LeU, "i16x8.le_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8GeS, "i16x8.ge_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8GeU, "i16x8.ge_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Eq, "i32x4.eq", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Ne, "i32x4.ne", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4LtS, "i32x4.lt_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4LtU, "i32x4.lt_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4GtS, "i32x4.gt_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4GtU, "i32x4.gt_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4LeS, "i32x4.le_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4LeU, "i32x4.le_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4GeS, "i32x4.ge_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4GeU, "i32x4.ge_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Eq, "f32x4.eq", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Ne, "f32x4.ne", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Lt, "f32x4.lt", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Gt, "f32x4.gt", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Le, "f32x4.le", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Ge, "f32x4.ge", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Eq, "f64x2.eq", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Ne, "f64x2.ne", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Lt, "f64x2.lt", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Gt, "f64x2.gt", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Le, "f64x2.le", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Ge, "f64x2.ge", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.V128Not, "v128.not", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.V128And, "v128.and", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.V128Andnot, "v128.andnot", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.V128Or, "v128.or", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.V128Xor, "v128.xor", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.V128Bitselect, "v128.bitselect", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.V128AnyTrue, "v128.any_true", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.V128Load8Lane, "v128.load8_lane", "iv:v", SimdImmediate.MemArgLane, 16, 1),
        new(Opcode.V128Load16Lane, "v128.load16_lane", "iv:v", SimdImmediate.MemArgLane, 8, 2),
        new(Opcode.V128Load32Lane, "v128.load32_lane", "iv:v", SimdImmediate.MemArgLane, 4, 4),
        new(Opcode.V128Load64Lane, "v128.load64_lane", "iv:v", SimdImmediate.MemArgLane, 2, 8),
        new(Opcode.V128Store8Lane, "v128.store8_lane", "iv:", SimdImmediate.MemArgLane, 16, 1),
        new(Opcode.V128Store16Lane, "v128.store16_lane", "iv:", SimdImmediate.MemArgLane, 8, 2),
        new(Opcode.V128Store32Lane, "v128.store32_lane", "iv:", SimdImmediate.MemArgLane, 4, 4),
        new(Opcode.V128Store64Lane, "v128.store64_lane", "iv:", SimdImmediate.MemArgLane, 2, 8),
        new(Opcode.V128Load32Zero, "v128.load32_zero", "i:v", SimdImmediate.MemArg, 0, 4),
        new(Opcode.V128Load64Zero, "v128.load64_zero", "i:v", SimdImmediate.MemArg, 0, 8),
        new(Opcode.F32x4DemoteF64x2Zero, "f32x4.demote_f64x2_zero", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2PromoteLowF32x4, "f64x2.promote_low_f32x4", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Abs, "i8x16.abs", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Neg, "i8x16.neg", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Popcnt, "i8x16.popcnt", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16AllTrue, "i8x16.all_true", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Bitmask, "i8x16.bitmask", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16NarrowI16x8S, "i8x16.narrow_i16x8_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16NarrowI16x8U, "i8x16.narrow_i16x8_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Ceil, "f32x4.ceil", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Floor, "f32x4.floor", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Trunc, "f32x4.trunc", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Nearest, "f32x4.nearest", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Shl, "i8x16.shl", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16ShrS, "i8x16.shr_s", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16ShrU, "i8x16.shr_u", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Add, "i8x16.add", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16AddSatS, "i8x16.add_sat_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16AddSatU, "i8x16.add_sat_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16Sub, "i8x16.sub", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16SubSatS, "i8x16.sub_sat_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16SubSatU, "i8x16.sub_sat_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Ceil, "f64x2.ceil", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Floor, "f64x2.floor", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16MinS, "i8x16.min_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16MinU, "i8x16.min_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16MaxS, "i8x16.max_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16MaxU, "i8x16.max_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Trunc, "f64x2.trunc", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16AvgrU, "i8x16.avgr_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtaddPairwiseI8x16S, "i16x8.extadd_pairwise_i8x16_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtaddPairwiseI8x16U, "i16x8.extadd_pairwise_i8x16_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtaddPairwiseI16x8S, "i32x4.extadd_pairwise_i16x8_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtaddPairwiseI16x8U, "i32x4.extadd_pairwise_i16x8_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Abs, "i16x8.abs", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Neg, "i16x8.neg", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Q15mulrSatS, "i16x8.q15mulr_sat_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8AllTrue, "i16x8.all_true", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Bitmask, "i16x8.bitmask", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8NarrowI32x4S, "i16x8.narrow_i32x4_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8NarrowI32x4U, "i16x8.narrow_i32x4_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtendLowI8x16S, "i16x8.extend_low_i8x16_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtendHighI8x16S, "i16x8.extend_high_i8x16_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtendLowI8x16U, "i16x8.extend_low_i8x16_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtendHighI8x16U, "i16x8.extend_high_i8x16_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Shl, "i16x8.shl", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ShrS, "i16x8.shr_s", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ShrU, "i16x8.shr_u", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Add, "i16x8.add", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8AddSatS, "i16x8.add_sat_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8AddSatU, "i16x8.add_sat_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Sub, "i16x8.sub", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8SubSatS, "i16x8.sub_sat_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8SubSatU, "i16x8.sub_sat_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Nearest, "f64x2.nearest", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8Mul, "i16x8.mul", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8MinS, "i16x8.min_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8MinU, "i16x8.min_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8MaxS, "i16x8.max_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8MaxU, "i16x8.max_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8AvgrU, "i16x8.avgr_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtmulLowI8x16S, "i16x8.extmul_low_i8x16_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtmulHighI8x16S, "i16x8.extmul_high_i8x16_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtmulLowI8x16U, "i16x8.extmul_low_i8x16_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8ExtmulHighI8x16U, "i16x8.extmul_high_i8x16_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Abs, "i32x4.abs", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Neg, "i32x4.neg", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4AllTrue, "i32x4.all_true", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Bitmask, "i32x4.bitmask", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtendLowI16x8S, "i32x4.extend_low_i16x8_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtendHighI16x8S, "i32x4.extend_high_i16x8_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtendLowI16x8U, "i32x4.extend_low_i16x8_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtendHighI16x8U, "i32x4.extend_high_i16x8_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Shl, "i32x4.shl", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ShrS, "i32x4.shr_s", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ShrU, "i32x4.shr_u", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Add, "i32x4.add", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Sub, "i32x4.sub", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4Mul, "i32x4.mul", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4MinS, "i32x4.min_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4MinU, "i32x4.min_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4MaxS, "i32x4.max_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4MaxU, "i32x4.max_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4DotI16x8S, "i32x4.dot_i16x8_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtmulLowI16x8S, "i32x4.extmul_low_i16x8_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtmulHighI16x8S, "i32x4.extmul_high_i16x8_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtmulLowI16x8U, "i32x4.extmul_low_i16x8_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4ExtmulHighI16x8U, "i32x4.extmul_high_i16x8_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Abs, "i64x2.abs", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Neg, "i64x2.neg", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2AllTrue, "i64x2.all_true", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Bitmask, "i64x2.bitmask", "v:i", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ExtendLowI32x4S, "i64x2.extend_low_i32x4_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ExtendHighI32x4S, "i64x2.extend_high_i32x4_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ExtendLowI32x4U, "i64x2.extend_low_i32x4_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ExtendHighI32x4U, "i64x2.extend_high_i32x4_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Shl, "i64x2.shl", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ShrS, "i64x2.shr_s", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ShrU, "i64x2.shr_u", "vi:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Add, "i64x2.add", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Sub, "i64x2.sub", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Mul, "i64x2.mul", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Eq, "i64x2.eq", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2Ne, "i64x2.ne", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2LtS, "i64x2.lt_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2GtS, "i64x2.gt_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2LeS, "i64x2.le_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2GeS, "i64x2.ge_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ExtmulLowI32x4S, "i64x2.extmul_low_i32x4_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ExtmulHighI32x4S, "i64x2.extmul_high_i32x4_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ExtmulLowI32x4U, "i64x2.extmul_low_i32x4_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2ExtmulHighI32x4U, "i64x2.extmul_high_i32x4_u", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Abs, "f32x4.abs", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Neg, "f32x4.neg", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Sqrt, "f32x4.sqrt", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Add, "f32x4.add", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Sub, "f32x4.sub", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Mul, "f32x4.mul", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Div, "f32x4.div", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Min, "f32x4.min", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Max, "f32x4.max", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Pmin, "f32x4.pmin", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4Pmax, "f32x4.pmax", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Abs, "f64x2.abs", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Neg, "f64x2.neg", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Sqrt, "f64x2.sqrt", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Add, "f64x2.add", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Sub, "f64x2.sub", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Mul, "f64x2.mul", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Div, "f64x2.div", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Min, "f64x2.min", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Max, "f64x2.max", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Pmin, "f64x2.pmin", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2Pmax, "f64x2.pmax", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4TruncSatF32x4S, "i32x4.trunc_sat_f32x4_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4TruncSatF32x4U, "i32x4.trunc_sat_f32x4_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4ConvertI32x4S, "f32x4.convert_i32x4_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4ConvertI32x4U, "f32x4.convert_i32x4_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4TruncSatF64x2SZero, "i32x4.trunc_sat_f64x2_s_zero", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4TruncSatF64x2UZero, "i32x4.trunc_sat_f64x2_u_zero", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2ConvertLowI32x4S, "f64x2.convert_low_i32x4_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2ConvertLowI32x4U, "f64x2.convert_low_i32x4_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16RelaxedSwizzle, "i8x16.relaxed_swizzle", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4RelaxedTruncF32x4S, "i32x4.relaxed_trunc_f32x4_s", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4RelaxedTruncF32x4U, "i32x4.relaxed_trunc_f32x4_u", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4RelaxedTruncF64x2SZero, "i32x4.relaxed_trunc_f64x2_s_zero", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4RelaxedTruncF64x2UZero, "i32x4.relaxed_trunc_f64x2_u_zero", "v:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4RelaxedMadd, "f32x4.relaxed_madd", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4RelaxedNmadd, "f32x4.relaxed_nmadd", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2RelaxedMadd, "f64x2.relaxed_madd", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2RelaxedNmadd, "f64x2.relaxed_nmadd", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I8x16RelaxedLaneselect, "i8x16.relaxed_laneselect", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8RelaxedLaneselect, "i16x8.relaxed_laneselect", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4RelaxedLaneselect, "i32x4.relaxed_laneselect", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I64x2RelaxedLaneselect, "i64x2.relaxed_laneselect", "vvv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4RelaxedMin, "f32x4.relaxed_min", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F32x4RelaxedMax, "f32x4.relaxed_max", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2RelaxedMin, "f64x2.relaxed_min", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.F64x2RelaxedMax, "f64x2.relaxed_max", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8RelaxedQ15mulrS, "i16x8.relaxed_q15mulr_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I16x8RelaxedDotI8x16I7x16S, "i16x8.relaxed_dot_i8x16_i7x16_s", "vv:v", SimdImmediate.None, 0, 0),
        new(Opcode.I32x4RelaxedDotI8x16I7x16AddS, "i32x4.relaxed_dot_i8x16_i7x16_add_s", "vvv:v", SimdImmediate.None, 0, 0),
    ];

    /// <summary>By sub-opcode (0..0x113); null for reserved sub-opcodes.</summary>
    private static readonly SimdOpcodeInfo?[] BySub = BuildBySub();

    private static SimdOpcodeInfo?[] BuildBySub()
    {
        var table = new SimdOpcodeInfo?[0x114];
        foreach (var info in All) table[SubOpcode(info.Opcode)] = info;
        return table;
    }

    /// <summary>The binary sub-opcode (after the 0xFD prefix) of a SIMD opcode.</summary>
    public static uint SubOpcode(Opcode op) => IsRelaxed(op) ? 0x100u + ((uint)op & 0xFF) : (uint)op & 0xFF;

    private static bool IsRelaxed(Opcode op) => (ushort)op is >= 0xFF00 and <= 0xFF13;

    /// <summary>True for the opcodes of this table (0xFD00..0xFDFF and relaxed SIMD 0xFF00..0xFF13).</summary>
    public static bool IsSimd(Opcode op) => (ushort)op is >= 0xFD00 and <= 0xFDFF || IsRelaxed(op);

    /// <summary>The instruction with binary sub-opcode <paramref name="sub"/>, or null for a reserved one.</summary>
    public static SimdOpcodeInfo? FromSub(uint sub) => sub < (uint)BySub.Length ? BySub[sub] : null;

    /// <summary>The table entry of a SIMD opcode.</summary>
    public static SimdOpcodeInfo Info(Opcode op) => BySub[SubOpcode(op)] ?? throw new ArgumentException($"not a SIMD opcode: {op}");
}
