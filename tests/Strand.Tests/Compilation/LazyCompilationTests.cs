using System.Text;
using Strand.Benchmarks;
using Strand.Compilation;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Code is generated lazily, one chunk of functions at a time, on first call (docs/compiler.md, "Lazy code
/// generation"): nothing before linking succeeds, only what runs, each chunk once even when threads race for it.
/// </summary>
public class LazyCompilationTests
{
    /// <summary>
    /// 300 functions: <c>$fi</c> returns <c>$f(i+1) + 1</c> and the last returns 0, so <c>f0</c> returns 299 through every
    /// chunk; <c>via_table</c> calls function 250 through a table (a function reference made before its code exists).
    /// </summary>
    private static string ChainModule()
    {
        var sb = new StringBuilder("(module (type $t (func (result i32))) (table 1 funcref) (elem (i32.const 0) 250)");
        for (int i = 0; i < 299; i++) sb.Append($"(func (export \"f{i}\") (result i32) (i32.add (call {i + 1}) (i32.const 1)))");
        sb.Append("(func (result i32) (i32.const 0))");
        sb.Append("(func (export \"via_table\") (result i32) (call_indirect (type $t) (i32.const 0))))");
        return sb.ToString();
    }

    [Fact]
    public void LinkErrorsAreReportedBeforeAnyCodeIsGenerated()
    {
        var module = Module.Compile(ManyFunctions.Generate(5_000, missingImport: true));
        var e = Assert.Throws<LinkException>(() => new Linker().Instantiate(module));
        Assert.Equal("unknown import: env.missing (func [] -> []) is not defined", e.Message);
        Assert.Equal(0, module.Compiled.GeneratedChunks);
        Assert.True(module.Compiled.ChunkCount > 50);
    }

    [Fact]
    public void OnlyTheChunksThatRunAreGenerated()
    {
        const int count = 5_000;
        var module = Module.Compile(ManyFunctions.Generate(count));
        var instance = new Linker().Instantiate(module);
        Assert.Equal(0, module.Compiled.GeneratedChunks);
        Assert.Equal(ManyFunctions.Expected(count, 5), instance.GetFunction<Func<int, int>>("f")(5));
        Assert.Equal(ManyFunctions.Expected(count, -7), instance.GetFunction<Func<int, int>>("f")(-7));
        // f calls functions 0..7 (tiny functions: chunks of CompiledModule.ChunkFunctions each); _start (the last function,
        // in the last chunk) calls 0..63.
        int per = CompiledModule.ChunkFunctions;
        Assert.Equal((8 + per - 1) / per, module.Compiled.GeneratedChunks);
        instance.Invoke("_start");
        Assert.Equal((64 + per - 1) / per + 1, module.Compiled.GeneratedChunks);
        Assert.True(module.Compiled.ChunkCount > 70);
    }

    [Fact]
    public void CallsAcrossChunksAndThroughStubsGiveTheSameResultsAsEagerCode()
    {
        var lazy = Instantiate(ChainModule());
        var eagerModule = Compile(ChainModule());
        eagerModule.Compiled.GenerateAll();
        Assert.Equal(eagerModule.Compiled.ChunkCount, eagerModule.Compiled.GeneratedChunks);
        var eager = new Linker().Instantiate(eagerModule);
        Assert.True(lazy.Module.Compiled.ChunkCount >= 5);
        foreach (var name in new[] { "via_table", "f0", "f123", "f298", "via_table" })
        {
            Assert.Equal(eager.Invoke(name)[0].AsI32, lazy.Invoke(name)[0].AsI32);
        }
        Assert.Equal(299, lazy.Invoke("f0")[0].AsI32);
        Assert.Equal(49, lazy.Invoke("via_table")[0].AsI32);
        // The table's reference to function 250 was made (at instantiation) before its code existed, without code; its
        // first call generated the code and pointed the reference at it.
        var element = Assert.IsAssignableFrom<FunctionReference>(lazy.Tables[0].Elements[0].Object);
        Assert.Equal(lazy.Module.Compiled.Code[250], element.Code);
        Assert.NotEqual(0, element.Code);
    }

    /// <summary>
    /// Instantiation makes the table's reference to function 250 without generating anything (no code, no stub); the
    /// first call through the table generates the function and stores its code in the reference, which later calls use.
    /// </summary>
    [Fact]
    public void AFunctionReferenceMadeBeforeItsCodeIsResolvedByItsFirstCall()
    {
        var instance = Instantiate(ChainModule());
        var element = Assert.IsAssignableFrom<FunctionReference>(instance.Tables[0].Elements[0].Object);
        Assert.Equal(0, instance.Module.Compiled.Code[250]);
        Assert.Equal(0, instance.Module.Compiled.GeneratedChunks);
        Assert.Equal(0, element.Code);
        Assert.Equal(49, instance.Invoke("via_table")[0].AsI32);
        Assert.NotEqual(0, element.Code);
        Assert.Equal(instance.Module.Compiled.Code[250], element.Code);
        Assert.Equal(49, instance.Invoke("via_table")[0].AsI32);
    }

    /// <summary>
    /// The same through every path that calls a function value: an export called from the host (typed and untyped),
    /// <c>call_indirect</c>, <c>return_call_indirect</c> and <c>call_ref</c>, each reaching a function whose code does not
    /// exist yet.
    /// </summary>
    [Fact]
    public void EveryWayOfCallingAFunctionValueResolvesItsCodeOnFirstUse()
    {
        var wat = """
            (module
              (type $t (func (param i32) (result i32)))
              (table 3 funcref)
              (elem (i32.const 0) $double $triple $square)
              (elem declare func $square)
              (func $double (type $t) (i32.mul (local.get 0) (i32.const 2)))
              (func $triple (type $t) (i32.mul (local.get 0) (i32.const 3)))
              (func $square (type $t) (i32.mul (local.get 0) (local.get 0)))
              (func (export "indirect") (param i32 i32) (result i32) (call_indirect (type $t) (local.get 1) (local.get 0)))
              (func (export "tail") (param i32 i32) (result i32) (return_call_indirect (type $t) (local.get 1) (local.get 0)))
              (func (export "ref") (param i32) (result i32) (call_ref $t (local.get 0) (ref.func $square)))
              (func (export "square") (type $t) (call $square (local.get 0))))
            """;
        foreach (var path in new[] { "indirect", "tail", "ref", "typed", "untyped" })
        {
            var instance = new Linker().Instantiate(Module.Compile(Strand.Text.WatParser.ParseModule(wat)));
            Assert.Equal(0, instance.Module.Compiled.GeneratedChunks);
            var elements = instance.Tables[0].Elements;
            switch (path)
            {
                case "indirect":
                    Assert.Equal(14, instance.Invoke("indirect", Value.I32(0), Value.I32(7))[0].AsI32);
                    Assert.Equal(21, instance.Invoke("indirect", Value.I32(1), Value.I32(7))[0].AsI32);
                    Assert.Equal(49, instance.Invoke("indirect", Value.I32(2), Value.I32(7))[0].AsI32);
                    Assert.All(elements, e => Assert.NotEqual(0, ((FunctionReference)e.Object!).Code));
                    break;
                case "tail":
                    Assert.Equal(21, instance.Invoke("tail", Value.I32(1), Value.I32(7))[0].AsI32);
                    Assert.NotEqual(0, ((FunctionReference)elements[1].Object!).Code);
                    break;
                case "ref":
                    Assert.Equal(81, instance.Invoke("ref", Value.I32(9))[0].AsI32);
                    break;
                case "typed":
                    Assert.Equal(36, instance.GetFunction<Func<int, int>>("square")(6));
                    break;
                case "untyped":
                    Assert.Equal(36, instance.Invoke("square", Value.I32(6))[0].AsI32);
                    break;
            }
        }
    }

    /// <summary>
    /// Functions of one instance whose code does not exist yet, imported by another (a direct call, a tail call, a table
    /// element set by the importer, a re-export called from the host), and a global holding a <c>ref.func</c>: each first
    /// call resolves the exporter's code; the exporter generated nothing before.
    /// </summary>
    [Fact]
    public void FunctionsImportedFromAnotherInstanceBeforeTheirCodeExistsResolveOnFirstCall()
    {
        var exporter = new Linker().Instantiate(Module.Compile(Strand.Text.WatParser.ParseModule("""
            (module
              (type $t (func (param i32) (result i32)))
              (func $sq (export "sq") (type $t) (i32.mul (local.get 0) (local.get 0)))
              (func $neg (export "neg") (type $t) (i32.sub (i32.const 0) (local.get 0)))
              (func $inc (export "inc") (type $t) (i32.add (local.get 0) (i32.const 1)))
              (global (export "ref") (ref $t) (ref.func $inc)))
            """)));
        Assert.Equal(0, exporter.Module.Compiled.GeneratedChunks);
        var importer = new Linker().DefineInstance("a", exporter).Instantiate(Module.Compile(Strand.Text.WatParser.ParseModule("""
            (module
              (type $t (func (param i32) (result i32)))
              (import "a" "sq" (func $sq (type $t)))
              (import "a" "neg" (func $neg (type $t)))
              (import "a" "inc" (func $inc (type $t)))
              (import "a" "ref" (global $ref (ref $t)))
              (table 1 funcref) (elem (i32.const 0) $inc)
              (func (export "direct") (param i32) (result i32) (call $sq (local.get 0)))
              (func (export "tail") (param i32) (result i32) (return_call $neg (local.get 0)))
              (func (export "table") (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0)))
              (func (export "global") (param i32) (result i32) (call_ref $t (local.get 0) (global.get $ref)))
              (export "again" (func $sq)))
            """)));
        Assert.Equal(0, exporter.Module.Compiled.GeneratedChunks);
        Assert.Equal(49, importer.Invoke("direct", Value.I32(7))[0].AsI32);
        Assert.Equal(-7, importer.Invoke("tail", Value.I32(7))[0].AsI32);
        Assert.Equal(8, importer.Invoke("table", Value.I32(7))[0].AsI32);
        Assert.Equal(9, importer.Invoke("global", Value.I32(8))[0].AsI32);
        Assert.Equal(81, importer.GetFunction<Func<int, int>>("again")(9));
        Assert.NotEqual(0, exporter.Module.Compiled.GeneratedChunks);
    }

    /// <summary>
    /// Threads race to call functions whose code does not exist yet, on one shared instance and on instances of their
    /// own (as a thread group does): every call gives the right answer and every chunk is generated exactly once.
    /// </summary>
    [Fact]
    public void ThreadsCallingANotYetCompiledFunctionAtOnceAllGetTheFinalCodeAndEachChunkIsGeneratedOnce()
    {
        const int threads = 4;
        for (int round = 0; round < 20; round++)
        {
            var module = Compile(ChainModule());
            var shared = new Linker().Instantiate(module);
            var own = Enumerable.Range(0, threads).Select(_ => new Linker().Instantiate(module)).ToArray();
            using var barrier = new Barrier(threads);
            var results = new int[threads, 3];
            var failures = new Exception?[threads];
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                try
                {
                    barrier.SignalAndWait();
                    // Half the threads enter at the top of the chain, half in the middle, through the table, or through their own instance.
                    results[t, 0] = (t % 2 == 0 ? shared : own[t]).Invoke(t % 2 == 0 ? "f0" : "f150")[0].AsI32;
                    results[t, 1] = shared.Invoke("via_table")[0].AsI32;
                    results[t, 2] = own[t].Invoke("via_table")[0].AsI32;
                }
                catch (Exception e) { failures[t] = e; }
            }, 16 * 1024 * 1024)).ToArray();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) Assert.True(w.Join(TimeSpan.FromMinutes(1)));
            for (int t = 0; t < threads; t++)
            {
                Assert.Null(failures[t]);
                Assert.Equal(t % 2 == 0 ? 299 : 149, results[t, 0]);
                Assert.Equal(49, results[t, 1]);
                Assert.Equal(49, results[t, 2]);
            }
            Assert.Equal(module.Compiled.ChunkCount, module.Compiled.GeneratedChunks);
        }
    }
}

