namespace Strand.Wasi;

public sealed partial class WasiPreview1
{
    /// <summary>
    /// Looks up the directory descriptor, checks its rights, reads the guest path and resolves it in the sandbox
    /// (<see cref="WasiPathResolver"/>). The result is a directory handle and a final name: dispose it after use.
    /// </summary>
    /// <param name="followTrailingSlash">
    /// Whether a trailing '/' follows a final symlink. Calls that create or remove the final entry pass false, as
    /// Linux does for mkdir/rmdir/unlink/rename/symlink/link ("link/" names the link, which is then not a directory).
    /// </param>
    /// <param name="fd">The directory descriptor the path is relative to.</param>
    /// <param name="needed">The rights the operation needs on it.</param>
    /// <param name="pathPointer">Guest address of the path.</param>
    /// <param name="pathLength">Its length in bytes.</param>
    /// <param name="followFinal">Follow a symlink in the final component (lookupflags::symlink_follow).</param>
    /// <param name="needDepth">The caller needs the resolved depth.</param>
    private ResolvedPath Resolve(int fd, WasiRights needed, int pathPointer, int pathLength, bool followFinal,
        bool followTrailingSlash = true, bool needDepth = false) =>
        Resolve(GetDirectory(fd), needed, pathPointer, pathLength, followFinal, followTrailingSlash, needDepth);

    /// <summary>
    /// <see cref="Resolve(int, WasiRights, int, int, bool, bool, bool)"/> in a descriptor the caller already looked up:
    /// a call that checks rights on a descriptor must resolve in that same descriptor, never look its number up again
    /// (another guest thread may have renumbered a different directory onto it meanwhile).
    /// </summary>
    private ResolvedPath Resolve(DirectoryDescriptor directory, WasiRights needed, int pathPointer, int pathLength, bool followFinal,
        bool followTrailingSlash = true, bool needDepth = false)
    {
        directory.Require(needed);
        string path = ReadPath(pathPointer, pathLength);
        return WasiPathResolver.Resolve(directory.Handle, path, followFinal, Context.PathResolution, followTrailingSlash, needDepth);
    }

    /// <summary>
    /// Reads a guest path (or symlink contents): EFAULT when out of bounds, ENAMETOOLONG when longer than
    /// <see cref="WasiPathResolver.MaxPathBytes"/> (checked before decoding: the length is the guest's, up to 4 GiB, and
    /// decoding it would cost the host gigabytes and end in an OutOfMemoryException), EILSEQ when not UTF-8.
    /// </summary>
    private string ReadPath(int pointer, int length)
    {
        if ((uint)length > WasiPathResolver.MaxPathBytes)
        {
            Memory.GetSpan((uint)pointer, (uint)length); // EFAULT first, as for any other path
            throw Error(WasiErrno.NameTooLong);
        }
        return Memory.ReadString((uint)pointer, (uint)length);
    }

    private static bool FollowFlag(int lookupFlags) =>
        (lookupFlags & ~(int)WasiAbi.LookupSymlinkFollow) != 0 ? throw Error(WasiErrno.Inval) : lookupFlags != 0;

    /// <summary>The type of the resolved entry without following it; null when it does not exist.</summary>
    private static WasiFileType? TypeOf(ResolvedPath path) =>
        path.Name is null ? WasiFileType.Directory : HostFileSystem.TypeAt(path.Directory, path.Name);

