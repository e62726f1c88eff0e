using Strand.Binary;
using Strand.Compilation;

namespace Strand.Interpreter;

/// <summary>
/// The interpreter as a module's first tier (docs/interpreter.md): a function not compiled yet is interpreted on its
/// first calls; once it has been called <see cref="CallThreshold"/> times, or its loops have iterated
/// <see cref="LoopThreshold"/> times in all, its next call compiles it (<see cref="CompiledModule.GetCode"/>) and it runs
/// compiled from then on. An activation that keeps iterating after its function turned hot continues its loop in
/// compiled code (on-stack replacement, <see cref="OnHotLoop"/>). A function the interpreter does not translate
/// (<see cref="Translator"/>) is compiled on its first call.
/// <para>
/// Thresholds: <c>STRAND_INTERPRETER_CALLS</c> and <c>STRAND_INTERPRETER_LOOPS</c> override them (measuring knobs);
/// <see cref="Only"/> (no tier-up at all, <c>STRAND_INTERPRETER=only</c>) runs every translatable function in the
/// interpreter for ever, which is how the spec suite tests it.
/// </para>
/// </summary>
internal sealed class InterpreterTier : FirstTier
{
    /// <summary>Calls after which a function is compiled, by default.</summary>
    internal static readonly int DefaultCallThreshold = Setting("STRAND_INTERPRETER_CALLS", 3_000);
    /// <summary>Loop iterations (over all activations) after which a function is compiled, by default.</summary>
    internal static readonly int DefaultLoopThreshold = Setting("STRAND_INTERPRETER_LOOPS", 50_000);

    /// <summary>Calls after which a function is compiled.</summary>
    public int CallThreshold { get; }
    /// <summary>Loop iterations (over all activations) after which a function is compiled.</summary>
    public int LoopThreshold { get; }

    /// <summary>Module code size above which <see cref="InterpreterMode.Auto"/> uses the interpreter (where chunk groups stop: CompiledModule.Groups.cs).</summary>
    internal const long AutoModuleCodeBytes = CompiledModule.GroupModuleCodeBytes;

    /// <summary>The first tier for a module compiled with <paramref name="mode"/> (or <c>STRAND_INTERPRETER</c>), or null.</summary>
    public static InterpreterTier? For(CompiledModule compiled, ModuleDefinition definition, InterpreterMode mode, InterpreterThresholds? thresholds = null)
    {
        bool only = false;
        switch (Environment.GetEnvironmentVariable("STRAND_INTERPRETER"))
        {
            case "off": mode = InterpreterMode.Never; break;
            case "auto": mode = InterpreterMode.Auto; break;
            case "always": mode = InterpreterMode.Always; break;
            case "only": mode = InterpreterMode.Always; only = true; break;
        }
        if (mode == InterpreterMode.Never) return null;
        if (mode == InterpreterMode.Auto)
        {
            long total = 0;
            foreach (var body in definition.Bodies) total += body.CodeEnd - body.CodeStart;
            if (total <= AutoModuleCodeBytes) return null;
        }
        if (only) thresholds = new InterpreterThresholds(int.MaxValue, int.MaxValue);
        return new InterpreterTier(compiled, definition, thresholds ?? new InterpreterThresholds(DefaultCallThreshold, DefaultLoopThreshold));
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) && value > 0 ? value : fallback;

    /// <summary><c>STRAND_INTERPRETER_TRACE</c>: print on stderr each function the interpreter refuses, and why (a diagnostic).</summary>
    private static readonly bool Trace = Environment.GetEnvironmentVariable("STRAND_INTERPRETER_TRACE") is not null;

    private const byte Untried = 0, Interpreted = 1, Compiled = 2;

    private readonly CompiledModule _compiled;
    private readonly ModuleDefinition _definition;
    private readonly InterpretedFunction?[] _translations;
    private readonly byte[] _state;
    private readonly int[] _calls;
    private readonly long[] _iterations;
    private readonly InterpreterStubs.CallOutStub?[] _callOuts, _typeCallOuts;
    private readonly nint[] _thunks;

