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
}
