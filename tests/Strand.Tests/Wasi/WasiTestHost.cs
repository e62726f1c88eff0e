using Xunit;
using System.Buffers.Binary;
using System.Text;
using Strand.Wasi;

namespace Strand.Tests.Wasi;

/// <summary>A WASI instance over a byte[] memory with a fresh temporary directory preopened as fd 3.</summary>
internal sealed class WasiTestHost : IDisposable
{
    public const int PreopenFd = 3;
    public const int StringArea = 1024, ResultArea = 4096, IovecArea = 512, BufferArea = 8192;

    public WasiTestHost(Action<WasiConfiguration>? configure = null, int memorySize = 65536)
    {
        Root = Path.Combine(Path.GetTempPath(), "strand-wasi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Stdout = new MemoryStream();
        Stderr = new MemoryStream();
        Stdin = new MemoryStream();
        var configuration = new WasiConfiguration()
            .WithStandardInput(Stdin).WithStandardOutput(Stdout).WithStandardError(Stderr)
            .WithPreopenedDirectory(Root, "/sandbox");
        configure?.Invoke(configuration);
        Context = configuration.Build();
        Memory = new ByteArrayGuestMemory(memorySize);
        Wasi = new WasiPreview1(Context, Memory);
    }

    public string Root { get; }
    public MemoryStream Stdin { get; }
    public MemoryStream Stdout { get; }
    public MemoryStream Stderr { get; }
    public WasiContext Context { get; }
    public ByteArrayGuestMemory Memory { get; }
    public WasiPreview1 Wasi { get; }
    public byte[] Bytes => Memory.Bytes;

    public static int E(WasiErrno errno) => (int)errno;

    /// <summary>Writes a UTF-8 string into guest memory at <paramref name="at"/>; returns its length.</summary>
    public int Put(string text, int at = StringArea)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        bytes.CopyTo(Bytes, at);
        return bytes.Length;
    }

    public void Put(byte[] bytes, int at) => bytes.CopyTo(Bytes, at);

    public uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(at));
    public ulong U64(int at) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(at));
    public ushort U16(int at) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(at));
    public void SetU32(int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(at), value);
    public void SetU64(int at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(at), value);
    public string Text(int at, int length) => Encoding.UTF8.GetString(Bytes, at, length);

    /// <summary>path_open relative to the preopen; returns the errno and (on success) the fd.</summary>
    public (int Errno, int Fd) Open(string path, WasiOpenFlags openFlags = 0, WasiRights rights = WasiRights.FdRead | WasiRights.FdWrite | WasiRights.FdSeek | WasiRights.FdTell | WasiRights.FdFilestatGet | WasiRights.FdReaddir,
        WasiFdFlags fdFlags = 0, int lookupFlags = 1, int dirFd = PreopenFd)
    {
        int length = Put(path);
        int errno = Wasi.PathOpen(dirFd, lookupFlags, StringArea, length, (int)openFlags, (long)rights, (long)rights, (int)fdFlags, ResultArea);
        return (errno, errno == 0 ? (int)U32(ResultArea) : -1);
    }

    public int OpenOk(string path, WasiOpenFlags openFlags = 0, WasiRights rights = WasiRights.FdRead | WasiRights.FdWrite | WasiRights.FdSeek | WasiRights.FdTell | WasiRights.FdFilestatGet | WasiRights.FdReaddir,
        WasiFdFlags fdFlags = 0)
    {
        var (errno, fd) = Open(path, openFlags, rights, fdFlags);
        Assert.Equal(0, errno);
        return fd;
    }

    /// <summary>fd_write of one buffer; returns errno and bytes written.</summary>
    public (int Errno, uint Count) Write(int fd, byte[] data)
    {
        Put(data, BufferArea);
        SetU32(IovecArea, BufferArea);
        SetU32(IovecArea + 4, (uint)data.Length);
        int errno = Wasi.FdWrite(fd, IovecArea, 1, ResultArea);
        return (errno, errno == 0 ? U32(ResultArea) : 0);
    }

    /// <summary>fd_read into one buffer; returns errno and the bytes read.</summary>
    public (int Errno, byte[] Data) Read(int fd, int capacity)
    {
        SetU32(IovecArea, BufferArea);
        SetU32(IovecArea + 4, (uint)capacity);
        int errno = Wasi.FdRead(fd, IovecArea, 1, ResultArea);
        return (errno, errno == 0 ? Bytes.AsSpan(BufferArea, (int)U32(ResultArea)).ToArray() : []);
    }

    public int PathCall(Func<int, int, int> call, string path) => call(StringArea, Put(path));

    public void Dispose()
    {
        Context.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
