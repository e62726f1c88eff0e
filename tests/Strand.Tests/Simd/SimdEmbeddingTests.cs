using Strand.Runtime;
using System.Runtime.Intrinsics;
using Strand.Binary;
using Xunit;
using static Strand.Tests.Simd.Simd;

namespace Strand.Tests.Simd;

/// <summary>v128 across the embedding API (Invoke, typed delegates with Vector128&lt;T&gt;, host functions, globals) and control flow (fixtures/simd/host.wat).</summary>
public class SimdEmbeddingTests
{
    private static Linker HostLinker(Func<Vector128<int>, int, Vector128<int>> combine, Value seed) => new Linker()
        .DefineFunction("host", "combine", combine)
        .Define("host", "seed", new Global(ValType.V128, false, seed));

    [Fact]
    public void GlobalsAndTypedHostFunctionsCarryVectors()
    {
        var instance = Load("host", HostLinker((v, k) => v * Vector128.Create(k), I32(1, 2, 3, 4)));
        Assert.Equal(new[] { 3, 6, 9, 12 }, Lanes<int>(instance.Invoke("accumulate", Value.I32(3)).Single()));
        Assert.Equal(new[] { 8, 16, 24, 32 }, Lanes<int>(instance.Invoke("accumulate", Value.I32(2)).Single()));   // (3+1)*2, ...
        var acc = instance.GetGlobal("acc")!;
        Assert.Equal(new[] { 8, 16, 24, 32 }, Lanes<int>(acc.Value));
        acc.Value = I32(-1, -2, -3, -4);
        Assert.Equal(new[] { 0, 0, 0, 0 }, Lanes<int>(instance.Invoke("accumulate", Value.I32(5)).Single()));
        Assert.Equal(new uint[] { 0x11111111, 0x22222222, 0x33333333, 0x44444444 }, Lanes<uint>(instance.GetGlobal("const")!.Value));
        Assert.Throws<InvalidOperationException>(() => instance.GetGlobal("const")!.Value = I32(0, 0, 0, 0));
        Assert.Throws<ArgumentException>(() => acc.Value = Value.I64(1));
        Assert.Throws<ArgumentException>(() => new Global(ValType.V128, true, Value.I32(0)));
        Assert.Equal("v128:0x44444444333333332222222211111111", instance.GetGlobal("const")!.Value.ToString());
    }

    [Fact]
    public void UntypedHostFunctionsAndTypedDelegatesWithOtherLaneTypes()
    {
        var linker = new Linker()
            .DefineFunction("host", "combine", new FuncType([ValType.V128, ValType.I32], [ValType.V128]),
                args => [Value.V128((args[0].AsV128.AsInt32() - Vector128.Create(args[1].AsI32)).AsByte())])
            .Define("host", "seed", new Global(ValType.V128, false, I32(10, 20, 30, 40)));
        var instance = Load("host", linker);
        Assert.Equal(new[] { 9, 19, 29, 39 }, Lanes<int>(instance.Invoke("accumulate", Value.I32(1)).Single()));

        var swap = instance.GetFunction<Func<Vector128<float>, Vector128<float>, (Vector128<float>, Vector128<float>)>>("swap");
        var (first, second) = swap(Vector128.Create(1f, 2f, 3f, 4f), Vector128.Create(5f, 6f, 7f, 8f));
        Assert.Equal(Vector128.Create(5f, 6f, 7f, 8f), first);
        Assert.Equal(Vector128.Create(1f, 2f, 3f, 4f), second);
        var indirect = instance.GetFunction<Func<Vector128<int>, Vector128<int>, int, Vector128<int>>>("indirect");
        Assert.Equal(Vector128.Create(11, 22, 33, 44), indirect(Vector128.Create(10, 20, 30, 40), Vector128.Create(1, 2, 3, 4), 0));
        Assert.Equal(Vector128.Create(9, 18, 27, 36), indirect(Vector128.Create(10, 20, 30, 40), Vector128.Create(1, 2, 3, 4), 1));
        Assert.Equal(TrapCode.UndefinedElement, Assert.Throws<TrapException>(() => indirect(default, default, 2)).Code);
        var zero = instance.GetFunction<Func<Vector128<byte>>>("zero_local");
        Assert.Equal(Vector128<byte>.Zero, zero());
        Assert.Throws<ArgumentException>(() => instance.GetFunction<Func<Vector128<int>, Vector128<int>, Vector128<long>>>("swap"));
    }

