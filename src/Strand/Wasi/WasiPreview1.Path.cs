namespace Strand.Wasi;

public sealed partial class WasiPreview1
{
    /// <summary>Looks up the directory descriptor, checks its rights, reads the guest path and resolves it in the sandbox.</summary>
    private (DirectoryDescriptor Directory, ResolvedPath Path) Resolve(int fd, WasiRights needed, int pathPointer, int pathLength, bool followFinal)
    {
        var directory = GetDirectory(fd);
        directory.Require(needed);
        string path = Memory.ReadString((uint)pathPointer, (uint)pathLength);
        return (directory, WasiPathResolver.Resolve(directory.HostPath, path, followFinal));
    }

    private static bool FollowFlag(int lookupFlags) =>
        (lookupFlags & ~(int)WasiAbi.LookupSymlinkFollow) != 0 ? throw Error(WasiErrno.Inval) : lookupFlags != 0;

    public int PathCreateDirectory(int fd, int pathPointer, int pathLength)
    {
        try
        {
            var (_, path) = Resolve(fd, WasiRights.PathCreateDirectory, pathPointer, pathLength, followFinal: false);
            if (path.Name is null || WasiPathResolver.Kind(path.HostPath) != HostEntryKind.None) throw Error(WasiErrno.Exist);
            Directory.CreateDirectory(path.HostPath);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    public int PathFilestatGet(int fd, int lookupFlags, int pathPointer, int pathLength, int statPointer)
    {
        try
        {
            bool follow = FollowFlag(lookupFlags);
            var (_, path) = Resolve(fd, WasiRights.PathFilestatGet, pathPointer, pathLength, follow);
            // Links were already expanded by the resolver when asked to; never let the host follow one now.
            var stat = HostFileSystem.Stat(path.HostPath, followFinal: false);
            if (path.MustBeDirectory && stat.FileType != WasiFileType.Directory) throw Error(WasiErrno.NotDir);
            WriteFilestat(statPointer, stat);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    public int PathFilestatSetTimes(int fd, int lookupFlags, int pathPointer, int pathLength, long accessTime, long modifyTime, int fstFlags)
    {
        try
        {
            bool follow = FollowFlag(lookupFlags);
            ValidateFstFlags(fstFlags);
            var (_, path) = Resolve(fd, WasiRights.PathFilestatSetTimes, pathPointer, pathLength, follow);
            if (WasiPathResolver.Kind(path.HostPath) == HostEntryKind.None) throw Error(WasiErrno.NoEnt);
            HostFileSystem.SetTimes(path.HostPath, followFinal: false, (ulong)accessTime, (ulong)modifyTime, fstFlags, RealtimeNow);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    public int PathLink(int oldFd, int oldLookupFlags, int oldPathPointer, int oldPathLength, int newFd, int newPathPointer, int newPathLength)
    {
        try
        {
            bool follow = FollowFlag(oldLookupFlags);
            var (_, source) = Resolve(oldFd, WasiRights.PathLinkSource, oldPathPointer, oldPathLength, follow);
            var (_, target) = Resolve(newFd, WasiRights.PathLinkTarget, newPathPointer, newPathLength, followFinal: false);
            var sourceKind = WasiPathResolver.Kind(source.HostPath);
            if (sourceKind == HostEntryKind.None) throw Error(WasiErrno.NoEnt);
            if (sourceKind == HostEntryKind.Directory) throw Error(WasiErrno.Perm);
            if (source.MustBeDirectory) throw Error(WasiErrno.NotDir);
            if (target.Name is null || WasiPathResolver.Kind(target.HostPath) != HostEntryKind.None) throw Error(WasiErrno.Exist);
            if (target.MustBeDirectory) throw Error(WasiErrno.NoEnt);
            HostFileSystem.HardLink(source.HostPath, target.HostPath);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

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

            var (_, path) = Resolve(fd, WasiRights.PathOpen, pathPointer, pathLength, follow);
            var requestedBase = (WasiRights)rightsBase;
            // Rights a descriptor cannot pass on are silently withheld (wasi-libc asks for everything it might use).
            var inheriting = (WasiRights)rightsInheriting & directory.RightsInheriting;
            var kind = WasiPathResolver.Kind(path.HostPath);
            if (kind == HostEntryKind.Symlink) throw Error(WasiErrno.Loop); // final link with SYMLINK_FOLLOW unset
            if (kind != HostEntryKind.None && create && exclusive) throw Error(WasiErrno.Exist);

            WasiDescriptor opened;
            if (kind == HostEntryKind.Directory)
            {
                if (truncate || requestedBase.HasFlag(WasiRights.FdWrite)) throw Error(WasiErrno.IsDir);
                string real = WasiPathResolver.GetRealPath(path.HostPath);
                if (!WasiPathResolver.IsWithin(directory.HostPath, real)) throw Error(WasiErrno.NotCapable);
                opened = new DirectoryDescriptor(real, null)
                {
                    RightsBase = requestedBase & directory.RightsInheriting & WasiRights.Directory,
                    RightsInheriting = inheriting,
                    Flags = (WasiFdFlags)fdFlags,
                };
            }
            else
            {
                if (kind == HostEntryKind.None && (!create || wantDirectory)) throw Error(WasiErrno.NoEnt);
                if (kind == HostEntryKind.None && path.MustBeDirectory) throw Error(WasiErrno.IsDir);
                if (wantDirectory || path.MustBeDirectory) throw Error(WasiErrno.NotDir);
                var granted = requestedBase & directory.RightsInheriting & WasiRights.RegularFile;
                opened = OpenFile(directory, path, kind == HostEntryKind.None, exclusive, truncate, granted);
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

    private static FileDescriptor OpenFile(DirectoryDescriptor directory, ResolvedPath path, bool creating, bool exclusive, bool truncate, WasiRights granted)
    {
        // .NET cannot create a file with read-only access, and truncation needs write access; the
        // descriptor's rights (not the host access mode) decide what the guest may do with it.
        bool write = creating || truncate || (granted & (WasiRights.FdWrite | WasiRights.FdAllocate | WasiRights.FdFilestatSetSize)) != 0;
        bool read = granted.HasFlag(WasiRights.FdRead) || !write;
        var access = read && write ? FileAccess.ReadWrite : write ? FileAccess.Write : FileAccess.Read;
        var mode = creating
            ? exclusive ? FileMode.CreateNew : truncate ? FileMode.Create : FileMode.OpenOrCreate
            : truncate ? FileMode.Truncate : FileMode.Open;
        var stream = new FileStream(path.HostPath, new FileStreamOptions
        {
            Mode = mode,
            Access = access,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0, // unbuffered: fd_pread/fd_pwrite use the same handle at explicit offsets
        });
        try
        {
            // TOCTOU check: if a symlink was planted after resolution, the handle leads elsewhere.
            string? real = HostFileSystem.RealPathOfHandle(stream.SafeFileHandle);
            if (real is not null && !WasiPathResolver.IsWithin(directory.HostPath, real)) throw Error(WasiErrno.NotCapable);
            var type = HostFileSystem.Stat(stream.SafeFileHandle, path.HostPath).FileType;
            return new FileDescriptor(stream, path.HostPath, type) { RightsBase = granted };
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public int PathReadlink(int fd, int pathPointer, int pathLength, int bufferPointer, int bufferLength, int bufusedPointer)
    {
        try
        {
            var (_, path) = Resolve(fd, WasiRights.PathReadlink, pathPointer, pathLength, followFinal: false);
            var output = Memory.GetSpan((uint)bufferPointer, (uint)bufferLength);
            CheckResultSlot(bufusedPointer, 4, 4);
            string? target = new FileInfo(path.HostPath).LinkTarget;
            if (target is null)
                throw Error(WasiPathResolver.Kind(path.HostPath) == HostEntryKind.None ? WasiErrno.NoEnt : WasiErrno.Inval);
            var bytes = System.Text.Encoding.UTF8.GetBytes(target);
            int count = Math.Min(bytes.Length, output.Length); // truncates like POSIX readlink
            bytes.AsSpan(0, count).CopyTo(output);
            Memory.WriteU32((uint)bufusedPointer, (uint)count);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    public int PathRemoveDirectory(int fd, int pathPointer, int pathLength)
    {
        try
        {
            var (_, path) = Resolve(fd, WasiRights.PathRemoveDirectory, pathPointer, pathLength, followFinal: false);
            if (path.Name is null) throw Error(WasiErrno.Busy); // the descriptor's own directory
            switch (WasiPathResolver.Kind(path.HostPath))
            {
                case HostEntryKind.None: throw Error(WasiErrno.NoEnt);
                case HostEntryKind.Directory: break;
                default: throw Error(WasiErrno.NotDir);
            }
            if (Directory.EnumerateFileSystemEntries(path.HostPath).Any()) throw Error(WasiErrno.NotEmpty);
            Directory.Delete(path.HostPath, recursive: false);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    public int PathRename(int fd, int oldPathPointer, int oldPathLength, int newFd, int newPathPointer, int newPathLength)
    {
        try
        {
            var (_, source) = Resolve(fd, WasiRights.PathRenameSource, oldPathPointer, oldPathLength, followFinal: false);
            var (_, target) = Resolve(newFd, WasiRights.PathRenameTarget, newPathPointer, newPathLength, followFinal: false);
            if (source.Name is null || target.Name is null) throw Error(WasiErrno.Busy);
            var sourceKind = WasiPathResolver.Kind(source.HostPath);
            if (sourceKind == HostEntryKind.None) throw Error(WasiErrno.NoEnt);
            if ((source.MustBeDirectory || target.MustBeDirectory) && sourceKind != HostEntryKind.Directory) throw Error(WasiErrno.NotDir);
            HostFileSystem.Rename(source.HostPath, target.HostPath);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    public int PathSymlink(int oldPathPointer, int oldPathLength, int fd, int newPathPointer, int newPathLength)
    {
        try
        {
            string contents = Memory.ReadString((uint)oldPathPointer, (uint)oldPathLength);
            var (directory, path) = Resolve(fd, WasiRights.PathSymlink, newPathPointer, newPathLength, followFinal: false);
            if (contents.Length == 0) throw Error(WasiErrno.NoEnt);
            if (contents.Contains('\0')) throw Error(WasiErrno.Inval);
            // An absolute link could never be followed inside the sandbox: EPERM (as node:wasi and wasmtime).
            if (contents[0] == '/' || (OperatingSystem.IsWindows() && Path.IsPathRooted(contents))) throw Error(WasiErrno.Perm);
            // Neither could one that climbs out with "..": ENOTCAPABLE at creation, as node:wasi.
            if (path.Name is not null && WasiPathResolver.EscapesRoot(contents, LinkDepth(directory.HostPath, path.HostPath)))
                throw Error(WasiErrno.NotCapable);
            if (path.Name is null || WasiPathResolver.Kind(path.HostPath) != HostEntryKind.None) throw Error(WasiErrno.Exist);
            if (path.MustBeDirectory) throw Error(WasiErrno.NoEnt);
            File.CreateSymbolicLink(path.HostPath, contents);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>How many directories below <paramref name="root"/> the entry at <paramref name="hostPath"/> lives.</summary>
    private static int LinkDepth(string root, string hostPath)
    {
        string parent = Path.GetDirectoryName(hostPath) ?? root;
        string relative = Path.GetRelativePath(root, parent);
        return relative == "." ? 0 : relative.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Length;
    }

    public int PathUnlinkFile(int fd, int pathPointer, int pathLength)
    {
        try
        {
            var (_, path) = Resolve(fd, WasiRights.PathUnlinkFile, pathPointer, pathLength, followFinal: false);
            switch (WasiPathResolver.Kind(path.HostPath))
            {
                case HostEntryKind.None: throw Error(WasiErrno.NoEnt);
                case HostEntryKind.Directory: throw Error(WasiErrno.IsDir);
            }
            if (path.MustBeDirectory) throw Error(WasiErrno.NotDir);
            File.Delete(path.HostPath);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }
}
