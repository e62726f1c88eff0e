using System.Text;
using Strand.Benchmarks;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

public class CompiledArtifactTests
{
    /// <summary>Functions across chunks, call_indirect (type ids read from the instance), memory, a trap and a host import.</summary>
    internal const string Program = """
        (module
          (import "env" "twice" (func $twice (param i32) (result i32)))
          (type $t (func (param i32) (result i32)))
          (memory 1)
          (table 4 funcref) (elem (i32.const 0) $inc $dbl $twice)
          (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
          (func $a (param i32) (result i32) (call $b (local.get 0)))
          (func $b (param i32) (result i32) (call $c (local.get 0)))
          (func $c (param i32) (result i32) (call $d (local.get 0)))
          (func $d (param i32) (result i32) (call $e (local.get 0)))
          (func $e (param i32) (result i32) (i32.store (i32.const 8) (local.get 0)) (i32.add (i32.load (i32.const 8)) (i32.const 100)))
          (func (export "run") (param i32) (result i32)
            (i32.add (call $a (local.get 0))
              (i32.add (call_indirect (type $t) (local.get 0) (i32.const 0))
                (i32.add (call_indirect (type $t) (local.get 0) (i32.const 1)) (call_indirect (type $t) (local.get 0) (i32.const 2))))))
          (func (export "bad") (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 3)))
          (func (export "wrong_type") (result i32) (call_indirect (type $u) (i32.const 0)))
          (type $u (func (result i32))))
        """;

    internal static Linker HostLinker() => new Linker().DefineFunction("env", "twice", (Func<int, int>)(x => 2 * x));

    // run(x) = (x + 100) + (x + 1) + 2x + 2x
    internal static int Expected(int x) => x + 100 + x + 1 + 2 * x + 2 * x;

    [Fact]
    public void ASerializedModuleRunsFromItsArtifactWithoutGeneratingCode()
    {
        var artifact = Compile(Program).Serialize();
        var module = Module.Deserialize(artifact);
        Assert.True(module.IsPrecompiled);
        var instance = HostLinker().Instantiate(module);
        Assert.Equal(Expected(7), instance.Invoke("run", Value.I32(7))[0].AsI32);
        Assert.Equal(Expected(-3), instance.Invoke("run", Value.I32(-3))[0].AsI32);
        Assert.Equal(TrapCode.UninitializedElement, Assert.Throws<TrapException>(() => instance.Invoke("bad", Value.I32(1))).Code);
        Assert.Equal(TrapCode.IndirectCallTypeMismatch, Assert.Throws<TrapException>(() => instance.Invoke("wrong_type")).Code);
        Assert.True(module.Compiled.GeneratedChunks > 0);
    }

    [Fact]
    public void CodeIsCollectibleByDefaultAndTieredWhenNot()
    {
        // Default: generated and loaded code lives in collectible assemblies (unloaded with the module, never tiered).
        // CollectibleCode = false (strand run): ordinary assemblies, which .NET tiers; same results either way.
        foreach (bool collectible in new[] { true, false })
        {
            var options = new CompileOptions { CollectibleCode = collectible };
            var generated = Module.Compile(Strand.Text.WatParser.ParseModule(Program), options);
            var loaded = Module.Deserialize(generated.Serialize(), options);
            foreach (var module in new[] { generated, loaded })
            {
                var instance = HostLinker().Instantiate(module);
                Assert.Equal(Expected(5), instance.Invoke("run", Value.I32(5))[0].AsI32);
                Assert.NotEmpty(module.Compiled.Types);
                Assert.All(module.Compiled.Types, t => Assert.Equal(collectible, t.Assembly.IsCollectible));
            }
        }
    }

