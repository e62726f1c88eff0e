using Xunit;
using System.Text;
using Strand.Wasi;
using static Strand.Tests.Wasi.WasiTestHost;

namespace Strand.Tests.Wasi;

public class WasiDirectoryTests
{
    private static List<(ulong Next, ulong Inode, WasiFileType Type, string Name)> ParseDirents(WasiTestHost host, int at, int used)
    {
        var entries = new List<(ulong, ulong, WasiFileType, string)>();
        int offset = 0;
        while (offset + 24 <= used)
        {
            int nameLength = (int)host.U32(at + offset + 16);
            if (offset + 24 + nameLength > used) break; // truncated final entry
            entries.Add((host.U64(at + offset), host.U64(at + offset + 8), (WasiFileType)host.Bytes[at + offset + 20],
                host.Text(at + offset + 24, nameLength)));
            offset += 24 + nameLength;
        }
        return entries;
    }

    [Fact]
    public void ReaddirListsDotsFirstThenEntriesWithStableCookies()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "file"), "x");
        Directory.CreateDirectory(Path.Combine(host.Root, "nested"));

        Assert.Equal(0, host.Wasi.FdReaddir(PreopenFd, BufferArea, 4096, 0, ResultArea));
        int used = (int)host.U32(ResultArea);
        Assert.True(used < 4096, "whole directory fits");
        var entries = ParseDirents(host, BufferArea, used);
        // "." and ".." first, as wasmtime (node:wasi, through libuv, never lists them).
        Assert.Equal(4, entries.Count);
        Assert.Equal(new[] { 1UL, 2UL, 3UL, 4UL }, entries.Select(e => e.Next));
        Assert.Equal(".", entries[0].Name);
        Assert.Equal("..", entries[1].Name);
        Assert.Equal(WasiFileType.Directory, entries[0].Type);
        Assert.Equal(WasiFileType.Directory, entries[1].Type);
        Assert.Equal(0, host.Wasi.FdFilestatGet(PreopenFd, ResultArea + 192));
        Assert.Equal(host.U64(ResultArea + 192 + 8), entries[0].Inode); // "." is the directory itself
        var byName = entries.ToDictionary(e => e.Name);
        Assert.Equal(WasiFileType.RegularFile, byName["file"].Type);
        Assert.Equal(WasiFileType.Directory, byName["nested"].Type);
        Assert.Equal(used, entries.Sum(e => 24 + Encoding.UTF8.GetByteCount(e.Name)));

        // The inode in the dirent matches path_filestat_get.
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea + 64), "file"));
        Assert.Equal(host.U64(ResultArea + 64 + 8), byName["file"].Inode);
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea + 128), "nested"));
        Assert.Equal(host.U64(ResultArea + 128 + 8), byName["nested"].Inode);

        // Resuming from the third entry's d_next yields exactly the last entry.
        Assert.Equal(0, host.Wasi.FdReaddir(PreopenFd, BufferArea, 4096, (long)entries[2].Next, ResultArea));
        var rest = ParseDirents(host, BufferArea, (int)host.U32(ResultArea));
        Assert.Single(rest);
        Assert.Equal(entries[3].Name, rest[0].Name);

        // Past the end: nothing.
        Assert.Equal(0, host.Wasi.FdReaddir(PreopenFd, BufferArea, 4096, 100, ResultArea));
        Assert.Equal(0u, host.U32(ResultArea));
    }

    [Fact]
    public void ReaddirFillsSmallBufferAndPagesThroughManyEntries()
    {
        using var host = new WasiTestHost();
        for (int i = 0; i < 50; i++) File.WriteAllText(Path.Combine(host.Root, $"file.{i:D2}"), "");

        // A buffer smaller than one dirent is filled completely (truncated entry).
        Assert.Equal(0, host.Wasi.FdReaddir(PreopenFd, BufferArea, 10, 0, ResultArea));
        Assert.Equal(10u, host.U32(ResultArea));

        var names = new List<string>();
        ulong cookie = 0;
        while (true)
        {
            Assert.Equal(0, host.Wasi.FdReaddir(PreopenFd, BufferArea, 128, (long)cookie, ResultArea));
            int used = (int)host.U32(ResultArea);
            var page = ParseDirents(host, BufferArea, used);
            names.AddRange(page.Select(e => e.Name));
            if (used < 128) break;
            Assert.NotEmpty(page);
            cookie = page[^1].Next;
        }
        Assert.Equal(52, names.Count); // "." and ".." first
        Assert.Equal([".", ".."], names.Take(2));
        Assert.Equal(52, names.Distinct().Count());
        Assert.Contains("file.49", names);
    }

    [Fact]
    public void CreateAndRemoveDirectories()
    {
        using var host = new WasiTestHost();
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathCreateDirectory(PreopenFd, p, l), "d"));
        Assert.True(Directory.Exists(Path.Combine(host.Root, "d")));
        Assert.Equal(E(WasiErrno.Exist), host.PathCall((p, l) => host.Wasi.PathCreateDirectory(PreopenFd, p, l), "d"));
        Assert.Equal(E(WasiErrno.NoEnt), host.PathCall((p, l) => host.Wasi.PathCreateDirectory(PreopenFd, p, l), "missing/child"));
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathCreateDirectory(PreopenFd, p, l), "d/e"));
        File.WriteAllText(Path.Combine(host.Root, "d", "e", "f"), "x");

        Assert.Equal(E(WasiErrno.NotEmpty), host.PathCall((p, l) => host.Wasi.PathRemoveDirectory(PreopenFd, p, l), "d"));
        Assert.Equal(E(WasiErrno.NotDir), host.PathCall((p, l) => host.Wasi.PathRemoveDirectory(PreopenFd, p, l), "d/e/f"));
        Assert.Equal(E(WasiErrno.IsDir), host.PathCall((p, l) => host.Wasi.PathUnlinkFile(PreopenFd, p, l), "d/e"));
        Assert.Equal(E(WasiErrno.NotDir), host.PathCall((p, l) => host.Wasi.PathCreateDirectory(PreopenFd, p, l), "d/e/f/g"));
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathUnlinkFile(PreopenFd, p, l), "d/e/f"));
        Assert.Equal(E(WasiErrno.NoEnt), host.PathCall((p, l) => host.Wasi.PathUnlinkFile(PreopenFd, p, l), "d/e/f"));
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathRemoveDirectory(PreopenFd, p, l), "d/e/"));
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathRemoveDirectory(PreopenFd, p, l), "d"));
        Assert.False(Directory.Exists(Path.Combine(host.Root, "d")));
    }

    [Fact]
    public void RenameFilesAndDirectories()
    {
        using var host = new WasiTestHost();
        int Rename(string from, string to)
        {
            int fromLength = host.Put(from, StringArea);
            int toLength = host.Put(to, StringArea + 512);
            return host.Wasi.PathRename(PreopenFd, StringArea, fromLength, PreopenFd, StringArea + 512, toLength);
        }
        File.WriteAllText(Path.Combine(host.Root, "a"), "A");
        File.WriteAllText(Path.Combine(host.Root, "b"), "B");
        Directory.CreateDirectory(Path.Combine(host.Root, "dir"));
        Directory.CreateDirectory(Path.Combine(host.Root, "full"));
        File.WriteAllText(Path.Combine(host.Root, "full", "x"), "");

        Assert.Equal(0, Rename("a", "b")); // replaces an existing file
        Assert.Equal("A", File.ReadAllText(Path.Combine(host.Root, "b")));
        Assert.False(File.Exists(Path.Combine(host.Root, "a")));
        Assert.Equal(E(WasiErrno.NoEnt), Rename("a", "c"));
        Assert.Equal(E(WasiErrno.IsDir), Rename("b", "dir"));
        Assert.Equal(E(WasiErrno.NotEmpty), Rename("dir", "full"));
        Assert.Equal(E(WasiErrno.NotDir), Rename("dir", "b"));
        Assert.Equal(0, Rename("b", "dir/moved"));
        Assert.Equal("A", File.ReadAllText(Path.Combine(host.Root, "dir", "moved")));
        Assert.Equal(0, Rename("dir", "renamed"));
        Assert.True(File.Exists(Path.Combine(host.Root, "renamed", "moved")));
        Assert.Equal(E(WasiErrno.NotCapable), Rename("renamed", "../escaped"));
    }

    [Fact]
    public void SymlinkReadlinkAndFollowing()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "target"), "T");
        int Symlink(string contents, string at)
        {
            int contentsLength = host.Put(contents, StringArea);
            int atLength = host.Put(at, StringArea + 512);
            return host.Wasi.PathSymlink(StringArea, contentsLength, PreopenFd, StringArea + 512, atLength);
        }
        Assert.Equal(0, Symlink("target", "link"));
        Assert.Equal("target", new FileInfo(Path.Combine(host.Root, "link")).LinkTarget);
        Assert.Equal(E(WasiErrno.Exist), Symlink("target", "link"));
        Assert.Equal(E(WasiErrno.Perm), Symlink("/etc/passwd", "abs"));

        int length = host.Put("link");
        Assert.Equal(0, host.Wasi.PathReadlink(PreopenFd, StringArea, length, BufferArea, 100, ResultArea));
        Assert.Equal(6u, host.U32(ResultArea));
        Assert.Equal("target", host.Text(BufferArea, 6));
        Assert.Equal(0, host.Wasi.PathReadlink(PreopenFd, StringArea, length, BufferArea, 3, ResultArea)); // truncates
        Assert.Equal(3u, host.U32(ResultArea));
        length = host.Put("target");
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.PathReadlink(PreopenFd, StringArea, length, BufferArea, 100, ResultArea));

        // filestat without follow sees the link, with follow the target.
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), "link"));
        Assert.Equal((byte)WasiFileType.SymbolicLink, host.Bytes[ResultArea + 16]);
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 1, p, l, ResultArea), "link"));
        Assert.Equal((byte)WasiFileType.RegularFile, host.Bytes[ResultArea + 16]);
        Assert.Equal(1UL, host.U64(ResultArea + 32));

        // Opening the link itself without SYMLINK_FOLLOW is ELOOP (as O_NOFOLLOW); with it, the target opens.
        Assert.Equal(E(WasiErrno.Loop), host.Open("link", lookupFlags: 0).Errno);
        var (errno, fd) = host.Open("link", lookupFlags: 1);
        Assert.Equal(0, errno);
        Assert.Equal("T", Encoding.UTF8.GetString(host.Read(fd, 10).Data));

        // Unlinking removes the link, not the target.
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathUnlinkFile(PreopenFd, p, l), "link"));
        Assert.True(File.Exists(Path.Combine(host.Root, "target")));
    }

    [Fact]
    public void SymlinkLoopsGiveEloop()
    {
        using var host = new WasiTestHost();
        File.CreateSymbolicLink(Path.Combine(host.Root, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(host.Root, "b"), "a");
        Assert.Equal(E(WasiErrno.Loop), host.Open("a").Errno);
        Assert.Equal(E(WasiErrno.Loop), host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 1, p, l, ResultArea), "a/x"));
    }

    [Fact]
    public void HardLink()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "orig"), "data");
        int Link(string from, string to)
        {
            int fromLength = host.Put(from, StringArea);
            int toLength = host.Put(to, StringArea + 512);
            return host.Wasi.PathLink(PreopenFd, 0, StringArea, fromLength, PreopenFd, StringArea + 512, toLength);
        }
        if (!OperatingSystem.IsLinux()) return; // hard links need the libc path
        Assert.Equal(0, Link("orig", "copy"));
        Assert.Equal("data", File.ReadAllText(Path.Combine(host.Root, "copy")));
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), "orig"));
        Assert.Equal(2UL, host.U64(ResultArea + 24));
        Assert.Equal(E(WasiErrno.Exist), Link("orig", "copy"));
        Assert.Equal(E(WasiErrno.NoEnt), Link("missing", "x"));
        Directory.CreateDirectory(Path.Combine(host.Root, "d"));
        Assert.Equal(E(WasiErrno.Perm), Link("d", "d2"));
    }

    [Fact]
    public void NestedDirectoryDescriptorIsItsOwnSandboxRoot()
    {
        using var host = new WasiTestHost();
        Directory.CreateDirectory(Path.Combine(host.Root, "sub"));
        File.WriteAllText(Path.Combine(host.Root, "top"), "t");
        var (errno, subFd) = host.Open("sub", WasiOpenFlags.Directory, WasiRights.Directory);
        Assert.Equal(0, errno);
        Assert.Equal(E(WasiErrno.NotCapable), host.Open("../top", dirFd: subFd).Errno);
        Assert.Equal(0, host.Open("f", WasiOpenFlags.Create, dirFd: subFd).Errno);
        Assert.True(File.Exists(Path.Combine(host.Root, "sub", "f")));
        // Not a preopen: no prestat.
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.FdPrestatGet(subFd, ResultArea));
    }
}
