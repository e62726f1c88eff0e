using System.Text;

namespace Strand.Cli;

/// <summary>One option of a command, as its help lists it: the spelling (with its value) and what it does.</summary>
public sealed record OptionHelp(string Spelling, string Description);

/// <summary>
/// Everything <c>strand COMMAND --help</c> prints, and the global help's line for the command. Adding a command or an
/// option is one entry in <see cref="CommandHelp.Commands"/>; tests run every example listed here.
/// </summary>
public sealed record CommandSpec(
    string Name,
    string Synopsis,
    string Summary,
    IReadOnlyList<OptionHelp> Options,
    IReadOnlyList<string> Examples,
    IReadOnlyList<(int Code, string Meaning)> ExitCodes);

/// <summary>The help of every command, in one table.</summary>
public static class CommandHelp
{
    private static readonly (int, string)[] LoadAndRunExitCodes =
    [
        (0, "success; a WASI program exits with its own code instead (proc_exit's argument, 0 when _start returns, 255 for codes outside 0-255)"),
        (1, "the module cannot be loaded or linked (malformed, invalid, unsupported, an implementation limit, a missing import)"),
        (2, "usage error (one line on stderr)"),
        (70, "internal error of strand itself (one line: 'strand: internal error: ...')"),
        (124, "--timeout expired"),
        (134, "wasm trap, or a wasm exception no handler caught"),
    ];

    public static readonly IReadOnlyList<CommandSpec> Commands =
    [
        new("run",
            "strand run [OPTIONS] FILE [--invoke NAME [ARGS...]] [-- PROGRAM-ARGS...]",
            "Runs a .wasm or .wat file. Without --invoke, runs a WASI program's _start (WASI preview 1; a program " +
            "importing wasi.thread-spawn runs its threads as wasi-threads) and exits with its exit code. With --invoke, " +
            "calls the export NAME with ARGS (i32/i64 in decimal or 0x hex, f32/f64 as decimals, v128 as 0x and up to 32 hex digits) and prints its results, " +
            "one per line; WASI imports are provided, and a reactor's _initialize runs first.",
            [
                new("--invoke NAME", "call the exported function NAME instead of _start; its ARGS follow FILE"),
                new("--dir HOST[::GUEST]", "preopen the host directory HOST for the guest, as GUEST (default: HOST); repeatable"),
                new("--env NAME=VALUE", "set an environment variable for the guest; repeatable"),
                new("--inherit-env", "pass the host's environment to the guest"),
                new("--timeout SECONDS", "interrupt guest code still running after SECONDS (exit code 124): loops, calls, waits and sleeps, on every thread"),
                new("--threads N", "with --invoke: run the export on N threads (1-1024) sharing one memory; prints each thread's result and stack"),
                new("--stack-mode MODE", "with --threads: isolated (default: a shadow stack per thread) or shared (demonstrates collisions)"),
                new("--stack-size SIZE", "with --threads: shadow stack per extra thread, below 4 GiB (65536, 64k, 1m, 2MiB)"),
                new("--detect-stack-collisions", "with --threads or a wasi-threads program: check every __stack_pointer write and report a thread whose stack pointer enters another live thread's stack (the first 20 in full, then counts per pair)"),
                new("--trap-on-stack-collision", "the same, but the first collision traps (exit code 134)"),
                new("--no-cache", "neither use nor fill the compiled-module cache (by default a big module's compiled code is cached, filled in the background)"),
                new("--cache-dir DIR", "the cache directory (default $STRAND_CACHE_DIR, else $XDG_CACHE_HOME/strand or ~/.cache/strand); it holds code strand loads, so keep it private"),
                new("--interpreter MODE", "when functions start in the interpreter before being compiled: auto (default: modules of more than 1 MiB of code), always or never (docs/interpreter.md)"),
                new("--quiet", "no progress line on stderr while a big module is loaded (shown only on a terminal, after one second)"),
                new("-- ARGS...", "arguments for the WASI program (after its name)"),
                new("-h, --help", "show this help"),
            ],
            [
                "strand run fixtures/seed/algorithm.wasm --invoke algorithm",
                "strand run fixtures/seed/algorithm_threads.wasm --invoke algorithm --threads 2 --stack-size 64k",
                "strand run fixtures/wasi/args_env.wasm --env GREETING=hello -- one two",
                "strand run fixtures/wasi/reactor.wat --invoke count 3",
            ],
            LoadAndRunExitCodes),
        new("inspect",
            "strand inspect [OPTIONS] FILE",
            "Prints the memory layout, the shadow-stack global (how it was found and how strong the evidence is), TLS, " +
            "data segments, imports/exports and a thread-safety verdict. Decodes and analyses only (nothing is validated, " +
            "compiled or run), so it works on modules using features Strand cannot run (exceptions, GC).",
            [
                new("--threads N", "show where Strand would place N threads' stacks (1-1024), isolated mode"),
                new("--stack-size SIZE", "shadow stack per extra thread for that preview, below 4 GiB (65536, 64k, 1m)"),
                new("--svg OUT.svg", "also draw the memory map as an SVG file"),
                new("-h, --help", "show this help"),
            ],
            [
                "strand inspect fixtures/seed/algorithm_threads.wasm",
                "strand inspect fixtures/threads/tls.wasm --threads 3 --svg map.svg",
            ],
            [(0, "success"), (1, "the file is not a module that decodes"), (2, "usage error"), (70, "internal error of strand itself")]),
        new("wast",
            "strand wast [OPTIONS] FILE...",
            "Runs WebAssembly test scripts command by command (one that cannot be parsed fails alone, its line named); " +
            "prints each file's counts and 'N passed, M failed, K skipped'.",
            [
                new("--timeout SECONDS", "interrupt a command still running after SECONDS (it fails)"),
                new("-v, --verbose", "list every failure and skip (default: the first 20 failures per file)"),
                new("-h, --help", "show this help"),
            ],
            ["strand wast fixtures/wast/example.wast"],
            [(0, "every command passed"), (1, "a command failed or a file is missing"), (2, "usage error"), (70, "internal error of strand itself")]),
        new("compile",
            "strand compile [OPTIONS] FILE",
            "Compiles every function of a module ahead of time (like wasmtime compile): into OUT with -o ('strand run OUT' " +
            "runs it without generating code), or into the cache that 'strand run FILE' loads from; prints the path.",
            [
                new("-o OUT", "write the compiled module to OUT instead of the cache (a regular file is replaced whole, by a rename, " +
                    "through a symbolic link its final target; an existing device or FIFO, e.g. /dev/null, is written into)"),
                new("--ready-to-run", "also compile it to native code with crossgen2 (OUT.r2r next to it), so runs skip most JIT compilation; " +
                    "crossgen2 is found via $STRAND_CROSSGEN2 or the NuGet package folder, else fetched with 'dotnet restore' (needs the .NET SDK)"),
                new("--cache-dir DIR", "the cache directory to fill (default as for 'strand run')"),
                new("--quiet", "print nothing but errors; no progress line"),
                new("-h, --help", "show this help"),
            ],
            ["strand compile fixtures/seed/algorithm.wasm -o algorithm.cwasm"],
            [(0, "compiled"), (1, "the module cannot be loaded (malformed, invalid, unsupported, an implementation limit), OUT or the cache entry cannot be written, or crossgen2 failed"), (2, "usage error"), (70, "internal error of strand itself")]),
        new("demo",
            "strand demo [OPTIONS]",
            "The stack-collision scenario on an embedded module (the seed's algorithm): shared stacks (corrupted " +
            "results and a collision report) vs Strand's isolated stacks (correct).",
            [
                new("--threads N", "number of threads (2-64, default 4)"),
                new("-h, --help", "show this help"),
            ],
            ["strand demo", "strand demo --threads 2"],
            [(0, "isolated stacks gave the correct result on every thread"), (1, "they did not"), (2, "usage error"), (70, "internal error of strand itself")]),
    ];

