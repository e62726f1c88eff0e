using System.Runtime.Intrinsics;
using System.Text;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>
/// The sequences the compiler turns into single instructions (FunctionCompiler.SimdPatterns.cs): rotations written as
/// two shifts and an or/xor, shuffles of shuffles through an overwritten local, whole-lane shuffles. Each function's
/// result is compared with the lane arithmetic done here. Run also with DOTNET_EnableAVX512=0,
/// DOTNET_EnableHWIntrinsic=0 and on Arm64 (tools/arm64/run-tests.sh) to cover every path.
/// </summary>
public class SimdPatternTests
{
    private static readonly uint[] Lanes = [0x01234567, 0x89ABCDEF, 0xF0E1D2C3, 0x00000001];
    private static readonly uint[] Others = [0xDEADBEEF, 0x80000000, 0x7FFFFFFF, 0x13579BDF];

    private static uint Rotl(uint x, int n) => (x << n) | (x >> (32 - n));

    [Fact]
    public void RotationsOfEveryCountMatchTheShifts()
    {
        var module = new StringBuilder("(module\n");
        for (int n = 1; n < 32; n++)
        {
            // shl first with or, shr_u first with xor, and counts given modulo 32 (i32x4 shifts mask them)
            module.Append($"(func (export \"shl{n}\") (param v128) (result v128) (local v128) local.get 0 local.tee 1 i32.const {n} i32x4.shl local.get 1 i32.const {32 - n} i32x4.shr_u v128.or)\n");
            module.Append($"(func (export \"shr{n}\") (param v128) (result v128) (local v128) local.get 0 local.tee 1 i32.const {32 - n + 64} i32x4.shr_u local.get 1 i32.const {n} i32x4.shl v128.xor)\n");
        }
        // not rotations: the counts do not add up to 32, or the second shift reads another local
        module.Append("(func (export \"notRotation\") (param v128) (result v128) (local v128) local.get 0 local.tee 1 i32.const 3 i32x4.shl local.get 1 i32.const 28 i32x4.shr_u v128.or)\n");
        module.Append("(func (export \"otherLocal\") (param v128 v128) (result v128) local.get 0 i32.const 8 i32x4.shl local.get 1 i32.const 24 i32x4.shr_u v128.or)\n");
        module.Append(')');
        var instance = Wasm(module.ToString());
        for (int n = 1; n < 32; n++)
        {
            var expected = Lanes.Select(x => Rotl(x, n)).ToArray();
            Assert.Equal(expected, Lanes<uint>(instance.Invoke($"shl{n}", U32(Lanes)).Single()));
            Assert.Equal(expected, Lanes<uint>(instance.Invoke($"shr{n}", U32(Lanes)).Single()));
        }
        Assert.Equal(Lanes.Select(x => (x << 3) | (x >> 28)).ToArray(), Lanes<uint>(instance.Invoke("notRotation", U32(Lanes)).Single()));
        Assert.Equal(Lanes.Zip(Others, (x, y) => (x << 8) | (y >> 24)).ToArray(),
            Lanes<uint>(instance.Invoke("otherLocal", U32(Lanes), U32(Others)).Single()));
    }

    public static TheoryData<string> Shuffles => new()
    {
        // whole 32-bit lanes: one operand (pshufd), interleaves, shufps-like, the unzips, swapped operands
        "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
        "12 13 14 15 0 1 2 3 4 5 6 7 8 9 10 11",
        "8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7",
        "12 13 14 15 12 13 14 15 0 1 2 3 0 1 2 3",
        "16 17 18 19 28 29 30 31 24 25 26 27 20 21 22 23",
        "0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23",
        "8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31",
        "0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23",
        "8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31",
        "0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27",
        "4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31",
        "8 9 10 11 4 5 6 7 20 21 22 23 28 29 30 31",
        "8 9 10 11 8 9 10 11 28 29 30 31 28 29 30 31",
        "16 17 18 19 20 21 22 23 0 1 2 3 12 13 14 15",
        "0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31",
        "16 17 18 19 4 5 6 7 24 25 26 27 12 13 14 15",
        // not whole lanes: bytes from both operands (tbl on Arm64), from one, misaligned lanes
        "0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31",
        "31 30 29 28 27 26 25 24 7 6 5 4 3 2 1 0",
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
        "2 3 0 1 6 7 4 5 8 9 10 11 12 13 14 15",
        "16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16",
    };

    private static byte[] Bytes(uint[] lanes) => lanes.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Reference(byte[] a, byte[] b, byte[] indices) => indices.Select(i => i < 16 ? a[i] : b[i - 16]).ToArray();

    [Theory]
    [MemberData(nameof(Shuffles))]
    public void ShufflesMatchTheIndices(string indices)
    {
        var instance = Wasm($"(module (func (export \"f\") (param v128 v128) (result v128) local.get 0 local.get 1 i8x16.shuffle {indices}))");
        var expected = Reference(Bytes(Lanes), Bytes(Others), indices.Split(' ').Select(byte.Parse).ToArray());
        Assert.Equal(expected, Lanes<byte>(instance.Invoke("f", U32(Lanes), U32(Others)).Single()));
    }

    [Theory]
    [InlineData("2 3 0 1 6 7 4 5 8 9 10 11 12 13 14 15", "0 1 2 3 4 5 6 7 10 11 8 9 14 15 12 13", "local.tee")]
    [InlineData("0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31", "15 14 13 12 27 26 25 24 7 6 5 4 19 18 17 16", "local.set")]
    [InlineData("4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11", "16 17 18 19 0 1 2 3 24 25 26 27 8 9 10 11", "local.tee")]
    public void ShufflesOfShufflesThroughALocalMatchBothSteps(string first, string second, string store)
    {
        // The local keeps the second result; the first result is overwritten unread.
        var instance = Wasm($$"""
            (module (func (export "f") (param v128 v128) (result v128) (local v128)
              local.get 0 local.get 1 i8x16.shuffle {{first}}
              local.tee 2 local.get 2 i8x16.shuffle {{second}}
              {{store}} 2 {{(store == "local.set" ? "local.get 2" : "")}}))
            """);
        var a = Bytes(Lanes);
        var b = Bytes(Others);
        var step = Reference(a, b, first.Split(' ').Select(byte.Parse).ToArray());
        var expected = Reference(step, step, second.Split(' ').Select(byte.Parse).ToArray());
        Assert.Equal(expected, Lanes<byte>(instance.Invoke("f", U32(Lanes), U32(Others)).Single()));
    }

    private static Instance Wasm(string wat) => Strand.Tests.Compilation.Wasm.Instantiate(wat);
}
