namespace Strand.Runtime;

/// <summary>
/// The bookkeeping of a call into guest code that a <see cref="CancellationToken"/> can stop: the token's registration
/// asks the callee's instance (and every instance sharing its interrupt signal) to trap with <see cref="TrapCode.Interrupted"/>,
/// the trap becomes an <see cref="OperationCanceledException"/>, and the interrupt is cleared afterwards so the instance
/// can be called again. One object serves <see cref="Instance.Invoke(string, CancellationToken, Value[])"/>,
/// <see cref="FunctionReference.Invoke(CancellationToken, Value[])"/> and the cancellable typed delegates, whose generated
/// body calls <see cref="Enter"/>, <see cref="IsCancellation"/>, <see cref="Cancelled"/> and <see cref="Exit"/>.
/// </summary>
internal sealed class CancellableCall
{
    private readonly Instance? _instance;

    public CancellableCall(FunctionReference function, CancellationToken token)
    {
        Function = function;
        Token = token;
        // A host function has no guest code of its own to interrupt; one that calls back into an instance should take
        // the token itself (docs/embedding.md).
        _instance = (function as WasmFunction)?.Instance;
    }

    public FunctionReference Function { get; }
    public CancellationToken Token { get; }

    /// <summary>Throws if the token is already cancelled, then registers the interrupt.</summary>
    public CancellationTokenRegistration Enter()
    {
        Token.ThrowIfCancellationRequested();
        return _instance is { } instance && Token.CanBeCanceled ? Token.Register(instance.RequestInterrupt) : default;
    }

    /// <summary>True when <paramref name="trap"/> is the interrupt this call's token caused.</summary>
    public bool IsCancellation(TrapException trap) => trap.Code == TrapCode.Interrupted && Token.IsCancellationRequested;

    /// <summary>The exception that replaces the interrupt trap: it carries the token, and the trap as its inner exception.</summary>
    public OperationCanceledException Cancelled(TrapException trap) => new("the call was cancelled", trap, Token);

    /// <summary>Ends the call: unregisters (waiting for a running interrupt request) and clears the interrupt it caused.</summary>
    public void Exit(CancellationTokenRegistration registration)
    {
        registration.Dispose(); // waits for a running RequestInterrupt, so the clear below comes after it
        if (Token.IsCancellationRequested) _instance?.ClearInterrupt();
    }

    /// <summary>Runs <paramref name="call"/> under this token.</summary>
    public T Run<T>(Func<FunctionReference, T> call)
    {
        var registration = Enter();
        try
        {
            return call(Function);
        }
        catch (TrapException e) when (IsCancellation(e))
        {
            throw Cancelled(e);
        }
        finally
        {
            Exit(registration);
        }
    }
}
