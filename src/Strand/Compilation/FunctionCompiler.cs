using System.Numerics;
using System.Reflection;
using System.Reflection.Emit;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Compilation;

/// <summary>
/// Translates one validated function body into CIL.
/// <para>
/// The wasm operand stack is the CIL evaluation stack. A compile-time mirror of its types
/// (<see cref="_stack"/>) tells how many values to spill or pop at branches. Branch targets
/// always have the same stack: the values below the target block, and the values a branch carries
/// travel in per-block "slot" locals (stored before the branch, reloaded at the label). Blocks that
/// are never branched to keep their results on the stack. Unreachable code is skipped.
/// </para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    private enum ControlKind { Function, Block, Loop, If }

    private sealed class Control
    {
        public ControlKind Kind;
        public ValType[] Params = [];
        public ValType[] Results = [];
        /// <summary>Stack height below the block's parameters.</summary>
        public int Height;
        /// <summary>Block/if: the end; loop: the start.</summary>
        public Label Label;
        public Label ElseLabel;
        public bool HasElse;
        public bool Branched;
        public LocalBuilder[]? Slots;
        /// <summary>CIL protected regions around the block's label (see FunctionCompiler.Exceptions.cs).</summary>
        public int Depth;
        /// <summary>A try_table with clauses or a legacy try: its protected region.</summary>
        public TryRegion? Region;
        /// <summary>f32/f64/v128 locals first assigned in this construct (their initial value may reach code after it).</summary>
        public List<int>? AssignedLocals;
        /// <summary>Redundant-check facts at the construct's entry, and its position (FunctionCompiler.CheckScopes.cs).</summary>
        public Dictionary<int, ulong>? EntryFacts;
        public int ScopeStart;
        /// <summary>Block/if: the facts common to the paths to its end seen so far (ExitSeen), or an exception edge reaches it.</summary>
        public Dictionary<int, ulong>? ExitFacts;
        public bool ExitSeen, ExitFromHandler;
        /// <summary>A counted loop: its counter, whose interval holds inside it (FunctionCompiler.StaticBounds.cs); else -1.</summary>
        public int Counter = -1;

        public ValType[] BranchTypes => Kind == ControlKind.Loop ? Params : Results;
    }

    private readonly ModuleCompilation _module;
    /// <summary>The chunk being generated: calls to its functions are direct.</summary>
    private CodeUnit _unit = null!;
    /// <summary>The function's index among the defined functions.</summary>
    private int _definedIndex;
    private readonly ILGenerator _il;
    private readonly FuncType _type;
    private readonly int _paramCount;
    private readonly int _contextArg;
    private readonly ValType[] _localTypes;
    private readonly LocalBuilder?[] _locals;
    private readonly List<ValType> _stack = new();
    /// <summary>Parallel to <see cref="_stack"/>: the local a value is an unmodified copy of, or -1.</summary>
    private readonly List<int> _origin = new();
    /// <summary>
    /// Parallel to <see cref="_stack"/>: what is known about how each value was produced, directly or through
    /// locals. Used to steer clear of patterns RyuJIT miscompiles (see <see cref="ValueFacts"/>).
    /// </summary>
    private readonly List<ValueFacts> _facts = new();
    /// <summary>Per local: the facts of its last assignment in code order (a JIT-visible single definition is that one).</summary>
    private readonly ValueFacts[] _localFacts;

    [Flags]
    private enum ValueFacts : byte
    {
        None = 0,
        /// <summary>The result of a shift (see <see cref="Xor"/>).</summary>
        ShiftResult = 1,
        /// <summary>An f32, f64 or v128 the JIT cannot see as a constant (a load, or computed from one); see
        /// <see cref="HideFoldableOperands"/> and <see cref="HideFoldableScalarOperands"/>.</summary>
        NonConstant = 2,
        /// <summary>A float or v128 constant no float arithmetic folds with (not NaN, not 0 or 1 in magnitude).</summary>
        BenignConstant = 4,
        /// <summary>+0.0 or a v128 of zero bits (a declared local's initial value): folded only as the subtrahend of sub.</summary>
        Zero = 8,
    }
    /// <summary>
    /// Locals whose value, used as an address, was already bounds-checked up to the given end
    /// (offset + size) on every path to the current instruction. Memory never shrinks, so the fact
    /// holds until the local is written or control flow merges; later accesses within it skip the check.
    /// </summary>
    private readonly Dictionary<int, ulong> _checkedAddressLocals = new();
    private readonly List<Control> _controls = new();
    private readonly Dictionary<Type, Stack<LocalBuilder>> _pool = new();
    private readonly Dictionary<uint, LocalBuilder> _globalCells = new();
    private readonly Dictionary<uint, LocalBuilder> _tableLocals = new();
    private bool _unreachable;
    private int _skipDepth;
    private List<Instruction> _code = [];
    private int _position;
    private LocalBuilder? _instance;
    private LocalBuilder? _memory;
    private LocalBuilder? _memoryBase;
    /// <summary>Cached (memory length - 2^slot) for accesses of 1, 2, 4, 8 and 16 bytes.</summary>
    private readonly LocalBuilder?[] _memoryLimits = new LocalBuilder?[5];

    private LocalBuilder? _signal;

    private FunctionCompiler(ModuleCompilation module, ILGenerator il, FuncType type, ValType[] declaredLocals)
    {
        _module = module;
        _il = il;
        _type = type;
        _paramCount = type.Params.Length;
        _contextArg = _paramCount + Math.Max(0, type.Results.Length - 1);
        _localTypes = [.. type.Params, .. declaredLocals];
        _locals = new LocalBuilder?[_localTypes.Length];
        _localFacts = new ValueFacts[_localTypes.Length];
        for (int i = _paramCount; i < _localTypes.Length; i++) if (_localTypes[i] == ValType.V128) _localFacts[i] = ValueFacts.Zero;
        _floatLocalAssigned = new bool[_localTypes.Length];
        _floatLocalInitialReaches = new bool[_localTypes.Length];
        Array.Fill(_floatLocalInitialReaches, true);
        for (int i = _paramCount; i < _localTypes.Length; i++) _locals[i] = il.DeclareLocal(ClrTypes.Of(_localTypes[i]));
    }

    /// <summary>Compiles defined function <paramref name="definedIndex"/> (its instructions: <paramref name="code"/>, from <see cref="Decode"/>) into <paramref name="method"/>.</summary>
    /// <returns>The size of the emitted IL in bytes.</returns>
    public static int Compile(ModuleCompilation module, CodeUnit unit, int definedIndex, MethodBuilder method, List<Instruction> code,
        TypeBuilder owner, FunctionSplitter.Result? split)
    {
        var def = module.Definition;
        var body = def.Bodies[definedIndex];
        var type = module.FunctionTypes[module.ImportedFunctionCount + definedIndex];
        if (split is not null) return CompileSplit(module, unit, definedIndex, method, owner, type, body.ExpandLocals(), split);
        var compiler = new FunctionCompiler(module, CachedTokenILGenerator.For(method), type, body.ExpandLocals()) { _unit = unit, _definedIndex = definedIndex };
        compiler.Run(code);
        return compiler._il.ILOffset;
    }

    /// <summary>The instructions of defined function <paramref name="definedIndex"/>.</summary>
    public static List<Instruction> Decode(ModuleDefinition definition, int definedIndex)
    {
        var body = definition.Bodies[definedIndex];
        var reader = WasmReader.ForCode(definition, body.CodeStart, body.CodeEnd);
        // Sized for about one instruction per two bytes (few grow steps: List<Instruction> runs as tier-0 JIT code at startup).
        var list = new List<Instruction>((body.CodeEnd - body.CodeStart) / 2 + 4);
        while (!reader.AtEnd)
        {
            InstructionDecoder.Read(reader, out var ins);
            list.Add(ins);
        }
        return list;
    }

    private void Run(List<Instruction> code)
    {
        EmitPrologue(code);
        HideFloatParameters(code);
        _controls.Add(new Control { Kind = ControlKind.Function, Results = _type.Results, Height = 0 });
        _code = code;
        var instructions = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(code); // not changed while compiling; indexing a List<Instruction> is a tier-0 call at startup
        for (_position = 0; _position < instructions.Length; _position++)
        {
            var ins = instructions[_position];
            // A loop over induction variables may be compiled twice (FunctionCompiler.LoopVersioning.cs).
            if (_unreachable || ins.Opcode != Opcode.Loop || !TryCompileVersionedLoop()) CompileInstruction(ins);
            if (_controls.Count == 0) break;
        }
        EmitBoundsCheckSlowPaths();
        EmitTruncationTraps();
        EmitStackCheckSlowPath();
    }

    private void CompileInstruction(Instruction ins)
    {
        if (_unreachable)
        {
            SkipUnreachable(ins);
            return;
        }
        EmitMemory0LimitRefresh(ins.Opcode);
        var folding = BeforeScalarFolding(ins);
        var range = RangeBefore(in ins);
        NoteBranchFacts(in ins);
        EmitInstruction(ins);
        RangeAfter(range);
        AfterScalarFolding(folding);
        NoteMemory0Growth(in ins);
    }

    /// <summary>
    /// True when the instruction after the current one leaves the function (return, the final end, or a
    /// branch to the function's label, possibly after block ends). A call there would become an implicit
    /// tail call in the JIT, and endless recursion would then loop forever instead of exhausting the stack.
    /// </summary>
    private bool NextLeavesFunction()
    {
        int depth = _controls.Count;
        for (int i = _position + 1; i < _code.Count; i++)
        {
            var ins = _code[i];
            switch (ins.Opcode)
            {
                case Opcode.End:
                    if (--depth == 0) return true;
                    break;
                case Opcode.Return:
                    return true;
                case Opcode.Br:
                    return ins.Index == depth - 1;
                default:
                    return false;
            }
        }
        return false;
    }

    private static bool IsUnaryNumeric(Opcode op) => op is Opcode.I32Eqz or Opcode.I64Eqz
        or Opcode.I32Clz or Opcode.I32Ctz or Opcode.I32Popcnt or Opcode.I64Clz or Opcode.I64Ctz or Opcode.I64Popcnt
        or (>= Opcode.F32Abs and <= Opcode.F32Sqrt) or (>= Opcode.F64Abs and <= Opcode.F64Sqrt)
        or (>= Opcode.I32WrapI64 and <= Opcode.I64Extend32S);

    // ------------------------------------------------------------------ prologue

    private void EmitPrologue(List<Instruction> code)
    {
        bool calls = false, loops = false, memory = false, instance = false;
        var globals = new SortedSet<uint>();
        var tables = new SortedSet<uint>();
        int depth = 0, loopDepth = 0;
        var loopStack = new Stack<bool>();
        foreach (ref readonly var ins in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(code))
        {
            switch (ins.Opcode)
            {
                case Opcode.Block or Opcode.If or Opcode.Try or Opcode.TryTable: loopStack.Push(false); depth++; break;
                case Opcode.End or Opcode.Delegate when depth > 0:
                    depth--;
                    if (loopStack.Pop()) loopDepth--;
                    break;
            }
            switch (ins.Opcode)
            {
                case Opcode.Call:
                    calls = true;
                    if (ins.Index < _module.ImportedFunctionCount) instance = true;
                    break;
                case Opcode.CallIndirect or Opcode.ReturnCallIndirect: calls = true; tables.Add(ins.Index2); break;
                case Opcode.CallRef or Opcode.ReturnCallRef: calls = true; break;
                case >= Opcode.StructNew and <= Opcode.I31GetU: instance = true; break; // GC: type ids and segments come from the instance
                case Opcode.ReturnCall: calls = true; instance = true; break;
                case Opcode.Throw or Opcode.TryTable or Opcode.Try or Opcode.Catch: instance = true; break;
                case Opcode.Loop:
                    loops = true;
                    loopStack.Push(true);
                    depth++;
                    loopDepth++;
                    break;
                case Opcode.GlobalGet or Opcode.GlobalSet:
                    // Only globals used inside loops get a cell cached in a local: elsewhere a reload is
                    // cheap, and a cached cell would hold a callee-saved register for the whole function.
                    if (_module.ConstantGlobals[ins.Index] is null && loopDepth > 0) globals.Add(ins.Index);
                    if (ins.Opcode == Opcode.GlobalSet && _module.GlobalTypes[ins.Index].Type == ValType.I32) instance = true;
                    break;
                case Opcode.TableGet or Opcode.TableSet or Opcode.TableSize or Opcode.TableGrow or Opcode.TableFill:
                    tables.Add(ins.Index);
                    break;
                case Opcode.TableInit: tables.Add(ins.Index2); instance = true; break;
                case Opcode.TableCopy: tables.Add(ins.Index); tables.Add(ins.Index2); break;
                case Opcode.ElemDrop or Opcode.DataDrop or Opcode.RefFunc: instance = true; break;
                case Opcode.MemoryInit: memory = true; instance = true; break;
                default:
                    if (IsMemoryInstruction(ins.Opcode)) memory = true;
                    break;
            }
        }
        instance |= memory || loops || calls || globals.Count > 0 || tables.Count > 0
            || code.Any(i => i.Opcode is Opcode.GlobalGet or Opcode.GlobalSet && _module.ConstantGlobals[i.Index] is null);

        if (instance)
        {
            _instance = _il.DeclareLocal(typeof(Instance));
            Ldarg(_contextArg);
            // The context of a compiled function is always its Instance (callers pass their own, the callee's from the
            // code table, or a FunctionReference's Context, which travels with its Code): no type check at every entry.
            _il.Emit(OpCodes.Call, RuntimeMembers.AsInstance);
            _il.Emit(OpCodes.Stloc, _instance);
        }
        // Only functions that call can recurse; leaf functions, and callers that cannot recurse and stay within a leaf's
        // stack budget down to the next check (StackBoundAnalysis), need neither guard. The stack check comes first:
        // nothing loaded below lives across its slow path (a call, which reads a thread-static: __tls_get_addr on linux-x64).
        bool entryCheck = calls && (_outlinedRegion || _module.NeedsEntryCheck(_definedIndex));
        if (entryCheck) EmitStackCheck();
        if (calls || loops)
        {
            _signal = _il.DeclareLocal(typeof(InterruptSignal));
            _il.Emit(OpCodes.Ldloc, _instance!);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceSignal);
            _il.Emit(OpCodes.Stloc, _signal);
        }
        if (entryCheck) EmitInterruptCheck();
        if (memory) EmitMemoryPrologue(code);
        foreach (var g in globals)
        {
            var cell = _il.DeclareLocal(typeof(Global));
            EmitInstanceArrayElement(RuntimeMembers.InstanceGlobals, g);
            _il.Emit(OpCodes.Stloc, cell);
            _globalCells[g] = cell;
        }
        foreach (var t in tables)
        {
            var local = _il.DeclareLocal(typeof(Table));
            EmitInstanceArrayElement(RuntimeMembers.InstanceTables, t);
            _il.Emit(OpCodes.Stloc, local);
            _tableLocals[t] = local;
        }
    }

    /// <summary>
    /// Emits <c>throw WasmOps.Trap(code)</c>. An explicit IL <c>throw</c> (rather than a call to a
    /// throwing helper) lets the JIT see the block as cold and never returning, so values live across
    /// the check stay in registers instead of being spilled around a call.
    /// </summary>
    private void EmitTrap(TrapCode code)
    {
        Ldc((int)code);
        _il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.Trap)));
        _il.Emit(OpCodes.Throw);
    }

    private void EmitInterruptCheck()
    {
        var ok = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloc, _signal!);
        _il.Emit(OpCodes.Volatile);
        _il.Emit(OpCodes.Ldfld, RuntimeMembers.SignalRequested);
        _il.Emit(OpCodes.Brfalse, ok);
        EmitTrap(TrapCode.Interrupted);
        _il.MarkLabel(ok);
    }

    internal static bool IsMemoryInstruction(Opcode op) =>
        op is >= Opcode.I32Load and <= Opcode.MemoryGrow
            or Opcode.MemoryCopy or Opcode.MemoryFill or Opcode.MemoryInit
            || ((ushort)op is >= 0xFE00 and <= 0xFEFF && op != Opcode.AtomicFence)
            || (SimdOpcodes.IsSimd(op) && SimdOpcodes.Info(op).IsMemory);

    // ------------------------------------------------------------------ control flow

    private void SkipUnreachable(Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable:
                _skipDepth++;
                break;
            case Opcode.Else when _skipDepth == 0:
                DoElse();
                break;
            case Opcode.Catch or Opcode.CatchAll when _skipDepth == 0:
                BeginLegacyCatch(ins);
                break;
            case Opcode.Delegate:
                if (_skipDepth > 0) _skipDepth--;
                else DoDelegate(ins);
                break;
            case Opcode.End:
                if (_skipDepth > 0) _skipDepth--;
                else DoEnd();
                break;
        }
    }

    private (ValType[] Params, ValType[] Results) BlockSignature(BlockType bt) => bt.Kind switch
    {
        BlockTypeKind.Empty => ([], []),
        BlockTypeKind.Value => ([], [bt.Value]),
        _ => (_module.Definition.Types[(int)bt.TypeIndex].Params, _module.Definition.Types[(int)bt.TypeIndex].Results),
    };

    private void DoBlock(Instruction ins)
    {
        var (ps, rs) = BlockSignature(ins.Block);
        _controls.Add(new Control { Kind = ControlKind.Block, Params = ps, Results = rs, Height = _stack.Count - ps.Length, Label = _il.DefineLabel(), Depth = _tryDepth });
        EnterCheckScope(_controls[^1]);
    }

    private void DoLoop(Instruction ins)
    {
        var (ps, rs) = BlockSignature(ins.Block);
        var c = new Control { Kind = ControlKind.Loop, Params = ps, Results = rs, Height = _stack.Count - ps.Length, Label = _il.DefineLabel(), Depth = _tryDepth };
        _controls.Add(c);
        EnterCheckScope(c);
        EnterCountedLoop(c);
        if (ps.Length > 0)
        {
            // A back edge brings other values: the parameters are neither the entry values' locals nor in their intervals.
            for (int k = _stack.Count - ps.Length; k < _stack.Count; k++)
            {
                _origin[k] = -1;
                _ranges[k] = default;
            }
            c.Slots = RentSlots(ps);
            for (int k = ps.Length - 1; k >= 0; k--) _il.Emit(OpCodes.Stloc, c.Slots[k]);
        }
        _il.MarkLabel(c.Label);
        if (_signal is not null && !IsShortCountedLoop()) EmitInterruptCheck();
        if (c.Slots is not null)
            foreach (var slot in c.Slots) _il.Emit(OpCodes.Ldloc, slot);
    }

    private void DoIf(Instruction ins)
    {
        Pop(); // condition
        var (ps, rs) = BlockSignature(ins.Block);
        var c = new Control
        {
            Kind = ControlKind.If, Params = ps, Results = rs, Height = _stack.Count - ps.Length,
            Label = _il.DefineLabel(), ElseLabel = _il.DefineLabel(), Depth = _tryDepth,
        };
        _controls.Add(c);
        EnterCheckScope(c);
        _il.Emit(OpCodes.Brfalse, c.ElseLabel);
    }

    private void DoElse()
    {
        var c = _controls[^1];
        EnterElseScope(c);
        if (!_unreachable) EmitBranchTo(c);
        _il.MarkLabel(c.ElseLabel);
        c.HasElse = true;
        ResetStack(c.Height, c.Params);
        _unreachable = false;
    }

    private void DoEnd()
    {
        var c = _controls[^1];
        LeaveCheckScope(c);
        if (c.Region is not null)
        {
            EndTry();
            return;
        }
        if (c.Kind == ControlKind.Function)
        {
            if (!_unreachable) EmitReturn();
            _controls.RemoveAt(_controls.Count - 1);
            return;
        }
        if (c.Kind == ControlKind.If && !c.HasElse)
        {
            // The missing else passes the parameters through as results.
            if (!_unreachable) EmitBranchTo(c);
            _il.MarkLabel(c.ElseLabel);
            ResetStack(c.Height, c.Params);
            _unreachable = false;
        }
        if (c.Kind == ControlKind.Loop)
        {
            if (c.Slots is not null) ReturnSlots(c.Slots);
            if (!_unreachable) ResetStack(c.Height, c.Results);
        }
        else if (c.Branched)
        {
            var slots = c.Slots ?? [];
            if (!_unreachable)
                for (int k = slots.Length - 1; k >= 0; k--) _il.Emit(OpCodes.Stloc, slots[k]);
            _il.MarkLabel(c.Label);
            ResetStack(c.Height, c.Results);
            foreach (var slot in slots) _il.Emit(OpCodes.Ldloc, slot);
            ReturnSlots(slots);
            _unreachable = false;
        }
        else if (!_unreachable)
        {
            ResetStack(c.Height, c.Results);
        }
        _controls.RemoveAt(_controls.Count - 1);
    }

    private Control Target(uint depth) => _controls[_controls.Count - 1 - (int)depth];

    /// <summary>Unconditional branch to <paramref name="c"/> from the current stack (which is left as it was in the mirror).</summary>
    private void EmitBranchTo(Control c)
    {
        if (c.Depth != _tryDepth)
        {
            EmitExitBranch(c); // out of a try region (FunctionCompiler.Exceptions.cs)
            return;
        }
        if (c.Kind == ControlKind.Function)
        {
            EmitReturn();
            return;
        }
        var types = c.BranchTypes;
        if (types.Length > 0)
        {
            c.Slots ??= RentSlots(types);
            for (int k = types.Length - 1; k >= 0; k--) _il.Emit(OpCodes.Stloc, c.Slots[k]);
        }
        int extra = _stack.Count - types.Length - c.Height;
        for (int i = 0; i < extra; i++) _il.Emit(OpCodes.Pop);
        _il.Emit(OpCodes.Br, c.Label);
        if (c.Kind != ControlKind.Loop) c.Branched = true;
    }

    /// <summary>True when a branch to <paramref name="c"/> needs no stack adjustment, so a plain CIL branch suffices.</summary>
    private bool IsDirectBranch(Control c) =>
        c.Kind != ControlKind.Function && c.BranchTypes.Length == 0 && _stack.Count == c.Height && c.Depth == _tryDepth;

    private void DoBrIf(Instruction ins)
    {
        Pop();
        var target = Target(ins.Index);
        if (IsDirectBranch(target))
        {
            _il.Emit(OpCodes.Brtrue, target.Label);
            if (target.Kind != ControlKind.Loop) target.Branched = true;
            return;
        }
        var skip = _il.DefineLabel();
        _il.Emit(OpCodes.Brfalse, skip);
        EmitBranchTo(target);
        _il.MarkLabel(skip);
    }

    private void DoBrTable(Instruction ins)
    {
        Pop();
        var labels = ins.Labels!;
        var caseLabels = new Label[labels.Length];
        var stubs = new Dictionary<uint, Label>();
        for (int i = 0; i < labels.Length; i++)
        {
            var target = Target(labels[i]);
            if (IsDirectBranch(target))
            {
                caseLabels[i] = target.Label;
                if (target.Kind != ControlKind.Loop) target.Branched = true;
            }
            else
            {
                if (!stubs.TryGetValue(labels[i], out var stub)) stubs[labels[i]] = stub = _il.DefineLabel();
                caseLabels[i] = stub;
            }
        }
        _il.Emit(OpCodes.Switch, caseLabels);
        EmitBranchTo(Target(ins.Index));
        foreach (var (depth, stub) in stubs)
        {
            _il.MarkLabel(stub);
            EmitBranchTo(Target(depth));
        }
        _unreachable = true;
    }

    private void EmitReturn()
    {
        var results = _type.Results;
        int n = results.Length;
        for (int k = n - 1; k >= 1; k--)
        {
            var tmp = Rent(ClrTypes.Of(results[k]));
            _il.Emit(OpCodes.Stloc, tmp);
            Ldarg(_paramCount + k - 1);
            _il.Emit(OpCodes.Ldloc, tmp);
            _il.Emit(OpCodes.Stobj, ClrTypes.Of(results[k]));
            Release(tmp);
        }
        int junk = _stack.Count - n;
        if (junk > 0)
        {
            LocalBuilder? first = null;
            if (n > 0)
            {
                first = Rent(ClrTypes.Of(results[0]));
                _il.Emit(OpCodes.Stloc, first);
            }
            for (int i = 0; i < junk; i++) _il.Emit(OpCodes.Pop);
            if (first is not null)
            {
                _il.Emit(OpCodes.Ldloc, first);
                Release(first);
            }
        }
        EmitKeepContextAlive();
        _il.Emit(OpCodes.Ret);
    }

    /// <summary>
    /// <c>GC.KeepAlive(context)</c> before a return: the function's instance, and so its memories, stay reachable until
    /// it returns. Its code may hold only a memory's raw base address after its last use of the instance, and nothing
    /// else may hold the instance (a function reached through <c>call_ref</c> of a reference nobody else keeps, or a
    /// table slot overwritten during the call): a collection meanwhile could finalize the memory and unmap it under the
    /// running code. Only in modules with a memory (no other state is reached through raw addresses); a tail call
    /// leaves the frame, and the callee keeps its own instance alive. (It also lets the JIT inline small callees whose
    /// call ends the caller, which it did not do before: ReadyToRunTests counts compiled methods accordingly.)
    /// </summary>
    private void EmitKeepContextAlive()
    {
        if (_module.Definition.TotalMemoryCount == 0) return;
        Ldarg(_contextArg);
        _il.Emit(OpCodes.Call, RuntimeMembers.KeepAlive);
    }

    // ------------------------------------------------------------------ calls

    private void DoCall(uint functionIndex)
    {
        if (functionIndex >= _module.FunctionTypes.Length)
        {
            CallOutlined(functionIndex); // FunctionCompiler.Outlining.cs
            return;
        }
        var type = _module.FunctionTypes[functionIndex];
        var extras = PushResultAddresses(type);
        if (functionIndex < _module.ImportedFunctionCount)
        {
            var function = Rent(typeof(FunctionReference));
            _il.Emit(OpCodes.Ldloc, _instance!);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceFunctions);
            Ldc((int)functionIndex);
            _il.Emit(OpCodes.Ldelem_Ref);
            _il.Emit(OpCodes.Stloc, function);
            EmitCalli(function, type);
            Release(function);
        }
        else if (_unit.Local((int)functionIndex - _module.ImportedFunctionCount) is { } local)
        {
            Ldarg(_contextArg);
            _il.Emit(OpCodes.Call, local);
        }
        else
        {
            // Another chunk: its entry from the module's code table, generated on first use (CompiledModule.Resolve).
            Ldarg(_contextArg);
            _il.Emit(OpCodes.Ldloc, _instance!);
            Ldc((int)functionIndex - _module.ImportedFunctionCount);
            _il.Emit(OpCodes.Call, RuntimeMembers.ResolveCode);
            var (ret, ps) = ClrTypes.Signature(type);
            _il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ret, ps, null);
        }
        FinishCall(type, extras);
    }

    private void DoCallIndirect(Instruction ins)
    {
        Pop(); // table index operand
        var type = _module.Definition.Types[(int)ins.Index];
        var index = Rent(typeof(int));
        _il.Emit(OpCodes.Stloc, index);
        var extras = PushResultAddresses(type);
        var function = Rent(typeof(FunctionReference));
        _il.Emit(OpCodes.Ldloc, index);
        _il.Emit(OpCodes.Ldloc, _tableLocals[ins.Index2]);
        if (_module.PortableTypeIds)
        {
            _il.Emit(OpCodes.Ldloc, _instance!);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceTypeIds);
            Ldc((int)ins.Index);
            _il.Emit(OpCodes.Ldelem_I4);
        }
        else
        {
            Ldc(_module.TypeId(ins.Index));
        }
        _il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.ResolveIndirect)));
        _il.Emit(OpCodes.Stloc, function);
        EmitCalli(function, type);
        Release(function);
        Release(index);
        FinishCall(type, extras);
    }

    private LocalBuilder[] PushResultAddresses(FuncType type)
    {
        var extras = new LocalBuilder[Math.Max(0, type.Results.Length - 1)];
        for (int k = 0; k < extras.Length; k++)
        {
            extras[k] = RentAddressed(ClrTypes.Of(type.Results[k + 1]));
            _il.Emit(OpCodes.Ldloca, extras[k]);
        }
        return extras;
    }

    private void EmitCalli(LocalBuilder function, FuncType type) => CallStubs.EmitIndirectCall(_il, function, type);

    private void FinishCall(FuncType type, LocalBuilder[] extras)
    {
        if (NextLeavesFunction()) EmitInterruptCheck(); // keeps the call out of tail position (see NextLeavesFunction)
        PopN(type.Params.Length);
        if (type.Results.Length > 0) Push(type.Results[0]);
        for (int k = 0; k < extras.Length; k++)
        {
            _il.Emit(OpCodes.Ldloc, extras[k]);
            Push(type.Results[k + 1]);
            ReleaseAddressed(extras[k]);
        }
    }

    // ------------------------------------------------------------------ variables

    private void LocalGet(uint index)
    {
        if (index < _paramCount) Ldarg((int)index);
        else _il.Emit(OpCodes.Ldloc, _locals[index]!);
        Push(_localTypes[index]);
        _origin[^1] = (int)index;
        _facts[^1] = LocalFactsAtRead(index);
    }

    private void LocalSet(uint index)
    {
        if (index < _paramCount)
        {
            if (index < 256) _il.Emit(OpCodes.Starg_S, (byte)index);
            else _il.Emit(OpCodes.Starg, (short)index);
        }
        else _il.Emit(OpCodes.Stloc, _locals[index]!);
        _localFacts[index] = LocalFactsAtWrite(index, _facts[^1]);
        Pop();
        LocalWritten(index);
    }

    /// <summary>Pushes the <see cref="Global"/> cell of a global: from its cached local, or from the instance.</summary>
    private void EmitGlobalCell(uint index)
    {
        if (_globalCells.TryGetValue(index, out var cell))
        {
            _il.Emit(OpCodes.Ldloc, cell);
            return;
        }
        EmitInstanceArrayElement(RuntimeMembers.InstanceGlobals, index);
    }

    private static readonly (MethodInfo DataReference, MethodInfo Add) GlobalArrayAccess = UncheckedElementAccess(typeof(Global));
    private static readonly (MethodInfo DataReference, MethodInfo Add) TableArrayAccess = UncheckedElementAccess(typeof(Table));

    /// <summary><c>MemoryMarshal.GetArrayDataReference&lt;T&gt;(T[])</c> and <c>Unsafe.Add&lt;T&gt;(ref T, int)</c> (JIT intrinsics).</summary>
    private static (MethodInfo, MethodInfo) UncheckedElementAccess(Type element) =>
    (
        typeof(System.Runtime.InteropServices.MemoryMarshal).GetMethods()
            .Single(m => m.Name == nameof(System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference) && m.IsGenericMethodDefinition)
            .MakeGenericMethod(element),
        typeof(System.Runtime.CompilerServices.Unsafe).GetMethods()
            .Single(m => m.Name == nameof(System.Runtime.CompilerServices.Unsafe.Add)
                         && m.GetParameters() is [{ ParameterType.IsByRef: true }, { ParameterType: var t }] && t == typeof(int))
            .MakeGenericMethod(element)
    );

    /// <summary>
    /// Pushes <c>instance.field[index]</c> (the instance's globals or tables) without a bounds check: the arrays have one
    /// entry per global or table of the module (imports included) and validation bounded the index.
    /// </summary>
    private void EmitInstanceArrayElement(FieldInfo arrayField, uint index)
    {
        _il.Emit(OpCodes.Ldloc, _instance!);
        _il.Emit(OpCodes.Ldfld, arrayField);
        var (dataReference, add) = arrayField.FieldType == typeof(Global[]) ? GlobalArrayAccess
            : arrayField.FieldType == typeof(Table[]) ? TableArrayAccess
            : throw new ArgumentException($"not an instance's global or table array: {arrayField.Name}", nameof(arrayField));
        _il.Emit(OpCodes.Call, dataReference);
        Ldc((int)index);
        _il.Emit(OpCodes.Call, add);
        _il.Emit(OpCodes.Ldind_Ref);
    }

    private void GlobalGet(uint index)
    {
        var type = _module.GlobalTypes[index].Type;
        if (_module.ConstantGlobals[index] is { } constant) EmitConstant(constant);
        else
        {
            EmitGlobalCell(index);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.GlobalField(type));
        }
        Push(type);
    }

    private void GlobalSet(uint index)
    {
        var type = _module.GlobalTypes[index].Type;
        var value = Rent(ClrTypes.Of(type));
        _il.Emit(OpCodes.Stloc, value);
        if (type == ValType.I32)
        {
            // Hook for the threads layer (shadow-stack checks): one field test when no hook is installed.
            var skip = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, _instance!);
            _il.Emit(OpCodes.Ldfld, RuntimeMembers.InstanceGlobalSetHook);
            _il.Emit(OpCodes.Brfalse, skip);
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Ldloc, _instance!);
            Ldc((int)index);
            _il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.OnGlobalSet)));
            _il.MarkLabel(skip);
        }
        EmitGlobalCell(index);
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Stfld, RuntimeMembers.GlobalField(type));
        Release(value);
        Pop();
    }

    // ------------------------------------------------------------------ constants

    private void EmitConstant(Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.I32Const:
                Ldc(ins.I32);
                break;
            case Opcode.I64Const:
                _il.Emit(OpCodes.Ldc_I8, ins.I64);
                break;
            case Opcode.F32Const:
            {
                float value = BitConverter.UInt32BitsToSingle(ins.F32Bits);
                if (float.IsNaN(value))
                {
                    // NaN: the JIT keeps float literals as doubles, which would quiet a signalling NaN.
                    // (0 and 1 are hidden where they meet arithmetic: HideFoldableScalarOperands.)
                    Ldc((int)ins.F32Bits);
                    _il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.F32FromBits)));
                }
                else _il.Emit(OpCodes.Ldc_R4, value);
                break;
            }
            case Opcode.F64Const:
            {
                double value = BitConverter.UInt64BitsToDouble(ins.F64Bits);
                if (double.IsNaN(value))
                {
                    _il.Emit(OpCodes.Ldc_I8, (long)ins.F64Bits);
                    _il.Emit(OpCodes.Call, RuntimeMembers.Op(nameof(WasmOps.F64FromBits)));
                }
                else _il.Emit(OpCodes.Ldc_R8, value);
                break;
            }
            case Opcode.V128Const:
                EmitV128Constant(ins.Immediate, ins.ImmediateHigh);
                break;
            default:
                throw new InvalidOperationException($"not a numeric constant: {ins.Opcode}");
        }
    }

    // ------------------------------------------------------------------ stack mirror and emission helpers

    private void Push(ValType t)
    {
        _stack.Add(t);
        _origin.Add(-1);
        _facts.Add(ValueFacts.None);
        _ranges.Add(default);
    }

    private ValType Pop()
    {
        var t = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        _origin.RemoveAt(_origin.Count - 1);
        _facts.RemoveAt(_facts.Count - 1);
        _ranges.RemoveAt(_ranges.Count - 1);
        return t;
    }

    private void PopN(int n)
    {
        _stack.RemoveRange(_stack.Count - n, n);
        _origin.RemoveRange(_origin.Count - n, n);
        _facts.RemoveRange(_facts.Count - n, n);
        _ranges.RemoveRange(_ranges.Count - n, n);
    }

    private void ResetStack(int height, ValType[] top)
    {
        _stack.RemoveRange(height, _stack.Count - height);
        _origin.RemoveRange(height, _origin.Count - height);
        _facts.RemoveRange(height, _facts.Count - height);
        _ranges.RemoveRange(height, _ranges.Count - height);
        _stack.AddRange(top);
        foreach (var _ in top)
        {
            _origin.Add(-1);
            _facts.Add(ValueFacts.None);
            _ranges.Add(default);
        }
    }

    /// <summary>Control flow merges here: address facts from one path do not hold on the others.</summary>
    private void ForgetCheckedAddresses() => _checkedAddressLocals.Clear();

    /// <summary>Local <paramref name="index"/> gets a new value: stack copies of the old one lose their origin.</summary>
    private void LocalWritten(uint index)
    {
        _checkedAddressLocals.Remove((int)index);
        _counterRanges.Remove((int)index);
        for (int i = 0; i < _origin.Count; i++)
            if (_origin[i] == (int)index) _origin[i] = -1;
    }

    private void Ldc(int value)
    {
        switch (value)
        {
            case >= -1 and <= 8:
                _il.Emit(value switch
                {
                    -1 => OpCodes.Ldc_I4_M1, 0 => OpCodes.Ldc_I4_0, 1 => OpCodes.Ldc_I4_1, 2 => OpCodes.Ldc_I4_2,
                    3 => OpCodes.Ldc_I4_3, 4 => OpCodes.Ldc_I4_4, 5 => OpCodes.Ldc_I4_5, 6 => OpCodes.Ldc_I4_6,
                    7 => OpCodes.Ldc_I4_7, _ => OpCodes.Ldc_I4_8,
                });
                break;
            case >= sbyte.MinValue and <= sbyte.MaxValue:
                _il.Emit(OpCodes.Ldc_I4_S, (sbyte)value);
                break;
            default:
                _il.Emit(OpCodes.Ldc_I4, value);
                break;
        }
    }

    private void Ldarg(int index)
    {
        switch (index)
        {
            case 0: _il.Emit(OpCodes.Ldarg_0); break;
            case 1: _il.Emit(OpCodes.Ldarg_1); break;
            case 2: _il.Emit(OpCodes.Ldarg_2); break;
            case 3: _il.Emit(OpCodes.Ldarg_3); break;
            case < 256: _il.Emit(OpCodes.Ldarg_S, (byte)index); break;
            default: _il.Emit(OpCodes.Ldarg, (short)index); break;
        }
    }

    private void Call(string helper) => _il.Emit(OpCodes.Call, RuntimeMembers.Op(helper));

    private LocalBuilder Rent(Type type)
    {
        if (_pool.TryGetValue(type, out var free) && free.Count > 0) return free.Pop();
        return _il.DeclareLocal(type);
    }

    private void Release(LocalBuilder local)
    {
        if (!_pool.TryGetValue(local.LocalType, out var free)) _pool[local.LocalType] = free = new Stack<LocalBuilder>();
        free.Push(local);
    }

    private LocalBuilder[] RentSlots(ValType[] types)
    {
        var slots = new LocalBuilder[types.Length];
        for (int i = 0; i < types.Length; i++) slots[i] = Rent(ClrTypes.Of(types[i]));
        return slots;
    }

    private void ReturnSlots(LocalBuilder[] slots)
    {
        foreach (var slot in slots) Release(slot);
    }

}