    public InterpreterTier(CompiledModule compiled, ModuleDefinition definition, InterpreterThresholds thresholds)
    {
        _compiled = compiled;
        _definition = definition;
        CallThreshold = thresholds.Calls;
        LoopThreshold = thresholds.Loops;
        Only = thresholds.Calls == int.MaxValue && thresholds.Loops == int.MaxValue;
        int count = definition.FunctionTypeIndices.Count;
        _translations = new InterpretedFunction?[count];
        _state = new byte[count];
        _calls = new int[count];
        _iterations = new long[count];
        _thunks = new nint[count];
        ImportedFunctionCount = definition.ImportedFunctionCount;
        FunctionTypes = new FuncType[definition.TotalFunctionCount];
        for (int i = 0; i < FunctionTypes.Length; i++) FunctionTypes[i] = definition.GetFunctionType((uint)i);
        _callOuts = new InterpreterStubs.CallOutStub?[FunctionTypes.Length];
        _typeCallOuts = new InterpreterStubs.CallOutStub?[definition.Types.Count];
        LoopCheckInterval = Only ? int.MaxValue : Math.Max(1, Math.Min(LoopThreshold, 1_000));
    }

    /// <summary>The stubs this module's calls go through: the process's (<see cref="InterpreterStubs.Shared"/>); tests set a small cache.</summary>
    internal InterpreterStubs Stubs { get; set; } = InterpreterStubs.Shared;

    /// <summary>Never tier up (both thresholds <see cref="int.MaxValue"/>; testing: every translatable function stays interpreted).</summary>
    public bool Only { get; }

    public int ImportedFunctionCount { get; }

    /// <summary>The type of each function of the function index space.</summary>
    public FuncType[] FunctionTypes { get; }

    /// <summary>Iterations of an activation's loops between two calls of <see cref="OnHotLoop"/>.</summary>
    public int LoopCheckInterval { get; }

    /// <summary>Functions translated, and run in the interpreter at least once.</summary>
    public int InterpretedFunctions => Volatile.Read(ref _interpretedFunctions);
    private int _interpretedFunctions;

    /// <summary>The translation of defined function <paramref name="definedIndex"/>, if it has one.</summary>
    public InterpretedFunction? Translation(int definedIndex) => Volatile.Read(ref _translations[definedIndex]);

    /// <summary>
    /// For a call of defined function <paramref name="definedIndex"/> whose code is not generated: its translation if it
    /// is to run interpreted (counting the call), or null if it is to be compiled now.
    /// </summary>
    public InterpretedFunction? ForCall(int definedIndex)
    {
        switch (Volatile.Read(ref _state[definedIndex]))
        {
            case Compiled: return null;
            case Untried: if (!TryTranslate(definedIndex)) return null; break;
        }
        // Counters are per module and not synchronised: a lost count among racing threads only delays the tier-up.
        if (!Only && ++_calls[definedIndex] > CallThreshold)
        {
            Volatile.Write(ref _state[definedIndex], Compiled);
            return null;
        }
        return _translations[definedIndex];
    }

    private bool TryTranslate(int definedIndex)
    {
        var code = FunctionCompiler.Decode(_definition, definedIndex);
        var translation = Translator.Translate(_definition, definedIndex, code, out string? refusal);
        if (translation is null)
        {
            if (Trace) Console.Error.WriteLine($"interpreter: {_definition.DescribeFunction((uint)(ImportedFunctionCount + definedIndex))} is compiled: {refusal}");
            Volatile.Write(ref _state[definedIndex], Compiled);
            return false;
        }
        if (Interlocked.CompareExchange(ref _translations[definedIndex], translation, null) is null) Interlocked.Increment(ref _interpretedFunctions);
        // A racing thread may have marked it compiled meanwhile (its thresholds): that decision stands.
        Interlocked.CompareExchange(ref _state[definedIndex], Interpreted, Untried);
        return Volatile.Read(ref _state[definedIndex]) == Interpreted;
    }

    /// <inheritdoc/>
    public override unsafe nint CallTarget(int definedIndex, out bool final)
    {
        // Past the interpreter's native stack budget on this thread (ValueStack.NativeBudget), the callee runs compiled.
        if ((Only || ValueStack.Current.WithinBudget(&definedIndex)) && ForCall(definedIndex) is { } function)
        {
            nint thunk = _thunks[definedIndex];
            if (thunk == 0) _thunks[definedIndex] = thunk = Stubs.Thunk(function.Type);
            if (thunk != 0)
            {
                final = false;
                // Read by the thunk at once: the caller's next step is the jump to it.
                Interpreter.PendingFunction = definedIndex;
                return thunk;
            }
            // No thunk for this signature (the process's stubs are bounded, InterpreterStubs.MaxSharedSignatures): the
            // function runs compiled from now on.
            Volatile.Write(ref _state[definedIndex], Compiled);
        }
        final = true;
        return _compiled.GetCode(definedIndex);
    }

    /// <summary>The call-out for function <paramref name="function"/> of the function index space.</summary>
    public InterpreterStubs.CallOutStub CallOutOf(int function) =>
        _callOuts[function] ??= Stubs.CallOutFor(FunctionTypes[function]);

