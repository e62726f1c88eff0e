using Xunit;
using Microsoft.Win32.SafeHandles;
using Strand.Wasi;

namespace Strand.Tests.Wasi;

/// <summary>The resolver on its own, in both modes: what directory handle and final name a guest path comes to.</summary>
public class WasiPathResolverTests
{
    public static TheoryData<WasiPathResolution> Modes => [WasiPathResolution.Auto, WasiPathResolution.PerComponent];

    private static ulong Inode(string hostPath) => new FileInfo(hostPath).Exists || Directory.Exists(hostPath)
        ? HostFileSystemInode(hostPath) : throw new FileNotFoundException(hostPath);

    private static ulong HostFileSystemInode(string hostPath)
    {
        using var handle = HostFileSystem.OpenHostDirectory(hostPath);
        return HostFileSystem.Stat(handle).Inode;
    }

    /// <summary>Resolves and returns (inode of the directory handle, name, must-be-directory).</summary>
    private static (ulong Directory, string? Name, bool MustBeDirectory) Resolve(SafeFileHandle root, string path, bool follow, WasiPathResolution mode)
    {
        using var resolved = WasiPathResolver.Resolve(root, path, follow, mode);
        return (HostFileSystem.Stat(resolved.Directory).Inode, resolved.Name, resolved.MustBeDirectory);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ResolveNormalisesAndReportsFinalComponent(WasiPathResolution mode)
    {
        var rootPath = Directory.CreateTempSubdirectory("strand-wasi-resolve-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(rootPath, "a", "b"));
            using var root = HostFileSystem.OpenHostDirectory(rootPath);
            ulong rootInode = Inode(rootPath), a = Inode(Path.Combine(rootPath, "a")), b = Inode(Path.Combine(rootPath, "a", "b"));

            Assert.Equal((b, "new", false), Resolve(root, "a/./b/../b/new", false, mode));
            Assert.Equal((rootInode, (string?)null, false), Resolve(root, "a/..", false, mode));
            Assert.Equal((rootInode, "a", true), Resolve(root, "a/", false, mode));
            Assert.Equal((a, (string?)null, true), Resolve(root, "a/b/../", false, mode));

            // A final symlink is kept unless following is requested (or the path ends with '/').
            File.CreateSymbolicLink(Path.Combine(rootPath, "link"), "a/b");
            Assert.Equal((rootInode, "link", false), Resolve(root, "link", false, mode));
            Assert.Equal((a, "b", false), Resolve(root, "link", true, mode));
            Assert.Equal((a, "b", true), Resolve(root, "link/", false, mode));

            // Forty chained links resolve; forty-one do not.
            for (int i = 0; i < 41; i++) File.CreateSymbolicLink(Path.Combine(rootPath, $"l{i}"), i == 0 ? "a" : $"l{i - 1}");
            Assert.Equal((rootInode, "a", false), Resolve(root, "l39", true, mode));
            var error = Assert.Throws<WasiErrnoException>(() => Resolve(root, "l40", true, mode));
            Assert.Equal(WasiErrno.Loop, error.Errno);
        }
        finally
        {
            Directory.Delete(rootPath, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void DepthCountsDirectoriesBelowTheRoot(WasiPathResolution mode)
    {
        var rootPath = Directory.CreateTempSubdirectory("strand-wasi-depth-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(rootPath, "a", "b"));
            File.CreateSymbolicLink(Path.Combine(rootPath, "ab"), "a/b");
            using var root = HostFileSystem.OpenHostDirectory(rootPath);
            foreach (var (path, depth) in new[] { ("x", 0), ("a/x", 1), ("a/b/x", 2), ("ab/x", 2), ("a/b/../x", 1) })
            {
                using var resolved = WasiPathResolver.Resolve(root, path, false, mode, needDepth: true);
                Assert.Equal(depth, resolved.Depth);
            }
        }
        finally
        {
            Directory.Delete(rootPath, recursive: true);
        }
    }

    [Fact]
    public void AutoHandsTheDirectoryPartToOpenat2WhereTheKernelHasIt()
    {
        // Kernels before 5.6 (or a seccomp filter refusing openat2) leave only the per-component walk, tested above.
        if (!HostFileSystem.Openat2Available) return;
        var rootPath = Directory.CreateTempSubdirectory("strand-wasi-openat2-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(rootPath, "a"));
            using var root = HostFileSystem.OpenHostDirectory(rootPath);
            using (var auto = WasiPathResolver.Resolve(root, "a/x", false, WasiPathResolution.Auto))
                Assert.Equal(-1, auto.Depth); // only the openat2 path leaves the depth unknown
            using (var walk = WasiPathResolver.Resolve(root, "a/x", false, WasiPathResolution.PerComponent))
                Assert.Equal(1, walk.Depth);
            // EXDEV from the kernel is the sandbox's ENOTCAPABLE.
            File.CreateSymbolicLink(Path.Combine(rootPath, "a", "out"), "../..");
            var error = Assert.Throws<WasiErrnoException>(() => WasiPathResolver.Resolve(root, "a/out/x", false, WasiPathResolution.Auto));
            Assert.Equal(WasiErrno.NotCapable, error.Errno);
        }
        finally
        {
            Directory.Delete(rootPath, recursive: true);
        }
    }
}
