using Strand.Cli.Commands;

namespace Strand.Cli;

public static class Program
{
    /// <summary>Guest code runs on a thread with a generous stack so deep wasm recursion hits the engine's guard first.</summary>
    public const int GuestThreadStackSize = 64 * 1024 * 1024;

    /// <summary>
    /// Exit code when Strand itself fails (a bug, or the host running out of a resource): the message
    /// <c>strand: internal error: TYPE: MESSAGE</c> is printed instead of a .NET stack trace (EX_SOFTWARE in sysexits.h).
    /// </summary>
    public const int InternalErrorExitCode = 70;

    private static int s_handlerInstalled;

    public static int Main(string[] args)
    {
        // The last resort: an exception that escapes on any thread (none should) ends the process with one line and a
        // documented code, never with the runtime's stack dump and SIGABRT.
        if (Interlocked.Exchange(ref s_handlerInstalled, 1) == 0)
            AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            {
                ReportInternalError(e.ExceptionObject as Exception);
                Environment.Exit(InternalErrorExitCode);
            };
        int exitCode = 0;
        var thread = new Thread(() => exitCode = RunGuarded(() => Dispatch(args)), GuestThreadStackSize) { Name = "strand main" };
        thread.Start();
        thread.Join();
        return exitCode;
    }

    /// <summary>Runs <paramref name="command"/>; an exception it lets escape is reported in one line as an internal error (exit code 70).</summary>
    public static int RunGuarded(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e)
        {
            ReportInternalError(e);
            return InternalErrorExitCode;
        }
    }

    private static void ReportInternalError(Exception? e)
    {
        try
        {
            Console.Out.Flush();
        }
        catch (Exception)
        {
            // Standard output may be gone (a closed pipe); the error line still goes to standard error.
        }
        string what = e is null ? "unknown failure" : $"{e.GetType().Name}: {e.Message}";
        Console.Error.WriteLine($"strand: internal error: {what.ReplaceLineEndings(" ")}");
    }

    /// <summary>The version users see (<c>strand --version</c>, the packages): the informational version without build metadata.</summary>
    public static string Version { get; } =
        (typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown")
        .Split('+')[0];

    private static bool IsHelp(string arg) => arg is "-h" or "--help";

    private static int Dispatch(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.Write(CommandHelp.Global());
            return 2;
        }
        if (IsHelp(args[0]) || args[0] == "help")
        {
            if (args.Length > 1 && args[0] == "help")
            {
                if (CommandHelp.Find(args[1]) is not { } spec) return UsageError($"unknown command '{args[1]}'");
                Console.Out.Write(CommandHelp.For(spec));
                return 0;
            }
            Console.Out.Write(CommandHelp.Global());
            return 0;
        }
        if (args[0] is "--version" or "-V")
        {
            Console.Out.WriteLine(Version);
            return 0;
        }
        var rest = args[1..];
        // "--help" before any "--" asks for the command's help (after "--" it belongs to the guest program).
        int dashDash = Array.IndexOf(rest, "--");
        if (CommandHelp.Find(args[0]) is { } command && rest.Take(dashDash < 0 ? rest.Length : dashDash).Any(IsHelp))
        {
            Console.Out.Write(CommandHelp.For(command));
            return 0;
        }
        try
        {
            return args[0] switch
            {
                "run" => RunCommand.Execute(new ArgumentReader(rest)),
                "wast" => WastCommand.Execute(new ArgumentReader(rest)),
                "demo" => DemoCommand.Execute(new ArgumentReader(rest)),
                "inspect" => InspectCommand.Execute(new ArgumentReader(rest)),
                "compile" => CompileCommand.Execute(new ArgumentReader(rest)),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            return UsageError(e.Message, args[0]);
        }
    }

    private static int UsageError(string message, string? command = null)
    {
        Console.Out.Flush();
        string help = command is not null && CommandHelp.Find(command) is not null ? $"strand {command} --help" : "strand --help";
        Console.Error.WriteLine($"strand: {message.ReplaceLineEndings(" ")} (see '{help}')");
        return 2;
    }
}

/// <summary>A command-line mistake: reported in one line with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
