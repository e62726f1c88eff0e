using System.Text;

namespace Strand.Text;

/// <summary>Parses the WebAssembly text format (wasm 2.0 with SIMD and relaxed SIMD, threads) into the binary format.</summary>
public static class WatParser
{
    /// <summary>
    /// Parses <paramref name="text"/>: one <c>(module ...)</c> (also <c>(module binary ...)</c> and
    /// <c>(module quote ...)</c>) or a bare sequence of module fields. Returns the binary module.
    /// </summary>
    /// <exception cref="WatParseException">The text is malformed; the exception carries line:column.</exception>
    public static byte[] ParseModule(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var customs = new List<SList>();
        var nodes = SExprReader.ReadAll(text, customs);
        if (nodes.Count == 1 && nodes[0] is SList list && list.HeadIs("module")) return ParseModuleForm(list).Binary!;
        foreach (var n in nodes)
            if (n is SList { Head: "module" } nested) throw nested.Error("unexpected module: a module must be the only top-level form");
        return ModuleParser.Encode(nodes, customs);
    }

    /// <summary>What a <c>(module ...)</c> form denotes.</summary>
    internal sealed record ModuleForm(string? Id, byte[]? Binary, string? QuoteText);

    /// <summary>
    /// Reads <c>(module $id? field*)</c>, <c>(module $id? binary "..."*)</c> or
    /// <c>(module $id? quote "..."*)</c>. Quoted text is returned unparsed.
    /// </summary>
    internal static ModuleForm ParseModuleForm(SList list, bool parseQuote = true)
    {
        var c = new Cursor(list);
        var id = c.TryId()?.Text;
        if (c.TryKeyword("binary"))
        {
            var bytes = new List<byte>();
            while (!c.AtEnd) bytes.AddRange(c.ExpectString().Bytes);
            return new ModuleForm(id, bytes.ToArray(), null);
        }
        if (c.TryKeyword("quote"))
        {
            // The strings are concatenated as they are, like the bytes of a binary module.
            var bytes = new List<byte>();
            while (!c.AtEnd) bytes.AddRange(c.ExpectString().Bytes);
            var quoted = Encoding.UTF8.GetString(bytes.ToArray());
            return new ModuleForm(id, parseQuote ? ParseModule(quoted) : null, quoted);
        }
        var fields = list.Items.Skip(id is null ? 1 : 2).ToList();
        return new ModuleForm(id, ModuleParser.Encode(fields, list.CustomAnnotations), null);
    }
}
