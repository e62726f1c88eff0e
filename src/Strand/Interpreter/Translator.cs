using Strand.Binary;

namespace Strand.Interpreter;

/// <summary>
/// Translates a validated function body into an <see cref="InterpretedFunction"/>, or refuses (null) a function that
/// uses anything outside the interpreter's instruction set: the interpreter runs the numeric, variable, memory (memory 0,
/// 32-bit addresses, no atomics) and control instructions of WebAssembly 2.0 without vectors and references, with
/// <c>call</c> and <c>call_indirect</c> of functions whose signatures are numeric. A refused function is compiled on its
/// first call, as without the interpreter (docs/interpreter.md).
/// </summary>
internal sealed class Translator
{
    private sealed class Control
    {
        public bool IsLoop, IsIf, IsFunction;
        public int Height;          // operand height below the block's parameters
        public int Params, Results;
        public int LoopStart;        // word index of a loop's header
        public int LoopId = -1;
        public int ElseFixup = -1;   // word to patch with the else branch's start (if)
        public List<int> EndFixups = new(); // words to patch with the end's word index
        public bool HasElse;
        public required Label Label;  // the branch target, its Target patched at the end of a block
    }

    private readonly ModuleDefinition _def;
    private readonly List<int> _code = new(256);
    private readonly List<Control> _controls = new();
    private int _height, _maxHeight;
    private readonly List<int> _loopInstructions = new(), _loopEnds = new(), _loopHeights = new();
    private readonly List<Label> _loopParents = new();

    private Translator(ModuleDefinition def) => _def = def;

    /// <summary>The translation of defined function <paramref name="definedIndex"/> (decoded: <paramref name="code"/>), or null with <paramref name="refusal"/>.</summary>
    public static InterpretedFunction? Translate(ModuleDefinition def, int definedIndex, List<Instruction> code, out string? refusal)
    {
        var type = def.GetFunctionType((uint)(def.ImportedFunctionCount + definedIndex));
        var locals = def.Bodies[definedIndex].ExpandLocals();
        refusal = null;
        if (!AllNumeric(type.Params) || !AllNumeric(type.Results) || !AllNumeric(locals))
        {
            refusal = "a parameter, result or local is not a number type";
            return null;
        }
        if (type.Results.Length > 1) { refusal = "several results"; return null; }
        var t = new Translator(def);
        refusal = t.Run(code, type);
        if (refusal is not null) return null;
        return new InterpretedFunction
        {
            DefinedIndex = definedIndex,
            Type = type,
            Code = t._code.ToArray(),
            ParamCount = type.Params.Length,
            LocalCount = type.Params.Length + locals.Length,
            ResultCount = type.Results.Length,
            MaxHeight = t._maxHeight,
            LoopInstructions = t._loopInstructions.ToArray(),
            LoopEnds = t._loopEnds.ToArray(),
            LoopHeights = t._loopHeights.ToArray(),
            LoopParents = t._loopParents.ToArray(),
        };
    }

    private static bool AllNumeric(ValType[] types)
    {
        foreach (var v in types) if (!v.IsNumeric()) return false;
        return true;
    }

    private (int Params, int Results) BlockArity(BlockType bt)
    {
        switch (bt.Kind)
        {
            case BlockTypeKind.Empty: return (0, 0);
            case BlockTypeKind.Value: return bt.Value.IsNumeric() ? (0, 1) : (-1, -1);
            default:
                var ft = _def.Types[(int)bt.TypeIndex];
                return AllNumeric(ft.Params) && AllNumeric(ft.Results) ? (ft.Params.Length, ft.Results.Length) : (-1, -1);
        }
    }

    private void Emit(int word) => _code.Add(word);

    private void Pop(int n) => _height -= n;

    private void Push(int n)
    {
        _height += n;
        if (_height > _maxHeight) _maxHeight = _height;
    }

    /// <summary>A branch to the label at relative <paramref name="depth"/> from the current height (after the condition is popped).</summary>
    private void EmitBranch(int depth, bool conditional)
    {
        var target = _controls[_controls.Count - 1 - depth];
        int arity = target.IsLoop ? target.Params : target.Results;
        if (target.IsFunction)
        {
            // A branch to the function's label is a return.
            if (conditional)
            {
                Emit(Op.JumpIfZero);
                int skip = _code.Count;
                Emit(0);
                Emit(Op.Return);
                _code[skip] = _code.Count;
            }
            else Emit(Op.Return);
            return;
        }
        bool unwinds = _height - arity != target.Height;
        if (!unwinds)
        {
            Emit(conditional ? Op.JumpIfNotZero : Op.Jump);
            EmitTarget(target);
        }
        else
        {
            Emit(conditional ? Op.BranchIf : Op.Branch);
            EmitTarget(target);
            Emit(arity);
            Emit(target.Height);
        }
    }

