using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Strand.Wasi;

/// <summary>What <c>filestat</c> reports about a host file.</summary>
internal readonly record struct HostFileStat(
    ulong Device, ulong Inode, WasiFileType FileType, ulong LinkCount, ulong Size, ulong AccessTime, ulong ModifyTime, ulong ChangeTime);

/// <summary>
/// Host file-system operations that .NET does not expose portably (inode numbers, link counts,
/// nanosecond timestamps, atomic POSIX rename, hard links, symlink-aware timestamps).
/// On 64-bit Linux these go straight to libc (statx / utimensat / renameat / linkat have
/// architecture-independent layouts there); elsewhere a managed fallback with documented gaps is used.
/// </summary>
internal static unsafe partial class HostFileSystem
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const long UtimeNow = (1L << 30) - 1;
    private const long UtimeOmit = (1L << 30) - 2;

    /// <summary>True when the libc fast paths are usable.</summary>
    public static bool UseLibc { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess && ProbeLibc();

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

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int utimensat(int dirfd, byte* path, long* times, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int futimens(int fd, long* times);

    [DllImport("libc", SetLastError = true)]
    private static extern int renameat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath);

    [DllImport("libc", SetLastError = true)]
    private static extern int linkat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int clock_gettime(int clockId, long* timespec);

    private static byte[] NullTerminated(string path)
    {
        if (path.Contains('\0')) throw new WasiErrnoException(WasiErrno.Inval);
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    private static WasiErrnoException LastError() => new(FromLinuxErrno(Marshal.GetLastPInvokeError()));

    /// <summary>Stat of a path. The final component is never followed when <paramref name="followFinal"/> is false.</summary>
    public static HostFileStat Stat(string path, bool followFinal)
    {
        if (!UseLibc) return ManagedStat(path, followFinal);
        byte* buffer = stackalloc byte[256];
        fixed (byte* p = NullTerminated(path))
        {
            if (statx(AtFdCwd, p, followFinal ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) != 0) throw LastError();
        }
        return FromStatx(buffer);
    }

    /// <summary>Stat of an open file handle (stable even if the file was renamed or unlinked meanwhile).</summary>
    public static HostFileStat Stat(SafeFileHandle handle, string pathForFallback)
    {
        if (!UseLibc) return ManagedStat(pathForFallback, followFinal: true, handle);
        byte* buffer = stackalloc byte[256];
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* empty = "\0"u8)
            {
                if (statx((int)handle.DangerousGetHandle(), empty, AtEmptyPath, StatxBasicStats, buffer) != 0) throw LastError();
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
        return FromStatx(buffer);
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

    private static HostFileStat ManagedStat(string path, bool followFinal, SafeFileHandle? handle = null)
    {
        FileSystemInfo info = Directory.Exists(path) && handle is null ? new DirectoryInfo(path) : new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null) throw new WasiErrnoException(WasiErrno.NoEnt);
        if (followFinal && info.LinkTarget is not null)
        {
            info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
            if (!info.Exists) throw new WasiErrnoException(WasiErrno.NoEnt);
        }
        var type = info.LinkTarget is not null ? WasiFileType.SymbolicLink
            : info is DirectoryInfo || info.Attributes.HasFlag(FileAttributes.Directory) ? WasiFileType.Directory
            : WasiFileType.RegularFile;
        ulong size = type == WasiFileType.RegularFile ? (ulong)((FileInfo)info).Length
            : type == WasiFileType.SymbolicLink ? (ulong)Encoding.UTF8.GetByteCount(info.LinkTarget!) : 0;
        // No portable inode: a stable hash of the full path stands in (hard links get distinct numbers).
        return new HostFileStat(0, PathHash(info.FullName), type, 1, size,
            ToNanoseconds(info.LastAccessTimeUtc), ToNanoseconds(info.LastWriteTimeUtc), ToNanoseconds(info.LastWriteTimeUtc));
    }

    private static ulong PathHash(string path)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in path) { hash ^= c; hash *= 1099511628211UL; }
        return hash;
    }

    public static ulong ToNanoseconds(DateTime utc) =>
        utc <= DateTime.UnixEpoch ? 0 : (ulong)(utc - DateTime.UnixEpoch).Ticks * 100UL;

    private static DateTime FromNanoseconds(ulong nanoseconds) =>
        DateTime.UnixEpoch.AddTicks((long)Math.Min(nanoseconds / 100UL, (ulong)(DateTime.MaxValue - DateTime.UnixEpoch).Ticks));

    /// <summary>Sets timestamps; flags are WASI fstflags (already validated). Never follows a final symlink when told not to.</summary>
    public static void SetTimes(string path, bool followFinal, ulong atime, ulong mtime, int fstFlags, Func<ulong> now)
    {
        if (UseLibc)
        {
            long* times = stackalloc long[4];
            FillTimespecs(times, atime, mtime, fstFlags);
            fixed (byte* p = NullTerminated(path))
            {
                if (utimensat(AtFdCwd, p, times, followFinal ? 0 : AtSymlinkNoFollow) != 0) throw LastError();
            }
            return;
        }
        ManagedSetTimes(path, atime, mtime, fstFlags, now);
    }

    public static void SetTimes(SafeFileHandle? handle, string path, ulong atime, ulong mtime, int fstFlags, Func<ulong> now)
    {
        if (UseLibc && handle is not null)
        {
            long* times = stackalloc long[4];
            FillTimespecs(times, atime, mtime, fstFlags);
            bool added = false;
            handle.DangerousAddRef(ref added);
            try
            {
                if (futimens((int)handle.DangerousGetHandle(), times) != 0) throw LastError();
            }
            finally
            {
                if (added) handle.DangerousRelease();
            }
            return;
        }
        SetTimes(path, followFinal: true, atime, mtime, fstFlags, now);
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

    private static void ManagedSetTimes(string path, ulong atime, ulong mtime, int fstFlags, Func<ulong> now)
    {
        bool isDirectory = Directory.Exists(path);
        if (!isDirectory && !File.Exists(path)) throw new WasiErrnoException(WasiErrno.NoEnt);
        if ((fstFlags & (WasiAbi.FstAtim | WasiAbi.FstAtimNow)) != 0)
        {
            var value = FromNanoseconds((fstFlags & WasiAbi.FstAtimNow) != 0 ? now() : atime);
            if (isDirectory) Directory.SetLastAccessTimeUtc(path, value); else File.SetLastAccessTimeUtc(path, value);
        }
        if ((fstFlags & (WasiAbi.FstMtim | WasiAbi.FstMtimNow)) != 0)
        {
            var value = FromNanoseconds((fstFlags & WasiAbi.FstMtimNow) != 0 ? now() : mtime);
            if (isDirectory) Directory.SetLastWriteTimeUtc(path, value); else File.SetLastWriteTimeUtc(path, value);
        }
    }

    /// <summary>POSIX rename semantics (replaces an existing file or empty directory atomically on Linux).</summary>
    public static void Rename(string source, string destination)
    {
        if (UseLibc)
        {
            fixed (byte* s = NullTerminated(source))
            fixed (byte* d = NullTerminated(destination))
            {
                if (renameat(AtFdCwd, s, AtFdCwd, d) != 0) throw LastError();
            }
            return;
        }
        var sourceInfo = new FileInfo(source);
        bool sourceIsDirectory = sourceInfo.LinkTarget is null && Directory.Exists(source);
        if (!sourceIsDirectory && !sourceInfo.Exists && sourceInfo.LinkTarget is null) throw new WasiErrnoException(WasiErrno.NoEnt);
        var destinationInfo = new FileInfo(destination);
        bool destinationIsDirectory = destinationInfo.LinkTarget is null && Directory.Exists(destination);
        if (sourceIsDirectory)
        {
            if (destinationIsDirectory)
            {
                if (Directory.EnumerateFileSystemEntries(destination).Any()) throw new WasiErrnoException(WasiErrno.NotEmpty);
                Directory.Delete(destination);
            }
            else if (destinationInfo.Exists || destinationInfo.LinkTarget is not null)
            {
                throw new WasiErrnoException(WasiErrno.NotDir);
            }
            Directory.Move(source, destination);
        }
        else
        {
            if (destinationIsDirectory) throw new WasiErrnoException(WasiErrno.IsDir);
            File.Move(source, destination, overwrite: true);
        }
    }

    /// <summary>Creates a hard link (never following a symlink at <paramref name="existing"/>).</summary>
    public static void HardLink(string existing, string newPath)
    {
        if (!UseLibc) throw new WasiErrnoException(WasiErrno.NotSup);
        fixed (byte* s = NullTerminated(existing))
        fixed (byte* d = NullTerminated(newPath))
        {
            if (linkat(AtFdCwd, s, AtFdCwd, d, 0) != 0) throw LastError();
        }
    }

    /// <summary>CPU-time clocks (2 = process, 3 = thread) in nanoseconds, or null when unavailable.</summary>
    public static long? CpuTime(int clockId)
    {
        if (UseLibc)
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

    /// <summary>
    /// The real path of an open handle, read from /proc/self/fd on Linux; null where the platform cannot tell.
    /// Used to verify after opening that a file really lies inside its sandbox root.
    /// </summary>
    public static string? RealPathOfHandle(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux()) return null;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var link = new FileInfo($"/proc/self/fd/{(int)handle.DangerousGetHandle()}");
            return link.LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
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
        if (!OperatingSystem.IsWindows() && hresult > 0 && hresult < 4096)
        {
            return OperatingSystem.IsLinux() ? FromLinuxErrno(hresult) : hresult switch
            {
                17 => WasiErrno.Exist, 20 => WasiErrno.NotDir, 21 => WasiErrno.IsDir, 28 => WasiErrno.NoSpc,
                62 => WasiErrno.Loop, 63 => WasiErrno.NameTooLong, 66 => WasiErrno.NotEmpty, _ => WasiErrno.Io,
            };
        }
        return (hresult & 0xFFFF) switch
        {
            0x50 or 0xB7 => WasiErrno.Exist,    // ERROR_FILE_EXISTS, ERROR_ALREADY_EXISTS
            0x91 => WasiErrno.NotEmpty,         // ERROR_DIR_NOT_EMPTY
            0x70 or 0x27 => WasiErrno.NoSpc,    // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
            0x20 or 0x21 => WasiErrno.Busy,     // sharing / lock violation
            0x10B => WasiErrno.NotDir,          // ERROR_DIRECTORY
            0x7B => WasiErrno.NoEnt,            // ERROR_INVALID_NAME
            _ => WasiErrno.Io,
        };
    }
}
