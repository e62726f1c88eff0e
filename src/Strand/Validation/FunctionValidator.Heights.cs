using Strand.Binary;

namespace Strand.Validation;

/// <summary>Operand stack heights of an already validated body, for the compiler's function splitter.</summary>
internal sealed partial class FunctionValidator
{
    /// <summary>
    /// Runs the validation algorithm over <paramref name="code"/> (the decoded body of a function that already passed
    /// validation) and returns, per instruction, the operand stack height above the innermost block's base just before it,
    /// or -1 where the code is unreachable (the stack is polymorphic there).
    /// </summary>
    public static int[] OperandHeights(ModuleDefinition module, ModuleContext context, uint functionIndex, FuncType type, FunctionBody body, List<Instruction> code) =>
        OperandHeights(module, context, functionIndex, type, body, code, out _, out _);

    /// <summary>
    /// <see cref="OperandHeights(ModuleDefinition, ModuleContext, uint, FuncType, FunctionBody, List{Instruction})"/>, also giving the
    /// figures validation records for the compiler's frame estimate (<see cref="FunctionBody.MaxOperandDepth"/>,
    /// <see cref="FunctionBody.BranchSpillUnits"/>), which a body loaded from a compiled artifact lacks (not validated again).
    /// </summary>
    public static int[] OperandHeights(ModuleDefinition module, ModuleContext context, uint functionIndex, FuncType type, FunctionBody body,
        List<Instruction> code, out int maxOperandDepth, out long branchSpillUnits)
    {
        var locals = new ValType[type.Params.Length + body.LocalCount];
        type.Params.CopyTo(locals, 0);
        body.ExpandLocals().CopyTo(locals, type.Params.Length);
        var validator = new FunctionValidator(module, context, functionIndex, type, locals);
        validator.PushControl(Opcode.Block, [], type.Results);
        var heights = new int[code.Count];
        for (int i = 0; i < code.Count && validator._controls.Count > 0; i++)
        {
            var frame = validator._controls[^1];
            heights[i] = frame.Unreachable ? -1 : validator._operands.Count - frame.Height;
            var ins = code[i];
            validator._offset = ins.Offset;
            validator.Step(in ins);
        }
        maxOperandDepth = validator._maxOperands;
        branchSpillUnits = validator._spillUnits + validator._loadValues / LoadValuesPerUnit;
        return heights;
    }
}