    /// <summary>WASI preview 1 <c>path_create_directory</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathCreateDirectory(int fd, int pathPointer, int pathLength)
    {
        try
        {
            using var path = Resolve(fd, WasiRights.PathCreateDirectory, pathPointer, pathLength, followFinal: false, followTrailingSlash: false);
            if (path.Name is null) throw Error(WasiErrno.Exist);
            HostFileSystem.MakeDirectoryAt(path.Directory, path.Name); // EEXIST for anything already there, links included
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>path_filestat_get</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathFilestatGet(int fd, int lookupFlags, int pathPointer, int pathLength, int statPointer)
    {
        try
        {
            bool follow = FollowFlag(lookupFlags);
            using var path = Resolve(fd, WasiRights.PathFilestatGet, pathPointer, pathLength, follow);
            // Links were already expanded by the resolver when asked to; the host never follows one now.
            var stat = HostFileSystem.StatAt(path.Directory, path.Name);
            if (path.MustBeDirectory && stat.FileType != WasiFileType.Directory) throw Error(WasiErrno.NotDir);
            WriteFilestat(statPointer, stat);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>path_filestat_set_times</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathFilestatSetTimes(int fd, int lookupFlags, int pathPointer, int pathLength, long accessTime, long modifyTime, int fstFlags)
    {
        try
        {
            bool follow = FollowFlag(lookupFlags);
            ValidateFstFlags(fstFlags);
            using var path = Resolve(fd, WasiRights.PathFilestatSetTimes, pathPointer, pathLength, follow);
            if (path.MustBeDirectory && TypeOf(path) is { } type && type != WasiFileType.Directory) throw Error(WasiErrno.NotDir); // "file/", as utimensat
            HostFileSystem.SetTimesAt(path.Directory, path.NameOrDot, (ulong)accessTime, (ulong)modifyTime, fstFlags);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>path_link</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathLink(int oldFd, int oldLookupFlags, int oldPathPointer, int oldPathLength, int newFd, int newPathPointer, int newPathLength)
    {
        try
        {
            bool follow = FollowFlag(oldLookupFlags);
            using var source = Resolve(oldFd, WasiRights.PathLinkSource, oldPathPointer, oldPathLength, follow);
            using var target = Resolve(newFd, WasiRights.PathLinkTarget, newPathPointer, newPathLength, followFinal: false, followTrailingSlash: false);
            switch (TypeOf(source))
            {
                case null: throw Error(WasiErrno.NoEnt);
                case WasiFileType.Directory: throw Error(WasiErrno.Perm);
            }
            if (source.MustBeDirectory) throw Error(WasiErrno.NotDir);
            if (target.Name is null || TypeOf(target) is not null) throw Error(WasiErrno.Exist);
            if (target.MustBeDirectory) throw Error(WasiErrno.NoEnt);
            HostFileSystem.LinkAt(source.Directory, source.Name!, target.Directory, target.Name); // linkat(flags = 0): never follows
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>path_open</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathOpen(int fd, int lookupFlags, int pathPointer, int pathLength, int openFlags, long rightsBase, long rightsInheriting,
        int fdFlags, int openedFdPointer)
    {
        try
        {
            var directory = GetDirectory(fd);
            bool follow = FollowFlag(lookupFlags);
            if ((openFlags & ~(int)WasiOpenFlags.All) != 0 || (fdFlags & ~(int)WasiFdFlags.All) != 0) throw Error(WasiErrno.Inval);
            var flags = (WasiOpenFlags)openFlags;
            bool create = flags.HasFlag(WasiOpenFlags.Create), exclusive = flags.HasFlag(WasiOpenFlags.Exclusive);
            bool truncate = flags.HasFlag(WasiOpenFlags.Truncate), wantDirectory = flags.HasFlag(WasiOpenFlags.Directory);
            directory.Require(WasiRights.PathOpen
                | (create ? WasiRights.PathCreateFile : 0)
                | (truncate ? WasiRights.PathFilestatSetSize : 0));
            CheckResultSlot(openedFdPointer, 4, 4);
            if (create && wantDirectory) throw Error(WasiErrno.Inval);

            // O_CREAT|O_EXCL never follows a final symlink (POSIX): an existing link, dangling or not, is EEXIST.
            bool createExclusive = create && exclusive;
            using var path = Resolve(directory, WasiRights.PathOpen, pathPointer, pathLength, follow && !createExclusive,
                followTrailingSlash: !createExclusive);
            var requestedBase = (WasiRights)rightsBase;
            // Rights a descriptor cannot pass on are silently withheld (wasi-libc asks for everything it might use).
            var inheriting = (WasiRights)rightsInheriting & directory.RightsInheriting;
            var type = TypeOf(path);
            if (type is not null && createExclusive) throw Error(WasiErrno.Exist);
            if (type == WasiFileType.SymbolicLink) throw Error(WasiErrno.Loop); // final link with SYMLINK_FOLLOW unset

            WasiDescriptor opened;
            if (type == WasiFileType.Directory)
            {
                if (truncate || requestedBase.HasFlag(WasiRights.FdWrite)) throw Error(WasiErrno.IsDir);
                var handle = HostFileSystem.OpenDirectoryAt(path.Directory, path.NameOrDot);
                opened = new DirectoryDescriptor(handle, null)
                {
                    RightsBase = requestedBase & directory.RightsInheriting & WasiRights.Directory,
                    RightsInheriting = inheriting,
                    Flags = (WasiFdFlags)fdFlags,
                };
            }
            else
            {
                if (type is null && (!create || wantDirectory)) throw Error(WasiErrno.NoEnt);
                if (type is null && path.MustBeDirectory) throw Error(WasiErrno.IsDir);
                if (wantDirectory || path.MustBeDirectory) throw Error(WasiErrno.NotDir);
                var granted = requestedBase & directory.RightsInheriting & WasiRights.RegularFile;
                opened = OpenFile(path, create, exclusive, truncate, (WasiFdFlags)fdFlags, granted);
                opened.RightsInheriting = inheriting;
                opened.Flags = (WasiFdFlags)fdFlags;
            }

            int newFd;
            try
            {
                newFd = Context.Add(opened);
            }
            catch
            {
                opened.Close();
                throw;
            }
            Memory.WriteU32((uint)openedFdPointer, (uint)newFd);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>
    /// Opens (or creates) a non-directory with <c>openat(parent, name, O_NOFOLLOW | ...)</c>: whatever happens to
    /// the tree meanwhile, the file opened is the entry of that name in that directory handle, never a link's target.
    /// </summary>
    private static FileDescriptor OpenFile(ResolvedPath path, bool create, bool exclusive, bool truncate, WasiFdFlags fdFlags, WasiRights granted)
    {
        // The descriptor's rights (not the host access mode) decide what the guest may do; truncation needs write access.
        bool write = truncate || (granted & (WasiRights.FdWrite | WasiRights.FdAllocate | WasiRights.FdFilestatSetSize)) != 0;
        bool read = granted.HasFlag(WasiRights.FdRead) || !write;
        int flags = (read && write ? HostFileSystem.ORdWr : write ? HostFileSystem.OWrOnly : HostFileSystem.ORdOnly)
            | HostFileSystem.ONoFollow | HostFileSystem.ONoCtty
            | (create ? HostFileSystem.OCreat : 0) | (create && exclusive ? HostFileSystem.OExcl : 0)
            | (truncate ? HostFileSystem.OTrunc : 0) | (fdFlags.HasFlag(WasiFdFlags.NonBlock) ? HostFileSystem.ONonBlock : 0);
        var handle = HostFileSystem.OpenAt(path.Directory, path.NameOrDot, flags);
        try
        {
            var type = HostFileSystem.Stat(handle).FileType;
            if (type == WasiFileType.Directory) throw Error(WasiErrno.IsDir); // replaced by a directory since it was looked at
            var access = read && write ? FileAccess.ReadWrite : write ? FileAccess.Write : FileAccess.Read;
            // Unbuffered: fd_pread/fd_pwrite use the same handle at explicit offsets.
            var stream = new FileStream(handle, access, bufferSize: 0);
            return new FileDescriptor(stream, type) { RightsBase = granted };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>WASI preview 1 <c>path_readlink</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathReadlink(int fd, int pathPointer, int pathLength, int bufferPointer, int bufferLength, int bufusedPointer)
    {
        try
        {
            using var path = Resolve(fd, WasiRights.PathReadlink, pathPointer, pathLength, followFinal: false);
            var output = Memory.GetSpan((uint)bufferPointer, (uint)bufferLength);
            CheckResultSlot(bufusedPointer, 4, 4);
            if (path.Name is null) throw Error(WasiErrno.Inval);
            var bytes = HostFileSystem.ReadLinkAt(path.Directory, path.Name) ?? throw Error(WasiErrno.Inval);
            int count = Math.Min(bytes.Length, output.Length); // truncates like POSIX readlink
            bytes.AsSpan(0, count).CopyTo(output);
            Memory.WriteU32((uint)bufusedPointer, (uint)count);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>path_remove_directory</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathRemoveDirectory(int fd, int pathPointer, int pathLength)
    {
        try
        {
            using var path = Resolve(fd, WasiRights.PathRemoveDirectory, pathPointer, pathLength, followFinal: false, followTrailingSlash: false);
            if (path.Name is null) throw Error(WasiErrno.Busy); // the descriptor's own directory
            HostFileSystem.UnlinkAt(path.Directory, path.Name, removeDirectory: true); // ENOTDIR, ENOTEMPTY, ENOENT from the host
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>path_rename</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathRename(int fd, int oldPathPointer, int oldPathLength, int newFd, int newPathPointer, int newPathLength)
    {
        try
        {
            using var source = Resolve(fd, WasiRights.PathRenameSource, oldPathPointer, oldPathLength, followFinal: false, followTrailingSlash: false);
            using var target = Resolve(newFd, WasiRights.PathRenameTarget, newPathPointer, newPathLength, followFinal: false, followTrailingSlash: false);
            if (source.Name is null || target.Name is null) throw Error(WasiErrno.Busy);
            var sourceType = TypeOf(source) ?? throw Error(WasiErrno.NoEnt);
            if ((source.MustBeDirectory || target.MustBeDirectory) && sourceType != WasiFileType.Directory) throw Error(WasiErrno.NotDir);
            HostFileSystem.RenameAt(source.Directory, source.Name, target.Directory, target.Name);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>path_symlink</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathSymlink(int oldPathPointer, int oldPathLength, int fd, int newPathPointer, int newPathLength)
    {
        try
        {
            string contents = ReadPath(oldPathPointer, oldPathLength);
            using var path = Resolve(fd, WasiRights.PathSymlink, newPathPointer, newPathLength, followFinal: false,
                followTrailingSlash: false, needDepth: true);
            if (contents.Length == 0) throw Error(WasiErrno.NoEnt);
            if (contents.Contains('\0')) throw Error(WasiErrno.Inval);
            // An absolute link could never be followed inside the sandbox: EPERM (as node:wasi and wasmtime).
            if (contents[0] == '/') throw Error(WasiErrno.Perm);
            // Neither could one that climbs out with "..": ENOTCAPABLE at creation, as node:wasi.
            if (path.Name is not null && WasiPathResolver.EscapesRoot(contents, path.Depth)) throw Error(WasiErrno.NotCapable);
            if (path.Name is null || TypeOf(path) is not null) throw Error(WasiErrno.Exist);
            if (path.MustBeDirectory) throw Error(WasiErrno.NoEnt);
            HostFileSystem.SymlinkAt(contents, path.Directory, path.Name);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>WASI preview 1 <c>path_unlink_file</c>, as the witx specifies it: pointer arguments are guest addresses, results are written to guest memory; returns the errno (0 on success).</summary>
    public int PathUnlinkFile(int fd, int pathPointer, int pathLength)
    {
        try
        {
            using var path = Resolve(fd, WasiRights.PathUnlinkFile, pathPointer, pathLength, followFinal: false, followTrailingSlash: false);
            if (path.Name is null) throw Error(WasiErrno.IsDir);
            switch (TypeOf(path))
            {
                case null: throw Error(WasiErrno.NoEnt);
                case WasiFileType.Directory: throw Error(WasiErrno.IsDir);
            }
            if (path.MustBeDirectory) throw Error(WasiErrno.NotDir);
            HostFileSystem.UnlinkAt(path.Directory, path.Name, removeDirectory: false);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }
}
