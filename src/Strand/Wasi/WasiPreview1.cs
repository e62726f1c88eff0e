namespace Strand.Wasi;

/// <summary>
/// The host side of <c>wasi_snapshot_preview1</c>. Every function is a method in wasm terms
/// (i32 = int, i64 = long, pointers are i32 offsets into guest memory) returning the WASI errno,
/// so binding one is a single line (see <see cref="CreateBindings"/>). Guest memory faults return
/// EFAULT, misaligned struct pointers EINVAL; host I/O errors are mapped to the closest errno.
/// Only <c>proc_exit</c> throws (<see cref="WasiExitException"/>).
/// </summary>
public sealed partial class WasiPreview1
{
    /// <summary>The import module name.</summary>
    public const string ModuleName = "wasi_snapshot_preview1";

    private IGuestMemory? _memory;

    /// <summary>The WASI preview 1 functions over <paramref name="context"/>; bind a memory before the guest calls them.</summary>
    public WasiPreview1(WasiContext context)
    {
        Context = context ?? throw new ArgumentNullException(nameof(context));
    }

    internal WasiPreview1(WasiContext context, IGuestMemory memory) : this(context)
    {
        _memory = memory;
    }

    /// <summary>The arguments, environment, descriptors and clocks the functions act on.</summary>
    public WasiContext Context { get; }

    /// <summary>The memory the guest exports as "memory"; bound by the engine adapter after instantiation.</summary>
    internal IGuestMemory Memory
    {
        get => _memory ?? throw new InvalidOperationException("WASI functions were called before the guest memory was bound.");
        set => _memory = value;
    }

    private static bool TryMap(Exception exception, out int errno)
    {
        var mapped = HostFileSystem.FromException(exception);
        errno = mapped is { } value ? (int)value : 0;
        return mapped is not null;
    }

    private static WasiErrnoException Error(WasiErrno errno) => new(errno);

    /// <summary>Fails with EFAULT/EINVAL before any side effect if a result slot is unusable.</summary>
    private void CheckResultSlot(int pointer, uint size, uint alignment)
    {
        GuestMemoryAccess.CheckAlignment((uint)pointer, alignment);
        Memory.GetSpan((uint)pointer, size);
    }

    // ---- arguments and environment ----

