using Strand.Runtime;
using Strand.Wasi;

namespace Strand.Cli.Commands;

/// <summary>
/// <c>strand run prog.wasm [--dir H::G] [--env K=V] [--inherit-env] [--detect-stack-collisions] [--trap-on-stack-collision] -- ARGS</c>:
/// a WASI command, like wasmtime.
/// </summary>
public static class WasiRun
{
    public static int Execute(Module module, string file, IReadOnlyList<string> programArgs, IReadOnlyList<string> dirs, IReadOnlyList<string> envs, bool inheritEnv, WasiThreadsOptions? threads = null, TimeSpan? timeout = null)
    {
        var config = new WasiConfiguration().WithArguments(new[] { Path.GetFileName(file) }.Concat(programArgs));
        if (inheritEnv) config = config.WithInheritedEnvironment();
        foreach (var env in envs)
        {
            int eq = env.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--env expects K=V, got '{env}'");
            config = config.WithEnvironmentVariable(env[..eq], env[(eq + 1)..]);
        }
        foreach (var dir in dirs)
        {
            int sep = dir.IndexOf("::", StringComparison.Ordinal);
            string host = sep < 0 ? dir : dir[..sep];
            string guest = sep < 0 ? dir : dir[(sep + 2)..];
            if (!Directory.Exists(host)) throw new UsageException($"--dir: no such directory '{host}'");
            config = config.WithPreopenedDirectory(host, guest);
        }
        if (threads is not null && !WasiThreads.IsImportedBy(module))
            Console.Error.WriteLine($"strand: note: {file} does not import wasi.thread-spawn; it runs on one thread, with no stack collisions to detect");
        WasiContext context;
        try
        {
            context = config.Build();
        }
        catch (Exception e) when (e is PlatformNotSupportedException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--dir: {e.Message}"); // no preopens on this OS, or an unreadable directory
        }
        using var _ = context;
        using var deadline = timeout is { } t ? new CancellationTokenSource(t) : null;
        try
        {
            int code = WasiHost.RunCommand(module, context, threads: threads, cancellationToken: deadline?.Token ?? default);
            Console.Out.Flush();
            return WasiHost.ToProcessExitStatus(code);
        }
        catch (LinkException e)
        {
            Console.Error.WriteLine($"strand: cannot link {file}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (deadline?.IsCancellationRequested == true && e is TrapException { Code: TrapCode.Interrupted } or OperationCanceledException)
        {
            return RunCommand.ReportTimeout(timeout!.Value);
        }
        catch (TrapException e)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"strand: wasm trap: {e.Message}");
            return 134;
        }
    }
}
