using System.Text;
using Strand.Binary;
using Strand.Text;
using Strand.Tools;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>Holds thousands of modules alive, which would make compilations of parallel tests fail: runs alone.</summary>
[CollectionDefinition(nameof(LiveModuleLimitCollection), DisableParallelization = true)]
public sealed class LiveModuleLimitCollection;

/// <summary>
/// Each live compiled module costs kernel memory mappings; 17,000 named modules in one wast script (kept alive by
/// their names) exhausted vm.max_map_count and the runtime aborted the process ("Failed to create RW mapping for RX
/// memory" / PAL_SEHException, exit 134). Past <see cref="Module.MaxLiveModules"/> compiling is refused instead.
/// </summary>
[Collection(nameof(LiveModuleLimitCollection))]
public class LiveModuleLimitTests
{
    [Fact]
    public void AScriptKeepingTooManyModulesAliveFailsCleanly()
    {
        int count = Module.MaxLiveModules + 100;
        var script = new StringBuilder();
        for (int i = 0; i < count; i++)
            script.Append($"(module $m{i} (func (export \"f\") (result i32) (i32.const {i})))\n");
        script.Append("(assert_return (invoke $m7 \"f\") (i32.const 7))\n");
        WastResult result;
        try
        {
            result = WastRunner.RunText(script.ToString(), "many-modules.wast");
        }
        finally
        {
            Module.CollectDeadModules(); // the tests after this one compile again at once
        }
        Assert.Contains(result.Failures, f => f.Contains($"implementation limit: more than {Module.MaxLiveModules} compiled modules alive at once"));
        Assert.True(result.Passed > Module.MaxLiveModules - 200, $"only {result.Passed} passed"); // the modules other tests hold count too
        Assert.True(result.Failed >= 100);
        Assert.DoesNotContain(result.Failures, f => f.Contains(":" + (count + 1) + ":")); // $m7 was kept: the invoke passed
    }

    [Fact]
    public void DroppedModulesAreCollectedSoCompilingGoesOn()
    {
        var wasm = WatParser.ParseModule("(module (func (export \"f\") (result i32) (i32.const 1)))");
        for (int i = 0; i < Module.MaxLiveModules + 500; i++)
        {
            var module = Module.Compile(wasm);
            Assert.Equal(1, new Linker().Instantiate(module).Invoke("f")[0].AsI32);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(Module.LiveCount < Module.MaxLiveModules, $"{Module.LiveCount} modules alive");
    }

    [Fact]
    public void KeptModulesBeyondTheLimitAreRefusedThenAllowedOnceDropped()
    {
        var wasm = WatParser.ParseModule("(module)");
        var kept = new List<Module>();
        var error = Assert.Throws<WasmImplementationLimitException>(() =>
        {
            for (int i = 0; i <= Module.MaxLiveModules; i++) kept.Add(Module.Compile(wasm));
        });
        Assert.Contains("compiled modules alive at once", error.Message);
        Assert.Throws<WasmImplementationLimitException>(() => Module.Compile(wasm)); // still kept
        kept.Clear();
        Module.CollectDeadModules(); // else refused for up to 250 ms after the futile collection
        Module.Compile(wasm);
        Assert.True(Module.LiveCount < Module.MaxLiveModules, $"{Module.LiveCount} modules alive");
    }
}
