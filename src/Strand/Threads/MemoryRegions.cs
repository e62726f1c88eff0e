using System.Runtime.CompilerServices;

namespace Strand.Threads;

/// <summary>
/// Host-owned regions of a shared memory for per-thread shadow stacks and TLS blocks. A new region is made by
/// growing the memory on the host side (<c>memory.grow</c>), so it lies above everything the module's data and
/// its allocator knew about when it was made; an sbrk-style guest allocator only hands out memory that it
/// grew itself, so it never returns these pages. Regions of finished threads go to a free list and are reused
/// (best fit, whole pages). One instance per memory, shared by every group that uses the memory.
/// </summary>
internal sealed class MemoryRegions
{
    private static readonly ConditionalWeakTable<Memory, MemoryRegions> PerMemory = new();

    private readonly Memory _memory;
    private readonly object _lock = new();
    private readonly List<AddressRange> _free = [];
    private AddressRange[] _hostGrown = [];

    private MemoryRegions(Memory memory) => _memory = memory;

    public static MemoryRegions For(Memory memory) => PerMemory.GetValue(memory, m => new MemoryRegions(m));

    /// <summary>The regions of <paramref name="memory"/> if a thread group ever used it, else null (nothing is created).</summary>
    public static MemoryRegions? Existing(Memory memory) => PerMemory.TryGetValue(memory, out var regions) ? regions : null;

    private ulong? _sizeBeforeHostGrowth;

    /// <summary>The memory's size in bytes before the host first grew it for a region; null while it never has.</summary>
    public ulong? SizeBeforeHostGrowth
    {
        get { lock (_lock) return _sizeBeforeHostGrowth; }
    }

    /// <summary>Page-granular regions currently on the free list (for tests and reports).</summary>
    public IReadOnlyList<AddressRange> FreeRegions
    {
        get { lock (_lock) return _free.ToArray(); }
    }

    /// <summary>A region of at least <paramref name="bytes"/> bytes, page-aligned and a whole number of pages.</summary>
    /// <param name="describe">What the region is for, e.g. "a 64 KiB shadow stack for thread 3" (for the error message).</param>
    /// <param name="bytes">The size needed, in bytes (rounded up to whole pages).</param>
    /// <param name="remedy">What the user can change when the memory cannot grow (for the error message).</param>
    public AddressRange Allocate(ulong bytes, string describe, string remedy)
    {
        ulong pages = Math.Max(1, (bytes + Memory.PageSize - 1) / Memory.PageSize);
        ulong size = pages * Memory.PageSize;
        lock (_lock)
        {
            int best = -1;
            for (int i = 0; i < _free.Count; i++)
                if (_free[i].Size >= size && (best < 0 || _free[i].Size < _free[best].Size)) best = i;
            if (best >= 0)
            {
                var region = _free[best];
                // Keep the upper part free; hand out the bottom.
                if (region.Size == size) _free.RemoveAt(best);
                else _free[best] = new AddressRange(region.Start + size, region.End);
                return new AddressRange(region.Start, region.Start + size);
            }

            uint current = _memory.Pages;
            uint maximum = (uint)Math.Min(_memory.MaximumPages ?? Memory.MaxPages, Memory.MaxPages);
            int old = pages > maximum ? -1 : _memory.Grow((uint)pages);
            if (old < 0)
            {
                string state = current >= maximum
                    ? $"memory is at its maximum of {maximum} pages"
                    : $"memory has {current} of at most {maximum} pages and the region needs {pages} more";
                throw new ThreadSpawnException($"cannot place {describe}: {state}; {remedy}");
            }
            ulong start = (ulong)old * Memory.PageSize;
            _sizeBeforeHostGrowth ??= start;
            var grown = new AddressRange(start, start + size);
            var all = _hostGrown;
            Volatile.Write(ref _hostGrown, all.Length > 0 && all[^1].End == start
                ? [.. all[..^1], new AddressRange(all[^1].Start, grown.End)]
                : [.. all, grown]);
            return grown;
        }
    }

    /// <summary>
    /// Every range the host ever grew for regions (in use or free), sorted and merged. The guest's allocator never
    /// hands these pages out (it only returns memory it grew itself), so no stack of the guest's own can lie in them:
    /// only the stacks and TLS blocks Strand placed there. Read without a lock.
    /// </summary>
    public IReadOnlyList<AddressRange> HostGrown => Volatile.Read(ref _hostGrown);

    /// <summary>The host-grown range that <paramref name="address"/> lies strictly inside (not on its ends), if any.</summary>
    public AddressRange? HostGrownAround(uint address)
    {
        foreach (var range in Volatile.Read(ref _hostGrown))
            if (address > range.Start && address < range.End) return range;
        return null;
    }

    /// <summary>Returns a region to the free list, merging it with free neighbours.</summary>
    public void Release(AddressRange region)
    {
        if (region.Size == 0) return;
        lock (_lock)
        {
            _free.Add(region);
            _free.Sort((a, b) => a.Start.CompareTo(b.Start));
            for (int i = _free.Count - 1; i > 0; i--)
            {
                if (_free[i - 1].End == _free[i].Start)
                {
                    _free[i - 1] = new AddressRange(_free[i - 1].Start, _free[i].End);
                    _free.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>"64 KiB", "1 MiB", "1000 bytes".</summary>
    public static string FormatSize(ulong bytes) =>
        bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes / 1024} KiB"
        : $"{bytes} bytes";
}
