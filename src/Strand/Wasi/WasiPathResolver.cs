using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Strand.Wasi;

/// <summary>How guest paths are resolved below a directory handle (see <see cref="WasiPathResolver"/>).</summary>
public enum WasiPathResolution
{
    /// <summary><c>openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)</c> where the kernel has it (Linux 5.6+), else <see cref="PerComponent"/>.</summary>
    Auto,

    /// <summary>
    /// One <c>openat(O_PATH | O_NOFOLLOW)</c> per component from the root handle, symlinks read with
    /// <c>readlinkat</c> and expanded by hand, <c>..</c> going back to the directory entered before (never above the root).
    /// </summary>
    PerComponent,
}

/// <summary>
/// Result of resolving a guest path: the directory handle that contains the final entry and the
/// entry's name (null when the path names that directory itself, e.g. "." or "a/.."). Every operation
/// then acts on (<see cref="Directory"/>, <see cref="Name"/>) with an <c>*at</c> call that does not follow
/// a final symlink. Dispose it to close the handle (the root handle is never closed here).
/// </summary>
internal sealed class ResolvedPath : IDisposable
{
    private readonly SafeFileHandle _root;
    private readonly bool _ownsDirectory;
    private bool _disposed;

    public ResolvedPath(SafeFileHandle root, SafeFileHandle directory, bool ownsDirectory, string? name, bool mustBeDirectory, int depth)
    {
        _root = root;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        Name = name;
        MustBeDirectory = mustBeDirectory;
        Depth = depth;
    }

    public SafeFileHandle Directory { get; }

    public string? Name { get; }

    /// <summary>The guest path ended with '/' (or a followed link's contents did): the entry must be a directory.</summary>
    public bool MustBeDirectory { get; }

    /// <summary>How many directories below the root <see cref="Directory"/> is, or -1 when not known (openat2 resolution).</summary>
    public int Depth { get; }

    /// <summary>The entry's name for <c>*at</c> calls: "." when the path names the directory itself.</summary>
    public string NameOrDot => Name ?? ".";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ownsDirectory) Directory.Dispose();
        _root.DangerousRelease();
    }
}

/// <summary>
/// The sandbox. A guest path is resolved below a directory <em>handle</em> (the descriptor the call names),
/// never through a host path string, so renaming or replacing directories (by the guest or anyone) cannot
/// move the root or make a later lookup leave it:
/// <list type="bullet">
/// <item>absolute paths, and ".." above the root, give ENOTCAPABLE (as Node's node:wasi; wasmtime says EPERM);</item>
/// <item>every intermediate component is opened relative to the handle of its parent with <c>O_NOFOLLOW</c>;
/// a symlink is read with <c>readlinkat</c> and expanded by hand (absolute contents: ENOTCAPABLE; relative
/// contents are resolved from the link's directory under the same rules), at most
/// <see cref="MaxSymlinkExpansions"/> times (then ELOOP);</item>
/// <item>with <see cref="WasiPathResolution.Auto"/> the directory part is handed to the kernel's
/// <c>openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)</c>, which enforces the same rules atomically (EXDEV
/// becomes ENOTCAPABLE); the final component is handled as above in both modes.</item>
/// </list>
/// The final component is followed only when asked (<c>LOOKUP_SYMLINK_FOLLOW</c>) or when the path ends with '/'.
/// The result is a parent handle and a name; callers never follow a final symlink themselves.
/// </summary>
internal static class WasiPathResolver
{
    public const int MaxSymlinkExpansions = 40;

    /// <summary>The most host descriptors a per-component walk on this thread has held at once (tests reset and read it).</summary>
    [ThreadStatic] internal static int PeakHeldHandles;

