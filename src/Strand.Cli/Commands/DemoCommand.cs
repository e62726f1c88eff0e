using System.Globalization;
using Strand.Runtime;
using Strand.Threads;

namespace Strand.Cli.Commands;

/// <summary>
/// <c>strand demo [--threads N]</c>: the seed's stack-collision scenario on the embedded
/// <c>algorithm_threads.wasm</c> (clang -O2, shared memory, <c>__stack_pointer</c> not exported).
/// First every thread keeps the linker's stack pointer (shared mode), then Strand isolates the stacks.
/// </summary>
public static class DemoCommand
{
    public const long ExpectedResult = 5172326400000;
    private const string ResourceName = "algorithm_threads.wasm";

    public static int Execute(ArgumentReader args)
    {
        int threadCount = args.TakeInt("--threads", 2, 64) ?? 4;
        args.EnsureNoOptionsLeft();
        if (args.Remaining.Count > 0) throw new UsageException($"demo takes no file (got '{args.Remaining[0]}')");

        var module = Module.Compile(LoadEmbeddedModule());
        var layout = ModuleLayout.Analyze(module.Definition);
        var sp = layout.StackPointer;
        Console.Out.WriteLine($"strand demo: the seed's algorithm (correct result {ExpectedResult}) on {threadCount} threads sharing one memory");
        Console.Out.WriteLine($"module: {ResourceName} (embedded); __stack_pointer is global {sp.GlobalIndex} (found by {SourceText(sp.Source)}), " +
                              $"initial value 0x{sp.InitialValue:x8}, stack {sp.Range?.ToString() ?? "unknown"}; every call keeps a 4 KiB array on it");
        Console.Out.WriteLine();

        Console.Out.WriteLine("1) shared stacks: every thread keeps the linker's __stack_pointer (what a host unaware of shadow stacks does)");
        var (sharedGroup, sharedThreads) = Run(module, StackMode.Shared, threadCount);
        int sharedWrong = 0;
        foreach (var t in sharedThreads)
        {
            bool ok = IsCorrect(t);
            if (!ok) sharedWrong++;
            Console.Out.WriteLine($"   thread {t.Id}: {Describe(t),-20} {(ok ? "correct" : "CORRUPTED")}");
        }
        Console.Out.WriteLine($"   stack collisions, detected as each thread started ({sharedGroup.Collisions.Count}):");
        foreach (var c in sharedGroup.Collisions) Console.Out.WriteLine($"     {c.Message}");
        Console.Out.WriteLine(sharedWrong > 0
            ? $"   {sharedWrong} of {threadCount} results are wrong: the threads overwrote each other's frames."
            : $"   all results happen to be correct this time: the OS ran the threads without overlapping in time. The collisions above are certain; the damage depends on scheduling.");
        Console.Out.WriteLine();

        Console.Out.WriteLine("2) isolated stacks: Strand gives each thread its own shadow stack (the memory is grown by the host for them)");
        var (isolatedGroup, isolatedThreads) = Run(module, StackMode.Isolated, threadCount);
        int isolatedWrong = 0;
        foreach (var t in isolatedThreads)
        {
            bool ok = IsCorrect(t);
            if (!ok) isolatedWrong++;
            string owner = t.Id == 1 ? " (the linker's)" : "";
            Console.Out.WriteLine($"   thread {t.Id}: {Describe(t),-20} {(ok ? "correct" : "WRONG")}   stack {t.StackRange}{owner}");
        }
        Console.Out.WriteLine(isolatedWrong == 0 && isolatedGroup.Collisions.Count == 0
            ? $"   {threadCount} of {threadCount} results correct; no stack collisions; memory grew from {layout.Memory?.MinPages} to {isolatedGroup.Memory!.Pages} pages."
            : $"   {isolatedWrong} of {threadCount} results wrong, {isolatedGroup.Collisions.Count} collisions: this is a bug in Strand.");
        sharedGroup.Dispose();
        isolatedGroup.Dispose();
        return isolatedWrong == 0 ? 0 : 1;
    }

    private static (ThreadGroup, IReadOnlyList<WasmThread>) Run(Module module, StackMode mode, int threadCount)
    {
        // A start barrier: every thread is instantiated and placed first, then all are released at once,
        // so that their frames are live at the same time.
        var group = new ThreadGroup(module, new ThreadGroupOptions { StackMode = mode, StartTogether = true });
        var threads = Enumerable.Range(0, threadCount).Select(_ => group.Spawn("algorithm")).ToList();
        try
        {
            group.WaitAll();
        }
        catch (ThreadGroupException)
        {
            // Reported per thread below.
        }
        return (group, threads);
    }

    private static string SourceText(StackPointerSource source) => source switch
    {
        StackPointerSource.Export => "its export",
        StackPointerSource.NameSection => "the name section",
        StackPointerSource.Import => "its import",
        StackPointerSource.Heuristic => "heuristic",
        _ => "nothing",
    };

    private static bool IsCorrect(WasmThread t) => t.Result is [{ } v] && v.AsI64 == ExpectedResult;

    private static string Describe(WasmThread t) =>
        t.Error is TrapException trap ? $"trap: {trap.Message}"
        : t.Error is { } e ? $"error: {e.Message}"
        : t.Result is [{ } v] ? v.AsI64.ToString(CultureInfo.InvariantCulture)
        : "no result";

    private static byte[] LoadEmbeddedModule()
    {
        using var stream = typeof(DemoCommand).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the CLI was built without its embedded {ResourceName}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
