namespace Strand.Wasi;

/// <summary>Result of resolving a guest path inside a directory descriptor.</summary>
/// <param name="HostPath">Host path of the final entry (it may not exist yet).</param>
/// <param name="Name">The final component, or null when the path resolved to the root directory itself.</param>
/// <param name="MustBeDirectory">The guest path ended with '/', so the entry must be a directory.</param>
internal readonly record struct ResolvedPath(string HostPath, string? Name, bool MustBeDirectory);

/// <summary>What is at a host path, without following a final symlink.</summary>
internal enum HostEntryKind { None, File, Directory, Symlink }

/// <summary>
/// The sandbox. Guest paths are resolved component by component below a root directory (the
/// descriptor the call names), never via the host's own path lookup:
/// absolute paths and ".." above the root give ENOTCAPABLE, as in Node's node:wasi (wasmtime says EPERM);
/// symlinks are expanded by hand (absolute targets give ENOTCAPABLE, relative ones are resolved against
/// the link's directory under the same rules), at most <see cref="MaxSymlinkExpansions"/> of them (then ELOOP).
/// </summary>
internal static class WasiPathResolver
{
    public const int MaxSymlinkExpansions = 40;

    public static ResolvedPath Resolve(string root, string guestPath, bool followFinalSymlink)
    {
        if (guestPath.Length == 0) throw new WasiErrnoException(WasiErrno.NoEnt);
        if (guestPath.Contains('\0')) throw new WasiErrnoException(WasiErrno.Inval);
        if (guestPath[0] == '/' || IsHostRooted(guestPath)) throw new WasiErrnoException(WasiErrno.NotCapable);

        bool mustBeDirectory = guestPath[^1] == '/';
        var pending = new Stack<string>();
        PushComponents(pending, guestPath);
        var resolved = new List<string>();
        int expansions = 0;

        while (pending.Count > 0)
        {
            string component = pending.Pop();
            if (component == ".") continue;
            if (component == "..")
            {
                if (resolved.Count == 0) throw new WasiErrnoException(WasiErrno.NotCapable);
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            if (OperatingSystem.IsWindows() && (component.Contains('\\') || component.Contains(':')))
                throw new WasiErrnoException(WasiErrno.NotCapable); // would be a separator or drive/stream syntax on the host

            bool isLast = pending.Count == 0;
            string candidate = Combine(root, resolved, component);
            bool follow = !isLast || followFinalSymlink || mustBeDirectory;
            string? linkTarget = new FileInfo(candidate).LinkTarget;
            if (linkTarget is not null && follow)
            {
                if (++expansions > MaxSymlinkExpansions) throw new WasiErrnoException(WasiErrno.Loop);
                if (linkTarget.Length == 0) throw new WasiErrnoException(WasiErrno.NoEnt);
                if (linkTarget[0] == '/' || IsHostRooted(linkTarget)) throw new WasiErrnoException(WasiErrno.NotCapable);
                if (isLast && linkTarget[^1] == '/') mustBeDirectory = true;
                PushComponents(pending, linkTarget);
                continue;
            }
            if (!isLast)
            {
                switch (Kind(candidate))
                {
                    case HostEntryKind.Directory: break;
                    case HostEntryKind.None: throw new WasiErrnoException(WasiErrno.NoEnt);
                    default: throw new WasiErrnoException(WasiErrno.NotDir);
                }
            }
            resolved.Add(component);
        }

        string hostPath = resolved.Count == 0 ? root : Combine(root, resolved, null);
        return new ResolvedPath(hostPath, resolved.Count == 0 ? null : resolved[^1], mustBeDirectory);
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

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    private static bool IsHostRooted(string path) => OperatingSystem.IsWindows() && Path.IsPathRooted(path);

    private static string Combine(string root, List<string> components, string? last)
    {
        var parts = new string[components.Count + 1 + (last is null ? 0 : 1)];
        parts[0] = root;
        components.CopyTo(parts, 1);
        if (last is not null) parts[^1] = last;
        return Path.Join(parts);
    }

    /// <summary>Classifies a host path without following a final symlink.</summary>
    public static HostEntryKind Kind(string hostPath)
    {
        var info = new FileInfo(hostPath);
        if (info.LinkTarget is not null) return HostEntryKind.Symlink;
        if (Directory.Exists(hostPath)) return HostEntryKind.Directory;
        return info.Exists ? HostEntryKind.File : HostEntryKind.None;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies below it (both canonical).</summary>
    public static bool IsWithin(string root, string path)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string trimmedRoot = Path.TrimEndingDirectorySeparator(root);
        if (string.Equals(trimmedRoot, Path.TrimEndingDirectorySeparator(path), comparison)) return true;
        return path.StartsWith(trimmedRoot + Path.DirectorySeparatorChar, comparison)
            || (trimmedRoot.Length > 0 && trimmedRoot[^1] == Path.DirectorySeparatorChar && path.StartsWith(trimmedRoot, comparison));
    }

    /// <summary>
    /// The canonical host path of an existing host directory, with every symlink in it resolved
    /// (used once per preopen, so the sandbox root itself contains no links).
    /// </summary>
    public static string GetRealPath(string hostPath)
    {
        string full = Path.GetFullPath(hostPath);
        string root = Path.GetPathRoot(full) ?? "/";
        var pending = new Stack<string>();
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
            pending.Push(part);
        string current = root;
        int expansions = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".") continue;
            if (part == "..") { current = Path.GetDirectoryName(current) ?? root; continue; }
            string candidate = Path.Join(current, part);
            string? target = new FileInfo(candidate).LinkTarget;
            if (target is null) { current = candidate; continue; }
            if (++expansions > MaxSymlinkExpansions) throw new IOException($"Too many symbolic links in '{hostPath}'.");
            if (Path.IsPathRooted(target))
            {
                string targetRoot = Path.GetPathRoot(target)!;
                current = targetRoot;
                target = target[targetRoot.Length..];
            }
            foreach (var piece in target.Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries).Reverse())
                pending.Push(piece);
        }
        return current;
    }
}
