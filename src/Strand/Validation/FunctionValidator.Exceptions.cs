using Strand.Binary;

namespace Strand.Validation;

/// <summary>Typing rules of exception handling and tail calls (WebAssembly 3.0, spec 3.3.8 and the legacy EH appendix).</summary>
internal sealed partial class FunctionValidator
{
    /// <summary>try_table and try instructions (see <see cref="FunctionBody.TryRegionCount"/>), and the sum of their nesting depths.</summary>
    private int _tryRegions;
    private long _tryNestingUnits;
    /// <summary>Branches out of try regions, each counted once per region it leaves (the compiled code has a stub per region and branch).</summary>
    private long _tryExitUnits;
    /// <summary>Try frames (try_table, try, catch, catch_all) currently open.</summary>
    private int _openTries;

    /// <summary>catch_ref and catch_all_ref pass the caught exception as <c>(ref exn)</c>: never null (3.0).</summary>
    private static readonly ValType CaughtExnRef = ValTypes.Ref(AbstractHeapType.Exn, nullable: false);

    private static bool IsTryFrame(ControlFrame frame) => frame.Opcode is Opcode.Try or Opcode.TryTable or Opcode.Catch or Opcode.CatchAll;

    private void OpenTry()
    {
        _openTries++;
        _tryRegions++;
        _tryNestingUnits += _openTries;
    }

    private FuncType Tag(uint index)
    {
        if (index >= (uint)_context.Tags.Length) throw Error($"unknown tag {index}");
        return _context.Tags[index];
    }

    /// <summary>The values a catch clause carries, <paramref name="types"/>, must match the types of <paramref name="label"/>.</summary>
    private void CheckLabelTypes(uint label, ValType[] types)
    {
        if (!Subtyping.Matches(types, Label(label).LabelTypes, _context.TypeIds)) throw Error("type mismatch");
    }

    /// <summary>Validates an exception-handling or tail-call instruction; false for any other opcode.</summary>
    private bool StepExceptionsOrTailCalls(in Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.TryTable:
            {
                var bt = BlockSignature(in ins);
                Pop(bt.Params);
                // Catch labels are resolved outside the try_table.
                foreach (var clause in ins.Catches!)
                {
                    ValType[] carried = clause.Kind switch
                    {
                        CatchKind.Catch => Tag(clause.Tag).Params,
                        CatchKind.CatchRef => [.. Tag(clause.Tag).Params, CaughtExnRef],
                        CatchKind.CatchAll => [],
                        _ => [CaughtExnRef],
                    };
                    CheckLabelTypes(clause.Label, carried);
                }
                PushControl(Opcode.TryTable, bt.Params, bt.Results);
                OpenTry();
                return true;
            }
            case Opcode.Throw:
                Pop(Tag(ins.Index).Params);
                MarkUnreachable();
                return true;
            case Opcode.ThrowRef:
                Pop(ValType.ExnRef);
                MarkUnreachable();
                return true;
            case Opcode.Try:
            {
                var bt = BlockSignature(in ins);
                Pop(bt.Params);
                PushControl(Opcode.Try, bt.Params, bt.Results);
                OpenTry();
                return true;
            }
            case Opcode.Catch or Opcode.CatchAll:
            {
                var current = _controls[^1].Opcode;
                if (current is not (Opcode.Try or Opcode.Catch))
                    throw new WasmFormatException(ins.Offset, current == Opcode.CatchAll ? "catch after catch_all" : $"{(ins.Opcode == Opcode.Catch ? "catch" : "catch_all")} without try");
                var frame = PopControl();
                PushControl(ins.Opcode, ins.Opcode == Opcode.Catch ? Tag(ins.Index).Params : [], frame.EndTypes);
                _controls[^1].OpenTries = _openTries - 1; // a branch to the construct's end leaves the handler's region
                return true;
            }
            case Opcode.Delegate:
            {
                if (_controls[^1].Opcode != Opcode.Try) throw new WasmFormatException(ins.Offset, "delegate without try");
                var frame = PopControl();
                _openTries--;
                Label(ins.Index); // relative to the blocks around the try; the function's label rethrows to the caller
                Push(frame.EndTypes);
                return true;
            }
            case Opcode.Rethrow:
                if (Label(ins.Index).Opcode is not (Opcode.Catch or Opcode.CatchAll)) throw Error("invalid rethrow label");
                MarkUnreachable();
                return true;
            case Opcode.ReturnCall:
                TailCall(FunctionType(ins.Index));
                return true;
            case Opcode.ReturnCallIndirect:
            {
                var table = Table(ins.Index2);
                var type = TypeAt(ins.Index);
                RequireFunctionTable(table);
                Pop(table.AddressType);
                TailCall(type);
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>A tail call: the callee's results must be the caller's (spec 3.3.8.14).</summary>
    private void TailCall(FuncType callee)
    {
        _tryExitUnits += _openTries;
        if (!Subtyping.Matches(callee.Results, _type.Results, _context.TypeIds)) throw Error("type mismatch");
        Pop(callee.Params);
        MarkUnreachable();
    }
}