    /// <summary>The call-out for type <paramref name="typeIndex"/> of the type section (<c>call_indirect</c>).</summary>
    public InterpreterStubs.CallOutStub CallOutOfType(int typeIndex) =>
        _typeCallOuts[typeIndex] ??= Stubs.CallOutFor(_definition.Types[typeIndex]);

    /// <summary>
    /// Called every <see cref="LoopCheckInterval"/> loop iterations of an activation of <paramref name="function"/>, at
    /// the header of loop <paramref name="loop"/> (its frame: <paramref name="fp"/>, operand top <paramref name="sp"/>).
    /// Counts the iterations toward the function's tier-up. Returns true when the rest of the loop ran in compiled code
    /// (on-stack replacement): then <paramref name="resume"/> is the word to continue at (-1: return) and
    /// <paramref name="newSp"/> the operand top there.
    /// </summary>
    public unsafe bool OnHotLoop(Instance instance, InterpretedFunction function, int loop, ulong* fp, ulong* sp, ValueStack stack, out int resume, out ulong* newSp)
    {
        resume = 0;
        newSp = sp;
        if (Only) return false; // never tier up, however long a loop runs
        int d = function.DefinedIndex;
        bool wasHot = Volatile.Read(ref _state[d]) == Compiled;
        _iterations[d] += LoopCheckInterval;
        if (!wasHot)
        {
            if (_iterations[d] >= LoopThreshold) Volatile.Write(ref _state[d], Compiled);
            return false;
        }
        // The function is hot and this activation is still looping: continue the loop in compiled code if it can be
        // entered from its header with an empty operand stack (CompiledModule.GetLoopEntry; refusals are cached there).
        if (function.LoopHeights[loop] != 0 || sp != fp + function.LocalCount) return false;
        LoopEntry? entry;
        try
        {
            entry = _compiled.GetLoopEntry(d, function.LoopInstructions[loop]);
        }
        catch (Exception)
        {
            // On-stack replacement is only a speed-up: a loop entry that fails to generate (an internal compiler error,
            // kept and rethrown by GetLoopEntry) leaves the activation interpreted, and is not asked for again.
            function.LoopHeights[loop] = -1;
            return false;
        }
        if (entry is null) return false;
        var type = entry.Type;
        int slots = Math.Max(1, Math.Max(type.Params.Length, type.Results.Length));
        ulong* values = stackalloc ulong[slots];
        var ins = entry.InLocals;
        for (int i = 0; i < ins.Length; i++) values[i] = fp[ins[i]];
        stack.Top = sp;
        (_loopCallOuts.TryGetValue(entry, out var callOut) ? callOut : _loopCallOuts.GetOrAdd(entry, e => Stubs.CallOutFor(e.Type)))
            (entry.Code, instance, (nint)values);
        var outs = entry.OutLocals;
        for (int j = 0; j < outs.Length; j++) fp[outs[j]] = values[1 + j];
        var exit = entry.Exits[(int)(uint)values[0]];
        if (exit.CarriedType is not null) *sp++ = values[exit.CarriedResult];
        switch (exit.Kind)
        {
            case LoopExitKind.FallThrough:
                resume = function.LoopEnds[loop];
                break;
            case LoopExitKind.Return:
                resume = -1;
                break;
            default:
            {
                // The label at the exit's depth, counted from the construct around the loop.
                var label = function.LoopParents[loop];
                for (int k = 0; k < exit.Depth; k++) label = label.Parent!;
                resume = label.Target;
                if (resume >= 0)
                {
                    // As Op.Branch: the carried values move down to the target's height.
                    ulong* to = fp + function.LocalCount + label.Height;
                    for (int i = 0; i < label.Arity; i++) to[i] = sp[i - label.Arity];
                    sp = to + label.Arity;
                }
                break;
            }
        }
        newSp = sp;
        Interlocked.Increment(ref _osrEntries); // (threads may count at once: tests read exact figures)
        return true;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<LoopEntry, InterpreterStubs.CallOutStub> _loopCallOuts = new();

    /// <summary>Loop activations continued in compiled code (on-stack replacement) so far.</summary>
    public int OsrEntries => Volatile.Read(ref _osrEntries);
    private int _osrEntries;
}

/// <summary>When an interpreted function is compiled: after <paramref name="Calls"/> calls or <paramref name="Loops"/> loop iterations (both <see cref="int.MaxValue"/>: never).</summary>
internal readonly record struct InterpreterThresholds(int Calls, int Loops);
