using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Bounds-check merging: one check for a run of loads through the same address local with different offsets.
/// </summary>
/// <remarks>
/// A load through <c>local.get $p</c> on a non-shared 32-bit memory 0 checks the largest end (offset + size) of the
/// loads through the same unmodified <c>$p</c> that follow it in the same straight-line run, so those skip their check
/// (the redundant-check facts, <see cref="_checkedAddressLocals"/>). Moving a trap earlier is unobservable only when
/// nothing between has an effect or traps differently, so the run ends at the first instruction that could: a store,
/// a call, a global.set, any control flow, a write of <c>$p</c>, a division or a trapping truncation, a memory
/// instruction other than a plain load of memory 0, or anything the scan does not know. Loads through other addresses
/// may stay in the run: they can only trap "out of bounds memory access", as the merged check does, and have no effect.
/// The first access itself must be a load (a store before the trap would be an effect), the later ones are loads too.
/// </remarks>
internal sealed partial class FunctionCompiler
{
    /// <summary>Instructions scanned after a load for later loads through the same local.</summary>
    private const int CheckMergeWindow = 48;

    /// <summary>
    /// For a load at the current position through <c>local.get <paramref name="addressLocal"/></c> whose access ends at
    /// <paramref name="end"/>: the largest end of the loads through the same local that can share its check (see the
    /// remarks), at least <paramref name="end"/>.
    /// </summary>
    private ulong MergedLoadEnd(int addressLocal, ulong end)
    {
        if (addressLocal < 0 || _memory0LimitSlots is null || _compactChecks || IsMemory64(0) || _tryDepth > 0) return end;
        ulong merged = end;
        for (int i = _position + 1; i < _code.Count && i <= _position + CheckMergeWindow; i++)
        {
            var ins = _code[i];
            var op = ins.Opcode;
            if (op is >= Opcode.I32Load and <= Opcode.I64Load32U)
            {
                if (ins.Memory != 0) return merged;
                if (_code[i - 1].Opcode == Opcode.LocalGet && _code[i - 1].Index == (uint)addressLocal)
                {
                    int size = 1 << InstructionDecoder.NaturalAlignment(op);
                    ulong loadEnd = ins.MemOffset + (ulong)size;
                    if (loadEnd > merged) merged = loadEnd;
                }
                continue;
            }
            if (!IsEffectFreeAndNonTrapping(in ins, addressLocal)) return merged;
        }
        return merged;
    }

    /// <summary>True for instructions that neither trap, nor have an effect, nor branch, nor write <paramref name="addressLocal"/>.</summary>
    private static bool IsEffectFreeAndNonTrapping(in Instruction ins, int addressLocal) => ins.Opcode switch
    {
        Opcode.LocalGet or Opcode.GlobalGet or Opcode.Drop or Opcode.Select or Opcode.Nop
            or Opcode.I32Const or Opcode.I64Const or Opcode.F32Const or Opcode.F64Const => true,
        Opcode.LocalSet or Opcode.LocalTee => ins.Index != (uint)addressLocal,
        Opcode.I32DivS or Opcode.I32DivU or Opcode.I32RemS or Opcode.I32RemU
            or Opcode.I64DivS or Opcode.I64DivU or Opcode.I64RemS or Opcode.I64RemU
            or Opcode.I32TruncF32S or Opcode.I32TruncF32U or Opcode.I32TruncF64S or Opcode.I32TruncF64U
            or Opcode.I64TruncF32S or Opcode.I64TruncF32U or Opcode.I64TruncF64S or Opcode.I64TruncF64U => false,
        // Comparisons, arithmetic, conversions and reinterpretations, sign extensions (0x45..0xC4).
        >= Opcode.I32Eqz and <= Opcode.I64Extend32S => true,
        _ => false,
    };
}
