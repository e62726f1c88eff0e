namespace Strand.Tests.Text;

/// <summary>Small helpers to pick encoded modules apart in assertions.</summary>
internal static class WasmBytes
{
    public static readonly byte[] Header = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00];

    private static (uint Value, int Next) Leb(byte[] b, int pos)
    {
        uint v = 0;
        int shift = 0;
        while (true)
        {
            byte x = b[pos++];
            v |= (uint)(x & 0x7F) << shift;
            shift += 7;
            if ((x & 0x80) == 0) return (v, pos);
        }
    }

    /// <summary>The content of the section with this id, or null if absent.</summary>
    public static byte[]? Section(byte[] module, byte id)
    {
        int pos = 8;
        while (pos < module.Length)
        {
            byte sid = module[pos++];
            var (size, next) = Leb(module, pos);
            if (sid == id) return module[next..(next + (int)size)];
            pos = next + (int)size;
        }
        return null;
    }

    public static byte[] Sections(byte[] module) => module[8..];

    /// <summary>The instruction bytes of a function body (after its locals), including the final end.</summary>
    public static byte[] FunctionCode(byte[] module, int index = 0)
    {
        var code = Section(module, 10) ?? throw new InvalidOperationException("no code section");
        var (count, pos) = Leb(code, 0);
        for (int i = 0; i < count; i++)
        {
            var (size, start) = Leb(code, pos);
            if (i == index)
            {
                var (groups, p) = Leb(code, start);
                for (int g = 0; g < groups; g++)
                {
                    (_, p) = Leb(code, p);
                    p++; // value type
                }
                return code[p..(start + (int)size)];
            }
            pos = start + (int)size;
        }
        throw new InvalidOperationException("no such function");
    }
}
