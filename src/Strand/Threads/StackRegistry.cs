using System.Runtime.CompilerServices;

namespace Strand.Threads;

/// <summary>When and how a <see cref="StackCollision"/> was found.</summary>
public enum StackCollisionKind
{
    /// <summary>
    /// Found when the thread was spawned: the stack the group gave it overlaps a live thread's stack, or its initial
    /// stack pointer lies inside one (shared mode, or groups whose stacks overlap on one memory).
    /// </summary>
    AtStart,

    /// <summary>
    /// Found at the first write of a guest-placed thread's stack pointer, the value that sets up its stack (its top):
    /// the new top lies inside another live thread's stack or is that stack's top (two threads given one stack).
    /// Only with <see cref="ThreadGroupOptions.DetectCrossThreadStackPointers"/>.
    /// </summary>
    StackPlaced,

    /// <summary>
    /// Found at a later write of the thread's stack pointer: the new value, or the stack it has used so far, entered
    /// another live thread's stack. Only with <see cref="ThreadGroupOptions.DetectCrossThreadStackPointers"/>.
    /// </summary>
    StackPointerEntered,
}

/// <summary>A thread's stack pointer (or stack) collided with another live thread's stack.</summary>
/// <param name="ThreadId">The thread that started, or whose stack-pointer write collided.</param>
/// <param name="StackPointer">Its initial stack pointer (<see cref="StackCollisionKind.AtStart"/>) or the value written.</param>
/// <param name="OtherThreadId">The live thread whose stack it collides with.</param>
/// <param name="OtherStack">That thread's stack: the range the group gave it, or for a guest-placed stack the range
/// it was seen to use so far, [lowest stack pointer, top).</param>
/// <param name="Kind">When the collision was found.</param>
public sealed record StackCollision(int ThreadId, uint StackPointer, int OtherThreadId, AddressRange OtherStack, StackCollisionKind Kind = StackCollisionKind.AtStart)
{
    /// <summary>The collision in one sentence, as <c>strand</c> prints it.</summary>
    public string Message => Kind switch
    {
        StackCollisionKind.StackPlaced =>
            $"thread {ThreadId} set its stack top to 0x{StackPointer:x8}, on thread {OtherThreadId}'s live stack {OtherStack}",
        StackCollisionKind.StackPointerEntered =>
            $"thread {ThreadId}'s __stack_pointer 0x{StackPointer:x8} entered thread {OtherThreadId}'s live stack {OtherStack}",
        _ => $"thread {ThreadId} starts with __stack_pointer 0x{StackPointer:x8} inside thread {OtherThreadId}'s live stack {OtherStack}",
    };

    /// <summary>See <see cref="Message"/>.</summary>
    public override string ToString() => Message;
}

/// <summary>
/// Every live thread's shadow stack on one memory, across all groups using the memory. A thread is registered
/// when it is spawned (before any of its guest code runs) and removed when it ends, so the reports depend only
/// on which threads are alive, not on how the OS schedules them.
/// </summary>
/// <remarks>
/// With <see cref="ThreadGroupOptions.DetectCrossThreadStackPointers"/> every stack-pointer write goes through
/// <see cref="OnStackPointerWrite"/>. That path takes no lock: the live threads are an immutable array replaced on
/// (un)registration, and each thread's learned extent is one 64-bit word that only the thread itself writes. The
/// lock is taken only when a collision is found, to report each pair of threads once.
/// </remarks>
internal sealed class StackRegistry
{
    private static readonly ConditionalWeakTable<Memory, StackRegistry> PerMemory = new();

    /// <summary>One live thread.</summary>
    internal sealed class Entry
    {
        internal const long Unknown = -1;
        private readonly long _private; // the private stack, packed like _extent (Unknown if none)
        private long _extent;           // (top << 32) | lowest stack pointer seen; Unknown until the top is known

