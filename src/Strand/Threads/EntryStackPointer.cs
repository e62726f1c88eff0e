using System.Runtime.CompilerServices;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Threads;

/// <summary>
/// Puts an instance's shadow-stack pointer (LLVM's <c>__stack_pointer</c>) back where it was when the host called into the
/// instance, when that call ends abnormally: a trap of any kind ("unreachable", "call stack exhausted", an interrupt or
/// cancellation, a host function's exception, a shadow-stack overflow), an uncaught <see cref="WasmException"/>, or
/// <c>proc_exit</c>. Every guest frame between the entry and the throw point is dead then, but the frames that lowered the
/// stack pointer in their prologues never ran their epilogues (and no LLVM landing pad runs for a trap, nor for an exception
/// no wasm handler catches), so without this the next call on the same instance or thread would start that much lower, and
/// enough such calls would end in a false "shadow stack overflow" or run into the data below the stack. Emscripten's
/// <c>invoke_*</c> wrappers do the same (<c>stackSave</c> before, <c>stackRestore</c> on a JavaScript exception).
/// <para>
/// Every host → wasm entry does it (<see cref="FunctionReference.Invoke(Value[])"/> and its cancellable form, typed delegates,
/// hence a thread group's thread entry, <c>__wasm_init_tls</c>, the start function, WASI's <c>_start</c> and the CLI's
/// <c>--invoke</c>), each to its own entry value: a nested guest → host → guest call that ends abnormally puts back the value
/// the outer guest code had when it called the host, which is right whether the host catches the exception or lets it pass
/// (then the outer entry puts back its own). The stack pointers of the instances this one calls directly (function
/// imports that other instances define, transitively) are saved and restored with its own. A normal return changes nothing (the guest's own epilogues restored it), and
/// neither does an exception that wasm code catches (its landing pad restores the frame's saved value; LLVM's
/// <c>-fwasm-exceptions</c> code does). The store is direct, not through the global-set hook: the value is one the guard
/// accepted when the call began, and the guard keeps no per-frame state (see docs/threads.md, "Calls that end abnormally").
/// </para>
/// <para>
/// Which global: one named <c>__stack_pointer</c> (export, name section, or an import of that name) that is a mutable i32,
/// decided from the module's declarations alone; otherwise, in a stripped module, a defined mutable i32 global with a
/// non-zero 16-byte aligned constant initialiser that some function allocates a frame on (the first such function found
/// decides; with several candidates, the one <see cref="ModuleLayout"/> identifies with strong evidence), decided once per
/// module at the first entry. A global found only weakly (perhaps a bump allocator's pointer) is
/// never touched, nor is any other global: the spec leaves globals as a trap found them, and only the shadow stack's
/// pointer has a value that is known to be right afterwards.
/// </para>
/// </summary>
internal sealed class EntryStackPointer
{
    private static readonly ConditionalWeakTable<Module, StrongBox<uint?>> StackPointers = new();
    private static readonly ConditionalWeakTable<Instance, EntryStackPointer> ByInstance = new();
    private static readonly EntryStackPointer None = new([]);

    /// <summary>The instance's own stack pointer first (if it has one), then those of the instances it calls directly.</summary>
    private readonly Global[] _globals;

    private EntryStackPointer(Global[] globals) => _globals = globals;

    /// <summary>The values <see cref="Save"/> read: the first inline, any others (instances called directly) in an array.</summary>
    internal readonly struct Saved(int first, int[]? others)
    {
        public readonly int First = first;
        public readonly int[]? Others = others;
    }

    /// <summary>The entry guard of a WebAssembly function's instance, or null (a host function, or no shadow stack).</summary>
    public static EntryStackPointer? For(FunctionReference function) =>
        function is WasmFunction wasm ? For(wasm.Instance) : null;

