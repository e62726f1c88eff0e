using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Strand.Wasi;

/// <summary>What <c>filestat</c> reports about a host file.</summary>
internal readonly record struct HostFileStat(
    ulong Device, ulong Inode, WasiFileType FileType, ulong LinkCount, ulong Size, ulong AccessTime, ulong ModifyTime, ulong ChangeTime);

/// <summary>One entry of a host directory listing (<c>readdir</c>): raw name bytes, inode, type.</summary>
internal sealed record DirectoryEntry(byte[] Name, ulong Inode, WasiFileType FileType);

/// <summary>
/// The host side of the WASI file system: every operation is relative to an open directory handle
/// (<c>openat</c>, <c>mkdirat</c>, <c>unlinkat</c>, <c>renameat</c>, <c>linkat</c>, <c>symlinkat</c>,
/// <c>readlinkat</c>, <c>statx</c>, <c>utimensat</c>), never to a host path string, and never follows a
/// symlink in the final component. Called straight through libc on 64-bit Linux
/// (x86-64, AArch64, RISC-V 64, LoongArch 64: the flag values and struct layouts used here are those
/// architectures'); <see cref="Supported"/> is false anywhere else, where preopened directories are refused.
/// </summary>
internal static unsafe partial class HostFileSystem
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100, AtRemoveDir = 0x200, AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const long UtimeNow = (1L << 30) - 1, UtimeOmit = (1L << 30) - 2;
    private const long SysOpenat2 = 437; // the same number on every Linux architecture (added in 5.6)

    public const int ORdOnly = 0, OWrOnly = 1, ORdWr = 2, OCreat = 0x40, OExcl = 0x80, ONoCtty = 0x100, OTrunc = 0x200,
        ONonBlock = 0x800, OCloExec = 0x80000, OPath = 0x200000;

    /// <summary>O_DIRECTORY / O_NOFOLLOW differ between architectures (asm-generic and x86 vs arm64).</summary>
    public static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    public static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    private const ulong ResolveNoMagicLinks = 0x02, ResolveBeneath = 0x08;

    // Linux errno values used by name.
    public const int ENoEnt = 2, EBadf = 9, EAgain = 11, EAcces = 13, EExist = 17, EXdev = 18, ENotDir = 20, EIsDir = 21,
        EInval = 22, ENoSys = 38, ELoop = 40, EPerm = 1, E2Big = 7;

    /// <summary>True on 64-bit Linux with a usable libc: the only hosts where the WASI file system is offered.</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64
        && ProbeLibc();

    /// <summary>Whether the kernel has <c>openat2</c>; cleared for good the first time it answers ENOSYS (or a filter refuses it).</summary>
    public static bool Openat2Available { get; private set; } = Supported;

    private static bool ProbeLibc()
    {
        try
        {
            byte* buffer = stackalloc byte[256];
            fixed (byte* path = "/\0"u8) return statx(AtFdCwd, path, 0, StatxBasicStats, buffer) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int openat(int dirfd, byte* path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long a1, long a2, long a3, long a4);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mkdirat(int dirfd, byte* path, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unlinkat(int dirfd, byte* path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int renameat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int linkat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int symlinkat(byte* target, int newdirfd, byte* linkpath);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readlinkat(int dirfd, byte* path, byte* buffer, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int utimensat(int dirfd, byte* path, long* times, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int futimens(int fd, long* times);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint fdopendir(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readdir(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int closedir(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int clock_gettime(int clockId, long* timespec);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int isatty(int fd);

    private static byte[] NullTerminated(string text)
    {
        if (text.Contains('\0')) throw new WasiErrnoException(WasiErrno.Inval);
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private static WasiErrnoException LastError() => new(FromLinuxErrno(Marshal.GetLastPInvokeError()));

    /// <summary>The raw errno of the last failed call, for callers that act on specific values.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>
    /// Runs <paramref name="action"/> with the raw descriptor of <paramref name="handle"/>, kept alive (not closed, not
    /// reused) meanwhile. The errno <paramref name="action"/> left is kept for <see cref="LastErrno"/>: releasing the
    /// handle closes it if it was disposed meanwhile (another thread's fd_close), and that close would overwrite it.
    /// </summary>
    private static T With<T>(SafeFileHandle handle, Func<int, T> action)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        int errno = 0;
        try
        {
            var result = action((int)handle.DangerousGetHandle());
            errno = Marshal.GetLastPInvokeError();
            return result;
        }
        finally
        {
            if (added) handle.DangerousRelease();
            Marshal.SetLastPInvokeError(errno);
        }
    }

    private static SafeFileHandle Wrap(int fd) => new((nint)fd, ownsHandle: true);

    /// <summary>Opens a host directory given by the embedder (a preopen); host symlinks in that path are the embedder's choice.</summary>
    public static SafeFileHandle OpenHostDirectory(string hostPath)
    {
        fixed (byte* p = NullTerminated(hostPath))
        {
            int fd = openat(AtFdCwd, p, ORdOnly | ODirectory | OCloExec, 0);
            // A directory that may be searched but not listed (x without r) is still usable for paths below it.
            if (fd < 0 && LastErrno == EAcces) fd = openat(AtFdCwd, p, OPath | ODirectory | OCloExec, 0);
            if (fd < 0)
            {
                int errno = LastErrno;
                throw errno is ENoEnt or ENotDir
                    ? new DirectoryNotFoundException($"Preopened directory '{hostPath}' does not exist.")
                    : new IOException($"Cannot open preopened directory '{hostPath}' (errno {errno}).");
            }
            return Wrap(fd);
        }
    }

    /// <summary><c>openat(dir, name, flags, 0666)</c>. Returns null and leaves the errno in <see cref="LastErrno"/> on failure.</summary>
    public static SafeFileHandle? TryOpenAt(SafeFileHandle directory, string name, int flags)
    {
        var bytes = NullTerminated(name);
        int fd = With(directory, dirfd =>
        {
            fixed (byte* p = bytes) return openat(dirfd, p, flags | OCloExec, 0x1B6);
        });
        return fd < 0 ? null : Wrap(fd);
    }

    /// <summary><c>openat</c>, throwing the mapped errno on failure.</summary>
    public static SafeFileHandle OpenAt(SafeFileHandle directory, string name, int flags) =>
        TryOpenAt(directory, name, flags) ?? throw LastError();

    /// <summary>
    /// Opens the directory <paramref name="name"/> in <paramref name="directory"/> without following a final symlink:
    /// <c>O_RDONLY</c> (so it can be listed and synced), or <c>O_PATH</c> when it may be searched but not read.
    /// </summary>
    public static SafeFileHandle OpenDirectoryAt(SafeFileHandle directory, string name)
    {
        var handle = TryOpenAt(directory, name, ORdOnly | ODirectory | ONoFollow);
        if (handle is null && LastErrno == EAcces) handle = TryOpenAt(directory, name, OPath | ODirectory | ONoFollow);
        return handle ?? throw LastError();
    }

    /// <summary>
    /// <c>openat2(dir, path, {flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS})</c>: the kernel resolves
    /// <paramref name="path"/> atomically and refuses (EXDEV) anything that would leave <paramref name="directory"/>,
    /// absolute paths and absolute symlinks included. Returns null with the errno in <paramref name="errno"/>;
    /// ENOSYS (no openat2) turns <see cref="Openat2Available"/> off.
    /// </summary>
    public static SafeFileHandle? TryOpenBeneath(SafeFileHandle directory, string path, int flags, out int errno)
    {
        var bytes = NullTerminated(path);
        ulong* how = stackalloc ulong[3];
        how[0] = (ulong)(flags | OCloExec);
        how[1] = 0;
        how[2] = ResolveBeneath | ResolveNoMagicLinks;
        long fd = With(directory, dirfd =>
        {
            fixed (byte* p = bytes) return syscall(SysOpenat2, dirfd, (long)p, (long)how, 24);
        });
        if (fd >= 0)
        {
            errno = 0;
            return Wrap((int)fd);
        }
        errno = LastErrno;
        // No openat2 (ENOSYS), or a seccomp filter that answers EPERM/E2BIG for it: use the per-component walk from now on.
        if (errno is ENoSys or EPerm or E2Big) Openat2Available = false;
        return null;
    }

    /// <summary>Stat of <paramref name="name"/> in <paramref name="directory"/> (the directory itself when null), never following a final symlink.</summary>
    public static HostFileStat StatAt(SafeFileHandle directory, string? name) =>
        StatAtBytes(directory, name is null ? "\0"u8.ToArray() : NullTerminated(name), name is null);

    /// <summary><see cref="StatAt"/> by the name's raw bytes (NUL-terminated), for host names that need not be UTF-8.</summary>
    private static HostFileStat StatAtBytes(SafeFileHandle directory, byte[] bytes, bool self)
    {
        int flags = self ? AtEmptyPath | AtSymlinkNoFollow : AtSymlinkNoFollow;
        byte* buffer = stackalloc byte[256];
        nint address = (nint)buffer;
        int result = With(directory, dirfd =>
        {
            fixed (byte* p = bytes) return statx(dirfd, p, flags, StatxBasicStats, (byte*)address);
        });
        if (result != 0) throw LastError();
        return FromStatx(buffer);
    }

    /// <summary>
    /// The type of the file at <paramref name="path"/>, symbolic links followed (statx); null when it does not exist, cannot
    /// be examined, or the host is not supported.
    /// </summary>
    public static WasiFileType? TypeOfPath(string path)
    {
        if (!Supported) return null;
        var bytes = NullTerminated(path);
        byte* buffer = stackalloc byte[256];
        int result;
        fixed (byte* p = bytes) result = statx(AtFdCwd, p, 0, StatxBasicStats, buffer);
        return result == 0 ? FromStatx(buffer).FileType : null;
    }

    /// <summary>Stat of an open handle (stable even if the file was renamed or unlinked meanwhile).</summary>
    public static HostFileStat Stat(SafeFileHandle handle) => StatAt(handle, null);

    /// <summary>The type of <paramref name="name"/> in <paramref name="directory"/> without following it; null when it does not exist.</summary>
    public static WasiFileType? TypeAt(SafeFileHandle directory, string name)
    {
        try
        {
            return StatAt(directory, name).FileType;
        }
        catch (WasiErrnoException e) when (e.Errno == WasiErrno.NoEnt)
        {
            return null;
        }
    }

    private static HostFileStat FromStatx(byte* b)
    {
        uint nlink = *(uint*)(b + 16);
        ushort mode = *(ushort*)(b + 28);
        ulong ino = *(ulong*)(b + 32);
        ulong size = *(ulong*)(b + 40);
        static ulong Time(byte* t) => (ulong)(*(long*)t) * 1_000_000_000UL + *(uint*)(t + 8);
        ulong atime = Time(b + 64), ctime = Time(b + 96), mtime = Time(b + 112);
        ulong dev = ((ulong)*(uint*)(b + 136) << 32) | *(uint*)(b + 140);
        return new HostFileStat(dev, ino, FileTypeFromMode(mode), nlink, size, atime, mtime, ctime);
    }

    private static WasiFileType FileTypeFromMode(int mode) => (mode & 0xF000) switch
    {
        0x8000 => WasiFileType.RegularFile,
        0x4000 => WasiFileType.Directory,
        0xA000 => WasiFileType.SymbolicLink,
        0x2000 => WasiFileType.CharacterDevice,
        0x6000 => WasiFileType.BlockDevice,
        0xC000 => WasiFileType.SocketStream,
        _ => WasiFileType.Unknown, // FIFOs and anything else
    };

    /// <summary>The contents of the symlink <paramref name="name"/> in <paramref name="directory"/>, or null when it is not a symlink (EINVAL).</summary>
    public static byte[]? ReadLinkAt(SafeFileHandle directory, string name)
    {
        var bytes = NullTerminated(name);
        for (int size = 4096; ; size *= 2)
        {
            var buffer = new byte[size];
            nint length = With(directory, dirfd =>
            {
                fixed (byte* p = bytes)
                fixed (byte* b = buffer) return readlinkat(dirfd, p, b, (nuint)size);
            });
            if (length < 0)
            {
                if (LastErrno == EInval) return null;
                throw LastError();
            }
            if (length < size) return buffer.AsSpan(0, (int)length).ToArray();
            if (size >= 1 << 20) throw new WasiErrnoException(WasiErrno.NameTooLong);
        }
    }

    public static void MakeDirectoryAt(SafeFileHandle directory, string name)
    {
        var bytes = NullTerminated(name);
        if (With(directory, dirfd => { fixed (byte* p = bytes) return mkdirat(dirfd, p, 0x1FF); }) != 0) throw LastError();
    }

    public static void UnlinkAt(SafeFileHandle directory, string name, bool removeDirectory)
    {
        var bytes = NullTerminated(name);
        if (With(directory, dirfd => { fixed (byte* p = bytes) return unlinkat(dirfd, p, removeDirectory ? AtRemoveDir : 0); }) != 0)
            throw LastError();
    }

    /// <summary>POSIX <c>renameat</c> (replaces an existing file or empty directory atomically).</summary>
    public static void RenameAt(SafeFileHandle fromDirectory, string fromName, SafeFileHandle toDirectory, string toName)
    {
        var from = NullTerminated(fromName);
        var to = NullTerminated(toName);
        int result = With(fromDirectory, f => With(toDirectory, t =>
        {
            fixed (byte* s = from)
            fixed (byte* d = to) return renameat(f, s, t, d);
        }));
        if (result != 0) throw LastError();
    }

    /// <summary>Hard link (never following a symlink at the source).</summary>
    public static void LinkAt(SafeFileHandle fromDirectory, string fromName, SafeFileHandle toDirectory, string toName)
    {
        var from = NullTerminated(fromName);
        var to = NullTerminated(toName);
        int result = With(fromDirectory, f => With(toDirectory, t =>
        {
            fixed (byte* s = from)
            fixed (byte* d = to) return linkat(f, s, t, d, 0);
        }));
        if (result != 0) throw LastError();
    }

    public static void SymlinkAt(string contents, SafeFileHandle directory, string name)
    {
        var target = NullTerminated(contents);
        var bytes = NullTerminated(name);
        int result = With(directory, dirfd =>
        {
            fixed (byte* t = target)
            fixed (byte* p = bytes) return symlinkat(t, dirfd, p);
        });
        if (result != 0) throw LastError();
    }

    /// <summary>Sets the timestamps of <paramref name="name"/> in <paramref name="directory"/> without following a final symlink; flags are WASI fstflags (validated).</summary>
    public static void SetTimesAt(SafeFileHandle directory, string name, ulong atime, ulong mtime, int fstFlags)
    {
        var bytes = NullTerminated(name);
        long* times = stackalloc long[4];
        FillTimespecs(times, atime, mtime, fstFlags);
        nint t = (nint)times;
        if (With(directory, dirfd => { fixed (byte* p = bytes) return utimensat(dirfd, p, (long*)t, AtSymlinkNoFollow); }) != 0)
            throw LastError();
    }

    /// <summary>Sets the timestamps of an open file or directory (<c>futimens</c>).</summary>
    public static void SetTimes(SafeFileHandle handle, ulong atime, ulong mtime, int fstFlags)
    {
        long* times = stackalloc long[4];
        FillTimespecs(times, atime, mtime, fstFlags);
        nint t = (nint)times;
        if (With(handle, fd => futimens(fd, (long*)t)) != 0) throw LastError();
    }

    private static void FillTimespecs(long* times, ulong atime, ulong mtime, int fstFlags)
    {
        static void Fill(long* ts, ulong value, bool set, bool setNow)
        {
            if (setNow) { ts[0] = 0; ts[1] = UtimeNow; }
            else if (set) { ts[0] = (long)(value / 1_000_000_000UL); ts[1] = (long)(value % 1_000_000_000UL); }
            else { ts[0] = 0; ts[1] = UtimeOmit; }
        }
        Fill(times, atime, (fstFlags & WasiAbi.FstAtim) != 0, (fstFlags & WasiAbi.FstAtimNow) != 0);
        Fill(times + 2, mtime, (fstFlags & WasiAbi.FstMtim) != 0, (fstFlags & WasiAbi.FstMtimNow) != 0);
    }

    /// <summary><c>fsync</c> of an open file or directory.</summary>
    public static void Sync(SafeFileHandle handle)
    {
        if (With(handle, fsync) != 0) throw LastError();
    }

    /// <summary>Every entry of an open directory, "." and ".." included, in the host's order (a fresh descriptor is read, so the handle's own position is untouched).</summary>
    public static List<DirectoryEntry> ReadDirectory(SafeFileHandle directory)
    {
        int fd = With(directory, dirfd =>
        {
            fixed (byte* dot = ".\0"u8) return openat(dirfd, dot, ORdOnly | ODirectory | OCloExec, 0);
        });
        if (fd < 0) throw LastError();
        nint dir = fdopendir(fd);
        if (dir == 0)
        {
            var error = LastError();
            close(fd);
            throw error;
        }
        var entries = new List<DirectoryEntry>();
        try
        {
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                byte* entry = (byte*)readdir(dir);
                if (entry == null)
                {
                    if (LastErrno != 0) throw LastError();
                    break;
                }
                // struct dirent on 64-bit Linux: d_ino u64 @0, d_off i64 @8, d_reclen u16 @16, d_type u8 @18, d_name @19.
                ulong inode = *(ulong*)entry;
                byte type = entry[18];
                var field = new ReadOnlySpan<byte>(entry + 19, Math.Clamp(*(ushort*)(entry + 16) - 19, 0, 256)); // within d_reclen
                int nameLength = field.IndexOf((byte)0);
                var name = field[..(nameLength < 0 ? field.Length : nameLength)].ToArray();
                var fileType = type switch
                {
                    1 => WasiFileType.Unknown,         // DT_FIFO
                    2 => WasiFileType.CharacterDevice,  // DT_CHR
                    4 => WasiFileType.Directory,
                    6 => WasiFileType.BlockDevice,
                    8 => WasiFileType.RegularFile,
                    10 => WasiFileType.SymbolicLink,
                    12 => WasiFileType.SocketStream,
                    _ => (WasiFileType)0xFF,            // DT_UNKNOWN: ask statx below
                };
                if (fileType == (WasiFileType)0xFF)
                {
                    try
                    {
                        fileType = StatAtBytes(directory, [.. name, 0], self: false).FileType; // by its bytes: it need not be UTF-8
                    }
                    catch (WasiErrnoException)
                    {
                        fileType = WasiFileType.Unknown; // removed while listing
                    }
                }
                entries.Add(new DirectoryEntry(name, inode, fileType));
            }
        }
        finally
        {
            closedir(dir);
        }
        return entries;
    }

    /// <summary>True when the host descriptor <paramref name="fd"/> (0-2) is a terminal.</summary>
    public static bool IsTerminal(int fd) => Supported && isatty(fd) == 1;

    /// <summary>The file type of host descriptor <paramref name="fd"/> (for standard streams), or null where it cannot be told.</summary>
    public static WasiFileType? TypeOfHostDescriptor(int fd)
    {
        if (!Supported) return null;
        byte* buffer = stackalloc byte[256];
        fixed (byte* empty = "\0"u8)
        {
            if (statx(fd, empty, AtEmptyPath, StatxBasicStats, buffer) != 0) return null;
        }
        return FromStatx(buffer).FileType;
    }

    public static ulong ToNanoseconds(DateTime utc) =>
        utc <= DateTime.UnixEpoch ? 0 : (ulong)(utc - DateTime.UnixEpoch).Ticks * 100UL;

    /// <summary>CPU-time clocks (2 = process, 3 = thread) in nanoseconds, or null when unavailable.</summary>
    public static long? CpuTime(int clockId)
    {
        if (Supported)
        {
            long* ts = stackalloc long[2];
            if (clock_gettime(clockId, ts) == 0) return ts[0] * 1_000_000_000L + ts[1];
            return null;
        }
        if (clockId == 2)
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            return process.TotalProcessorTime.Ticks * 100L;
        }
        return null;
    }

    /// <summary>Linux errno to WASI errno.</summary>
    public static WasiErrno FromLinuxErrno(int errno) => errno switch
    {
        1 => WasiErrno.Perm, 2 => WasiErrno.NoEnt, 4 => WasiErrno.Intr, 5 => WasiErrno.Io, 6 => WasiErrno.Nxio,
        7 => WasiErrno.TooBig, 9 => WasiErrno.Badf, 11 => WasiErrno.Again, 12 => WasiErrno.NoMem, 13 => WasiErrno.Acces,
        14 => WasiErrno.Fault, 16 => WasiErrno.Busy, 17 => WasiErrno.Exist, 18 => WasiErrno.Xdev, 19 => WasiErrno.NoDev,
        20 => WasiErrno.NotDir, 21 => WasiErrno.IsDir, 22 => WasiErrno.Inval, 23 => WasiErrno.Nfile, 24 => WasiErrno.Mfile,
        25 => WasiErrno.NotTy, 26 => WasiErrno.TxtBsy, 27 => WasiErrno.Fbig, 28 => WasiErrno.NoSpc, 29 => WasiErrno.Spipe,
        30 => WasiErrno.Rofs, 31 => WasiErrno.Mlink, 32 => WasiErrno.Pipe, 34 => WasiErrno.Range, 36 => WasiErrno.NameTooLong,
        38 => WasiErrno.NoSys, 39 => WasiErrno.NotEmpty, 40 => WasiErrno.Loop, 75 => WasiErrno.Overflow,
        95 => WasiErrno.NotSup, 122 => WasiErrno.Dquot,
        _ => WasiErrno.Io,
    };

    /// <summary>Maps a .NET I/O exception to the closest WASI errno; null for exceptions that are host bugs.</summary>
    public static WasiErrno? FromException(Exception exception) => exception switch
    {
        WasiErrnoException e => e.Errno,
        FileNotFoundException or DirectoryNotFoundException => WasiErrno.NoEnt,
        PathTooLongException => WasiErrno.NameTooLong,
        UnauthorizedAccessException => WasiErrno.Acces,
        ObjectDisposedException => WasiErrno.Badf,
        NotSupportedException => WasiErrno.NotSup,
        EndOfStreamException => WasiErrno.Io,
        IOException io => FromIOException(io),
        ArgumentOutOfRangeException => WasiErrno.Inval, // e.g. SetLength beyond the supported file size
        ArgumentException => WasiErrno.Inval,
        _ => null,
    };

    private static WasiErrno FromIOException(IOException exception)
    {
        int hresult = exception.HResult;
        // On Unix, .NET puts the raw errno in HResult for errors it has no dedicated exception for.
        if (OperatingSystem.IsLinux() && hresult > 0 && hresult < 4096) return FromLinuxErrno(hresult);
        return WasiErrno.Io;
    }
}
