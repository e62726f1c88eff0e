using System.Runtime.Intrinsics;
using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Strand.Tools;
using Xunit;

namespace Strand.Tests.Text;

/// <summary>The text format of SIMD and relaxed SIMD: encodings, v128 types and constants, malformed text, WAST v128 values.</summary>
public class WatSimdTests
{
    private static byte[] Wat(string text) => WatParser.ParseModule(text);

    /// <summary>The instruction bytes of <c>(func $body)</c> in a module with one memory.</summary>
    private static byte[] Code(string body, string fields = "(memory 1)") =>
        WasmBytes.FunctionCode(Wat($"(module {fields} (func {body}))"));

    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "text", name);

    [Fact]
    public void EveryInstructionEncodesAsWabtDoes()
    {
        // fixtures/text/simd_all.wat: every SIMD and relaxed-SIMD keyword with its immediate forms, all v128.const
        // shapes and literal forms, v128 params, locals, globals, block and select types; the .wasm is wat2wasm's.
        var ours = Wat(File.ReadAllText(FixturePath("simd_all.wat")));
        var wabt = File.ReadAllBytes(FixturePath("simd_all.wasm"));
        Assert.Equal(wabt.Length, ours.Length);
        Assert.Equal(wabt, ours);
    }

    [Fact]
    public void TheTableHasEveryInstructionOnceWithItsOwnSubOpcode()
    {
        var all = SimdOperatorTable.All;
        Assert.Equal(236, all.Values.Count(i => i.SubOpcode < 0x100));                           // WebAssembly 2.0
        Assert.Equal(20, all.Values.Count(i => i.SubOpcode >= 0x100));                           // relaxed SIMD
        Assert.Equal(all.Count, all.Values.Select(i => i.SubOpcode).Distinct().Count());
        Assert.Equal(Enumerable.Range(0x100, 20).Select(i => (uint)i), all.Values.Where(i => i.SubOpcode >= 0x100).Select(i => i.SubOpcode).Order());
        // The gaps of the 2.0 numbering (spec 5.4.8), and nothing else, are unused.
        uint[] unused = [0x9A, 0xA2, 0xA5, 0xA6, 0xAF, 0xB0, 0xB2, 0xB3, 0xB4, 0xBB, 0xC2, 0xC5, 0xC6, 0xCF, 0xD0, 0xD2, 0xD3, 0xD4, 0xE2, 0xEE];
        Assert.Equal(Enumerable.Range(0, 0x100).Select(i => (uint)i).Except(unused), all.Values.Where(i => i.SubOpcode < 0x100).Select(i => i.SubOpcode).Order());
    }

    [Fact]
    public void EncodingsFollowTheSpec()
    {
        // 0xFD, the sub-opcode as u32 LEB128, then immediates; v128.const is 16 little-endian bytes.
        Assert.Equal(new byte[] { 0xFD, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0x0B }, Code("v128.const i32x4 1 2 3 4"));
        Assert.Equal(new byte[] { 0xFD, 0x0C, 0xFF, 0xFF, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0B }, Code("v128.const i16x8 -1 0x8000 0 0 0 0 0 0"));
        // Relaxed SIMD sub-opcodes need two LEB bytes: i8x16.relaxed_swizzle is 0x100.
        Assert.Equal(new byte[] { 0xFD, 0x80, 0x02, 0x0B }, Code("i8x16.relaxed_swizzle"));
        Assert.Equal(new byte[] { 0xFD, 0x93, 0x02, 0x0B }, Code("i32x4.relaxed_dot_i8x16_i7x16_add_s"));
        // Memory arguments: log2 of the alignment (natural: 16 bytes for v128.load), then the offset.
        Assert.Equal(new byte[] { 0xFD, 0x00, 0x04, 0x00, 0x0B }, Code("v128.load"));
        Assert.Equal(new byte[] { 0xFD, 0x0B, 0x00, 0x80, 0x01, 0x0B }, Code("v128.store offset=128 align=1"));
        Assert.Equal(new byte[] { 0xFD, 0x5D, 0x03, 0x00, 0x0B }, Code("v128.load64_zero"));
        // Lane loads: memarg, then the lane index byte.
        Assert.Equal(new byte[] { 0xFD, 0x54, 0x00, 0x04, 0x03, 0x0B }, Code("v128.load8_lane offset=4 3"));
        Assert.Equal(new byte[] { 0xFD, 0x5B, 0x03, 0x00, 0x01, 0x0B }, Code("v128.store64_lane 1"));
        // Another memory: bit 6 of the alignment field, then the memory index (multi-memory).
        string twoMemories = "(memory 1) (memory $m 1)";
        Assert.Equal(new byte[] { 0xFD, 0x00, 0x44, 0x01, 0x01, 0x0B }, Code("v128.load $m offset=1", twoMemories));
        Assert.Equal(new byte[] { 0xFD, 0x55, 0x41, 0x01, 0x00, 0x07, 0x0B }, Code("v128.load16_lane 1 7", twoMemories));
        Assert.Equal(new byte[] { 0xFD, 0x55, 0x41, 0x01, 0x02, 0x07, 0x0B }, Code("v128.load16_lane 1 offset=2 7", twoMemories));
        Assert.Equal(new byte[] { 0xFD, 0x55, 0x01, 0x00, 0x07, 0x0B }, Code("v128.load16_lane 7", twoMemories));
        // Lane indices and the shuffle's sixteen.
        Assert.Equal(new byte[] { 0xFD, 0x15, 0x0F, 0x0B }, Code("i8x16.extract_lane_s 15"));
        Assert.Equal(new byte[] { 0xFD, 0x22, 0x01, 0x0B }, Code("f64x2.replace_lane 1"));
        Assert.Equal([0xFD, 0x0D, .. Enumerable.Range(16, 16).Select(i => (byte)i), 0x0B],
            Code("i8x16.shuffle 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31"));
    }

    [Fact]
    public void FloatLanesUseEveryLiteralForm()
    {
        Assert.Equal(new byte[] { 0xFD, 0x0C, 0, 0, 0xC0, 0x7F, 0, 0, 0x80, 0xBF, 0, 0, 0, 0x80, 0x01, 0, 0x80, 0x7F, 0x0B },
            Code("v128.const f32x4 nan -1 -0 nan:0x1"));
        Assert.Equal(new byte[] { 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0xF0, 0xFF, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x0B },
            Code("v128.const f64x2 -inf 0x1p-1074"));
    }

    [Fact]
    public void V128IsAValueTypeEverywhere()
    {
        var bytes = Wat("""
            (module
              (type (func (param v128) (result v128)))
              (import "m" "g" (global v128))
              (global (mut v128) (v128.const i64x2 7 -7))
              (func (param $p v128) (result v128) (local v128)
                (block (result v128) (local.get $p))))
            """);
        // The type section: (func (param v128) (result v128)), and v128 in globals and locals.
        Assert.Equal(new byte[] { 0x01, 0x60, 0x01, 0x7B, 0x01, 0x7B }, WasmBytes.Section(bytes, 1));
        var globals = WasmBytes.Section(bytes, 6)!;
        Assert.Equal(new byte[] { 0x01, 0x7B, 0x01, 0xFD, 0x0C }, globals[..5]);
        var code = WasmBytes.Section(bytes, 10)!;
        Assert.Equal(new byte[] { 0x01, 0x01, 0x7B }, code[2..5]);                               // one local run: 1 x v128
        Assert.Equal(new byte[] { 0x02, 0x7B, 0x20, 0x00, 0x0B, 0x0B }, WasmBytes.FunctionCode(bytes)); // block (result v128)
    }

    [Fact]
    public void FoldedAndFlatVectorInstructionsProduceIdenticalBytes()
    {
        var flat = Code("(param v128 i32) local.get 0 local.get 1 v128.load8_lane offset=3 2 local.get 0 i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 drop");
        var folded = Code("(param v128 i32) (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (v128.load8_lane offset=3 2 (local.get 0) (local.get 1)) (local.get 0)))");
        Assert.Equal(flat, folded);
        Assert.Equal(new byte[] { 0x20, 0x00, 0x20, 0x01, 0xFD, 0x54, 0x00, 0x03, 0x02, 0x20, 0x00, 0xFD, 0x0D }, folded[..13]);
    }

    [Theory]
    [InlineData("v128.const i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", "constant out of range")]
    [InlineData("v128.const i8x16 -129 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", "constant out of range")]
    [InlineData("v128.const i16x8 65536 0 0 0 0 0 0 0", "constant out of range")]
    [InlineData("v128.const i32x4 0x1_0000_0000 0 0 0", "constant out of range")]
    [InlineData("v128.const i32x4 -2147483649 0 0 0", "constant out of range")]
    [InlineData("v128.const i64x2 18446744073709551616 0", "constant out of range")]
    [InlineData("v128.const f32x4 1e39 0 0 0", "constant out of range")]
    [InlineData("v128.const f32x4 nan:0x800000 0 0 0", "constant out of range")]
    [InlineData("v128.const f64x2 0x1p1024 0", "constant out of range")]
    [InlineData("v128.const i32x4 0 0 0", "wrong number of lane literals")]
    [InlineData("v128.const i32x4 0 0 0 0 0", "wrong number of lane literals")]
    [InlineData("v128.const i32x4 0 1.5 0 0", "unexpected token 1.5")]
    [InlineData("v128.const i32x4 0 0 0 \"0\"", "unexpected token \"0\"")]
    [InlineData("v128.const 0 0 0 0", "expected a vector shape")]
    [InlineData("v128.const i32x3 0 0 0", "expected a vector shape")]
    [InlineData("v128.const", "expected a vector shape")]
    [InlineData("i8x16.extract_lane_s 256", "malformed lane index")]
    [InlineData("i8x16.extract_lane_s -1", "unexpected token -1")]
    [InlineData("i8x16.extract_lane_s", "expected a lane index")]
    [InlineData("i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14", "invalid lane length")]
    [InlineData("i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "invalid lane length")]
    [InlineData("i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 256", "malformed lane index")]
    [InlineData("i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1", "malformed lane index")]
    [InlineData("v128.load8_lane", "expected a lane index")]
    [InlineData("v128.load align=3", "alignment must be a power of two")]
    [InlineData("v128.load offset=18446744073709551616", "offset constant out of range")]
    [InlineData("v128.load $nowhere", "unknown memory $nowhere")]
    [InlineData("i8x16.any_true", "unknown operator")]      // pre-standard names are not accepted
    [InlineData("i32x4.dot_i8x16_i7x16_add_s", "unknown operator")]
    [InlineData("f32x4.qfma", "unknown operator")]
    public void MalformedVectorTextIsRejected(string body, string reason)
    {
        var e = Assert.Throws<WatParseException>(() => Wat($"(module (memory 1) (func {body}))"));
        Assert.Contains(reason, e.Reason);
    }

    /// <summary>WebAssembly 3.0 text: an offset is a u64; on a 32-bit memory one of 2^32 or more is well-formed but invalid.</summary>
    [Theory]
    [InlineData("(drop (v128.load offset=4294967296 (i32.const 0)))")]
    [InlineData("(drop (i32.load offset=4294967296 (i32.const 0)))")]
    public void ALargeOffsetOnA32BitMemoryIsWellFormedButInvalid(string body)
    {
        var e = Assert.Throws<WatParseException>(() => Wat($"(module (memory 1) (func {body}))"));
        Assert.True(e.Invalid);
        Assert.Equal("offset out of range", e.Reason);
        Wat($"(module (memory i64 1) (func {body.Replace("i32.const", "i64.const")}))"); // a 64-bit memory takes it
    }

    [Fact]
    public void V128IsRejectedWhereItIsNotAValueType() =>
        Assert.Contains("expected a reference type", Assert.Throws<WatParseException>(() => Wat("(module (table 1 v128))")).Reason);

    // ---- WAST --------------------------------------------------------------------------------

    private static Value V(params uint[] lanes) =>
        Value.V128(Vector128.Create(lanes[0], lanes[1], lanes[2], lanes[3]).AsByte());

    private static WastExpected Expected(string result)
    {
        var commands = WastParser.Parse($"(assert_return (invoke \"f\") {result})", "t.wast");
        return Assert.Single(((WastAssertReturn)Assert.Single(commands)).Expected);
    }

    [Fact]
    public void ArgumentsAndExactResultsAreSixteenBytes()
    {
        var commands = WastParser.Parse("(invoke \"f\" (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1))", "t.wast");
        var value = Assert.Single(((WastInvoke)((WastActionCommand)Assert.Single(commands)).Action).Arguments);
        Assert.Equal(WastValueType.V128, value.Type);
        Assert.Equal(0x0706050403020100UL, value.Bits);
        Assert.Equal(0xFF0E0D0C0B0A0908UL, value.High);

        var exact = Expected("(v128.const i32x4 1 2 3 0xffffffff)");
        Assert.True(WastRunner.Matches(V(1, 2, 3, 0xFFFFFFFF), exact));
        Assert.False(WastRunner.Matches(V(1, 2, 3, 0xFFFFFFFE), exact));
        Assert.False(WastRunner.Matches(Value.I32(1), exact));
        // Float lanes without NaN patterns compare bit for bit: -0.0 is not 0.0.
        var zeros = Expected("(v128.const f32x4 0 0 0 -0.0)");
        Assert.True(WastRunner.Matches(V(0, 0, 0, 0x80000000), zeros));
        Assert.False(WastRunner.Matches(V(0, 0, 0, 0), zeros));
    }

    [Fact]
    public void NanPatternsAreCheckedLaneByLane()
    {
        var pattern = Expected("(v128.const f32x4 nan:canonical 1.0 nan:arithmetic -0.0)");
        var lanes = Assert.IsType<WastExpectedV128>(pattern);
        Assert.Equal(V128Shape.F32x4, lanes.Shape);
        Assert.Equal(4, lanes.Lanes.Count);

        Assert.True(WastRunner.Matches(V(0x7FC00000, 0x3F800000, 0x7FC00001, 0x80000000), pattern));
        Assert.True(WastRunner.Matches(V(0xFFC00000, 0x3F800000, 0xFFE00000, 0x80000000), pattern));      // either sign
        Assert.False(WastRunner.Matches(V(0x7FC00001, 0x3F800000, 0x7FC00001, 0x80000000), pattern));     // lane 0 not canonical
        Assert.False(WastRunner.Matches(V(0x7FC00000, 0x3F800000, 0x7F800001, 0x80000000), pattern));     // lane 2 a signalling NaN
        Assert.False(WastRunner.Matches(V(0x7FC00000, 0x3F800000, 0x7FC00000, 0x00000000), pattern));     // lane 3 +0.0
        Assert.False(WastRunner.Matches(V(0x7FC00000, 0x3F800001, 0x7FC00000, 0x80000000), pattern));     // lane 1 off by one bit
        Assert.False(WastRunner.Matches(V(0x3F800000, 0x3F800000, 0x7FC00000, 0x80000000), pattern));     // lane 0 a number

        var f64 = Expected("(v128.const f64x2 1 nan:canonical)");
        Assert.True(WastRunner.Matches(Value.V128(Vector128.Create(0x3FF0000000000000UL, 0xFFF8000000000000UL).AsByte()), f64));
        Assert.False(WastRunner.Matches(Value.V128(Vector128.Create(0x3FF0000000000000UL, 0x7FF4000000000000UL).AsByte()), f64));
        Assert.False(WastRunner.Matches(Value.F64(1), f64));
    }

    [Fact]
    public void EitherAlternativesMayBeVectors()
    {
        var either = Expected("(either (v128.const i32x4 1 1 1 1) (v128.const f32x4 nan:arithmetic 0 0 0))");
        Assert.True(WastRunner.Matches(V(1, 1, 1, 1), either));
        Assert.True(WastRunner.Matches(V(0x7FE00000, 0, 0, 0), either));
        Assert.False(WastRunner.Matches(V(1, 1, 1, 0), either));
        Assert.False(WastRunner.Matches(V(0x7F800001, 0, 0, 0), either));
    }

    [Theory]
    [InlineData("(v128.const i32x4 nan:canonical 0 0 0)", "need a float shape")]
    [InlineData("(v128.const f32x4 nan:canonical 0 0)", "wrong number of lane literals")]
    [InlineData("(v128.const f64x2 nan:canonical 0 0)", "unexpected token")]
    [InlineData("(v128.const f32x4 nan:signalling 0 0 0)", "unexpected token nan:signalling")]
    public void MalformedVectorResultsAreRejected(string result, string reason)
    {
        var e = Assert.Throws<WatParseException>(() => WastParser.Parse($"(assert_return (invoke \"f\") {result})", "t.wast"));
        Assert.Contains(reason, e.Reason);
    }

    [Fact]
    public void ScriptsPassV128ArgumentsAndCheckV128ResultsEndToEnd()
    {
        var result = WastRunner.RunText("""
            (module
              (func (export "div") (param v128 v128) (result v128) (f32x4.div (local.get 0) (local.get 1)))
              (func (export "swap") (param v128) (result v128)
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get 0) (local.get 0))))
            (assert_return (invoke "div" (v128.const f32x4 0 1 -6 inf) (v128.const f32x4 0 2 3 inf))
              (v128.const f32x4 nan:canonical 0.5 -2 nan:arithmetic))
            (assert_return (invoke "swap" (v128.const i64x2 1 -1)) (v128.const i64x2 -1 1))
            (assert_return (invoke "swap" (v128.const i64x2 1 -1)) (either (v128.const i32x4 0 0 0 0) (v128.const i64x2 -1 1)))
            (assert_return (invoke "div" (v128.const f32x4 0 1 -6 inf) (v128.const f32x4 0 2 3 inf))
              (v128.const f32x4 nan:canonical 0.5 -2 -0.0))
            (assert_return (invoke "swap" (v128.const i64x2 1 -1)) (v128.const i64x2 1 -1))
            """, "v128.wast");
        Assert.Equal((4, 2), (result.Passed, result.Failed));
        Assert.StartsWith("v128.wast:9: result 0: expected (v128.const f32x4 nan:canonical 0x3f000000 0xc0000000 0x80000000), got v128:", result.Failures[0]);
        Assert.StartsWith("v128.wast:11: result 0: expected (v128.const i64x2 0x0000000000000001 0xffffffffffffffff)", result.Failures[1]);
    }

    [Fact]
    public void HostileImmediatesGiveParseErrorsNeverCrashes()
    {
        // Every keyword with each of these immediate sequences, flat and folded: it parses or fails with a WatParseException.
        string[] immediates =
        [
            "", "0", "-1", "255", "256", "0x1_0", "1.5", "nan", "inf", "i32x4", "i32x4 1 2 3 4", "f64x2 nan:0x1 -0x1p-1074",
            "$m", "$nowhere", "1 2", "offset=1 align=1 0", "offset=-1", "align=0", "offset=99999999999999999999",
            "\"s\"", "$\"q\"", string.Join(" ", Enumerable.Range(0, 17)), string.Join(" ", Enumerable.Range(0, 15)),
        ];
        int parsed = 0, rejected = 0;
        foreach (var keyword in SimdOperatorTable.All.Keys)
        {
            foreach (var imm in immediates)
            {
                foreach (var body in new[] { $"{keyword} {imm}", $"({keyword} {imm} (nop))" })
                {
                    try
                    {
                        Wat($"(module (memory 1) (memory $m 1) (func {body}))");
                        parsed++;
                    }
                    catch (WatParseException)
                    {
                        rejected++;
                    }
                }
            }
        }
        Assert.Equal(SimdOperatorTable.All.Count * immediates.Length * 2, parsed + rejected);
        Assert.True(parsed > 0 && rejected > 0);
    }
}
