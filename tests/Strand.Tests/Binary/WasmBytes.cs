using System.Text;

namespace Strand.Tests.Binary;

/// <summary>Helpers to write small WebAssembly binaries by hand in tests.</summary>
internal static class WasmBytes
{
    public static readonly byte[] Header = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00];

    public static byte[] U32(uint value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            if (value != 0) b |= 0x80;
            bytes.Add(b);
        } while (value != 0);
        return bytes.ToArray();
    }

    public static byte[] Name(string s)
    {
        var utf8 = Encoding.UTF8.GetBytes(s);
        return Concat(U32((uint)utf8.Length), utf8);
    }

    /// <summary>A vector: element count followed by the already-encoded elements.</summary>
    public static byte[] Vec(params byte[][] items) => Concat([U32((uint)items.Length), .. items]);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Section(byte id, params byte[][] content)
    {
        var body = Concat(content);
        return Concat([id], U32((uint)body.Length), body);
    }

    public static byte[] CustomSection(string name, params byte[] payload) => Section(0, Name(name), payload);

    /// <summary>The header followed by the given sections.</summary>
    public static byte[] Module(params byte[][] sections) => Concat([Header, .. sections]);

    /// <summary>A code section entry: size, local groups (count, type) and the instruction bytes (which must include the final end).</summary>
    public static byte[] Body(IReadOnlyList<(uint Count, byte Type)> locals, params byte[] code)
    {
        var content = Concat(Vec(locals.Select(l => Concat(U32(l.Count), [l.Type])).ToArray()), code);
        return Concat(U32((uint)content.Length), content);
    }

    public static byte[] Body(params byte[] code) => Body([], code);

    /// <summary>The type section holding one ()->() function type.</summary>
    public static byte[] VoidTypeSection() => Section(1, Vec([0x60, 0x00, 0x00]));

    /// <summary>A module with one ()->() function whose body is <paramref name="code"/> (plus optional extra sections after the code).</summary>
    public static byte[] SingleFunction(byte[] code, byte[]? dataCount = null) => Module(
        VoidTypeSection(),
        Section(3, Vec([0x00])),
        Section(5, Vec([0x00, 0x01])),
        dataCount ?? [],
        Section(10, Vec(Body(code))));
}
