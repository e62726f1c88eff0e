using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Type-checks one function body with the operand-stack / control-stack algorithm of the
/// specification's validation appendix, including stack polymorphism after unconditional branches.
/// </summary>
internal sealed partial class FunctionValidator
{
    /// <summary>The type of an operand popped from the polymorphic stack of unreachable code.</summary>
    private const ValType Unknown = 0;

    private readonly ModuleDefinition _module;
    private readonly ModuleContext _context;
    private readonly uint _functionIndex;
    private readonly FuncType _type;
    private readonly ValType[] _locals;
    private readonly ValueList<ValType> _operands = new();
    private readonly List<ControlFrame> _controls = new();
    private int _offset;

    private sealed class ControlFrame
    {
        public required Opcode Opcode;
        public required ValType[] StartTypes;
        public required ValType[] EndTypes;
        public required int Height;
        public bool Unreachable;
        /// <summary>Try frames open around this one (exception handling): a branch to it leaves the ones opened since.</summary>
        public int OpenTries;
        /// <summary>The length of the local-initialisation log when the frame opened (its end forgets later sets).</summary>
        public int InitHeight;
        /// <summary>Loops branch to their start, every other block to its end.</summary>
        public ValType[] LabelTypes => Opcode == Opcode.Loop ? StartTypes : EndTypes;
    }

    private FunctionValidator(ModuleDefinition module, ModuleContext context, uint functionIndex, FuncType type, ValType[] locals)
    {
        _module = module;
        _context = context;
        _functionIndex = functionIndex;
        _type = type;
        _locals = locals;
    }

    /// <summary>Validates one body; records the deepest operand stack it reaches in <see cref="FunctionBody.MaxOperandDepth"/> (the compiler sizes frames with it).</summary>
    public static void Validate(ModuleDefinition module, ModuleContext context, uint functionIndex, FuncType type, FunctionBody body)
    {
        var locals = new ValType[type.Params.Length + body.LocalCount];
        type.Params.CopyTo(locals, 0);
        body.ExpandLocals().CopyTo(locals, type.Params.Length);

        var validator = new FunctionValidator(module, context, functionIndex, type, locals);
        validator.TrackLocalInitialization(type.Params.Length);
        validator.Run(body);
        body.MaxOperandDepth = validator._maxOperands;
        body.BranchSpillUnits = validator._spillUnits + validator._loadValues / LoadValuesPerUnit;
        body.LoopCount = validator._loops;
        body.TryRegionCount = validator._tryRegions;
        body.TryNestingUnits = validator._tryNestingUnits;
        body.TryExitUnits = validator._tryExitUnits;
        validator.RecordCallFacts(body);
    }

    private WasmValidationException Error(string reason) =>
        new(reason, _offset, _functionIndex, _module.DescribeFunction(_functionIndex));

