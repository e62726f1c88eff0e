using Strand.Runtime;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// ReadyToRun images of compiled modules (<see cref="ReadyToRunCompiler"/>, docs/compiler.md "ReadyToRun images"): used
/// when they match their artifact, ignored (and deleted) when they do not. crossgen2 comes from the NuGet package folder,
/// fetched by the CLI's <c>dotnet restore</c> path when missing (as <c>strand compile --ready-to-run</c> does).
/// The tests share one crossgen2 run on one artifact (crossgen2 takes seconds) and copy it per case.
/// </summary>
[Collection(nameof(Strand.Tests.Cli.CliCollection))] // with the CLI test that points STRAND_CROSSGEN2 elsewhere
public sealed class ReadyToRunTests : IClassFixture<ReadyToRunTests.Compiled>, IDisposable
{
    /// <summary>One artifact of <see cref="CompiledArtifactTests.Program"/> with its ReadyToRun image.</summary>
    public sealed class Compiled : IDisposable
    {
        public Compiled()
        {
            Directory.CreateDirectory(Folder);
            Crossgen2 = new ReadyToRunCompiler(Strand.Cli.Crossgen2.FindOrFetch(quiet: true));
            Wasm = Strand.Text.WatParser.ParseModule(CompiledArtifactTests.Program);
            ArtifactPath = Path.Combine(Folder, "program.strandc");
            File.WriteAllBytes(ArtifactPath, Module.Compile(Wasm).Serialize());
            Crossgen2.CompileArtifact(ArtifactPath, TimeSpan.FromMinutes(5));
        }

        public string Folder { get; } = Path.Combine(Path.GetTempPath(), "strand-r2r-test-" + Guid.NewGuid().ToString("N"));
        public ReadyToRunCompiler Crossgen2 { get; }
        public byte[] Wasm { get; }
        public string ArtifactPath { get; }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }

    private readonly Compiled _compiled;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strand-r2r-case-" + Guid.NewGuid().ToString("N"));