/// <summary>Background generation (big modules): a head start on the code reachable from the start function and exports.</summary>
public class BackgroundGenerationTests
{
    /// <summary>
    /// 1,200 functions: export <c>f0</c> calls a chain through every 10th function (0 → 10 → ... → 1190); the others are
    /// never called. While the program calls into the chain from two threads, the background thread generates the
    /// chain's chunks; once it is done, exactly the chain's chunks exist, and every result is right.
    /// </summary>
    [Fact]
    public void TheBackgroundThreadGeneratesWhatExportsReachWhileCallersRunCorrectly()
    {
        const int count = 1_200;
        var sb = new StringBuilder("(module ");
        for (int i = 0; i < count; i++)
        {
            string export = i % 100 == 0 ? $"(export \"f{i}\")" : "";
            sb.Append(i % 10 == 0 && i + 10 < count
                ? $"(func {export} (result i32) (i32.add (call {i + 10}) (i32.const 1)))"
                : $"(func {export} (result i32) (i32.const {i}))");
        }
        sb.Append(')');
        for (int round = 0; round < 5; round++)
        {
            var module = Module.Compile(Strand.Text.WatParser.ParseModule(sb.ToString()), new CompileOptions { BackgroundCodeGeneration = true });
            Assert.Null(module.Compiled.BackgroundThread);
            var instance = new Linker().Instantiate(module);
            var thread = module.Compiled.BackgroundThread;
            Assert.NotNull(thread);
            int a = 0, b = 0;
            var t1 = new Thread(() => a = instance.Invoke("f0")[0].AsI32);
            var t2 = new Thread(() => b = instance.Invoke("f600")[0].AsI32);
            t1.Start(); t2.Start();
            Assert.True(t1.Join(TimeSpan.FromMinutes(1)) && t2.Join(TimeSpan.FromMinutes(1)));
            Assert.True(thread.Join(TimeSpan.FromMinutes(1)));
            Assert.Equal(119 + 1190, a);
            Assert.Equal(59 + 1190, b);
            // The chain's functions are 0, 10, ..., 1190: one per chunk.
            Assert.Equal(count / 10, module.Compiled.GeneratedChunks);
            // A second instantiation starts no second thread.
            new Linker().Instantiate(module);
            Assert.Same(thread, module.Compiled.BackgroundThread);
        }
    }

