namespace Strand.Benchmarks;

/// <summary>
/// Generates a module of N small functions (compile-time scaling benchmark and tests).
/// Function i is <c>(func (param i32) (result i32))</c> computing <c>x*3 + i</c>, xor-ed with the result of
/// calling function i+1 except at every 8th function (call chains of 8). The export <c>_start</c> (no params,
/// no results) calls the first <c>min(N, 64)</c> functions; the export <c>f</c> is function 0.
/// With <paramref name="missingImport"/>, the module also imports <c>env.missing (func)</c>, which nothing defines.
/// </summary>
public static class ManyFunctions
{
    public static byte[] Generate(int count, bool missingImport = false)
    {
        var types = Vec([[0x60, .. Uleb(1), 0x7f, .. Uleb(1), 0x7f], [0x60, 0, 0]]);
        int imported = missingImport ? 1 : 0;
        var imports = Vec([[.. Name("env"), .. Name("missing"), 0x00, .. Uleb(1)]]);
        var funcs = new List<byte[]>();
        for (int i = 0; i < count; i++) funcs.Add(Uleb(0));
        funcs.Add(Uleb(1));
        var exports = Vec([[.. Name("_start"), 0x00, .. Uleb((uint)(imported + count))], [.. Name("f"), 0x00, .. Uleb((uint)imported)]]);
        var bodies = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var code = new List<byte> { 0x20, 0x00, 0x41, 0x03, 0x6c, 0x41 };
            code.AddRange(Sleb(i % 100_000));
            code.Add(0x6a);
            if (i % 8 != 7 && i + 1 < count)
            {
                code.AddRange([0x20, 0x00, 0x10]);
                code.AddRange(Uleb((uint)(imported + i + 1)));
                code.Add(0x73);
            }
            code.Add(0x0b);
            bodies.Add([.. Uleb((uint)code.Count + 1), 0x00, .. code]);
        }
        var start = new List<byte>();
        for (int i = 0; i < Math.Min(count, 64); i++)
        {
            start.Add(0x41); start.AddRange(Sleb(i));
            start.Add(0x10); start.AddRange(Uleb((uint)(imported + i)));
            start.Add(0x1a);
        }
        start.Add(0x0b);
        bodies.Add([.. Uleb((uint)start.Count + 1), 0x00, .. start]);

        var module = new List<byte> { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
        module.AddRange(Section(1, types));
        if (missingImport) module.AddRange(Section(2, imports));
        module.AddRange(Section(3, Vec(funcs)));
        module.AddRange(Section(7, exports));
        module.AddRange(Section(10, Vec(bodies)));
        return module.ToArray();
    }

    /// <summary>The value export <c>f</c> returns for argument <paramref name="x"/> (i32 arithmetic, wrapping).</summary>
    public static int Expected(int count, int x)
    {
        int end = Math.Min(count, 8);
        int result = 0;
        for (int i = end - 1; i >= 0; i--) result = unchecked(x * 3 + i) ^ result;
        return result;
    }

    private static byte[] Name(string s) => [.. Uleb((uint)s.Length), .. System.Text.Encoding.UTF8.GetBytes(s)];
    private static byte[] Section(byte id, byte[] body) => [id, .. Uleb((uint)body.Length), .. body];
    private static byte[] Vec(IReadOnlyList<byte[]> items)
    {
        var list = new List<byte>(Uleb((uint)items.Count));
        foreach (var item in items) list.AddRange(item);
        return list.ToArray();
    }

    private static byte[] Uleb(uint n)
    {
        var list = new List<byte>();
        do { byte b = (byte)(n & 0x7f); n >>= 7; list.Add(n != 0 ? (byte)(b | 0x80) : b); } while (n != 0);
        return list.ToArray();
    }

    private static byte[] Sleb(int n)
    {
        var list = new List<byte>();
        while (true)
        {
            byte b = (byte)(n & 0x7f); n >>= 7;
            if ((n == 0 && (b & 0x40) == 0) || (n == -1 && (b & 0x40) != 0)) { list.Add(b); return list.ToArray(); }
            list.Add((byte)(b | 0x80));
        }
    }
}
