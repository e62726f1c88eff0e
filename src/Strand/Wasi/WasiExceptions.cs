namespace Strand.Wasi;

/// <summary>Thrown by <c>proc_exit</c>: the guest asked to terminate with <see cref="ExitCode"/>.</summary>
public sealed class WasiExitException(int exitCode) : Exception($"WASI program exited with code {exitCode}")
{
    /// <summary>The argument of <c>proc_exit</c>.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>Internal control flow: aborts a WASI call, which then returns <see cref="Errno"/> to the guest.</summary>
internal sealed class WasiErrnoException(WasiErrno errno) : Exception($"WASI error {errno}")
{
    public WasiErrno Errno { get; } = errno;
}
