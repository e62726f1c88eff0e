namespace Strand.Wasi;

/// <summary>WASI preview 1 error codes (<c>$errno</c>, u16). Values are the witx enum ordinals.</summary>
public enum WasiErrno : ushort
{
    /// <summary><c>errno::success</c>: no error</summary>
    Success = 0,
    /// <summary><c>errno::2big</c>: E2BIG: argument list too long</summary>
    TooBig = 1,
    /// <summary><c>errno::acces</c>: EACCES: permission denied</summary>
    Acces = 2,
    /// <summary><c>errno::addrinuse</c>: EADDRINUSE (the POSIX error of that name).</summary>
    AddrInUse = 3,
    /// <summary><c>errno::addrnotavail</c>: EADDRNOTAVAIL (the POSIX error of that name).</summary>
    AddrNotAvail = 4,
    /// <summary><c>errno::afnosupport</c>: EAFNOSUPPORT (the POSIX error of that name).</summary>
    AfNoSupport = 5,
    /// <summary><c>errno::again</c>: EAGAIN (the POSIX error of that name).</summary>
    Again = 6,
    /// <summary><c>errno::already</c>: EALREADY (the POSIX error of that name).</summary>
    Already = 7,
    /// <summary><c>errno::badf</c>: EBADF: bad file descriptor</summary>
    Badf = 8,
    /// <summary><c>errno::badmsg</c>: EBADMSG (the POSIX error of that name).</summary>
    BadMsg = 9,
    /// <summary><c>errno::busy</c>: EBUSY (the POSIX error of that name).</summary>
    Busy = 10,
    /// <summary><c>errno::canceled</c>: ECANCELED (the POSIX error of that name).</summary>
    Canceled = 11,
    /// <summary><c>errno::child</c>: ECHILD (the POSIX error of that name).</summary>
    Child = 12,
    /// <summary><c>errno::connaborted</c>: ECONNABORTED (the POSIX error of that name).</summary>
    ConnAborted = 13,
    /// <summary><c>errno::connrefused</c>: ECONNREFUSED (the POSIX error of that name).</summary>
    ConnRefused = 14,
    /// <summary><c>errno::connreset</c>: ECONNRESET (the POSIX error of that name).</summary>
    ConnReset = 15,
    /// <summary><c>errno::deadlk</c>: EDEADLK (the POSIX error of that name).</summary>
    Deadlk = 16,
    /// <summary><c>errno::destaddrreq</c>: EDESTADDRREQ (the POSIX error of that name).</summary>
    DestAddrReq = 17,
    /// <summary><c>errno::dom</c>: EDOM (the POSIX error of that name).</summary>
    Dom = 18,
    /// <summary><c>errno::dquot</c>: EDQUOT (the POSIX error of that name).</summary>
    Dquot = 19,
    /// <summary><c>errno::exist</c>: EEXIST (the POSIX error of that name).</summary>
    Exist = 20,
    /// <summary><c>errno::fault</c>: EFAULT (the POSIX error of that name).</summary>
    Fault = 21,
    /// <summary><c>errno::fbig</c>: EFBIG (the POSIX error of that name).</summary>
    Fbig = 22,
    /// <summary><c>errno::hostunreach</c>: EHOSTUNREACH (the POSIX error of that name).</summary>
    HostUnreach = 23,
    /// <summary><c>errno::idrm</c>: EIDRM (the POSIX error of that name).</summary>
    Idrm = 24,
    /// <summary><c>errno::ilseq</c>: EILSEQ (the POSIX error of that name).</summary>
    Ilseq = 25,
    /// <summary><c>errno::inprogress</c>: EINPROGRESS (the POSIX error of that name).</summary>
    InProgress = 26,
    /// <summary><c>errno::intr</c>: EINTR (the POSIX error of that name).</summary>
    Intr = 27,
    /// <summary><c>errno::inval</c>: EINVAL (the POSIX error of that name).</summary>
    Inval = 28,
    /// <summary><c>errno::io</c>: EIO (the POSIX error of that name).</summary>
    Io = 29,
    /// <summary><c>errno::isconn</c>: EISCONN (the POSIX error of that name).</summary>
    IsConn = 30,
    /// <summary><c>errno::isdir</c>: EISDIR (the POSIX error of that name).</summary>
    IsDir = 31,
    /// <summary><c>errno::loop</c>: ELOOP (the POSIX error of that name).</summary>
    Loop = 32,
    /// <summary><c>errno::mfile</c>: EMFILE (the POSIX error of that name).</summary>
    Mfile = 33,
    /// <summary><c>errno::mlink</c>: EMLINK (the POSIX error of that name).</summary>
    Mlink = 34,
    /// <summary><c>errno::msgsize</c>: EMSGSIZE (the POSIX error of that name).</summary>
    MsgSize = 35,
    /// <summary><c>errno::multihop</c>: EMULTIHOP (the POSIX error of that name).</summary>
    Multihop = 36,
    /// <summary><c>errno::nametoolong</c>: ENAMETOOLONG (the POSIX error of that name).</summary>
    NameTooLong = 37,
    /// <summary><c>errno::netdown</c>: ENETDOWN (the POSIX error of that name).</summary>
    NetDown = 38,
    /// <summary><c>errno::netreset</c>: ENETRESET (the POSIX error of that name).</summary>
    NetReset = 39,
    /// <summary><c>errno::netunreach</c>: ENETUNREACH (the POSIX error of that name).</summary>
    NetUnreach = 40,
    /// <summary><c>errno::nfile</c>: ENFILE (the POSIX error of that name).</summary>
    Nfile = 41,
    /// <summary><c>errno::nobufs</c>: ENOBUFS (the POSIX error of that name).</summary>
    NoBufs = 42,
    /// <summary><c>errno::nodev</c>: ENODEV (the POSIX error of that name).</summary>
    NoDev = 43,
    /// <summary><c>errno::noent</c>: ENOENT (the POSIX error of that name).</summary>
    NoEnt = 44,
    /// <summary><c>errno::noexec</c>: ENOEXEC (the POSIX error of that name).</summary>
    NoExec = 45,
    /// <summary><c>errno::nolck</c>: ENOLCK (the POSIX error of that name).</summary>
    NoLck = 46,
    /// <summary><c>errno::nolink</c>: ENOLINK (the POSIX error of that name).</summary>
    NoLink = 47,
    /// <summary><c>errno::nomem</c>: ENOMEM (the POSIX error of that name).</summary>
    NoMem = 48,
    /// <summary><c>errno::nomsg</c>: ENOMSG (the POSIX error of that name).</summary>
    NoMsg = 49,
    /// <summary><c>errno::noprotoopt</c>: ENOPROTOOPT (the POSIX error of that name).</summary>
    NoProtoOpt = 50,
    /// <summary><c>errno::nospc</c>: ENOSPC (the POSIX error of that name).</summary>
    NoSpc = 51,
    /// <summary><c>errno::nosys</c>: ENOSYS (the POSIX error of that name).</summary>
    NoSys = 52,
    /// <summary><c>errno::notconn</c>: ENOTCONN (the POSIX error of that name).</summary>
    NotConn = 53,
    /// <summary><c>errno::notdir</c>: ENOTDIR (the POSIX error of that name).</summary>
    NotDir = 54,
    /// <summary><c>errno::notempty</c>: ENOTEMPTY (the POSIX error of that name).</summary>
    NotEmpty = 55,
    /// <summary><c>errno::notrecoverable</c>: ENOTRECOVERABLE (the POSIX error of that name).</summary>
    NotRecoverable = 56,
    /// <summary><c>errno::notsock</c>: ENOTSOCK (the POSIX error of that name).</summary>
    NotSock = 57,
    /// <summary><c>errno::notsup</c>: ENOTSUP (the POSIX error of that name).</summary>
    NotSup = 58,
    /// <summary><c>errno::notty</c>: ENOTTY (the POSIX error of that name).</summary>
    NotTy = 59,
    /// <summary><c>errno::nxio</c>: ENXIO (the POSIX error of that name).</summary>
    Nxio = 60,
    /// <summary><c>errno::overflow</c>: EOVERFLOW (the POSIX error of that name).</summary>
    Overflow = 61,
    /// <summary><c>errno::ownerdead</c>: EOWNERDEAD (the POSIX error of that name).</summary>
    OwnerDead = 62,
    /// <summary><c>errno::perm</c>: EPERM (the POSIX error of that name).</summary>
    Perm = 63,
    /// <summary><c>errno::pipe</c>: EPIPE (the POSIX error of that name).</summary>
    Pipe = 64,
    /// <summary><c>errno::proto</c>: EPROTO (the POSIX error of that name).</summary>
    Proto = 65,
    /// <summary><c>errno::protonosupport</c>: EPROTONOSUPPORT (the POSIX error of that name).</summary>
    ProtoNoSupport = 66,
    /// <summary><c>errno::prototype</c>: EPROTOTYPE (the POSIX error of that name).</summary>
    ProtoType = 67,
    /// <summary><c>errno::range</c>: ERANGE (the POSIX error of that name).</summary>
    Range = 68,
    /// <summary><c>errno::rofs</c>: EROFS (the POSIX error of that name).</summary>
    Rofs = 69,
    /// <summary><c>errno::spipe</c>: ESPIPE: invalid seek</summary>
    Spipe = 70,
    /// <summary><c>errno::srch</c>: ESRCH (the POSIX error of that name).</summary>
    Srch = 71,
    /// <summary><c>errno::stale</c>: ESTALE (the POSIX error of that name).</summary>
    Stale = 72,
    /// <summary><c>errno::timedout</c>: ETIMEDOUT (the POSIX error of that name).</summary>
    TimedOut = 73,
    /// <summary><c>errno::txtbsy</c>: ETXTBSY (the POSIX error of that name).</summary>
    TxtBsy = 74,
    /// <summary><c>errno::xdev</c>: EXDEV (the POSIX error of that name).</summary>
    Xdev = 75,
    /// <summary><c>errno::notcapable</c>: ENOTCAPABLE: the descriptor lacks the rights for the operation (WASI's own code)</summary>
    NotCapable = 76,
}

