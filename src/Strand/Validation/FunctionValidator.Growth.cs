using Strand.Binary;

namespace Strand.Validation;

// Facts for the whole-module analyses of the compiler (Compilation/MemoryGrowthAnalysis.cs, StackBoundAnalysis.cs),
// recorded while a body is validated (which decodes every instruction anyway, on all cores): the functions a body calls
// directly, whether it calls indirectly, tail-calls or grows a memory, and its number of blocks.
internal sealed partial class FunctionValidator
{
    /// <summary>Function indices named by <c>call</c> and <c>return_call</c> in the body (imports included).</summary>
    private HashSet<uint>? _directCallees;
    private bool _callsIndirectly, _growsMemory, _tailCalls;
    /// <summary>block, loop, if, try and try_table instructions.</summary>
    private int _controlCount;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool IsCallGrowthOrBlock(Opcode op) =>
        op is Opcode.Call or Opcode.ReturnCall or Opcode.CallIndirect or Opcode.ReturnCallIndirect
            or Opcode.CallRef or Opcode.ReturnCallRef or Opcode.MemoryGrow
            or Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable;

    private void NoteCallGrowthOrBlock(in Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.Call: (_directCallees ??= new()).Add(ins.Index); break;
            case Opcode.ReturnCall: (_directCallees ??= new()).Add(ins.Index); _tailCalls = true; break;
            case Opcode.CallIndirect or Opcode.CallRef: _callsIndirectly = true; break;
            case Opcode.ReturnCallIndirect or Opcode.ReturnCallRef: _callsIndirectly = true; _tailCalls = true; break;
            case Opcode.MemoryGrow: _growsMemory = true; break;
            default: _controlCount++; break;
        }
    }

    private void RecordCallFacts(FunctionBody body)
    {
        body.DirectCallees = _directCallees is null ? [] : [.. _directCallees];
        body.CallsIndirectly = _callsIndirectly;
        body.GrowsMemory = _growsMemory;
        body.TailCalls = _tailCalls;
        body.ControlCount = _controlCount;
    }
}
