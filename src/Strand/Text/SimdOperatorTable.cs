namespace Strand.Text;

/// <summary>What follows a vector instruction's keyword in the text format.</summary>
internal enum SimdImmediate
{
    /// <summary>Nothing (most lane-wise operators).</summary>
    None,
    /// <summary><c>memidx? offset=N? align=N?</c>: <c>v128.load</c>, <c>v128.store</c> and the extending, splatting and zeroing loads.</summary>
    MemArg,
    /// <summary><c>memidx? offset=N? align=N? laneidx</c>: <c>v128.loadN_lane</c> / <c>v128.storeN_lane</c>.</summary>
    MemArgLane,
    /// <summary>One lane index (u8): <c>extract_lane</c> / <c>replace_lane</c>.</summary>
    Lane,
    /// <summary>A shape and its lanes: <c>v128.const i32x4 1 2 3 4</c>, encoded as 16 little-endian bytes.</summary>
    Const,
    /// <summary>Sixteen lane indices (u8 each): <c>i8x16.shuffle</c>.</summary>
    Shuffle,
}

/// <summary>
/// A vector instruction: its sub-opcode after the 0xFD prefix (encoded as a u32 LEB128), its immediates
/// and, for memory instructions, the natural alignment in bytes (the default of <c>align=</c>).
/// </summary>
internal readonly record struct SimdOperatorInfo(uint SubOpcode, SimdImmediate Immediate, int NaturalAlignment = 0);

/// <summary>
/// Maps the text keywords of the fixed-width SIMD instructions (WebAssembly 2.0, spec section 5.4.8 "Vector
/// Instructions" of the binary format, and its text counterpart 6.5.8) and of the relaxed SIMD proposal
/// (part of WebAssembly 3.0) to their 0xFD sub-opcodes. Independent of <see cref="Strand.Binary.Opcode"/>:
/// the text front end only emits bytes, so it needs nothing from the decoder.
/// </summary>
internal static class SimdOperatorTable
{
    /// <summary>The binary prefix byte of every vector instruction.</summary>
    public const byte Prefix = 0xFD;

    private static readonly Dictionary<string, SimdOperatorInfo> Operators = Build();

    public static bool TryGet(string keyword, out SimdOperatorInfo info) => Operators.TryGetValue(keyword, out info);

    /// <summary>Every keyword with its entry, for tests (each sub-opcode appears once).</summary>
    internal static IReadOnlyDictionary<string, SimdOperatorInfo> All => Operators;