/// <summary>File descriptor rights (<c>$rights</c>, u64 flags).</summary>
[Flags]
public enum WasiRights : ulong
{
    /// <summary>No rights.</summary>
    None = 0,
    /// <summary>The right <c>rights::fd_datasync</c>.</summary>
    FdDatasync = 1UL << 0,
    /// <summary>The right <c>rights::fd_read</c>.</summary>
    FdRead = 1UL << 1,
    /// <summary>The right <c>rights::fd_seek</c>.</summary>
    FdSeek = 1UL << 2,
    /// <summary>The right <c>rights::fd_fdstat_set_flags</c>.</summary>
    FdFdstatSetFlags = 1UL << 3,
    /// <summary>The right <c>rights::fd_sync</c>.</summary>
    FdSync = 1UL << 4,
    /// <summary>The right <c>rights::fd_tell</c>.</summary>
    FdTell = 1UL << 5,
    /// <summary>The right <c>rights::fd_write</c>.</summary>
    FdWrite = 1UL << 6,
    /// <summary>The right <c>rights::fd_advise</c>.</summary>
    FdAdvise = 1UL << 7,
    /// <summary>The right <c>rights::fd_allocate</c>.</summary>
    FdAllocate = 1UL << 8,
    /// <summary>The right <c>rights::path_create_directory</c>.</summary>
    PathCreateDirectory = 1UL << 9,
    /// <summary>The right <c>rights::path_create_file</c>.</summary>
    PathCreateFile = 1UL << 10,
    /// <summary>The right <c>rights::path_link_source</c>.</summary>
    PathLinkSource = 1UL << 11,
    /// <summary>The right <c>rights::path_link_target</c>.</summary>
    PathLinkTarget = 1UL << 12,
    /// <summary>The right <c>rights::path_open</c>.</summary>
    PathOpen = 1UL << 13,
    /// <summary>The right <c>rights::fd_readdir</c>.</summary>
    FdReaddir = 1UL << 14,
    /// <summary>The right <c>rights::path_readlink</c>.</summary>
    PathReadlink = 1UL << 15,
    /// <summary>The right <c>rights::path_rename_source</c>.</summary>
    PathRenameSource = 1UL << 16,
    /// <summary>The right <c>rights::path_rename_target</c>.</summary>
    PathRenameTarget = 1UL << 17,
    /// <summary>The right <c>rights::path_filestat_get</c>.</summary>
    PathFilestatGet = 1UL << 18,
    /// <summary>The right <c>rights::path_filestat_set_size</c>.</summary>
    PathFilestatSetSize = 1UL << 19,
    /// <summary>The right <c>rights::path_filestat_set_times</c>.</summary>
    PathFilestatSetTimes = 1UL << 20,
    /// <summary>The right <c>rights::fd_filestat_get</c>.</summary>
    FdFilestatGet = 1UL << 21,
    /// <summary>The right <c>rights::fd_filestat_set_size</c>.</summary>
    FdFilestatSetSize = 1UL << 22,
    /// <summary>The right <c>rights::fd_filestat_set_times</c>.</summary>
    FdFilestatSetTimes = 1UL << 23,
    /// <summary>The right <c>rights::path_symlink</c>.</summary>
    PathSymlink = 1UL << 24,
    /// <summary>The right <c>rights::path_remove_directory</c>.</summary>
    PathRemoveDirectory = 1UL << 25,
    /// <summary>The right <c>rights::path_unlink_file</c>.</summary>
    PathUnlinkFile = 1UL << 26,
    /// <summary>The right <c>rights::poll_fd_readwrite</c>.</summary>
    PollFdReadwrite = 1UL << 27,
    /// <summary>The right <c>rights::sock_shutdown</c>.</summary>
    SockShutdown = 1UL << 28,
    /// <summary>The right <c>rights::sock_accept</c>.</summary>
    SockAccept = 1UL << 29,

