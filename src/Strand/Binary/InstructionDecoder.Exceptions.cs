namespace Strand.Binary;

public static partial class InstructionDecoder
{
    /// <summary>
    /// Immediates of the exception-handling and tail-call instructions (WebAssembly 3.0, spec 5.4.1):
    /// <c>try_table</c> bt vec(catch), a catch clause being 0x00 tag label (catch), 0x01 tag label (catch_ref),
    /// 0x02 label (catch_all), 0x03 label (catch_all_ref); legacy <c>catch</c> tag, <c>rethrow</c> label,
    /// <c>delegate</c> label; <c>throw</c> tag; <c>return_call</c> function; <c>return_call_indirect</c> type table.
    /// </summary>
    private static void ReadExceptionOrTailCall(WasmReader r, ref Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.TryTable:
            {
                ins.Block = ReadBlockType(r);
                uint n = r.ReadVectorLength(2);
                var catches = new CatchClause[n];
                for (int i = 0; i < catches.Length; i++)
                {
                    int at = r.Position;
                    byte kind = r.ReadByte();
                    if (kind > 3) throw r.Error(at, "malformed catch clause");
                    uint tag = kind <= 1 ? r.ReadU32() : 0;
                    catches[i] = new CatchClause((CatchKind)kind, tag, r.ReadU32());
                }
                ins.Catches = catches;
                break;
            }
            case Opcode.ReturnCallIndirect:
                ins.Index = r.ReadU32();
                ins.Index2 = r.ReadU32();
                break;
            default:
                ins.Index = r.ReadU32();
                break;
        }
    }
}

/// <summary>The kind of a <c>try_table</c> catch clause (its binary encoding).</summary>
public enum CatchKind : byte
{
    /// <summary><c>catch tag label</c>: the payload goes to the label.</summary>
    Catch = 0,
    /// <summary><c>catch_ref tag label</c>: the payload and the exnref go to the label.</summary>
    CatchRef = 1,
    /// <summary><c>catch_all label</c>: nothing goes to the label.</summary>
    CatchAll = 2,
    /// <summary><c>catch_all_ref label</c>: the exnref goes to the label.</summary>
    CatchAllRef = 3,
}

/// <summary>One catch clause of a <c>try_table</c>.</summary>
/// <param name="Kind">Which clause.</param>
/// <param name="Tag">The tag index (catch, catch_ref).</param>
/// <param name="Label">The label depth, relative to the blocks around the <c>try_table</c>.</param>
public readonly record struct CatchClause(CatchKind Kind, uint Tag, uint Label);
