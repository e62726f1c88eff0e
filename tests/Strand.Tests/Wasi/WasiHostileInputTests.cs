using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Strand.Runtime;
using Strand.Wasi;
using Xunit;
using static Strand.Tests.Wasi.WasiTestHost;

namespace Strand.Tests.Wasi;

/// <summary>
/// What a hostile guest can make the host spend, and the corners the escape suite did not reach: guest-sized lengths
/// (paths, iovec arrays, poll subscriptions) that the host must not copy or decode, directory walks that must not hold a
/// host descriptor per level, what fd_readdir's ".." reveals, descriptors opened while the context is disposed, and
/// OS descriptor numbers reused while a call still uses a closed descriptor.
/// </summary>
public sealed unsafe class WasiHostileInputTests
{
    public static TheoryData<WasiPathResolution> Modes => [WasiPathResolution.Auto, WasiPathResolution.PerComponent];

    /// <summary>
    /// A large guest memory without the cost of one: zero-filled anonymous memory is only backed once written, so a
    /// 2 GiB memory that is mostly read costs nothing (a <c>byte[]</c> cannot be that large anyway).
    /// </summary>
    private sealed class LargeGuestMemory : IGuestMemory, IDisposable
    {
        private readonly byte* _base;

        public LargeGuestMemory(long size)
        {
            _base = (byte*)NativeMemory.AllocZeroed((nuint)size);
            Length = size;
        }

        public long Length { get; }

        public Span<byte> GetSpan(uint address, uint length)
        {
            if ((ulong)address + length > (ulong)Length || length > int.MaxValue) throw new WasiErrnoException(WasiErrno.Fault);
            return new Span<byte>(_base + address, (int)length);
        }

        public void Dispose() => NativeMemory.Free(_base);
    }

    private static WasiContext QuietContext(Action<WasiConfiguration>? configure = null)
    {
        var configuration = new WasiConfiguration()
            .WithStandardInput(new MemoryStream()).WithStandardOutput(new MemoryStream()).WithStandardError(new MemoryStream());
        configure?.Invoke(configuration);
        return configuration.Build();
    }

    /// <summary>Every function taking a path, called with the path (pointer, length) given; returns (name, errno) pairs.</summary>
    private static IEnumerable<(string Name, int Errno)> EveryPathFunction(WasiPreview1 w, int pointer, int length)
    {
        const int Fd = PreopenFd, Result = 64, Other = 0; // Other: an in-bounds one-byte path for the second path argument
        yield return ("path_create_directory", w.PathCreateDirectory(Fd, pointer, length));
        yield return ("path_filestat_get", w.PathFilestatGet(Fd, 0, pointer, length, Result));
        yield return ("path_filestat_set_times", w.PathFilestatSetTimes(Fd, 0, pointer, length, 0, 0, 0));
        yield return ("path_link from", w.PathLink(Fd, 0, pointer, length, Fd, Other, 1));
        yield return ("path_link to", w.PathLink(Fd, 0, Other, 1, Fd, pointer, length));
        yield return ("path_open", w.PathOpen(Fd, 0, pointer, length, 0, 0, 0, 0, Result));
        yield return ("path_readlink", w.PathReadlink(Fd, pointer, length, Result, 8, Result + 16));
        yield return ("path_remove_directory", w.PathRemoveDirectory(Fd, pointer, length));
        yield return ("path_rename from", w.PathRename(Fd, pointer, length, Fd, Other, 1));
        yield return ("path_rename to", w.PathRename(Fd, Other, 1, Fd, pointer, length));
        yield return ("path_symlink contents", w.PathSymlink(pointer, length, Fd, Other, 1));
        yield return ("path_symlink path", w.PathSymlink(Other, 1, Fd, pointer, length));
        yield return ("path_unlink_file", w.PathUnlinkFile(Fd, pointer, length));
    }

