using System.Runtime.Intrinsics;
using System.Globalization;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Cli.Commands;

/// <summary><c>strand run FILE --invoke NAME [ARGS...]</c>.</summary>
public static class RunCommand
{
    /// <summary><c>--interpreter auto|always|never</c> (<see cref="CompileOptions.Interpreter"/>); the default: auto.</summary>
    private static InterpreterMode TakeInterpreterMode(ArgumentReader args) => args.TakeOption("--interpreter") switch
    {
        null or "auto" => InterpreterMode.Auto,
        "always" => InterpreterMode.Always,
        "never" => InterpreterMode.Never,
        var other => throw new UsageException($"--interpreter takes auto, always or never, not '{other}'"),
    };

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
        var interpreter = TakeInterpreterMode(args);
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
            module = ModuleLoader.Load(file, quiet, noCache, cacheDir, interpreter);
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
            var collisions = new CollisionSummary(Console.Error, "strand: stack collision: ");
            var diagnostics = detectCollisions
                ? new Wasi.WasiThreadsOptions
                {
                    DetectStackCollisions = true,
                    TrapOnStackCollision = trapOnCollision,
                    // With the trap, the trap message is the report.
                    StackCollisionDetected = trapOnCollision ? null : collisions.Report,
                }
                : null;
            try
            {
                return WasiRun.Execute(module, file, programArgs, dirs, envs, inheritEnv, diagnostics, timeout);
            }
            finally
            {
                collisions.WriteSummary();
            }
        }

        if (threads is null && !detectCollisions && WasiRun.ImportsWasi(module))
            return WasiRun.Invoke(module, file, invoke, callArgs, programArgs, dirs, envs, inheritEnv, timeout);
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

    /// <summary>
    /// How a failure of guest code is named on stderr: "wasm trap: MESSAGE", or, for a wasm exception no handler caught
    /// (exception handling; also exit code 134), its own message "uncaught wasm exception (TAG: PAYLOAD)".
    /// </summary>
    public static string DescribeGuestFailure(Exception e, string where = "") =>
        e is Strand.Runtime.WasmException ? $"{e.Message}{where}" : $"wasm trap{where}: {e.Message}";

    public static int ReportTimeout(TimeSpan timeout)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"strand: interrupted: the guest was still running after --timeout {FormatSeconds(timeout)}");
        return TimeoutExitCode;
    }

    /// <summary>A duration as the user typed it: seconds with every significant digit (0.000001 s, not "0 s").</summary>
    public static string FormatSeconds(TimeSpan duration) =>
        $"{(duration.Ticks / (decimal)TimeSpan.TicksPerSecond).ToString("0.#######", CultureInfo.InvariantCulture)} s";

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
        switch (type)
        {
            case ValType.I32:
                // Decimal or 0x hex, signed or unsigned: -1, 4294967295 and 0xffffffff are the same i32.
                if (ParseInteger(text, long.MinValue, ulong.MaxValue) is { } i && i >= int.MinValue && i <= uint.MaxValue)
                    return Value.I32(unchecked((int)(long)i));
                break;
            case ValType.I64:
                if (ParseInteger(text, long.MinValue, ulong.MaxValue) is { } l) return Value.I64(unchecked((long)l));
                break;
            case ValType.F32:
                if (float.TryParse(text, NumberStyles.Float, inv, out float f)) return Value.F32(f);
                break;
            case ValType.F64:
                if (double.TryParse(text, NumberStyles.Float, inv, out double d)) return Value.F64(d);
                break;
            case ValType.V128:
                // The 128-bit value in hex, as results print: 0x then up to 32 digits, lane 0 in the lowest bits.
                if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && text.Length is > 2 and <= 34
                    && UInt128.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, inv, out var v))
                    return Value.V128(System.Runtime.Intrinsics.Vector128.AsByte(System.Runtime.Intrinsics.Vector128.Create((ulong)v, (ulong)(v >> 64))));
                break;
            default:
                throw new UsageException($"argument {position + 1}: {type.ToWat()} parameters cannot be given on the command line");
        }
        throw new UsageException($"argument {position + 1}: '{text}' is not a valid {type.ToWat()}");
    }

    /// <summary>
    /// An integer written in decimal or hex (<c>0x</c>), with an optional sign, within [<paramref name="min"/>,
    /// <paramref name="max"/>]; null when the text is not one. Never throws.
    /// </summary>
    internal static Int128? ParseInteger(string text, Int128 min, Int128 max)
    {
        var span = text.AsSpan();
        bool negative = span.StartsWith("-");
        if (negative || span.StartsWith("+")) span = span[1..];
        Int128 magnitude;
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            var digits = span[2..];
            if (digits.IsEmpty || !UInt128.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex) || hex > ulong.MaxValue)
                return null;
            magnitude = (Int128)hex;
        }
        else if (span.IsEmpty || !UInt128.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out var dec) || dec > ulong.MaxValue)
            return null;
        else magnitude = (Int128)dec;
        var value = negative ? -magnitude : magnitude;
        return value >= min && value <= max ? value : null;
    }

    public static string FormatValue(Value v) => v.Type switch
    {
        ValType.I32 => v.AsI32.ToString(CultureInfo.InvariantCulture),
        ValType.I64 => v.AsI64.ToString(CultureInfo.InvariantCulture),
        ValType.F32 => v.AsF32.ToString("R", CultureInfo.InvariantCulture),
        ValType.F64 => v.AsF64.ToString("R", CultureInfo.InvariantCulture),
        ValType.V128 => "0x" + v.AsV128.AsUInt64().GetElement(1).ToString("x16", CultureInfo.InvariantCulture)
                             + v.AsV128.AsUInt64().GetElement(0).ToString("x16", CultureInfo.InvariantCulture),
        _ => v.Reference is null ? "null" : v.Reference.ToString() ?? "ref",
    };
}
