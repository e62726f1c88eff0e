using Strand.Binary;

namespace Strand.Validation;

/// <summary>Typing of the SIMD instructions (spec 3.3.3, vector instructions), driven by <see cref="SimdOpcodes"/>.</summary>
internal sealed partial class FunctionValidator
{
    private void SimdInstruction(in Instruction ins)
    {
        var info = SimdOpcodes.Info(ins.Opcode);
        switch (info.Immediate)
        {
            case SimdImmediate.Lane or SimdImmediate.MemArgLane:
                if (ins.Lane >= info.Lanes) throw Error("invalid lane index");
                break;
            case SimdImmediate.Shuffle:
                for (int i = 0; i < 16; i++)
                {
                    ulong half = i < 8 ? ins.Immediate : ins.ImmediateHigh;
                    if ((byte)(half >> (8 * (i & 7))) >= info.Lanes) throw Error("invalid lane index");
                }
                break;
        }
        if (info.IsMemory)
        {
            RequireMemory(ins.Index);
            if (ins.Align > (uint)System.Numerics.BitOperations.Log2((uint)info.AccessSize))
                throw Error("alignment must not be larger than natural");
        }
        Pop(info.Operands);
        Push(info.Results);
    }
}
