using System.Runtime.InteropServices;

namespace Strand.Runtime;

/// <summary>
/// A range of reserved, initially inaccessible virtual address space that is committed
/// (made readable and writable, zero-filled) piece by piece. The base address never changes,
/// which is what lets linear memory grow without moving. Released by the SafeHandle
/// machinery (finalizer included), so abandoned memories give their address space back.
/// </summary>
internal sealed class AddressSpaceReservation : SafeHandle
{
    private readonly nuint _size;
    /// <summary>Bytes committed and not yet released: reported to the GC as memory pressure.</summary>
    private long _pressure;

    private AddressSpaceReservation(nint address, nuint size) : base(0, ownsHandle: true)
    {
        SetHandle(address);
        _size = size;
    }

    public override bool IsInvalid => handle == 0;

    public nint Address => handle;
    public nuint Size => _size;

    /// <summary>Reserves <paramref name="size"/> bytes; retries once after a full GC, since finalizers of dead memories free address space.</summary>
    public static AddressSpaceReservation Reserve(nuint size)
    {
        if (size == 0) size = (nuint)Environment.SystemPageSize;
        // Each live reservation costs the process one or two kernel memory mappings. Linux caps them
        // (vm.max_map_count, 65530 by default) and the .NET runtime itself needs mappings for JIT code:
        // running out kills the process. So abandoned memories are collected early, and a host that
        // keeps too many alive gets a clear exception instead of a crash.
        CollectIfCommittedGrew();
        int live = Volatile.Read(ref s_live);
        if (live >= CollectThreshold && live % CollectThreshold == 0)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            live = Volatile.Read(ref s_live);
        }
        if (live >= MaxLiveReservations)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (Volatile.Read(ref s_live) >= MaxLiveReservations)
                throw new OutOfMemoryException(
                    $"too many live linear memories ({MaxLiveReservations}): each reserves address space and kernel mappings; " +
                    "drop references to unused instances and memories so they can be collected before creating more");
        }
        nint address = ReserveRaw(size);
        if (address == 0)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            address = ReserveRaw(size);
        }
        if (address == 0) throw new OutOfMemoryException($"cannot reserve {size} bytes of address space for a linear memory");
        Interlocked.Increment(ref s_live);
        return new AddressSpaceReservation(address, size);
    }

    /// <summary>
    /// Bytes committed by all live reservations. Memory pressure alone lets the GC decide when dropped memories are
    /// collected, and on a loaded machine it sometimes did not before 2 GiB of them were resident; so a new memory is
    /// preceded by a full collection whenever the committed total has passed <see cref="s_collectMark"/>, which then
    /// becomes twice what survived (at least <see cref="MinCollectMark"/>): dropped memories never hold more than the
    /// live ones plus that margin, at the cost of one collection per doubling.
    /// </summary>
    private static long s_committed;
    private static long s_collectMark = MinCollectMark;
    /// <summary>The smallest <see cref="CollectMark"/> (bytes).</summary>
    internal const long MinCollectMark = 512L << 20;

    /// <summary>The committed total above which the next new memory first collects (bytes; for tests).</summary>
    internal static long CollectMark => Volatile.Read(ref s_collectMark);

    /// <summary>Bytes committed by all live reservations (for tests).</summary>
    internal static long Committed => Volatile.Read(ref s_committed);
    private static readonly Lock s_collectGate = new();

    private static void CollectIfCommittedGrew()
    {
        if (Volatile.Read(ref s_committed) <= Volatile.Read(ref s_collectMark)) return;
        lock (s_collectGate)
        {
            if (Volatile.Read(ref s_committed) <= Volatile.Read(ref s_collectMark)) return;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Volatile.Write(ref s_collectMark, Math.Max(MinCollectMark, 2 * Volatile.Read(ref s_committed)));
        }
    }

    /// <summary>
    /// Released bytes lower the mark with them (never below <see cref="MinCollectMark"/>): a mark set while other
    /// memories were live would otherwise let dropped ones pile up to it after those are gone (a test that kept 1 GiB
    /// live left a 2 GiB mark, and the next one's dropped memories grew the resident set by 2 GiB). Lock-free: a
    /// finalizer may release while <see cref="CollectIfCommittedGrew"/> holds its lock and waits for finalizers.
    /// </summary>
    private static void LowerCollectMark(long committed)
    {
        long lowered = Math.Max(MinCollectMark, 2 * committed);
        long mark = Volatile.Read(ref s_collectMark);
        while (lowered < mark)
        {
            long seen = Interlocked.CompareExchange(ref s_collectMark, lowered, mark);
            if (seen == mark) return;
            mark = seen;
        }
    }

    /// <summary>Live reservations at which abandoned ones are collected (and every multiple of it).</summary>
    private const int CollectThreshold = 1024;

    /// <summary>At most this many live reservations (about a quarter of Linux's default mapping limit).</summary>
    public const int MaxLiveReservations = 16384;

    private static int s_live;

    /// <summary>Makes [offset, offset + length) readable and writable. Returns false if the OS refuses.</summary>
    public bool Commit(nuint offset, nuint length)
    {
        if (length == 0) return true;
        if (offset + length > _size || offset + length < offset) return false;
        nint at = handle + (nint)offset;
        bool ok = OperatingSystem.IsWindows()
            ? Windows.VirtualAlloc(at, length, Windows.MEM_COMMIT, Windows.PAGE_READWRITE) != 0
            : Posix.mprotect(at, length, Posix.PROT_READ | Posix.PROT_WRITE) == 0;
        if (ok)
        {
            // The GC cannot see these bytes: tell it, so that dropped memories are collected (and their finalizers
            // release them) in proportion to what they hold, not only when the managed heap happens to grow.
            GC.AddMemoryPressure((long)length);
            Interlocked.Add(ref _pressure, (long)length);
            Interlocked.Add(ref s_committed, (long)length);
        }
        return ok;
    }

    /// <summary>
    /// Gives the physical pages of [0, <paramref name="length"/>) back to the OS at once and withdraws the memory
    /// pressure; the range stays mapped (reading zeros), so code still holding the base address cannot fault.
    /// The address space itself is released with the handle.
    /// </summary>
    public void Discard(nuint length)
    {
        length = Math.Min(length, _size);
        if (length > 0)
        {
            if (OperatingSystem.IsWindows()) Windows.VirtualAlloc(handle, length, Windows.MEM_RESET, Windows.PAGE_READWRITE);
            else Posix.madvise(handle, length, OperatingSystem.IsLinux() ? Posix.MADV_DONTNEED_LINUX : Posix.MADV_FREE_BSD);
        }
        RemovePressure();
    }

    private void RemovePressure()
    {
        long pressure = Interlocked.Exchange(ref _pressure, 0);
        if (pressure > 0)
        {
            GC.RemoveMemoryPressure(pressure);
            long committed = Interlocked.Add(ref s_committed, -pressure);
            LowerCollectMark(committed);
        }
    }

    protected override bool ReleaseHandle()
    {
        RemovePressure();
        Interlocked.Decrement(ref s_live);
        if (OperatingSystem.IsWindows()) return Windows.VirtualFree(handle, 0, Windows.MEM_RELEASE);
        return Posix.munmap(handle, _size) == 0;
    }

    private static nint ReserveRaw(nuint size)
    {
        if (OperatingSystem.IsWindows())
            return Windows.VirtualAlloc(0, size, Windows.MEM_RESERVE, Windows.PAGE_NOACCESS);
        int flags = OperatingSystem.IsLinux()
            ? Posix.MAP_PRIVATE | Posix.MAP_ANONYMOUS_LINUX | Posix.MAP_NORESERVE_LINUX
            : Posix.MAP_PRIVATE | Posix.MAP_ANON_BSD;
        nint p = Posix.mmap(0, size, Posix.PROT_NONE, flags, -1, 0);
        return p == -1 ? 0 : p;
    }

    private static class Posix
    {
        public const int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2;
        public const int MAP_PRIVATE = 0x02;
        public const int MAP_ANONYMOUS_LINUX = 0x20, MAP_NORESERVE_LINUX = 0x4000;
        public const int MAP_ANON_BSD = 0x1000;

        [DllImport("libc", SetLastError = true)]
        public static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

        [DllImport("libc", SetLastError = true)]
        public static extern int mprotect(nint addr, nuint length, int prot);

        [DllImport("libc", SetLastError = true)]
        public static extern int munmap(nint addr, nuint length);

        public const int MADV_DONTNEED_LINUX = 4, MADV_FREE_BSD = 5;

        [DllImport("libc", SetLastError = true)]
        public static extern int madvise(nint addr, nuint length, int advice);
    }

    private static class Windows
    {
        public const uint MEM_COMMIT = 0x1000, MEM_RESERVE = 0x2000, MEM_RELEASE = 0x8000, MEM_RESET = 0x80000;
        public const uint PAGE_NOACCESS = 0x01, PAGE_READWRITE = 0x04;

        [DllImport("kernel32", SetLastError = true)]
        public static extern nint VirtualAlloc(nint address, nuint size, uint allocationType, uint protect);

        [DllImport("kernel32", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool VirtualFree(nint address, nuint size, uint freeType);
    }
}
