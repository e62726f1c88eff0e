using System.Runtime.CompilerServices;

namespace Strand.Threads;

/// <summary>A thread started with its stack pointer inside (or its stack overlapping) another live thread's stack.</summary>
/// <param name="ThreadId">The thread that started.</param>
/// <param name="StackPointer">Its initial stack pointer.</param>
/// <param name="OtherThreadId">The live thread whose stack it collides with.</param>
/// <param name="OtherStack">That thread's stack.</param>
public sealed record StackCollision(int ThreadId, uint StackPointer, int OtherThreadId, AddressRange OtherStack)
{
    public string Message =>
        $"thread {ThreadId} starts with __stack_pointer 0x{StackPointer:x8} inside thread {OtherThreadId}'s live stack {OtherStack}";

    public override string ToString() => Message;
}

/// <summary>
/// Every live thread's shadow stack on one memory, across all groups using the memory. A thread is registered
/// when it is spawned (before any of its guest code runs) and removed when it ends, so the reports depend only
/// on which threads are alive, not on how the OS schedules them.
/// </summary>
internal sealed class StackRegistry
{
    private static readonly ConditionalWeakTable<Memory, StackRegistry> PerMemory = new();

    internal sealed record Entry(object Group, int ThreadId, AddressRange Stack);

    private readonly object _lock = new();
    private readonly List<Entry> _live = [];

    public static StackRegistry For(Memory memory) => PerMemory.GetValue(memory, _ => new StackRegistry());

    /// <summary>
    /// Registers <paramref name="entry"/> and returns its collisions with live threads: the new stack overlaps theirs
    /// (a stack pointer equal to another stack's top counts: the first frame lands just below it).
    /// </summary>
    public IReadOnlyList<StackCollision> Register(Entry entry, uint initialStackPointer)
    {
        lock (_lock)
        {
            var collisions = new List<StackCollision>();
            foreach (var other in _live)
            {
                if (entry.Stack.Overlaps(other.Stack) || (initialStackPointer > other.Stack.Start && initialStackPointer <= other.Stack.End))
                    collisions.Add(new StackCollision(entry.ThreadId, initialStackPointer, other.ThreadId, other.Stack));
            }
            _live.Add(entry);
            return collisions;
        }
    }

    public void Unregister(Entry entry)
    {
        lock (_lock) _live.Remove(entry);
    }

    /// <summary>The live thread (other than <paramref name="self"/>) whose stack a stack pointer of <paramref name="value"/> would write into.</summary>
    public Entry? FindOtherOwner(Entry self, uint value)
    {
        lock (_lock)
        {
            foreach (var other in _live)
                if (!ReferenceEquals(other, self) && !other.Stack.Equals(self.Stack) && value > other.Stack.Start && value <= other.Stack.End)
                    return other;
            return null;
        }
    }

    public IReadOnlyList<Entry> Live
    {
        get { lock (_lock) return _live.ToArray(); }
    }
}
