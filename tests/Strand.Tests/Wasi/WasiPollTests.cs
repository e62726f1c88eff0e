using Xunit;
using System.Diagnostics;
using Strand.Wasi;
using static Strand.Tests.Wasi.WasiTestHost;

namespace Strand.Tests.Wasi;

public class WasiPollTests
{
    private const int Subscriptions = BufferArea, Events = BufferArea + 1024;

    private static void ClockSubscription(WasiTestHost host, int index, ulong userData, WasiClockId clock, ulong timeout, bool absolute = false)
    {
        int at = Subscriptions + index * 48;
        host.Bytes.AsSpan(at, 48).Clear();
        host.SetU64(at, userData);
        host.Bytes[at + 8] = 0; // EVENTTYPE_CLOCK
        host.SetU32(at + 16, (uint)clock);
        host.SetU64(at + 24, timeout);
        host.Bytes[at + 40] = absolute ? (byte)1 : (byte)0;
    }

    private static void FdSubscription(WasiTestHost host, int index, ulong userData, byte type, int fd)
    {
        int at = Subscriptions + index * 48;
        host.Bytes.AsSpan(at, 48).Clear();
        host.SetU64(at, userData);
        host.Bytes[at + 8] = type;
        host.SetU32(at + 16, (uint)fd);
    }

    [Fact]
    public void RelativeClockZeroTimeoutFiresImmediately()
    {
        using var host = new WasiTestHost();
        ClockSubscription(host, 0, 0x1234, WasiClockId.Monotonic, 0);
        Assert.Equal(0, host.Wasi.PollOneoff(Subscriptions, Events, 1, ResultArea));
        Assert.Equal(1u, host.U32(ResultArea));
        Assert.Equal(0x1234UL, host.U64(Events));
        Assert.Equal(0, host.U16(Events + 8));
        Assert.Equal(0, host.Bytes[Events + 10]);
    }

    [Fact]
    public void RelativeClockSleepsAtLeastTheTimeout()
    {
        using var host = new WasiTestHost();
        ClockSubscription(host, 0, 7, WasiClockId.Monotonic, 5_000_000);
        ClockSubscription(host, 1, 8, WasiClockId.Realtime, 60_000_000_000);
        var watch = Stopwatch.StartNew();
        Assert.Equal(0, host.Wasi.PollOneoff(Subscriptions, Events, 2, ResultArea));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(5), $"slept {watch.Elapsed}");
        Assert.Equal(1u, host.U32(ResultArea)); // only the earliest clock fired
        Assert.Equal(7UL, host.U64(Events));
    }

    [Fact]
    public void AbsoluteClockUsesTheClockValue()
    {
        long now = 1_000_000;
        long slept = 0;
        using var host = new WasiTestHost(c => c.WithClock(WasiClockId.Monotonic, () => now).WithSleep(ns => slept += ns));
        ClockSubscription(host, 0, 1, WasiClockId.Monotonic, 3_000_000, absolute: true);
        Assert.Equal(0, host.Wasi.PollOneoff(Subscriptions, Events, 1, ResultArea));
        Assert.Equal(2_000_000L, slept);
        ClockSubscription(host, 0, 2, WasiClockId.Monotonic, 500_000, absolute: true); // already past
        Assert.Equal(0, host.Wasi.PollOneoff(Subscriptions, Events, 1, ResultArea));
        Assert.Equal(2_000_000L, slept);
        Assert.Equal(2UL, host.U64(Events));
    }

    [Fact]
    public void FileReadinessIsImmediate()
    {
        long slept = 0;
        using var host = new WasiTestHost(c => c.WithSleep(ns => slept += ns));
        File.WriteAllText(Path.Combine(host.Root, "f"), "12345");
        int fd = host.OpenOk("f", 0, WasiRights.FdRead | WasiRights.FdWrite | WasiRights.FdSeek);
        host.Wasi.FdSeek(fd, 2, 0, ResultArea);
        FdSubscription(host, 0, 10, 1, fd);
        FdSubscription(host, 1, 11, 2, 1);
        ClockSubscription(host, 2, 12, WasiClockId.Monotonic, 1_000_000_000);
        Assert.Equal(0, host.Wasi.PollOneoff(Subscriptions, Events, 3, ResultArea));
        Assert.Equal(0L, slept);
        Assert.Equal(2u, host.U32(ResultArea));
        Assert.Equal(10UL, host.U64(Events));
        Assert.Equal(1, host.Bytes[Events + 10]);
        Assert.Equal(3UL, host.U64(Events + 16)); // bytes left to read
        Assert.Equal(11UL, host.U64(Events + 32));
        Assert.Equal(2, host.Bytes[Events + 32 + 10]);
    }

    [Fact]
    public void PollErrors()
    {
        using var host = new WasiTestHost();
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.PollOneoff(Subscriptions, Events, 0, ResultArea));
        FdSubscription(host, 0, 1, 1, 99);
        Assert.Equal(E(WasiErrno.Badf), host.Wasi.PollOneoff(Subscriptions, Events, 1, ResultArea));
        FdSubscription(host, 0, 1, 9, 0);
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.PollOneoff(Subscriptions, Events, 1, ResultArea));
        Assert.Equal(E(WasiErrno.Inval), host.Wasi.PollOneoff(Subscriptions + 4, Events, 1, ResultArea));
        Assert.Equal(E(WasiErrno.Fault), host.Wasi.PollOneoff(Subscriptions, 65536 - 16, 1, ResultArea));

        // An unknown clock is reported in the event, not as a call failure.
        ClockSubscription(host, 0, 5, (WasiClockId)9, 0);
        Assert.Equal(0, host.Wasi.PollOneoff(Subscriptions, Events, 1, ResultArea));
        Assert.Equal(1u, host.U32(ResultArea));
        Assert.Equal((ushort)WasiErrno.Inval, host.U16(Events + 8));
    }
}
