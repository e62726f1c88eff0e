using System.Text;

namespace Strand.Wasi;

public sealed partial class WasiPreview1
{
    /// <summary>The most iovecs one call uses (Linux's IOV_MAX): the others are left for the guest's next call.</summary>
    internal const int MaxIovecs = 1024;

    /// <summary>
    /// Reads an iovec/ciovec array and bounds-checks every buffer it names, before any I/O happens (EFAULT, EINVAL when
    /// misaligned). Only the first <see cref="MaxIovecs"/> entries are used, a short read or write as POSIX allows
    /// (wasmtime uses only the first non-empty one): the count is the guest's, up to half a billion entries in a
    /// 4 GiB memory, and copying or walking them all would cost the host gigabytes or seconds. They are copied before
    /// the I/O, so a read into a buffer that overlaps the array does not change the buffers that follow.
    /// </summary>
    private (uint Address, uint Length)[] ReadIovecs(int iovsPointer, int iovsLength)
    {
        uint address = (uint)iovsPointer, count = (uint)iovsLength;
        GuestMemoryAccess.CheckAlignment(address, WasiAbi.IovecAlign);
        if ((ulong)count * WasiAbi.IovecSize > uint.MaxValue) throw Error(WasiErrno.Fault);
        Memory.GetSpan(address, count * WasiAbi.IovecSize);
        var result = new (uint, uint)[Math.Min(count, MaxIovecs)];
        for (uint i = 0; i < result.Length; i++)
        {
            uint buffer = Memory.ReadU32(address + i * WasiAbi.IovecSize);
            uint length = Memory.ReadU32(address + i * WasiAbi.IovecSize + 4);
            Memory.GetSpan(buffer, length);
            result[i] = (buffer, length);
        }
        return result;
    }

    private FileDescriptor GetFile(int fd) => Context.Get(fd) switch
    {
        FileDescriptor file => file,
        _ => throw Error(WasiErrno.Badf),
    };

    private DirectoryDescriptor GetDirectory(int fd) => Context.Get(fd) switch
    {
        DirectoryDescriptor directory => directory,
        _ => throw Error(WasiErrno.NotDir),
    };

    private static void ValidateFstFlags(int fstFlags)
    {
        const int known = WasiAbi.FstAtim | WasiAbi.FstAtimNow | WasiAbi.FstMtim | WasiAbi.FstMtimNow;
        if ((fstFlags & ~known) != 0
            || (fstFlags & (WasiAbi.FstAtim | WasiAbi.FstAtimNow)) == (WasiAbi.FstAtim | WasiAbi.FstAtimNow)
            || (fstFlags & (WasiAbi.FstMtim | WasiAbi.FstMtimNow)) == (WasiAbi.FstMtim | WasiAbi.FstMtimNow))
            throw Error(WasiErrno.Inval);
    }


    private void WriteFilestat(int pointer, in HostFileStat stat)
    {
        uint address = (uint)pointer;
        GuestMemoryAccess.CheckAlignment(address, WasiAbi.FilestatAlign);
        var span = Memory.GetSpan(address, WasiAbi.FilestatSize);
        span.Clear();
        Memory.WriteU64(address, stat.Device);
        Memory.WriteU64(address + 8, stat.Inode);
        Memory.WriteU8(address + 16, (byte)stat.FileType);
        Memory.WriteU64(address + 24, stat.LinkCount);
        Memory.WriteU64(address + 32, stat.Size);
        Memory.WriteU64(address + 40, stat.AccessTime);
        Memory.WriteU64(address + 48, stat.ModifyTime);
        Memory.WriteU64(address + 56, stat.ChangeTime);
    }