    private void Run(FunctionBody body)
    {
        var reader = WasmReader.ForCode(_module, body.CodeStart, body.CodeEnd);
        _offset = body.CodeStart;
        PushControl(Opcode.Block, [], _type.Results);
        while (!reader.AtEnd)
        {
            if (_controls.Count == 0) throw new WasmFormatException(reader.Position, "operators remaining after end of function");
            InstructionDecoder.Read(reader, out var ins);
            _offset = ins.Offset;
            Step(in ins);
        }
        if (_controls.Count != 0) throw new WasmFormatException(body.CodeEnd, "END opcode expected");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool IsStraightLine(Opcode op) =>
        op is Opcode.LocalGet or Opcode.LocalSet or Opcode.LocalTee or Opcode.Drop or Opcode.Nop
            or Opcode.I32Const or Opcode.I64Const or Opcode.F32Const or Opcode.F64Const
            or (>= Opcode.I32Eqz and <= Opcode.I64Extend32S)
            || (SimdOpcodes.IsSimd(op) && !SimdOpcodes.Info(op).IsMemory);

    // ---- operand and control stacks ----------------------------------------------------------

    /// <summary>The largest operand stack height seen (all control frames together).</summary>
    private int _maxOperands;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Push(ValType type)
    {
        _operands.Add(type);
        if (_operands.Count > _maxOperands) _maxOperands = _operands.Count;
    }

    private void Push(ValType[] types)
    {
        foreach (var t in types) Push(t);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ValType Pop()
    {
        var frame = _controls[^1];
        if (_operands.Count == frame.Height)
        {
            if (frame.Unreachable) return Unknown;
            throw Error("type mismatch");
        }
        var t = _operands[^1];
        _operands.RemoveAt(_operands.Count - 1);
        return t;
    }

    private ValType Pop(ValType expected)
    {
        var actual = Pop();
        if (actual != expected && actual != Unknown && expected != Unknown && !Subtyping.Matches(actual, expected, _context.TypeIds))
            throw Error("type mismatch");
        return actual;
    }

    private void Pop(ValType[] expected)
    {
        for (int i = expected.Length - 1; i >= 0; i--) Pop(expected[i]);
    }

    private void PushControl(Opcode opcode, ValType[] startTypes, ValType[] endTypes)
    {
        _controls.Add(new ControlFrame { Opcode = opcode, StartTypes = startTypes, EndTypes = endTypes, Height = _operands.Count, OpenTries = _openTries, InitHeight = _initLog.Count });
        Push(startTypes);
    }

    private ControlFrame PopControl()
    {
        var frame = _controls[^1];
        Pop(frame.EndTypes);
        if (_operands.Count != frame.Height) throw Error("type mismatch");
        _controls.RemoveAt(_controls.Count - 1);
        ResetLocalInitialization(frame.InitHeight);
        return frame;
    }

    private void MarkUnreachable()
    {
        var frame = _controls[^1];
        _operands.RemoveRange(frame.Height, _operands.Count - frame.Height);
        frame.Unreachable = true;
    }

    private ControlFrame Label(uint depth)
    {
        if (depth >= (uint)_controls.Count) throw Error($"unknown label {depth}");
        var frame = _controls[_controls.Count - 1 - (int)depth];
        _tryExitUnits += _openTries - frame.OpenTries;
        return frame;
    }

    // ---- index-space checks -------------------------------------------------------------------

    private ValType Local(uint index)
    {
        if (index >= (uint)_locals.Length) throw Error($"unknown local {index}");
        return _locals[index];
    }

    /// <summary>A local read by local.get: a non-defaultable one must have been set on every path here (spec 3.4.11).</summary>
    private ValType ReadLocal(uint index)
    {
        var t = Local(index);
        if (_localUnset is not null && _localUnset[index]) throw Error("uninitialized local");
        return t;
    }

    /// <summary>A local written by local.set or local.tee: from here to the end of the enclosing block it is initialised.</summary>
    private ValType WriteLocal(uint index)
    {
        var t = Local(index);
        if (_localUnset is not null && _localUnset[index])
        {
            _localUnset[index] = false;
            _initLog.Add(index);
        }
        return t;
    }

    private GlobalType Global(uint index)
    {
        if (index >= (uint)_context.Globals.Length) throw Error($"unknown global {index}");
        return _context.Globals[index];
    }

    private TableType Table(uint index)
    {
        if (index >= (uint)_context.Tables.Length) throw Error($"unknown table {index}");
        return _context.Tables[index];
    }

    /// <summary>The address type of memory <paramref name="index"/> (i64 for memory64); "unknown memory" if there is none.</summary>
    private ValType RequireMemory(uint index)
    {
        if (index >= (uint)_module.TotalMemoryCount) throw Error($"unknown memory {index}");
        return _module.GetMemoryType(index).AddressType;
    }

    /// <summary>The smaller of two address types (memory.copy and table.copy between a 32-bit and a 64-bit one count in i32).</summary>
    private static ValType MinAddress(ValType a, ValType b) => a == ValType.I64 && b == ValType.I64 ? ValType.I64 : ValType.I32;

    private FuncType FunctionType(uint index)
    {
        if (index >= (uint)_context.FunctionTypes.Length) throw Error($"unknown function {index}");
        return _context.FunctionTypes[index];
    }

    /// <summary>Type <paramref name="index"/>, which must be a function type (call_indirect, call_ref, return_call_*).</summary>
    private FuncType TypeAt(uint index)
    {
        if (index >= (uint)_module.Types.Count) throw Error($"unknown type {index}");
        if (!_module.IsFunctionType(index)) throw Error("type mismatch");
        return _module.Types[(int)index];
    }

    /// <summary>
    /// The binary format's rule that <c>memory.init</c> and <c>data.drop</c> need a data count section (spec 5.5.13): the
    /// decoder's body scan checks it; validation checks it only for bodies whose scan was deferred to it
    /// (<c>ModuleDecoder.DecodeDeferringBodyScan</c>; on any error the scan runs and its error comes first), so a
    /// definition checked on its own still gets the validation rules only.
    /// </summary>
    private void RequireDataCountSection(in Instruction ins)
    {
        if (_module.DataCount is null && _module.PendingBodyScan is not null) throw new WasmFormatException(ins.Offset, "data count section required");
    }

    private void RequireDataSegment(uint index)
    {
        // The binary format's "data count section required" rule belongs to the decoder; validation
        // checks the index against the module's data segments (the spec's C.datas).
        if (index >= (uint)_module.Data.Count) throw Error($"unknown data segment {index}");
    }

    private ValType ElementSegmentType(uint index)
    {
        if (index >= (uint)_module.Elements.Count) throw Error($"unknown elem segment {index}");
        return _module.Elements[(int)index].ElementType;
    }

    /// <summary>Checks a memarg; returns the memory's address type (the type of the address operand).</summary>
    private ValType CheckMemoryAccess(in Instruction ins)
    {
        var address = RequireMemory(ins.Memory);
        if (ins.Align > (uint)InstructionDecoder.NaturalAlignment(ins.Opcode))
            throw Error("alignment must not be larger than natural");
        if (address == ValType.I32 && ins.MemOffset > uint.MaxValue) throw Error("offset out of range");
        return address;
    }

    private ValType CheckAtomicAccess(in Instruction ins)
    {
        var address = RequireMemory(ins.Memory);
        // Atomic accesses must be exactly naturally aligned (threads proposal).
        if (ins.Align != (uint)InstructionDecoder.NaturalAlignment(ins.Opcode))
            throw Error("atomic alignment must be natural");
        if (address == ValType.I32 && ins.MemOffset > uint.MaxValue) throw Error("offset out of range");
        return address;
    }

    // ---- instructions -------------------------------------------------------------------------

    private void Unary(ValType operand, ValType result)
    {
        Pop(operand);
        Push(result);
    }

    private void Binary(ValType operand, ValType result)
    {
        Pop(operand);
        Pop(operand);
        Push(result);
    }

    /// <summary>
    /// Operand values that may be live at a control-flow join of the compiled code, summed over the instructions that
    /// can create one (everything but constants, locals, numeric operators, drop and nop; blocks count thrice for
    /// their labels, the others twice). The JIT gives each such join its own spill slots for the values on the
    /// stack, so this bounds that part of the native frame (see the compiler's FrameGuard).
    /// </summary>
    private long _spillUnits;

    /// <summary>The <c>loop</c> instructions of the body (each costs the JIT an interruption check and a patchpoint).</summary>
    private int _loops;

    /// <summary>
    /// Operand values live at a branch-free load of a reference (<see cref="IsBranchFreeLoad"/>), summed. Such a load is
    /// no join, but the JIT still works per live value there (a temporary for each RefValue): it counts
    /// 1/<see cref="LoadValuesPerUnit"/> unit per value. So an <c>array.new_fixed</c> of 1,000 <c>global.get</c>s, usual in
    /// GC code, counts 31,000 units (as a join each: 1,001,010, refused), while 49,000 <c>global.get</c>s feeding one
    /// <c>struct.new</c> (43 s of JIT work) stay refused.
    /// </summary>
    private long _loadValues;

    private const int LoadValuesPerUnit = 16;

    /// <summary><c>global.get</c>, <c>ref.null</c>, <c>ref.i31</c>: a field load or a RefValue made without a branch in the compiled code.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool IsBranchFreeLoad(Opcode op) => op is Opcode.GlobalGet or Opcode.RefNull or Opcode.RefI31;

    private void Step(in Instruction ins)
    {
        var op = ins.Opcode;
        if (IsBranchFreeLoad(op)) _loadValues += _operands.Count;
        else if (!IsStraightLine(op)) _spillUnits += (op is Opcode.Block or Opcode.Loop or Opcode.If ? 3L : 2L) * _operands.Count;
        if (op == Opcode.Loop) _loops++;
        if (IsCallGrowthOrBlock(op)) NoteCallGrowthOrBlock(in ins);
        switch (op)
        {
            case Opcode.Unreachable:
                MarkUnreachable();
                return;
            case Opcode.CallRef or Opcode.ReturnCallRef or Opcode.RefAsNonNull or Opcode.BrOnNull or Opcode.BrOnNonNull:
                StepReferences(in ins);
                return;
            case Opcode.RefEq or (>= Opcode.StructNew and <= Opcode.I31GetU):
                StepGc(in ins);
                return;
            case Opcode.Try or Opcode.Catch or Opcode.CatchAll or Opcode.Delegate or Opcode.Rethrow or Opcode.Throw
                or Opcode.ThrowRef or Opcode.TryTable or Opcode.ReturnCall or Opcode.ReturnCallIndirect:
                StepExceptionsOrTailCalls(in ins);
                return;
            case Opcode.Nop:
                return;
            case Opcode.Block or Opcode.Loop:
            {
                var bt = BlockSignature(in ins);
                Pop(bt.Params);
                PushControl(op, bt.Params, bt.Results);
                return;
            }
            case Opcode.If:
            {
                var bt = BlockSignature(in ins);
                Pop(ValType.I32);
                Pop(bt.Params);
                PushControl(op, bt.Params, bt.Results);
                return;
            }
            case Opcode.Else:
            {
                if (_controls[^1].Opcode != Opcode.If) throw new WasmFormatException(ins.Offset, "else without matching if");
                var frame = PopControl();
                PushControl(Opcode.Else, frame.StartTypes, frame.EndTypes);
                return;
            }
            case Opcode.End:
            {
                var frame = PopControl();
                if (IsTryFrame(frame)) _openTries--;
                // An if without else behaves as if its else branch passed the parameters through.
                if (frame.Opcode == Opcode.If && !Subtyping.Matches(frame.StartTypes, frame.EndTypes, _context.TypeIds))
                    throw Error("type mismatch");
                Push(frame.EndTypes);
                return;
            }
            case Opcode.Br:
                Pop(Label(ins.Index).LabelTypes);
                MarkUnreachable();
                return;
            case Opcode.BrIf:
            {
                Pop(ValType.I32);
                var types = Label(ins.Index).LabelTypes;
                Pop(types);
                Push(types);
                return;
            }
            case Opcode.BrTable:
                BrTable(in ins);
                return;
            case Opcode.Return:
                _tryExitUnits += _openTries;
                Pop(_type.Results);
                MarkUnreachable();
                return;
            case Opcode.Call:
            {
                var type = FunctionType(ins.Index);
                Pop(type.Params);
                Push(type.Results);
                return;
            }
            case Opcode.CallIndirect:
            {
                var table = Table(ins.Index2);
                var type = TypeAt(ins.Index);
                RequireFunctionTable(table);
                Pop(table.AddressType);
                Pop(type.Params);
                Push(type.Results);
                return;
            }
            case Opcode.Drop:
                Pop();
                return;
            case Opcode.Select:
            {
                Pop(ValType.I32);
                var t1 = Pop();
                var t2 = Pop();
                // Untyped select only works on numeric and vector operands.
                if (!(t1.IsNumeric() || t1 is ValType.V128 or Unknown) || !(t2.IsNumeric() || t2 is ValType.V128 or Unknown)) throw Error("type mismatch");
                if (t1 != t2 && t1 != Unknown && t2 != Unknown) throw Error("type mismatch");
                Push(t1 == Unknown ? t2 : t1);
                return;
            }
            case Opcode.SelectTyped:
            {
                var types = ins.SelectTypes!;
                if (types.Length != 1) throw Error("invalid result arity");
                var t = types[0];
                ModuleValidator.CheckValType(_module, t, ins.Offset);
                Pop(ValType.I32);
                Pop(t);
                Pop(t);
                Push(t);
                return;
            }
            case Opcode.LocalGet:
                Push(ReadLocal(ins.Index));
                return;
            case Opcode.LocalSet:
                Pop(WriteLocal(ins.Index));
                return;
            case Opcode.LocalTee:
            {
                var t = WriteLocal(ins.Index);
                Pop(t);
                Push(t);
                return;
            }
            case Opcode.GlobalGet:
                Push(Global(ins.Index).Type);
                return;
            case Opcode.GlobalSet:
            {
                var g = Global(ins.Index);
                if (!g.Mutable) throw Error("global is immutable");
                Pop(g.Type);
                return;
            }
            case Opcode.TableGet:
            {
                var table = Table(ins.Index);
                Pop(table.AddressType);
                Push(table.ElementType);
                return;
            }
            case Opcode.TableSet:
            {
                var table = Table(ins.Index);
                Pop(table.ElementType);
                Pop(table.AddressType);
                return;
            }
            case Opcode.MemorySize:
                Push(RequireMemory(ins.Memory));
                return;
            case Opcode.MemoryGrow:
            {
                var address = RequireMemory(ins.Memory);
                Unary(address, address);
                return;
            }
            case Opcode.I32Const:
                Push(ValType.I32);
                return;
            case Opcode.I64Const:
                Push(ValType.I64);
                return;
            case Opcode.F32Const:
                Push(ValType.F32);
                return;
            case Opcode.F64Const:
                Push(ValType.F64);
                return;
            case Opcode.RefNull:
                ModuleValidator.CheckValType(_module, ins.RefType, ins.Offset);
                Push(ins.RefType);
                return;
            case Opcode.RefIsNull:
            {
                var t = Pop();
                if (t != Unknown && !t.IsReference()) throw Error("type mismatch");
                Push(ValType.I32);
                return;
            }
            case Opcode.RefFunc:
                FunctionType(ins.Index);
                if (!_context.DeclaredFunctions.Contains(ins.Index)) throw Error("undeclared function reference");
                Push(ValTypes.RefToType(_context.FunctionTypeIndices[ins.Index], nullable: false));
                return;
            case Opcode.MemoryInit:
            {
                RequireDataCountSection(in ins);
                var address = RequireMemory(ins.Memory);
                RequireDataSegment(ins.Index);
                Pop(ValType.I32);
                Pop(ValType.I32);
                Pop(address);
                return;
            }
            case Opcode.DataDrop:
                RequireDataCountSection(in ins);
                RequireDataSegment(ins.Index);
                return;
            case Opcode.MemoryCopy:
            {
                var destination = RequireMemory(ins.Memory);
                var source = RequireMemory(ins.Memory2);
                Pop(MinAddress(destination, source));
                Pop(source);
                Pop(destination);
                return;
            }
            case Opcode.MemoryFill:
            {
                var address = RequireMemory(ins.Memory);
                Pop(address);
                Pop(ValType.I32);
                Pop(address);
                return;
            }
            case Opcode.TableInit:
            {
                var table = Table(ins.Index2);
                if (!Subtyping.Matches(ElementSegmentType(ins.Index), table.ElementType, _context.TypeIds)) throw Error("type mismatch");
                Pop(ValType.I32);
                Pop(ValType.I32);
                Pop(table.AddressType);
                return;
            }
            case Opcode.ElemDrop:
                ElementSegmentType(ins.Index);
                return;
            case Opcode.TableCopy:
            {
                var destination = Table(ins.Index);
                var source = Table(ins.Index2);
                if (!Subtyping.Matches(source.ElementType, destination.ElementType, _context.TypeIds)) throw Error("type mismatch");
                Pop(MinAddress(destination.AddressType, source.AddressType));
                Pop(source.AddressType);
                Pop(destination.AddressType);
                return;
            }
            case Opcode.TableGrow:
            {
                var table = Table(ins.Index);
                Pop(table.AddressType);
                Pop(table.ElementType);
                Push(table.AddressType);
                return;
            }
            case Opcode.TableSize:
                Push(Table(ins.Index).AddressType);
                return;
            case Opcode.TableFill:
            {
                var table = Table(ins.Index);
                Pop(table.AddressType);
                Pop(table.ElementType);
                Pop(table.AddressType);
                return;
            }
        }

        ushort code = (ushort)op;
        if (code >= 0x28 && code <= 0x35)
        {
            Unary(CheckMemoryAccess(in ins), LoadType(op));
            return;
        }
        if (code >= 0x36 && code <= 0x3E)
        {
            var address = CheckMemoryAccess(in ins);
            Pop(StoreType(op));
            Pop(address);
            return;
        }
        if (code >= 0x45 && code <= 0xC4)
        {
            NumericInstruction(op);
            return;
        }
        if (code >= 0xFC00 && code <= 0xFC07)
        {
            var source = (code & 2) == 0 ? ValType.F32 : ValType.F64;
            Unary(source, code <= 0xFC03 ? ValType.I32 : ValType.I64);
            return;
        }
        if (SimdOpcodes.IsSimd(op))
        {
            SimdInstruction(in ins);
            return;
        }
        if (code >= 0xFE00 && code <= 0xFEFF)
        {
            AtomicInstruction(in ins);
            return;
        }
        throw new WasmFormatException(ins.Offset, "illegal opcode");
    }

    private void BrTable(in Instruction ins)
    {
        Pop(ValType.I32);
        var defaultTypes = Label(ins.Index).LabelTypes;
        int arity = defaultTypes.Length;
        foreach (var depth in ins.Labels!)
        {
            var types = Label(depth).LabelTypes;
            if (types.Length != arity) throw Error("type mismatch");
            // Check the operands against this target without consuming them.
            var popped = new ValType[arity];
            for (int i = arity - 1; i >= 0; i--) popped[i] = Pop(types[i]);
            Push(popped);
        }
        Pop(defaultTypes);
        MarkUnreachable();
    }

    private static ValType LoadType(Opcode op) => op switch
    {
        Opcode.I32Load or Opcode.I32Load8S or Opcode.I32Load8U or Opcode.I32Load16S or Opcode.I32Load16U => ValType.I32,
        Opcode.F32Load => ValType.F32,
        Opcode.F64Load => ValType.F64,
        _ => ValType.I64,
    };

    private static ValType StoreType(Opcode op) => op switch
    {
        Opcode.I32Store or Opcode.I32Store8 or Opcode.I32Store16 => ValType.I32,
        Opcode.F32Store => ValType.F32,
        Opcode.F64Store => ValType.F64,
        _ => ValType.I64,
    };

    private void NumericInstruction(Opcode op)
    {
        const ValType i32 = ValType.I32, i64 = ValType.I64, f32 = ValType.F32, f64 = ValType.F64;
        switch ((ushort)op)
        {
            case 0x45: Unary(i32, i32); return;                      // i32.eqz
            case >= 0x46 and <= 0x4F: Binary(i32, i32); return;      // i32 comparisons
            case 0x50: Unary(i64, i32); return;                      // i64.eqz
            case >= 0x51 and <= 0x5A: Binary(i64, i32); return;      // i64 comparisons
            case >= 0x5B and <= 0x60: Binary(f32, i32); return;      // f32 comparisons
            case >= 0x61 and <= 0x66: Binary(f64, i32); return;      // f64 comparisons
            case >= 0x67 and <= 0x69: Unary(i32, i32); return;       // clz, ctz, popcnt
            case >= 0x6A and <= 0x78: Binary(i32, i32); return;
            case >= 0x79 and <= 0x7B: Unary(i64, i64); return;
            case >= 0x7C and <= 0x8A: Binary(i64, i64); return;
            case >= 0x8B and <= 0x91: Unary(f32, f32); return;
            case >= 0x92 and <= 0x98: Binary(f32, f32); return;
            case >= 0x99 and <= 0x9F: Unary(f64, f64); return;
            case >= 0xA0 and <= 0xA6: Binary(f64, f64); return;
            case 0xA7: Unary(i64, i32); return;                      // i32.wrap_i64
            case 0xA8 or 0xA9: Unary(f32, i32); return;
            case 0xAA or 0xAB: Unary(f64, i32); return;
            case 0xAC or 0xAD: Unary(i32, i64); return;
            case 0xAE or 0xAF: Unary(f32, i64); return;
            case 0xB0 or 0xB1: Unary(f64, i64); return;
            case 0xB2 or 0xB3: Unary(i32, f32); return;
            case 0xB4 or 0xB5: Unary(i64, f32); return;
            case 0xB6: Unary(f64, f32); return;                      // f32.demote_f64
            case 0xB7 or 0xB8: Unary(i32, f64); return;
            case 0xB9 or 0xBA: Unary(i64, f64); return;
            case 0xBB: Unary(f32, f64); return;                      // f64.promote_f32
            case 0xBC: Unary(f32, i32); return;                      // reinterpretations
            case 0xBD: Unary(f64, i64); return;
            case 0xBE: Unary(i32, f32); return;
            case 0xBF: Unary(i64, f64); return;
            case 0xC0 or 0xC1: Unary(i32, i32); return;              // sign extension
            case >= 0xC2 and <= 0xC4: Unary(i64, i64); return;
            default: throw new WasmFormatException(_offset, "illegal opcode");
        }
    }

    private void AtomicInstruction(in Instruction ins)
    {
        const ValType i32 = ValType.I32, i64 = ValType.I64;
        var op = ins.Opcode;
        if (op == Opcode.AtomicFence) return;
        var address = CheckAtomicAccess(in ins);
        switch (op)
        {
            case Opcode.MemoryAtomicNotify:
                Pop(i32);
                Pop(address);
                Push(i32);
                return;
            case Opcode.MemoryAtomicWait32 or Opcode.MemoryAtomicWait64:
                Pop(i64);
                Pop(op == Opcode.MemoryAtomicWait32 ? i32 : i64);
                Pop(address);
                Push(i32);
                return;
            case >= Opcode.I32AtomicLoad and <= Opcode.I64AtomicLoad32U:
                Unary(address, op is Opcode.I32AtomicLoad or Opcode.I32AtomicLoad8U or Opcode.I32AtomicLoad16U ? i32 : i64);
                return;
            case >= Opcode.I32AtomicStore and <= Opcode.I64AtomicStore32:
                Pop(op is Opcode.I32AtomicStore or Opcode.I32AtomicStore8 or Opcode.I32AtomicStore16 ? i32 : i64);
                Pop(address);
                return;
            case >= Opcode.I32AtomicRmwAdd and <= Opcode.I64AtomicRmw32CmpxchgU:
            {
                // Read-modify-write opcodes come in runs of seven with the operand types
                // i32, i64, i32 (8), i32 (16), i64 (8), i64 (16), i64 (32); cmpxchg is the last run.
                int position = ((ushort)op - (ushort)Opcode.I32AtomicRmwAdd) % 7;
                var t = position is 0 or 2 or 3 ? i32 : i64;
                if (op >= Opcode.I32AtomicRmwCmpxchg) Pop(t);
                Pop(t);
                Pop(address);
                Push(t);
                return;
            }
            default:
                throw new WasmFormatException(ins.Offset, "illegal opcode");
        }
    }
}