    public static CommandSpec? Find(string name) => Commands.FirstOrDefault(c => c.Name == name);

    /// <summary><c>strand --help</c>: the commands and where to read more.</summary>
    public static string Global()
    {
        var text = new StringBuilder();
        text.Append("strand ").Append(Program.Version).AppendLine(": a WebAssembly runtime for .NET with safe multithreading");
        text.AppendLine();
        text.AppendLine("usage: strand COMMAND [OPTIONS] ...");
        text.AppendLine();
        text.AppendLine("commands:");
        foreach (var c in Commands) text.Append("  ").AppendLine(c.Synopsis);
        text.AppendLine();
        text.AppendLine("  strand --help | -h | help [COMMAND]   this help, or a command's options, examples and exit codes");
        text.AppendLine("  strand --version                      the version");
        text.AppendLine();
        text.AppendLine("'strand COMMAND --help' lists every option of COMMAND.");
        return text.ToString();
    }

    /// <summary><c>strand COMMAND --help</c>: synopsis, description, every option, examples and exit codes.</summary>
    public static string For(CommandSpec command)
    {
        var text = new StringBuilder();
        text.Append("usage: ").AppendLine(command.Synopsis);
        text.AppendLine();
        foreach (var line in Wrap(command.Summary, 100)) text.AppendLine(line);
        text.AppendLine();
        text.AppendLine("options:");
        int width = command.Options.Max(o => o.Spelling.Length) + 2;
        foreach (var option in command.Options)
        {
            var lines = Wrap(option.Description, 100 - 2 - width);
            text.Append("  ").Append(option.Spelling.PadRight(width)).AppendLine(lines[0]);
            foreach (var more in lines.Skip(1)) text.Append(' ', 2 + width).AppendLine(more);
        }
        text.AppendLine();
        text.AppendLine("examples (paths relative to the repository root):");
        foreach (var example in command.Examples) text.Append("  ").AppendLine(example);
        text.AppendLine();
        text.AppendLine("exit codes:");
        foreach (var (code, meaning) in command.ExitCodes) text.Append("  ").Append(code.ToString().PadLeft(3)).Append("  ").AppendLine(meaning);
        return text.ToString();
    }

    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        return lines;
    }
}
