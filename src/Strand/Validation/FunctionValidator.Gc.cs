using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Typing rules of the GC instructions (WebAssembly 3.0, spec 3.4.3-3.4.4 aggregate and reference instructions):
/// structs, arrays, i31, ref.eq, casts and the extern/any conversions.
/// </summary>
internal sealed partial class FunctionValidator
{
    private SubType Composite(uint typeIndex, CompositeKind kind)
    {
        if (typeIndex >= (uint)_module.SubTypes.Count) throw Error($"unknown type {typeIndex}");
        var type = _module.SubTypes[(int)typeIndex];
        if (type.Kind != kind) throw Error("type mismatch");
        return type;
    }

    private FieldType Field(SubType structType, uint field)
    {
        if (field >= (uint)structType.Fields.Length) throw Error($"unknown field {field}");
        return structType.Fields[field];
    }

    private static ValType RefTo(uint typeIndex, bool nullable) => ValTypes.RefToType(typeIndex, nullable);
    private static ValType Abstract(AbstractHeapType heap, bool nullable) => ValTypes.Ref(heap, nullable);

    /// <summary>A field read with struct.get/array.get (not packed) or get_s/get_u (packed only).</summary>
    private ValType Read(FieldType field, bool signedOrUnsigned)
    {
        if ((field.Packed != PackedType.None) != signedOrUnsigned) throw Error("type mismatch");
        return field.Type;
    }

    private void RequireMutable(FieldType field)
    {
        if (!field.Mutable) throw Error("field is immutable");
    }

    private void RequireDefaultable(FieldType field)
    {
        if (!field.Type.IsDefaultable()) throw Error("type mismatch: field type is not defaultable");
    }

    /// <summary>Pops a reference of <paramref name="hierarchyTop"/>'s hierarchy ("type mismatch" otherwise); returns it (<see cref="Unknown"/> if unreachable).</summary>
    private ValType PopReferenceIn(AbstractHeapType hierarchyTop)
    {
        var t = PopReference();
        if (t != Unknown && Subtyping.Top(t.HeapCode(), _context.TypeIds) != hierarchyTop) throw Error("type mismatch");
        return t;
    }

