using Xunit;
using Strand.Wasi;
using static Strand.Tests.Wasi.WasiTestHost;

namespace Strand.Tests.Wasi;

public class WasiSandboxTests
{
    [Theory]
    [InlineData("../x")]
    [InlineData("..")]
    [InlineData("a/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("/")]
    public void EscapingPathsAreRefusedWithEnotcapable(string path)
    {
        using var host = new WasiTestHost();
        Directory.CreateDirectory(Path.Combine(host.Root, "a"));
        Assert.Equal(E(WasiErrno.NotCapable), host.Open(path).Errno);
        Assert.Equal(E(WasiErrno.NotCapable), host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 1, p, l, ResultArea), path));
        Assert.Equal(E(WasiErrno.NotCapable), host.PathCall((p, l) => host.Wasi.PathCreateDirectory(PreopenFd, p, l), path + "/new"));
    }

    [Fact]
    public void DotDotInsideTheRootIsFine()
    {
        using var host = new WasiTestHost();
        Directory.CreateDirectory(Path.Combine(host.Root, "dir", "nested"));
        File.WriteAllText(Path.Combine(host.Root, "dir", "nested", "file"), "ok");
        Assert.Equal(0, host.Open("dir/.//nested/../../dir/nested/../nested///./file").Errno);
        Assert.Equal(0, host.Open(".", 0, WasiRights.FdReaddir).Errno);
        Assert.Equal(0, host.Open("dir/nested///", WasiOpenFlags.Directory, WasiRights.FdReaddir).Errno);
        Assert.Equal(E(WasiErrno.NotDir), host.Open("dir/nested/file/").Errno);
        Assert.Equal(E(WasiErrno.Inval), host.Open("dir/nested/file\0").Errno);
        Assert.Equal(E(WasiErrno.NoEnt), host.Open("").Errno);
    }

    [Fact]
    public void SymlinksLeadingOutsideAreRefused()
    {
        using var host = new WasiTestHost();
        var outside = Path.Combine(Path.GetTempPath(), "strand-wasi-outside-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outside);
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret"), "secret");
            // Planted by the host (the guest cannot create absolute links).
            File.CreateSymbolicLink(Path.Combine(host.Root, "abs"), Path.Combine(outside, "secret"));
            File.CreateSymbolicLink(Path.Combine(host.Root, "absdir"), outside);
            var relativeToOutside = Path.GetRelativePath(host.Root, outside);
            File.CreateSymbolicLink(Path.Combine(host.Root, "rel"), relativeToOutside);
            Directory.CreateDirectory(Path.Combine(host.Root, "sub"));
            File.CreateSymbolicLink(Path.Combine(host.Root, "sub", "up"), "../..");

            Assert.Equal(E(WasiErrno.NotCapable), host.Open("abs").Errno);
            Assert.Equal(E(WasiErrno.NotCapable), host.Open("absdir/secret").Errno);
            Assert.Equal(E(WasiErrno.NotCapable), host.Open("rel/secret").Errno);
            Assert.Equal(E(WasiErrno.NotCapable), host.Open("sub/up/x").Errno);
            Assert.Equal(E(WasiErrno.NotCapable), host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 1, p, l, ResultArea), "abs"));
            Assert.Equal(E(WasiErrno.NotCapable), host.Open("abs", WasiOpenFlags.Create, lookupFlags: 1).Errno);
            Assert.Equal(E(WasiErrno.NotCapable), host.PathCall((p, l) => host.Wasi.PathCreateDirectory(PreopenFd, p, l), "absdir/new"));
            Assert.False(Directory.Exists(Path.Combine(outside, "new")));

