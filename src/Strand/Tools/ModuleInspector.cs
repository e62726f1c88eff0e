using System.Globalization;
using System.Text;
using Strand.Binary;
using Strand.Threads;

namespace Strand.Tools;

/// <summary>
/// Renders a <see cref="ModuleLayout"/> for <c>strand inspect</c>: a text report and an SVG memory map.
/// </summary>
public static class ModuleInspector
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The text report: one section per topic, addresses as 0x%08x, sizes in decimal.</summary>
    public static string Render(ModuleLayout layout, ModuleDefinition module)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(module);
        var sb = new StringBuilder();

        Section(sb, "Memory");
        if (layout.Memory is not { } mem)
        {
            Line(sb, "none (the module has no linear memory)");
        }
        else
        {
            string origin = mem.Imported ? $"imported as {mem.ImportModule}.{mem.ImportName}" : "defined in the module";
            if (mem.ExportName is not null) origin += $", exported as \"{mem.ExportName}\"";
            Line(sb, $"memory {mem.Index}: {origin}{(mem.Is64 ? ", 64-bit addresses (memory64)" : "")}");
            Line(sb, $"shared: {(mem.Shared ? "yes" : "no")}");
            Line(sb, $"pages: min {mem.MinPages} ({Size(mem.InitialBytes)}), max {(mem.MaxPages is { } max ? $"{max} ({Size((ulong)max * MemoryFacts.PageSize)})" : "none")}");
            if (module.TotalMemoryCount > 1)
            {
                // Multi-memory: every memory, and which one holds the shadow stack (the one threads share).
                Line(sb, layout.StackMemoryIndex is { } stackMemory
                    ? $"shadow stack memory: {stackMemory} ({layout.StackMemoryReason})"
                    : $"shadow stack memory: unknown ({layout.StackMemoryReason})");
                for (uint i = 0; i < module.TotalMemoryCount; i++)
                {
                    var type = module.GetMemoryType(i);
                    var limits = type.Limits;
                    string kind = i < module.ImportedMemoryCount ? "imported" : "defined";
                    Line(sb, $"  memory {i}: {kind}, {(limits.Is64 ? "i64" : "i32")}, pages min {limits.Min}, max {(limits.Max is { } m ? m.ToString() : "none")}{(limits.Shared ? ", shared" : "")}");
                }
            }
        }

        Section(sb, "Shadow stack");
        var sp = layout.StackPointer;
        if (!sp.Found)
        {
            Line(sb, "__stack_pointer: not found");
        }
        else
        {
            Line(sb, $"__stack_pointer: global {sp.GlobalIndex} (found via {Describe(sp.Source)}){(sp.Imported ? ", imported" : "")}");
            Line(sb, $"mutable i32: {(sp.IsMutableI32 ? "yes" : "no")}");
            Line(sb, sp.InitialValue is { } top ? $"initial value: {Hex(top)} ({top})" : "initial value: unknown (not a constant)");
            if (sp.Source == StackPointerSource.Heuristic && sp.HeuristicCandidates.Count > 1)
                Line(sb, $"other candidates: {string.Join(", ", sp.HeuristicCandidates.Skip(1).Select(c => $"global {c}"))}");
            Line(sb, $"evidence: {(sp.Evidence == StackEvidence.Strong ? "strong" : sp.Evidence == StackEvidence.Weak ? "weak" : "none")} ({sp.EvidenceReason})"
                     + (sp.Evidence == StackEvidence.Weak ? "; Strand neither moves nor guards it" : ""));
            Line(sb, $"code: {sp.FrameFunctions} function(s) allocate frames on it (largest constant frame {Size(sp.LargestFrame)}); "
                     + $"{sp.RedZoneLeaves} leaf function(s) use the red zone below it without moving it (largest {Size(sp.LargestRedZoneFrame)})");
            Line(sb, $"placement: {Describe(sp.Placement)}");
            Line(sb, sp.Range is { } r ? $"range: {Hex(r.Start)}..{Hex(r.End)} ({Size(r.Size)}), grows down from {Hex(r.End)}" : "range: unknown");
            if (sp.RedZoneBand is { } band)
                Line(sb, $"red-zone band: {Hex(band.Start)}..{Hex(band.End)} ({Size(band.Size)}), kept free below the stack for LLVM's {ModuleLayout.RedZoneSize}-byte red zone");
            if (sp.GuardedRange is { } guarded && sp.Evidence == StackEvidence.Strong)
            {
                string floor = sp.FloorIsCertain
                    ? "above all static data"
                    : sp.Placement == StackPlacement.NoData
                        ? "a lower bound: the module records no data, so static data (.bss) below the stack is not known"
                        : "a lower bound: the .bss of a stripped module may end higher, and an overflow into it above the floor is not caught";
                Line(sb, $"guard floor: {Hex(guarded.Start)} ({floor})");
            }
        }

        Section(sb, "Data end / heap base");
        Line(sb, $"__data_end:  {Describe(layout.DataEnd)}");
        Line(sb, $"__heap_base: {Describe(layout.HeapBase)}");

        Section(sb, "TLS");
        var tls = layout.Tls;
        Line(sb, $"thread-locals: {(tls.HasThreadLocals ? "yes" : "no")}");
        Line(sb, $"__tls_base:  {Describe(tls.TlsBase)}");
        Line(sb, $"__tls_size:  {Describe(tls.TlsSize)}");
        Line(sb, $"__tls_align: {Describe(tls.TlsAlign)}");
        Line(sb, $"__wasm_init_tls: {(tls.InitTls is { } init ? $"func {init.FunctionIndex} (found via {(init.Source == SymbolSource.Inferred ? "the shape of the code" : Describe(init.Source))})" : "not found")}");
        if (tls.TemplateSegment is { } tdata)
            Line(sb, $"template: data segment {tdata} ({(tls.FoundByShape ? "recognised by shape" : ".tdata")}), {tls.BlockSize} bytes per thread");
        else if (tls.BlockSize is { } block)
            Line(sb, $"block size: {block} bytes per thread");
        if (tls.FoundByShape)
            Line(sb, "found by the shape of the code (stripped module); see the notes");
        if (tls.Unaccounted is { } unaccounted)
            Line(sb, $"TLS-like state Strand cannot account for: {unaccounted}; a second thread is refused");

        Section(sb, "Data segments");
        if (layout.DataSegments.Count == 0) Line(sb, "none");
        foreach (var s in layout.DataSegments)
        {
            string name = s.Name is null ? "" : $" {s.Name}";
            string where = s.Range is { } r
                ? $"{Hex(r.Start)}..{Hex(r.End)} (from {(s.AddressSource == SegmentAddressSource.ActiveOffset ? "its offset" : "memory.init in the start function")})"
                : s.IsInferredTlsTemplate ? "no fixed address (per-thread TLS template, recognised by shape)"
                : s.IsTlsTemplate ? "no fixed address (per-thread TLS template)" : "address unknown";
            Line(sb, $"[{s.Index}]{name} {s.Mode.ToString().ToLowerInvariant()}, {Size(s.Size)}, {where}");
        }
        if (layout.Start is { } st)
        {
            foreach (var fill in st.ZeroFills)
                Line(sb, $".bss {Hex(fill.Start)}..{Hex(fill.End)} ({Size(fill.Size)}), zero-filled by the start function");
            if (st.FlagAddress is { } flag)
                Line(sb, $"init flag {Hex(flag)} (4 bytes)");
        }

        Section(sb, "Start function");
        if (layout.Start is not { } start)
        {
            Line(sb, "none");
        }
        else
        {
            Line(sb, $"func {start.FunctionIndex}{(start.Name is null ? "" : $" <{start.Name}>")}");
            if (start.IsInitMemory)
            {
                Line(sb, $"LLVM's __wasm_init_memory (recognised by {start.RecognizedBy}): initialises memory once per memory, losers wait on the flag");
                Line(sb, start.FlagAddress is { } flag ? $"flag address: {Hex(flag)}" : "flag address: unknown");
            }
            else
            {
                Line(sb, "not __wasm_init_memory");
            }
        }

        Section(sb, "Imports");
        if (layout.Imports.Count == 0) Line(sb, "none");
        foreach (var i in layout.Imports) Line(sb, $"{i.Module}.{i.Name}: {i.Description}");

        Section(sb, "Exports");
        if (layout.Exports.Count == 0) Line(sb, "none");
        foreach (var e in layout.Exports) Line(sb, $"\"{e.Name}\": {e.Description}");

        Section(sb, "Verdict");
        Assessment(sb, "Without stack management (every instance starts with the linker's stack pointer)", layout.Verdict.WithoutStackManagement);
        Assessment(sb, "Under Strand (a stack and TLS block per thread)", layout.Verdict.UnderStrand);

        if (layout.Notes.Count > 0)
        {
            Section(sb, "Notes");
            foreach (var n in layout.Notes) Line(sb, $"- {n}");
        }
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title)
    {
        if (sb.Length > 0) sb.Append('\n');
        sb.Append(title).Append('\n');
    }

    private static void Line(StringBuilder sb, string text) => sb.Append("  ").Append(text).Append('\n');

    private static void Assessment(StringBuilder sb, string title, SafetyAssessment a)
    {
        Line(sb, $"{title}: {Describe(a.Level)}");
        foreach (var r in a.Reasons) Line(sb, $"  - {r}");
    }

    /// <summary>An address as 0x%08x.</summary>
    public static string Hex(ulong address) => "0x" + address.ToString("x8", Invariant);

    /// <summary>A byte count in decimal: "16 bytes", "64 KiB", "1 MiB", or "65556 bytes ≈ 64.0 KiB".</summary>
    public static string Size(ulong bytes)
    {
        const ulong KiB = 1024, MiB = 1024 * 1024;
        if (bytes >= MiB && bytes % MiB == 0) return $"{bytes / MiB} MiB";
        if (bytes >= KiB && bytes % KiB == 0) return $"{bytes / KiB} KiB";
        // No brackets of its own: callers put sizes in brackets ("range [..] (65408 bytes ≈ 63.9 KiB)").
        if (bytes >= MiB) return string.Create(Invariant, $"{bytes} bytes ≈ {bytes / (double)MiB:0.0} MiB");
        if (bytes >= KiB) return string.Create(Invariant, $"{bytes} bytes ≈ {bytes / (double)KiB:0.0} KiB");
        return bytes == 1 ? "1 byte" : $"{bytes} bytes";
    }

    private static string Describe(StackPointerSource s) => s switch
    {
        StackPointerSource.Export => "export \"__stack_pointer\"",
        StackPointerSource.NameSection => "name section",
        StackPointerSource.Import => "import",
        StackPointerSource.Heuristic => "heuristic",
        _ => "nothing",
    };

    private static string Describe(SymbolSource s) => s switch
    {
        SymbolSource.Export => "export",
        SymbolSource.NameSection => "name section",
        SymbolSource.Inferred => "inferred",
        _ => "not found",
    };

    private static string Describe(StackPlacement p) => p switch
    {
        StackPlacement.StackFirst => "stack first (below the data)",
        StackPlacement.AfterData => "after the data (between the data end and the heap)",
        StackPlacement.BetweenData => "between data below and data above it (data appended after linking)",
        StackPlacement.NoData => "below the initial pointer (the module has no data)",
        _ => "unknown",
    };

    private static string Describe(SafetyLevel level) => level switch
    {
        SafetyLevel.Safe => "SAFE",
        SafetyLevel.Unsafe => "UNSAFE",
        SafetyLevel.NotApplicable => "NOT APPLICABLE",
        _ => "UNKNOWN",
    };

    private static string Describe(LayoutAddress a) => a.Value is { } v
        ? $"{Hex(v)} ({v}) ({Describe(a.Source)}{(a.GlobalIndex is { } g ? $", global {g}" : "")}{(a.IsLowerBound ? ", a lower bound" : "")})"
        : "unknown";

    private static string Describe(GlobalSymbol? g)
    {
        if (g is null) return "not found";
        string value = g.ConstValue is { } v ? $" = {v}" : "";
        string source = g.Source == SymbolSource.Inferred ? "the shape of the code" : Describe(g.Source);
        return $"global {g.GlobalIndex} (found via {source}), {g.Type}{value}";
    }

    // ====================================================================== SVG

    private enum RegionKind { Unused, Data, Bss, Flag, Stack, RedZone, Heap, ThreadStack, HostGrown, Tls }

    private sealed record Region(ulong Start, ulong End, RegionKind Kind, string Label);

    private static readonly (RegionKind Kind, string Fill, string Name)[] Palette =
    [
        (RegionKind.Unused, "#eeeeee", "unused / unknown"),
        (RegionKind.Data, "#4e79a7", "data segment"),
        (RegionKind.Bss, "#a0cbe8", ".bss (zero-filled)"),
        (RegionKind.Flag, "#f28e2b", "init flag"),
        (RegionKind.Stack, "#59a14f", "main shadow stack"),
        (RegionKind.RedZone, "#ff9d9a", "red-zone band (kept free, 128+ bytes)"),
        (RegionKind.Heap, "#edc948", "heap"),
        (RegionKind.ThreadStack, "#b07aa1", "thread stack"),
        (RegionKind.HostGrown, "#d9d2e9", "grown by the host for threads"),
        (RegionKind.Tls, "#76b7b2", "TLS block"),
    ];

    private static string FillOf(RegionKind kind) => Palette.First(p => p.Kind == kind).Fill;

    /// <summary>
    /// An SVG memory map: one bar with the data, the main stack and the heap, and below it a lane per set of
    /// non-overlapping thread stacks (if given). Widths grow with log2 of the size, so a 4-byte flag and a 1 MiB stack
    /// are both visible; the ticks give the exact addresses. Overlapping stacks are outlined in red.
    /// </summary>
    /// <param name="redZoneBands">For thread stacks, the free band below each (<see cref="WasmThread.RedZoneBand"/>), drawn in its lane.</param>
    /// <param name="tlsBlocks">Each thread's TLS block (<see cref="WasmThread.TlsBlock"/>), drawn in lanes of their own below the stacks.</param>
    /// <param name="layout">The module's layout analysis.</param>
    /// <param name="threadStacks">Each thread's stack [low, high), drawn in lanes below the bar.</param>
    public static string RenderSvg(ModuleLayout layout, IReadOnlyList<(int threadId, uint low, uint high)>? threadStacks = null,
        IReadOnlyList<(int threadId, uint low, uint high)>? redZoneBands = null,
        IReadOnlyList<(int threadId, uint low, uint high)>? tlsBlocks = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var threads = (threadStacks ?? []).Where(t => t.high > t.low).OrderBy(t => t.low).ToList();
        var bands = (redZoneBands ?? []).Where(b => b.high > b.low).ToList();
        var tls = (tlsBlocks ?? []).Where(b => b.high > b.low).OrderBy(b => b.low).ToList();

        var regions = MainRegions(layout, threads);
        ulong memoryEnd = regions.Count > 0 ? regions[^1].End : 0;

        // Elementary intervals between every boundary, each weighted by log2 of its size.
        var bounds = new SortedSet<ulong> { 0, memoryEnd };
        foreach (var r in regions) { bounds.Add(r.Start); bounds.Add(r.End); }
        foreach (var t in threads) { bounds.Add(t.low); bounds.Add(t.high); }
        foreach (var b in bands) { bounds.Add(b.low); bounds.Add(b.high); }
        foreach (var b in tls) { bounds.Add(b.low); bounds.Add(b.high); }
        ulong initialEnd = layout.Memory?.InitialBytes ?? 0;
        bool grown = initialEnd > 0 && initialEnd < memoryEnd;
        if (grown) bounds.Add(initialEnd);
        var edges = bounds.ToArray();

        const double left = 60, barWidth = 900, barY = 120, barHeight = 44, laneHeight = 28, laneGap = 8;
        var weights = new double[Math.Max(edges.Length - 1, 0)];
        for (int i = 0; i < weights.Length; i++) weights[i] = Math.Max(2.0, Math.Log2(1 + (double)(edges[i + 1] - edges[i])));
        double total = weights.Sum();
        var xs = new double[edges.Length];
        xs[0] = left;
        for (int i = 0; i < weights.Length; i++) xs[i + 1] = xs[i] + (total > 0 ? weights[i] / total * barWidth : 0);

        double X(ulong address)
        {
            int i = Array.BinarySearch(edges, address);
            if (i >= 0) return xs[i];
            i = ~i; // edges[i-1] < address < edges[i]
            if (i <= 0) return xs[0];
            if (i >= edges.Length) return xs[^1];
            double f = (double)(address - edges[i - 1]) / (edges[i] - edges[i - 1]);
            return xs[i - 1] + f * (xs[i] - xs[i - 1]);
        }

        // Thread lanes: greedy assignment, a stack goes to the first lane where it overlaps nothing.
        var lanes = new List<List<(int threadId, uint low, uint high)>>();
        foreach (var t in threads)
        {
            var lane = lanes.FirstOrDefault(l => l.All(o => t.high <= o.low || o.high <= t.low));
            if (lane is null) lanes.Add(lane = []);
            lane.Add(t);
        }
        var tlsLanes = new List<List<(int threadId, uint low, uint high)>>();
        foreach (var b in tls)
        {
            var lane = tlsLanes.FirstOrDefault(l => l.All(o => b.high <= o.low || o.high <= b.low));
            if (lane is null) tlsLanes.Add(lane = []);
            lane.Add(b);
        }
        var mainStack = layout.StackPointer.GuardedRange ?? layout.StackPointer.Range;
        bool Collides((int threadId, uint low, uint high) t) =>
            threads.Count(o => t.low < o.high && o.low < t.high) > 1 // itself, plus at least one other
            // The first thread runs on the main stack itself: only a partial overlap with it is a collision.
            || (mainStack is { } m && t.low < m.End && m.Start < t.high && !(t.low == m.Start && t.high == m.End))
            || layout.StaticDataRanges.Any(d => t.low < d.End && d.Start < t.high);

        double lanesTop = barY + barHeight + 70;
        double tlsTop = lanesTop + lanes.Count * (laneHeight + laneGap) + (lanes.Count > 0 && tlsLanes.Count > 0 ? 30 : 0);
        double legendY = tlsTop + tlsLanes.Count * (laneHeight + laneGap) + (lanes.Count + tlsLanes.Count > 0 ? 30 : 0);
        // The legend names only the kinds the picture shows.
        var shown = new HashSet<RegionKind>(regions.Select(r => r.Kind));
        if (threads.Count > 0) shown.Add(RegionKind.ThreadStack);
        if (bands.Count > 0) shown.Add(RegionKind.RedZone);
        if (tls.Count > 0) shown.Add(RegionKind.Tls);
        const double width = 1000;
        // Legend entries flow left to right and wrap onto further rows.
        var legend = new List<(double X, double Y, string Fill, string Name)>();
        double lx = left, ly = legendY;
        foreach (var (kind, fill, name) in Palette)
        {
            if (!shown.Contains(kind)) continue;
            double itemWidth = 17 + name.Length * 6.2 + 18;
            if (lx + itemWidth > width - 10 && lx > left)
            {
                lx = left;
                ly += 20;
            }
            legend.Add((lx, ly, fill, name));
            lx += itemWidth;
        }
        double height = ly + 40;

        var svg = new StringBuilder();
        svg.Append(string.Create(Invariant,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height:0}\" viewBox=\"0 0 {width} {height:0}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"));
        svg.Append("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        string title = layout.Memory is { } mem
            ? $"Linear memory: {Size(mem.InitialBytes)} initial{(mem.MaxPages is { } mx ? $", {Size((ulong)mx * MemoryFacts.PageSize)} max" : "")}{(mem.Shared ? ", shared" : "")}"
            : "No linear memory";
        Text(svg, left, 24, title, "start", bold: true, size: 14);
        Text(svg, left, 42, "Widths grow with log2(size), not to scale; ticks give exact addresses.", "start", size: 10, fill: "#555555");

        // Main bar. Labels that do not fit inside their region go above the bar, each in the first row where it
        // overlaps no earlier label (the end-of-initial-memory marker's label included).
        var labelRows = new List<(double Low, double High)>[4] { [], [], [], [] };
        double PlaceAbove(double low, double high)
        {
            int row = 0;
            while (row < labelRows.Length - 1 && labelRows[row].Any(o => low < o.High + 4 && o.Low < high + 4)) row++;
            labelRows[row].Add((low, high));
            return barY - 10 - row * 16;
        }
        if (grown)
        {
            // Regions beyond the initial size exist only after memory.grow.
            double x = X(initialEnd);
            const string marker = "end of initial memory";
            double y = PlaceAbove(x, x + 3 + marker.Length * 5.2);
            svg.Append(string.Create(Invariant,
                $"<line x1=\"{x:0.##}\" y1=\"{y + 3:0.##}\" x2=\"{x:0.##}\" y2=\"{barY + barHeight + 6}\" stroke=\"#d62728\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\n"));
            Text(svg, x + 3, y, marker, "start", size: 9, fill: "#d62728");
        }
        foreach (var r in regions)
        {
            double x0 = X(r.Start), x1 = X(r.End);
            svg.Append(string.Create(Invariant,
                $"<rect x=\"{x0:0.##}\" y=\"{barY}\" width=\"{Math.Max(x1 - x0, 0.5):0.##}\" height=\"{barHeight}\" fill=\"{FillOf(r.Kind)}\" stroke=\"#333333\" stroke-width=\"0.6\"><title>{Escape($"{r.Label}: {Hex(r.Start)}..{Hex(r.End)}, {Size(r.End - r.Start)}")}</title></rect>\n"));
            if (r.Kind == RegionKind.Unused && r.Label.Length == 0) continue;
            string label = $"{r.Label}: {Size(r.End - r.Start)}";
            double mid = (x0 + x1) / 2;
            if (x1 - x0 >= label.Length * 6.2 + 6)
            {
                Text(svg, mid, barY + barHeight / 2 + 4, label, "middle", fill: r.Kind is RegionKind.Data ? "white" : "#111111");
            }
            else
            {
                double half = label.Length * 3.1 + 4;
                double y = PlaceAbove(mid - half, mid + half);
                svg.Append(string.Create(Invariant,
                    $"<line x1=\"{mid:0.##}\" y1=\"{barY}\" x2=\"{mid:0.##}\" y2=\"{y + 3:0.##}\" stroke=\"#777777\" stroke-width=\"0.6\"/>\n"));
                Text(svg, mid, y, label, "middle");
            }
        }

        // Address ticks under the bar, skipping labels that would overprint the previous one.
        double lastTick = double.NegativeInfinity;
        foreach (var e in edges)
        {
            double x = X(e);
            svg.Append(string.Create(Invariant,
                $"<line x1=\"{x:0.##}\" y1=\"{barY + barHeight}\" x2=\"{x:0.##}\" y2=\"{barY + barHeight + 5}\" stroke=\"#333333\" stroke-width=\"0.8\"/>\n"));
            if (x - lastTick < 15) continue;
            lastTick = x;
            svg.Append(string.Create(Invariant,
                $"<text x=\"{x:0.##}\" y=\"{barY + barHeight + 14}\" font-size=\"9\" text-anchor=\"end\" transform=\"rotate(-40 {x:0.##} {barY + barHeight + 14})\">{Hex(e)}</text>\n"));
        }

        // Thread stacks.
        for (int l = 0; l < lanes.Count; l++)
        {
            double y = lanesTop + l * (laneHeight + laneGap);
            foreach (var band in bands)
            {
                if (!lanes[l].Any(t => t.threadId == band.threadId)) continue;
                double b0 = X(band.low), b1 = X(band.high);
                svg.Append(string.Create(Invariant,
                    $"<rect x=\"{b0:0.##}\" y=\"{y:0.##}\" width=\"{Math.Max(b1 - b0, 0.5):0.##}\" height=\"{laneHeight}\" fill=\"{FillOf(RegionKind.RedZone)}\" stroke=\"#333333\" stroke-width=\"0.6\"><title>{Escape($"thread {band.threadId} red-zone band (kept free): {Hex(band.low)}..{Hex(band.high)}, {Size((ulong)band.high - band.low)}")}</title></rect>\n"));
            }
            foreach (var t in lanes[l])
            {
                double x0 = X(t.low), x1 = X(t.high);
                bool collides = Collides(t);
                svg.Append(string.Create(Invariant,
                    $"<rect x=\"{x0:0.##}\" y=\"{y:0.##}\" width=\"{Math.Max(x1 - x0, 0.5):0.##}\" height=\"{laneHeight}\" fill=\"{FillOf(RegionKind.ThreadStack)}\" stroke=\"{(collides ? "#d62728" : "#333333")}\" stroke-width=\"{(collides ? 2.5 : 0.6)}\"><title>{Escape($"thread {t.threadId} stack: {Hex(t.low)}..{Hex(t.high)}, {Size((ulong)t.high - t.low)}{(collides ? ", OVERLAPS another region" : "")}")}</title></rect>\n"));
                string label = collides ? $"T{t.threadId} overlap!" : $"T{t.threadId}";
                if (x1 - x0 >= label.Length * 6.2 + 4)
                    Text(svg, (x0 + x1) / 2, y + laneHeight / 2 + 4, label, "middle", fill: collides ? "#d62728" : "white", bold: collides);
                else
                    Text(svg, x1 + 3, y + laneHeight / 2 + 4, label, "start", fill: collides ? "#d62728" : "#111111");
            }
        }
        if (lanes.Count > 0)
            Text(svg, left, lanesTop - 8, "Thread stacks", "start", bold: true);
        for (int l = 0; l < tlsLanes.Count; l++)
        {
            double y = tlsTop + l * (laneHeight + laneGap);
            foreach (var b in tlsLanes[l])
            {
                double x0 = X(b.low), x1 = X(b.high);
                svg.Append(string.Create(Invariant,
                    $"<rect x=\"{x0:0.##}\" y=\"{y:0.##}\" width=\"{Math.Max(x1 - x0, 0.5):0.##}\" height=\"{laneHeight}\" fill=\"{FillOf(RegionKind.Tls)}\" stroke=\"#333333\" stroke-width=\"0.6\"><title>{Escape($"thread {b.threadId} TLS block: {Hex(b.low)}..{Hex(b.high)}, {Size((ulong)b.high - b.low)}")}</title></rect>\n"));
                string label = $"T{b.threadId} TLS";
                if (x1 - x0 >= label.Length * 6.2 + 4) Text(svg, (x0 + x1) / 2, y + laneHeight / 2 + 4, label, "middle");
                else Text(svg, x1 + 3, y + laneHeight / 2 + 4, label, "start");
            }
        }
        if (tlsLanes.Count > 0)
            Text(svg, left, tlsTop - 8, "TLS blocks", "start", bold: true);

        // Legend.
        foreach (var (x, y, fill, name) in legend)
        {
            svg.Append(string.Create(Invariant,
                $"<rect x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"12\" height=\"12\" fill=\"{fill}\" stroke=\"#333333\" stroke-width=\"0.6\"/>\n"));
            Text(svg, x + 17, y + 10, name, "start");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>The main bar's regions in address order, with the gaps filled as "unused".</summary>
    private static List<Region> MainRegions(ModuleLayout layout, List<(int threadId, uint low, uint high)> threads)
    {
        var placed = new List<Region>();
        foreach (var s in layout.DataSegments)
            if (s.Range is { } r && r.Size > 0 && !s.IsTlsTemplate)
                placed.Add(new Region(r.Start, r.End, RegionKind.Data, s.Name ?? $"data[{s.Index}]"));
        if (layout.Start is { } start)
        {
            foreach (var f in start.ZeroFills) placed.Add(new Region(f.Start, f.End, RegionKind.Bss, ".bss"));
            if (start.FlagAddress is { } flag) placed.Add(new Region(flag, (ulong)flag + 4, RegionKind.Flag, "flag"));
        }
        if (layout.StackPointer.Range is { } stack && stack.Size > 0)
        {
            if (layout.StackPointer.RedZoneBand is { Size: > 0 } band && band.Start == stack.Start && band.End <= stack.End)
            {
                placed.Add(new Region(band.Start, band.End, RegionKind.RedZone, "red-zone band"));
                if (stack.End > band.End) placed.Add(new Region(band.End, stack.End, RegionKind.Stack, "stack"));
            }
            else
            {
                placed.Add(new Region(stack.Start, stack.End, RegionKind.Stack, "stack"));
            }
        }

        ulong end = layout.Memory?.InitialBytes ?? 0;
        foreach (var p in placed) end = Math.Max(end, p.End);
        foreach (var t in threads) end = Math.Max(end, t.high);
        // Thread stacks beyond the initial memory live in pages the host grew for them (not the guest's heap).
        ulong initialEnd = layout.Memory?.InitialBytes ?? 0;
        ulong hostGrownStart = initialEnd > 0 && threads.Any(t => t.high > initialEnd) ? initialEnd : end;
        if (hostGrownStart < end)
            placed.Add(new Region(hostGrownStart, end, RegionKind.HostGrown, "grown by the host for threads"));
        if (layout.HeapBase.Value is { } heap && heap < hostGrownStart)
        {
            // The heap starts at __heap_base and runs to the end of the initial memory, minus anything placed above it.
            ulong heapEnd = placed.Where(p => p.Start >= heap).Select(p => p.Start).DefaultIfEmpty(hostGrownStart).Min();
            if (heapEnd > heap) placed.Add(new Region(heap, heapEnd, RegionKind.Heap, "heap"));
        }

        // Drop regions that overlap an earlier one (malformed layouts) so the bar stays a partition.
        placed.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.End.CompareTo(a.End));
        var result = new List<Region>();
        ulong cursor = 0;
        foreach (var p in placed)
        {
            if (p.Start < cursor) continue;
            if (p.Start > cursor) result.Add(new Region(cursor, p.Start, RegionKind.Unused, cursor == 0 && result.Count == 0 ? "unused" : ""));
            result.Add(p);
            cursor = p.End;
        }
        if (cursor < end) result.Add(new Region(cursor, end, RegionKind.Unused, "unused"));
        return result;
    }

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, bool bold = false, double size = 11, string fill = "#111111")
    {
        svg.Append(string.Create(Invariant,
            $"<text x=\"{x:0.##}\" y=\"{y:0.##}\" text-anchor=\"{anchor}\" font-size=\"{size}\" fill=\"{fill}\"{(bold ? " font-weight=\"bold\"" : "")}>{Escape(text)}</text>\n"));
    }

    /// <summary>XML-escapes <paramref name="s"/> and replaces characters XML cannot carry (names come from untrusted modules).</summary>
    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]);
                continue;
            }
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                _ when System.Xml.XmlConvert.IsXmlChar(c) => c.ToString(),
                _ => "\uFFFD",
            });
        }
        return sb.ToString();
    }

    /// <summary>
    /// What the module uses that Strand does not implement (from <see cref="ModuleDecoder.DecodeForAnalysis"/>):
    /// functions whose code uses each feature, counted, and every other construct with its offset. Empty when none.
    /// </summary>
    public static string RenderUnsupported(ModuleDefinition module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module.Unsupported.Count == 0) return "";
        var sb = new StringBuilder();
        Section(sb, "Not supported by Strand (decoded for this report; the module cannot be compiled or run)");
        var inCode = module.Unsupported.Where(u => u.FunctionIndex is not null)
            .GroupBy(u => u.Feature)
            .Select(g => $"{g.Key} ({g.Count()} function{(g.Count() == 1 ? "" : "s")}, first {g.First().Construct} at offset 0x{g.First().Offset:x} in {module.DescribeFunction(g.First().FunctionIndex!.Value)})")
            .ToList();
        if (inCode.Count > 0) Line(sb, $"code: uses not-supported features: {string.Join("; ", inCode)}");
        foreach (var g in module.Unsupported.Where(u => u.FunctionIndex is null).GroupBy(u => (u.Feature, u.Construct)))
        {
            var first = g.First();
            Line(sb, $"{first.Feature}: {first.Construct} at offset 0x{first.Offset:x}{(g.Count() > 1 ? $" (and {g.Count() - 1} more)" : "")}");
        }
        return sb.ToString();
    }
}