    private static Dictionary<string, SimdOperatorInfo> Build()
    {
        var d = new Dictionary<string, SimdOperatorInfo>(StringComparer.Ordinal);
        void Op(string name, uint sub) => d.Add(name, new SimdOperatorInfo(sub, SimdImmediate.None));
        void Mem(string name, uint sub, int align) => d.Add(name, new SimdOperatorInfo(sub, SimdImmediate.MemArg, align));
        void MemLane(string name, uint sub, int align) => d.Add(name, new SimdOperatorInfo(sub, SimdImmediate.MemArgLane, align));
        void Lane(string name, uint sub) => d.Add(name, new SimdOperatorInfo(sub, SimdImmediate.Lane));

        // Memory.
        Mem("v128.load", 0x00, 16);
        Mem("v128.load8x8_s", 0x01, 8);
        Mem("v128.load8x8_u", 0x02, 8);
        Mem("v128.load16x4_s", 0x03, 8);
        Mem("v128.load16x4_u", 0x04, 8);
        Mem("v128.load32x2_s", 0x05, 8);
        Mem("v128.load32x2_u", 0x06, 8);
        Mem("v128.load8_splat", 0x07, 1);
        Mem("v128.load16_splat", 0x08, 2);
        Mem("v128.load32_splat", 0x09, 4);
        Mem("v128.load64_splat", 0x0A, 8);
        Mem("v128.store", 0x0B, 16);
        d.Add("v128.const", new SimdOperatorInfo(0x0C, SimdImmediate.Const));
        d.Add("i8x16.shuffle", new SimdOperatorInfo(0x0D, SimdImmediate.Shuffle));
        Op("i8x16.swizzle", 0x0E);

        // Splats and lane access.
        Op("i8x16.splat", 0x0F);
        Op("i16x8.splat", 0x10);
        Op("i32x4.splat", 0x11);
        Op("i64x2.splat", 0x12);
        Op("f32x4.splat", 0x13);
        Op("f64x2.splat", 0x14);
        Lane("i8x16.extract_lane_s", 0x15);
        Lane("i8x16.extract_lane_u", 0x16);
        Lane("i8x16.replace_lane", 0x17);
        Lane("i16x8.extract_lane_s", 0x18);
        Lane("i16x8.extract_lane_u", 0x19);
        Lane("i16x8.replace_lane", 0x1A);
        Lane("i32x4.extract_lane", 0x1B);
        Lane("i32x4.replace_lane", 0x1C);
        Lane("i64x2.extract_lane", 0x1D);
        Lane("i64x2.replace_lane", 0x1E);
        Lane("f32x4.extract_lane", 0x1F);
        Lane("f32x4.replace_lane", 0x20);
        Lane("f64x2.extract_lane", 0x21);
        Lane("f64x2.replace_lane", 0x22);

        // Integer comparisons: ten per shape for i8x16, i16x8, i32x4, numbered consecutively.
        string[] intCompares = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
        string[] narrowShapes = ["i8x16", "i16x8", "i32x4"];
        for (int s = 0; s < narrowShapes.Length; s++)
            for (int k = 0; k < intCompares.Length; k++)
                Op($"{narrowShapes[s]}.{intCompares[k]}", (uint)(0x23 + s * intCompares.Length + k));
        // Float comparisons: six per shape.
        string[] floatCompares = ["eq", "ne", "lt", "gt", "le", "ge"];
        for (int k = 0; k < floatCompares.Length; k++)
        {
            Op($"f32x4.{floatCompares[k]}", (uint)(0x41 + k));
            Op($"f64x2.{floatCompares[k]}", (uint)(0x47 + k));
        }

        // Bitwise.
        Op("v128.not", 0x4D);
        Op("v128.and", 0x4E);
        Op("v128.andnot", 0x4F);
        Op("v128.or", 0x50);
        Op("v128.xor", 0x51);
        Op("v128.bitselect", 0x52);
        Op("v128.any_true", 0x53);

        // Lane loads and stores, zeroing loads.
        MemLane("v128.load8_lane", 0x54, 1);
        MemLane("v128.load16_lane", 0x55, 2);
        MemLane("v128.load32_lane", 0x56, 4);
        MemLane("v128.load64_lane", 0x57, 8);
        MemLane("v128.store8_lane", 0x58, 1);
        MemLane("v128.store16_lane", 0x59, 2);
        MemLane("v128.store32_lane", 0x5A, 4);
        MemLane("v128.store64_lane", 0x5B, 8);
        Mem("v128.load32_zero", 0x5C, 4);
        Mem("v128.load64_zero", 0x5D, 8);
        Op("f32x4.demote_f64x2_zero", 0x5E);
        Op("f64x2.promote_low_f32x4", 0x5F);

        // i8x16 arithmetic, interleaved with some float rounding operators.
        Op("i8x16.abs", 0x60);
        Op("i8x16.neg", 0x61);
        Op("i8x16.popcnt", 0x62);
        Op("i8x16.all_true", 0x63);
        Op("i8x16.bitmask", 0x64);
        Op("i8x16.narrow_i16x8_s", 0x65);
        Op("i8x16.narrow_i16x8_u", 0x66);
        Op("f32x4.ceil", 0x67);
        Op("f32x4.floor", 0x68);
        Op("f32x4.trunc", 0x69);
        Op("f32x4.nearest", 0x6A);
        Op("i8x16.shl", 0x6B);
        Op("i8x16.shr_s", 0x6C);
        Op("i8x16.shr_u", 0x6D);
        Op("i8x16.add", 0x6E);
        Op("i8x16.add_sat_s", 0x6F);
        Op("i8x16.add_sat_u", 0x70);
        Op("i8x16.sub", 0x71);
        Op("i8x16.sub_sat_s", 0x72);
        Op("i8x16.sub_sat_u", 0x73);
        Op("f64x2.ceil", 0x74);
        Op("f64x2.floor", 0x75);
        Op("i8x16.min_s", 0x76);
        Op("i8x16.min_u", 0x77);
        Op("i8x16.max_s", 0x78);
        Op("i8x16.max_u", 0x79);
        Op("f64x2.trunc", 0x7A);
        Op("i8x16.avgr_u", 0x7B);
        Op("i16x8.extadd_pairwise_i8x16_s", 0x7C);
        Op("i16x8.extadd_pairwise_i8x16_u", 0x7D);
        Op("i32x4.extadd_pairwise_i16x8_s", 0x7E);
        Op("i32x4.extadd_pairwise_i16x8_u", 0x7F);

        // i16x8.
        Op("i16x8.abs", 0x80);
        Op("i16x8.neg", 0x81);
        Op("i16x8.q15mulr_sat_s", 0x82);
        Op("i16x8.all_true", 0x83);
        Op("i16x8.bitmask", 0x84);
        Op("i16x8.narrow_i32x4_s", 0x85);
        Op("i16x8.narrow_i32x4_u", 0x86);
        Op("i16x8.extend_low_i8x16_s", 0x87);
        Op("i16x8.extend_high_i8x16_s", 0x88);
        Op("i16x8.extend_low_i8x16_u", 0x89);
        Op("i16x8.extend_high_i8x16_u", 0x8A);
        Op("i16x8.shl", 0x8B);
        Op("i16x8.shr_s", 0x8C);
        Op("i16x8.shr_u", 0x8D);
        Op("i16x8.add", 0x8E);
        Op("i16x8.add_sat_s", 0x8F);
        Op("i16x8.add_sat_u", 0x90);
        Op("i16x8.sub", 0x91);
        Op("i16x8.sub_sat_s", 0x92);
        Op("i16x8.sub_sat_u", 0x93);
        Op("f64x2.nearest", 0x94);
        Op("i16x8.mul", 0x95);
        Op("i16x8.min_s", 0x96);
        Op("i16x8.min_u", 0x97);
        Op("i16x8.max_s", 0x98);
        Op("i16x8.max_u", 0x99);
        Op("i16x8.avgr_u", 0x9B);
        Op("i16x8.extmul_low_i8x16_s", 0x9C);
        Op("i16x8.extmul_high_i8x16_s", 0x9D);
        Op("i16x8.extmul_low_i8x16_u", 0x9E);
        Op("i16x8.extmul_high_i8x16_u", 0x9F);

        // i32x4.
        Op("i32x4.abs", 0xA0);
        Op("i32x4.neg", 0xA1);
        Op("i32x4.all_true", 0xA3);
        Op("i32x4.bitmask", 0xA4);
        Op("i32x4.extend_low_i16x8_s", 0xA7);
        Op("i32x4.extend_high_i16x8_s", 0xA8);
        Op("i32x4.extend_low_i16x8_u", 0xA9);
        Op("i32x4.extend_high_i16x8_u", 0xAA);
        Op("i32x4.shl", 0xAB);
        Op("i32x4.shr_s", 0xAC);
        Op("i32x4.shr_u", 0xAD);
        Op("i32x4.add", 0xAE);
        Op("i32x4.sub", 0xB1);
        Op("i32x4.mul", 0xB5);
        Op("i32x4.min_s", 0xB6);
        Op("i32x4.min_u", 0xB7);
        Op("i32x4.max_s", 0xB8);
        Op("i32x4.max_u", 0xB9);
        Op("i32x4.dot_i16x8_s", 0xBA);
        Op("i32x4.extmul_low_i16x8_s", 0xBC);
        Op("i32x4.extmul_high_i16x8_s", 0xBD);
        Op("i32x4.extmul_low_i16x8_u", 0xBE);
        Op("i32x4.extmul_high_i16x8_u", 0xBF);

        // i64x2.
        Op("i64x2.abs", 0xC0);
        Op("i64x2.neg", 0xC1);
        Op("i64x2.all_true", 0xC3);
        Op("i64x2.bitmask", 0xC4);
        Op("i64x2.extend_low_i32x4_s", 0xC7);
        Op("i64x2.extend_high_i32x4_s", 0xC8);
        Op("i64x2.extend_low_i32x4_u", 0xC9);
        Op("i64x2.extend_high_i32x4_u", 0xCA);
        Op("i64x2.shl", 0xCB);
        Op("i64x2.shr_s", 0xCC);
        Op("i64x2.shr_u", 0xCD);
        Op("i64x2.add", 0xCE);
        Op("i64x2.sub", 0xD1);
        Op("i64x2.mul", 0xD5);
        Op("i64x2.eq", 0xD6);
        Op("i64x2.ne", 0xD7);
        Op("i64x2.lt_s", 0xD8);
        Op("i64x2.gt_s", 0xD9);
        Op("i64x2.le_s", 0xDA);
        Op("i64x2.ge_s", 0xDB);
        Op("i64x2.extmul_low_i32x4_s", 0xDC);
        Op("i64x2.extmul_high_i32x4_s", 0xDD);
        Op("i64x2.extmul_low_i32x4_u", 0xDE);
        Op("i64x2.extmul_high_i32x4_u", 0xDF);

        // Floats: the same twelve operators for f32x4 (from 0xE0) and f64x2 (from 0xEC); sub-opcodes
        // 0xE2 and 0xEE are unused.
        (string Name, uint Offset)[] floatOps =
        [
            ("abs", 0), ("neg", 1), ("sqrt", 3), ("add", 4), ("sub", 5), ("mul", 6), ("div", 7),
            ("min", 8), ("max", 9), ("pmin", 10), ("pmax", 11),
        ];
        foreach (var (name, offset) in floatOps)
        {
            Op($"f32x4.{name}", 0xE0 + offset);
            Op($"f64x2.{name}", 0xEC + offset);
        }

        // Conversions.
        Op("i32x4.trunc_sat_f32x4_s", 0xF8);
        Op("i32x4.trunc_sat_f32x4_u", 0xF9);
        Op("f32x4.convert_i32x4_s", 0xFA);
        Op("f32x4.convert_i32x4_u", 0xFB);
        Op("i32x4.trunc_sat_f64x2_s_zero", 0xFC);
        Op("i32x4.trunc_sat_f64x2_u_zero", 0xFD);
        Op("f64x2.convert_low_i32x4_s", 0xFE);
        Op("f64x2.convert_low_i32x4_u", 0xFF);

        // Relaxed SIMD (WebAssembly 3.0).
        Op("i8x16.relaxed_swizzle", 0x100);
        Op("i32x4.relaxed_trunc_f32x4_s", 0x101);
        Op("i32x4.relaxed_trunc_f32x4_u", 0x102);
        Op("i32x4.relaxed_trunc_f64x2_s_zero", 0x103);
        Op("i32x4.relaxed_trunc_f64x2_u_zero", 0x104);
        Op("f32x4.relaxed_madd", 0x105);
        Op("f32x4.relaxed_nmadd", 0x106);
        Op("f64x2.relaxed_madd", 0x107);
        Op("f64x2.relaxed_nmadd", 0x108);
        Op("i8x16.relaxed_laneselect", 0x109);
        Op("i16x8.relaxed_laneselect", 0x10A);
        Op("i32x4.relaxed_laneselect", 0x10B);
        Op("i64x2.relaxed_laneselect", 0x10C);
        Op("f32x4.relaxed_min", 0x10D);
        Op("f32x4.relaxed_max", 0x10E);
        Op("f64x2.relaxed_min", 0x10F);
        Op("f64x2.relaxed_max", 0x110);
        Op("i16x8.relaxed_q15mulr_s", 0x111);
        Op("i16x8.relaxed_dot_i8x16_i7x16_s", 0x112);
        Op("i32x4.relaxed_dot_i8x16_i7x16_add_s", 0x113);
        return d;
    }
}