    /// <summary>Writes the word of <paramref name="target"/>'s branch destination: a loop's header, or a block's end (patched later).</summary>
    private void EmitTarget(Control target)
    {
        if (target.IsLoop) Emit(target.LoopStart);
        else
        {
            target.EndFixups.Add(_code.Count);
            Emit(-1);
        }
    }

    private string? Run(List<Instruction> code, FuncType type)
    {
        _controls.Add(new Control { IsFunction = true, Height = 0, Results = type.Results.Length, Label = new Label { Arity = type.Results.Length } });
        int skipDepth = 0;
        bool unreachable = false;
        for (int i = 0; i < code.Count; i++)
        {
            var ins = code[i];
            if (unreachable)
            {
                switch (ins.Opcode)
                {
                    case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable: skipDepth++; continue;
                    // A legacy try ends with delegate instead of end.
                    case Opcode.End or Opcode.Delegate when skipDepth > 0: skipDepth--; continue;
                    case Opcode.Else when skipDepth == 0: break;
                    case Opcode.End: break;
                    default: continue;
                }
                unreachable = false;
            }
            string? refusal = Translate(code, i, ins, ref unreachable);
            if (refusal is not null) return refusal;
            if (_controls.Count == 0) break;
        }
        // Every construct closed (the last word a Return, every branch target patched); anything else is a translator
        // fault, and running it would read outside the code: refuse, the function is compiled instead.
        if (_controls.Count != 0) return "an unbalanced block structure (internal)";
        return null;
    }