    public ReadyToRunTests(Compiled compiled)
    {
        _compiled = compiled;
        Directory.CreateDirectory(_directory);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A copy of the shared artifact and its image in this case's folder.</summary>
    private string CopyArtifact()
    {
        string path = Path.Combine(_directory, "program.strandc");
        foreach (var suffix in new[] { "", ".r2r", ".r2r.check" }) File.Copy(_compiled.ArtifactPath + suffix, path + suffix);
        return path;
    }

    private static void AssertRuns(Module module)
    {
        var instance = CompiledArtifactTests.HostLinker().Instantiate(module);
        Assert.Equal(CompiledArtifactTests.Expected(5), instance.Invoke("run", Value.I32(5))[0].AsI32);
        var trap = Assert.Throws<TrapException>(() => instance.Invoke("bad", Value.I32(1)));
        Assert.Equal(TrapCode.UninitializedElement, trap.Code);
    }

    [Fact]
    public void AMatchingImageIsLoadedAndRuns()
    {
        var module = Module.DeserializeFile(CopyArtifact());
        Assert.True(module.IsPrecompiled);
        Assert.True(module.IsReadyToRun);
        AssertRuns(module);
        Assert.True(new FileInfo(_compiled.ArtifactPath + ".r2r").Length > new FileInfo(_compiled.ArtifactPath).Length / 2);
    }

    [Fact]
    public void ImageCodeIsNotJitCompiled()
    {
        // The same module twice: from its IL (every function JIT-compiled on first call), then from its image. Methods
        // JIT-compiled on this thread are counted around the first call of each (the invoker is warmed by the first).
        string path = CopyArtifact();
        var bytes = File.ReadAllBytes(path);
        var fromIL = Module.Deserialize(bytes);
        var fromImage = Module.DeserializeFile(path);
        Assert.False(fromIL.IsReadyToRun);
        Assert.True(fromImage.IsReadyToRun);
        long JittedDuringFirstCall(Module module)
        {
            var instance = CompiledArtifactTests.HostLinker().Instantiate(module);
            long before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
            Assert.Equal(CompiledArtifactTests.Expected(7), instance.Invoke("run", Value.I32(7))[0].AsI32);
            return System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;
        }
        long il = JittedDuringFirstCall(fromIL), image = JittedDuringFirstCall(fromImage);
        // It calls 8 functions: run, the chain a..e (which the JIT may inline into run) and two through call_indirect
        // (never inlined), so at least 3 compiled methods from IL. Measured: 59 and 1 alone, 3 and 0 after the other
        // tests of the class. From a collectible context the runtime ignores the native code: 3 or more.
        Assert.True(il >= 3, $"the IL module's first call JIT-compiled {il} methods; it calls 8 functions");
        Assert.True(image < 3 && image < il, $"the image's first call JIT-compiled {image} methods (the IL's {il}): its functions were not precompiled");
    }

    [Theory]
    [InlineData("flipped")]
    [InlineData("truncated")]
    [InlineData("other-artifact")]
    [InlineData("garbage-check")]
    public void AnImageThatDoesNotMatchIsDeletedAndTheILIsUsed(string damage)
    {
        string path = CopyArtifact();
        switch (damage)
        {
            case "flipped":
                var image = File.ReadAllBytes(path + ".r2r");
                image[image.Length / 2] ^= 0x40;
                File.WriteAllBytes(path + ".r2r", image);
                break;
            case "truncated":
                using (var stream = new FileStream(path + ".r2r", FileMode.Open)) stream.SetLength(stream.Length - 1);
                break;
            case "other-artifact":
                // The artifact was rebuilt from another module: the image's check names the old one.
                File.WriteAllBytes(path, Module.Compile(ManyFunctionsModule()).Serialize());
                break;
            case "garbage-check":
                File.WriteAllBytes(path + ".r2r.check", new byte[80]);
                break;
        }
        var module = Module.DeserializeFile(path);
        Assert.True(module.IsPrecompiled);
        Assert.False(module.IsReadyToRun);
        Assert.False(File.Exists(path + ".r2r"));
        Assert.False(File.Exists(path + ".r2r.check"));
        if (damage != "other-artifact") AssertRuns(module);
    }

    [Fact]
    public void AnImageWithoutItsCheckIsNotLoaded()
    {
        // A writer moved the image into place and has not written the check yet: not loaded, not deleted.
        string path = CopyArtifact();
        File.Delete(path + ".r2r.check");
        var module = Module.DeserializeFile(path);
        Assert.False(module.IsReadyToRun);
        AssertRuns(module);
        Assert.True(File.Exists(path + ".r2r"));
    }

    [Fact]
    public void TheCacheLoadsItsEntrysImageAndTrimsItWithTheEntry()
    {
        var cache = new ModuleCache(_directory) { MaxTotalBytes = 0 };
        var wasm = _compiled.Wasm;
        Assert.Throws<FileNotFoundException>(() => cache.StoreReadyToRun(wasm, _compiled.Crossgen2, TimeSpan.FromMinutes(5)));
        string entry = cache.Store(Module.Compile(wasm));
        Assert.Equal(entry + ".r2r", cache.StoreReadyToRun(wasm, _compiled.Crossgen2, TimeSpan.FromMinutes(5)));
        var loaded = cache.TryLoad(wasm);
        Assert.NotNull(loaded);
        Assert.True(loaded.IsReadyToRun);
        AssertRuns(loaded);

        // Over the limit, the entry and its image go together; an image whose entry is gone goes too.
        File.Copy(entry + ".r2r", Path.Combine(_directory, "0000-orphan" + ModuleCache.Extension + ".r2r"));
        var limited = new ModuleCache(_directory) { MaxTotalBytes = 1 };
        Assert.Equal(1, limited.Trim());
        Assert.Empty(Directory.GetFiles(_directory));
    }

    /// <summary>
    /// A cache hit with a ReadyToRun image reads only the artifact's trailer: damage to the artifact's IL image (which
    /// the image replaces) or to its copy of the binary (the caller's is used) does not stop the image from loading and
    /// running, but the same damage refuses the artifact where its IL would be used (no image, or loaded as a file), and
    /// a damaged trailer checksum unbinds the image: a miss, and the entry is deleted.
    /// </summary>
    [Theory]
    [InlineData("il-image")]
    [InlineData("embedded-binary")]
    [InlineData("trailer-checksum")]
    public void ACacheHitWithAnImageReadsOnlyTheArtifactsTrailer(string damage)
    {
        var cache = new ModuleCache(_directory);
        var wasm = _compiled.Wasm;
        string entry = cache.Store(Module.Compile(wasm));
        cache.StoreReadyToRun(wasm, _compiled.Crossgen2, TimeSpan.FromMinutes(5));
        var bytes = File.ReadAllBytes(entry);
        int at = damage switch
        {
            "il-image" => (bytes.Length - wasm.Length - 80) / 2,
            "embedded-binary" => bytes.Length - 80 - wasm.Length / 2,
            _ => bytes.Length - 16,
        };
        bytes[at] ^= 0x20;
        File.WriteAllBytes(entry, bytes);
        Assert.Throws<InvalidDataException>(() => Module.DeserializeFile(entry));
        var loaded = cache.TryLoad(wasm);
        if (damage == "trailer-checksum")
        {
            Assert.Null(loaded);
            Assert.False(File.Exists(entry));
            return;
        }
        Assert.NotNull(loaded);
        Assert.True(loaded.IsReadyToRun);
        AssertRuns(loaded);
        // Without its image, the damaged artifact is refused and deleted.
        File.Delete(entry + ".r2r.check");
        Assert.Null(cache.TryLoad(wasm));
        Assert.False(File.Exists(entry));
    }

    /// <summary>
    /// A cache entry, its image or its check that is not a regular file (a FIFO, which blocks whoever opens it for reading
    /// until a writer comes, or a directory): a miss or a hit on the rest, within seconds, never a hang or an exception.
    /// </summary>
    [Theory]
    [InlineData("", "fifo")]
    [InlineData(".r2r", "fifo")]
    [InlineData(".r2r.check", "fifo")]
    [InlineData("", "directory")]
    [InlineData(".r2r", "directory")]
    [InlineData(".r2r.check", "directory")]
    public void ACacheFileThatIsNotARegularFileIsAMissNeverAHang(string suffix, string kind)
    {
        if (!Strand.Wasi.HostFileSystem.Supported) return;
        var cache = new ModuleCache(_directory);
        var wasm = _compiled.Wasm;
        string entry = cache.PathFor(wasm);
        foreach (var s in new[] { "", ".r2r", ".r2r.check" }) File.Copy(_compiled.ArtifactPath + s, entry + s);
        string replaced = entry + suffix;
        File.Delete(replaced);
        if (kind == "directory") Directory.CreateDirectory(replaced);
        else using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [replaced])) mkfifo.WaitForExit();

