namespace Strand.Wasi;

/// <summary>WASI preview 1 error codes (<c>$errno</c>, u16). Values are the witx enum ordinals.</summary>
public enum WasiErrno : ushort
{
    Success = 0, TooBig = 1, Acces = 2, AddrInUse = 3, AddrNotAvail = 4, AfNoSupport = 5, Again = 6, Already = 7,
    Badf = 8, BadMsg = 9, Busy = 10, Canceled = 11, Child = 12, ConnAborted = 13, ConnRefused = 14, ConnReset = 15,
    Deadlk = 16, DestAddrReq = 17, Dom = 18, Dquot = 19, Exist = 20, Fault = 21, Fbig = 22, HostUnreach = 23,
    Idrm = 24, Ilseq = 25, InProgress = 26, Intr = 27, Inval = 28, Io = 29, IsConn = 30, IsDir = 31,
    Loop = 32, Mfile = 33, Mlink = 34, MsgSize = 35, Multihop = 36, NameTooLong = 37, NetDown = 38, NetReset = 39,
    NetUnreach = 40, Nfile = 41, NoBufs = 42, NoDev = 43, NoEnt = 44, NoExec = 45, NoLck = 46, NoLink = 47,
    NoMem = 48, NoMsg = 49, NoProtoOpt = 50, NoSpc = 51, NoSys = 52, NotConn = 53, NotDir = 54, NotEmpty = 55,
    NotRecoverable = 56, NotSock = 57, NotSup = 58, NotTy = 59, Nxio = 60, Overflow = 61, OwnerDead = 62, Perm = 63,
    Pipe = 64, Proto = 65, ProtoNoSupport = 66, ProtoType = 67, Range = 68, Rofs = 69, Spipe = 70, Srch = 71,
    Stale = 72, TimedOut = 73, TxtBsy = 74, Xdev = 75, NotCapable = 76,
}

/// <summary>File descriptor rights (<c>$rights</c>, u64 flags).</summary>
[Flags]
public enum WasiRights : ulong
{
    None = 0,
    FdDatasync = 1UL << 0,
    FdRead = 1UL << 1,
    FdSeek = 1UL << 2,
    FdFdstatSetFlags = 1UL << 3,
    FdSync = 1UL << 4,
    FdTell = 1UL << 5,
    FdWrite = 1UL << 6,
    FdAdvise = 1UL << 7,
    FdAllocate = 1UL << 8,
    PathCreateDirectory = 1UL << 9,
    PathCreateFile = 1UL << 10,
    PathLinkSource = 1UL << 11,
    PathLinkTarget = 1UL << 12,
    PathOpen = 1UL << 13,
    FdReaddir = 1UL << 14,
    PathReadlink = 1UL << 15,
    PathRenameSource = 1UL << 16,
    PathRenameTarget = 1UL << 17,
    PathFilestatGet = 1UL << 18,
    PathFilestatSetSize = 1UL << 19,
    PathFilestatSetTimes = 1UL << 20,
    FdFilestatGet = 1UL << 21,
    FdFilestatSetSize = 1UL << 22,
    FdFilestatSetTimes = 1UL << 23,
    PathSymlink = 1UL << 24,
    PathRemoveDirectory = 1UL << 25,
    PathUnlinkFile = 1UL << 26,
    PollFdReadwrite = 1UL << 27,
    SockShutdown = 1UL << 28,
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
    None = 0, Append = 1, Dsync = 2, NonBlock = 4, Rsync = 8, Sync = 16,
    All = Append | Dsync | NonBlock | Rsync | Sync,
}

/// <summary>Open flags of <c>path_open</c> (<c>$oflags</c>, u16).</summary>
[Flags]
public enum WasiOpenFlags : ushort
{
    None = 0, Create = 1, Directory = 2, Exclusive = 4, Truncate = 8,
    All = Create | Directory | Exclusive | Truncate,
}

/// <summary>File types (<c>$filetype</c>, u8).</summary>
public enum WasiFileType : byte
{
    Unknown = 0, BlockDevice = 1, CharacterDevice = 2, Directory = 3, RegularFile = 4,
    SocketDgram = 5, SocketStream = 6, SymbolicLink = 7,
}

/// <summary>Clock identifiers (<c>$clockid</c>, u32).</summary>
public enum WasiClockId : uint
{
    Realtime = 0, Monotonic = 1, ProcessCpuTime = 2, ThreadCpuTime = 3,
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