        /// <param name="group">The thread's group.</param>
        /// <param name="threadId">Its id in the group.</param>
        /// <param name="startStack">The stack it starts on (the range the group placed it on), if any.</param>
        /// <param name="isPrivate">True when the group gave it <paramref name="startStack"/> for itself alone (isolated
        /// mode): other threads must stay out of all of it. Otherwise the thread's stack is learned from its writes.</param>
        /// <param name="knownTop">The top of its stack if known before it runs (the group's or the linker's value);
        /// null when the guest places it (the first write is the top).</param>
        public Entry(object group, int threadId, AddressRange? startStack, bool isPrivate, uint? knownTop)
        {
            Group = group;
            ThreadId = threadId;
            StartStack = startStack;
            _private = isPrivate && startStack is { } own ? Pack((uint)own.End, (uint)own.Start) : Unknown;
            _extent = knownTop is { } top ? Pack(top, top) : Unknown;
        }

        public object Group { get; }
        public int ThreadId { get; }
        public AddressRange? StartStack { get; }

        /// <summary>The stack the group gave this thread alone (isolated mode), if it did.</summary>
        public AddressRange? PrivateStack => Unpack(_private);
        internal long Serial { get; set; }

        /// <summary>What the thread has used of its stack so far, [lowest stack pointer, top); null until its top is known.</summary>
        public AddressRange? Learned => Unpack(Volatile.Read(ref _extent));

        /// <summary>The range other threads must not enter, packed: the private stack, or the learned one (Unknown: none yet).</summary>
        public long ProtectedWord => _private != Unknown ? _private : Volatile.Read(ref _extent);

        /// <summary>Records a write of the stack pointer (called on the thread itself only). True when it was the first, setting the top.</summary>
        public bool Record(uint value, out uint low, out uint top)
        {
            long e = _extent;
            bool first = e == Unknown;
            top = first ? value : Top(e);
            low = first ? value : Math.Min(Low(e), value);
            long updated = Pack(top, low);
            // Usually nothing changes (the same frames come and go): not writing keeps the word's cache line
            // shared by the threads that read it, instead of bouncing it between cores on every call.
            if (updated != e) Volatile.Write(ref _extent, updated);
            return first;
        }

        internal static long Pack(uint top, uint low) => (long)(((ulong)top << 32) | low);
        internal static uint Top(long e) => (uint)((ulong)e >> 32);
        internal static uint Low(long e) => (uint)e;
        internal static AddressRange? Unpack(long e) => e == Unknown ? null : new AddressRange(Low(e), Top(e));
    }

    private readonly object _lock = new();
    private readonly List<Entry> _live = [];
    private Entry[] _snapshot = [];
    private long _nextSerial;
    private readonly HashSet<(long, long)> _reportedPairs = [];

    public static StackRegistry For(Memory memory) => PerMemory.GetValue(memory, _ => new StackRegistry());

    /// <summary>The registry of <paramref name="memory"/> if a thread group ever used it, else null (nothing is created).</summary>
    public static StackRegistry? Existing(Memory memory) => PerMemory.TryGetValue(memory, out var registry) ? registry : null;

    /// <summary>
    /// Registers <paramref name="entry"/> and returns its collisions with live threads: the stack it starts on overlaps
    /// theirs (a stack pointer equal to another stack's top counts: the first frame lands just below it).
    /// </summary>
    public IReadOnlyList<StackCollision> Register(Entry entry, uint initialStackPointer)
    {
        lock (_lock)
        {
            var collisions = new List<StackCollision>();
            if (entry.StartStack is { } stack)
            {
                foreach (var other in _live)
                {
                    if (other.StartStack is not { } theirs) continue;
                    if (stack.Overlaps(theirs) || (initialStackPointer > theirs.Start && initialStackPointer <= theirs.End))
                        collisions.Add(new StackCollision(entry.ThreadId, initialStackPointer, other.ThreadId, theirs));
                }
            }
            entry.Serial = ++_nextSerial;
            _live.Add(entry);
            Volatile.Write(ref _snapshot, [.. _live]);
            return collisions;
        }
    }

    private readonly List<(AddressRange Range, object Owner)> _claimedLinkerStacks = [];

