namespace Strand.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("strand: commands are being wired up");
        return 2;
    }
}