    /// <summary>Every right defined by the snapshot.</summary>
    All = (1UL << 30) - 1,

    /// <summary>Rights meaningful on a regular file descriptor.</summary>
    RegularFile = FdDatasync | FdRead | FdSeek | FdFdstatSetFlags | FdSync | FdTell | FdWrite | FdAdvise | FdAllocate
        | FdFilestatGet | FdFilestatSetSize | FdFilestatSetTimes | PollFdReadwrite,

    /// <summary>Rights meaningful on a directory descriptor.</summary>
    Directory = FdFdstatSetFlags | FdSync | FdDatasync | PathCreateDirectory | PathCreateFile | PathLinkSource | PathLinkTarget
        | PathOpen | FdReaddir | PathReadlink | PathRenameSource | PathRenameTarget | PathFilestatGet
        | PathFilestatSetSize | PathFilestatSetTimes | FdFilestatGet | FdFilestatSetTimes | PathSymlink
        | PathRemoveDirectory | PathUnlinkFile,

    /// <summary>Rights that modify the file system or file contents (removed for read-only preopens).</summary>
    Mutating = FdDatasync | FdWrite | FdAllocate | PathCreateDirectory | PathCreateFile | PathLinkSource | PathLinkTarget
        | PathRenameSource | PathRenameTarget | PathFilestatSetSize | PathFilestatSetTimes | FdFilestatSetSize
        | FdFilestatSetTimes | PathSymlink | PathRemoveDirectory | PathUnlinkFile,
}

