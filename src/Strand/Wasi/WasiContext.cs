using System.Text;

namespace Strand.Wasi;

/// <summary>
/// The state of one WASI program: arguments, environment, clocks, and the descriptor table
/// (0-2 standard streams, preopened directories from 3 in configuration order, then whatever the
/// guest opens, numbered lowest-free). Thread-safe for table operations. Create with <see cref="WasiConfiguration"/>.
/// </summary>
public sealed class WasiContext : IDisposable
{
    private readonly Dictionary<int, WasiDescriptor> _descriptors = [];
    private readonly Lock _sync = new();
    private readonly int _maxOpenDescriptors;

    internal WasiContext(string[] arguments, string[] environment, WasiClock[] clocks, WasiRandomSource random,
        Action<long>? sleep, int maxOpenDescriptors, WasiPathResolution pathResolution)
    {
        PathResolution = pathResolution;
        Arguments = arguments;
        EnvironmentVariables = environment;
        EncodedArguments = arguments.Select(Encode).ToArray();
        EncodedEnvironment = environment.Select(Encode).ToArray();
        Clocks = clocks;
        Random = random;
        _sleep = sleep;
        _maxOpenDescriptors = maxOpenDescriptors;
    }

    private static byte[] Encode(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes; // NUL-terminated
    }

    /// <summary>The program's arguments (<c>args_get</c>), the program name first.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Environment as the guest sees it ("NAME=value").</summary>
    public IReadOnlyList<string> EnvironmentVariables { get; }

    /// <summary>The code passed to <c>proc_exit</c>, once the guest has called it.</summary>
    public int? ExitCode { get; internal set; }

    internal byte[][] EncodedArguments { get; }

    internal byte[][] EncodedEnvironment { get; }

    internal WasiClock[] Clocks { get; }

    internal WasiRandomSource Random { get; }

    private readonly Action<long>? _sleep;

    /// <summary>
    /// What interrupts a wait inside a WASI call (poll_oneoff's sleep): <see cref="WasiHost.RunCommand"/> sets it to its
    /// cancellation token, or to the thread group's stop for a wasi-threads program, so a guest sleeping for years does
    /// not outlive a cancellation, an exit or a trap.
    /// </summary>
    internal CancellationToken Interruption { get; set; }

    /// <summary>
    /// poll_oneoff's sleep: the <see cref="WasiConfiguration.WithSleep"/> delegate, or a precise sleep that
    /// <see cref="Interruption"/> cuts short. False when interrupted.
    /// </summary>
    internal bool Sleep(long nanoseconds)
    {
        if (_sleep is { } sleep)
        {
            sleep(nanoseconds);
            return true;
        }
        return WasiConfiguration.PreciseSleep(nanoseconds, Interruption);
    }

    /// <summary>How paths are resolved below directory handles (tests force <see cref="WasiPathResolution.PerComponent"/>).</summary>
    internal WasiPathResolution PathResolution { get; init; }

    /// <summary>True once <see cref="Dispose"/> has run: the descriptors are closed and the context cannot run a program.</summary>
    public bool IsDisposed { get; private set; }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    internal void AddStandardStream(Stream stream, WasiFileType fileType, bool isInput)
    {
        var rights = WasiRights.FdFdstatSetFlags | WasiRights.FdFilestatGet | WasiRights.PollFdReadwrite
            | (isInput ? WasiRights.FdRead : WasiRights.FdWrite | WasiRights.FdDatasync | WasiRights.FdSync);
        if (stream.CanSeek) rights |= WasiRights.FdSeek | WasiRights.FdTell;
        Add(new StreamDescriptor(stream, fileType) { RightsBase = rights, RightsInheriting = WasiRights.None });
    }

    internal void AddPreopen(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string guestPath, bool readOnly)
    {
        var mask = readOnly ? ~WasiRights.Mutating : WasiRights.All;
        Add(new DirectoryDescriptor(handle, guestPath)
        {
            RightsBase = WasiRights.Directory & mask,
            RightsInheriting = WasiRights.All & mask,
        });
    }