    [Fact]
    public void SmallModulesAndDisabledModulesGetNoBackgroundThread()
    {
        var small = Module.Compile(Strand.Text.WatParser.ParseModule("(module (func (export \"f\") (result i32) (i32.const 1)))"), new CompileOptions { BackgroundCodeGeneration = true });
        new Linker().Instantiate(small);
        Assert.Null(small.Compiled.BackgroundThread);
        foreach (var options in new[] { null, new CompileOptions(), new CompileOptions { BackgroundCodeGeneration = false } })
        {
            var disabled = Module.Compile(ManyFunctions.Generate(2_000), options);
            new Linker().Instantiate(disabled);
            Assert.Null(disabled.Compiled.BackgroundThread);
            Assert.Equal(0, disabled.Compiled.GeneratedChunks);
        }
    }
}

/// <summary>Function bodies of big modules are validated in parallel; the error is still the first invalid function's.</summary>
public class ParallelValidationTests
{
    [Theory]
    [InlineData(700, 650)]
    [InlineData(5000, 300)]
    [InlineData(5000, 4999)]
    public void TheLowestNumberedInvalidFunctionIsReported(int count, int firstInvalid)
    {
        for (int round = 0; round < 5; round++)
        {
            var sb = new System.Text.StringBuilder("(module ");
            for (int i = 0; i < count; i++)
            {
                bool invalid = i == firstInvalid || (i > firstInvalid && i % 7 == 0);
                sb.Append(invalid ? "(func (result i32) (i64.const 0))" : $"(func (result i32) (i32.const {i}))");
            }
            sb.Append(')');
            var e = Assert.Throws<Strand.Validation.WasmValidationException>(() => Compile(sb.ToString()));
            Assert.Equal("type mismatch", e.Reason);
            Assert.Contains($"func[{firstInvalid}]", e.Message);
        }
    }
}

