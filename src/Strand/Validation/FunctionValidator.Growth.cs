using Strand.Binary;

namespace Strand.Validation;

// Facts for Compilation/MemoryGrowthAnalysis.cs, recorded while a body is validated (which decodes every instruction
// anyway, on all cores): the functions a body calls directly, and whether it may grow a memory without a direct call.
internal sealed partial class FunctionValidator
{
    /// <summary>Function indices named by <c>call</c> and <c>return_call</c> in the body (imports included).</summary>
    private HashSet<uint>? _directCallees;

    /// <summary>The body has a <c>memory.grow</c> (any memory), a <c>call_indirect</c> or a <c>return_call_indirect</c>.</summary>
    private bool _growsOrCallsIndirectly;

    private void NoteCallOrGrowth(in Instruction ins)
    {
        if (ins.Opcode is Opcode.Call or Opcode.ReturnCall) (_directCallees ??= new()).Add(ins.Index);
        else _growsOrCallsIndirectly = true;
    }

    private void RecordCallsAndGrowth(FunctionBody body)
    {
        body.DirectCallees = _directCallees is null ? [] : [.. _directCallees];
        body.GrowsMemoryOrCallsIndirectly = _growsOrCallsIndirectly;
    }
}
