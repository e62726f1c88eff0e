using Strand.Runtime;

namespace Strand.Threads;

/// <summary>One thread of a <see cref="ThreadGroup"/>: an instance of the group's module running one export on its own OS thread.</summary>
public sealed class WasmThread
{
    private readonly ManualResetEventSlim _done = new(false);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal WasmThread(int id, string export, Value[] arguments)
    {
        Id = id;
        Export = export;
        Arguments = arguments;
    }

    /// <summary>1-based; the first thread spawned in a group is 1.</summary>
    public int Id { get; }
    /// <summary>The exported function the thread runs.</summary>
    public string Export { get; }
    /// <summary>The arguments it was called with.</summary>
    public IReadOnlyList<Value> Arguments { get; }

    /// <summary>The export's results, once it returned normally.</summary>
    public Value[]? Result { get; internal set; }

    /// <summary>Why the thread failed: a <see cref="Runtime.TrapException"/> (including "interrupted" when the group was stopped) or another exception.</summary>
    public Exception? Error { get; internal set; }

    /// <summary>
    /// The thread's shadow stack [low, high): high is its initial stack pointer, low the overflow guard's floor. Null when the module has no known
    /// stack, and for threads after the first in <see cref="StackMode.GuestPlaced"/> mode (the guest places them).
    /// </summary>
    public AddressRange? StackRange { get; internal set; }

    /// <summary>
    /// With <see cref="ThreadGroupOptions.DetectCrossThreadStackPointers"/>: the part of its stack the thread has been
    /// seen to use, [lowest stack pointer written, top); null until its top is known (a guest-placed stack before its
    /// first write) or when the diagnostic is off.
    /// </summary>
    public AddressRange? ObservedStack => Registration?.Learned;

    internal StackRegistry.Entry? Registration { get; set; }

    /// <summary>
    /// The unassigned band right below <see cref="StackRange"/> (at least <see cref="ModuleLayout.RedZoneSize"/>
    /// bytes) where an LLVM leaf function called at the bottom of the stack puts its red-zone frame; null when nothing
    /// lies below the stack (a stack-first main stack).
    /// </summary>
    public AddressRange? RedZoneBand { get; internal set; }

    /// <summary>The initial value of the thread's stack-pointer global.</summary>
    public uint? InitialStackPointer { get; internal set; }

    /// <summary>The thread's TLS block, when the module has thread-locals.</summary>
    public AddressRange? TlsBlock { get; internal set; }

    /// <summary>The thread's instance (null until it is instantiated, or if instantiation failed).</summary>
    public Instance? Instance { get; internal set; }

    /// <summary>Wall-clock time from the start of the export call to its end.</summary>
    public TimeSpan Elapsed { get; internal set; }

    /// <summary>True once the thread has finished, successfully or not.</summary>
    public bool IsCompleted => _done.IsSet;

    /// <summary>Signalled when the thread has finished (for waiting on several things at once).</summary>
    internal WaitHandle CompletedHandle => _done.WaitHandle;
    /// <summary>True once the thread has finished without an error.</summary>
    public bool Succeeded => IsCompleted && Error is null;

    /// <summary>Waits for the thread to finish; false if it did not within <paramref name="timeout"/>.</summary>
    public bool Join(TimeSpan timeout) => _done.Wait(timeout);

    /// <summary>
    /// Waits for the thread to finish, at most <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: no limit);
    /// false if it did not. Cancelling <paramref name="cancellationToken"/> ends the wait with
    /// <see cref="OperationCanceledException"/>; the thread itself keeps running (stop it with <see cref="ThreadGroup.Cancel"/>).
    /// </summary>
    public bool Join(TimeSpan timeout, CancellationToken cancellationToken) => _done.Wait(timeout, cancellationToken);

    /// <summary>A task that completes (successfully, whatever the thread's outcome) when the thread has finished; see <see cref="Error"/> and <see cref="Result"/>.</summary>
    public Task Completion => _completion.Task;

    internal void Complete()
    {
        _done.Set();
        _completion.TrySetResult();
    }

    /// <summary>The thread's id, export and state, for diagnostics.</summary>
    public override string ToString() =>
        $"thread {Id} {Export}: " + (Error is not null ? $"failed: {Error.Message}" : Result is not null ? string.Join(", ", Result) : IsCompleted ? "done" : "running");
}