    /// <summary>Longest guest path accepted (PATH_MAX); longer ones are ENAMETOOLONG.</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>Resolves <paramref name="guestPath"/> below <paramref name="root"/>.</summary>
    /// <param name="followFinalSymlink">Follow a symlink in the final component (LOOKUP_SYMLINK_FOLLOW).</param>
    /// <param name="followTrailingSlash">A trailing '/' also follows the final symlink (POSIX pathname rules).</param>
    /// <param name="needDepth">The caller needs <see cref="ResolvedPath.Depth"/>: resolve per component.</param>
    /// <param name="root">The preopened directory's handle: nothing outside it is reachable.</param>
    /// <param name="guestPath">The path the guest gave, relative to <paramref name="root"/>.</param>
    /// <param name="mode">How components are resolved (openat2 or one component at a time).</param>
    public static ResolvedPath Resolve(SafeFileHandle root, string guestPath, bool followFinalSymlink, WasiPathResolution mode,
        bool followTrailingSlash = true, bool needDepth = false)
    {
        if (guestPath.Length == 0) throw new WasiErrnoException(WasiErrno.NoEnt);
        if (guestPath.Contains('\0')) throw new WasiErrnoException(WasiErrno.Inval);
        if (guestPath[0] == '/') throw new WasiErrnoException(WasiErrno.NotCapable);
        if (Encoding.UTF8.GetByteCount(guestPath) > MaxPathBytes) throw new WasiErrnoException(WasiErrno.NameTooLong);
        if (!HostFileSystem.Supported) throw new WasiErrnoException(WasiErrno.NotSup);

        bool added = false;
        root.DangerousAddRef(ref added); // released by ResolvedPath.Dispose (or below on failure)
        try
        {
            bool useOpenat2 = mode == WasiPathResolution.Auto && !needDepth && HostFileSystem.Openat2Available;
            var result = useOpenat2
                ? ResolveWithOpenat2(root, guestPath, followFinalSymlink, followTrailingSlash)
                : null;
            return result ?? ResolvePerComponent(root, guestPath, followFinalSymlink, followTrailingSlash);
        }
        catch
        {
            root.DangerousRelease();
            throw;
        }
    }

