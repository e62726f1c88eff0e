using System.Globalization;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Cli.Commands;

/// <summary><c>strand run FILE --invoke NAME [ARGS...]</c>.</summary>
public static class RunCommand
{
    public static int Execute(ArgumentReader args)
    {
        var programArgs = args.TakeTrailing();
        string? invoke = args.TakeOption("--invoke");
        var dirs = args.TakeAll("--dir");
        var envs = args.TakeAll("--env");
        bool inheritEnv = args.TakeFlag("--inherit-env");
        bool quiet = args.TakeFlag("--quiet");
        bool noCache = args.TakeFlag("--no-cache");
        string? cacheDir = args.TakeOption("--cache-dir");
        bool trapOnCollision = args.TakeFlag("--trap-on-stack-collision");
        bool detectCollisions = args.TakeFlag("--detect-stack-collisions") || trapOnCollision;
        var timeout = TakeTimeout(args);
        var threads = ThreadedRun.TakeOptions(args, detectCollisions, trapOnCollision);
        args.EnsureNoOptionsLeft();
        if (args.Remaining.Count == 0) throw new UsageException("run needs a FILE");
        string file = args.Remaining[0];
        var callArgs = args.Remaining.Skip(1).ToList();

        Module module;
        try
        {
            module = ModuleLoader.Load(file, quiet, noCache, cacheDir);
        }
        catch (Exception e) when (ModuleLoader.IsModuleError(e))
        {
            Console.Error.WriteLine($"strand: {file}: {e.Message}");
            return 1;
        }

        if (invoke is null)
        {
            if (threads is not null) throw new UsageException("--threads needs --invoke NAME");
            if (callArgs.Count > 0)
                throw new UsageException($"unexpected argument '{callArgs[0]}': program arguments go after '--'");
            var diagnostics = detectCollisions
                ? new Wasi.WasiThreadsOptions
                {
                    DetectStackCollisions = true,
                    TrapOnStackCollision = trapOnCollision,
                    // With the trap, the trap message is the report.
                    StackCollisionDetected = trapOnCollision ? null : c => Console.Error.WriteLine($"strand: stack collision: {c.Message}"),
                }
                : null;
            return WasiRun.Execute(module, file, programArgs, dirs, envs, inheritEnv, diagnostics, timeout);
        }

        if (threads is not null) return ThreadedRun.Execute(file, module, invoke, callArgs, threads, timeout);
        if (detectCollisions)
            throw new UsageException("--detect-stack-collisions and --trap-on-stack-collision need --threads N, or a WASI program with threads");
        // One call runs as a one-thread group: on its own big-stack thread, with the shadow-stack
        // guard when the module has a shadow stack (leaving it traps instead of silently overwriting
        // the data below it), and interruptible by --timeout.
        return ThreadedRun.ExecuteSingle(file, module, invoke, callArgs, timeout);
    }

    /// <summary><c>--timeout SECONDS</c>: how long guest code may run before it is interrupted (exit code 124).</summary>
    internal static TimeSpan? TakeTimeout(ArgumentReader args)
    {
        string? text = args.TakeOption("--timeout");
        if (text is null) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0) || seconds > 1e6)
            throw new UsageException($"--timeout takes a number of seconds greater than 0, got '{text}'");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Exit code when --timeout expires, as with the GNU timeout command.</summary>
    public const int TimeoutExitCode = 124;

    public static int ReportTimeout(TimeSpan timeout)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"strand: interrupted: the guest was still running after --timeout {timeout.TotalSeconds:0.###} s");
        return TimeoutExitCode;
    }

    public static Value[] ParseArguments(FuncType type, IReadOnlyList<string> texts, string name)
    {
        if (texts.Count != type.Params.Length)
            throw new UsageException($"'{name}' takes {type.Params.Length} argument(s) {type}, got {texts.Count}");
        var values = new Value[texts.Count];
        for (int i = 0; i < texts.Count; i++) values[i] = ParseValue(type.Params[i], texts[i], i);
        return values;
    }

    private static Value ParseValue(ValType type, string text, int position)
    {
        var inv = CultureInfo.InvariantCulture;
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.StartsWith("-0x", StringComparison.OrdinalIgnoreCase);
        try
        {
            switch (type)
            {
                case ValType.I32:
                    if (hex) return Value.I32(unchecked((int)Convert.ToUInt32(text.Replace("0x", "").Replace("0X", ""), 16)));
                    if (long.TryParse(text, NumberStyles.Integer, inv, out long l) && l >= int.MinValue && l <= uint.MaxValue)
                        return Value.I32(unchecked((int)l));
                    break;
                case ValType.I64:
                    if (hex) return Value.I64(unchecked((long)Convert.ToUInt64(text.Replace("0x", "").Replace("0X", ""), 16)));
                    if (long.TryParse(text, NumberStyles.Integer, inv, out long l64)) return Value.I64(l64);
                    if (ulong.TryParse(text, NumberStyles.Integer, inv, out ulong u64)) return Value.I64(unchecked((long)u64));
                    break;
                case ValType.F32:
                    if (float.TryParse(text, NumberStyles.Float, inv, out float f)) return Value.F32(f);
                    break;
                case ValType.F64:
                    if (double.TryParse(text, NumberStyles.Float, inv, out double d)) return Value.F64(d);
                    break;
                default:
                    throw new UsageException($"argument {position + 1}: {type.ToWat()} parameters cannot be given on the command line");
            }
        }
        catch (FormatException) { }
        catch (OverflowException) { }
        throw new UsageException($"argument {position + 1}: '{text}' is not a valid {type.ToWat()}");
    }

    public static string FormatValue(Value v) => v.Type switch
    {
        ValType.I32 => v.AsI32.ToString(CultureInfo.InvariantCulture),
        ValType.I64 => v.AsI64.ToString(CultureInfo.InvariantCulture),
        ValType.F32 => v.AsF32.ToString("R", CultureInfo.InvariantCulture),
        ValType.F64 => v.AsF64.ToString("R", CultureInfo.InvariantCulture),
        _ => v.Reference is null ? "null" : v.Reference.ToString() ?? "ref",
    };
}
