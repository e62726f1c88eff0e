using System.Text;
using Strand.Runtime;
using Strand.Wasi;
using Xunit;

namespace Strand.Tests.Wasi;

/// <summary>
/// The sandbox against a hostile guest: fixtures/wasi/escape.c tries every way out of its preopen it knows
/// (see the comment at its top for the layout made here) and checks each errno itself; this test then proves
/// that nothing outside the preopen was created, changed or deleted, in both resolution modes.
/// </summary>
public sealed class EscapeTests : IDisposable
{
    /// <summary>The number of checks escape.c makes: a check that silently stopped running would change it.</summary>
    private const int EscapeChecks = 379;

    public static TheoryData<WasiPathResolution> Modes => [WasiPathResolution.Auto, WasiPathResolution.PerComponent];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "strand-escape-" + Guid.NewGuid().ToString("N"));

    private string Outside => Path.Combine(_root, "outside");
    private string Sandbox => Path.Combine(_root, "sandbox");

    public EscapeTests()
    {
        Directory.CreateDirectory(Path.Combine(Outside, "dir"));
        File.WriteAllText(Path.Combine(Outside, "secret"), "top secret\n");
        Directory.CreateDirectory(Path.Combine(Sandbox, "sub"));
        File.WriteAllText(Path.Combine(Sandbox, "inside.txt"), "inside\n");
        File.CreateSymbolicLink(Path.Combine(Sandbox, "host_abs_file"), Path.Combine(Outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(Sandbox, "host_abs_dir"), Outside);
        File.CreateSymbolicLink(Path.Combine(Sandbox, "host_abs_missing"), Path.Combine(Outside, "created"));
        File.CreateSymbolicLink(Path.Combine(Sandbox, "host_rel_file"), "../outside/secret");
        File.CreateSymbolicLink(Path.Combine(Sandbox, "host_rel_dir"), "../outside");
        File.CreateSymbolicLink(Path.Combine(Sandbox, "host_rel_missing"), "../outside/created");
        File.CreateSymbolicLink(Path.Combine(Sandbox, "sub", "host_up"), "../..");
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Everything under the test directory except the sandbox: path, type, inode, link count, size, modification
    /// and change times, link target and contents. Any creation, deletion, write, rename, hard link or
    /// timestamp change outside shows up as a difference.
    /// </summary>
    internal static List<string> Snapshot(string root, string excluded)
    {
        var lines = new List<string>();
        using var handle = HostFileSystem.OpenHostDirectory(root);
        void Add(string relative)
        {
            var stat = HostFileSystem.StatAt(handle, relative);
            string full = Path.Combine(root, relative);
            string detail = stat.FileType switch
            {
                WasiFileType.RegularFile => Convert.ToHexString(File.ReadAllBytes(full)),
                WasiFileType.SymbolicLink => new FileInfo(full).LinkTarget!,
                _ => "",
            };
            lines.Add($"{relative} {stat.FileType} ino={stat.Inode} nlink={stat.LinkCount} size={stat.Size} mtime={stat.ModifyTime} ctime={stat.ChangeTime} {detail}");
            if (stat.FileType == WasiFileType.Directory)
                foreach (var child in Directory.EnumerateFileSystemEntries(full).Order(StringComparer.Ordinal))
                    if (child != excluded) Add(Path.GetRelativePath(root, child));
        }
        foreach (var child in Directory.EnumerateFileSystemEntries(root).Order(StringComparer.Ordinal))
            if (child != excluded) Add(Path.GetFileName(child));
        return lines;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TheEscapeProgramFindsNoWayOutAndChangesNothingOutside(WasiPathResolution mode)
    {
        var before = Snapshot(_root, Sandbox);
        var parentBefore = Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(_root)!).Select(Path.GetFileName).ToHashSet();

        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        using (var context = new WasiConfiguration()
            .WithArguments("escape.wasm")
            .WithStandardInput(new MemoryStream()).WithStandardOutput(stdout).WithStandardError(stderr)
            .WithPreopenedDirectory(Sandbox, "/sandbox")
            .WithPathResolution(mode)
            .Build())
        {
            int exitCode = WasiHost.RunCommand(Module.FromFile(ProgramTests.FixturePath("wasi", "escape")), context);
            string output = Encoding.UTF8.GetString(stdout.ToArray());
            Assert.DoesNotContain("FAIL", output);
            Assert.EndsWith($"escape checks: {EscapeChecks} passed, 0 failed\n", output);
            Assert.Equal("", Encoding.UTF8.GetString(stderr.ToArray()));
            Assert.Equal(0, exitCode);
        }

        Assert.Equal(before, Snapshot(_root, Sandbox));
        // Nothing appeared next to the test directory either (where "../../x" from the root would land).
        foreach (var name in new[] { "new", "stolen", "created", "pwned", "made", "x", "strand-escape-new", "outside" })
            if (!parentBefore.Contains(name)) Assert.False(Path.Exists(Path.Combine(Path.GetDirectoryName(_root)!, name)), name);

        // What the guest wrote through descriptors whose directories moved landed in those directories.
        Assert.Equal("written through the moved descriptor\n", File.ReadAllText(Path.Combine(Sandbox, "moved", "pwned")));
        Assert.Equal("guest's own\n", File.ReadAllText(Path.Combine(Sandbox, "moved", "outside", "secret")));
        Assert.Equal("in p2/q\n", File.ReadAllText(Path.Combine(Sandbox, "p2", "q", "q_file")));
        Assert.Equal("..", new FileInfo(Path.Combine(Sandbox, "victim")).LinkTarget);
        Assert.Equal("top secret\n", File.ReadAllText(Path.Combine(Outside, "secret")));
    }

    /// <summary>One guest thread's view: its own memory, the shared context (as wasi-threads instances share it).</summary>
    private sealed class GuestThread
    {
        private readonly ByteArrayGuestMemory _memory = new(65536);
        private readonly WasiPreview1 W;

        public GuestThread(WasiContext context) => W = new WasiPreview1(context, _memory);

        private int Put(string text, int at)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            bytes.CopyTo(_memory.Bytes, at);
            return bytes.Length;
        }

        public int Open(int dir, string path, int oflags, long rights, out int fd)
        {
            int errno = W.PathOpen(dir, 1, 1024, Put(path, 1024), oflags, rights, rights, 0, 4096);
            fd = errno == 0 ? BitConverter.ToInt32(_memory.Bytes, 4096) : -1;
            return errno;
        }

        public int Close(int fd) => W.FdClose(fd);
        public int Mkdir(int dir, string path) => W.PathCreateDirectory(dir, 1024, Put(path, 1024));
        public int Rmdir(int dir, string path) => W.PathRemoveDirectory(dir, 1024, Put(path, 1024));
        public int Unlink(int dir, string path) => W.PathUnlinkFile(dir, 1024, Put(path, 1024));
        public int Rename(int dir, string from, string to) => W.PathRename(dir, 1024, Put(from, 1024), dir, 2048, Put(to, 2048));
        public int Link(int dir, string from, int toDir, string to) => W.PathLink(dir, 0, 1024, Put(from, 1024), toDir, 2048, Put(to, 2048));
        public int Symlink(string contents, int dir, string path) => W.PathSymlink(1024, Put(contents, 1024), dir, 2048, Put(path, 2048));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ConcurrentGuestThreadsSwappingDirectoriesForLinksCannotGetOut(WasiPathResolution mode)
    {
        const int Workers = 3, Iterations = 300, Root = 3;
        const long FileRights = (long)(WasiRights.FdRead | WasiRights.FdWrite);
        const long DirectoryRights = (long)(WasiRights.Directory & ~WasiRights.FdWrite);
        int notCapable = (int)WasiErrno.NotCapable, noEnt = (int)WasiErrno.NoEnt;
        var before = Snapshot(_root, Sandbox);

        using var context = new WasiConfiguration()
            .WithStandardInput(new MemoryStream()).WithStandardOutput(new MemoryStream()).WithStandardError(new MemoryStream())
            .WithPreopenedDirectory(Sandbox, "/sandbox").WithPathResolution(mode).Build();
        var setup = new GuestThread(context);
        Assert.Equal(0, setup.Mkdir(Root, "victim"));
        Assert.Equal(0, setup.Mkdir(Root, "deep"));
        Assert.Equal(0, setup.Symlink("..", Root, "deep/lnk"));
        Assert.Equal(0, setup.Open(Root, "victim", (int)WasiOpenFlags.Directory, DirectoryRights, out int victim));

        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Expect(string what, int errno, params int[] allowed)
        {
            if (Array.IndexOf(allowed, errno) < 0) unexpected.Enqueue($"{what}: errno {errno}");
        }
        using var start = new Barrier(Workers + 1);
        var threads = new List<Thread>();
        // The attacker: victim is a directory, then the link to ".." renamed into its place, then back.
        threads.Add(new Thread(() =>
        {
            var guest = new GuestThread(context);
            if (!start.SignalAndWait(TimeSpan.FromMinutes(1))) unexpected.Enqueue("start barrier timed out");
            for (int i = 0; i < Iterations; i++)
            {
                Expect("rename victim -> moved", guest.Rename(Root, "victim", "moved"), 0);
                Expect("rename deep/lnk -> victim", guest.Rename(Root, "deep/lnk", "victim"), 0);
                Expect("rename victim -> deep/lnk", guest.Rename(Root, "victim", "deep/lnk"), 0);
                Expect("rename moved -> victim", guest.Rename(Root, "moved", "victim"), 0);
            }
        }));
        for (int w = 0; w < Workers; w++)
        {
            int id = w;
            threads.Add(new Thread(() =>
            {
                var guest = new GuestThread(context);
                if (!start.SignalAndWait(TimeSpan.FromMinutes(1))) unexpected.Enqueue("start barrier timed out");
                for (int i = 0; i < Iterations; i++)
                {
                    // Through the held descriptor: always the real directory, wherever it is.
                    Expect("via fd create", guest.Open(victim, $"t{id}", (int)WasiOpenFlags.Create, FileRights, out int fd), 0);
                    if (fd >= 0) Expect("close", guest.Close(fd), 0);
                    Expect("via fd unlink", guest.Unlink(victim, $"t{id}"), 0);
                    Expect("via fd outside/secret", guest.Open(victim, "outside/secret", 0, FileRights, out _), noEnt);
                    Expect("via fd ../outside/secret", guest.Open(victim, "../outside/secret", 0, FileRights, out _), notCapable);
                    // Through the path: the directory (inside), the link (refused) or nothing (between renames).
                    Expect("path outside/secret", guest.Open(Root, "victim/outside/secret", 0, FileRights, out _), noEnt, notCapable);
                    int made = guest.Mkdir(Root, $"victim/made{id}");
                    Expect("path mkdir", made, 0, noEnt, notCapable);
                    if (made == 0) Expect("rmdir", guest.Rmdir(victim, $"made{id}"), 0);
                    int created = guest.Open(Root, $"victim/w{id}", (int)WasiOpenFlags.Create, FileRights, out fd);
                    Expect("path create", created, 0, noEnt, notCapable);
                    if (created == 0)
                    {
                        Expect("close", guest.Close(fd), 0);
                        Expect("unlink", guest.Unlink(victim, $"w{id}"), 0);
                    }
                    int linked = guest.Link(Root, "inside.txt", Root, $"victim/h{id}");
                    Expect("path link", linked, 0, noEnt, notCapable);
                    if (linked == 0) Expect("unlink link", guest.Unlink(victim, $"h{id}"), 0);
                }
            }));
        }
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) Assert.True(thread.Join(TimeSpan.FromMinutes(2)));

        Assert.Empty(unexpected);
        Assert.Equal(before, Snapshot(_root, Sandbox));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Sandbox, "victim")));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void WasiThreadsRacingSwapsCannotGetOut(WasiPathResolution mode)
    {
        var before = Snapshot(_root, Sandbox);
        var stdout = new MemoryStream();
        using (var context = new WasiConfiguration()
            .WithStandardInput(new MemoryStream()).WithStandardOutput(stdout).WithStandardError(new MemoryStream())
            .WithPreopenedDirectory(Sandbox, "/sandbox").WithPathResolution(mode).Build())
        {
            int exitCode = WasiHost.RunCommand(Module.FromFile(ProgramTests.FixturePath("wasi-threads", "escape_race")), context);
            Assert.Equal("unexpected results: 0\n", Encoding.UTF8.GetString(stdout.ToArray()));
            Assert.Equal(0, exitCode);
        }
        Assert.Equal(before, Snapshot(_root, Sandbox));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Sandbox, "victim")));
        Assert.Equal("..", new FileInfo(Path.Combine(Sandbox, "deep", "lnk")).LinkTarget);
    }
}