    [Fact]
    public void ACorruptTruncatedOrStaleArtifactIsRejectedBeforeLoading()
    {
        var artifact = Compile(Program).Serialize();
        for (int i = 0; i < artifact.Length; i += Math.Max(1, artifact.Length / 97))
        {
            var flipped = (byte[])artifact.Clone();
            flipped[i] ^= 0x20;
            Assert.Throws<InvalidDataException>(() => Module.Deserialize(flipped));
        }
        Assert.Throws<InvalidDataException>(() => Module.Deserialize(artifact[..^1]));
        Assert.Throws<InvalidDataException>(() => Module.Deserialize(artifact[..50]));
        Assert.Throws<InvalidDataException>(() => Module.Deserialize([]));
        var stale = (byte[])artifact.Clone();
        stale[^80] ^= 1; // engine id (the trailer's first 16 bytes): another build of Strand
        Assert.Contains("another build", Assert.Throws<InvalidDataException>(() => Module.Deserialize(stale)).Message);
        var oldFormat = (byte[])artifact.Clone();
        oldFormat[^1] = 2; // format 2 (image last, header first)
        Assert.Contains("format version", Assert.Throws<InvalidDataException>(() => Module.Deserialize(oldFormat)).Message);
        var formerFormat = (byte[])artifact.Clone(); // formats 1 and 2 began with the magic
        "STRANDC\u0002"u8.CopyTo(formerFormat);
        formerFormat[^8] ^= 1;
        Assert.Contains("format version", Assert.Throws<InvalidDataException>(() => Module.Deserialize(formerFormat)).Message);
        // Truncated at every length of the start and of the trailer: lengths or magic say so.
        foreach (int length in Enumerable.Range(0, 100).Concat(Enumerable.Range(artifact.Length - 100, 100)))
            Assert.Throws<InvalidDataException>(() => Module.Deserialize(artifact[..length]));
        // A torn write: the first block zeroed (one a crash did not flush), length intact.
        var torn = (byte[])artifact.Clone();
        Array.Clear(torn, 0, Math.Min(4096, torn.Length - 80));
        Assert.False(torn.AsSpan().SequenceEqual(artifact)); // the image's PE header at least was there
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => Module.Deserialize(torn)).Message);
    }

    /// <summary>
    /// An artifact whose code lacks the method of one function of a chunk (here renamed in the image, the checksum made
    /// to match): every call of that function fails with <see cref="InvalidDataException"/>, the first and the later
    /// ones, through a function value (an export) and a direct call. Publishing half the chunk before finding the gap
    /// made the chunk look generated, so a later call resolved the missing function to code 0 and crashed the process.
    /// </summary>
    [Fact]
    public void AnArtifactMissingAFunctionsMethodFailsEveryCallNeverCallsNoCode()
    {
        var module = Compile("""
            (module
              (func (export "a") (result i32) (i32.const 1))
              (func (export "b") (result i32) (i32.const 2))
              (func (export "c") (result i32) (call 1)))
            """);
        var artifact = module.Serialize();
        // The method name "f1" in the image's string heap becomes "g1" (no function has that name).
        var name = "\0f1\0"u8.ToArray();
        int at = artifact.AsSpan().IndexOf(name);
        Assert.True(at >= 0);
        Assert.Equal(-1, artifact.AsSpan(at + 1).IndexOf(name));
        artifact[at + 1] = (byte)'g';
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(artifact.AsSpan(artifact.Length - 16), Strand.Compilation.XxHash64.Hash(artifact.AsSpan(0, artifact.Length - 16)));
        var instance = new Linker().Instantiate(Module.Deserialize(artifact));
        for (int k = 0; k < 2; k++)
        {
            Assert.Throws<InvalidDataException>(() => instance.Invoke("b"));
            Assert.Throws<InvalidDataException>(() => instance.Invoke("c"));
            Assert.Throws<InvalidDataException>(() => instance.GetFunction<Func<int>>("b")());
        }
    }

    [Fact]
    public void ManyFunctionsRoundTrip()
    {
        const int count = 2_000;
        var module = Module.Deserialize(Module.Compile(ManyFunctions.Generate(count)).Serialize());
        var instance = new Linker().Instantiate(module);
        Assert.Equal(ManyFunctions.Expected(count, 11), instance.GetFunction<Func<int, int>>("f")(11));
        instance.Invoke("_start");
    }
}

