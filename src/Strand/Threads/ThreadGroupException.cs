namespace Strand.Threads;

/// <summary>The first failure of a thread group: which thread failed, with its trap (or other exception) as the inner exception.</summary>
public sealed class ThreadGroupException : Exception
{
    /// <summary>Thread <paramref name="threadId"/> of a group failed with <paramref name="inner"/> (usually a <see cref="Strand.Runtime.TrapException"/>).</summary>
    public ThreadGroupException(int threadId, Exception inner)
        : base($"thread {threadId} failed: {inner.Message}", inner) => ThreadId = threadId;

    /// <summary>The 1-based id of the thread that failed first.</summary>
    public int ThreadId { get; }
}

/// <summary>A thread could not be spawned: its shadow stack or TLS block does not fit, or the module cannot run on several threads.</summary>
public sealed class ThreadSpawnException(string message) : Exception(message);
