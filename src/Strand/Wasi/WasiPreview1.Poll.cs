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
            // The subscriptions are read twice (below): events written over them would change what the second pass reads.
            if ((ulong)input < (ulong)output + count * WasiAbi.EventSize && (ulong)output < (ulong)input + count * WasiAbi.SubscriptionSize)
                throw Error(WasiErrno.Inval);

            // Two passes over the subscriptions, nothing collected on the host: the count is the guest's (up to 89
            // million in a 4 GiB memory). The first finds whether anything is ready now and the earliest clock (and
            // fails the whole call on a bad fd or type, before any event is written); the second writes the events.
            // Each clock is read once: both passes see the same "now", so they agree on which clocks are due.
            var now = new long?[Context.Clocks.Length];
            var read = new bool[Context.Clocks.Length];
            bool anyReady = false, anyClock = false;
            ulong earliest = ulong.MaxValue;
            for (uint i = 0; i < count; i++)
            {
                var (evaluated, wait) = Evaluate(input + i * WasiAbi.SubscriptionSize, now, read);
                if (evaluated is not null) anyReady = true;
                else
                {
                    anyClock = true;
                    earliest = Math.Min(earliest, wait);
                }
            }
            // Nothing ready: sleep until the earliest clock, which is then due, with every clock due as early.
            ulong due = 0;
            if (!anyReady && anyClock)
            {
                // Interrupted (the program is being cancelled or is ending): the thread traps "interrupted" at once
                // rather than returning EINTR, which a guest could take for an ordinary failure and act on.
                if (earliest > 0 && !Context.Sleep((long)Math.Min(earliest, long.MaxValue)))
                    throw new Runtime.TrapException(Runtime.TrapCode.Interrupted);
                due = earliest;
            }

            uint written = 0;
            for (uint i = 0; i < count; i++)
            {
                var (evaluated, wait) = Evaluate(input + i * WasiAbi.SubscriptionSize, now, read);
                if (evaluated is null)
                {
                    if (wait > due) continue;
                    evaluated = new PollEvent(Memory.ReadU64(input + i * WasiAbi.SubscriptionSize), WasiErrno.Success, WasiAbi.EventTypeClock, 0);
                }
                var e = evaluated.Value;
                uint at = output + written++ * WasiAbi.EventSize;
                Memory.GetSpan(at, WasiAbi.EventSize).Clear();
                Memory.WriteU64(at, e.UserData);
                Memory.WriteU16(at + 8, (ushort)e.Error);
                Memory.WriteU8(at + 10, e.Type);
                Memory.WriteU64(at + 16, e.ByteCount);
            }
            Memory.WriteU32((uint)neventsPointer, written);
            return 0;
        }
        catch (Exception e) when (TryMap(e, out int errno)) { return errno; }
    }

    /// <summary>
    /// One subscription: the event it gives at once (an fd one, or an EINVAL clock), or null and the nanoseconds until
    /// its clock is due. A bad fd (EBADF) or an unknown type (EINVAL) fails the whole call.
    /// </summary>
    /// <param name="at">Guest address of the 48-byte <c>subscription</c> record.</param>
    /// <param name="now">Each clock's time, read the first time a subscription names it (<paramref name="read"/>).</param>
    /// <param name="read">Per clock id: whether <paramref name="now"/> already holds its reading.</param>
    private (PollEvent? Event, ulong Wait) Evaluate(uint at, long?[] now, bool[] read)
    {
        ulong userData = Memory.ReadU64(at);
        byte type = Memory.ReadU8(at + 8);
        switch (type)
        {
            case WasiAbi.EventTypeClock:
            {
                uint clockId = Memory.ReadU32(at + 16);
                ulong timeout = Memory.ReadU64(at + 24);
                ushort flags = Memory.ReadU16(at + 40);
                if ((flags & ~WasiAbi.SubscriptionClockAbstime) != 0) return (new(userData, WasiErrno.Inval, type, 0), 0);
                if (clockId >= (uint)now.Length) return (new(userData, WasiErrno.Inval, type, 0), 0);
                if (!read[clockId])
                {
                    now[clockId] = Context.Clocks[clockId].Now();
                    read[clockId] = true;
                }
                if (now[clockId] is not { } time) return (new(userData, WasiErrno.Inval, type, 0), 0);
                ulong wait = (flags & WasiAbi.SubscriptionClockAbstime) != 0
                    ? timeout > (ulong)time ? timeout - (ulong)time : 0
                    : timeout;
                return (null, wait);
            }
            case WasiAbi.EventTypeFdRead:
            case WasiAbi.EventTypeFdWrite:
                return (FdReadiness(userData, type, Context.Get((int)Memory.ReadU32(at + 16))), 0); // an unknown fd: EBADF
            default:
                throw Error(WasiErrno.Inval);
        }
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
