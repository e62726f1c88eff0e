using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Strand.Threads;
using Strand.Tools;

namespace Strand.Cli.Commands;

/// <summary>
/// <c>strand inspect FILE [--svg OUT] [--threads N] [--stack-size SIZE]</c>: layout and thread-safety facts of a
/// module. Decodes and analyses only: nothing is validated, compiled, linked or run, so it works on any module
/// that decodes, including one whose code uses features Strand does not implement (exception handling, GC).
/// </summary>
public static class InspectCommand
{
    public static int Execute(ArgumentReader args)
    {
        string? svgPath = args.TakeOption("--svg");
        int threads = args.TakeInt("--threads", 1, 1024) ?? 1;
        uint? stackSize = args.TakeStackSize();
        args.EnsureNoOptionsLeft();
        if (args.Remaining.Count != 1) throw new UsageException("inspect needs exactly one FILE");
        string file = args.Remaining[0];

        ModuleDefinition module;
        try
        {
            module = ModuleDecoder.DecodeForAnalysis(ModuleLoader.ReadWasm(file));
        }
        catch (Exception e) when (e is WasmFormatException or WasmUnsupportedException or WasmImplementationLimitException or WatParseException)
        {
            Console.Error.WriteLine($"strand: {file}: {e.Message}");
            return 1;
        }

        var layout = ModuleLayout.Analyze(module);
        Console.Out.Write(ModuleInspector.Render(layout, module));
        if (module.Unsupported.Count > 0)
        {
            Console.Out.WriteLine();
            Console.Out.Write(ModuleInspector.RenderUnsupported(module));
        }
        var bands = new List<(int, uint, uint)>();
        var tlsBlocks = new List<(int, uint, uint)>();
        var stacks = threads > 1 || stackSize is not null ? PreviewStacks(module, threads, stackSize, bands, tlsBlocks) : null;
        if (svgPath is not null)
        {
            File.WriteAllText(svgPath, ModuleInspector.RenderSvg(layout, stacks, bands, tlsBlocks));
            Console.Out.WriteLine($"memory map written to {svgPath}");
        }
        return 0;
    }

    /// <summary>
    /// Where Strand would put each thread's stack for <paramref name="threads"/> threads (isolated mode), computed
    /// by the thread-group placement code on a scratch memory from the decoded module alone: nothing is compiled,
    /// linked or run. Printed, and drawn in the SVG.
    /// </summary>
    private static IReadOnlyList<(int, uint, uint)>? PreviewStacks(ModuleDefinition definition, int threads, uint? stackSize, List<(int, uint, uint)> bands, List<(int, uint, uint)> tlsBlocks)
    {
        Console.Out.WriteLine();
        Console.Out.WriteLine($"Stacks under Strand with {threads} thread(s), isolated mode");
        if (threads > 1 && ModuleLayout.Analyze(definition).Memory is { Shared: false })
            // The rule strand run applies (ThreadGroup.Spawn); the placement below is what a shared copy would get.
            Console.Out.WriteLine("  note: the module's memory is not shared, so only one thread may use it: strand run refuses thread 2 (the placement below assumes a shared memory)");
        try
        {
            var (planned, pagesAfter) = ThreadGroup.PreviewPlacement(definition, threads, new ThreadGroupOptions { StackSize = stackSize });
            var result = new List<(int, uint, uint)>();
            foreach (var t in planned)
            {
                if (t.StackRange is not { } range)
                {
                    Console.Out.WriteLine($"  thread {t.Id}: no shadow stack found");
                    continue;
                }
                string tls = t.TlsBlock is { } block ? $", TLS block {block}" : "";
                string band = t.RedZoneBand is { } rz ? $", red-zone band {rz} ({ModuleInspector.Size(rz.Size)})" : "";
                Console.Out.WriteLine($"  thread {t.Id}: stack {range} ({ModuleInspector.Size(range.Size)}){band}{tls}");
                result.Add((t.Id, (uint)range.Start, (uint)range.End));
                if (t.RedZoneBand is { } b) bands.Add((t.Id, (uint)b.Start, (uint)b.End));
                if (t.TlsBlock is { } tb) tlsBlocks.Add((t.Id, (uint)tb.Start, (uint)tb.End));
            }
            if (pagesAfter is { } pages) Console.Out.WriteLine($"  memory after placement: {pages} pages");
            return result;
        }
        catch (Exception e) when (e is ThreadSpawnException or LinkException or ArgumentException or OutOfMemoryException)
        {
            // ArgumentException: limits an unvalidated module may carry (minimum above maximum, above 65536 pages);
            // OutOfMemoryException: the scratch memory's initial pages could not be committed.
            Console.Out.WriteLine($"  cannot place them: {e.Message}");
            return null;
        }
    }
}