    private void StepGc(in Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.RefEq:
                Pop(Abstract(AbstractHeapType.Eq, true));
                Pop(Abstract(AbstractHeapType.Eq, true));
                Push(ValType.I32);
                return;
            case Opcode.RefI31:
                Pop(ValType.I32);
                Push(Abstract(AbstractHeapType.I31, false));
                return;
            case Opcode.I31GetS or Opcode.I31GetU:
                Pop(Abstract(AbstractHeapType.I31, true));
                Push(ValType.I32);
                return;
            case Opcode.AnyConvertExtern:
            {
                var t = PopReferenceIn(AbstractHeapType.Extern);
                Push(Abstract(AbstractHeapType.Any, t == Unknown || t.IsNullable()));
                return;
            }
            case Opcode.ExternConvertAny:
            {
                var t = PopReferenceIn(AbstractHeapType.Any);
                Push(Abstract(AbstractHeapType.Extern, t == Unknown || t.IsNullable()));
                return;
            }
            case Opcode.StructNew:
            {
                var type = Composite(ins.Index, CompositeKind.Struct);
                for (int k = type.Fields.Length - 1; k >= 0; k--) Pop(type.Fields[k].Type);
                Push(RefTo(ins.Index, false));
                return;
            }
            case Opcode.StructNewDefault:
            {
                foreach (var field in Composite(ins.Index, CompositeKind.Struct).Fields) RequireDefaultable(field);
                Push(RefTo(ins.Index, false));
                return;
            }
            case Opcode.StructGet or Opcode.StructGetS or Opcode.StructGetU:
            {
                var field = Field(Composite(ins.Index, CompositeKind.Struct), ins.Index2);
                var result = Read(field, ins.Opcode != Opcode.StructGet);
                Pop(RefTo(ins.Index, true));
                Push(result);
                return;
            }
            case Opcode.StructSet:
            {
                var field = Field(Composite(ins.Index, CompositeKind.Struct), ins.Index2);
                RequireMutable(field);
                Pop(field.Type);
                Pop(RefTo(ins.Index, true));
                return;
            }
            case Opcode.ArrayNew:
            {
                var element = Composite(ins.Index, CompositeKind.Array).Fields[0];
                Pop(ValType.I32);
                Pop(element.Type);
                Push(RefTo(ins.Index, false));
                return;
            }
            case Opcode.ArrayNewDefault:
                RequireDefaultable(Composite(ins.Index, CompositeKind.Array).Fields[0]);
                Pop(ValType.I32);
                Push(RefTo(ins.Index, false));
                return;
            case Opcode.ArrayNewFixed:
            {
                var element = Composite(ins.Index, CompositeKind.Array).Fields[0];
                if (ins.Index2 > ImplementationLimits.MaxArrayNewFixedOperands)
                    throw new WasmImplementationLimitException($"array.new_fixed of {ins.Index2} operands at offset 0x{ins.Offset:x}: Strand accepts at most {ImplementationLimits.MaxArrayNewFixedOperands}");
                for (uint k = 0; k < ins.Index2; k++) Pop(element.Type);
                Push(RefTo(ins.Index, false));
                return;
            }
            case Opcode.ArrayNewData or Opcode.ArrayInitData:
            {
                var element = Composite(ins.Index, CompositeKind.Array).Fields[0];
                if (element.Type.IsReference()) throw Error("array type is not numeric or vector");
                RequireDataSegment(ins.Index2);
                if (!_module.DataCount.HasValue) throw new WasmFormatException(ins.Offset, "data count section required");
                ArrayFromSegment(in ins, element, initialise: ins.Opcode == Opcode.ArrayInitData);
                return;
            }
            case Opcode.ArrayNewElem or Opcode.ArrayInitElem:
            {
                var element = Composite(ins.Index, CompositeKind.Array).Fields[0];
                if (!Subtyping.Matches(ElementSegmentType(ins.Index2), element.Type, _context.TypeIds)) throw Error("type mismatch");
                ArrayFromSegment(in ins, element, initialise: ins.Opcode == Opcode.ArrayInitElem);
                return;
            }
            case Opcode.ArrayGet or Opcode.ArrayGetS or Opcode.ArrayGetU:
            {
                var result = Read(Composite(ins.Index, CompositeKind.Array).Fields[0], ins.Opcode != Opcode.ArrayGet);
                Pop(ValType.I32);
                Pop(RefTo(ins.Index, true));
                Push(result);
                return;
            }
            case Opcode.ArraySet:
            {
                var element = Composite(ins.Index, CompositeKind.Array).Fields[0];
                RequireMutable(element);
                Pop(element.Type);
                Pop(ValType.I32);
                Pop(RefTo(ins.Index, true));
                return;
            }
            case Opcode.ArrayLen:
                Pop(Abstract(AbstractHeapType.Array, true));
                Push(ValType.I32);
                return;
            case Opcode.ArrayFill:
            {
                var element = Composite(ins.Index, CompositeKind.Array).Fields[0];
                RequireMutable(element);
                Pop(ValType.I32);
                Pop(element.Type);
                Pop(ValType.I32);
                Pop(RefTo(ins.Index, true));
                return;
            }
            case Opcode.ArrayCopy:
            {
                var destination = Composite(ins.Index, CompositeKind.Array).Fields[0];
                var source = Composite(ins.Index2, CompositeKind.Array).Fields[0];
                RequireMutable(destination);
                if (destination.Packed != source.Packed || !Subtyping.Matches(source.Type, destination.Type, _context.TypeIds)) throw Error("array types do not match");
                Pop(ValType.I32);
                Pop(ValType.I32);
                Pop(RefTo(ins.Index2, true));
                Pop(ValType.I32);
                Pop(RefTo(ins.Index, true));
                return;
            }
            case Opcode.RefTest or Opcode.RefTestNull or Opcode.RefCast or Opcode.RefCastNull:
            {
                var target = ins.RefType;
                ModuleValidator.CheckValType(_module, target, ins.Offset);
                PopReferenceIn(Subtyping.Top(target.HeapCode(), _context.TypeIds));
                Push(ins.Opcode is Opcode.RefTest or Opcode.RefTestNull ? ValType.I32 : target);
                return;
            }
            case Opcode.BrOnCast or Opcode.BrOnCastFail:
            {
                ValType source = ins.RefType2, target = ins.RefType;
                ModuleValidator.CheckValType(_module, source, ins.Offset);
                ModuleValidator.CheckValType(_module, target, ins.Offset);
                if (!Subtyping.Matches(target, source, _context.TypeIds)) throw Error("type mismatch");
                // The operand matches the source type; the branch carries the target type (br_on_cast) or the source minus
                // the target (br_on_cast_fail: non-null if the target admits null); the fall-through carries the other.
                var difference = target.IsNullable() ? source.WithNullable(false) : source;
                var (branch, fallThrough) = ins.Opcode == Opcode.BrOnCast ? (target, difference) : (difference, target);
                var types = Label(ins.Index).LabelTypes;
                if (types.Length == 0 || !Subtyping.Matches(branch, types[^1], _context.TypeIds)) throw Error("type mismatch");
                Pop(source);
                var rest = types[..^1];
                Pop(rest);
                Push(rest);
                Push(fallThrough);
                return;
            }
        }
        throw new WasmFormatException(ins.Offset, "illegal opcode");
    }

    /// <summary>
    /// array.new_data/new_elem: [i32 offset, i32 length] -> (ref $t); array.init_data/init_elem (<paramref name="initialise"/>,
    /// a mutable array): [(ref null $t) i32 destination, i32 offset, i32 length] -> [].
    /// </summary>
    private void ArrayFromSegment(in Instruction ins, FieldType element, bool initialise)
    {
        if (initialise) RequireMutable(element);
        Pop(ValType.I32);
        Pop(ValType.I32);
        if (initialise)
        {
            Pop(ValType.I32);
            Pop(RefTo(ins.Index, true));
        }
        else Push(RefTo(ins.Index, false));
    }
}
