using Strand.Binary;

namespace Strand.Text;

/// <summary>Tags (exception handling): <c>(tag $id? (export "n")* (import "m" "n")? typeuse)</c> and tag imports.</summary>
internal sealed partial class ModuleParser
{
    private readonly ByteWriter _tags = new();
    private uint _tagCount;
    private uint _nextTag;

    private void DefineTag(Cursor c)
    {
        c.TryId();
        uint index = _nextTag++;
        InlineExports(c, ExternalKind.Tag, index);
        if (TryInlineImport(c, ExternalKind.Tag))
        {
            WriteTagType(_imports, c);
            c.ExpectEnd();
            return;
        }
        _tagCount++;
        WriteTagType(_tags, c);
        c.ExpectEnd();
    }

    /// <summary>A tag type: the attribute byte 0 (exception) and the index of its function type.</summary>
    private void WriteTagType(ByteWriter w, Cursor c)
    {
        w.Byte(0x00);
        w.U32(ParseTypeUse(c, allowParamIds: true).TypeIndex);
    }
}