    private string? Translate(List<Instruction> code, int index, Instruction ins, ref bool unreachable)
    {
        var op = ins.Opcode;
        switch (op)
        {
            case Opcode.Nop: return null;
            case Opcode.Unreachable:
                Emit(Op.Unreachable);
                unreachable = true;
                return null;
            case Opcode.Block or Opcode.Loop:
            {
                var (ps, rs) = BlockArity(ins.Block);
                if (ps < 0) return "a block of reference type";
                var c = new Control
                {
                    IsLoop = op == Opcode.Loop, Height = _height - ps, Params = ps, Results = rs,
                    Label = new Label { Arity = op == Opcode.Loop ? ps : rs, Height = _height - ps, Parent = _controls[^1].Label },
                };
                if (c.IsLoop)
                {
                    c.LoopId = _loopInstructions.Count;
                    _loopInstructions.Add(index);
                    _loopEnds.Add(-1);
                    _loopHeights.Add(c.Height + ps);
                    _loopParents.Add(_controls[^1].Label);
                    c.LoopStart = _code.Count;
                    c.Label.Target = c.LoopStart;
                    Emit(Op.LoopHead);
                    Emit(c.LoopId);
                }
                _controls.Add(c);
                return null;
            }
            case Opcode.If:
            {
                var (ps, rs) = BlockArity(ins.Block);
                if (ps < 0) return "a block of reference type";
                Pop(1);
                var c = new Control
                {
                    IsIf = true, Height = _height - ps, Params = ps, Results = rs,
                    Label = new Label { Arity = rs, Height = _height - ps, Parent = _controls[^1].Label },
                };
                Emit(Op.JumpIfZero);
                c.ElseFixup = _code.Count;
                Emit(-1);
                _controls.Add(c);
                return null;
            }
            case Opcode.Else:
            {
                var c = _controls[^1];
                // The then branch jumps over the else branch to the end.
                Emit(Op.Jump);
                c.EndFixups.Add(_code.Count);
                Emit(-1);
                _code[c.ElseFixup] = _code.Count;
                c.ElseFixup = -1;
                c.HasElse = true;
                _height = c.Height + c.Params;
                return null;
            }
            case Opcode.End:
            {
                var c = _controls[^1];
                _controls.RemoveAt(_controls.Count - 1);
                if (c.IsFunction)
                {
                    Emit(Op.Return);
                    return null;
                }
                if (!c.IsLoop) c.Label.Target = _code.Count;
                if (c.ElseFixup >= 0) _code[c.ElseFixup] = _code.Count; // an if without else: false goes to the end
                foreach (int f in c.EndFixups) _code[f] = _code.Count;
                if (c.IsLoop) _loopEnds[c.LoopId] = _code.Count;
                _height = c.Height;
                Push(c.Results);
                return null;
            }
            case Opcode.Br:
                EmitBranch((int)ins.Index, conditional: false);
                unreachable = true;
                return null;
            case Opcode.BrIf:
                Pop(1);
                EmitBranch((int)ins.Index, conditional: true);
                return null;
            case Opcode.BrTable:
            {
                Pop(1);
                // Labels holds the targets; Index the default, which is last in the table.
                var labels = ins.Labels!;
                Emit(Op.BranchTable);
                Emit(labels.Length);
                foreach (uint depth in labels.Append(ins.Index))
                {
                    var target = _controls[_controls.Count - 1 - (int)depth];
                    int arity = target.IsLoop ? target.Params : target.Results;
                    if (target.IsFunction)
                    {
                        Emit(-1); // return
                        Emit(arity);
                        Emit(0);
                    }
                    else
                    {
                        EmitTarget(target);
                        Emit(arity);
                        Emit(target.Height);
                    }
                }
                unreachable = true;
                return null;
            }
            case Opcode.Return:
                Emit(Op.Return);
                unreachable = true;
                return null;
            case Opcode.Call:
            {
                var ft = _def.GetFunctionType(ins.Index);
                if (!AllNumeric(ft.Params) || !AllNumeric(ft.Results)) return "a call with reference-typed values";
                Emit(Op.Call);
                Emit((int)ins.Index);
                Pop(ft.Params.Length);
                Push(ft.Results.Length);
                return null;
            }
            case Opcode.CallIndirect:
            {
                var ft = _def.Types[(int)ins.Index];
                if (!AllNumeric(ft.Params) || !AllNumeric(ft.Results)) return "a call with reference-typed values";
                var table = _def.GetTableType(ins.Index2);
                if (table.Limits.Is64) return "a 64-bit table";
                Pop(1);
                Emit(Op.CallIndirect);
                Emit((int)ins.Index);
                Emit((int)ins.Index2);
                Pop(ft.Params.Length);
                Push(ft.Results.Length);
                return null;
            }
            case Opcode.Drop:
                Emit(Op.Drop);
                Pop(1);
                return null;
            case Opcode.Select:
                Emit(Op.Select);
                Pop(2);
                return null;
            case Opcode.SelectTyped:
                if (ins.SelectTypes is not [var st] || !st.IsNumeric()) return "select of reference type";
                Emit(Op.Select);
                Pop(2);
                return null;
            case Opcode.LocalGet:
                Emit(Op.LocalGet); Emit((int)ins.Index); Push(1);
                return null;
            case Opcode.LocalSet:
                Emit(Op.LocalSet); Emit((int)ins.Index); Pop(1);
                return null;
            case Opcode.LocalTee:
                Emit(Op.LocalTee); Emit((int)ins.Index);
                return null;
            case Opcode.GlobalGet or Opcode.GlobalSet:
            {
                var gt = _def.GetGlobalType(ins.Index).Type;
                int k = gt switch { ValType.I32 => 0, ValType.I64 => 1, ValType.F32 => 2, ValType.F64 => 3, _ => -1 };
                if (k < 0) return "a global of reference or vector type";
                bool get = op == Opcode.GlobalGet;
                Emit((get ? Op.GlobalGetI32 : Op.GlobalSetI32) + k);
                Emit((int)ins.Index);
                if (get) Push(1); else Pop(1);
                return null;
            }
            case Opcode.I32Const or Opcode.F32Const:
                Emit(Op.Const32); Emit((int)ins.Immediate); Push(1);
                return null;
            case Opcode.I64Const or Opcode.F64Const:
                Emit(Op.Const64); Emit((int)ins.Immediate); Emit((int)(ins.Immediate >> 32)); Push(1);
                return null;
            case >= Opcode.I32Load and <= Opcode.I64Store32:
            {
                if (ins.Memory != 0 || _def.GetMemoryType(0).Limits.Is64) return "a 64-bit memory or another memory than 0";
                if (ins.MemOffset > uint.MaxValue) return "an offset over 32 bits";
                Emit((int)op);
                Emit((int)(uint)ins.MemOffset);
                if (op <= Opcode.I64Load32U) { Pop(1); Push(1); } else Pop(2);
                return null;
            }
            case Opcode.MemorySize or Opcode.MemoryGrow:
                if (ins.Memory != 0 || _def.GetMemoryType(0).Limits.Is64) return "a 64-bit memory or another memory than 0";
                Emit((int)op);
                if (op == Opcode.MemorySize) Push(1);
                return null;
            case Opcode.MemoryCopy or Opcode.MemoryFill:
                if (ins.Memory != 0 || ins.Memory2 != 0 || _def.GetMemoryType(0).Limits.Is64) return "a 64-bit memory or another memory than 0";
                Emit(op == Opcode.MemoryCopy ? Op.MemoryCopy : Op.MemoryFill);
                Pop(3);
                return null;
            case >= Opcode.I32TruncSatF32S and <= Opcode.I64TruncSatF64U:
                Emit(Op.PrefixFC + ((int)op - (int)Opcode.I32TruncSatF32S));
                return null;
            case >= Opcode.I32Eqz and <= Opcode.I64Extend32S:
            {
                Emit((int)op);
                int b = (int)op;
                bool unary = b is 0x45 or 0x50 or (>= 0x67 and <= 0x69) or (>= 0x79 and <= 0x7B) or (>= 0x8B and <= 0x91)
                    or (>= 0x99 and <= 0x9F) or (>= 0xA7 and <= 0xC4);
                if (!unary) Pop(1);
                return null;
            }
            default:
                return $"instruction {op}";
        }
    }
}
