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
    /// <c>readlinkat</c> and expanded by hand, <c>..</c> popping the stack of handles already opened.
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
        return Encoding.UTF8.GetString(contents);
    }

    /// <summary>
    /// The per-component walk. <c>stack</c> holds the handles of the directories from the root down to the
    /// current one, so ".." pops a handle instead of asking the host for a parent (which could be outside).
    /// </summary>
    private static ResolvedPath ResolvePerComponent(SafeFileHandle root, string guestPath, bool followFinal, bool followTrailingSlash)
    {
        bool mustBeDirectory = guestPath[^1] == '/';
        var pending = new Stack<string>();
        PushComponents(pending, guestPath);
        var stack = new List<SafeFileHandle> { root };
        int expansions = 0;
        try
        {
            while (pending.Count > 0)
            {
                string component = pending.Pop();
                if (component == ".") continue;
                if (component == "..")
                {
                    if (stack.Count == 1) throw new WasiErrnoException(WasiErrno.NotCapable);
                    stack[^1].Dispose();
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                }
                if (Encoding.UTF8.GetByteCount(component) > 255) throw new WasiErrnoException(WasiErrno.NameTooLong);
                bool isLast = pending.Count == 0;
                bool follow = !isLast || followFinal || (mustBeDirectory && followTrailingSlash);
                var top = stack[^1];
                if (isLast && !follow) return Finish(root, stack, component, mustBeDirectory);

                // O_PATH | O_NOFOLLOW opens the entry itself, even a symlink, without following anything.
                var handle = HostFileSystem.TryOpenAt(top, component, HostFileSystem.OPath | HostFileSystem.ONoFollow);
                if (handle is null)
                {
                    int errno = HostFileSystem.LastErrno;
                    if (isLast && errno == HostFileSystem.ENoEnt) return Finish(root, stack, component, mustBeDirectory);
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
                    return Finish(root, stack, component, mustBeDirectory);
                }
                if (type != WasiFileType.Directory)
                {
                    handle.Dispose();
                    throw new WasiErrnoException(WasiErrno.NotDir);
                }
                stack.Add(handle);
            }
            // The path named a directory on the stack itself ("." or "a/.."): it is the result, with no name.
            var self = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            DisposeAllButRoot(stack, root);
            return new ResolvedPath(root, self, !ReferenceEquals(self, root), null, mustBeDirectory, stack.Count);
        }
        catch
        {
            DisposeAllButRoot(stack, root);
            throw;
        }
    }

    private static ResolvedPath Finish(SafeFileHandle root, List<SafeFileHandle> stack, string name, bool mustBeDirectory)
    {
        var parent = stack[^1];
        int depth = stack.Count - 1;
        stack.RemoveAt(stack.Count - 1);
        DisposeAllButRoot(stack, root);
        return new ResolvedPath(root, parent, !ReferenceEquals(parent, root), name, mustBeDirectory, depth);
    }

    private static void DisposeAllButRoot(List<SafeFileHandle> stack, SafeFileHandle root)
    {
        foreach (var handle in stack)
            if (!ReferenceEquals(handle, root)) handle.Dispose();
        stack.Clear();
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
