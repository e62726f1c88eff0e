namespace Strand.Benchmarks;

public static class Programs
{
    public static int Run(string[] args) => 0;
}
