namespace Strand.Wasi;

public sealed partial class WasiPreview1
{
    private readonly record struct PollEvent(ulong UserData, WasiErrno Error, byte Type, ulong ByteCount);

    /// <summary>
    /// poll_oneoff: clock subscriptions (relative or absolute) and fd readiness. Regular files are
    /// always ready (as the spec says); standard streams are reported ready too, since .NET streams
    /// offer no readiness test, so a following read on an idle console may block.
    /// If anything is ready the call returns at once; otherwise it sleeps until the earliest clock.
    /// </summary>
    public int PollOneoff(int subscriptionsPointer, int eventsPointer, int subscriptionCount, int neventsPointer)
    {
        try
        {
            uint count = (uint)subscriptionCount;
            if (count == 0) throw Error(WasiErrno.Inval);
            uint input = (uint)subscriptionsPointer, output = (uint)eventsPointer;
            GuestMemoryAccess.CheckAlignment(input, WasiAbi.SubscriptionAlign);
            GuestMemoryAccess.CheckAlignment(output, WasiAbi.EventAlign);
            if ((ulong)count * WasiAbi.SubscriptionSize > uint.MaxValue) throw Error(WasiErrno.Fault);
            Memory.GetSpan(input, count * WasiAbi.SubscriptionSize);
            Memory.GetSpan(output, count * WasiAbi.EventSize);
            CheckResultSlot(neventsPointer, 4, 4);

            var ready = new List<PollEvent>();
            var clocks = new List<(ulong UserData, ulong Wait)>();
            for (uint i = 0; i < count; i++)
            {
                uint at = input + i * WasiAbi.SubscriptionSize;
                ulong userData = Memory.ReadU64(at);
                byte type = Memory.ReadU8(at + 8);
                switch (type)
                {
                    case WasiAbi.EventTypeClock:
                    {
                        uint clockId = Memory.ReadU32(at + 16);
                        ulong timeout = Memory.ReadU64(at + 24);
                        ushort flags = Memory.ReadU16(at + 40);
                        if ((flags & ~WasiAbi.SubscriptionClockAbstime) != 0)
                        {
                            ready.Add(new(userData, WasiErrno.Inval, type, 0));
                            break;
                        }
                        long? now = clockId < (uint)Context.Clocks.Length ? Context.Clocks[clockId].Now() : null;
                        if (now is null)
                        {
                            ready.Add(new(userData, WasiErrno.Inval, type, 0));
                            break;
                        }
                        ulong wait = (flags & WasiAbi.SubscriptionClockAbstime) != 0
                            ? timeout > (ulong)now.Value ? timeout - (ulong)now.Value : 0
                            : timeout;
                        clocks.Add((userData, wait));
                        break;
                    }
                    case WasiAbi.EventTypeFdRead:
                    case WasiAbi.EventTypeFdWrite:
                    {
                        var descriptor = Context.Get((int)Memory.ReadU32(at + 16)); // an unknown fd fails the whole call (EBADF)
                        ready.Add(FdReadiness(userData, type, descriptor));
                        break;
                    }
                    default:
                        throw Error(WasiErrno.Inval);
                }
            }

            if (ready.Count == 0 && clocks.Count > 0)
            {
                ulong earliest = clocks.Min(c => c.Wait);
                if (earliest > 0) Sleep((long)Math.Min(earliest, long.MaxValue));
                foreach (var (userData, wait) in clocks)
                    if (wait <= earliest) ready.Add(new(userData, WasiErrno.Success, WasiAbi.EventTypeClock, 0));
            }
            else
            {
                foreach (var (userData, wait) in clocks)
                    if (wait == 0) ready.Add(new(userData, WasiErrno.Success, WasiAbi.EventTypeClock, 0));
            }

            for (int i = 0; i < ready.Count; i++)
            {
                uint at = output + (uint)i * WasiAbi.EventSize;
                Memory.GetSpan(at, WasiAbi.EventSize).Clear();
                Memory.WriteU64(at, ready[i].UserData);
                Memory.WriteU16(at + 8, (ushort)ready[i].Error);
                Memory.WriteU8(at + 10, ready[i].Type);
                Memory.WriteU64(at + 16, ready[i].ByteCount);
            }
            Memory.WriteU32((uint)neventsPointer, (uint)ready.Count);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>
    /// Cancelled when the program is over (another thread exited or trapped, the run was cancelled): a sleeping
    /// <c>poll_oneoff</c> wakes up and traps with "interrupted" instead of holding its thread.
    /// </summary>
    internal CancellationToken Stopping { get; set; }

    /// <summary>poll_oneoff's wait for its earliest clock: the context's sleep, cut short when <see cref="Stopping"/> is cancelled.</summary>
    private void Sleep(long nanoseconds)
    {
        if (Context.CustomSleep is { } custom) custom(nanoseconds);
        else WasiContext.PreciseSleep(nanoseconds, Stopping);
        if (Stopping.IsCancellationRequested) throw new Runtime.TrapException(Runtime.TrapCode.Interrupted);
    }

    private static PollEvent FdReadiness(ulong userData, byte type, WasiDescriptor descriptor)
    {
        bool reading = type == WasiAbi.EventTypeFdRead;
        if (descriptor is DirectoryDescriptor) return new(userData, WasiErrno.Badf, type, 0);
        if (!descriptor.Has(reading ? WasiRights.FdRead : WasiRights.FdWrite)) return new(userData, WasiErrno.NotCapable, type, 0);
        Stream stream = descriptor is FileDescriptor file ? file.Stream : ((StreamDescriptor)descriptor).Stream;
        ulong available = 0;
        if (reading && stream.CanSeek)
        {
            try
            {
                available = (ulong)Math.Max(0, stream.Length - stream.Position);
            }
            catch (IOException)
            {
                available = 0;
            }
        }
        return new(userData, WasiErrno.Success, type, available);
    }
}