/// <summary>File descriptor flags (<c>$fdflags</c>, u16).</summary>
[Flags]
public enum WasiFdFlags : ushort
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>Writes append to the end of the file.</summary>
    Append = 1,
    /// <summary>Writes are data-synchronised.</summary>
    Dsync = 2,
    /// <summary>Non-blocking mode.</summary>
    NonBlock = 4,
    /// <summary>Reads are synchronised.</summary>
    Rsync = 8,
    /// <summary>Writes are synchronised (data and metadata).</summary>
    Sync = 16,
    /// <summary>Every flag.</summary>
    All = Append | Dsync | NonBlock | Rsync | Sync,
}

/// <summary>Open flags of <c>path_open</c> (<c>$oflags</c>, u16).</summary>
[Flags]
public enum WasiOpenFlags : ushort
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>Create the file if it does not exist.</summary>
    Create = 1,
    /// <summary>Fail unless the path is a directory.</summary>
    Directory = 2,
    /// <summary>Fail if the file exists.</summary>
    Exclusive = 4,
    /// <summary>Truncate the file to size 0.</summary>
    Truncate = 8,
    /// <summary>Every flag.</summary>
    All = Create | Directory | Exclusive | Truncate,
}

/// <summary>File types (<c>$filetype</c>, u8).</summary>
public enum WasiFileType : byte
{
    /// <summary>The type is unknown or not one of the others.</summary>
    Unknown = 0,
    /// <summary>A block device.</summary>
    BlockDevice = 1,
    /// <summary>A character device.</summary>
    CharacterDevice = 2,
    /// <summary>A directory.</summary>
    Directory = 3,
    /// <summary>A regular file.</summary>
    RegularFile = 4,
    /// <summary>A datagram socket.</summary>
    SocketDgram = 5,
    /// <summary>A byte-stream socket.</summary>
    SocketStream = 6,
    /// <summary>A symbolic link.</summary>
    SymbolicLink = 7,
}

/// <summary>Clock identifiers (<c>$clockid</c>, u32).</summary>
public enum WasiClockId : uint
{
    /// <summary>Wall-clock time (nanoseconds since the Unix epoch).</summary>
    Realtime = 0,
    /// <summary>A clock that never goes backwards (nanoseconds from an arbitrary start).</summary>
    Monotonic = 1,
    /// <summary>CPU time of the process.</summary>
    ProcessCpuTime = 2,
    /// <summary>CPU time of the calling thread.</summary>
    ThreadCpuTime = 3,
}

/// <summary>Flag values and struct layouts of wasi_snapshot_preview1 that are not worth an enum.</summary>
internal static class WasiAbi
{
    public const uint LookupSymlinkFollow = 1;

    public const int FstAtim = 1, FstAtimNow = 2, FstMtim = 4, FstMtimNow = 8;

    public const int WhenceSet = 0, WhenceCur = 1, WhenceEnd = 2;

    public const byte EventTypeClock = 0, EventTypeFdRead = 1, EventTypeFdWrite = 2;
    public const int SubscriptionClockAbstime = 1;

    public const byte PreopenTypeDir = 0;

    // Struct sizes (bytes) and alignments from the witx layout rules.
    public const uint IovecSize = 8, IovecAlign = 4;
    public const uint FdstatSize = 24, FdstatAlign = 8;
    public const uint FilestatSize = 64, FilestatAlign = 8;
    public const uint DirentSize = 24;
    public const uint PrestatSize = 8, PrestatAlign = 4;
    public const uint SubscriptionSize = 48, SubscriptionAlign = 8;
    public const uint EventSize = 32, EventAlign = 8;
}
