namespace Strand.Wasi;

/// <summary>One entry of the guest's descriptor table.</summary>
internal abstract class WasiDescriptor
{
    public WasiRights RightsBase { get; set; }

    public WasiRights RightsInheriting { get; set; }

    public WasiFdFlags Flags { get; set; }

    public abstract WasiFileType FileType { get; }

    public bool Has(WasiRights rights) => (RightsBase & rights) == rights;

    /// <summary>Throws ENOTCAPABLE unless every right in <paramref name="rights"/> is held.</summary>
    public void Require(WasiRights rights)
    {
        if (!Has(rights)) throw new WasiErrnoException(WasiErrno.NotCapable);
    }

    public virtual void Close() { }
}

/// <summary>Standard input/output/error, backed by a caller-owned stream (never disposed here).</summary>
internal sealed class StreamDescriptor(Stream stream, bool isConsole) : WasiDescriptor
{
    public Stream Stream { get; } = stream;

    public bool IsConsole { get; } = isConsole;

    public override WasiFileType FileType => IsConsole ? WasiFileType.CharacterDevice : WasiFileType.Unknown;
}

/// <summary>An open host file (regular file or device) with its own offset.</summary>
internal sealed class FileDescriptor(FileStream stream, string hostPath, WasiFileType fileType) : WasiDescriptor
{
    public FileStream Stream { get; } = stream;

    public string HostPath { get; } = hostPath;

    public override WasiFileType FileType { get; } = fileType;

    public override void Close() => Stream.Dispose();
}

/// <summary>
/// An open directory. .NET cannot hold a directory handle portably, so the descriptor is its
/// canonical host path (with no symlinks in it at open time); it is the sandbox root for every path
/// resolved relative to it.
/// </summary>
internal sealed class DirectoryDescriptor(string hostPath, string? preopenName) : WasiDescriptor
{
    public string HostPath { get; } = hostPath;

    /// <summary>The guest-visible name for preopens (fd_prestat_*), null otherwise.</summary>
    public string? PreopenName { get; } = preopenName;

    /// <summary>The listing fd_readdir serves cookies from; retaken whenever the guest reads from cookie 0.</summary>
    public List<DirectoryEntry>? Listing { get; set; }

    public override WasiFileType FileType => WasiFileType.Directory;
}

internal sealed record DirectoryEntry(byte[] Name, ulong Inode, WasiFileType FileType);
