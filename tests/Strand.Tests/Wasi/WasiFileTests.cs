using Xunit;
using System.Text;
using Strand.Wasi;
using static Strand.Tests.Wasi.WasiTestHost;

namespace Strand.Tests.Wasi;

public class WasiFileTests
{
    [Fact]
    public void WriteSeekTellReadRoundTrip()
    {
        using var host = new WasiTestHost();
        int fd = host.OpenOk("data.txt", WasiOpenFlags.Create);
        Assert.True(fd > 3);
        Assert.Equal((0, 11u), host.Write(fd, "hello world"u8.ToArray()));
        Assert.Equal("hello world", File.ReadAllText(Path.Combine(host.Root, "data.txt")));

        Assert.Equal(0, host.Wasi.FdTell(fd, ResultArea));
        Assert.Equal(11UL, host.U64(ResultArea));
        Assert.Equal(0, host.Wasi.FdSeek(fd, 6, 0, ResultArea));
        Assert.Equal(6UL, host.U64(ResultArea));
        var (errno, data) = host.Read(fd, 100);
        Assert.Equal(0, errno);
        Assert.Equal("world", Encoding.UTF8.GetString(data));

        Assert.Equal(0, host.Wasi.FdSeek(fd, -5, 2, ResultArea)); // from end
        Assert.Equal(6UL, host.U64(ResultArea));
        Assert.Equal(0, host.Wasi.FdSeek(fd, -1, 1, ResultArea)); // from current
        Assert.Equal(5UL, host.U64(ResultArea));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.FdSeek(fd, -100, 1, ResultArea));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.FdSeek(fd, 0, 3, ResultArea));
        Assert.Equal(0, host.Wasi.FdClose(fd));
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.FdClose(fd));
    }

    [Fact]
    public void ScatterGatherWriteAndRead()
    {
        using var host = new WasiTestHost();
        int fd = host.OpenOk("sg", WasiOpenFlags.Create);
        host.Put("abc"u8.ToArray(), BufferArea);
        host.Put("defgh"u8.ToArray(), BufferArea + 100);
        host.SetU32(IovecArea, BufferArea); host.SetU32(IovecArea + 4, 3);
        host.SetU32(IovecArea + 8, BufferArea + 100); host.SetU32(IovecArea + 12, 5);
        Assert.Equal(0, host.Wasi.FdWrite(fd, IovecArea, 2, ResultArea));
        Assert.Equal(8u, host.U32(ResultArea));

        // pread into two iovecs at offset 2 leaves the position alone.
        host.SetU32(IovecArea, BufferArea + 200); host.SetU32(IovecArea + 4, 2);
        host.SetU32(IovecArea + 8, BufferArea + 300); host.SetU32(IovecArea + 12, 10);
        Assert.Equal(0, host.Wasi.FdPread(fd, IovecArea, 2, 2, ResultArea));
        Assert.Equal(6u, host.U32(ResultArea));
        Assert.Equal("cd", host.Text(BufferArea + 200, 2));
        Assert.Equal("efgh", host.Text(BufferArea + 300, 4));
        Assert.Equal(0, host.Wasi.FdTell(fd, ResultArea));
        Assert.Equal(8UL, host.U64(ResultArea));

        host.Put("XY"u8.ToArray(), BufferArea);
        host.SetU32(IovecArea, BufferArea); host.SetU32(IovecArea + 4, 2);
        Assert.Equal(0, host.Wasi.FdPwrite(fd, IovecArea, 1, 1, ResultArea));
        Assert.Equal(2u, host.U32(ResultArea));
        Assert.Equal("aXYdefgh", File.ReadAllText(Path.Combine(host.Root, "sg")));
    }

    [Fact]
    public void AppendFlagWritesAtEnd()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "log"), "one;");
        int fd = host.OpenOk("log", 0, WasiRights.FdWrite | WasiRights.FdSeek | WasiRights.FdFdstatSetFlags, WasiFdFlags.Append);
        Assert.Equal(0, host.Wasi.FdSeek(fd, 0, 0, ResultArea));
        host.Write(fd, "two;"u8.ToArray());
        Assert.Equal("one;two;", File.ReadAllText(Path.Combine(host.Root, "log")));
        Assert.Equal(0, host.Wasi.FdFdstatGet(fd, ResultArea));
        Assert.Equal((ushort)WasiFdFlags.Append, host.U16(ResultArea + 2));
        Assert.Equal(0, host.Wasi.FdFdstatSetFlags(fd, 0));
        Assert.Equal(0, host.Wasi.FdFdstatGet(fd, ResultArea));
        Assert.Equal(0, host.U16(ResultArea + 2));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.FdFdstatSetFlags(fd, 0x100));
        Assert.Equal(0, host.Wasi.FdFdstatSetRights(fd, (long)WasiRights.FdWrite, 0));
        Assert.Equal(E(WasiErrno.NotCapable), host.Wasi.FdFdstatSetFlags(fd, 1));
    }

    [Fact]
    public void PathOpenFlags()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "existing"), "content");
        Directory.CreateDirectory(Path.Combine(host.Root, "dir"));

        Assert.Equal(E(WasiErrno.Exist), host.Open("existing", WasiOpenFlags.Create | WasiOpenFlags.Exclusive).Errno);
        Assert.Equal(E(WasiErrno.NotDir), host.Open("existing", WasiOpenFlags.Directory).Errno);
        Assert.Equal(E(WasiErrno.NoEnt), host.Open("missing").Errno);
        Assert.Equal(E(WasiErrno.NoEnt), host.Open("missing", WasiOpenFlags.Directory).Errno);
        Assert.Equal(E(WasiErrno.IsDir), host.Open("dir", 0, WasiRights.FdRead | WasiRights.FdWrite).Errno);
        Assert.Equal(E(WasiErrno.IsDir), host.Open("dir", WasiOpenFlags.Truncate).Errno);
        Assert.Equal(E(WasiErrno.Inval), host.Open("x", WasiOpenFlags.Create | WasiOpenFlags.Directory).Errno);
        Assert.Equal(E(WasiErrno.Inval), host.Open("x", (WasiOpenFlags)0x10).Errno);

        int fd = host.OpenOk("existing", WasiOpenFlags.Truncate);
        Assert.Equal(0L, new FileInfo(Path.Combine(host.Root, "existing")).Length);
        host.Wasi.FdClose(fd);

        int created = host.OpenOk("new", WasiOpenFlags.Create | WasiOpenFlags.Exclusive);
        Assert.True(File.Exists(Path.Combine(host.Root, "new")));
        host.Wasi.FdClose(created);

        int dirFd = host.OpenOk("dir", WasiOpenFlags.Directory, WasiRights.FdReaddir);
        Assert.Equal(0, host.Wasi.FdFdstatGet(dirFd, ResultArea));
        Assert.Equal((byte)WasiFileType.Directory, host.Bytes[ResultArea]);
        // A file descriptor is no directory to open paths in.
        var fileFd = host.OpenOk("new");
        Assert.Equal(E(WasiErrno.NotDir), host.Open("anything", dirFd: fileFd).Errno);
        Assert.Equal(E(WasiErrno.Badf), host.Open("anything", dirFd: 99).Errno);
    }

    [Fact]
    public void OpenedDescriptorRightsAreLimitedAndEnforced()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "ro"), "abc");
        int fd = host.OpenOk("ro", 0, WasiRights.FdRead | WasiRights.FdSeek | WasiRights.PathOpen);
        Assert.Equal(0, host.Wasi.FdFdstatGet(fd, ResultArea));
        Assert.Equal((byte)WasiFileType.RegularFile, host.Bytes[ResultArea]);
        // PathOpen does not apply to a regular file and is withheld.
        Assert.Equal((ulong)(WasiRights.FdRead | WasiRights.FdSeek), host.U64(ResultArea + 8));
        Assert.Equal(E(WasiErrno.NotCapable), host.Write(fd, "x"u8.ToArray()).Errno);
        Assert.Equal(E(WasiErrno.NotCapable), host.Wasi.FdTell(fd, ResultArea));
        // Rights can be dropped but never regained.
        Assert.Equal(0, host.Wasi.FdFdstatSetRights(fd, (long)WasiRights.FdRead, 0));
        Assert.Equal(E(WasiErrno.NotCapable), host.Wasi.FdFdstatSetRights(fd, (long)(WasiRights.FdRead | WasiRights.FdSeek), 0));
        Assert.Equal(E(WasiErrno.NotCapable), host.Wasi.FdSeek(fd, 1, 0, ResultArea));
        Assert.Equal("abc", Encoding.UTF8.GetString(host.Read(fd, 10).Data));
    }

    [Fact]
    public void ReadOnlyPreopenWithholdsMutatingRights()
    {
        var other = Path.Combine(Path.GetTempPath(), "strand-wasi-ro-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "f"), "data");
        try
        {
            using var host = new WasiTestHost(c => c.WithPreopenedDirectory(other, "ro", readOnly: true));
            int roFd = PreopenFd + 1;
            Assert.Equal(E(WasiErrno.NotCapable), host.Open("g", WasiOpenFlags.Create, dirFd: roFd).Errno);
            Assert.Equal(E(WasiErrno.NotCapable), host.PathCall((p, l) => host.Wasi.PathUnlinkFile(roFd, p, l), "f"));
            var (errno, fd) = host.Open("f", 0, WasiRights.FdRead | WasiRights.FdWrite, dirFd: roFd);
            Assert.Equal(0, errno);
            Assert.Equal(E(WasiErrno.NotCapable), host.Write(fd, "x"u8.ToArray()).Errno);
            Assert.Equal("data", Encoding.UTF8.GetString(host.Read(fd, 10).Data));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public void FilestatReportsTypeSizeAndInode()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "f"), "12345");
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 1, p, l, ResultArea), "f"));
        Assert.Equal((byte)WasiFileType.RegularFile, host.Bytes[ResultArea + 16]);
        Assert.Equal(5UL, host.U64(ResultArea + 32));
        Assert.Equal(1UL, host.U64(ResultArea + 24));
        ulong inode = host.U64(ResultArea + 8);
        Assert.NotEqual(0UL, inode);
        ulong mtime = host.U64(ResultArea + 48);
        Assert.InRange(mtime, (ulong)(DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds()) * 1_000_000UL, ulong.MaxValue);

        int fd = host.OpenOk("f", 0, WasiRights.FdFilestatGet | WasiRights.FdFilestatSetSize);
        Assert.Equal(0, host.Wasi.FdFilestatGet(fd, ResultArea + 256));
        Assert.Equal(inode, host.U64(ResultArea + 256 + 8));
        Assert.Equal(0, host.Wasi.FdFilestatSetSize(fd, 2));
        Assert.Equal(0, host.Wasi.FdFilestatGet(fd, ResultArea + 256));
        Assert.Equal(2UL, host.U64(ResultArea + 256 + 32));

        Assert.Equal(0, host.Wasi.FdFilestatGet(PreopenFd, ResultArea));
        Assert.Equal((byte)WasiFileType.Directory, host.Bytes[ResultArea + 16]);
        Assert.Equal(E(WasiErrno.NoEnt), host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), "nope"));
        Assert.Equal(E(WasiErrno.NotDir), host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), "f/"));
        Assert.Equal(E(WasiErrno.Inval), host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 2, p, l, ResultArea), "f"));
    }

    [Fact]
    public void FilestatSetTimes()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "f"), "x");
        const long mtime = 1_000_000_000L * 1_600_000_000L + 123_456_700L;
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatSetTimes(PreopenFd, 0, p, l, 0, mtime, 4 /* MTIM */), "f"));
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), "f"));
        ulong reported = host.U64(ResultArea + 48);
        Assert.InRange(reported, (ulong)mtime - 1000, (ulong)mtime + 1000); // managed fallback has 100ns ticks
        Assert.Equal(E(WasiErrno.Inval), host.PathCall((p, l) => host.Wasi.PathFilestatSetTimes(PreopenFd, 0, p, l, 0, mtime, 4 | 8), "f"));
        Assert.Equal(E(WasiErrno.Inval), host.PathCall((p, l) => host.Wasi.PathFilestatSetTimes(PreopenFd, 0, p, l, 0, 0, 1 | 2), "f"));

        int fd = host.OpenOk("f", 0, WasiRights.FdFilestatSetTimes | WasiRights.FdFilestatGet | WasiRights.FdRead);
        Assert.Equal(0, host.Wasi.FdFilestatSetTimes(fd, mtime, 0, 1 /* ATIM */));
        Assert.Equal(0, host.Wasi.FdFilestatGet(fd, ResultArea));
        Assert.InRange(host.U64(ResultArea + 40), (ulong)mtime - 1000, (ulong)mtime + 1000);
    }

    [Fact]
    public void AllocateExtendsButNeverShrinks()
    {
        using var host = new WasiTestHost();
        int fd = host.OpenOk("a", WasiOpenFlags.Create, WasiRights.FdAllocate | WasiRights.FdWrite | WasiRights.FdAdvise);
        Assert.Equal(0, host.Wasi.FdAllocate(fd, 10, 90));
        Assert.Equal(100L, new FileInfo(Path.Combine(host.Root, "a")).Length);
        Assert.Equal(0, host.Wasi.FdAllocate(fd, 0, 10));
        Assert.Equal(100L, new FileInfo(Path.Combine(host.Root, "a")).Length);
        Assert.Equal(0, host.Wasi.FdAdvise(fd, 0, 100, 2));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.FdAdvise(fd, 0, 100, 6));
        Assert.Equal(0, host.Wasi.FdSync(PreopenFd));
    }

    [Fact]
    public void RenumberMovesDescriptor()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "a"), "A");
        File.WriteAllText(Path.Combine(host.Root, "b"), "B");
        int a = host.OpenOk("a"), b = host.OpenOk("b");
        Assert.Equal(0, host.Wasi.FdRenumber(a, b));
        Assert.Equal("A", Encoding.UTF8.GetString(host.Read(b, 5).Data));
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.FdFdstatGet(a, ResultArea));
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.FdRenumber(b, 77));
        // The freed number is reused for the next open (lowest free descriptor).
        Assert.Equal(a, host.OpenOk("a"));
    }

    [Fact]
    public void DirectoryDescriptorRejectsFileOperations()
    {
        using var host = new WasiTestHost();
        Assert.Equal(E(WasiErrno.Badf), host.Read(PreopenFd, 4).Errno);
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.FdSeek(PreopenFd, 0, 0, ResultArea));
        int fd = host.OpenOk("f", WasiOpenFlags.Create);
        Assert.Equal(E(WasiErrno.NotDir), host.Wasi.FdReaddir(fd, BufferArea, 100, 0, ResultArea));
    }
}
