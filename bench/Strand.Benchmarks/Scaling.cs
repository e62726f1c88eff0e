using System.Diagnostics;

namespace Strand.Benchmarks;

/// <summary>
/// <c>--scaling</c>: compile time of generated modules of 5k, 10k, 20k and 40k functions (<see cref="ManyFunctions"/>),
/// in process. Prints per-function cost; linear compilation keeps it flat as the module doubles.
/// </summary>
public static class Scaling
{
    public static int Run()
    {
        Module.Compile(ManyFunctions.Generate(1000)); // warm the compiler itself
        double? first = null;
        foreach (int n in new[] { 5_000, 10_000, 20_000, 40_000 })
        {
            var bytes = ManyFunctions.Generate(n);
            var best = double.MaxValue;
            double run = 0;
            for (int round = 0; round < 3; round++)
            {
                var sw = Stopwatch.StartNew();
                var module = Module.Compile(bytes);
                var instance = new Linker().Instantiate(module);
                double compile = sw.Elapsed.TotalMilliseconds;
                var f = instance.GetFunction<Func<int, int>>("f");
                if (f(5) != ManyFunctions.Expected(n, 5)) throw new InvalidOperationException("wrong result");
                instance.Invoke("_start");
                run = sw.Elapsed.TotalMilliseconds - compile;
                best = Math.Min(best, compile);
            }
            double perFunction = best * 1000 / n;
            first ??= perFunction;
            Console.WriteLine($"{n,6} functions ({bytes.Length / 1024,4} KB): compile+instantiate {best,8:F1} ms = {perFunction,6:F2} us/function ({perFunction / first:F2}x the 5k figure); first calls {run:F1} ms");
        }
        Console.WriteLine("linear compilation keeps us/function flat (goal: the 40k figure within 1.5x of the 5k one)");
        return 0;
    }
}
