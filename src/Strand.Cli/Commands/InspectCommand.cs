namespace Strand.Cli.Commands;

public static class InspectCommand
{
    public static int Execute(ArgumentReader args) => throw new UsageException("inspect is not available in this build yet");
}
