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
        if (_code.Length == 1 && _code[0].Opcode is not (Opcode.StructNewDefault or Opcode.ArrayNewFixed)) return EvaluateSingle(_code[0], instance);
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
                case Opcode.StructNew or Opcode.StructNewDefault or Opcode.ArrayNew or Opcode.ArrayNewDefault or Opcode.ArrayNewFixed
                    or Opcode.RefI31 or Opcode.AnyConvertExtern or Opcode.ExternConvertAny:
                    stack.Push(ConstantGc.Evaluate(ins, instance, stack));
                    break;
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
        // The module's type index made canonical first: only then does (ref.null $struct) have the any hierarchy's kind
        // (a bare module index counts as a function type, and a (ref null $struct) global refused its own initializer).
        Opcode.RefNull => Value.Null(instance.Module.Canonical(ins.RefType)),
        Opcode.RefFunc => Value.FuncRef(instance.GetFunction(ins.Index)),
        Opcode.GlobalGet => instance.Globals[ins.Index].Value,
        _ => throw new InvalidOperationException($"{ins.Opcode} is not a constant instruction"),
    };
}

/// <summary>The GC instructions of constant expressions (3.0): allocations and reference conversions, on <see cref="Value"/>s.</summary>
internal static class ConstantGc
{
    public static Value Evaluate(Instruction ins, Instance instance, Stack<Value> stack)
    {
        switch (ins.Opcode)
        {
            case Opcode.RefI31:
                return Value.OfReference(ValType.AnyRef, GcOps.RefI31(stack.Pop().AsI32).ToObject());
            case Opcode.AnyConvertExtern:
                return Value.OfReference(ValType.AnyRef, stack.Pop().Reference);
            case Opcode.ExternConvertAny:
                return Value.ExternRef(stack.Pop().Reference);
        }
        var type = instance.Module.Definition.SubTypes[(int)ins.Index];
        int typeId = instance.Module.TypeIds[ins.Index];
        if (type.Kind == CompositeKind.Struct)
        {
            var fields = type.Fields;
            var layout = Validation.TypeRegistry.Layout(typeId);
            var s = GcOps.NewStruct(typeId, layout.BitSlots, layout.RefSlots);
            var values = new Value[fields.Length];
            if (ins.Opcode == Opcode.StructNew)
                for (int k = fields.Length - 1; k >= 0; k--) values[k] = stack.Pop();
            for (int k = 0; k < fields.Length && ins.Opcode == Opcode.StructNew; k++) Store(s, layout.Field(k), fields[k].Type, values[k]);
            return Value.OfReference(ValType.AnyRef, s.Object);
        }
        var element = type.Fields[0];
        if (ins.Opcode == Opcode.ArrayNewFixed)
        {
            var items = new Value[ins.Index2];
            for (int k = items.Length - 1; k >= 0; k--) items[k] = stack.Pop();
            return Value.OfReference(ValType.AnyRef, NewArray(typeId, element, items));
        }
        // array.new and array.new_default allocate the array itself (as compiled code does), never a Value per element:
        // a 256 MiB i8 array once took 8 GiB of Values first.
        int length = stack.Pop().AsI32;
        var init = ins.Opcode == Opcode.ArrayNew ? stack.Pop() : Value.Default(instance.Module.Canonical(element.Type));
        return Value.OfReference(ValType.AnyRef, NewFilledArray(typeId, element, init, length).Object);
    }

    /// <summary>An array of <paramref name="length"/> elements equal to <paramref name="init"/>, in the storage of <paramref name="element"/>'s type (traps "array too large" as compiled code does).</summary>
    private static RefValue NewFilledArray(int typeId, FieldType element, Value init, int length) => element.Packed switch
    {
        PackedType.I8 => GcOps.ArrayNew(typeId, (sbyte)init.AsI32, length),
        PackedType.I16 => GcOps.ArrayNew(typeId, (short)init.AsI32, length),
        _ => element.Type switch
        {
            ValType.I32 => GcOps.ArrayNew(typeId, init.AsI32, length),
            ValType.I64 => GcOps.ArrayNew(typeId, init.AsI64, length),
            ValType.F32 => GcOps.ArrayNew(typeId, init.AsF32, length),
            ValType.F64 => GcOps.ArrayNew(typeId, init.AsF64, length),
            ValType.V128 => GcOps.ArrayNew(typeId, init.AsV128, length),
            _ when Validation.TypeRegistry.Layout(typeId).ElementHoldsI31 => GcOps.ArrayNew(typeId, RefValue.Of(init.Reference), length),
            _ => GcOps.ArrayNew(typeId, init.Reference, length),
        },
    };

    private static void Store(RefValue s, (int Slot, int I31Slot) location, ValType type, Value v)
    {
        int slot = location.Slot;
        if (location.I31Slot >= 0)
        {
            GcOps.SetAnyRef(s, slot, location.I31Slot, RefValue.Of(v.Reference));
            return;
        }
        switch (type)
        {
            case ValType.I32: GcOps.SetI32(s, slot, v.AsI32); break;
            case ValType.I64: GcOps.SetI64(s, slot, v.AsI64); break;
            case ValType.F32: GcOps.SetF32(s, slot, v.AsF32); break;
            case ValType.F64: GcOps.SetF64(s, slot, v.AsF64); break;
            case ValType.V128: GcOps.SetV128(s, slot, v.AsV128); break;
            default: GcOps.SetRef(s, slot, RefValue.Of(v.Reference)); break;
        }
    }

    private static object NewArray(int typeId, FieldType element, Value[] items) => element.Packed switch
    {
        PackedType.I8 => new GcArray<sbyte>(typeId, items.Select(v => (sbyte)v.AsI32).ToArray()),
        PackedType.I16 => new GcArray<short>(typeId, items.Select(v => (short)v.AsI32).ToArray()),
        _ => element.Type switch
        {
            ValType.I32 => new GcArray<int>(typeId, items.Select(v => v.AsI32).ToArray()),
            ValType.I64 => new GcArray<long>(typeId, items.Select(v => v.AsI64).ToArray()),
            ValType.F32 => new GcArray<float>(typeId, items.Select(v => v.AsF32).ToArray()),
            ValType.F64 => new GcArray<double>(typeId, items.Select(v => v.AsF64).ToArray()),
            ValType.V128 => new GcArray<System.Runtime.Intrinsics.Vector128<byte>>(typeId, items.Select(v => v.AsV128).ToArray()),
            _ when Validation.TypeRegistry.Layout(typeId).ElementHoldsI31 => new GcArray<RefValue>(typeId, items.Select(v => RefValue.Of(v.Reference)).ToArray()),
            _ => new GcArray<object?>(typeId, items.Select(v => v.Reference).ToArray()),
        },
    };
}
