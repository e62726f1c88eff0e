using Strand.Binary;
using Strand.Runtime;
using Strand.Wasi;

namespace Strand.Cli.Commands;

/// <summary>
/// <c>strand run prog.wasm [--dir H::G] [--env K=V] [--inherit-env] [--detect-stack-collisions] [--trap-on-stack-collision] -- ARGS</c>:
/// a WASI command, like wasmtime.
/// </summary>
public static class WasiRun
{
    /// <summary>The WASI context the options describe: arguments (the file's name first), environment and preopens.</summary>
    public static WasiContext BuildContext(string file, IReadOnlyList<string> programArgs, IReadOnlyList<string> dirs, IReadOnlyList<string> envs, bool inheritEnv)
    {
        try
        {
            return Configure(file, programArgs, dirs, envs, inheritEnv).Build();
        }
        catch (Exception e) when (e is PlatformNotSupportedException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // No preopens on this OS, an unreadable directory, a NUL in an argument or variable.
            throw new UsageException(e.Message.ReplaceLineEndings(" "));
        }
    }

    private static WasiConfiguration Configure(string file, IReadOnlyList<string> programArgs, IReadOnlyList<string> dirs, IReadOnlyList<string> envs, bool inheritEnv)
    {
        var config = new WasiConfiguration().WithArguments(new[] { Path.GetFileName(file) }.Concat(programArgs));
        if (inheritEnv) config = config.WithInheritedEnvironment();
        foreach (var env in envs)
        {
            int eq = env.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--env expects NAME=VALUE, got '{env}'");
            config = config.WithEnvironmentVariable(env[..eq], env[(eq + 1)..]);
        }
        foreach (var dir in dirs)
        {
            int sep = dir.IndexOf("::", StringComparison.Ordinal);
            string host = sep < 0 ? dir : dir[..sep];
            string guest = sep < 0 ? dir : dir[(sep + 2)..];
            if (host.Length == 0) throw new UsageException($"--dir expects HOST[::GUEST] with a non-empty HOST, got '{dir}'");
            if (guest.Length == 0) throw new UsageException($"--dir expects HOST[::GUEST] with a non-empty GUEST, got '{dir}'");
            if (!Directory.Exists(host)) throw new UsageException($"--dir: no such directory '{host}'");
            config = config.WithPreopenedDirectory(host, guest);
        }
        return config;
    }

    public static int Execute(Module module, string file, IReadOnlyList<string> programArgs, IReadOnlyList<string> dirs, IReadOnlyList<string> envs, bool inheritEnv, WasiThreadsOptions? threads = null, TimeSpan? timeout = null)
    {
        if (threads is not null && !WasiThreads.IsImportedBy(module))
            Console.Error.WriteLine($"strand: note: {file} does not import wasi.thread-spawn; it runs on one thread, with no stack collisions to detect");
        var context = BuildContext(file, programArgs, dirs, envs, inheritEnv);
        using var _ = context;
        using var deadline = timeout is { } t ? new CancellationTokenSource(t) : null;
        try
        {
            int code = WasiHost.RunCommand(module, context, threads: threads, cancellationToken: deadline?.Token ?? default);
            Console.Out.Flush();
            return WasiHost.ToProcessExitStatus(code);
        }
        catch (Exception e) when (e is LinkException or WasmImplementationLimitException)
        {
            return ReportCannotInstantiate(file, e);
        }
        catch (Exception e) when (deadline?.IsCancellationRequested == true && e is TrapException { Code: TrapCode.Interrupted } or OperationCanceledException)
        {
            return RunCommand.ReportTimeout(timeout!.Value);
        }
        catch (Exception e) when (e is TrapException or WasmException)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"strand: {RunCommand.DescribeGuestFailure(e)}");
            return 134;
        }
    }

    /// <summary>True when the module imports WASI preview 1 functions (then <c>--invoke</c> runs with the WASI host).</summary>
    public static bool ImportsWasi(Module module) =>
        module.Definition.Imports.Any(i => i.Module == WasiPreview1.ModuleName);

    /// <summary>
    /// <c>strand run FILE --invoke NAME ARGS</c> for a module importing WASI, as wasmtime does it: the WASI host is
    /// linked (with the --dir/--env options and the arguments after "--"), a reactor's <c>_initialize</c> runs first,
    /// then the export in the same instance; its results are printed one per line. <c>proc_exit</c> ends the run
    /// with its code.
    /// </summary>
    public static int Invoke(Module module, string file, string invoke, IReadOnlyList<string> callArgs, IReadOnlyList<string> programArgs,
        IReadOnlyList<string> dirs, IReadOnlyList<string> envs, bool inheritEnv, TimeSpan? timeout)
    {
        var export = module.Exports.FirstOrDefault(e => e.Name == invoke && e.Kind == Binary.ExternalKind.Function)
            ?? throw new UsageException($"{file} has no exported function '{invoke}' (exports: {string.Join(", ", module.Exports.Where(e => e.Kind == Binary.ExternalKind.Function).Select(e => e.Name))})");
        var values = RunCommand.ParseArguments(export.FunctionType!, callArgs, invoke);
        using var context = BuildContext(file, programArgs, dirs, envs, inheritEnv);
        using var deadline = timeout is { } t ? new CancellationTokenSource(t) : null;
        var host = new WasiHost(context) { Stopping = deadline?.Token ?? default };
        var linker = new Linker();
        host.Define(linker);
        Memory? imported = null;
        foreach (var import in module.Definition.Imports.Where(i => i.Kind == Binary.ExternalKind.Memory))
            linker.Define(import.Module, import.Name, imported = new Memory(import.Memory!));
        Instance instance;
        try
        {
            instance = linker.Instantiate(module);
        }
        catch (Exception e) when (e is LinkException or WasmImplementationLimitException)
        {
            return ReportCannotInstantiate(file, e);
        }
        using (instance)
        {
            if ((instance.GetMemory("memory") ?? imported) is { } memory) host.BindMemory(memory);
            using var interrupt = deadline?.Token.Register(instance.RequestInterrupt);
            try
            {
                if (module.Exports.Any(e => e.Name == "_initialize" && e.Kind == Binary.ExternalKind.Function && e.FunctionType is { Params.Length: 0, Results.Length: 0 }))
                    instance.Invoke("_initialize");
                var results = instance.Invoke(invoke, values);
                Console.Out.Flush();
                foreach (var result in results) Console.Out.WriteLine(RunCommand.FormatValue(result));
                return 0;
            }
            catch (Exception e) when (WasiHost.FindExit(e) is { } exit)
            {
                Console.Out.Flush();
                return WasiHost.ToProcessExitStatus(exit.ExitCode);
            }
            catch (TrapException e) when (deadline?.IsCancellationRequested == true && e.Code == TrapCode.Interrupted)
            {
                return RunCommand.ReportTimeout(timeout!.Value);
            }
            catch (Exception e) when (e is TrapException or WasmException)
            {
                Console.Out.Flush();
                Console.Error.WriteLine($"strand: {RunCommand.DescribeGuestFailure(e)}");
                return 134;
            }
        }
    }

    /// <summary>
    /// A module that cannot be instantiated: a missing or mismatched import, or an instantiation that needs more than
    /// Strand provides (e.g. a huge table). One line, exit code 1; never a trap.
    /// </summary>
    private static int ReportCannotInstantiate(string file, Exception e)
    {
        Console.Error.WriteLine(e is LinkException ? $"strand: cannot link {file}: {e.Message}" : $"strand: cannot instantiate {file}: {e.Message}");
        return 1;
    }
}
