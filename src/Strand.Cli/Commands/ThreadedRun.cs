using Strand.Binary;
using Strand.Runtime;
using Strand.Threads;

namespace Strand.Cli.Commands;

/// <summary><c>strand run FILE --invoke NAME --threads N [--stack-mode shared|isolated] [--stack-size SIZE] [--detect-stack-collisions] [--trap-on-stack-collision]</c>.</summary>
public static class ThreadedRun
{
    /// <summary>Takes the thread options; null when <c>--threads</c> is absent (then the others must be absent too).</summary>
    public static ThreadedRunOptions? TakeOptions(ArgumentReader args, bool detectCollisions = false, bool trapOnCollision = false)
    {
        int? threadCount = args.TakeInt("--threads", 1, 1024);
        string? modeText = args.TakeOption("--stack-mode");
        uint? size = args.TakeStackSize();
        if (threadCount is null)
        {
            if (modeText is not null || size is not null) throw new UsageException("--stack-mode and --stack-size need --threads N");
            return null;
        }
        var mode = modeText switch
        {
            null or "isolated" => StackMode.Isolated,
            "shared" => StackMode.Shared,
            _ => throw new UsageException($"--stack-mode must be 'isolated' or 'shared', got '{modeText}'"),
        };
        return new ThreadedRunOptions(threadCount.Value, mode, size, detectCollisions, trapOnCollision);
    }

    /// <summary>
    /// Runs the export once, in a one-thread <see cref="ThreadGroup"/> (for its shadow-stack guard), and prints
    /// its results one per line like a plain <c>strand run --invoke</c>.
    /// </summary>
    public static int ExecuteSingle(string file, Module module, string invoke, IReadOnlyList<string> callArgs, TimeSpan? timeout = null)
    {
        var export = FindExport(file, module, invoke);
        var values = RunCommand.ParseArguments(export.FunctionType!, callArgs, invoke);
        if (CreateGroup(file, module, new ThreadGroupOptions { Timeout = timeout }) is not { } group) return 1;
        using (group)
        {
            WasmThread thread;
            try
            {
                thread = group.Spawn(invoke, values);
            }
            catch (ThreadSpawnException e)
            {
                // Its stack or TLS block does not fit (e.g. an imported __stack_pointer: the thread needs a region).
                Console.Error.WriteLine($"strand: {e.Message}");
                return 1;
            }
            try
            {
                group.WaitAll();
            }
            catch (ThreadGroupException e) when (e.InnerException is WasmImplementationLimitException limit)
            {
                // Instantiation needed more than Strand provides (e.g. a huge table): the module cannot run, not a trap.
                Console.Error.WriteLine($"strand: cannot instantiate {file}: {limit.Message}");
                return 1;
            }
            catch (ThreadGroupException e)
            {
                Console.Error.WriteLine($"strand: {RunCommand.DescribeGuestFailure(e.InnerException ?? e)}");
                return 134;
            }
            catch (TimeoutException)
            {
                return RunCommand.ReportTimeout(timeout!.Value);
            }
            foreach (var result in thread.Result!) Console.Out.WriteLine(RunCommand.FormatValue(result));
            return 0;
        }
    }

    /// <summary>The module's thread group, or null after reporting why it cannot be linked.</summary>
    private static ThreadGroup? CreateGroup(string file, Module module, ThreadGroupOptions options)
    {
        try
        {
            return new ThreadGroup(module, options);
        }
        catch (LinkException e)
        {
            Console.Error.WriteLine($"strand: cannot link {file}: {e.Message}");
            return null;
        }
        catch (WasmImplementationLimitException e)
        {
            // The group creates the shared memory itself (e.g. a 64-bit memory above Strand's 64 GiB): not a trap.
            Console.Error.WriteLine($"strand: cannot instantiate {file}: {e.Message}");
            return null;
        }
    }

    private static ExportInfo FindExport(string file, Module module, string invoke) =>
        module.Exports.FirstOrDefault(e => e.Name == invoke && e.Kind == ExternalKind.Function)
            ?? throw new UsageException($"{file} has no exported function '{invoke}' (exports: {string.Join(", ", module.Exports.Where(e => e.Kind == ExternalKind.Function).Select(e => e.Name))})");

    /// <summary>Runs the export on every thread of one <see cref="ThreadGroup"/> and prints each thread's outcome and stack.</summary>
    public static int Execute(string file, Module module, string invoke, IReadOnlyList<string> callArgs, ThreadedRunOptions options, TimeSpan? timeout = null)
    {
        var export = FindExport(file, module, invoke);
        var values = RunCommand.ParseArguments(export.FunctionType!, callArgs, invoke);
        // All threads are released together, so that their guest code runs at the same time.
        var groupOptions = new ThreadGroupOptions
        {
                StackMode = options.Mode,
                StackSize = options.StackSize,
                StartTogether = true,
                DetectCrossThreadStackPointers = options.DetectCollisions,
                TrapOnStackCollision = options.TrapOnCollision,
                Timeout = timeout,
        };
        if (CreateGroup(file, module, groupOptions) is not { } group) return 1;
        using (group)
        {
            try
            {
                for (int i = 0; i < options.Threads; i++) group.Spawn(invoke, values);
            }
            catch (InvalidOperationException) when (group.FirstError is not null || group.StopReason is not null)
            {
                // An earlier thread already failed (e.g. the module's start function trapped in thread 1's
                // instantiation) and stopped the group: no more threads; its failure is reported below.
            }
            catch (ThreadSpawnException e)
            {
                group.Cancel();
                Console.Error.WriteLine($"strand: {e.Message}");
                return 1;
            }
            try
            {
                group.WaitAll();
            }
            catch (ThreadGroupException)
            {
                // Every thread's outcome is printed below; the first failure decides the exit code.
            }
            catch (TimeoutException)
            {
                foreach (var t in group.Threads) Console.Out.WriteLine($"thread {t.Id}: {(t.Error is null && t.Result is { } r ? string.Join(" ", r.Select(RunCommand.FormatValue)) : "interrupted")}");
                return RunCommand.ReportTimeout(timeout!.Value);
            }
            foreach (var t in group.Threads)
            {
                string outcome = t.Error is { } error ? $"trap: {error.Message}" : string.Join(" ", t.Result!.Select(RunCommand.FormatValue));
                string stack = t.StackRange is { } r ? $"   stack {r}" : "";
                Console.Out.WriteLine($"thread {t.Id}: {outcome}{stack}");
            }
            var collisions = new CollisionSummary(Console.Out, "collision: ");
            foreach (var c in group.Collisions) collisions.Report(c);
            collisions.WriteSummary();
            if (group.FirstError is { InnerException: WasmImplementationLimitException limit })
            {
                Console.Error.WriteLine($"strand: cannot instantiate {file}: {limit.Message}");
                return 1;
            }
            if (group.FirstError is { } first)
            {
                Console.Error.WriteLine($"strand: {RunCommand.DescribeGuestFailure(first.InnerException!, $" in thread {first.ThreadId}")}");
                return 134;
            }
            return 0;
        }
    }
}

public sealed record ThreadedRunOptions(int Threads, StackMode Mode, uint? StackSize, bool DetectCollisions = false, bool TrapOnCollision = false);