    /// <summary>Splits a guest path into components, dropping empty ones (repeated '/').</summary>
    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    private static string LinkContents(byte[] contents)
    {
        if (contents.Length == 0) throw new WasiErrnoException(WasiErrno.NoEnt);
        if (contents[0] == (byte)'/') throw new WasiErrnoException(WasiErrno.NotCapable); // absolute: never inside the sandbox
        try
        {
            return StrictUtf8.GetString(contents);
        }
        catch (DecoderFallbackException)
        {
            // Contents a host made that are not UTF-8: decoding them leniently would follow the link to another name
            // (every bad byte read as U+FFFD), one the guest may have made. EILSEQ, as for a guest path.
            throw new WasiErrnoException(WasiErrno.Ilseq);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The per-component walk. <see cref="DirectoryChain"/> holds the directories from the root down to the current
    /// one, so ".." goes back to a directory already entered instead of asking the host for a parent (which could be
    /// outside).
    /// </summary>
    private static ResolvedPath ResolvePerComponent(SafeFileHandle root, string guestPath, bool followFinal, bool followTrailingSlash)
    {
        bool mustBeDirectory = guestPath[^1] == '/';
        var pending = new Stack<string>();
        PushComponents(pending, guestPath);
        using var chain = new DirectoryChain(root);
        int expansions = 0;
        while (pending.Count > 0)
        {
            string component = pending.Pop();
            if (component == ".") continue;
            if (component == "..")
            {
                if (chain.Depth == 0) throw new WasiErrnoException(WasiErrno.NotCapable);
                chain.Pop();
                continue;
            }
            if (Encoding.UTF8.GetByteCount(component) > 255) throw new WasiErrnoException(WasiErrno.NameTooLong);
            bool isLast = pending.Count == 0;
            bool follow = !isLast || followFinal || (mustBeDirectory && followTrailingSlash);
            var top = chain.Top;
            if (isLast && !follow) return chain.Finish(component, mustBeDirectory);

            // O_PATH | O_NOFOLLOW opens the entry itself, even a symlink, without following anything.
            var handle = HostFileSystem.TryOpenAt(top, component, HostFileSystem.OPath | HostFileSystem.ONoFollow);
            if (handle is null)
            {
                int errno = HostFileSystem.LastErrno;
                if (isLast && errno == HostFileSystem.ENoEnt) return chain.Finish(component, mustBeDirectory);
                throw new WasiErrnoException(HostFileSystem.FromLinuxErrno(errno));
            }
            WasiFileType type;
            try
            {
                type = HostFileSystem.Stat(handle).FileType;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
            if (type == WasiFileType.SymbolicLink)
            {
                handle.Dispose();
                if (++expansions > MaxSymlinkExpansions) throw new WasiErrnoException(WasiErrno.Loop);
                // Read by name in the handle of its directory: a link swapped in meanwhile is read (and checked) instead.
                var contents = HostFileSystem.ReadLinkAt(top, component);
                if (contents is null) { pending.Push(component); continue; } // replaced by a non-link meanwhile: look again
                string target = LinkContents(contents);
                if (isLast && target[^1] == '/') mustBeDirectory = true;
                PushComponents(pending, target);
                continue;
            }
            if (isLast)
            {
                handle.Dispose();
                return chain.Finish(component, mustBeDirectory);
            }
            if (type != WasiFileType.Directory)
            {
                handle.Dispose();
                throw new WasiErrnoException(WasiErrno.NotDir);
            }
            chain.Push(handle, component);
        }
        // The path named a directory of the chain itself ("." or "a/.."): it is the result, with no name.
        return chain.Finish(null, mustBeDirectory);
    }

    /// <summary>
    /// The directories the per-component walk has entered, from the root (level 0, borrowed: never closed here) down to
    /// the current one, each entered by one name from the level above with <c>O_NOFOLLOW</c>. A path is at most
    /// <see cref="MaxPathBytes"/> bytes, but the symlinks in it can lead forty times deeper, and a host descriptor per
    /// level would let one call hold tens of thousands of them (and a few guest threads exhaust the host process's).
    /// So only the <see cref="KeepRecent"/> deepest levels and every <see cref="Checkpoint"/>-th level keep their
    /// <c>O_PATH</c> handle; ".." back to a level without one reopens the levels below the nearest kept one by their
    /// names, again with <c>O_NOFOLLOW | O_DIRECTORY</c>, so the walk still never leaves the root (every handle is a
    /// directory entered by one name from a handle beneath the root). The chain of names from the root to the current
    /// directory is at most <see cref="MaxPathBytes"/> bytes (ENAMETOOLONG beyond: POSIX's error for a path that
    /// symlinks make too long), hence at most 2048 levels and at most
    /// 2048 / <see cref="Checkpoint"/> + <see cref="KeepRecent"/> + <see cref="Checkpoint"/> descriptors per walk.
    /// </summary>
    private sealed class DirectoryChain(SafeFileHandle root) : IDisposable
    {
        public const int KeepRecent = 16, Checkpoint = 64;

        private readonly List<SafeFileHandle?> _handles = [root];
        private readonly List<string> _names = [];
        private readonly List<int> _bytes = [0]; // _bytes[d]: UTF-8 length of "name1/name2/.../named"
        private int _held; // handles held now, the borrowed root excepted

        /// <summary>How many directories below the root the current one is.</summary>
        public int Depth => _handles.Count - 1;

        /// <summary>The current directory (the deepest level always keeps its handle).</summary>
        public SafeFileHandle Top => _handles[^1]!;

        /// <summary>Enters <paramref name="handle"/>, the directory <paramref name="name"/> in the current one; the chain owns it from now.</summary>
        public void Push(SafeFileHandle handle, string name)
        {
            int bytes = _bytes[^1] + (Depth == 0 ? 0 : 1) + Encoding.UTF8.GetByteCount(name);
            if (bytes > MaxPathBytes)
            {
                handle.Dispose();
                throw new WasiErrnoException(WasiErrno.NameTooLong);
            }
            _handles.Add(handle);
            _held++;
            _names.Add(name);
            _bytes.Add(bytes);
            int old = Depth - KeepRecent;
            if (old > 0 && old % Checkpoint != 0 && _handles[old] is { } dropped)
            {
                dropped.Dispose();
                _handles[old] = null;
                _held--;
            }
            NoteHeld();
        }

        /// <summary>"..": back to the level above (the caller refuses ".." at the root).</summary>
        public void Pop()
        {
            _handles[^1]!.Dispose();
            _held--;
            _handles.RemoveAt(_handles.Count - 1);
            _names.RemoveAt(_names.Count - 1);
            _bytes.RemoveAt(_bytes.Count - 1);
            if (_handles[^1] is not null) return;
            int from = _handles.FindLastIndex(h => h is not null);
            for (int level = from + 1; level <= Depth; level++)
            {
                var handle = HostFileSystem.TryOpenAt(_handles[level - 1]!, _names[level - 1],
                    HostFileSystem.OPath | HostFileSystem.ODirectory | HostFileSystem.ONoFollow);
                if (handle is null)
                {
                    // Renamed, removed or replaced by a link since the walk entered it: it cannot go back through it.
                    int errno = HostFileSystem.LastErrno;
                    throw new WasiErrnoException(errno == HostFileSystem.ELoop ? WasiErrno.NotDir : HostFileSystem.FromLinuxErrno(errno));
                }
                _handles[level] = handle;
                _held++;
            }
            NoteHeld();
        }

        private void NoteHeld()
        {
            if (_held > PeakHeldHandles) PeakHeldHandles = _held;
        }

        /// <summary>The result: the current directory (its handle passes to the result) and the final name, if any.</summary>
        public ResolvedPath Finish(string? name, bool mustBeDirectory)
        {
            var top = Top;
            int depth = Depth;
            if (depth != 0) _handles[^1] = null; // owned by the result now, not disposed with the chain
            return new ResolvedPath(root, top, depth != 0, name, mustBeDirectory, depth);
        }

        public void Dispose()
        {
            for (int level = 1; level < _handles.Count; level++) _handles[level]?.Dispose();
            _handles.Clear();
        }
    }

    /// <summary>
    /// The kernel resolves the directory part with <c>RESOLVE_BENEATH</c>; the final component is then
    /// checked with <c>readlinkat</c> in that directory and, when it is a link to follow, its contents are
    /// appended to the directory part and the whole is resolved again. Returns null to fall back to the
    /// per-component walk (openat2 unavailable, or EAGAIN from concurrent renames three times running).
    /// </summary>
    private static ResolvedPath? ResolveWithOpenat2(SafeFileHandle root, string guestPath, bool followFinal, bool followTrailingSlash)
    {
        string path = guestPath;
        bool mustBeDirectory = path[^1] == '/';
        int expansions = 0, retries = 0;
        while (true)
        {
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && parts[^1] != "." && parts[^1] != ".."
                && Encoding.UTF8.GetByteCount(parts[^1]) > 255)
                throw new WasiErrnoException(WasiErrno.NameTooLong);
            bool namesDirectoryItself = parts.Length == 0 || parts[^1] is "." or "..";
            string directoryPart = namesDirectoryItself ? path : string.Join('/', parts, 0, parts.Length - 1);
            string? name = namesDirectoryItself ? null : parts[^1];

            SafeFileHandle directory;
            bool owns;
            if (directoryPart.Length == 0)
            {
                directory = root;
                owns = false;
            }
            else
            {
                var opened = HostFileSystem.TryOpenBeneath(root, directoryPart, HostFileSystem.OPath | HostFileSystem.ODirectory, out int errno);
                if (opened is null)
                {
                    if (errno == HostFileSystem.EXdev) throw new WasiErrnoException(WasiErrno.NotCapable);
                    if (errno == HostFileSystem.EAgain && ++retries < 3) continue;
                    if (errno is HostFileSystem.EAgain or HostFileSystem.ENoSys or HostFileSystem.EPerm or HostFileSystem.E2Big) return null;
                    throw new WasiErrnoException(HostFileSystem.FromLinuxErrno(errno));
                }
                directory = opened;
                owns = true;
            }
            if (name is null) return new ResolvedPath(root, directory, owns, null, mustBeDirectory, -1);

            bool follow = followFinal || (mustBeDirectory && followTrailingSlash);
            byte[]? contents;
            try
            {
                contents = follow ? HostFileSystem.ReadLinkAt(directory, name) : null;
            }
            catch (WasiErrnoException e) when (e.Errno == WasiErrno.NoEnt)
            {
                contents = null; // does not exist (yet): the caller decides
            }
            catch
            {
                if (owns) directory.Dispose();
                throw;
            }
            if (contents is null) return new ResolvedPath(root, directory, owns, name, mustBeDirectory, -1);

            if (owns) directory.Dispose();
            if (++expansions > MaxSymlinkExpansions) throw new WasiErrnoException(WasiErrno.Loop);
            string target = LinkContents(contents);
            if (target[^1] == '/') mustBeDirectory = true;
            path = directoryPart.Length == 0 ? target : directoryPart + "/" + target;
            if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes) throw new WasiErrnoException(WasiErrno.NameTooLong);
        }
    }

    /// <summary>
    /// True when the relative symlink <paramref name="contents"/>, stored at a depth of
    /// <paramref name="linkDepth"/> directories below the root, climbs above the root with "..".
    /// Checked by name only: links inside the contents are checked again whenever the link is followed.
    /// </summary>
    public static bool EscapesRoot(string contents, int linkDepth)
    {
        int depth = linkDepth;
        foreach (var component in contents.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (component == ".") continue;
            depth += component == ".." ? -1 : 1;
            if (depth < 0) return true;
        }
        return false;
    }
}