        Module? loaded = null;
        Exception? error = null;
        var worker = new Thread(() =>
        {
            try { loaded = cache.TryLoad(wasm); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true };
        worker.Start();
        bool finished = worker.Join(TimeSpan.FromSeconds(30));
        if (!finished && kind == "fifo")
        {
            // Release the reader blocked in open (a writer that closes at once: it reads end of file).
            using (new FileStream(replaced, FileMode.Open, FileAccess.Write)) { }
            worker.Join(TimeSpan.FromSeconds(30));
        }
        Assert.True(finished, $"TryLoad blocked on a {kind} in place of the entry{suffix}");
        Assert.Null(error);
        if (loaded is not null) AssertRuns(loaded);
        else Assert.Equal("", suffix); // only a broken entry itself is a miss: a broken image leaves the artifact's IL
    }

    /// <summary>
    /// An image that cannot be put in place (a directory where its check goes) fails with an <see cref="IOException"/>
    /// and leaves no temporary file behind (crossgen2's input and output, the check's temporary).
    /// </summary>
    [Fact]
    public void AnImageThatCannotBePutInPlaceLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_directory, "program.strandc");
        File.Copy(_compiled.ArtifactPath, path);
        Directory.CreateDirectory(path + ".r2r.check");
        Assert.ThrowsAny<IOException>(() => _compiled.Crossgen2.CompileArtifact(path, TimeSpan.FromMinutes(5)));
        Assert.Equal([path, path + ".r2r"], Directory.GetFiles(_directory).Order(StringComparer.Ordinal));
        var module = Module.DeserializeFile(path);
        Assert.False(module.IsReadyToRun);
        AssertRuns(module);
    }

    /// <summary>
    /// An artifact whose name is long (240 bytes: its image's and check's names still fit the 255 a file name may have)
    /// gets its image: the temporary files (crossgen2's input and output, the check's) have short names of their own.
    /// </summary>
    [Fact]
    public void AnArtifactWithALongNameGetsItsImage()
    {
        string path = Path.Combine(_directory, new string('a', 240 - ".strandc".Length) + ".strandc");
        File.Copy(_compiled.ArtifactPath, path);
        _compiled.Crossgen2.CompileArtifact(path, TimeSpan.FromMinutes(5));
        var module = Module.DeserializeFile(path);
        Assert.True(module.IsReadyToRun);
        AssertRuns(module);
        Assert.Equal([path, path + ".r2r", path + ".r2r.check"], Directory.GetFiles(_directory).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ACorruptArtifactIsRefusedBeforeCrossgen2Runs()
    {
        string path = Path.Combine(_directory, "bad.strandc");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => _compiled.Crossgen2.CompileArtifact(path, TimeSpan.FromMinutes(1)));
        Assert.Single(Directory.GetFiles(_directory));
    }

    private static byte[] ManyFunctionsModule() => Strand.Benchmarks.ManyFunctions.Generate(3);
}
