namespace Strand.Cli.Commands;

public static class DemoCommand
{
    public static int Execute(ArgumentReader args) => throw new UsageException("demo is not available in this build yet");
}