    /// <summary>
    /// The entry guard of <paramref name="instance"/>, or null when neither it nor any instance it calls directly has an
    /// identified shadow stack. An imported function that another instance defined is called without a host frame in
    /// between (and may tail-call it), so no entry of that instance's own sees the call: its stack pointer is saved and
    /// restored here too, for every instance reachable through function imports.
    /// </summary>
    public static EntryStackPointer? For(Instance instance)
    {
        if (!ByInstance.TryGetValue(instance, out var entry))
        {
            var globals = new List<Global>();
            var visited = new HashSet<Instance>(ReferenceEqualityComparer.Instance);
            Collect(instance, globals, visited);
            entry = ByInstance.GetValue(instance, _ => globals.Count == 0 ? None : new EntryStackPointer([.. globals]));
        }
        return entry._globals.Length == 0 ? null : entry;
    }

    private static void Collect(Instance instance, List<Global> globals, HashSet<Instance> visited)
    {
        if (!visited.Add(instance)) return;
        if (StackPointerGlobal(instance.Module) is { } index && index < (uint)instance.Globals.Length)
        {
            var global = instance.Globals[index];
            if (!globals.Contains(global)) globals.Add(global); // modules sharing an imported __stack_pointer: once
        }
        int imported = instance.Module.Definition.ImportedFunctionCount;
        for (int i = 0; i < imported && i < instance.Functions.Length; i++)
            if (instance.Functions[i] is WasmFunction callee) Collect(callee.Instance, globals, visited);
    }

    /// <summary>The stack pointers' values now (call before entering the guest). Allocates only when the instance calls
    /// other instances with stacks of their own directly.</summary>
    public Saved Save()
    {
        int first = Volatile.Read(ref _globals[0].I32);
        if (_globals.Length == 1) return new Saved(first, null);
        var others = new int[_globals.Length - 1];
        for (int i = 1; i < _globals.Length; i++) others[i - 1] = Volatile.Read(ref _globals[i].I32);
        return new Saved(first, others);
    }

    /// <summary>Puts the values <see cref="Save"/> returned back (call when the guest call ended abnormally). Allocates
    /// nothing and calls nothing: it runs while the exception unwinds, possibly at the end of an exhausted stack.</summary>
    public void Restore(Saved saved)
    {
        Volatile.Write(ref _globals[0].I32, saved.First);
        if (saved.Others is { } others)
            for (int i = 0; i < others.Length; i++) Volatile.Write(ref _globals[i + 1].I32, others[i]);
    }

    /// <summary>Calls <paramref name="invoker"/> with <paramref name="function"/> and <paramref name="args"/> and, if the call
    /// ends with an exception, restores the stack pointers <see cref="For(FunctionReference)"/> covers to their values before it.</summary>
    public static Value[] Run(FunctionReference function, Func<FunctionReference, Value[], Value[]> invoker, Value[] args)
    {
        if (For(function) is not { } entry) return invoker(function, args);
        var saved = entry.Save();
        bool completed = false;
        try
        {
            var result = invoker(function, args);
            completed = true;
            return result;
        }
        finally
        {
            if (!completed) entry.Restore(saved);
        }
    }

    /// <summary>
    /// The index of <paramref name="module"/>'s shadow-stack pointer, or null. Named globals are decided from the
    /// declarations; otherwise only a module with a plausible candidate (a defined mutable i32 with a non-zero, 16-byte
    /// aligned constant initialiser) is analysed, once per module.
    /// </summary>
    internal static uint? StackPointerGlobal(Module module) =>
        StackPointers.GetValue(module, m => new StrongBox<uint?>(Find(m))).Value;