/// <summary>Functions too big for the JIT to optimise are detected (docs/compiler.md, "Big functions").</summary>
public class OversizedFunctionTests
{
    [Fact]
    public void AFunctionWhoseIlExceedsTheJitLimitIsReportedAndStillRuns()
    {
        // 4,000 loads and adds: each bounds-checked access is well over 15 bytes of IL. (The address is computed from a
        // parameter: a constant address below the memory's minimum needs no check, see "Static bounds".)
        var sb = new StringBuilder("(module (memory 1) (func (export \"small\") (result i32) (i32.const 7)) (func (export \"big\") (param i32) (result i32) (i32.const 0)");
        for (int i = 0; i < 4_000; i++) sb.Append($" (i32.load (i32.add (local.get 0) (i32.const {i % 16 * 4}))) i32.add");
        sb.Append("))");
        var module = Compile(sb.ToString());
        module.GenerateAllCode();
        var oversized = module.Compiled.OversizedFunctions;
        Assert.Equal([1], oversized.Keys);
        Assert.True(oversized[1] > CompiledModule.JitOptimizationLimitBytes);
        var instance = new Linker().Instantiate(module);
        Assert.Equal(0, instance.Invoke("big", Value.I32(0))[0].AsI32);
        Assert.Equal(7, instance.Invoke("small")[0].AsI32);
    }
}
