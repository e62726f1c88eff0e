namespace Strand.Text;

internal sealed partial class ModuleParser
{
    /// <summary>The module's <c>(@custom ...)</c> annotations, emitted as custom sections while the sections are assembled.</summary>
    private CustomSections _customSections = CustomSections.Parse([]);
}

/// <summary>
/// Custom sections written in the text as custom annotations (the annotations proposal's appendix, part of the
/// WebAssembly 3.0 text format): <c>(@custom "name" place? "data"*)</c> at the top level of a module, with
/// <c>place</c> one of <c>(before first)</c>, <c>(before SEC)</c>, <c>(after SEC)</c>, <c>(after last)</c> (the default),
/// SEC a section keyword (<c>type</c>, <c>import</c>, <c>func</c>, <c>table</c>, <c>memory</c>, <c>global</c>,
/// <c>export</c>, <c>start</c>, <c>elem</c>, <c>code</c>, <c>data</c>, <c>datacount</c>). A place names where the
/// section goes in the binary whether or not the named section is present; several at one place keep text order.
/// Custom annotations anywhere else are ignored, like every other annotation.
/// </summary>
internal sealed class CustomSections
{
    /// <summary>Section ids in binary order (the tag section, 13, sits between memory and global).</summary>
    private static readonly byte[] Order = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

    private static readonly Dictionary<string, byte> SectionKeywords = new(StringComparer.Ordinal)
    {
        ["type"] = 1, ["import"] = 2, ["func"] = 3, ["table"] = 4, ["memory"] = 5, ["global"] = 6, ["export"] = 7,
        ["start"] = 8, ["elem"] = 9, ["datacount"] = 12, ["code"] = 10, ["data"] = 11,
    };

    private readonly List<(int Rank, byte[] Name, byte[] Data)> _sections;
    private int _next;

    private CustomSections(List<(int Rank, byte[] Name, byte[] Data)> sections) => _sections = sections;

    /// <summary>Where section <paramref name="id"/> goes: positions before it rank lower, positions after it higher.</summary>
    public static int Rank(byte id)
    {
        int i = Array.IndexOf(Order, id);
        if (i < 0) throw new ArgumentOutOfRangeException(nameof(id), $"no section with id {id}");
        return 3 * i + 2;
    }

    /// <summary>Reads the annotations (malformed ones are errors at their position).</summary>
    public static CustomSections Parse(IReadOnlyList<SList> annotations)
    {
        var sections = new List<(int, byte[], byte[])>(annotations.Count);
        foreach (var annotation in annotations)
        {
            var c = new Cursor(annotation);
            if (c.Peek() is not SString) throw c.ErrorHere("malformed custom annotation: expected the section name, a string");
            var name = ModuleParser.ExpectName(c);
            int rank = int.MaxValue - 1;     // (after last)
            if (c.Peek() is SList place)
            {
                c.Next();
                rank = PlaceRank(place);
            }
            var data = new ByteWriter();
            while (!c.AtEnd)
            {
                if (c.Peek() is not SString s) throw c.ErrorHere("malformed custom annotation: expected a string of section contents");
                c.Next();
                data.Bytes(s.Bytes);
            }
            sections.Add((rank, name, data.ToArray()));
        }
        // Stable: sections at one place keep their text order.
        return new CustomSections(sections.Select((s, i) => (s, i)).OrderBy(x => x.s.Item1).ThenBy(x => x.i).Select(x => x.s).ToList());
    }

    private static int PlaceRank(SList place)
    {
        var c = new Cursor(place, start: 0);
        var where = c.ExpectAtom();
        var what = c.ExpectAtom();
        c.ExpectEnd();
        return (where.Text, what.Text) switch
        {
            ("before", "first") => 0,
            ("after", "last") => int.MaxValue - 1,
            ("before" or "after", var section) when SectionKeywords.TryGetValue(section, out var id) =>
                where.Text == "before" ? Rank(id) - 1 : Rank(id) + 1,
            ("before" or "after", _) => throw what.Error($"malformed custom annotation: unknown section {what.Text}"),
            _ => throw where.Error($"malformed custom annotation: expected (before ...) or (after ...), got {where.Text}"),
        };
    }

    /// <summary>Writes every section not yet written whose place ranks below <paramref name="rank"/>.</summary>
    public void EmitUpTo(ByteWriter module, int rank)
    {
        for (; _next < _sections.Count && _sections[_next].Rank < rank; _next++)
        {
            var (_, name, data) = _sections[_next];
            var content = new ByteWriter();
            content.Name(name);
            content.Bytes(data);
            module.Byte(0);
            module.Sized(content);
        }
    }
}