    /// <summary>
    /// Claims a module's linker stack (the stack its <c>__stack_pointer</c> starts on) for one thread, across every group on
    /// the memory: false when a live thread of any group already has a stack overlapping it. Released by
    /// <see cref="ReleaseLinkerStack"/> when the thread ends.
    /// </summary>
    public bool TryClaimLinkerStack(AddressRange stack, object owner)
    {
        lock (_lock)
        {
            foreach (var (range, _) in _claimedLinkerStacks)
                if (range.Overlaps(stack) || range == stack) return false;
            _claimedLinkerStacks.Add((stack, owner));
            return true;
        }
    }

    public void ReleaseLinkerStack(object owner)
    {
        lock (_lock) _claimedLinkerStacks.RemoveAll(c => ReferenceEquals(c.Owner, owner));
    }

    public void Unregister(Entry entry)
    {
        lock (_lock)
        {
            if (!_live.Remove(entry)) return;
            Volatile.Write(ref _snapshot, [.. _live]);
            _reportedPairs.RemoveWhere(pair => pair.Item1 == entry.Serial || pair.Item2 == entry.Serial);
        }
    }

    /// <summary>
    /// Records that <paramref name="self"/>'s thread writes <paramref name="value"/> to its stack pointer and returns the
    /// collisions this write reveals with other live threads, each pair of threads reported once (null: none).
    /// The first write of a thread whose top was unknown sets its top: it collides with a stack it lands inside
    /// (excluding that stack's bottom, where an adjacent stack may end) or whose top it equals. Later writes collide
    /// when the value lies strictly inside another stack (not on its bottom or top, where adjacent stacks meet), or
    /// when what the thread has used [lowest value, top) overlaps one.
    /// </summary>
    public List<StackCollision>? OnStackPointerWrite(Entry self, uint value)
    {
        bool first = self.Record(value, out uint low, out uint top);
        List<StackCollision>? found = null;
        var live = Volatile.Read(ref _snapshot);
        for (int i = 0; i < live.Length; i++)
        {
            var other = live[i];
            long theirs = other.ProtectedWord;
            if (theirs == Entry.Unknown || ReferenceEquals(other, self)) continue;
            uint start = Entry.Low(theirs), end = Entry.Top(theirs);
            bool collides = first
                ? value == end || (value > start && value < end)
                // Strictly inside theirs: a value equal to their bottom is the empty top of a stack right below theirs
                // (adjacent stacks), equal to their top the bottom of a stack right above; neither touches their bytes.
                : (value > start && value < end) || (low < end && start < top); // the value, or [low, top), inside theirs
            if (collides) Report(ref found, self, other, value, theirs, first);
        }
        return found;
    }

    private void Report(ref List<StackCollision>? found, Entry self, Entry other, uint value, long theirs, bool first)
    {
        var key = self.Serial < other.Serial ? (self.Serial, other.Serial) : (other.Serial, self.Serial);
        lock (_lock)
        {
            if (!_live.Contains(other) || !_reportedPairs.Add(key)) return;
        }
        (found ??= []).Add(new StackCollision(self.ThreadId, value, other.ThreadId, Entry.Unpack(theirs)!.Value,
            first ? StackCollisionKind.StackPlaced : StackCollisionKind.StackPointerEntered));
    }

    public IReadOnlyList<Entry> Live => Volatile.Read(ref _snapshot);

    /// <summary>
    /// The live thread other than <paramref name="self"/> whose private stack (isolated mode) <paramref name="address"/>
    /// lies strictly inside, if any: no stack pointer of another thread may be there. Lock-free.
    /// </summary>
    /// <param name="self">The asking thread's own entry (never returned); null: none.</param>
    /// <param name="address">A stack-pointer value.</param>
    /// <param name="includeTop">Also an address equal to a stack's top (its first frame would land on that stack).</param>
    public Entry? PrivateStackAround(Entry? self, uint address, bool includeTop = false)
    {
        foreach (var other in Volatile.Read(ref _snapshot))
        {
            if (ReferenceEquals(other, self) || other.PrivateStack is not { } theirs) continue;
            if (address > theirs.Start && (address < theirs.End || (includeTop && address == theirs.End))) return other;
        }
        return null;
    }
}
