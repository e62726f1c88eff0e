namespace Strand.Binary;

public static partial class ModuleDecoder
{
    private static partial ModuleDefinition DecodeCore(byte[] bytes) => throw new NotImplementedException("decoder pending");
}
