using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Intrinsics;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// The GC instructions (WebAssembly 3.0): structs, arrays, i31, ref.eq, casts and the extern/any conversions, compiled to
/// calls of <see cref="GcOps"/> on .NET objects (<see cref="GcStruct"/>, <see cref="GcArray{T}"/>), which the .NET GC
/// collects, and unboxed i31s (<see cref="RefValue"/>). Type ids are read from the instance's canonical id table (so a persisted artifact stays
/// valid in another process); an array's elements are a .NET array of the storage type, so <c>array.get</c> on an
/// i8 array reads an sbyte.
/// </summary>
internal sealed partial class FunctionCompiler
{
    private static MethodInfo GcOp(string name) => RuntimeMembers.Op(typeof(GcOps), name);
    private static MethodInfo GcOp(string name, Type element) => GcOp(name).MakeGenericMethod(element);

    /// <summary>The canonical id of the module's type <paramref name="typeIndex"/>, from the instance's table.</summary>
    private void EmitTypeId(uint typeIndex)
    {
        _il.Emit(OpCodes.Ldloc, _instance!);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceTypeIds);
        Ldc((int)typeIndex);
        _il.Emit(OpCodes.Ldelem_I4);
    }

    /// <summary>A cast target for <see cref="GcOps.Test"/>: a concrete type's canonical id, or minus an abstract heap type's byte.</summary>
    private void EmitCastTarget(ValType target)
    {
        if (target.TypeIndex() is uint index) EmitTypeId(index);
        else Ldc(-(int)target.HeapCode());
        Ldc(target.IsNullable() ? 1 : 0);
    }

    private SubType GcType(uint typeIndex) => _module.Definition.SubTypes[(int)typeIndex];

    /// <summary>The layout of the module's struct or array type <paramref name="typeIndex"/> (inherited from its supertypes).</summary>
    private GcLayout Layout(uint typeIndex) => Validation.TypeRegistry.Layout(_module.TypeId(typeIndex));

    /// <summary>The .NET element type of array type <paramref name="typeIndex"/>'s storage.</summary>
    private Type StorageClrType(uint typeIndex)
    {
        var field = GcType(typeIndex).Fields[0];
        return field.Packed switch
        {
            PackedType.I8 => typeof(sbyte),
            PackedType.I16 => typeof(short),
            _ => GcOps.ArrayStorage(Layout(typeIndex), ClrTypes.Of(field.Type)),
        };
    }

    /// <summary>
    /// The <see cref="GcOps"/> array helper <paramref name="name"/> for array type <paramref name="typeIndex"/>'s storage:
    /// the generic one, or for an array of references that never hold an i31 (stored as objects) its <c>...Object</c>
    /// variant, which takes and returns <see cref="RefValue"/>s like every reference in compiled code.
    /// </summary>
    private MethodInfo ArrayOp(string name, uint typeIndex)
    {
        var storage = StorageClrType(typeIndex);
        return storage == typeof(object) ? GcOp(name + "Object") : GcOp(name, storage);
    }

    /// <summary>Narrows an i32 on the stack to a packed storage type (the value's low bits are kept).</summary>
    private void EmitPack(FieldType field)
    {
        if (field.Packed == PackedType.I8) _il.Emit(OpCodes.Conv_I1);
        else if (field.Packed == PackedType.I16) _il.Emit(OpCodes.Conv_I2);
    }

    /// <summary>
    /// Pushes the slot (and for a reference that may hold an i31, its bit slot) of field <paramref name="field"/>; returns
    /// the suffix of its <see cref="GcOps"/> accessors (<c>GetI32</c>, <c>SetRef</c>, <c>GetAnyRef</c>...).
    /// </summary>
    private string EmitFieldSlot(uint typeIndex, FieldType[] fields, int field)
    {
        var (slot, i31Slot) = Layout(typeIndex).Field(field);
        Ldc(slot);
        if (i31Slot >= 0) Ldc(i31Slot);
        return fields[field].Type switch
        {
            ValType.I32 => "I32",
            ValType.I64 => "I64",
            ValType.F32 => "F32",
            ValType.F64 => "F64",
            ValType.V128 => "V128",
            _ => i31Slot >= 0 ? "AnyRef" : "Ref",
        };
    }

    private LocalBuilder[] SpillOperands(int count)
    {
        var temps = new LocalBuilder[count];
        for (int k = count - 1; k >= 0; k--)
        {
            temps[k] = Rent(ClrTypes.Of(_stack[^1]));
            _il.Emit(OpCodes.Stloc, temps[k]);
            Pop();
        }
        return temps;
    }

    private void ReleaseAll(LocalBuilder[] temps)
    {
        foreach (var t in temps) Release(t);
    }

    private void EmitGc(Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.RefEq:
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.RefEq)));
                PopN(2);
                Push(ValType.I32);
                return;
            case Opcode.RefI31:
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.RefI31)));
                Pop();
                Push(ValTypes.Ref(AbstractHeapType.I31, nullable: false));
                return;
            case Opcode.I31GetS or Opcode.I31GetU:
                _il.Emit(OpCodes.Call, GcOp(ins.Opcode == Opcode.I31GetS ? nameof(GcOps.I31GetS) : nameof(GcOps.I31GetU)));
                Pop();
                Push(ValType.I32);
                return;
            case Opcode.AnyConvertExtern or Opcode.ExternConvertAny:
            {
                // The same object in the other hierarchy: host objects and GC objects need no wrapper.
                bool nullable = _stack[^1].IsNullable();
                Pop();
                Push(ValTypes.Ref(ins.Opcode == Opcode.AnyConvertExtern ? AbstractHeapType.Any : AbstractHeapType.Extern, nullable));
                return;
            }
            case Opcode.StructNew or Opcode.StructNewDefault:
            {
                var fields = GcType(ins.Index).Fields;
                var temps = ins.Opcode == Opcode.StructNew ? SpillOperands(fields.Length) : [];
                var layout = Layout(ins.Index);
                EmitTypeId(ins.Index);
                Ldc(layout.BitSlots);
                Ldc(layout.RefSlots);
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.NewStruct)));
                for (int k = 0; k < temps.Length; k++)
                {
                    _il.Emit(OpCodes.Dup);
                    string setter = EmitFieldSlot(ins.Index, fields, k);
                    _il.Emit(OpCodes.Ldloc, temps[k]);
                    _il.Emit(OpCodes.Call, GcOp("Set" + setter));
                }
                ReleaseAll(temps);
                Push(ValTypes.RefToType(ins.Index, nullable: false));
                return;
            }
            case Opcode.StructGet or Opcode.StructGetS or Opcode.StructGetU:
            {
                var fields = GcType(ins.Index).Fields;
                var field = fields[ins.Index2];
                string suffix = EmitFieldSlot(ins.Index, fields, (int)ins.Index2);
                string getter = field.Packed switch
                {
                    PackedType.I8 => ins.Opcode == Opcode.StructGetS ? nameof(GcOps.GetS8) : nameof(GcOps.GetU8),
                    PackedType.I16 => ins.Opcode == Opcode.StructGetS ? nameof(GcOps.GetS16) : nameof(GcOps.GetU16),
                    _ => "Get" + suffix,
                };
                _il.Emit(OpCodes.Call, GcOp(getter));
                Pop();
                Push(field.Type);
                return;
            }
            case Opcode.StructSet:
            {
                var fields = GcType(ins.Index).Fields;
                var value = SpillOperands(1);
                string setter = EmitFieldSlot(ins.Index, fields, (int)ins.Index2);
                _il.Emit(OpCodes.Ldloc, value[0]);
                _il.Emit(OpCodes.Call, GcOp("Set" + setter));
                ReleaseAll(value);
                Pop();
                return;
            }
            default:
                EmitGcArrayOrCast(ins);
                return;
        }
    }

    private void EmitGcArrayOrCast(Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.ArrayNew:
            {
                var element = GcType(ins.Index).Fields[0];
                var temps = SpillOperands(2); // init, length
                EmitTypeId(ins.Index);
                _il.Emit(OpCodes.Ldloc, temps[0]);
                EmitPack(element);
                _il.Emit(OpCodes.Ldloc, temps[1]);
                _il.Emit(OpCodes.Call, ArrayOp(nameof(GcOps.ArrayNew), ins.Index));
                ReleaseAll(temps);
                Push(ValTypes.RefToType(ins.Index, nullable: false));
                return;
            }
            case Opcode.ArrayNewDefault:
            {
                var temps = SpillOperands(1);
                EmitTypeId(ins.Index);
                _il.Emit(OpCodes.Ldloc, temps[0]);
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.ArrayNewDefault), StorageClrType(ins.Index)));
                ReleaseAll(temps);
                Push(ValTypes.RefToType(ins.Index, nullable: false));
                return;
            }
            case Opcode.ArrayNewFixed:
            {
                var element = GcType(ins.Index).Fields[0];
                var clr = StorageClrType(ins.Index);
                var temps = SpillOperands((int)ins.Index2);
                EmitTypeId(ins.Index);
                Ldc(temps.Length);
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.ArrayNewDefault), clr));
                for (int k = 0; k < temps.Length; k++)
                {
                    Ldc(k);
                    _il.Emit(OpCodes.Ldloc, temps[k]);
                    EmitPack(element);
                    _il.Emit(OpCodes.Call, ArrayOp(nameof(GcOps.ArrayStore), ins.Index));
                }
                ReleaseAll(temps);
                Push(ValTypes.RefToType(ins.Index, nullable: false));
                return;
            }
            case Opcode.ArrayNewData or Opcode.ArrayNewElem:
            {
                var temps = SpillOperands(2); // offset, length
                EmitTypeId(ins.Index);
                _il.Emit(OpCodes.Ldloc, _instance!);
                Ldc((int)ins.Index2);
                _il.Emit(OpCodes.Ldloc, temps[0]);
                _il.Emit(OpCodes.Ldloc, temps[1]);
                _il.Emit(OpCodes.Call, ins.Opcode == Opcode.ArrayNewData
                    ? GcOp(nameof(GcOps.ArrayNewData), StorageClrType(ins.Index))
                    : GcOp(nameof(GcOps.ArrayNewElem), StorageClrType(ins.Index)));
                ReleaseAll(temps);
                Push(ValTypes.RefToType(ins.Index, nullable: false));
                return;
            }
            case Opcode.ArrayGet or Opcode.ArrayGetS or Opcode.ArrayGetU:
            {
                var element = GcType(ins.Index).Fields[0];
                _il.Emit(OpCodes.Call, ArrayOp(nameof(GcOps.ArrayGet), ins.Index));
                // A returned sbyte or short is sign-extended on the stack; get_u zero-extends it.
                if (ins.Opcode == Opcode.ArrayGetU) _il.Emit(element.Packed == PackedType.I8 ? OpCodes.Conv_U1 : OpCodes.Conv_U2);
                PopN(2);
                Push(element.Type);
                return;
            }
            case Opcode.ArraySet:
            {
                var element = GcType(ins.Index).Fields[0];
                EmitPack(element);
                _il.Emit(OpCodes.Call, ArrayOp(nameof(GcOps.ArraySet), ins.Index));
                PopN(3);
                return;
            }
            case Opcode.ArrayLen:
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.ArrayLen)));
                Pop();
                Push(ValType.I32);
                return;
            case Opcode.ArrayFill:
            {
                var element = GcType(ins.Index).Fields[0];
                var count = SpillOperands(1);
                EmitPack(element);
                _il.Emit(OpCodes.Ldloc, count[0]);
                _il.Emit(OpCodes.Call, ArrayOp(nameof(GcOps.ArrayFill), ins.Index));
                ReleaseAll(count);
                PopN(3);
                return;
            }
            case Opcode.ArrayCopy:
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.ArrayCopy)));
                PopN(5);
                return;
            case Opcode.ArrayInitData or Opcode.ArrayInitElem:
                _il.Emit(OpCodes.Ldloc, _instance!);
                Ldc((int)ins.Index2);
                _il.Emit(OpCodes.Call, ins.Opcode == Opcode.ArrayInitData
                    ? GcOp(nameof(GcOps.ArrayInitData), StorageClrType(ins.Index))
                    : GcOp(nameof(GcOps.ArrayInitElem), StorageClrType(ins.Index)));
                PopN(4);
                return;
            case Opcode.RefTest or Opcode.RefTestNull:
                EmitCastTarget(ins.RefType);
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.Test)));
                Pop();
                Push(ValType.I32);
                return;
            case Opcode.RefCast or Opcode.RefCastNull:
                EmitCastTarget(ins.RefType);
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.Cast)));
                Pop();
                Push(ins.RefType);
                return;
            case Opcode.BrOnCast or Opcode.BrOnCastFail:
            {
                ValType source = ins.RefType2, target = ins.RefType;
                var difference = target.IsNullable() ? source.WithNullable(false) : source;
                bool onCast = ins.Opcode == Opcode.BrOnCast;
                var skip = _il.DefineLabel();
                _il.Emit(OpCodes.Dup);
                EmitCastTarget(target);
                _il.Emit(OpCodes.Call, GcOp(nameof(GcOps.Test)));
                _il.Emit(onCast ? OpCodes.Brfalse : OpCodes.Brtrue, skip);
                Pop();
                Push(onCast ? target : difference);
                EmitBranchTo(Target(ins.Index));
                _il.MarkLabel(skip);
                Pop();
                Push(onCast ? difference : target);
                return;
            }
        }
    }
}
