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
        CustomSleep = sleep;
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

    /// <summary>The sleep given to <see cref="WasiConfiguration.WithSleep"/>, or null for Strand's own (interruptible) one.</summary>
    internal Action<long>? CustomSleep { get; }

    /// <summary>Sleeps at least <paramref name="nanoseconds"/> (Thread.Sleep alone may wake a little early), or until <paramref name="stop"/> is cancelled.</summary>
    internal static void PreciseSleep(long nanoseconds, CancellationToken stop)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var handle = stop.CanBeCanceled ? stop.WaitHandle : null;
        while (!stop.IsCancellationRequested)
        {
            long elapsed = (long)((Int128)(System.Diagnostics.Stopwatch.GetTimestamp() - start) * 1_000_000_000 / System.Diagnostics.Stopwatch.Frequency);
            long remaining = nanoseconds - elapsed;
            if (remaining <= 0) return;
            int milliseconds = (int)Math.Min((remaining + 999_999) / 1_000_000, int.MaxValue - 1);
            if (remaining < 200_000) Thread.Yield();
            else if (handle is not null) handle.WaitOne(milliseconds);
            else Thread.Sleep(milliseconds);
        }
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
        foreach (var descriptor in all) descriptor.Close();
    }
}
