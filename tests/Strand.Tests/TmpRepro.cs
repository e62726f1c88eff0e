using Strand.Runtime;
using Xunit;
namespace Strand.Tests;
public class TmpRepro
{
    [Fact]
    public void Run()
    {
        var module = Module.Compile(File.ReadAllBytes("/tmp/eh/s1195.wasm"));
        var linker = new Linker().DefineFunction("env", "log", (int v) => { }).DefineFunction("env", "log2", (int a, long b) => { });
        var instance = linker.Instantiate(module);
        using var log = new StreamWriter("/tmp/eh/progress.txt") { AutoFlush = true };
        foreach (var name in instance.Exports.Keys.Where(k => k.StartsWith('f')))
            foreach (var arg in new[] { 0, 1, -1, int.MinValue })
            {
                log.WriteLine($"{name}({arg})");
                var t = new Thread(() => { try { instance.Invoke(name, Value.I32(arg)); log.WriteLine(" ok"); } catch (Exception e) { log.WriteLine(" " + e.GetType().Name + ": " + e.Message); } }, 16 * 1024 * 1024);
                t.Start(); t.Join();
            }
    }
}