    private static uint? Find(Module module)
    {
        var def = module.Definition;
        if (def.TotalMemoryCount == 0) return null;
        uint? named = null;
        foreach (var e in def.Exports)
            if (e.Kind == ExternalKind.Global && e.Name == ModuleLayout.StackPointerName) { named = e.Index; break; }
        if (named is null && def.Names is { } names)
            foreach (var (i, n) in names.GlobalNames.OrderBy(p => p.Key))
                if (n == ModuleLayout.StackPointerName) { named = i; break; }
        if (named is null)
        {
            uint importIndex = 0;
            foreach (var imp in def.Imports)
            {
                if (imp.Kind != ExternalKind.Global) continue;
                if (imp.Name == ModuleLayout.StackPointerName) { named = importIndex; break; }
                importIndex++;
            }
        }
        if (named is { } g)
            return g < def.TotalGlobalCount && def.GetGlobalType(g) is { Mutable: true, Type: ValType.I32 } ? g : null;

        // A stripped module: the candidates are ModuleLayout's heuristic ones, before their code evidence.
        var candidates = new List<uint>();
        for (int d = 0; d < def.Globals.Count; d++)
        {
            var global = def.Globals[d];
            uint index = (uint)(def.ImportedGlobalCount + d);
            if (!global.Type.Mutable || global.Type.Type != ValType.I32) continue;
            if (ModuleLayout.ConstI32(def, global.Init) is not { } value || value == 0 || value % 16 != 0) continue;
            if (def.Exports.Any(e => e.Kind == ExternalKind.Global && e.Index == index)) continue; // exported under another name
            if (def.Names?.GlobalNames.ContainsKey(index) == true) continue;                      // named otherwise
            candidates.Add(index);
        }
        if (candidates.Count == 0) return null;
        // One candidate (LLVM's stripped output: __tls_base starts at 0 and is no candidate): the first function found
        // to allocate a frame on it decides, so a big module is not scanned whole (yosys: 34,000 functions, the first frame
        // function among the first few). Several: the full analysis, as a thread group makes it.
        if (candidates.Count == 1) return AllocatesFrames(def, candidates[0]) ? candidates[0] : null;
        var sp = ForeignInstances.LayoutOf(module).StackPointer;
        return sp is { Evidence: StackEvidence.Strong, IsMutableI32: true, GlobalIndex: { } chosen } ? chosen : null;
    }

    /// <summary>True when some function allocates a frame on <paramref name="global"/> as LLVM's prologue does
    /// (<c>global.get g; i32.const N; i32.sub</c> with N a positive multiple of 16, the wasm32 stack alignment, and a
    /// <c>global.set g</c> in the same function); stops at the first. A counter decremented by other steps (binaryen's
    /// fuzzer hang limit: init 32, minus 1 per call) is no stack pointer.</summary>
    private static bool AllocatesFrames(ModuleDefinition def, uint global)
    {
        for (int b = 0; b < def.Bodies.Count; b++)
        {
            bool subtracts = false, writes = false;
            try
            {
                var body = def.Bodies[b];
                var reader = WasmReader.ForCode(def, body.CodeStart, body.CodeEnd);
                Opcode previous2 = Opcode.Nop, previous1 = Opcode.Nop;
                uint previousGlobal = uint.MaxValue;
                int previousConst = 0;
                while (!reader.AtEnd)
                {
                    InstructionDecoder.Read(reader, out var ins);
                    if (ins.Opcode == Opcode.I32Sub && previous1 == Opcode.I32Const && previous2 == Opcode.GlobalGet && previousGlobal == global
                        && previousConst > 0 && previousConst % 16 == 0)
                        subtracts = true;
                    if (ins.Opcode == Opcode.I32Const) previousConst = ins.I32;
                    if (ins.Opcode == Opcode.GlobalSet && ins.Index == global) writes = true;
                    if (subtracts && writes) return true;
                    if (ins.Opcode == Opcode.GlobalGet) previousGlobal = ins.Index;
                    else if (previous1 == Opcode.GlobalGet && ins.Opcode == Opcode.I32Const) { } // keep: global.get g; i32.const
                    else previousGlobal = uint.MaxValue;
                    previous2 = previous1;
                    previous1 = ins.Opcode;
                }
            }
            catch (Exception e) when (e is WasmFormatException or WasmUnsupportedException)
            {
                // An undecodable body is no evidence either way.
            }
        }
        return false;
    }
}
