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
        var operands = info.Operands;
        if (info.IsMemory)
        {
            // The memarg's memory (multi-memory) and its address type (memory64): the address is the first operand.
            var address = RequireMemory(ins.Memory);
            if (ins.Align > (uint)System.Numerics.BitOperations.Log2((uint)info.AccessSize))
                throw Error("alignment must not be larger than natural");
            if (address == ValType.I32 && ins.MemOffset > uint.MaxValue) throw Error("offset out of range");
            if (address != operands[0]) operands = [address, .. operands[1..]];
        }
        Pop(operands);
        Push(info.Results);
    }
}