    [Fact]
    public void SelectBlocksAndLoopsCarryVectors()
    {
        var instance = Load("host", HostLinker((v, _) => v, I32(0, 0, 0, 0)));
        var a = I64(1, 2);
        var b = I64(3, 4);
        Assert.Equal(a, instance.Invoke("select", a, b, Value.I32(7)).Single());
        Assert.Equal(b, instance.Invoke("select", a, b, Value.I32(0)).Single());
        Assert.Equal(b, instance.Invoke("select_typed", a, b, Value.I32(0)).Single());
        Assert.Equal(new[] { b, a }, instance.Invoke("swap", a, b));
        Assert.Equal(new[] { 1024, -1024, 0, 3072 }, Lanes<int>(instance.Invoke("double_n", I32(1, -1, 0, 3), Value.I32(10)).Single()));
        Assert.Throws<ArgumentException>(() => instance.Invoke("select", a, Value.I32(0), Value.I32(0)));
    }

    [Fact]
    public void ACProgramBuiltWithSimd128Runs()
    {
        // fixtures/unsupported/simd_wasi.c (clang -O2 -msimd128, wasi-libc): f32x4 sums of 0..255, printed with printf.
        var stdout = new MemoryStream();
        using var context = new Strand.Wasi.WasiConfiguration().WithArguments(["simd_wasi.wasm"]).WithStandardOutput(stdout).Build();
        int exitCode = Strand.Wasi.WasiHost.RunCommand(Module.FromFile(Strand.Tests.Wasi.ProgramTests.FixturePath("unsupported", "simd_wasi")), context);
        Assert.Equal(0, exitCode);
        Assert.Equal("sum 32640.0\n", System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
    }

    [Fact]
    public void ACompiledArtifactRunsSimdCode()
    {
        var module = Module.FromFile(Strand.Tests.Wasi.ProgramTests.FixturePath("simd", "ops"));
        var loaded = Module.Deserialize(module.Serialize());
        Assert.True(loaded.IsPrecompiled);
        var instance = new Linker().Instantiate(loaded);
        Assert.Equal(new[] { 6, 8, 10, 12 }, Lanes<int>(instance.Invoke("i32x4.add", I32(1, 2, 3, 4), I32(5, 6, 7, 8)).Single()));
        Assert.Equal(new byte[] { 31, 0, 30, 1, 29, 2, 28, 3, 27, 4, 26, 5, 25, 6, 24, 7 },
            Lanes<byte>(instance.Invoke("i8x16.shuffle", U8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                U8(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31)).Single()));
    }

    [Fact]
    public void TheCliTakesAndPrintsV128AsHex()
    {
        string ops = Strand.Tests.Wasi.ProgramTests.FixturePath("simd", "ops");
        var (code, output, error) = Strand.Tests.Cli.CliTests.Run("run", ops, "--invoke", "i32x4.add", "0x00000004000000030000000200000001", "0xffffffff");
        Assert.True(code == 0, error);
        Assert.Equal("0x00000004000000030000000200000000", output.Trim());   // lane 0: 1 + 0xffffffff wraps
        (code, _, error) = Strand.Tests.Cli.CliTests.Run("run", ops, "--invoke", "i32x4.add", "0x1", "12");
        Assert.Equal(2, code);
        Assert.Contains("argument 2: '12' is not a valid v128", error);
    }
}
