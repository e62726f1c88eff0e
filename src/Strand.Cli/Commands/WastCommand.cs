using Strand.Tools;

namespace Strand.Cli.Commands;

/// <summary><c>strand wast [--timeout SECONDS] [--verbose] FILE...</c>: runs test scripts and prints counts.</summary>
public static class WastCommand
{
    public static int Execute(ArgumentReader args)
    {
        bool verbose = args.TakeFlag("--verbose") | args.TakeFlag("-v");
        var timeout = RunCommand.TakeTimeout(args);
        args.EnsureNoOptionsLeft();
        var files = args.Remaining;
        if (files.Count == 0) throw new UsageException("wast needs at least one script file");
        int passed = 0, failed = 0, skipped = 0;
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"{file}: no such file");
                failed++;
                continue;
            }
            WastResult result;
            try
            {
                result = WastRunner.RunFile(file, timeout);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Binary.WasmImplementationLimitException)
            {
                Console.Error.WriteLine($"{file}: cannot read: {e.Message}"); // e.g. /dev/zero (over the size cap), an unreadable file
                failed++;
                continue;
            }
            passed += result.Passed;
            failed += result.Failed;
            skipped += result.Skipped;
            Console.Out.WriteLine($"{file}: {result.Passed} passed, {result.Failed} failed, {result.Skipped} skipped");
            foreach (var failure in result.Failures.Take(verbose ? int.MaxValue : 20)) Console.Out.WriteLine("  FAIL " + failure);
            if (!verbose && result.Failures.Count > 20) Console.Out.WriteLine($"  ... {result.Failures.Count - 20} more failures (--verbose shows all)");
            if (verbose) foreach (var skip in result.Skips) Console.Out.WriteLine("  SKIP " + skip);
        }
        Console.Out.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed == 0 ? 0 : 1;
    }
}
