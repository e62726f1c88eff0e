using Strand.Binary;

namespace Strand.Runtime;

/// <summary>A pre-decoded constant expression (global initialisers, segment offsets and elements).</summary>
internal sealed class ConstantExpression
{
    private readonly Instruction[] _code;

    public ConstantExpression(ConstExpr expression, byte[] moduleBytes) => _code = expression.Decode(moduleBytes).ToArray();

    /// <summary>Evaluates in <paramref name="instance"/> (globals and functions must already exist).</summary>
    public Value Evaluate(Instance instance)
    {
        if (_code.Length == 1) return EvaluateSingle(_code[0], instance);
        var stack = new Stack<Value>();
        foreach (var ins in _code)
        {
            switch (ins.Opcode)
            {
                // Extended constant expressions (validated elsewhere if the validator allows them).
                case Opcode.I32Add or Opcode.I32Sub or Opcode.I32Mul:
                {
                    int b = stack.Pop().AsI32, a = stack.Pop().AsI32;
                    stack.Push(Value.I32(ins.Opcode == Opcode.I32Add ? a + b : ins.Opcode == Opcode.I32Sub ? a - b : a * b));
                    break;
                }
                case Opcode.I64Add or Opcode.I64Sub or Opcode.I64Mul:
                {
                    long b = stack.Pop().AsI64, a = stack.Pop().AsI64;
                    stack.Push(Value.I64(ins.Opcode == Opcode.I64Add ? a + b : ins.Opcode == Opcode.I64Sub ? a - b : a * b));
                    break;
                }
                default:
                    stack.Push(EvaluateSingle(ins, instance));
                    break;
            }
        }
        return stack.Pop();
    }

    private static Value EvaluateSingle(Instruction ins, Instance instance) => ins.Opcode switch
    {
        Opcode.I32Const => Value.I32(ins.I32),
        Opcode.I64Const => Value.I64(ins.I64),
        Opcode.F32Const => Value.F32Bits(ins.F32Bits),
        Opcode.F64Const => Value.F64Bits(ins.F64Bits),
        Opcode.V128Const => Value.V128(System.Runtime.Intrinsics.Vector128.AsByte(System.Runtime.Intrinsics.Vector128.Create(ins.Immediate, ins.ImmediateHigh))),
        Opcode.RefNull => Value.Null(ins.RefType),
        Opcode.RefFunc => Value.FuncRef(instance.GetFunction(ins.Index)),
        Opcode.GlobalGet => instance.Globals[ins.Index].Value,
        _ => throw new InvalidOperationException($"{ins.Opcode} is not a constant instruction"),
    };
}
