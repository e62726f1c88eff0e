using Strand.Runtime;
using Strand.Binary;
using Strand.Validation;
using Xunit;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Simd;

/// <summary>Validation of SIMD instructions: lane index bounds, shuffle indices, alignment and operand types.</summary>
public class SimdValidationTests
{
    private const byte End = 0x0B, Drop = 0x1A;
    private static readonly byte[] Zero = [0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] Address = [0x41, 0x00];   // i32.const 0

    private static string Invalid(params byte[][] code)
    {
        var module = ModuleDecoder.Decode(SingleFunction(Concat([.. code, [End]])));
        return Assert.Throws<WasmValidationException>(() => ModuleValidator.Validate(module)).Reason;
    }

    private static void Valid(params byte[][] code) => ModuleValidator.Validate(ModuleDecoder.Decode(SingleFunction(Concat([.. code, [End]]))));

    [Fact]
    public void LaneIndicesMustBeBelowTheLaneCount()
    {
        Valid(Zero, [0xFD, 0x15, 15, Drop]);                                   // i8x16.extract_lane_s 15
        Assert.Equal("invalid lane index", Invalid(Zero, [0xFD, 0x15, 16, Drop]));
        Assert.Equal("invalid lane index", Invalid(Zero, [0xFD, 0x19, 8, Drop]));         // i16x8.extract_lane_u 8
        Assert.Equal("invalid lane index", Invalid(Zero, [0x41, 0x00, 0xFD, 0x1C, 4, Drop]));   // i32x4.replace_lane 4
        Assert.Equal("invalid lane index", Invalid(Zero, [0xFD, 0x21, 2, Drop]));         // f64x2.extract_lane 2
        Valid(Address, Zero, [0xFD, 0x57, 0x03, 0x00, 1, Drop]);                       // v128.load64_lane align=8 lane 1
        Assert.Equal("invalid lane index", Invalid(Address, Zero, [0xFD, 0x57, 0x03, 0x00, 2, Drop]));
        Assert.Equal("invalid lane index", Invalid(Address, Zero, [0xFD, 0x58, 0x00, 0x00, 16]));   // v128.store8_lane lane 16
        // i8x16.shuffle: every index below 32.
        Valid(Zero, Zero, [0xFD, 0x0D, 31, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, Drop]);
        Assert.Equal("invalid lane index", Invalid(Zero, Zero, [0xFD, 0x0D, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 32, Drop]));
    }

    [Fact]
    public void AlignmentMustNotExceedTheAccessSize()
    {
        Valid(Address, [0xFD, 0x00, 0x04, 0x00, Drop]);                                 // v128.load align=16
        Assert.Equal("alignment must not be larger than natural", Invalid(Address, [0xFD, 0x00, 0x05, 0x00, Drop]));
        Assert.Equal("alignment must not be larger than natural", Invalid(Address, [0xFD, 0x5C, 0x03, 0x00, Drop]));   // load32_zero align=8
        Assert.Equal("alignment must not be larger than natural", Invalid(Address, [0xFD, 0x07, 0x01, 0x00, Drop]));   // load8_splat align=2
        Assert.Equal("alignment must not be larger than natural", Invalid(Address, Zero, [0xFD, 0x55, 0x02, 0x00, 0, Drop]));   // load16_lane align=4
    }

    [Fact]
    public void OperandsAreTyped()
    {
        Assert.Equal("type mismatch", Invalid(Zero, [0x41, 0x00, 0xFD, 0xAE, 0x01, Drop]));   // i32x4.add v128 i32
        Assert.Equal("type mismatch", Invalid(Zero, [0xFD, 0x6B, 0x01, Drop]));                // i8x16.shl without the count
        Assert.Equal("type mismatch", Invalid(Zero, Zero, [0xFD, 0x52, Drop]));                // bitselect needs three
        Assert.Equal("type mismatch", Invalid(Zero, [0xFD, 0x53, 0x1A, 0x45, Drop]));          // any_true gives i32 (dropped), then i32.eqz on nothing
        Assert.Equal("type mismatch", Invalid(Zero, [0x42, 0x00, 0xFD, 0x1C, 0, Drop]));        // i32x4.replace_lane with an i64
        Valid(Zero, [0x42, 0x00, 0xFD, 0x1E, 0, Drop]);                                       // i64x2.replace_lane with an i64
        Valid(Zero, [0xFD, 0x53, 0x45, Drop]);                                                 // any_true; i32.eqz
    }

    [Fact]
    public void ReservedSimdOpcodesAreIllegal()
    {
        foreach (uint sub in new uint[] { 0x9A, 0xA2, 0xA5, 0xAF, 0xB0, 0xB3, 0xBB, 0xC2, 0xC6, 0xCF, 0xD2, 0xE2, 0xEE, 0x114, 0x200 })
        {
            var ex = Assert.Throws<WasmFormatException>(() => ModuleDecoder.Decode(SingleFunction(Concat([0xFD], U32(sub), [End]))));
            Assert.Contains("illegal opcode", ex.Message);
        }
    }

    [Fact]
    public void EveryOpcodeRoundTripsThroughTheTable()
    {
        // 236 fixed-width SIMD instructions and 20 relaxed ones.
        var simd = Enum.GetValues<Opcode>().Where(SimdOpcodes.IsSimd).ToArray();
        Assert.Equal(256, simd.Length);
        Assert.Equal(236, simd.Count(op => SimdOpcodes.SubOpcode(op) < 0x100));
        foreach (var op in simd) Assert.Equal(op, SimdOpcodes.FromSub(SimdOpcodes.SubOpcode(op))!.Opcode);
    }
}