            // Without following, the link itself is what the guest sees (it may stat or remove it).
            Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), "abs"));
            Assert.Equal((byte)WasiFileType.SymbolicLink, host.Bytes[ResultArea + 16]);
            Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathUnlinkFile(PreopenFd, p, l), "abs"));
            Assert.True(File.Exists(Path.Combine(outside, "secret")));

            // The guest cannot make escaping links: absolute contents are EPERM, ".." above the root ENOTCAPABLE
            // (both as node:wasi); climbing and coming back down inside is allowed.
            int Symlink(string contents, string at)
            {
                int contentsLength = host.Put(contents, StringArea);
                int atLength = host.Put(at, StringArea + 512);
                return host.Wasi.PathSymlink(StringArea, contentsLength, PreopenFd, StringArea + 512, atLength);
            }
            Assert.Equal(E(WasiErrno.Perm), Symlink(outside, "guest_abs"));
            Assert.Equal(E(WasiErrno.NotCapable), Symlink("../x", "guest_up"));
            Assert.Equal(E(WasiErrno.NotCapable), Symlink("../../x", "sub/guest_up"));
            Assert.Equal(E(WasiErrno.NotCapable), Symlink("a/../../x", "guest_up"));
            Assert.Equal(0, Symlink("../top", "sub/guest_top"));
            Assert.Equal(0, Symlink("sub/../sub/./up", "guest_inside"));
            Assert.False(File.Exists(Path.Combine(host.Root, "guest_up")));
            Assert.False(File.Exists(Path.Combine(host.Root, "sub", "guest_up")));
            // A link to a link that escapes is still refused when followed.
            Assert.Equal(E(WasiErrno.NotCapable), host.Open("guest_inside/x").Errno);

            // A relative link that stays inside is followed normally.
            File.CreateSymbolicLink(Path.Combine(host.Root, "sub", "sibling"), "../sub");
            Assert.Equal(0, host.Open("sub/sibling/sibling/sibling", WasiOpenFlags.Directory, WasiRights.FdReaddir).Errno);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void PreopenHostPathMayContainSymlinks()
    {
        var real = Path.Combine(Path.GetTempPath(), "strand-wasi-real-" + Guid.NewGuid().ToString("N"));
        var alias = real + "-alias";
        Directory.CreateDirectory(real);
        Directory.CreateSymbolicLink(alias, real);
        try
        {
            File.WriteAllText(Path.Combine(real, "f"), "via alias");
            using var host = new WasiTestHost(c => c.WithPreopenedDirectory(alias, "alias"));
            var (errno, fd) = host.Open("f", dirFd: PreopenFd + 1);
            Assert.Equal(0, errno);
            Assert.Equal("via alias", System.Text.Encoding.UTF8.GetString(host.Read(fd, 20).Data));
        }
        finally
        {
            Directory.Delete(alias);
            Directory.Delete(real, recursive: true);
        }
    }

    [Fact]
    public void InvalidUtf8PathIsEilseq()
    {
        using var host = new WasiTestHost();
        host.Put(new byte[] { 0x61, 0xFF, 0x62 }, StringArea);
        Assert.Equal(E(WasiErrno.Ilseq), host.Wasi.PathOpen(PreopenFd, 0, StringArea, 3, 0, 0, 0, 0, ResultArea));
    }

    [Fact]
    public void BadGuestPointersAreEfault()
    {
        using var host = new WasiTestHost(memorySize: 65536);
        int end = 65536;
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.ArgsSizesGet(end, ResultArea));
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.ClockTimeGet(0, 0, end));
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.RandomGet(end - 10, 11));
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.PathOpen(PreopenFd, 0, end - 2, 5, 0, 0, 0, 0, ResultArea));
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.FdFdstatGet(1, -8)); // 0xFFFFFFF8 is far out of bounds
        // iovec array out of bounds, and an iovec whose buffer is out of bounds.
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.FdWrite(1, end - 4, 1, ResultArea));
        host.SetU32(IovecArea, (uint)end - 1);
        host.SetU32(IovecArea + 4, 2);
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.FdWrite(1, IovecArea, 1, ResultArea));
        Assert.Equal(0, host.Stdout.Length); // nothing was written
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.FdWrite(1, IovecArea, int.MaxValue, ResultArea));
        // Misaligned struct pointers are EINVAL (as wasmtime's wiggle layer reports them).
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.FdFdstatGet(1, ResultArea + 4));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.ClockTimeGet(0, 0, ResultArea + 1));
    }

    public static TheoryData<WasiPathResolution> Modes => [WasiPathResolution.Auto, WasiPathResolution.PerComponent];

    [Theory]
    [MemberData(nameof(Modes))]
    public void CreateExclusiveOnASymlinkIsEexistAndCreatesNothing(WasiPathResolution mode)
    {
        using var host = new WasiTestHost(c => c.WithPathResolution(mode));
        File.WriteAllText(Path.Combine(host.Root, "target"), "kept");
        File.CreateSymbolicLink(Path.Combine(host.Root, "live"), "target");
        File.CreateSymbolicLink(Path.Combine(host.Root, "dangling"), "missing");
        Directory.CreateDirectory(Path.Combine(host.Root, "dir"));
        File.CreateSymbolicLink(Path.Combine(host.Root, "dir", "dangling"), "../missing2");
        var exclusive = WasiOpenFlags.Create | WasiOpenFlags.Exclusive;
        foreach (var name in new[] { "live", "dangling", "dir/dangling" })
            foreach (int lookup in new[] { 0, 1 })
            {
                Assert.Equal(E(WasiErrno.Exist), host.Open(name, exclusive, lookupFlags: lookup).Errno);
                Assert.Equal(E(WasiErrno.Exist), host.Open(name, exclusive | WasiOpenFlags.Truncate, lookupFlags: lookup).Errno);
            }
        Assert.False(Path.Exists(Path.Combine(host.Root, "missing")));
        Assert.False(Path.Exists(Path.Combine(host.Root, "missing2")));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(host.Root, "target")));

        // Without O_EXCL a followed dangling link inside the sandbox is created at its target (POSIX open),
        // and not following it is ELOOP.
        Assert.Equal(E(WasiErrno.Loop), host.Open("dangling", WasiOpenFlags.Create, lookupFlags: 0).Errno);
        Assert.False(Path.Exists(Path.Combine(host.Root, "missing")));
        Assert.Equal(0, host.Open("dangling", WasiOpenFlags.Create, lookupFlags: 1).Errno);
        Assert.True(File.Exists(Path.Combine(host.Root, "missing")));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TrailingSlashOnRemovalNamesTheLinkNotItsTarget(WasiPathResolution mode)
    {
        using var host = new WasiTestHost(c => c.WithPathResolution(mode));
        Directory.CreateDirectory(Path.Combine(host.Root, "dir"));
        File.CreateSymbolicLink(Path.Combine(host.Root, "link"), "dir");
        Assert.Equal(E(WasiErrno.NotDir), host.PathCall((p, l) => host.Wasi.PathRemoveDirectory(PreopenFd, p, l), "link/"));
        Assert.Equal(E(WasiErrno.Exist), host.PathCall((p, l) => host.Wasi.PathCreateDirectory(PreopenFd, p, l), "link/"));
        Assert.True(Directory.Exists(Path.Combine(host.Root, "dir")));
        // Reading through it follows, as POSIX: stat "link/" is the directory.
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), "link/"));
        Assert.Equal((byte)WasiFileType.Directory, host.Bytes[ResultArea + 16]);
    }
}