    /// <summary>WASI preview 1 <c>fd_advise</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdAdvise(int fd, long offset, long length, int advice)
    {
        try
        {
            var file = GetFile(fd);
            file.Require(WasiRights.FdAdvise);
            if ((uint)advice > 5) throw Error(WasiErrno.Inval);
            return 0; // advisory only: .NET offers no posix_fadvise, and ignoring advice is always correct
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_allocate</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdAllocate(int fd, long offset, long length)
    {
        try
        {
            var file = GetFile(fd);
            file.Require(WasiRights.FdAllocate);
            ulong end = (ulong)offset + (ulong)length;
            if (end > long.MaxValue || end < (ulong)offset) throw Error(WasiErrno.Fbig);
            if ((long)end > file.Stream.Length) file.Stream.SetLength((long)end);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_close</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdClose(int fd)
    {
        try
        {
            Context.Close(fd);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_datasync</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdDatasync(int fd) => SyncCore(fd, WasiRights.FdDatasync);

    /// <summary>WASI preview 1 <c>fd_sync</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdSync(int fd) => SyncCore(fd, WasiRights.FdSync);

    private int SyncCore(int fd, WasiRights right)
    {
        try
        {
            var descriptor = Context.Get(fd);
            descriptor.Require(right);
            switch (descriptor)
            {
                case FileDescriptor file: file.Stream.Flush(flushToDisk: true); break;
                case DirectoryDescriptor directory: HostFileSystem.Sync(directory.Handle); break;
                case StreamDescriptor stream: stream.Stream.Flush(); break;
            }
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_fdstat_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdFdstatGet(int fd, int statPointer)
    {
        try
        {
            var descriptor = Context.Get(fd);
            uint address = (uint)statPointer;
            GuestMemoryAccess.CheckAlignment(address, WasiAbi.FdstatAlign);
            Memory.GetSpan(address, WasiAbi.FdstatSize).Clear();
            Memory.WriteU8(address, (byte)descriptor.FileType);
            Memory.WriteU16(address + 2, (ushort)descriptor.Flags);
            Memory.WriteU64(address + 8, (ulong)descriptor.RightsBase);
            Memory.WriteU64(address + 16, (ulong)descriptor.RightsInheriting);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_fdstat_set_flags</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdFdstatSetFlags(int fd, int flags)
    {
        try
        {
            var descriptor = Context.Get(fd);
            if ((flags & ~(int)WasiFdFlags.All) != 0) throw Error(WasiErrno.Inval);
            descriptor.Require(WasiRights.FdFdstatSetFlags);
            descriptor.Flags = (WasiFdFlags)flags;
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_fdstat_set_rights</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdFdstatSetRights(int fd, long rightsBase, long rightsInheriting)
    {
        try
        {
            var descriptor = Context.Get(fd);
            descriptor.Restrict((WasiRights)rightsBase, (WasiRights)rightsInheriting); // only dropped, never gained
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_filestat_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdFilestatGet(int fd, int statPointer)
    {
        try
        {
            var descriptor = Context.Get(fd);
            descriptor.Require(WasiRights.FdFilestatGet);
            var stat = descriptor switch
            {
                FileDescriptor file => HostFileSystem.Stat(file.Stream.SafeFileHandle),
                DirectoryDescriptor directory => HostFileSystem.Stat(directory.Handle),
                _ => new HostFileStat(0, 0, descriptor.FileType, 0, 0, 0, 0, 0), // caller-provided stream: nothing to report
            };
            WriteFilestat(statPointer, stat);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_filestat_set_size</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdFilestatSetSize(int fd, long size)
    {
        try
        {
            var file = GetFile(fd);
            file.Require(WasiRights.FdFilestatSetSize);
            if (size < 0) throw Error(WasiErrno.Fbig);
            file.Stream.SetLength(size);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_filestat_set_times</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdFilestatSetTimes(int fd, long accessTime, long modifyTime, int fstFlags)
    {
        try
        {
            var descriptor = Context.Get(fd);
            ValidateFstFlags(fstFlags);
            descriptor.Require(WasiRights.FdFilestatSetTimes);
            switch (descriptor)
            {
                case FileDescriptor file:
                    HostFileSystem.SetTimes(file.Stream.SafeFileHandle, (ulong)accessTime, (ulong)modifyTime, fstFlags);
                    break;
                case DirectoryDescriptor directory:
                    // Through "." rather than futimens: the handle may be O_PATH (a directory that cannot be read).
                    HostFileSystem.SetTimesAt(directory.Handle, ".", (ulong)accessTime, (ulong)modifyTime, fstFlags);
                    break;
                default:
                    throw Error(WasiErrno.Badf);
            }
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_pread</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdPread(int fd, int iovsPointer, int iovsLength, long offset, int nreadPointer)
    {
        try
        {
            var descriptor = Context.Get(fd);
            if (descriptor is StreamDescriptor) throw Error(WasiErrno.Spipe);
            var file = descriptor as FileDescriptor ?? throw Error(WasiErrno.Badf);
            file.Require(WasiRights.FdRead | WasiRights.FdSeek);
            if (offset < 0) throw Error(WasiErrno.Inval);
            var iovecs = ReadIovecs(iovsPointer, iovsLength);
            CheckResultSlot(nreadPointer, 4, 4);
            long total = 0;
            foreach (var (address, length) in iovecs)
            {
                if (length == 0) continue;
                int read = RandomAccess.Read(file.Stream.SafeFileHandle, Memory.GetSpan(address, length), offset + total);
                total += read;
                if (read < length || total >= uint.MaxValue) break;
            }
            Memory.WriteU32((uint)nreadPointer, (uint)Math.Min(total, uint.MaxValue));
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_pwrite</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdPwrite(int fd, int iovsPointer, int iovsLength, long offset, int nwrittenPointer)
    {
        try
        {
            var descriptor = Context.Get(fd);
            if (descriptor is StreamDescriptor) throw Error(WasiErrno.Spipe);
            var file = descriptor as FileDescriptor ?? throw Error(WasiErrno.Badf);
            file.Require(WasiRights.FdWrite | WasiRights.FdSeek);
            if (offset < 0) throw Error(WasiErrno.Inval);
            var iovecs = ReadIovecs(iovsPointer, iovsLength);
            CheckResultSlot(nwrittenPointer, 4, 4);
            long total = 0;
            foreach (var (address, length) in iovecs)
            {
                if (length == 0) continue;
                if (total + length > uint.MaxValue) break;
                RandomAccess.Write(file.Stream.SafeFileHandle, (ReadOnlySpan<byte>)Memory.GetSpan(address, length), offset + total);
                total += length;
            }
            if ((file.Flags & (WasiFdFlags.Dsync | WasiFdFlags.Sync)) != 0) file.Stream.Flush(flushToDisk: true);
            Memory.WriteU32((uint)nwrittenPointer, (uint)total);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_prestat_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdPrestatGet(int fd, int prestatPointer)
    {
        try
        {
            if (Context.Get(fd) is not DirectoryDescriptor { PreopenName: { } name }) throw Error(WasiErrno.Badf);
            uint address = (uint)prestatPointer;
            GuestMemoryAccess.CheckAlignment(address, WasiAbi.PrestatAlign);
            Memory.GetSpan(address, WasiAbi.PrestatSize).Clear();
            Memory.WriteU8(address, WasiAbi.PreopenTypeDir);
            Memory.WriteU32(address + 4, (uint)Encoding.UTF8.GetByteCount(name));
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_prestat_dir_name</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdPrestatDirName(int fd, int pathPointer, int pathLength)
    {
        try
        {
            if (Context.Get(fd) is not DirectoryDescriptor { PreopenName: { } name }) throw Error(WasiErrno.Badf);
            var bytes = Encoding.UTF8.GetBytes(name);
            if ((uint)pathLength < (uint)bytes.Length) throw Error(WasiErrno.NameTooLong);
            bytes.CopyTo(Memory.GetSpan((uint)pathPointer, (uint)bytes.Length));
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_read</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdRead(int fd, int iovsPointer, int iovsLength, int nreadPointer)
    {
        try
        {
            var descriptor = Context.Get(fd);
            if (descriptor is DirectoryDescriptor) throw Error(WasiErrno.Badf);
            descriptor.Require(WasiRights.FdRead);
            var iovecs = ReadIovecs(iovsPointer, iovsLength);
            CheckResultSlot(nreadPointer, 4, 4);
            Stream stream = descriptor is FileDescriptor file ? file.Stream : ((StreamDescriptor)descriptor).Stream;
            long total = 0;
            foreach (var (address, length) in iovecs)
            {
                if (length == 0) continue;
                int read = stream.Read(Memory.GetSpan(address, length));
                total += read;
                // A short read ends the call: for pipes and consoles, reading on would block for more input.
                if (read < length || total >= uint.MaxValue) break;
            }
            Memory.WriteU32((uint)nreadPointer, (uint)Math.Min(total, uint.MaxValue));
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_write</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdWrite(int fd, int iovsPointer, int iovsLength, int nwrittenPointer)
    {
        try
        {
            var descriptor = Context.Get(fd);
            if (descriptor is DirectoryDescriptor) throw Error(WasiErrno.Badf);
            descriptor.Require(WasiRights.FdWrite);
            var iovecs = ReadIovecs(iovsPointer, iovsLength);
            CheckResultSlot(nwrittenPointer, 4, 4);
            long total = 0;
            if (descriptor is FileDescriptor file)
            {
                if ((file.Flags & WasiFdFlags.Append) != 0) file.Stream.Seek(0, SeekOrigin.End);
                foreach (var (address, length) in iovecs)
                {
                    if (length == 0) continue;
                if (total + length > uint.MaxValue) break;
                    file.Stream.Write(Memory.GetSpan(address, length));
                    total += length;
                }
                if ((file.Flags & (WasiFdFlags.Dsync | WasiFdFlags.Sync)) != 0) file.Stream.Flush(flushToDisk: true);
            }
            else
            {
                var stream = ((StreamDescriptor)descriptor).Stream;
                foreach (var (address, length) in iovecs)
                {
                    if (length == 0) continue;
                if (total + length > uint.MaxValue) break;
                    stream.Write(Memory.GetSpan(address, length));
                    total += length;
                }
                stream.Flush();
            }
            Memory.WriteU32((uint)nwrittenPointer, (uint)total);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_readdir</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdReaddir(int fd, int bufferPointer, int bufferLength, long cookie, int bufusedPointer)
    {
        try
        {
            var directory = GetDirectory(fd);
            directory.Require(WasiRights.FdReaddir);
            uint buffer = (uint)bufferPointer, capacity = (uint)bufferLength;
            var output = Memory.GetSpan(buffer, capacity);
            CheckResultSlot(bufusedPointer, 4, 4);
            var listing = cookie == 0 ? null : directory.Listing;
            if (listing is null)
            {
                listing = ReadListing(directory);
                Context.KeepListing(directory, listing);
            }

            uint used = 0;
            Span<byte> header = stackalloc byte[(int)WasiAbi.DirentSize];
            for (ulong index = (ulong)cookie; index < (ulong)listing.Count && used < capacity; index++)
            {
                var entry = listing[(int)index];
                header.Clear();
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header, index + 1); // d_next
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header[8..], entry.Inode);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)entry.Name.Length);
                header[20] = (byte)entry.FileType;
                // The last entry may be cut short: the guest sees a full buffer and retries with a bigger one.
                used += Copy(header, output, used);
                used += Copy(entry.Name, output, used);
            }
            Memory.WriteU32((uint)bufusedPointer, used);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }

        static uint Copy(ReadOnlySpan<byte> source, Span<byte> destination, uint at)
        {
            int count = Math.Min(source.Length, destination.Length - (int)at);
            source[..count].CopyTo(destination[(int)at..]);
            return (uint)count;
        }
    }

    /// <summary>
    /// Snapshot of a directory: "." and ".." first (as wasmtime, and as wasi-testsuite's fd_readdir test expects),
    /// then the other entries in host order. ".." carries the directory's own inode, as in wasmtime: the parent of a
    /// preopen (or of any directory descriptor) is outside what the guest may look at, inode number included.
    /// </summary>
    private static List<DirectoryEntry> ReadListing(DirectoryDescriptor directory)
    {
        var all = HostFileSystem.ReadDirectory(directory.Handle);
        var listing = new List<DirectoryEntry>(all.Count);
        ulong self = HostFileSystem.Stat(directory.Handle).Inode;
        listing.Add(new DirectoryEntry([(byte)'.'], self, WasiFileType.Directory));
        listing.Add(new DirectoryEntry([(byte)'.', (byte)'.'], self, WasiFileType.Directory));
        listing.AddRange(all.Where(e => e.Name is not [(byte)'.'] and not [(byte)'.', (byte)'.']));
        return listing;
    }

    /// <summary>WASI preview 1 <c>fd_renumber</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdRenumber(int fd, int to)
    {
        try
        {
            Context.Renumber(fd, to);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_seek</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdSeek(int fd, long offset, int whence, int newOffsetPointer)
    {
        try
        {
            var descriptor = Context.Get(fd);
            if (descriptor is DirectoryDescriptor) throw Error(WasiErrno.Badf);
            if ((uint)whence > WasiAbi.WhenceEnd) throw Error(WasiErrno.Inval);
            Stream stream = descriptor is FileDescriptor file ? file.Stream : ((StreamDescriptor)descriptor).Stream;
            if (!stream.CanSeek) throw Error(WasiErrno.Spipe);
            descriptor.Require(whence == WasiAbi.WhenceCur && offset == 0 ? WasiRights.FdTell : WasiRights.FdSeek);
            CheckResultSlot(newOffsetPointer, 8, 8);
            long origin = whence switch { WasiAbi.WhenceSet => 0, WasiAbi.WhenceCur => stream.Position, _ => stream.Length };
            long target;
            try
            {
                target = checked(origin + offset);
            }
            catch (OverflowException)
            {
                throw Error(WasiErrno.Inval);
            }
            if (target < 0) throw Error(WasiErrno.Inval);
            stream.Position = target;
            Memory.WriteU64((uint)newOffsetPointer, (ulong)target);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>fd_tell</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int FdTell(int fd, int offsetPointer)
    {
        try
        {
            var descriptor = Context.Get(fd);
            if (descriptor is DirectoryDescriptor) throw Error(WasiErrno.Badf);
            Stream stream = descriptor is FileDescriptor file ? file.Stream : ((StreamDescriptor)descriptor).Stream;
            if (!stream.CanSeek) throw Error(WasiErrno.Spipe);
            descriptor.Require(WasiRights.FdTell);
            CheckResultSlot(offsetPointer, 8, 8);
            Memory.WriteU64((uint)offsetPointer, (ulong)stream.Position);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }
}
