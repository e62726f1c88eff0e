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

    /// <summary>
    /// fd_fdstat_set_rights: keeps only <paramref name="rightsBase"/> and <paramref name="rightsInheriting"/>, which must be
    /// held already (ENOTCAPABLE otherwise). Atomic: two threads restricting at once cannot bring back a right that one of
    /// them dropped (a check against the old rights, then a write after the other's).
    /// </summary>
    public void Restrict(WasiRights rightsBase, WasiRights rightsInheriting)
    {
        lock (_rightsLock)
        {
            if ((rightsBase & ~RightsBase) != 0 || (rightsInheriting & ~RightsInheriting) != 0)
                throw new WasiErrnoException(WasiErrno.NotCapable);
            RightsBase = rightsBase;
            RightsInheriting = rightsInheriting;
        }
    }

    private readonly Lock _rightsLock = new();

    public virtual void Close() { }
}

/// <summary>
/// Standard input/output/error, backed by a caller-owned stream (never disposed here). <see cref="FileType"/>
/// is what the stream really is (the host's terminal, file or pipe for the process's own streams), so
/// wasi-libc's <c>isatty</c> is true only for a terminal and a redirected stdout is fully buffered.
/// </summary>
internal sealed class StreamDescriptor(Stream stream, WasiFileType fileType) : WasiDescriptor
{
    public Stream Stream { get; } = stream;

    public override WasiFileType FileType { get; } = fileType;
}

/// <summary>An open host file (regular file or device), opened through a directory handle, with its own offset.</summary>
internal sealed class FileDescriptor(FileStream stream, WasiFileType fileType) : WasiDescriptor
{
    public FileStream Stream { get; } = stream;

    public override WasiFileType FileType { get; } = fileType;

    public override void Close() => Stream.Dispose();
}

/// <summary>
/// An open directory: an OS directory handle (<c>O_RDONLY | O_DIRECTORY</c>), not a path, so it keeps
/// naming the same directory wherever that directory is moved. It is the sandbox root for every path
/// resolved relative to it.
/// </summary>
internal sealed class DirectoryDescriptor(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string? preopenName) : WasiDescriptor
{
    public Microsoft.Win32.SafeHandles.SafeFileHandle Handle { get; } = handle;

    /// <summary>The guest-visible name for preopens (fd_prestat_*), null otherwise.</summary>
    public string? PreopenName { get; } = preopenName;

    /// <summary>
    /// The listing fd_readdir serves cookies from, retaken whenever the guest reads from cookie 0 (or none is kept).
    /// Kept only within the context's budget (<see cref="WasiContext.ListingBudget"/>): set it with
    /// <see cref="WasiContext.KeepListing"/>, which accounts for it.
    /// </summary>
    public List<DirectoryEntry>? Listing { get; set; }

    /// <summary>Guards <see cref="Listing"/> and its accounting.</summary>
    public Lock ListingLock { get; } = new();

    /// <summary>Set (under <see cref="ListingLock"/>) once the descriptor left the table: a call still listing it keeps nothing.</summary>
    public bool ListingRetired { get; set; }

    public override WasiFileType FileType => WasiFileType.Directory;

    public override void Close() => Handle.Dispose();
}
