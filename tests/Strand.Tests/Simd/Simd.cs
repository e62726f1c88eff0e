using System.Runtime.Intrinsics;
using Strand.Runtime;
using Strand.Tests.Wasi;
using Xunit;

namespace Strand.Tests.Simd;

/// <summary>
/// Helpers for the SIMD tests: the fixtures in fixtures/simd, vectors from lane values and lane values from results.
/// <c>Call("i32x4.add", a, b)</c> runs the instruction of that name from fixtures/simd/ops.wat on runtime operands.
/// </summary>
internal static class Simd
{
    private static readonly Lazy<Instance> OpsInstance = new(() => Load("ops"));

    public static Instance Load(string name, Linker? linker = null) =>
        (linker ?? new Linker()).Instantiate(Module.FromFile(ProgramTests.FixturePath("simd", name)));

    public static Value Call(string instruction, params Value[] operands) => OpsInstance.Value.Invoke(instruction, operands).Single();

    public static Value V<T>(params T[] lanes) where T : struct
    {
        if (lanes.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() != 16) throw new ArgumentException("a v128 has 16 bytes");
        return Value.V128(Vector128.Create<T>(lanes).AsByte());
    }

    public static Value I8(params sbyte[] lanes) => V(lanes);
    public static Value U8(params byte[] lanes) => V(lanes);
    public static Value I16(params short[] lanes) => V(lanes);
    public static Value U16(params ushort[] lanes) => V(lanes);
    public static Value I32(params int[] lanes) => V(lanes);
    public static Value U32(params uint[] lanes) => V(lanes);
    public static Value I64(params long[] lanes) => V(lanes);
    public static Value U64(params ulong[] lanes) => V(lanes);
    public static Value F32(params float[] lanes) => V(lanes);
    public static Value F64(params double[] lanes) => V(lanes);

    public static T[] Lanes<T>(Value v) where T : struct
    {
        Assert.Equal(Strand.Binary.ValType.V128, v.Type);
        var vector = v.AsV128.As<byte, T>();
        var lanes = new T[Vector128<T>.Count];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = vector.GetElement(i);
        return lanes;
    }

    /// <summary>f32 lanes as bits, so NaNs and -0 compare exactly.</summary>
    public static uint[] Bits32(Value v) => Lanes<uint>(v);
    public static ulong[] Bits64(Value v) => Lanes<ulong>(v);
    public static uint B(float f) => BitConverter.SingleToUInt32Bits(f);
    public static ulong B(double d) => BitConverter.DoubleToUInt64Bits(d);

    /// <summary>Quiet NaN with the canonical payload, and a signalling NaN.</summary>
    public const uint CanonicalNaN32 = 0x7FC0_0000, SignallingNaN32 = 0x7FA0_0000;
    public const ulong CanonicalNaN64 = 0x7FF8_0000_0000_0000, SignallingNaN64 = 0x7FF4_0000_0000_0000;
    public static float F32Bits(uint bits) => BitConverter.UInt32BitsToSingle(bits);
    public static double F64Bits(ulong bits) => BitConverter.UInt64BitsToDouble(bits);

    public static bool IsQuietNaN32(uint bits) => (bits & 0x7FC0_0000) == 0x7FC0_0000;
    public static bool IsQuietNaN64(ulong bits) => (bits & 0x7FF8_0000_0000_0000) == 0x7FF8_0000_0000_0000;
}