public sealed class ModuleCacheTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strand-cache-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static byte[] ProgramBytes() => Strand.Text.WatParser.ParseModule(CompiledArtifactTests.Program);

    private static void AssertRuns(Module module)
    {
        var instance = CompiledArtifactTests.HostLinker().Instantiate(module);
        Assert.Equal(CompiledArtifactTests.Expected(5), instance.Invoke("run", Value.I32(5))[0].AsI32);
    }

    [Fact]
    public void AMissCompilesAndStoresAndTheNextLoadIsAHit()
    {
        var cache = new ModuleCache(_directory);
        var wasm = ProgramBytes();
        Assert.Null(cache.TryLoad(wasm));
        var first = cache.GetOrCompile(wasm);
        Assert.False(first.IsPrecompiled);
        AssertRuns(first);
        Assert.True(File.Exists(cache.PathFor(wasm)));
        var second = cache.TryLoad(wasm);
        Assert.NotNull(second);
        Assert.True(second.IsPrecompiled);
        AssertRuns(second);
        // The code is the entry file itself, mapped by the runtime (its image comes first), not a copy; the module keeps
        // the caller's binary instead of a copy of the embedded one.
        Assert.All(second.Compiled.Types, t => Assert.Equal(Path.GetFullPath(cache.PathFor(wasm)), t.Assembly.Location));
        Assert.Same(wasm, second.Definition.Bytes);
        // Another binary has another entry.
        var other = ManyFunctions.Generate(10);
        Assert.NotEqual(cache.PathFor(wasm), cache.PathFor(other));
        Assert.Null(cache.TryLoad(other));
    }

    [Fact]
    public void OverTheSizeLimitTheLeastRecentlyUsedEntriesAndAbandonedTemporariesGo()
    {
        byte[] a = ManyFunctions.Generate(10), b = ManyFunctions.Generate(11), c = ManyFunctions.Generate(12);
        var unlimited = new ModuleCache(_directory) { MaxTotalBytes = 0 };
        string pathA = unlimited.Store(Module.Compile(a)), pathB = unlimited.Store(Module.Compile(b));
        // A stored first, B later; then A is loaded, which makes B the least recently used.
        var hoursAgo = (int h) => DateTime.UtcNow - TimeSpan.FromHours(h);
        File.SetLastWriteTimeUtc(pathA, hoursAgo(3)); File.SetLastAccessTimeUtc(pathA, hoursAgo(3));
        File.SetLastWriteTimeUtc(pathB, hoursAgo(2)); File.SetLastAccessTimeUtc(pathB, hoursAgo(2));
        Assert.NotNull(unlimited.TryLoad(a));
        string abandoned = pathA + ".123.abc.tmp", fresh = pathB + ".456.def.tmp";
        File.WriteAllBytes(abandoned, [1]); File.SetLastWriteTimeUtc(abandoned, hoursAgo(2));
        File.WriteAllBytes(fresh, [1]); // another process storing right now

        long sizeA = new FileInfo(pathA).Length, sizeC = Module.Compile(c).Serialize().Length;
        var limited = new ModuleCache(_directory) { MaxTotalBytes = (sizeA + sizeC) * 10 / 9 + 100 };
        Assert.True(sizeA + new FileInfo(pathB).Length + sizeC > limited.MaxTotalBytes);
        string pathC = limited.Store(Module.Compile(c));

        Assert.True(File.Exists(pathA));
        Assert.False(File.Exists(pathB));
        Assert.True(File.Exists(pathC));
        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(fresh));
        Assert.Null(limited.TryLoad(b)); // a miss, not an error
        Assert.Equal(0, limited.Trim()); // under the limit now
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("stale")]
    [InlineData("other-binary")]
    public void ABadEntryIsDeletedAndRebuiltNeverLoaded(string damage)
    {
        var cache = new ModuleCache(_directory);
        var wasm = ProgramBytes();
        string path = cache.Store(Module.Compile(wasm));
        var good = File.ReadAllBytes(path);
        byte[] bad = damage switch
        {
            "garbage" => Encoding.UTF8.GetBytes("not a compiled module at all"),
            "truncated" => good[..(good.Length / 2)],
            "flipped" => Flip(good, good.Length - 100),
            "stale" => Flip(good, good.Length - 76), // the engine id (the trailer's first 16 bytes)
            _ => Module.Compile(ManyFunctions.Generate(20)).Serialize(),
        };
        File.WriteAllBytes(path, bad);
        Assert.Null(cache.TryLoad(wasm));
        Assert.False(File.Exists(path));
        var rebuilt = cache.GetOrCompile(wasm);
        AssertRuns(rebuilt);
        var hit = cache.TryLoad(wasm);
        Assert.NotNull(hit);
        AssertRuns(hit);
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x40;
        return copy;
    }

    [Fact]
    public void WritersAndReadersAtOnceSeeACompleteEntryOrNone()
    {
        var cache = new ModuleCache(_directory);
        var wasm = ProgramBytes();
        const int threads = 4;
        using var barrier = new Barrier(threads);
        var failures = new Exception?[threads];
        int hits = 0;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                barrier.SignalAndWait();
                for (int round = 0; round < 6; round++)
                {
                    if (t % 2 == 0)
                    {
                        AssertRuns(cache.GetOrCompile(wasm));
                        cache.Store(Module.Compile(wasm));
                    }
                    else if (cache.TryLoad(wasm) is { } module)
                    {
                        AssertRuns(module);
                        Interlocked.Increment(ref hits);
                    }
                }
            }
            catch (Exception e) { failures[t] = e; }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) Assert.True(w.Join(TimeSpan.FromMinutes(2)));
        Assert.All(failures, Assert.Null);
        Assert.Equal([Path.GetFileName(cache.PathFor(wasm))], Directory.GetFiles(_directory).Select(Path.GetFileName));
        AssertRuns(cache.TryLoad(wasm)!);
    }
}
