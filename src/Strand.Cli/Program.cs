using Strand.Cli.Commands;

namespace Strand.Cli;

public static class Program
{
    /// <summary>Guest code runs on a thread with a generous stack so deep wasm recursion hits the engine's guard first.</summary>
    public const int GuestThreadStackSize = 64 * 1024 * 1024;

    public static int Main(string[] args)
    {
        int exitCode = 0;
        var thread = new Thread(() => exitCode = Dispatch(args), GuestThreadStackSize) { Name = "strand main" };
        thread.Start();
        thread.Join();
        return exitCode;
    }

    private static int Dispatch(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.Write(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version")
        {
            Console.Out.WriteLine(typeof(Module).Assembly.GetName().Version);
            return 0;
        }
        var rest = args[1..];
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
            Console.Error.WriteLine($"strand: {e.Message}");
            Console.Error.WriteLine("run 'strand --help' for usage");
            return 2;
        }
    }

    public const string Usage = """
        strand: a WebAssembly runtime for .NET with safe multithreading

        usage:
          strand run FILE [--invoke NAME [ARGS...]] [options] [-- PROGRAM-ARGS...]
              Runs a .wasm or .wat file. With --invoke, calls the export NAME with ARGS and
              prints its results. Without --invoke, runs a WASI program's _start (WASI preview 1;
              a program importing wasi.thread-spawn runs its threads as wasi-threads).
              --threads N              run the export on N threads sharing one memory
              --stack-mode MODE        isolated (default) or shared (demonstrates collisions)
              --stack-size SIZE        shadow stack per extra thread (e.g. 64k, 1m)
              --dir HOST[::GUEST]      preopen a host directory for a WASI program
              --env K=V                set an environment variable; --inherit-env passes the host's
              --timeout SECONDS        interrupt guest code still running after SECONDS (exit code 124)
              --quiet                  no progress line on stderr while a big module is loaded (shown
                                       only on a terminal, after one second)
              --no-cache               neither use nor fill the compiled-module cache (by default a
                                       big module's compiled code is cached, filled in the background)
              --cache-dir DIR          the cache directory (default $STRAND_CACHE_DIR, else
                                       $XDG_CACHE_HOME/strand or ~/.cache/strand)
              --detect-stack-collisions
                                       diagnostic for threads (wasi-threads programs, whose guest
                                       places each thread's stack, or --threads N): check every
                                       __stack_pointer write and report to stderr (with --threads,
                                       in the collision list) a thread whose stack pointer enters
                                       another live thread's stack; costs time on every call
              --trap-on-stack-collision
                                       the same, but the first collision traps (exit code 134)
          strand wast [--timeout SECONDS] [--verbose] FILE...
                                      Runs WebAssembly test scripts command by command (one that
                                      cannot be parsed fails alone); prints per-file counts and
                                      "N passed, M failed, K skipped"; exits 1 on any failure.
                                      --timeout interrupts a command still running after SECONDS.
          strand compile FILE [-o OUT] [--cache-dir DIR] [--quiet]
                                      Compiles every function ahead of time (like wasmtime compile):
                                      into OUT (run it with 'strand run OUT'), or into the cache
                                      'strand run FILE' loads from; prints the path.
          strand demo [--threads N]   The stack-collision scenario on an embedded module:
                                      shared stacks (corrupted) vs isolated stacks (correct).
          strand inspect FILE [--svg OUT.svg] [--threads N] [--stack-size SIZE]
                                      Memory layout, shadow stack, TLS and a thread-safety verdict,
                                      and where N threads' stacks would go. Decodes only: works on
                                      modules using features Strand cannot run (SIMD, exceptions, GC).

        """;
}

/// <summary>A command-line mistake: reported in one line with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