    /// <summary>
    /// The most directory entries the fd_readdir listings kept on this context's descriptors may hold together (about
    /// 100 bytes of host memory each). A guest can make a directory of many entries and open it on every descriptor it
    /// has: unbounded, its listings would be that many copies (100 000 files times 1024 descriptors: about 10 GB).
    /// Beyond the budget a listing serves one call and is read again for the next (as wasmtime always does).
    /// </summary>
    internal int ListingBudget { get; set; } = 1 << 20;

    private long _listingEntries;

    /// <summary>Entries held by kept listings now (for tests).</summary>
    internal long ListingEntries => Interlocked.Read(ref _listingEntries);

    /// <summary>Replaces <paramref name="directory"/>'s kept listing by <paramref name="listing"/>, if the budget allows (else keeps none).</summary>
    internal void KeepListing(DirectoryDescriptor directory, List<DirectoryEntry>? listing)
    {
        lock (directory.ListingLock)
        {
            if (directory.Listing is { } old) Interlocked.Add(ref _listingEntries, -old.Count);
            directory.Listing = null;
            if (listing is null || directory.ListingRetired) return;
            if (Interlocked.Add(ref _listingEntries, listing.Count) > ListingBudget)
            {
                Interlocked.Add(ref _listingEntries, -listing.Count);
                return;
            }
            directory.Listing = listing;
        }
    }

    /// <summary>Drops the listing a descriptor leaving the table kept.</summary>
    private void Forget(WasiDescriptor descriptor)
    {
        if (descriptor is not DirectoryDescriptor directory) return;
        lock (directory.ListingLock)
        {
            KeepListing(directory, null);
            directory.ListingRetired = true;
        }
    }

    internal WasiDescriptor Get(int fd)
    {
        lock (_sync)
        {
            return _descriptors.TryGetValue(fd, out var descriptor) ? descriptor : throw new WasiErrnoException(WasiErrno.Badf);
        }
    }

    internal int Add(WasiDescriptor descriptor)
    {
        lock (_sync)
        {
            // A call that was still opening when the context was disposed: the caller closes what it opened.
            if (IsDisposed) throw new WasiErrnoException(WasiErrno.Badf);
            if (_descriptors.Count >= _maxOpenDescriptors) throw new WasiErrnoException(WasiErrno.Mfile);
            int fd = 0;
            while (_descriptors.ContainsKey(fd)) fd++;
            _descriptors[fd] = descriptor;
            return fd;
        }
    }

    internal void Close(int fd)
    {
        WasiDescriptor descriptor;
        lock (_sync)
        {
            if (!_descriptors.Remove(fd, out descriptor!)) throw new WasiErrnoException(WasiErrno.Badf);
        }
        Forget(descriptor);
        descriptor.Close();
    }

    /// <summary>fd_renumber: moves <paramref name="from"/> to <paramref name="to"/>, closing what was at <paramref name="to"/>.</summary>
    internal void Renumber(int from, int to)
    {
        WasiDescriptor? replaced;
        lock (_sync)
        {
            if (!_descriptors.TryGetValue(from, out var moving) || !_descriptors.TryGetValue(to, out replaced))
                throw new WasiErrnoException(WasiErrno.Badf);
            if (from == to) return;
            _descriptors.Remove(from);
            _descriptors[to] = moving;
        }
        Forget(replaced);
        replaced.Close();
    }

    /// <summary>Closes every open file (standard streams belong to the caller and stay open).</summary>
    public void Dispose()
    {
        WasiDescriptor[] all;
        lock (_sync)
        {
            IsDisposed = true;
            all = [.. _descriptors.Values];
            _descriptors.Clear();
        }
        foreach (var descriptor in all)
        {
            Forget(descriptor);
            descriptor.Close();
        }
    }
}
