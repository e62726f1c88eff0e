using Xunit;
using Strand.Wasi;

namespace Strand.Tests.Wasi;

public class WasiPathResolverTests
{
    [Theory]
    [InlineData("/a/b", "/a/b", true)]
    [InlineData("/a/b", "/a/b/c", true)]
    [InlineData("/a/b", "/a/bc", false)]
    [InlineData("/a/b", "/a", false)]
    [InlineData("/", "/etc", true)]
    public void IsWithinComparesWholeComponents(string root, string path, bool expected)
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(expected, WasiPathResolver.IsWithin(root, path));
    }

    [Fact]
    public void ResolveNormalisesAndReportsFinalComponent()
    {
        var root = Directory.CreateTempSubdirectory("strand-wasi-resolve-").FullName;
        try
        {
            root = WasiPathResolver.GetRealPath(root);
            Directory.CreateDirectory(Path.Combine(root, "a", "b"));
            var resolved = WasiPathResolver.Resolve(root, "a/./b/../b/new", followFinalSymlink: false);
            Assert.Equal(Path.Combine(root, "a", "b", "new"), resolved.HostPath);
            Assert.Equal("new", resolved.Name);
            Assert.False(resolved.MustBeDirectory);

            var self = WasiPathResolver.Resolve(root, "a/..", followFinalSymlink: false);
            Assert.Equal(root, self.HostPath);
            Assert.Null(self.Name);
            Assert.True(WasiPathResolver.Resolve(root, "a/", followFinalSymlink: false).MustBeDirectory);

            // A final symlink is kept unless following is requested.
            File.CreateSymbolicLink(Path.Combine(root, "link"), "a/b");
            Assert.Equal(Path.Combine(root, "link"), WasiPathResolver.Resolve(root, "link", false).HostPath);
            Assert.Equal(Path.Combine(root, "a", "b"), WasiPathResolver.Resolve(root, "link", true).HostPath);
            Assert.Equal(Path.Combine(root, "a", "b"), WasiPathResolver.Resolve(root, "link/", false).HostPath);

            // Forty chained links resolve; forty-one do not.
            for (int i = 0; i < 41; i++) File.CreateSymbolicLink(Path.Combine(root, $"l{i}"), i == 0 ? "a" : $"l{i - 1}");
            Assert.Equal(Path.Combine(root, "a"), WasiPathResolver.Resolve(root, "l39", true).HostPath);
            var error = Assert.Throws<WasiErrnoException>(() => WasiPathResolver.Resolve(root, "l40", true));
            Assert.Equal(WasiErrno.Loop, error.Errno);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void RealPathOfHandleSeesThroughSymlinks()
    {
        if (!OperatingSystem.IsLinux()) return;
        var root = WasiPathResolver.GetRealPath(Directory.CreateTempSubdirectory("strand-wasi-proc-").FullName);
        try
        {
            var target = Path.Combine(root, "target");
            File.WriteAllText(target, "x");
            File.CreateSymbolicLink(Path.Combine(root, "link"), target);
            using var stream = new FileStream(Path.Combine(root, "link"), FileMode.Open, FileAccess.Read);
            Assert.Equal(target, HostFileSystem.RealPathOfHandle(stream.SafeFileHandle));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