    [Fact]
    public void AGuestSizedPathIsRefusedBeforeItIsDecoded()
    {
        // A 2 GiB path of NUL bytes: decoding it would need a 2-billion-character string (an OutOfMemoryException, or
        // gigabytes and seconds per call if it fitted). ENAMETOOLONG, before any decoding, for every function.
        using var host = new WasiTestHost();
        using var memory = new LargeGuestMemory(1L << 31);
        var w = new WasiPreview1(host.Context, memory);
        memory.GetSpan(0, 1)[0] = (byte)'x';
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        foreach (var (name, errno) in EveryPathFunction(w, 4096, int.MaxValue - 4096))
            Assert.True(errno == E(WasiErrno.NameTooLong), $"{name}: errno {errno}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1 << 20, "the host copied or decoded the path");

        // Out of bounds stays EFAULT; one byte over the limit is ENAMETOOLONG.
        foreach (var (name, errno) in EveryPathFunction(w, int.MaxValue, int.MaxValue))
            Assert.True(errno == E(WasiErrno.Fault), $"{name}: errno {errno}");
        memory.GetSpan(4096, 4097).Fill((byte)'a');
        foreach (var (name, errno) in EveryPathFunction(w, 4096, 4097))
            Assert.True(errno == E(WasiErrno.NameTooLong), $"{name}: errno {errno}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(host.Root));
    }

    [Fact]
    public void IovecArraysAreNotCopiedToTheHost()
    {
        // Four million iovecs (32 MiB of guest memory; a 4 GiB memory holds half a billion): the host used to copy and
        // check them all first. At most 1024 (IOV_MAX) are used, a short transfer, as POSIX allows.
        using var host = new WasiTestHost();
        const uint Count = 4 << 20, Data = Count * 8, Result = Data + 4096;
        using var memory = new LargeGuestMemory(Result + 8L);
        var w = new WasiPreview1(host.Context, memory);
        int fd = host.OpenOk("f", WasiOpenFlags.Create, WasiRights.FdRead | WasiRights.FdWrite | WasiRights.FdSeek);
        for (uint i = 0; i < Count; i += 1024) // every iovec one byte of Data, every 1024th one two bytes
        {
            BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(i * 8, 4), Data);
            BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(i * 8 + 4, 4), 2);
        }
        for (uint i = 0; i < 2048; i++)
        {
            if (i % 1024 == 0) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(i * 8, 4), Data);
            BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(i * 8 + 4, 4), 1);
        }
        memory.GetSpan(Data, 2).Fill((byte)'w');
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, w.FdWrite(fd, 0, (int)Count, (int)Result));
        Assert.Equal(1025u, BinaryPrimitives.ReadUInt32LittleEndian(memory.GetSpan(Result, 4))); // 2 + 1023 * 1
        Assert.Equal(0, w.FdPwrite(fd, 0, (int)Count, 0, (int)Result));
        Assert.Equal(1025u, BinaryPrimitives.ReadUInt32LittleEndian(memory.GetSpan(Result, 4)));
        Assert.Equal(0, w.FdPread(fd, 0, (int)Count, 0, (int)Result));
        Assert.Equal(1025u, BinaryPrimitives.ReadUInt32LittleEndian(memory.GetSpan(Result, 4)));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1 << 20, "the host copied the iovec array");

        // The iovecs used are all checked before any I/O; those beyond are not looked at.
        BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(1024 * 8, 4), uint.MaxValue);
        Assert.Equal(0, w.FdWrite(fd, 0, (int)Count, (int)Result));
        BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(1023 * 8, 4), uint.MaxValue);
        Assert.Equal(E(WasiErrno.Fault), w.FdWrite(fd, 0, (int)Count, (int)Result));
        Assert.Equal(E(WasiErrno.Fault), w.FdPwrite(fd, 0, (int)Count, 0, (int)Result));
        Assert.Equal(E(WasiErrno.Fault), w.FdPread(fd, 0, (int)Count, 0, (int)Result));
        Assert.Equal(2050, new FileInfo(Path.Combine(host.Root, "f")).Length);
    }

    [Fact]
    public void AReadIntoItsOwnIovecArrayDoesNotRedirectTheNextBuffers()
    {
        // Buffer 0 covers iovec 1: the bytes read land there, but iovec 1 is the one given at the call (as readv).
        using var host = new WasiTestHost();
        File.WriteAllBytes(Path.Combine(host.Root, "f"), [.. Enumerable.Repeat((byte)0xEE, 8), 1, 2, 3, 4]);
        int fd = host.OpenOk("f", 0, WasiRights.FdRead);
        host.SetU32(IovecArea, IovecArea + 8); // buffer 0: the 8 bytes of iovec 1
        host.SetU32(IovecArea + 4, 8);
        host.SetU32(IovecArea + 8, BufferArea); // buffer 1: 4 bytes at BufferArea
        host.SetU32(IovecArea + 12, 4);
        Assert.Equal(0, host.Wasi.FdRead(fd, IovecArea, 2, ResultArea));
        Assert.Equal(12u, host.U32(ResultArea));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, host.Bytes.AsSpan(BufferArea, 4).ToArray());
        Assert.Equal(0xEEEEEEEEu, host.U32(IovecArea + 8));
    }

    [Fact]
    public void PollReportsOnlyTheAbsoluteClocksDueAfterItsSleep()
    {
        // Absolute clocks at 3 and 5 µs from now: one sleep of 3 µs, then only the first is due (the two passes over
        // the subscriptions use the same reading of the clock, not one from before the sleep and one after).
        long time = 1_000_000;
        using var host = new WasiTestHost(c => c.WithClock(WasiClockId.Monotonic, () => time).WithSleep(ns => time += ns));
        for (int i = 0; i < 2; i++)
        {
            int at = 1024 + i * 48;
            host.Bytes.AsSpan(at, 48).Clear();
            host.SetU64(at, (ulong)(30 + i));
            host.SetU32(at + 16, (uint)WasiClockId.Monotonic);
            host.SetU64(at + 24, (ulong)(time + 3_000 + 2_000 * i));
            host.Bytes[at + 40] = 1; // SUBSCRIPTION_CLOCK_ABSTIME
        }
        Assert.Equal(0, host.Wasi.PollOneoff(1024, 4096, 2, 512));
        Assert.Equal(1_003_000, time);
        Assert.Equal(1u, host.U32(512));
        Assert.Equal(30ul, host.U64(4096));
    }

    [Fact]
    public void PollSubscriptionsAndEventsMustNotOverlap()
    {
        using var host = new WasiTestHost(c => c.WithSleep(_ => { }));
        host.Bytes.AsSpan(1024, 96).Clear(); // two clock subscriptions, due now
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.PollOneoff(1024, 1024 + 48, 2, 512));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.PollOneoff(1024, 1024 - 32, 2, 512));
        Assert.Equal(0, host.Wasi.PollOneoff(1024, 1024 + 96, 2, 512));
        Assert.Equal(0, host.Wasi.PollOneoff(1024, 1024 - 64, 2, 512));
        Assert.Equal(2u, host.U32(512));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void HostSymlinkContentsThatAreNotUtf8AreNotFollowedElsewhere(WasiPathResolution mode)
    {
        // A host link to the name 0xFF: read leniently, that was U+FFFD ("\xEF\xBF\xBD"), a name the guest can make.
        using var host = new WasiTestHost(c => c.WithPathResolution(mode));
        File.WriteAllText(Path.Combine(host.Root, "\uFFFD"), "the guest's");
        Directory.CreateDirectory(Path.Combine(host.Root, "d\uFFFD"));
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = host.Root };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("ln -s \"$(printf '\\377')\" link && ln -s \"d$(printf '\\377')\" dirlink");
        using (var ln = Process.Start(start)!) ln.WaitForExit();
        Assert.Equal(E(WasiErrno.Ilseq), host.Open("link", 0, WasiRights.FdRead).Errno);
        // As a directory in the middle of a path, openat2 follows it by its real bytes: to nothing.
        Assert.Equal(E(mode == WasiPathResolution.Auto ? WasiErrno.NoEnt : WasiErrno.Ilseq), host.Open("dirlink/x", WasiOpenFlags.Create).Errno);
        Assert.Equal(E(WasiErrno.Ilseq), host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 1, p, l, ResultArea), "link"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(host.Root, "d\uFFFD")));
        // The link itself is still there to look at and remove.
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), "link"));
        Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathUnlinkFile(PreopenFd, p, l), "link"));
    }

    [Fact]
    public void PollSubscriptionsAreNotCollectedOnTheHost()
    {
        // A million clock subscriptions (all zero: realtime, relative, due now). The host used to gather every one in
        // lists (tens of MiB here; a 4 GiB memory holds 89 million subscriptions).
        using var context = QuietContext(c => c.WithSleep(_ => throw new InvalidOperationException("nothing should wait")));
        const uint Count = 1 << 20;
        uint events = Count * 48, nevents = events + Count * 32;
        using var memory = new LargeGuestMemory(nevents + 8L);
        var w = new WasiPreview1(context, memory);
        BinaryPrimitives.WriteUInt64LittleEndian(memory.GetSpan(48 * 7, 8), 77); // userdata of subscription 7
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, w.PollOneoff(0, (int)events, (int)Count, (int)nevents));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1 << 20, "the host collected the subscriptions");
        Assert.Equal(Count, BinaryPrimitives.ReadUInt32LittleEndian(memory.GetSpan(nevents, 4)));
        Assert.Equal(77ul, BinaryPrimitives.ReadUInt64LittleEndian(memory.GetSpan(events + 32 * 7, 8)));
        Assert.Equal(WasiAbi.EventTypeClock, memory.GetSpan(events + 32 * (Count - 1) + 10, 1)[0]);
    }

    [Fact]
    public void PollOrdersEventsAsSubscribedAndSleepsOnlyWhenNothingIsReady()
    {
        var sleeps = new List<long>();
        using var host = new WasiTestHost(c => c.WithSleep(sleeps.Add));
        void Clock(int index, ulong userData, ulong timeout)
        {
            int at = 1024 + index * 48;
            host.Bytes.AsSpan(at, 48).Clear();
            host.SetU64(at, userData);
            host.SetU32(at + 16, 1); // monotonic
            host.SetU64(at + 24, timeout);
        }
        Clock(0, 10, 5_000);
        Clock(1, 11, 3_000);
        Clock(2, 12, 3_000);
        Assert.Equal(0, host.Wasi.PollOneoff(1024, 4096, 3, 512));
        Assert.Equal([3_000L], sleeps);
        Assert.Equal(2u, host.U32(512));
        Assert.Equal((11ul, 12ul), (host.U64(4096), host.U64(4096 + 32)));

        // An fd subscription is ready at once: nothing sleeps, clocks not yet due are not reported.
        host.Bytes.AsSpan(1024 + 48, 48).Clear();
        host.SetU64(1024 + 48, 20);
        host.Bytes[1024 + 48 + 8] = WasiAbi.EventTypeFdWrite;
        host.SetU32(1024 + 48 + 16, 1);
        Assert.Equal(0, host.Wasi.PollOneoff(1024, 4096, 3, 512));
        Assert.Single(sleeps);
        Assert.Equal(1u, host.U32(512));
        Assert.Equal(20ul, host.U64(4096));

        // A bad fd anywhere fails the whole call before any event is written.
        host.SetU32(1024 + 48 + 16, 99);
        host.SetU64(4096, 0);
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.PollOneoff(1024, 4096, 3, 512));
        Assert.Equal(0ul, host.U64(4096));
    }

    [Fact]
    public void APollSleepingForYearsWakesWhenInterrupted()
    {
        // poll_oneoff for 2^64 - 1 ns used to sleep in Thread.Sleep, deaf to RunCommand's cancellation and to the end of a
        // wasi-threads program: it now wakes when the context's interruption is cancelled, and the thread traps "interrupted".
        using var context = QuietContext();
        var memory = new ByteArrayGuestMemory(65536);
        var w = new WasiPreview1(context, memory);
        BinaryPrimitives.WriteUInt32LittleEndian(memory.Bytes.AsSpan(1024 + 16), (uint)WasiClockId.Monotonic);
        BinaryPrimitives.WriteUInt64LittleEndian(memory.Bytes.AsSpan(1024 + 24), ulong.MaxValue);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        context.Interruption = cancelled.Token;
        Assert.Equal(TrapCode.Interrupted, Assert.Throws<TrapException>(() => w.PollOneoff(1024, 2048, 1, 512)).Code);

        using var later = new CancellationTokenSource();
        context.Interruption = later.Token;
        Exception? thrown = null;
        var sleeper = new Thread(() =>
        {
            try { w.PollOneoff(1024, 2048, 1, 512); }
            catch (Exception e) { thrown = e; }
        }) { IsBackground = true };
        sleeper.Start();
        later.Cancel();
        Assert.True(sleeper.Join(TimeSpan.FromSeconds(30)), "poll_oneoff did not wake");
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(thrown).Code);
    }

    [Fact]
    public void CancellingRunCommandStopsAGuestSleepingInPoll()
    {
        const string Wat = """
            (module
              (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "\01\00\00\00")                  ;; clock: monotonic
              (data (i32.const 24) "\00\00\00\00\00\00\00\40")  ;; timeout: 2^62 ns (146 years)
              (func (export "_start")
                (loop $again
                  (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
                  (br $again))))
            """;
        var module = Strand.Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        using var context = QuietContext();
        using var cancellation = new CancellationTokenSource();
        Exception? thrown = null;
        var runner = new Thread(() =>
        {
            try { WasiHost.RunCommand(module, context, cancellationToken: cancellation.Token); }
            catch (Exception e) { thrown = e; }
        }) { IsBackground = true };
        runner.Start();
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(100));
        Assert.True(runner.Join(TimeSpan.FromSeconds(30)), "the cancelled program kept sleeping");
        var trap = Assert.IsType<Strand.Runtime.TrapException>(thrown);
        Assert.Equal(Strand.Runtime.TrapCode.Interrupted, trap.Code);
    }

    [Fact]
    public void AWasiThreadsProgramEndsWithoutWaitingForAThreadSleepingInPoll()
    {
        // _start spawns a thread that sleeps in poll_oneoff for 2^62 ns, waits until it is about to, and returns: the
        // program is over. The sleeping thread used to keep sleeping; the group, disposed, waited 10 s for it.
        const string Wat = """
            (module
              (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
              (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
              (import "env" "memory" (memory 1 1 shared))
              (data (i32.const 16) "\01\00\00\00")                  ;; clock: monotonic
              (data (i32.const 24) "\00\00\00\00\00\00\00\40")  ;; timeout: 2^62 ns (146 years)
              (func (export "wasi_thread_start") (param i32 i32)
                (i32.atomic.store (i32.const 256) (i32.const 1))
                (loop $again
                  (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
                  (br $again)))
              (func (export "_start")
                (drop (call $spawn (i32.const 0)))
                (loop $wait
                  (br_if $wait (i32.eqz (i32.atomic.load (i32.const 256)))))))
            """;
        var module = Strand.Module.Compile(Strand.Text.WatParser.ParseModule(Wat));
        using var context = QuietContext();
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, WasiHost.RunCommand(module, context));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void SleepSlicesDoNotOverflow()
    {
        // poll_oneoff for 2^64 - 1 ns (Rust's thread::sleep(Duration::MAX)) used to fail with EINVAL at once:
        // the rounding overflowed and Thread.Sleep refused the negative result.
        Assert.Equal(int.MaxValue, WasiConfiguration.SleepSliceMilliseconds(long.MaxValue));
        Assert.Equal(int.MaxValue, WasiConfiguration.SleepSliceMilliseconds(long.MaxValue - 999_999));
        Assert.Equal(1, WasiConfiguration.SleepSliceMilliseconds(200_000));
        Assert.Equal(1, WasiConfiguration.SleepSliceMilliseconds(1_000_000));
        Assert.Equal(2, WasiConfiguration.SleepSliceMilliseconds(1_000_001));
    }

    /// <summary>
    /// Builds a chain of <paramref name="depth"/> directories "a/a/.../a" (or <paramref name="name"/>) below the preopen
    /// through the WASI functions (its host paths may be longer than PATH_MAX), with the link L1 at the root to the
    /// chain's level <paramref name="firstLink"/> and the link L2 there, down to level <paramref name="depth"/>: "L1/L2"
    /// is the bottom.
    /// </summary>
    private static void BuildDeepChain(WasiTestHost host, int depth, int firstLink, string name = "a")
    {
        int directory = PreopenFd;
        for (int level = 1; level <= depth; level++)
        {
            Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathCreateDirectory(directory, p, l), name));
            var (errno, fd) = host.Open(name, WasiOpenFlags.Directory, WasiRights.Directory, dirFd: directory);
            Assert.Equal(0, errno);
            if (directory != PreopenFd) Assert.Equal(0, host.Wasi.FdClose(directory));
            directory = fd;
            if (level == firstLink)
            {
                string down = string.Join('/', Enumerable.Repeat(name, depth - firstLink));
                Assert.Equal(0, host.Wasi.PathSymlink(BufferArea, host.Put(down, BufferArea), directory, StringArea, host.Put("L2")));
                string top = string.Join('/', Enumerable.Repeat(name, firstLink));
                Assert.Equal(0, host.Wasi.PathSymlink(BufferArea, host.Put(top, BufferArea), PreopenFd, StringArea, host.Put("L1")));
            }
        }
        Assert.Equal(0, host.Wasi.FdClose(directory));
    }

    /// <summary>rm -rf: the chains here are deeper than PATH_MAX, which Directory.Delete cannot remove.</summary>
    private static void RemoveTree(string path)
    {
        using var rm = Process.Start("rm", ["-rf", path])!;
        rm.WaitForExit();
    }

    private static string ChainPath(int levels) => string.Join('/', Enumerable.Repeat("a", levels));

    [Theory]
    [MemberData(nameof(Modes))]
    public void DeepWalksHoldFewHostDescriptors(WasiPathResolution mode)
    {
        // Two links lead 599 levels down. The per-component walk (used by path_symlink in every mode, for the link's
        // depth) used to hold one host descriptor per level until the call returned: 600 here, 2000 with "a/" paths of
        // PATH_MAX, and up to forty times that through symlinks; a few guest threads could exhaust the host process's.
        using var host = new WasiTestHost(c => c.WithPathResolution(mode));
        try
        {
            const int Depth = 599, FirstLink = 300;
            BuildDeepChain(host, Depth, FirstLink);
            int Symlink(string contents, string path) =>
                host.Wasi.PathSymlink(BufferArea, host.Put(contents, BufferArea), PreopenFd, StringArea, host.Put(path));

            WasiPathResolver.PeakHeldHandles = 0;
            Assert.Equal(0, Symlink("../../x", "L1/L2/bottom"));
            Assert.InRange(WasiPathResolver.PeakHeldHandles, 1, 2048 / 64 + 16 + 64);
            Assert.Equal("../../x", host.PathCall((p, l) => host.Wasi.PathReadlink(PreopenFd, p, l, BufferArea, 64, ResultArea), "L1/L2/bottom") == 0
                ? host.Text(BufferArea, (int)host.U32(ResultArea)) : "readlink failed");

            // ".." back up 400 levels, below the levels that kept their descriptors: reopened by name, the same place.
            const int Up = 400;
            string up = "L1/L2/" + string.Concat(Enumerable.Repeat("../", Up)) + "up";
            WasiPathResolver.PeakHeldHandles = 0;
            Assert.Equal(0, Symlink("../x", up));
            Assert.InRange(WasiPathResolver.PeakHeldHandles, 1, 2048 / 64 + 16 + 64);
            Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), ChainPath(Depth - Up) + "/up"));
            Assert.Equal((byte)WasiFileType.SymbolicLink, host.Bytes[ResultArea + 16]);

            // The same through path_open (openat2 in Auto mode, the walk otherwise), and still nothing above the root.
            var (errno, fd) = host.Open(up + "2", WasiOpenFlags.Create, lookupFlags: 0);
            Assert.Equal(0, errno);
            Assert.Equal(0, host.Wasi.FdClose(fd));
            Assert.Equal(0, host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), ChainPath(Depth - Up) + "/up2"));
            string tooHigh = "L1/" + string.Concat(Enumerable.Repeat("../", FirstLink)) + "../x";
            Assert.Equal(E(WasiErrno.NotCapable), host.Open(tooHigh, WasiOpenFlags.Create).Errno);
            Assert.Equal(E(WasiErrno.NotCapable), Symlink("x", tooHigh));
        }
        finally
        {
            host.Context.Dispose();
            RemoveTree(host.Root);
        }
    }

    [Fact]
    public void AWalkDeeperThanPathMaxIsNameTooLong()
    {
        // 20 levels of 250-byte names are 5019 bytes: the per-component walk refuses the chain (POSIX: a path that
        // symlinks make longer than PATH_MAX), where the kernel's openat2 would go on.
        using var host = new WasiTestHost(c => c.WithPathResolution(WasiPathResolution.PerComponent));
        try
        {
            BuildDeepChain(host, 20, 10, new string('x', 250));
            Assert.Equal(E(WasiErrno.NameTooLong), host.Open("L1/L2/x", WasiOpenFlags.Create).Errno);
            Assert.Equal(E(WasiErrno.NameTooLong), host.Wasi.PathSymlink(BufferArea, host.Put("y", BufferArea), PreopenFd, StringArea, host.Put("L1/L2/x")));
            Assert.Equal(0, host.Open("L1/x", WasiOpenFlags.Create).Errno);
        }
        finally
        {
            host.Context.Dispose();
            RemoveTree(host.Root);
        }
    }

    /// <summary>Every entry name fd_readdir gives for <paramref name="fd"/>, paging with a buffer of <paramref name="bufferSize"/> bytes.</summary>
    private static List<string> ListAll(WasiTestHost host, int fd, int bufferSize)
    {
        var names = new List<string>();
        ulong cookie = 0;
        while (true)
        {
            Assert.Equal(0, host.Wasi.FdReaddir(fd, BufferArea, bufferSize, (long)cookie, ResultArea));
            uint used = host.U32(ResultArea);
            int at = BufferArea;
            bool progressed = false;
            while (at + 24 <= BufferArea + used)
            {
                int length = (int)host.U32(at + 16);
                if (at + 24 + length > BufferArea + used) break; // cut short: asked again from its cookie
                names.Add(host.Text(at + 24, length));
                cookie = host.U64(at);
                at += 24 + length;
                progressed = true;
            }
            if (used < bufferSize) return names;
            Assert.True(progressed, "buffer too small for one entry");
        }
    }

    [Fact]
    public void ReaddirListingsKeptForPagingStayWithinABudget()
    {
        // A guest can make a directory of many entries and list it on every descriptor it has: each descriptor kept its
        // own copy of the listing until closed (100 000 files and 1024 descriptors: about 10 GB of host memory).
        using var host = new WasiTestHost();
        host.Context.ListingBudget = 100;
        Directory.CreateDirectory(Path.Combine(host.Root, "big"));
        for (int i = 0; i < 60; i++) File.WriteAllText(Path.Combine(host.Root, "big", $"file{i:D2}"), "");
        var expected = new[] { ".", ".." }.Concat(Enumerable.Range(0, 60).Select(i => $"file{i:D2}")).Order(StringComparer.Ordinal).ToList();
        var fds = Enumerable.Range(0, 4).Select(_ => host.OpenOk("big", WasiOpenFlags.Directory, WasiRights.FdReaddir)).ToList();
        foreach (int fd in fds)
        {
            // Paged with a small buffer: a listing kept, or read again at every call; the same entries either way.
            Assert.Equal(expected, ListAll(host, fd, 100).Order(StringComparer.Ordinal));
            Assert.InRange(host.Context.ListingEntries, 62, 100);
        }
        Assert.Equal(62, host.Context.ListingEntries); // only the first descriptor's listing fitted
        Assert.Equal(0, host.Wasi.FdClose(fds[0]));
        Assert.Equal(0, host.Context.ListingEntries);
        Assert.Equal(expected, ListAll(host, fds[1], 100).Order(StringComparer.Ordinal));
        Assert.Equal(62, host.Context.ListingEntries);
        Assert.Equal(0, host.Wasi.FdRenumber(fds[2], fds[1])); // closes the descriptor that had it
        Assert.Equal(0, host.Context.ListingEntries);
        Assert.Equal(expected, ListAll(host, fds[1], 4096).Order(StringComparer.Ordinal));
        host.Context.Dispose();
        Assert.Equal(0, host.Context.ListingEntries);
    }

    [Fact]
    public void ReaddirDotDotDoesNotRevealTheParentOutside()
    {
        // ".." of the preopen is outside it: its inode number was the host's. Now the directory's own, as in wasmtime.
        using var host = new WasiTestHost();
        Directory.CreateDirectory(Path.Combine(host.Root, "sub"));
        using var self = HostFileSystem.OpenHostDirectory(host.Root);
        using var parent = HostFileSystem.OpenHostDirectory(Path.GetDirectoryName(host.Root)!);
        ulong selfInode = HostFileSystem.Stat(self).Inode, parentInode = HostFileSystem.Stat(parent).Inode;
        Assert.NotEqual(selfInode, parentInode);

        Assert.Equal(0, host.Wasi.FdReaddir(PreopenFd, BufferArea, 1024, 0, ResultArea));
        var entries = new Dictionary<string, (ulong Inode, byte Type)>();
        for (int at = BufferArea; at < BufferArea + host.U32(ResultArea);)
        {
            int length = (int)host.U32(at + 16);
            entries[host.Text(at + 24, length)] = (host.U64(at + 8), host.Bytes[at + 20]);
            at += 24 + length;
        }
        Assert.Equal(new[] { ".", "..", "sub" }, entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((selfInode, (byte)WasiFileType.Directory), entries["."]);
        Assert.Equal((selfInode, (byte)WasiFileType.Directory), entries[".."]);
        Assert.Equal(E(WasiErrno.NotCapable), host.PathCall((p, l) => host.Wasi.PathFilestatGet(PreopenFd, 0, p, l, ResultArea), ".."));
    }

    [Fact]
    public void SettingTimesThroughATrailingSlashNeedsADirectory()
    {
        using var host = new WasiTestHost();
        File.WriteAllText(Path.Combine(host.Root, "file"), "x");
        Directory.CreateDirectory(Path.Combine(host.Root, "dir"));
        File.CreateSymbolicLink(Path.Combine(host.Root, "link"), "file");
        var before = File.GetLastWriteTimeUtc(Path.Combine(host.Root, "file"));
        int SetTimes(string path, int lookup) =>
            host.PathCall((p, l) => host.Wasi.PathFilestatSetTimes(PreopenFd, lookup, p, l, 0, 0, WasiAbi.FstMtim), path);
        Assert.Equal(E(WasiErrno.NotDir), SetTimes("file/", 0));
        Assert.Equal(E(WasiErrno.NotDir), SetTimes("link/", 0));
        Assert.Equal(E(WasiErrno.NotDir), SetTimes("link/", 1));
        Assert.Equal(E(WasiErrno.NoEnt), SetTimes("missing/", 0));
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(host.Root, "file")));
        Assert.Equal(0, SetTimes("dir/", 0));
        Assert.Equal(DateTime.UnixEpoch, Directory.GetLastWriteTimeUtc(Path.Combine(host.Root, "dir")));
    }

    [Fact]
    public void ADescriptorOpenedWhileTheContextIsDisposedIsClosed()
    {
        // A guest thread still inside path_open when the embedder disposes the context: the table refuses the new
        // descriptor (EBADF) and path_open closes it, instead of keeping a host descriptor in a table nobody closes.
        var root = Directory.CreateTempSubdirectory("strand-wasi-disposed-").FullName;
        try
        {
            var context = QuietContext(c => c.WithPreopenedDirectory(root, "/"));
            var handle = HostFileSystem.OpenHostDirectory(root);
            context.Dispose();
            var error = Assert.Throws<WasiErrnoException>(() => context.Add(new DirectoryDescriptor(handle, null)));
            Assert.Equal(WasiErrno.Badf, error.Errno);
            handle.Dispose();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void AClosedDirectoryKeepsItsHostDescriptorUntilTheCallUsingItEnds()
    {
        // A call resolved a path below descriptor 4 (the directory "inner") and is about to act on it; another thread
        // closes 4 and opens the preopen again and again. The host number of inner's descriptor must not be reused
        // meanwhile: the *at call would act in the preopen instead, above inner. It acts in inner.
        using var host = new WasiTestHost();
        Directory.CreateDirectory(Path.Combine(host.Root, "inner"));
        var (errno, inner) = host.Open("inner", WasiOpenFlags.Directory, WasiRights.Directory);
        Assert.Equal(0, errno);
        var descriptor = (DirectoryDescriptor)host.Context.Get(inner);
        int hostNumber = (int)descriptor.Handle.DangerousGetHandle();
        using (var resolved = WasiPathResolver.Resolve(descriptor.Handle, "made", false, WasiPathResolution.Auto))
        {
            Assert.Equal(0, host.Wasi.FdClose(inner)); // the handle is released when the call in flight is done
            var reopened = new List<int>();
            var fds = new List<int>();
            for (int i = 0; i < 8; i++)
            {
                var (e, fd) = host.Open(".", WasiOpenFlags.Directory, WasiRights.Directory);
                Assert.Equal(0, e);
                fds.Add(fd);
                reopened.Add((int)((DirectoryDescriptor)host.Context.Get(fd)).Handle.DangerousGetHandle());
            }
            foreach (int fd in fds) Assert.Equal(0, host.Wasi.FdClose(fd));
            Assert.DoesNotContain(hostNumber, reopened);
            HostFileSystem.MakeDirectoryAt(resolved.Directory, resolved.Name!);
        }
        Assert.True(descriptor.Handle.IsClosed);
        Assert.True(Directory.Exists(Path.Combine(host.Root, "inner", "made")));
        Assert.False(Directory.Exists(Path.Combine(host.Root, "made")));
        Assert.Equal(E(WasiErrno.Badf), host.PathCall((p, l) => host.Wasi.PathCreateDirectory(inner, p, l), "late"));
    }

    /// <summary>A byte[] memory that runs an action (once) when a given range is first requested: another guest thread's call, at that moment.</summary>
    private sealed class InterleavingGuestMemory(int size, uint triggerAddress, Action interleaved) : IGuestMemory
    {
        private bool _fired;

        public ByteArrayGuestMemory Inner { get; } = new(size);

        public long Length => Inner.Length;

        public Span<byte> GetSpan(uint address, uint length)
        {
            if (address == triggerAddress && !_fired)
            {
                _fired = true;
                interleaved();
            }
            return Inner.GetSpan(address, length);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void PathOpenChecksRightsOnTheDescriptorItResolvesIn(WasiPathResolution mode)
    {
        // fd 5 is a writable directory, fd 4 a read-only preopen. While path_open(5, "victim", CREAT | TRUNC, FD_WRITE)
        // is between its checks (it has just looked at its result slot), another guest thread renumbers 4 onto 5.
        // path_open looked descriptor 5 up twice: rights and inheritance from the writable directory, the path resolved
        // in the read-only preopen, which then had a file truncated and opened for writing.
        var root = Directory.CreateTempSubdirectory("strand-wasi-rights-race-").FullName;
        try
        {
            string writable = Directory.CreateDirectory(Path.Combine(root, "writable")).FullName;
            string readOnly = Directory.CreateDirectory(Path.Combine(root, "readonly")).FullName;
            File.WriteAllText(Path.Combine(readOnly, "victim"), "read-only contents");
            using var context = QuietContext(c => c
                .WithPreopenedDirectory(writable, "/w")
                .WithPreopenedDirectory(readOnly, "/r", readOnly: true)
                .WithPathResolution(mode));
            const uint Slot = 4096;
            var memory = new InterleavingGuestMemory(65536, Slot, () => context.Renumber(4, 5));
            var w = new WasiPreview1(context, memory);
            int length = Encoding.UTF8.GetBytes("victim", memory.Inner.Bytes.AsSpan(1024));
            memory.Inner.Bytes[1100] = (byte)'.';
            Assert.Equal(0, w.PathOpen(3, 0, 1100, 1, (int)WasiOpenFlags.Directory, (long)WasiRights.Directory, (long)WasiRights.All, 0, 2048));
            Assert.Equal(5, BitConverter.ToInt32(memory.Inner.Bytes, 2048)); // "." of the writable preopen, as fd 5

            long rights = (long)(WasiRights.FdRead | WasiRights.FdWrite);
            int errno = w.PathOpen(5, 0, 1024, length, (int)(WasiOpenFlags.Create | WasiOpenFlags.Truncate), rights, rights, 0, (int)Slot);
            Assert.Equal("read-only contents", File.ReadAllText(Path.Combine(readOnly, "victim")));
            if (errno == 0)
            {
                // Opened through the descriptor whose rights were checked: the writable directory.
                Assert.True(File.Exists(Path.Combine(writable, "victim")));
                int fd = (int)BinaryPrimitives.ReadUInt32LittleEndian(memory.Inner.Bytes.AsSpan((int)Slot));
                memory.Inner.Bytes[8192] = (byte)'!';
                BinaryPrimitives.WriteUInt32LittleEndian(memory.Inner.Bytes.AsSpan(512), 8192);
                BinaryPrimitives.WriteUInt32LittleEndian(memory.Inner.Bytes.AsSpan(516), 1);
                Assert.Equal(0, w.FdWrite(fd, 512, 1, 600));
                Assert.Equal("!", File.ReadAllText(Path.Combine(writable, "victim")));
            }
            else Assert.Equal(E(WasiErrno.Badf), errno); // the directory was closed under it by the renumber
            Assert.Equal("read-only contents", File.ReadAllText(Path.Combine(readOnly, "victim")));
            Assert.Single(Directory.EnumerateFileSystemEntries(readOnly));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void WasiThreadsRenumberingAReadOnlyPreopenCannotWriteInIt(WasiPathResolution mode)
    {
        // fixtures/wasi-threads/rights_race.c: the race of the test above between real guest threads.
        var root = Directory.CreateTempSubdirectory("strand-wasi-rights-threads-").FullName;
        try
        {
            string writable = Directory.CreateDirectory(Path.Combine(root, "writable")).FullName;
            string readOnly = Directory.CreateDirectory(Path.Combine(root, "readonly")).FullName;
            File.WriteAllText(Path.Combine(readOnly, "victim"), "read-only contents");
            var stdout = new MemoryStream();
            using (var context = QuietContext(c => c
                .WithStandardOutput(stdout)
                .WithPreopenedDirectory(writable, "/w")
                .WithPreopenedDirectory(readOnly, "/r", readOnly: true)
                .WithPathResolution(mode)))
            {
                int exitCode = WasiHost.RunCommand(Strand.Module.FromFile(ProgramTests.FixturePath("wasi-threads", "rights_race")), context);
                Assert.Equal("unexpected results: 0\n", Encoding.UTF8.GetString(stdout.ToArray()));
                Assert.Equal(0, exitCode);
            }
            Assert.Equal("read-only contents", File.ReadAllText(Path.Combine(readOnly, "victim")));
            Assert.Single(Directory.EnumerateFileSystemEntries(readOnly));
            Assert.Equal("pwned", File.ReadAllText(Path.Combine(writable, "victim"))); // the writable one was opened
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void ConcurrentRightsRestrictionsNeverBringBackADroppedRight()
    {
        // One thread drops FD_WRITE, another restricts to the full set it had: the second checks against the rights it
        // sees and writes its set. Unsynchronized, it could check before the first's write and write after it,
        // giving FD_WRITE back. Whenever the drop succeeded, FD_WRITE must be gone at the end.
        using var host = new WasiTestHost();
        const WasiRights Full = WasiRights.FdRead | WasiRights.FdWrite | WasiRights.FdSeek;
        const WasiRights Dropped = WasiRights.FdRead | WasiRights.FdSeek;
        using var barrier = new Barrier(2);
        int regained = 0;
        for (int i = 0; i < 500; i++)
        {
            int fd = host.OpenOk("f" + (i % 4), WasiOpenFlags.Create, Full);
            int drop = -1, keep = -1;
            var dropper = new Thread(() =>
            {
                barrier.SignalAndWait(TimeSpan.FromMinutes(1));
                drop = host.Wasi.FdFdstatSetRights(fd, (long)Dropped, 0);
            });
            dropper.Start();
            barrier.SignalAndWait(TimeSpan.FromMinutes(1));
            keep = host.Wasi.FdFdstatSetRights(fd, (long)Full, 0);
            Assert.True(dropper.Join(TimeSpan.FromMinutes(1)));
            Assert.Equal(0, drop);
            Assert.True(keep is 0 or (int)WasiErrno.NotCapable, $"errno {keep}");
            Assert.Equal(0, host.Wasi.FdFdstatGet(fd, ResultArea));
            if (((WasiRights)host.U64(ResultArea + 8) & WasiRights.FdWrite) != 0) regained++;
            Assert.Equal(0, host.Wasi.FdClose(fd));
        }
        Assert.Equal(0, regained);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ThreadsClosingAndRenumberingDescriptorsNeverRedirectAnotherThreadsCalls(WasiPathResolution mode)
    {
        // One thread keeps opening "inner" (no file "marker" in it) into descriptor 10 (fd_renumber), opening and closing
        // the preopen itself (which has "marker") while 10 is taken, and closing 10, so host descriptor numbers pass
        // from inner's handles to the preopen's and back all the time. Three threads use descriptor 10: whatever it
        // is at the moment (inner, or nothing), "marker" is never found through it and ".." never leads anywhere.
        const int Slot = 10, Iterations = 400;
        using var host = new WasiTestHost(c => c.WithPathResolution(mode));
        Directory.CreateDirectory(Path.Combine(host.Root, "inner"));
        File.WriteAllText(Path.Combine(host.Root, "marker"), "in the preopen");
        for (int fd = 4; fd < Slot; fd++) Assert.Equal(0, host.Open("inner", WasiOpenFlags.Directory, WasiRights.Directory).Errno);

        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new Barrier(4);
        var threads = new List<Thread>
        {
            new(() =>
            {
                var memory = new ByteArrayGuestMemory(8192);
                var w = new WasiPreview1(host.Context, memory);
                int Open(string path)
                {
                    int length = Encoding.UTF8.GetBytes(path, memory.Bytes.AsSpan(1024));
                    int errno = w.PathOpen(PreopenFd, 0, 1024, length, (int)WasiOpenFlags.Directory, (long)WasiRights.Directory, (long)WasiRights.All, 0, 4096);
                    return errno == 0 ? BitConverter.ToInt32(memory.Bytes, 4096) : -errno;
                }
                start.SignalAndWait(TimeSpan.FromMinutes(1));
                for (int i = 0; i < Iterations; i++)
                {
                    int inner = Open("inner"); // 10 when free (4-9 are taken), else above it
                    if (inner < 0) unexpected.Enqueue($"open inner: {-inner}");
                    else if (inner != Slot && w.FdRenumber(inner, Slot) != 0) unexpected.Enqueue("renumber");
                    int self = Open(".");
                    if (self <= Slot) unexpected.Enqueue($"open . gave {self}");
                    else if (w.FdClose(self) != 0) unexpected.Enqueue("close .");
                    if (w.FdClose(Slot) != 0) unexpected.Enqueue("close 10");
                }
            }),
        };
        for (int t = 0; t < 3; t++)
        {
            threads.Add(new Thread(() =>
            {
                var memory = new ByteArrayGuestMemory(8192);
                var w = new WasiPreview1(host.Context, memory);
                int Call(Func<int, int, int> call, string path) => call(1024, Encoding.UTF8.GetBytes(path, memory.Bytes.AsSpan(1024)));
                start.SignalAndWait(TimeSpan.FromMinutes(1));
                for (int i = 0; i < Iterations * 4; i++)
                {
                    int stat = Call((p, l) => w.PathFilestatGet(Slot, 0, p, l, 4096), "marker");
                    if (stat is not ((int)WasiErrno.NoEnt or (int)WasiErrno.Badf or (int)WasiErrno.NotDir)) unexpected.Enqueue($"stat marker: {stat}");
                    int open = Call((p, l) => w.PathOpen(Slot, 0, p, l, 0, (long)WasiRights.FdRead, 0, 0, 4096), "marker");
                    if (open is not ((int)WasiErrno.NoEnt or (int)WasiErrno.Badf or (int)WasiErrno.NotDir)) unexpected.Enqueue($"open marker: {open}");
                    int up = Call((p, l) => w.PathFilestatGet(Slot, 0, p, l, 4096), "../marker");
                    if (up is not ((int)WasiErrno.NotCapable or (int)WasiErrno.Badf or (int)WasiErrno.NotDir)) unexpected.Enqueue($"stat ../marker: {up}");
                    int made = Call((p, l) => w.PathCreateDirectory(Slot, p, l), "made");
                    if (made is not (0 or (int)WasiErrno.Exist or (int)WasiErrno.Badf or (int)WasiErrno.NotDir)) unexpected.Enqueue($"mkdir: {made}");
                }
            }));
        }
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) Assert.True(thread.Join(TimeSpan.FromMinutes(2)));
        Assert.Empty(unexpected);
        Assert.False(Directory.Exists(Path.Combine(host.Root, "made")), "a directory was made in the preopen through descriptor 10");
        Assert.Equal("in the preopen", File.ReadAllText(Path.Combine(host.Root, "marker")));
    }
}

