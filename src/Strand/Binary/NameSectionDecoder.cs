namespace Strand.Binary;

/// <summary>
/// Decodes the "name" custom section (including the extended-name-section subsections for types,
/// tables, memories, globals, element and data segments). Custom sections are not validated, so a
/// malformed name section never fails the module: decoding stops at the first problem and keeps
/// whatever names were read before it.
/// </summary>
internal static class NameSectionDecoder
{
    private const byte ModuleSubsection = 0;
    private const byte FunctionSubsection = 1;
    private const byte LocalSubsection = 2;
    private const byte TypeSubsection = 4;
    private const byte TableSubsection = 5;
    private const byte MemorySubsection = 6;
    private const byte GlobalSubsection = 7;
    private const byte ElementSubsection = 8;
    private const byte DataSubsection = 9;

    /// <summary>Decodes the payload bytes[start..end). Never throws for malformed content.</summary>
    public static NameSection Decode(byte[] bytes, int start, int end)
    {
        var names = new NameSection();
        var r = new WasmReader(bytes, start, end);
        try
        {
            while (!r.AtEnd)
            {
                byte id = r.ReadByte();
                uint size = r.ReadU32();
                if (size > (uint)r.Remaining) break;
                int subsectionEnd = r.Position + (int)size;
                r.End = subsectionEnd;
                switch (id)
                {
                    case ModuleSubsection: names.ModuleName = r.ReadName(); break;
                    case FunctionSubsection: ReadNameMap(r, names.FunctionNames); break;
                    case LocalSubsection: ReadIndirectNameMap(r, names.LocalNames); break;
                    case TypeSubsection: ReadNameMap(r, names.TypeNames); break;
                    case TableSubsection: ReadNameMap(r, names.TableNames); break;
                    case MemorySubsection: ReadNameMap(r, names.MemoryNames); break;
                    case GlobalSubsection: ReadNameMap(r, names.GlobalNames); break;
                    case ElementSubsection: ReadNameMap(r, names.ElementNames); break;
                    case DataSubsection: ReadNameMap(r, names.DataNames); break;
                    // Label names (3), field names (10) and future subsections are skipped.
                }
                r.Position = subsectionEnd;
                r.End = end;
            }
        }
        catch (WasmFormatException)
        {
            // Keep the names decoded so far.
        }
        return names;
    }

    private static void ReadNameMap(WasmReader r, Dictionary<uint, string> map)
    {
        uint count = r.ReadVectorLength(2);
        for (uint i = 0; i < count; i++)
        {
            uint index = r.ReadU32();
            map[index] = r.ReadName();
        }
    }

    private static void ReadIndirectNameMap(WasmReader r, Dictionary<uint, Dictionary<uint, string>> map)
    {
        uint count = r.ReadVectorLength(2);
        for (uint i = 0; i < count; i++)
        {
            uint index = r.ReadU32();
            if (!map.TryGetValue(index, out var inner)) map[index] = inner = new Dictionary<uint, string>();
            ReadNameMap(r, inner);
        }
    }
}