    /// <summary>WASI preview 1 <c>args_sizes_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int ArgsSizesGet(int argcPointer, int argvBufSizePointer)
    {
        try
        {
            return WriteSizes(Context.EncodedArguments, argcPointer, argvBufSizePointer);
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>args_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int ArgsGet(int argvPointer, int argvBufPointer)
    {
        try
        {
            return WriteStringList(Context.EncodedArguments, argvPointer, argvBufPointer);
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>environ_sizes_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int EnvironSizesGet(int countPointer, int bufSizePointer)
    {
        try
        {
            return WriteSizes(Context.EncodedEnvironment, countPointer, bufSizePointer);
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>environ_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int EnvironGet(int environPointer, int environBufPointer)
    {
        try
        {
            return WriteStringList(Context.EncodedEnvironment, environPointer, environBufPointer);
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    private int WriteSizes(byte[][] strings, int countPointer, int sizePointer)
    {
        long total = strings.Sum(s => (long)s.Length);
        if (total > uint.MaxValue) throw Error(WasiErrno.Overflow);
        CheckResultSlot(countPointer, 4, 4);
        CheckResultSlot(sizePointer, 4, 4);
        Memory.WriteU32((uint)countPointer, (uint)strings.Length);
        Memory.WriteU32((uint)sizePointer, (uint)total);
        return 0;
    }

    private int WriteStringList(byte[][] strings, int pointersPointer, int bufferPointer)
    {
        uint pointers = (uint)pointersPointer;
        ulong next = (uint)bufferPointer;
        GuestMemoryAccess.CheckAlignment(pointers, 4);
        Memory.GetSpan(pointers, checked((uint)strings.Length * 4));
        for (int i = 0; i < strings.Length; i++)
        {
            if (next + (ulong)strings[i].Length > uint.MaxValue) throw Error(WasiErrno.Fault);
            strings[i].CopyTo(Memory.GetSpan((uint)next, (uint)strings[i].Length));
            Memory.WriteU32(pointers + (uint)i * 4, (uint)next);
            next += (ulong)strings[i].Length;
        }
        return 0;
    }

    // ---- clocks and randomness ----

    private WasiClock GetClock(int clockId) =>
        (uint)clockId < (uint)Context.Clocks.Length ? Context.Clocks[clockId] : throw Error(WasiErrno.Inval);

    /// <summary>Current time of a clock; EINVAL for unknown clocks or ones this host cannot read.</summary>
    internal long ClockNow(int clockId) => GetClock(clockId).Now() ?? throw Error(WasiErrno.Inval);

    /// <summary>WASI preview 1 <c>clock_res_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int ClockResGet(int clockId, int resolutionPointer)
    {
        try
        {
            var clock = GetClock(clockId);
            if (clock.Now() is null) throw Error(WasiErrno.Inval);
            CheckResultSlot(resolutionPointer, 8, 8);
            Memory.WriteU64((uint)resolutionPointer, (ulong)clock.Resolution);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>clock_time_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int ClockTimeGet(int clockId, long precision, int timePointer)
    {
        try
        {
            long now = ClockNow(clockId);
            CheckResultSlot(timePointer, 8, 8);
            Memory.WriteU64((uint)timePointer, (ulong)now);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>random_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int RandomGet(int bufferPointer, int length)
    {
        try
        {
            Context.Random(Memory.GetSpan((uint)bufferPointer, (uint)length));
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    // ---- process and scheduling ----

    /// <summary>Never returns: records the exit code and throws <see cref="WasiExitException"/>.</summary>
    public void ProcExit(int exitCode)
    {
        Context.ExitCode = exitCode;
        throw new WasiExitException(exitCode);
    }

    /// <summary>Signals cannot be delivered to a sandboxed guest: ENOSYS (EINVAL for values that are no signal).</summary>
    public int ProcRaise(int signal) => (uint)signal > 30 ? (int)WasiErrno.Inval : (int)WasiErrno.NoSys;

    /// <summary>WASI preview 1 <c>sched_yield</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int SchedYield()
    {
        Thread.Yield();
        return 0;
    }

    // ---- sockets: no socket descriptors can exist in this implementation ----

    private int NotASocket(int fd)
    {
        try
        {
            Context.Get(fd);
            return (int)WasiErrno.NotSock;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>sock_accept</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int SockAccept(int fd, int flags, int resultFdPointer) => NotASocket(fd);

    /// <summary>WASI preview 1 <c>sock_recv</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int SockRecv(int fd, int riDataPointer, int riDataLength, int riFlags, int roDataLengthPointer, int roFlagsPointer) => NotASocket(fd);

    /// <summary>WASI preview 1 <c>sock_send</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int SockSend(int fd, int siDataPointer, int siDataLength, int siFlags, int soDataLengthPointer) => NotASocket(fd);

    /// <summary>WASI preview 1 <c>sock_shutdown</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int SockShutdown(int fd, int how) => NotASocket(fd);

    /// <summary>
    /// Every wasi_snapshot_preview1 export as (name, typed delegate), e.g. ("fd_write", Func&lt;int,int,int,int,int&gt;),
    /// ready for the engine's linker: <c>linker.DefineFunction(ModuleName, name, fn)</c>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Delegate>> CreateBindings() =>
    [
        new("args_get", new Func<int, int, int>(ArgsGet)),
        new("args_sizes_get", new Func<int, int, int>(ArgsSizesGet)),
        new("environ_get", new Func<int, int, int>(EnvironGet)),
        new("environ_sizes_get", new Func<int, int, int>(EnvironSizesGet)),
        new("clock_res_get", new Func<int, int, int>(ClockResGet)),
        new("clock_time_get", new Func<int, long, int, int>(ClockTimeGet)),
        new("fd_advise", new Func<int, long, long, int, int>(FdAdvise)),
        new("fd_allocate", new Func<int, long, long, int>(FdAllocate)),
        new("fd_close", new Func<int, int>(FdClose)),
        new("fd_datasync", new Func<int, int>(FdDatasync)),
        new("fd_fdstat_get", new Func<int, int, int>(FdFdstatGet)),
        new("fd_fdstat_set_flags", new Func<int, int, int>(FdFdstatSetFlags)),
        new("fd_fdstat_set_rights", new Func<int, long, long, int>(FdFdstatSetRights)),
        new("fd_filestat_get", new Func<int, int, int>(FdFilestatGet)),
        new("fd_filestat_set_size", new Func<int, long, int>(FdFilestatSetSize)),
        new("fd_filestat_set_times", new Func<int, long, long, int, int>(FdFilestatSetTimes)),
        new("fd_pread", new Func<int, int, int, long, int, int>(FdPread)),
        new("fd_prestat_get", new Func<int, int, int>(FdPrestatGet)),
        new("fd_prestat_dir_name", new Func<int, int, int, int>(FdPrestatDirName)),
        new("fd_pwrite", new Func<int, int, int, long, int, int>(FdPwrite)),
        new("fd_read", new Func<int, int, int, int, int>(FdRead)),
        new("fd_readdir", new Func<int, int, int, long, int, int>(FdReaddir)),
        new("fd_renumber", new Func<int, int, int>(FdRenumber)),
        new("fd_seek", new Func<int, long, int, int, int>(FdSeek)),
        new("fd_sync", new Func<int, int>(FdSync)),
        new("fd_tell", new Func<int, int, int>(FdTell)),
        new("fd_write", new Func<int, int, int, int, int>(FdWrite)),
        new("path_create_directory", new Func<int, int, int, int>(PathCreateDirectory)),
        new("path_filestat_get", new Func<int, int, int, int, int, int>(PathFilestatGet)),
        new("path_filestat_set_times", new Func<int, int, int, int, long, long, int, int>(PathFilestatSetTimes)),
        new("path_link", new Func<int, int, int, int, int, int, int, int>(PathLink)),
        new("path_open", new Func<int, int, int, int, int, long, long, int, int, int>(PathOpen)),
        new("path_readlink", new Func<int, int, int, int, int, int, int>(PathReadlink)),
        new("path_remove_directory", new Func<int, int, int, int>(PathRemoveDirectory)),
        new("path_rename", new Func<int, int, int, int, int, int, int>(PathRename)),
        new("path_symlink", new Func<int, int, int, int, int, int>(PathSymlink)),
        new("path_unlink_file", new Func<int, int, int, int>(PathUnlinkFile)),
        new("poll_oneoff", new Func<int, int, int, int, int>(PollOneoff)),
        new("proc_exit", new Action<int>(ProcExit)),
        new("proc_raise", new Func<int, int>(ProcRaise)),
        new("sched_yield", new Func<int>(SchedYield)),
        new("random_get", new Func<int, int, int>(RandomGet)),
        new("sock_accept", new Func<int, int, int, int>(SockAccept)),
        new("sock_recv", new Func<int, int, int, int, int, int, int>(SockRecv)),
        new("sock_send", new Func<int, int, int, int, int, int>(SockSend)),
        new("sock_shutdown", new Func<int, int, int>(SockShutdown)),
    ];
}
