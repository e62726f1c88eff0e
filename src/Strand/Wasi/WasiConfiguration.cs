using System.Diagnostics;
using System.Security.Cryptography;

namespace Strand.Wasi;

/// <summary>Fills a buffer with random bytes (the source behind <c>random_get</c>).</summary>
public delegate void WasiRandomSource(Span<byte> buffer);

/// <summary>
/// Builder for a <see cref="WasiContext"/>: arguments, environment, standard streams, preopened
/// directories, and (for tests or determinism) clocks, randomness and sleeping.
/// Nothing of the host is visible to the guest unless added here.
/// </summary>
public sealed class WasiConfiguration
{
    private readonly List<string> _arguments = [];
    private readonly List<KeyValuePair<string, string>> _environment = [];
    private readonly List<(string HostPath, string GuestPath, bool ReadOnly)> _preopens = [];
    private readonly Dictionary<WasiClockId, (Func<long> Now, long Resolution)> _clocks = [];
    private bool _inheritEnvironment;
    private Stream? _stdin, _stdout, _stderr;
    private WasiRandomSource? _random;
    private Action<long>? _sleep;
    private int _maxOpenDescriptors = 1024;
    private WasiPathResolution _pathResolution;

    /// <summary>Appends command-line arguments (the first is conventionally the program name).</summary>
    public WasiConfiguration WithArguments(params IEnumerable<string> arguments)
    {
        foreach (var argument in arguments)
        {
            ArgumentNullException.ThrowIfNull(argument);
            if (argument.Contains('\0')) throw new ArgumentException("WASI arguments cannot contain NUL characters.", nameof(arguments));
            _arguments.Add(argument);
        }
        return this;
    }

    /// <summary>Adds (or replaces) one environment variable.</summary>
    public WasiConfiguration WithEnvironmentVariable(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        if (name.Contains('=') || name.Contains('\0') || value.Contains('\0'))
            throw new ArgumentException("Environment names cannot contain '=' or NUL; values cannot contain NUL.", nameof(name));
        _environment.RemoveAll(pair => pair.Key == name);
        _environment.Add(new(name, value));
        return this;
    }

    /// <summary>Exposes the host process's environment (explicit variables take precedence).</summary>
    public WasiConfiguration WithInheritedEnvironment()
    {
        _inheritEnvironment = true;
        return this;
    }

    /// <summary>Standard input (default: the process's console input). The stream is not disposed by WASI.</summary>
    public WasiConfiguration WithStandardInput(Stream stream)
    {
        _stdin = stream ?? throw new ArgumentNullException(nameof(stream));
        return this;
    }

    /// <summary>Standard output (default: the process's console output). The stream is not disposed by WASI.</summary>
    public WasiConfiguration WithStandardOutput(Stream stream)
    {
        _stdout = stream ?? throw new ArgumentNullException(nameof(stream));
        return this;
    }

    /// <summary>Standard error (default: the process's console error). The stream is not disposed by WASI.</summary>
    public WasiConfiguration WithStandardError(Stream stream)
    {
        _stderr = stream ?? throw new ArgumentNullException(nameof(stream));
        return this;
    }

