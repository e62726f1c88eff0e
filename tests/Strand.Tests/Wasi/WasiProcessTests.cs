using Xunit;
using System.Text;
using Strand.Wasi;
using static Strand.Tests.Wasi.WasiTestHost;

namespace Strand.Tests.Wasi;

public class WasiProcessTests
{
    [Fact]
    public void ArgsLayout()
    {
        using var host = new WasiTestHost(c => c.WithArguments("prog", "héllo", ""));
        Assert.Equal(0, host.Wasi.ArgsSizesGet(ResultArea, ResultArea + 4));
        Assert.Equal(3u, host.U32(ResultArea));
        Assert.Equal(5u + 7u + 1u, host.U32(ResultArea + 4)); // "prog\0" + "héllo\0" (é is 2 bytes) + "\0"

        Assert.Equal(0, host.Wasi.ArgsGet(IovecArea, BufferArea));
        Assert.Equal((uint)BufferArea, host.U32(IovecArea));
        Assert.Equal((uint)BufferArea + 5, host.U32(IovecArea + 4));
        Assert.Equal((uint)BufferArea + 12, host.U32(IovecArea + 8));
        Assert.Equal("prog\0héllo\0\0", host.Text(BufferArea, 13));
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.ArgsGet(IovecArea, 65536 - 3));
    }

    [Fact]
    public void EnvironLayoutAndOverrides()
    {
        using var host = new WasiTestHost(c => c.WithEnvironmentVariable("A", "1").WithEnvironmentVariable("B", "x=y").WithEnvironmentVariable("A", "2"));
        Assert.Equal(0, host.Wasi.EnvironSizesGet(ResultArea, ResultArea + 4));
        Assert.Equal(2u, host.U32(ResultArea));
        Assert.Equal(4u + 6u, host.U32(ResultArea + 4));
        Assert.Equal(0, host.Wasi.EnvironGet(IovecArea, BufferArea));
        Assert.Equal("B=x=y\0", host.Text((int)host.U32(IovecArea), 6));
        Assert.Equal("A=2\0", host.Text((int)host.U32(IovecArea + 4), 4));
    }

    [Fact]
    public void InheritedEnvironmentIsOptIn()
    {
        Environment.SetEnvironmentVariable("STRAND_WASI_TEST_VAR", "seen");
        using var isolated = new WasiTestHost();
        Assert.Empty(isolated.Context.EnvironmentVariables);
        using var inheriting = new WasiTestHost(c => c.WithInheritedEnvironment().WithEnvironmentVariable("STRAND_WASI_TEST_VAR", "override"));
        Assert.Contains("STRAND_WASI_TEST_VAR=override", inheriting.Context.EnvironmentVariables);
        Assert.DoesNotContain("STRAND_WASI_TEST_VAR=seen", inheriting.Context.EnvironmentVariables);
    }

    [Fact]
    public void ClocksReportTimeAndResolution()
    {
        using var host = new WasiTestHost();
        Assert.Equal(0, host.Wasi.ClockTimeGet((int)WasiClockId.Monotonic, 0, ResultArea));
        ulong first = host.U64(ResultArea);
        Thread.Sleep(5);
        Assert.Equal(0, host.Wasi.ClockTimeGet((int)WasiClockId.Monotonic, 0, ResultArea));
        ulong second = host.U64(ResultArea);
        Assert.True(second - first >= 4_000_000UL, $"monotonic advanced {second - first}ns");

        Assert.Equal(0, host.Wasi.ClockTimeGet((int)WasiClockId.Realtime, 0, ResultArea));
        ulong realtime = host.U64(ResultArea);
        ulong expected = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL;
        Assert.InRange(realtime, expected - 5_000_000_000UL, expected + 5_000_000_000UL);

        Assert.Equal(0, host.Wasi.ClockTimeGet((int)WasiClockId.ProcessCpuTime, 0, ResultArea));
        Assert.True(host.U64(ResultArea) > 0);
        Assert.Equal(0, host.Wasi.ClockResGet((int)WasiClockId.Monotonic, ResultArea));
        Assert.True(host.U64(ResultArea) > 0);
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.ClockTimeGet(4, 0, ResultArea));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.ClockResGet(-1, ResultArea));
    }

    [Fact]
    public void ClocksAndRandomCanBeOverridden()
    {
        long fake = 1000;
        using var host = new WasiTestHost(c => c
            .WithClock(WasiClockId.Realtime, () => fake, 7)
            .WithRandomSource(buffer => buffer.Fill(0xAB)));
        Assert.Equal(0, host.Wasi.ClockTimeGet(0, 0, ResultArea));
        Assert.Equal(1000UL, host.U64(ResultArea));
        fake = 2000;
        Assert.Equal(0, host.Wasi.ClockTimeGet(0, 0, ResultArea));
        Assert.Equal(2000UL, host.U64(ResultArea));
        Assert.Equal(0, host.Wasi.ClockResGet(0, ResultArea));
        Assert.Equal(7UL, host.U64(ResultArea));
        Assert.Equal(0, host.Wasi.RandomGet(BufferArea, 16));
        Assert.All(host.Bytes.AsSpan(BufferArea, 16).ToArray(), b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void RandomGetFillsTheBuffer()
    {
        using var host = new WasiTestHost();
        Assert.Equal(0, host.Wasi.RandomGet(BufferArea, 256));
        var bytes = host.Bytes.AsSpan(BufferArea, 256).ToArray();
        Assert.True(bytes.Distinct().Count() > 100, "256 random bytes should contain many distinct values");
        Assert.Equal(0, host.Bytes[BufferArea + 256]);
        Assert.Equal(0, host.Wasi.RandomGet(BufferArea, 0));
    }

    [Fact]
    public void ProcExitThrowsWithCode()
    {
        using var host = new WasiTestHost();
        var exit = Assert.Throws<WasiExitException>(() => host.Wasi.ProcExit(42));
        Assert.Equal(42, exit.ExitCode);
        Assert.Equal(42, host.Context.ExitCode);
        Assert.Equal(E(WasiErrno.NoSys), host.Wasi.ProcRaise(2));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.ProcRaise(99));
        Assert.Equal(0, host.Wasi.SchedYield());
    }

    [Fact]
    public void StandardStreams()
    {
        using var host = new WasiTestHost();
        Assert.Equal((0, 6u), host.Write(1, "stdout"u8.ToArray()));
        Assert.Equal((0, 6u), host.Write(2, "stderr"u8.ToArray()));
        Assert.Equal("stdout", Encoding.UTF8.GetString(host.Stdout.ToArray()));
        Assert.Equal("stderr", Encoding.UTF8.GetString(host.Stderr.ToArray()));
        Assert.Equal(E(WasiErrno.NotCapable), host.Write(0, "x"u8.ToArray()).Errno);
        Assert.Equal(E(WasiErrno.NotCapable), host.Read(1, 4).Errno);

        host.Stdin.Write("input"u8);
        host.Stdin.Position = 0;
        var (errno, data) = host.Read(0, 3);
        Assert.Equal(0, errno);
        Assert.Equal("inp", Encoding.UTF8.GetString(data));
        Assert.Equal("ut", Encoding.UTF8.GetString(host.Read(0, 10).Data));
        Assert.Empty(host.Read(0, 10).Data); // end of input

        Assert.Equal(0, host.Wasi.FdFdstatGet(1, ResultArea));
        Assert.Equal((byte)WasiFileType.Unknown, host.Bytes[ResultArea]); // not a console
        Assert.NotEqual(0UL, host.U64(ResultArea + 8) & (ulong)WasiRights.FdWrite);
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.FdPrestatGet(1, ResultArea));
        Assert.Equal(E(WasiErrno.Spipe), host.Wasi.FdPread(0, IovecArea, 0, 0, ResultArea));
    }

    [Fact]
    public void PreopenPrestat()
    {
        using var host = new WasiTestHost();
        Assert.Equal(0, host.Wasi.FdPrestatGet(PreopenFd, ResultArea));
        Assert.Equal(0, host.Bytes[ResultArea]); // PREOPENTYPE_DIR
        Assert.Equal(8u, host.U32(ResultArea + 4)); // "/sandbox"
        Assert.Equal(E(WasiErrno.NameTooLong), host.Wasi.FdPrestatDirName(PreopenFd, BufferArea, 7));
        Assert.Equal(0, host.Wasi.FdPrestatDirName(PreopenFd, BufferArea, 8));
        Assert.Equal("/sandbox", host.Text(BufferArea, 8));
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.FdPrestatGet(PreopenFd + 1, ResultArea));

        Assert.Equal(0, host.Wasi.FdFdstatGet(PreopenFd, ResultArea));
        Assert.Equal((byte)WasiFileType.Directory, host.Bytes[ResultArea]);
        var rights = (WasiRights)host.U64(ResultArea + 8);
        Assert.True(rights.HasFlag(WasiRights.PathOpen | WasiRights.FdReaddir | WasiRights.PathCreateFile));
        Assert.False(rights.HasFlag(WasiRights.FdRead));

        // Closing a preopen is allowed, after which it is gone.
        Assert.Equal(0, host.Wasi.FdClose(PreopenFd));
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.FdFdstatGet(PreopenFd, ResultArea));
    }

    [Fact]
    public void SocketCallsOnNonSockets()
    {
        using var host = new WasiTestHost();
        Assert.Equal(E(WasiErrno.NotSock), host.Wasi.SockAccept(PreopenFd, 0, ResultArea));
        Assert.Equal(E(WasiErrno.NotSock), host.Wasi.SockRecv(0, IovecArea, 0, 0, ResultArea, ResultArea + 4));
        Assert.Equal(E(WasiErrno.NotSock), host.Wasi.SockSend(1, IovecArea, 0, 0, ResultArea));
        Assert.Equal(E(WasiErrno.NotSock), host.Wasi.SockShutdown(2, 3));
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.SockShutdown(50, 3));
    }

    [Fact]
    public void BindingsCoverTheWholeModuleWithWasmTypes()
    {
        using var host = new WasiTestHost();
        var bindings = host.Wasi.CreateBindings();
        Assert.Equal(46, bindings.Count);
        Assert.Equal(46, bindings.Select(b => b.Key).Distinct().Count());
        var byName = bindings.ToDictionary(b => b.Key, b => b.Value);
        Assert.IsType<Func<int, int, int, int, int>>(byName["fd_write"]);
        Assert.IsType<Func<int, int, int, int, int, long, long, int, int, int>>(byName["path_open"]);
        Assert.IsType<Action<int>>(byName["proc_exit"]);
        Assert.IsType<Func<int>>(byName["sched_yield"]);
        foreach (var (_, function) in bindings)
        {
            var parameters = function.Method.GetParameters();
            Assert.All(parameters, p => Assert.True(p.ParameterType == typeof(int) || p.ParameterType == typeof(long)));
        }
        // A bound function really calls into the context.
        host.Put("hi"u8.ToArray(), BufferArea);
        host.SetU32(IovecArea, BufferArea);
        host.SetU32(IovecArea + 4, 2);
        Assert.Equal(0, ((Func<int, int, int, int, int>)byName["fd_write"])(1, IovecArea, 1, ResultArea));
        Assert.Equal("hi", Encoding.UTF8.GetString(host.Stdout.ToArray()));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(125, 125)]
    [InlineData(255, 255)]
    [InlineData(256, 255)]
    [InlineData(512, 255)]
    [InlineData(-1, 255)]
    [InlineData(int.MinValue, 255)]
    public void ExitCodesMapToProcessStatuses(int code, int status) => Assert.Equal(status, WasiHost.ToProcessExitStatus(code));

    [Fact]
    public void RunCommandOnADisposedContextThrows()
    {
        var context = new WasiConfiguration().WithStandardOutput(new MemoryStream()).Build();
        context.Dispose();
        Assert.True(context.IsDisposed);
        var module = Strand.Module.FromFile(ProgramTests.FixturePath("wasi", "exit_code"));
        Assert.Throws<ObjectDisposedException>(() => WasiHost.RunCommand(module, context));
    }

    [Fact]
    public void CallerStreamsReportTheirType()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            using var host = new WasiTestHost(c => c.WithStandardOutput(file));
            Assert.Equal(0, host.Wasi.FdFdstatGet(0, ResultArea));
            Assert.Equal((byte)WasiFileType.Unknown, host.Bytes[ResultArea]); // a MemoryStream
            Assert.Equal(0, host.Wasi.FdFdstatGet(1, ResultArea));
            Assert.Equal((byte)WasiFileType.RegularFile, host.Bytes[ResultArea]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
