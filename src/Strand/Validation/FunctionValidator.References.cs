using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Typing rules of typed function references (WebAssembly 3.0, spec 3.4.3 reference instructions, 3.4.9 control
/// instructions): call_ref, return_call_ref, ref.as_non_null, br_on_null, br_on_non_null, and the initialisation of
/// locals of non-defaultable types.
/// </summary>
internal sealed partial class FunctionValidator
{
    /// <summary>For each local, true while it is a non-defaultable local not yet set on this path; null when the body has none.</summary>
    private bool[]? _localUnset;
    /// <summary>Locals set since a frame opened, in order (a frame's end makes them unset again).</summary>
    private readonly ValueList<uint> _initLog = new();

    /// <summary>Marks the declared locals (not the parameters) of non-defaultable types as unset.</summary>
    private void TrackLocalInitialization(int parameterCount)
    {
        for (int i = parameterCount; i < _locals.Length; i++)
        {
            if (_locals[i].IsDefaultable()) continue;
            _localUnset ??= new bool[_locals.Length];
            _localUnset[i] = true;
        }
    }

    /// <summary>At a frame's end, the locals first set inside it are unset again.</summary>
    private void ResetLocalInitialization(int height)
    {
        for (int i = _initLog.Count - 1; i >= height; i--) _localUnset![_initLog[i]] = true;
        _initLog.RemoveRange(height, _initLog.Count - height);
    }

    /// <summary>A block, loop, if, try or try_table signature, with the value types in it checked against the module's types.</summary>
    private FuncType BlockSignature(in Instruction ins) => ModuleValidator.ResolveBlockType(_module, ins.Block, ins.Offset, checkTypes: true);

    /// <summary>call_indirect and return_call_indirect need a table of function references.</summary>
    private void RequireFunctionTable(TableType table)
    {
        if (!Subtyping.Matches(table.ElementType, ValType.FuncRef, _context.TypeIds)) throw Error("type mismatch");
    }

    /// <summary>Pops a reference operand: its type, or <see cref="Unknown"/> in unreachable code; "type mismatch" for a non-reference.</summary>
    private ValType PopReference()
    {
        var t = Pop();
        if (t != Unknown && !t.IsReference()) throw Error("type mismatch");
        return t;
    }

    private void StepReferences(in Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.CallRef:
            {
                var type = TypeAt(ins.Index);
                Pop(ValTypes.RefToType(ins.Index, nullable: true));
                Pop(type.Params);
                Push(type.Results);
                return;
            }
            case Opcode.ReturnCallRef:
            {
                var type = TypeAt(ins.Index);
                Pop(ValTypes.RefToType(ins.Index, nullable: true));
                TailCall(type);
                return;
            }
            case Opcode.RefAsNonNull:
            {
                var t = PopReference();
                Push(t == Unknown ? Unknown : t.WithNullable(false));
                return;
            }
            case Opcode.BrOnNull:
            {
                // [t* (ref null ht)] -> [t* (ref ht)], branching with [t*] when the reference is null.
                var t = PopReference();
                var types = Label(ins.Index).LabelTypes;
                Pop(types);
                Push(types);
                Push(t == Unknown ? Unknown : t.WithNullable(false));
                return;
            }
            case Opcode.BrOnNonNull:
            {
                // [t* (ref null ht)] -> [t*], branching with [t* (ref ht)] when the reference is not null.
                var types = Label(ins.Index).LabelTypes;
                if (types.Length == 0 || !types[^1].IsReference()) throw Error("type mismatch");
                var t = PopReference();
                if (t != Unknown && !Subtyping.Matches(t.WithNullable(false), types[^1], _context.TypeIds)) throw Error("type mismatch");
                var rest = types[..^1];
                Pop(rest);
                Push(rest);
                return;
            }
        }
    }
}