    /// <summary>
    /// Gives the guest a directory: it appears as a preopened descriptor (numbered from 3 in the order
    /// added) named <paramref name="guestPath"/>. The guest can reach nothing outside it.
    /// A read-only preopen withholds every right that modifies files or the directory tree.
    /// </summary>
    public WasiConfiguration WithPreopenedDirectory(string hostPath, string guestPath, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostPath);
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        _preopens.Add((hostPath, guestPath, readOnly));
        return this;
    }

    /// <summary>Replaces one clock (nanoseconds) and its reported resolution.</summary>
    public WasiConfiguration WithClock(WasiClockId clock, Func<long> nowNanoseconds, long resolutionNanoseconds = 1)
    {
        ArgumentNullException.ThrowIfNull(nowNanoseconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(resolutionNanoseconds, 1);
        if (clock > WasiClockId.ThreadCpuTime) throw new ArgumentOutOfRangeException(nameof(clock));
        _clocks[clock] = (nowNanoseconds, resolutionNanoseconds);
        return this;
    }

    /// <summary>Replaces the random source (default: the OS cryptographic generator).</summary>
    public WasiConfiguration WithRandomSource(WasiRandomSource source)
    {
        _random = source ?? throw new ArgumentNullException(nameof(source));
        return this;
    }

    /// <summary>Replaces how <c>poll_oneoff</c> waits for a clock (argument: nanoseconds to wait).</summary>
    public WasiConfiguration WithSleep(Action<long> sleepNanoseconds)
    {
        _sleep = sleepNanoseconds ?? throw new ArgumentNullException(nameof(sleepNanoseconds));
        return this;
    }

    /// <summary>Upper bound on simultaneously open descriptors (EMFILE beyond it).</summary>
    public WasiConfiguration WithMaxOpenDescriptors(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 3);
        _maxOpenDescriptors = limit;
        return this;
    }

    /// <summary>
    /// How guest paths are resolved (default <see cref="WasiPathResolution.Auto"/>: the kernel's <c>openat2</c>
    /// where it has it). Both modes enforce the same sandbox; <see cref="WasiPathResolution.PerComponent"/>
    /// exists to test (and, on a kernel whose openat2 misbehaves, to choose) the portable walk.
    /// </summary>
    public WasiConfiguration WithPathResolution(WasiPathResolution mode)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode));
        _pathResolution = mode;
        return this;
    }

    /// <summary>
    /// Creates the context. Preopened host directories must exist (DirectoryNotFoundException) and are opened
    /// here, as directory handles. Preopens need 64-bit Linux: elsewhere the handle-relative,
    /// no-follow operations the sandbox relies on are not implemented, and <see cref="PlatformNotSupportedException"/> is thrown.
    /// </summary>
    public WasiContext Build()
    {
        var environment = new List<string>();
        if (_inheritEnvironment)
        {
            foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                var name = (string)entry.Key;
                if (_environment.Any(pair => pair.Key == name) || name.Length == 0 || name.Contains('=')) continue;
                environment.Add($"{name}={entry.Value}");
            }
        }
        environment.AddRange(_environment.Select(pair => $"{pair.Key}={pair.Value}"));

        var context = new WasiContext(
            _arguments.ToArray(), environment.ToArray(), BuildClocks(), _random ?? (buffer => RandomNumberGenerator.Fill(buffer)),
            _sleep, _maxOpenDescriptors, _pathResolution);
        try
        {
            context.AddStandardStream(_stdin ?? Console.OpenStandardInput(), StandardStreamType(_stdin, 0), isInput: true);
            context.AddStandardStream(_stdout ?? Console.OpenStandardOutput(), StandardStreamType(_stdout, 1), isInput: false);
            context.AddStandardStream(_stderr ?? Console.OpenStandardError(), StandardStreamType(_stderr, 2), isInput: false);
            if (_preopens.Count > 0 && !HostFileSystem.Supported)
                throw new PlatformNotSupportedException(
                    "WASI preopened directories need 64-bit Linux (openat/openat2 and the *at calls); see docs/wasi.md, 'Platform notes'.");
            foreach (var (hostPath, guestPath, readOnly) in _preopens)
                context.AddPreopen(HostFileSystem.OpenHostDirectory(hostPath), guestPath, readOnly);
        }
        catch
        {
            context.Dispose();
            throw;
        }
        return context;
    }

    /// <summary>
    /// The file type the guest sees for a standard stream: for the process's own streams what host descriptor
    /// 0-2 is (CHARACTER_DEVICE only for a terminal, REGULAR_FILE for a redirected file, UNKNOWN for pipes and
    /// anything else); for a caller's stream, REGULAR_FILE for a FileStream on a regular file, else UNKNOWN.
    /// </summary>
    private static WasiFileType StandardStreamType(Stream? configured, int hostFd)
    {
        if (configured is FileStream file)
        {
            try
            {
                return HostFileSystem.Supported && HostFileSystem.Stat(file.SafeFileHandle).FileType == WasiFileType.RegularFile
                    ? WasiFileType.RegularFile : WasiFileType.Unknown;
            }
            catch (WasiErrnoException)
            {
                return WasiFileType.Unknown;
            }
        }
        if (configured is not null) return WasiFileType.Unknown;
        if (HostFileSystem.IsTerminal(hostFd)) return WasiFileType.CharacterDevice;
        if (!HostFileSystem.Supported)
        {
            bool redirected = hostFd switch { 0 => Console.IsInputRedirected, 1 => Console.IsOutputRedirected, _ => Console.IsErrorRedirected };
            return redirected ? WasiFileType.Unknown : WasiFileType.CharacterDevice;
        }
        return HostFileSystem.TypeOfHostDescriptor(hostFd) switch
        {
            WasiFileType.RegularFile => WasiFileType.RegularFile,
            WasiFileType.SocketStream => WasiFileType.SocketStream,
            _ => WasiFileType.Unknown,
        };
    }

    private WasiClock[] BuildClocks()
    {
        var clocks = new WasiClock[4];
        long monotonicResolution = Math.Max(1, 1_000_000_000L / Stopwatch.Frequency);
        clocks[0] = new(() => (long)HostFileSystem.ToNanoseconds(DateTime.UtcNow), 100);
        clocks[1] = new(MonotonicNow, monotonicResolution);
        clocks[2] = new(() => HostFileSystem.CpuTime(2), 1000);
        clocks[3] = new(() => HostFileSystem.CpuTime(3), 1000);
        foreach (var (id, (now, resolution)) in _clocks) clocks[(int)id] = new(() => now(), resolution);
        return clocks;
    }

    private static long? MonotonicNow() => (long)((Int128)Stopwatch.GetTimestamp() * 1_000_000_000 / Stopwatch.Frequency);

    /// <summary>
    /// The milliseconds to sleep for <paramref name="remainingNanoseconds"/> (positive) still to wait: rounded up, at most
    /// <see cref="int.MaxValue"/> (the loop sleeps again). Computed without overflow: a guest's poll_oneoff may ask for
    /// 2^64 - 1 ns (Rust's <c>thread::sleep(Duration::MAX)</c> does), which must sleep, not fail.
    /// </summary>
    internal static int SleepSliceMilliseconds(long remainingNanoseconds) =>
        (int)Math.Min(remainingNanoseconds / 1_000_000 + (remainingNanoseconds % 1_000_000 != 0 ? 1 : 0), int.MaxValue);

    /// <summary>
    /// Sleeps at least <paramref name="nanoseconds"/> (Thread.Sleep alone may wake a little early), unless
    /// <paramref name="interruption"/> is cancelled first: then it returns false at once.
    /// </summary>
    internal static bool PreciseSleep(long nanoseconds, CancellationToken interruption)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            if (interruption.IsCancellationRequested) return false;
            long elapsed = (long)((Int128)(Stopwatch.GetTimestamp() - start) * 1_000_000_000 / Stopwatch.Frequency);
            long remaining = nanoseconds - elapsed;
            if (remaining <= 0) return true;
            if (remaining < 200_000) Thread.Yield();
            else if (interruption.CanBeCanceled) interruption.WaitHandle.WaitOne(SleepSliceMilliseconds(remaining));
            else Thread.Sleep(SleepSliceMilliseconds(remaining));
        }
    }
}

/// <summary>A clock source: null from <see cref="Now"/> means the clock is unsupported on this host.</summary>
internal sealed record WasiClock(Func<long?> Now, long Resolution);
