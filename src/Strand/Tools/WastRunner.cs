using Strand.Binary;
using Strand.Runtime;
using Strand.Text;
using Strand.Validation;

namespace Strand.Tools;

/// <summary>Counts of one script run.</summary>
public sealed record WastResult(string File, int Passed, int Failed, int Skipped, IReadOnlyList<string> Failures, IReadOnlyList<string> Skips);

/// <summary>
/// Runs WAST scripts (the spec test suite's format) against Strand: every module form,
/// <c>register</c>, actions, all assertion kinds, the <c>spectest</c> host module, and the
/// threads proposal's <c>thread</c>/<c>wait</c> commands.
/// </summary>
/// <remarks>
/// Every top-level command counts once: passed, failed or skipped. A command that cannot be parsed fails
/// alone (its line named) and the others still run; a command that needs a module which could not be
/// parsed, compiled or instantiated fails naming that module's line and reason. A module using a feature
/// Strand does not implement fails ("not supported: ..."): only <see cref="KnownDivergences"/> are skipped.
/// Commands inside a <c>thread</c> count on their own and are added in at its <c>wait</c>.
/// </remarks>
public sealed class WastRunner
{
    /// <summary>Stack size of the thread scripts run on: deep guest recursion must hit the engine's guard, not the OS limit.</summary>
    public const int ScriptThreadStackSize = 16 * 1024 * 1024;

    private readonly string _file;
    private readonly Dictionary<string, Instance> _named = new();
    private readonly Dictionary<string, Instance> _registered;
    private readonly Dictionary<string, Thread> _threads = new();
    private readonly Dictionary<string, WastRunner> _threadRunners = new();
    private readonly object _lock;
    private readonly ScriptControl _control;
    private Instance? _current;
    /// <summary>Why there is no current module (the last module command failed), for the commands that needed it.</summary>
    private string? _currentFailure;
    /// <summary>Why a named module is missing, by its $id.</summary>
    private readonly Dictionary<string, string> _namedFailures = new();
    /// <summary>Compiled modules by name, for <c>(module instance $i $def)</c>: from <c>(module definition $def ...)</c> and <c>(module $def ...)</c>.</summary>
    private readonly Dictionary<string, Module> _definitions = new();
    /// <summary>Why a named definition is missing.</summary>
    private readonly Dictionary<string, string> _definitionFailures = new();
    /// <summary>The latest module defined by either form (or why it failed), for <c>(module instance)</c> without a name.</summary>
    private Module? _lastDefinition;
    private string? _lastDefinitionFailure;
    /// <summary>Why a <c>register</c> did not happen, by the name it would have registered (shared with threads under <see cref="_lock"/>).</summary>
    private readonly Dictionary<string, string> _failedRegistrations;
    private int _passed, _failed, _skipped;
    private readonly List<string> _failures = new();
    private readonly List<string> _skips = new();

    private WastRunner(string file, Dictionary<string, Instance> registered, Dictionary<string, string> failedRegistrations, object sharedLock, ScriptControl control)
    {
        _file = file;
        _registered = registered;
        _failedRegistrations = failedRegistrations;
        _lock = sharedLock;
        _control = control;
    }

    /// <summary>
    /// What every runner of one script shares: the interrupt signal of all its instances (so one request stops
    /// guest code of every module, also in calls across registered modules), their memories (whose waiters an
    /// interruption wakes), and the per-command time limit.
    /// </summary>
    private sealed class ScriptControl(TimeSpan? timeout)
    {
        public readonly InterruptSignal Signal = new();
        public readonly TimeSpan? Timeout = timeout;
        // Weak: a script defines hundreds of modules, and a memory nothing else uses must be free to go.
        private readonly List<WeakReference<Memory>> _memories = new();
        private int _timedOut;

        public bool TimedOut => Volatile.Read(ref _timedOut) != 0;

        public void Track(Memory? memory)
        {
            if (memory is null) return;
            lock (_memories)
            {
                _memories.RemoveAll(w => !w.TryGetTarget(out _));
                if (!_memories.Any(w => w.TryGetTarget(out var m) && ReferenceEquals(m, memory))) _memories.Add(new WeakReference<Memory>(memory));
            }
        }

        /// <summary>The command ran out of time: running guest code traps with "interrupted", waiters wake.</summary>
        public void Expire()
        {
            Volatile.Write(ref _timedOut, 1);
            Signal.Request();
            lock (_memories)
            {
                foreach (var w in _memories)
                    if (w.TryGetTarget(out var memory)) memory.ParkingLot.Interrupt(Signal);
            }
        }

        /// <summary>Before the next command: a new time budget.</summary>
        public void Reset()
        {
            Signal.Clear();
            Volatile.Write(ref _timedOut, 0);
        }
    }

    /// <summary>Runs one script file on a dedicated big-stack thread.</summary>
    /// <param name="path">The .wast file.</param>
    /// <param name="timeout">
    /// Time limit of each top-level command (null: none). Guest code still running when it expires traps with
    /// "interrupted" and the command fails; threads of the script run under the limit of their <c>wait</c>.
    /// </param>
    public static WastResult RunFile(string path, TimeSpan? timeout = null)
    {
        string text = ModuleFile.ReadAllText(path); // capped: a path such as /dev/zero is refused, not read until memory runs out
        // Keep the folder: the threads proposal has files named like the core suite's.
        string dir = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "");
        return RunText(text, dir.Length > 0 ? dir + "/" + Path.GetFileName(path) : Path.GetFileName(path), timeout);
    }

    /// <summary>Runs script text on a dedicated big-stack thread; <paramref name="timeout"/> as in <see cref="RunFile"/>.</summary>
    public static WastResult RunText(string text, string fileName, TimeSpan? timeout = null)
    {
        if (timeout is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "the timeout must be positive");
        WastResult? result = null;
        Exception? crash = null;
        var thread = new Thread(() =>
        {
            try { result = RunOnCurrentThread(text, fileName, timeout); }
            catch (Exception e) { crash = e; }
        }, ScriptThreadStackSize) { Name = "strand wast " + fileName, IsBackground = true };
        thread.Start();
        thread.Join();
        if (crash is not null)
            return new WastResult(fileName, 0, 1, 0, new[] { $"{fileName}: script could not run: {crash.GetType().Name}: {crash.Message}" }, Array.Empty<string>());
        return result!;
    }

    private static WastResult RunOnCurrentThread(string text, string fileName, TimeSpan? timeout)
    {
        var commands = WastParser.ParseScript(text, fileName);
        var runner = new WastRunner(fileName, new Dictionary<string, Instance>(), new Dictionary<string, string>(), new object(), new ScriptControl(timeout));
        runner.Execute(commands, topLevel: true);
        return runner.ToResult();
    }

    private WastResult ToResult() => new(_file, _passed, _failed, _skipped, _failures, _skips);

    /// <summary>How long a join may take beyond the command's limit for interrupted guest code to unwind.</summary>
    private static readonly TimeSpan UnwindGrace = TimeSpan.FromSeconds(10);

    private void Execute(IReadOnlyList<WastCommand> commands, bool topLevel)
    {
        foreach (var command in commands)
        {
            if (topLevel && _control.Timeout is { } limit)
            {
                _control.Reset();
                using var timer = new Timer(_ => _control.Expire(), null, limit, Timeout.InfiniteTimeSpan);
                Run(command);
                // Wait for a callback already running, so that its request cannot outlive this command.
                using var disposed = new ManualResetEvent(false);
                if (timer.Dispose(disposed)) disposed.WaitOne();
            }
            else
            {
                Run(command);
            }
        }
        foreach (var (name, t) in _threads)
        {
            if (!JoinThread(t)) Fail(commands.Count > 0 ? commands[^1].Line : 0, $"thread {name} was never waited for and did not finish");
        }
        if (topLevel) _control.Reset();
    }

    private void Run(WastCommand command)
    {
        try
        {
            ExecuteOne(command);
        }
        catch (Exception e)
        {
            Fail(command.Line, $"unexpected {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Joins a script thread: unbounded without a timeout; else the timeout (which interrupts its guest code) plus time to unwind.</summary>
    private bool JoinThread(Thread thread)
    {
        if (_control.Timeout is not { } limit)
        {
            thread.Join();
            return true;
        }
        return thread.Join(limit + UnwindGrace);
    }

    private void Pass() => _passed++;

    private void Fail(int line, string message)
    {
        if (_control.TimedOut && _control.Timeout is { } limit)
            message += $" (the command ran out of time: --timeout {limit.TotalSeconds:0.#######} s)";
        _failed++;
        _failures.Add($"{_file}:{line}: {message}");
    }

    /// <summary>The current module is gone: later commands that need it fail with <paramref name="reason"/>.</summary>
    private void ModuleMissing(string? id, int line, string reason)
    {
        _current = null;
        _currentFailure = $"the module at line {line} is missing: {reason}";
        if (id is not null)
        {
            _named.Remove(id);
            _namedFailures[id] = $"module {id} (line {line}) is missing: {reason}";
        }
    }

    private void Skip(int line, string reason)
    {
        _skipped++;
        _skips.Add($"{_file}:{line}: {reason}");
    }

    /// <summary>
    /// Assertions where two official suites contradict each other, so no engine can pass both. Each is reported as
    /// skipped with its reason instead of being run. Keyed by file name, the command's line and the message it asserts
    /// (so the same line of another suite's file of that name is not affected).
    /// </summary>
    /// <remarks>The file is matched as a suffix of the script's "folder/name".</remarks>
    public static readonly IReadOnlyDictionary<(string File, int Line, string Message), string> KnownDivergences =
        new Dictionary<(string, int, string), string>
        {
            [("binary.wast", 1562, "integer too large")] =
                "memory limits flag 0x02 (shared, no maximum): the 2.0 core suite calls it malformed, the threads proposal " +
                "(which Strand implements) decodes it and rejects it in validation (\"shared memory must have maximum\", proposals/threads/memory.wast)",
            [("threads/imports.wast", 309, "multiple tables")] = MultipleTables,
            [("threads/imports.wast", 313, "multiple tables")] = MultipleTables,
            [("threads/imports.wast", 317, "multiple tables")] = MultipleTables,
            // 2.0: constant expressions read only imported globals; 3.0 (newest global.wast, elem.wast, data.wast) any
            // immutable global defined before (a global's initializer) or any (segments).
            [("global.wast", 351, "unknown global")] = DefinedGlobals,
            [("global.wast", 355, "unknown global")] = DefinedGlobals,
            [("elem.wast", 151, "unknown global")] = DefinedGlobals,
            [("elem.wast", 155, "unknown global")] = DefinedGlobals,
            [("data.wast", 84, "unknown global")] = DefinedGlobals,
            [("data.wast", 88, "unknown global")] = DefinedGlobals,
            // 2.0: a 32-bit memory's offset and limits, and a table's limits, are u32 literals in the text; 3.0 (newest
            // address.wast, simd_address.wast, memory.wast, table.wast): u64 literals, too large a value is invalid.
            [("address.wast", 213, "i32 constant")] = U64Literals,
            [("simd_address.wast", 143, "i32 constant")] = U64Literals,
            [("simd_address.wast", 151, "i32 constant")] = U64Literals,
            [("memory.wast", 79, "i32 constant out of range")] = U64Literals,
            [("memory.wast", 83, "i32 constant out of range")] = U64Literals,
            [("memory.wast", 87, "i32 constant out of range")] = U64Literals,
            [("threads/memory.wast", 83, "i32 constant out of range")] = U64Literals,
            [("threads/memory.wast", 87, "i32 constant out of range")] = U64Literals,
            [("threads/memory.wast", 91, "i32 constant out of range")] = U64Literals,
            [("table.wast", 27, "i32 constant out of range")] = U64Literals,
            [("table.wast", 31, "i32 constant out of range")] = U64Literals,
            [("table.wast", 35, "i32 constant out of range")] = U64Literals,
        };

    private const string DefinedGlobals =
        "the 2.0 suite asserts that a constant expression reading a defined global is invalid (\"unknown global\"); " +
        "WebAssembly 3.0, which Strand follows, allows it, as the newest suite's global.wast, elem.wast and data.wast expect";

    private const string U64Literals =
        "the 2.0 suite asserts that an offset or limit of 2^32 or more on a 32-bit memory or table is malformed text (an i32 " +
        "constant); in the WebAssembly 3.0 text format, which Strand follows, it is a u64 literal and the module is invalid " +
        "(\"offset out of range\", \"memory size\", \"table size\"), as the newest suite expects";

    /// <summary>Every <c>assert_invalid</c> expecting "multiple memories" (2.0 suites) contradicts WebAssembly 3.0.</summary>
    private const string MultipleMemories =
        "the 2.0 suites assert a second memory invalid (\"multiple memories\"); WebAssembly 3.0 (multi-memory, which Strand " +
        "implements) allows any number, as the newest suite's memory-multi.wast and imports*.wast expect";

    private const string MultipleTables =
        "the threads proposal's copy of imports.wast predates wasm 2.0 and expects \"multiple tables\" to be invalid; " +
        "wasm 2.0 (reference types) allows several tables";

    private void ExecuteOne(WastCommand command)
    {
        string scriptName = _file.Split(':')[0];
        string? asserted = command switch { WastAssertInvalid i => i.Message, WastAssertMalformed m => m.Message, _ => null };
        foreach (var ((file, line, message), reason) in KnownDivergences)
        {
            if (line == command.Line && message == asserted && (scriptName == file || scriptName.EndsWith("/" + file, StringComparison.Ordinal)))
            {
                Skip(command.Line, "known divergence between suites: " + reason);
                return;
            }
        }
        if (command is WastAssertInvalid { Message: "multiple memories" })
        {
            Skip(command.Line, "known divergence between suites: " + MultipleMemories);
            return;
        }
        switch (command)
        {
            case WastUnparsable u:
                // The error's own position: it may lie inside the command, lines below its start.
                Fail(u.Line, $"cannot parse{(u.Head is null ? "" : $" ({u.Head} ...)")}: at {u.Error.Line}:{u.Error.Column}: {u.Error.Reason}");
                // A module (or module instance) would have become the current one; a module definition only has a name.
                if (u.Head is "module" or "module instance") ModuleMissing(u.ModuleId, u.Line, "it could not be parsed");
                if (u.Head is "module" or "module definition") DefinitionMissing(u.ModuleId, u.Line, "it could not be parsed");
                break;
            case WastModuleCommand m:
                DefineModule(m.Module);
                break;
            case WastModuleDefinition d:
                if (CompileDefinition(d.Module) is not null) Pass();
                break;
            case WastModuleInstance mi:
                InstantiateDefinition(mi);
                break;
            case WastRegister r:
            {
                var instance = Resolve(r.ModuleId, r.Line);
                if (instance is null)
                {
                    string why = (r.ModuleId is null ? _currentFailure : _namedFailures.GetValueOrDefault(r.ModuleId)) ?? "no such module";
                    lock (_lock) _failedRegistrations[r.Name] = $"the register at line {r.Line} failed: {why}";
                    return;
                }
                lock (_lock)
                {
                    _registered[r.Name] = instance;
                    _failedRegistrations.Remove(r.Name);
                }
                Pass();
                break;
            }
            case WastActionCommand a:
                try
                {
                    Perform(a.Action);
                    Pass();
                }
                catch (ActionUnavailableException e)
                {
                    Fail(a.Line, e.Message);
                }
                catch (TrapException e)
                {
                    Fail(a.Line, $"action trapped: {e.Message}");
                }
                break;
            case WastAssertReturn ar:
                AssertReturn(ar);
                break;
            case WastAssertTrap at:
                AssertActionTraps(at.Action, at.Message, at.Line, exhaustion: false);
                break;
            case WastAssertException ax:
                AssertException(ax);
                break;
            case WastAssertExhaustion ae:
                AssertActionTraps(ae.Action, ae.Message, ae.Line, exhaustion: true);
                break;
            case WastAssertModuleTrap amt:
                AssertUninstantiable(amt.Module, amt.Message, amt.Line);
                break;
            case WastAssertUninstantiable au:
                AssertUninstantiable(au.Module, au.Message, au.Line);
                break;
            case WastAssertUnlinkable al:
                AssertUnlinkable(al);
                break;
            case WastAssertInvalid ai:
                AssertInvalid(ai);
                break;
            case WastAssertMalformed am:
                AssertMalformed(am);
                break;
            case WastThread t:
                StartThread(t);
                break;
            case WastWait w:
                WaitThread(w);
                break;
            default:
                Fail(command.Line, $"unsupported command {command.GetType().Name}");
                break;
        }
    }

    // ---- modules -------------------------------------------------------------------------

    private static byte[] ModuleBytes(WastModule module) =>
        module.TextError is { } error ? throw error
        : module.Kind == WastModuleKind.Quote ? WatParser.ParseModule(module.QuoteText!) : module.Binary!;

    private Linker CreateLinker()
    {
        var linker = new Linker();
        SpecTestModule.Define(linker);
        lock (_lock)
        {
            foreach (var (name, instance) in _registered) linker.DefineInstance(name, instance);
        }
        return linker;
    }

    /// <summary>
    /// Instantiates with the script's interrupt signal (so <c>--timeout</c> reaches a start function and every
    /// later call) and remembers the memory, whose waiters an expiry must wake.
    /// </summary>
    private Instance Instantiate(Module compiled)
    {
        var imports = CreateLinker().ResolveImports(compiled, null);
        var instance = Instance.Create(compiled, imports, new InstantiationOptions { Signal = _control.Signal });
        foreach (var memory in instance.Memories) _control.Track(memory);
        return instance;
    }

    private void DefineModule(WastModule module)
    {
        var compiled = CompileDefinition(module);
        if (compiled is null)
        {
            ModuleMissing(module.Id, module.Line, _lastDefinitionFailure!);
            return;
        }
        InstantiateAsCurrent(compiled, module.Id, module.Line);
    }

    /// <summary>
    /// Decodes and validates a module and records it as the latest definition (named by <paramref name="module"/>'s id);
    /// on failure, fails the command and records why (<see cref="_lastDefinitionFailure"/>) and returns null.
    /// </summary>
    private Module? CompileDefinition(WastModule module)
    {
        try
        {
            var compiled = Module.Compile(ModuleBytes(module));
            _lastDefinition = compiled;
            _lastDefinitionFailure = null;
            if (module.Id is not null)
            {
                _definitions[module.Id] = compiled;
                _definitionFailures.Remove(module.Id);
            }
            return compiled;
        }
        catch (WasmUnsupportedException e)
        {
            Fail(module.Line, e.Message);
            DefinitionMissing(module.Id, module.Line, e.Message);
        }
        catch (Exception e) when (e is WasmFormatException or WasmValidationException or WatParseException)
        {
            Fail(module.Line, $"module rejected: {e.Message}");
            DefinitionMissing(module.Id, module.Line, $"rejected: {e.Message}");
        }
        return null;
    }

    private void DefinitionMissing(string? id, int line, string reason)
    {
        _lastDefinition = null;
        _lastDefinitionFailure = reason;
        if (id is not null)
        {
            _definitions.Remove(id);
            _definitionFailures[id] = $"module definition {id} (line {line}) is missing: {reason}";
        }
    }

    /// <summary>Instantiates a compiled module; the instance becomes the current module (named <paramref name="id"/>) and the command passes.</summary>
    private void InstantiateAsCurrent(Module compiled, string? id, int line)
    {
        try
        {
            var instance = Instantiate(compiled);
            _current = instance;
            _currentFailure = null;
            if (id is not null)
            {
                _named[id] = instance;
                _namedFailures.Remove(id);
            }
            Pass();
        }
        catch (Exception e) when (e is TrapException or LinkException)
        {
            string message = Explain(e);
            Fail(line, $"instantiation failed: {message}");
            ModuleMissing(id, line, $"instantiation failed: {message}");
        }
    }

    /// <summary><c>(module instance $i? $def?)</c>: a new instance of a definition (each is separate: instantiation is generative).</summary>
    private void InstantiateDefinition(WastModuleInstance command)
    {
        Module? compiled;
        string? why;
        if (command.DefinitionId is { } name)
        {
            compiled = _definitions.GetValueOrDefault(name);
            why = _definitionFailures.GetValueOrDefault(name) ?? $"unknown module definition {name}";
        }
        else
        {
            compiled = _lastDefinition;
            why = _lastDefinitionFailure is { } f ? $"the latest module definition is missing: {f}" : "no module defined yet";
        }
        if (compiled is null)
        {
            Fail(command.Line, why);
            ModuleMissing(command.InstanceId, command.Line, why);
            return;
        }
        InstantiateAsCurrent(compiled, command.InstanceId, command.Line);
    }

    /// <summary>A link error's message, plus the cause when the import's module name is one whose <c>register</c> failed.</summary>
    private string Explain(Exception e)
    {
        const string prefix = "unknown import: ";
        if (e is LinkException && e.Message.StartsWith(prefix, StringComparison.Ordinal))
        {
            lock (_lock)
            {
                foreach (var (name, why) in _failedRegistrations)
                    if (e.Message.AsSpan(prefix.Length).StartsWith(name + ".", StringComparison.Ordinal))
                        return $"{e.Message} (\"{name}\" was never registered: {why})";
            }
        }
        return e.Message;
    }

    private Instance? Resolve(string? id, int line)
    {
        if (id is null)
        {
            if (_current is null) Fail(line, _currentFailure ?? "no module defined yet");
            return _current;
        }
        if (_named.TryGetValue(id, out var instance)) return instance;
        Fail(line, _namedFailures.GetValueOrDefault(id) ?? $"unknown module {id}");
        return null;
    }

    // ---- actions -------------------------------------------------------------------------

    private sealed class ActionUnavailableException(string message) : Exception(message);

    private Value[] Perform(WastAction action)
    {
        var instance = action.ModuleId is null
            ? _current ?? throw new ActionUnavailableException(_currentFailure ?? "no module defined yet")
            : _named.GetValueOrDefault(action.ModuleId)
                ?? throw new ActionUnavailableException(_namedFailures.GetValueOrDefault(action.ModuleId) ?? $"unknown module {action.ModuleId}");
        switch (action)
        {
            case WastInvoke invoke:
            {
                var function = instance.Exports.GetValueOrDefault(invoke.ExportName) as FunctionReference
                    ?? throw new ActionUnavailableException($"no exported function \"{invoke.ExportName}\"");
                var args = invoke.Arguments.Select(ToValue).ToArray();
                // A host reference is passed in the parameter's hierarchy (internalised for anyref, as an embedder would).
                var parameters = function.Type.Params;
                for (int i = 0; i < args.Length && i < parameters.Length; i++)
                    if (invoke.Arguments[i].Type == WastValueType.HostRef && parameters[i].IsReference())
                        args[i] = Value.OfReference(Strand.Validation.TypeRegistry.KindOf(parameters[i]), args[i].Reference);
                return function.Invoke(args);
            }
            case WastGet get:
            {
                var global = instance.GetGlobal(get.ExportName)
                    ?? throw new ActionUnavailableException($"no exported global \"{get.ExportName}\"");
                return new[] { global.Value };
            }
            default:
                throw new ActionUnavailableException($"unsupported action {action.GetType().Name}");
        }
    }

    private void AssertReturn(WastAssertReturn command)
    {
        Value[] results;
        try
        {
            results = Perform(command.Action);
        }
        catch (ActionUnavailableException e)
        {
            Fail(command.Line, e.Message);
            return;
        }
        catch (TrapException e)
        {
            Fail(command.Line, $"expected values, got trap \"{e.Message}\"");
            return;
        }
        catch (WasmException e)
        {
            Fail(command.Line, $"expected values, got an {e.Message}");
            return;
        }
        if (results.Length != command.Expected.Count)
        {
            Fail(command.Line, $"expected {command.Expected.Count} results, got {results.Length}");
            return;
        }
        for (int i = 0; i < results.Length; i++)
        {
            if (!Matches(results[i], command.Expected[i]))
            {
                Fail(command.Line, $"result {i}: expected {Describe(command.Expected[i])}, got {results[i]} (bits 0x{results[i].Bits:x})");
                return;
            }
        }
        Pass();
    }

    /// <summary><c>assert_exception</c>: the action throws a wasm exception (a <see cref="WasmException"/>, not a trap).</summary>
    private void AssertException(WastAssertException command)
    {
        try
        {
            var results = Perform(command.Action);
            Fail(command.Line, $"expected an exception, got [{string.Join(", ", results)}]");
        }
        catch (ActionUnavailableException e)
        {
            Fail(command.Line, e.Message);
        }
        catch (TrapException e)
        {
            Fail(command.Line, $"expected an exception, got trap \"{e.Message}\"");
        }
        catch (WasmException)
        {
            Pass();
        }
    }

    private void AssertActionTraps(WastAction action, string expected, int line, bool exhaustion)
    {
        try
        {
            var results = Perform(action);
            Fail(line, $"expected trap \"{expected}\", got [{string.Join(", ", results)}]");
        }
        catch (ActionUnavailableException e)
        {
            Fail(line, e.Message);
        }
        catch (WasmException e)
        {
            Fail(line, $"expected trap \"{expected}\", got an {e.Message}");
        }
        catch (TrapException e)
        {
            if (exhaustion && e.Code != TrapCode.CallStackExhausted)
                Fail(line, $"expected exhaustion, got trap \"{e.Message}\"");
            else if (!MessageMatches(e.Message, expected))
                Fail(line, $"expected trap \"{expected}\", got \"{e.Message}\"");
            else
                Pass();
        }
    }

    private void AssertUninstantiable(WastModule module, string expected, int line)
    {
        Module compiled;
        try
        {
            compiled = Module.Compile(ModuleBytes(module));
        }
        catch (WasmUnsupportedException e)
        {
            Fail(line, e.Message);
            return;
        }
        catch (Exception e) when (e is WasmFormatException or WasmValidationException or WatParseException)
        {
            Fail(line, $"module rejected before instantiation: {e.Message}");
            return;
        }
        try
        {
            Instantiate(compiled);
            Fail(line, $"expected instantiation to trap with \"{expected}\"");
        }
        catch (TrapException e)
        {
            if (MessageMatches(e.Message, expected)) Pass();
            else Fail(line, $"expected trap \"{expected}\", got \"{e.Message}\"");
        }
        catch (LinkException e)
        {
            Fail(line, $"expected trap \"{expected}\", got link error \"{Explain(e)}\"");
        }
    }

    private void AssertUnlinkable(WastAssertUnlinkable command)
    {
        Module compiled;
        try
        {
            compiled = Module.Compile(ModuleBytes(command.Module));
        }
        catch (WasmUnsupportedException e)
        {
            Fail(command.Line, e.Message);
            return;
        }
        catch (Exception e) when (e is WasmFormatException or WasmValidationException or WatParseException)
        {
            Fail(command.Line, $"module rejected before linking: {e.Message}");
            return;
        }
        try
        {
            Instantiate(compiled);
            Fail(command.Line, $"expected link error \"{command.Message}\"");
        }
        catch (LinkException e)
        {
            if (MessageMatches(e.Message, command.Message)) Pass();
            else Fail(command.Line, $"expected link error \"{command.Message}\", got \"{Explain(e)}\"");
        }
        catch (TrapException e)
        {
            Fail(command.Line, $"expected link error \"{command.Message}\", got trap \"{e.Message}\"");
        }
    }

    private void AssertInvalid(WastAssertInvalid command)
    {
        try
        {
            Module.Compile(ModuleBytes(command.Module));
            Fail(command.Line, $"expected invalid module \"{command.Message}\", but it compiled");
        }
        catch (WasmValidationException)
        {
            Pass();
        }
        catch (WatParseException e) when (e.Invalid)
        {
            Pass(); // well-formed text of an invalid module (WatParseException.Invalid)
        }
        catch (WasmUnsupportedException e)
        {
            Fail(command.Line, e.Message);
        }
        catch (Exception e) when (e is WasmFormatException or WatParseException)
        {
            Fail(command.Line, $"expected invalid module \"{command.Message}\", got malformed: {e.Message}");
        }
    }

    private void AssertMalformed(WastAssertMalformed command)
    {
        try
        {
            Module.Compile(ModuleBytes(command.Module));
            Fail(command.Line, $"expected malformed module \"{command.Message}\", but it compiled");
        }
        catch (WatParseException e) when (e.Invalid)
        {
            Fail(command.Line, $"expected malformed module \"{command.Message}\", got invalid: {e.Message}");
        }
        catch (Exception e) when (e is WasmFormatException or WatParseException)
        {
            Pass();
        }
        catch (WasmUnsupportedException e)
        {
            Fail(command.Line, e.Message);
        }
        catch (WasmValidationException e)
        {
            Fail(command.Line, $"expected malformed module \"{command.Message}\", got invalid: {e.Message}");
        }
    }

    /// <summary>
    /// Trap and link messages match when ours starts with the expected text or contains it
    /// (the suite's texts are the reference interpreter's; ours may add detail).
    /// </summary>
    private static bool MessageMatches(string actual, string expected) =>
        actual.Contains(expected, StringComparison.Ordinal)
        // The reference interpreter appends details (e.g. "uninitialized element 2"); ours may not.
        || (actual.Length > 0 && expected.StartsWith(actual, StringComparison.Ordinal));

    // ---- threads proposal ----------------------------------------------------------------

    private void StartThread(WastThread command)
    {
        var child = new WastRunner($"{_file}:{command.Name}", _registered, _failedRegistrations, _lock, _control);
        bool sharedOk = true;
        foreach (var shared in command.SharedModules)
        {
            if (_named.TryGetValue(shared, out var instance))
            {
                child._named[shared] = instance;
            }
            else
            {
                sharedOk = false;
                string why = _namedFailures.GetValueOrDefault(shared) ?? $"unknown shared module {shared}";
                child._namedFailures[shared] = why;
                Fail(command.Line, $"thread {command.Name}: {why}");
            }
        }
        if (sharedOk) Pass();
        var thread = new Thread(() => child.Execute(command.Commands, topLevel: false), ScriptThreadStackSize)
        {
            Name = "wast thread " + command.Name,
            IsBackground = true,
        };
        _threads[command.Name] = thread;
        _threadRunners[command.Name] = child;
        thread.Start();
    }

    private void WaitThread(WastWait command)
    {
        if (!_threads.Remove(command.Name, out var thread) || !_threadRunners.Remove(command.Name, out var child))
        {
            Fail(command.Line, $"unknown thread {command.Name}");
            return;
        }
        if (!JoinThread(thread))
        {
            Fail(command.Line, $"thread {command.Name} did not finish (its guest code is outside the reach of the interruption)");
            return;
        }
        Pass();
        _passed += child._passed;
        _failed += child._failed;
        _skipped += child._skipped;
        _failures.AddRange(child._failures);
        _skips.AddRange(child._skips);
    }

    // ---- values --------------------------------------------------------------------------

    /// <summary>The host value behind <c>ref.extern N</c>: equal numbers give equal references.</summary>
    public sealed record ExternHandle(ulong Id)
    {
        /// <summary>The reference as the script writes it: <c>ref.extern N</c>.</summary>
        public override string ToString() => $"ref.extern {Id}";
    }

    private static readonly Dictionary<ulong, ExternHandle> ExternHandles = new();

    private static ExternHandle Handle(ulong id)
    {
        lock (ExternHandles)
        {
            if (!ExternHandles.TryGetValue(id, out var h)) ExternHandles[id] = h = new ExternHandle(id);
            return h;
        }
    }

    private static Value ToValue(WastValue v) => v.Type switch
    {
        WastValueType.I32 => Value.I32((int)(uint)v.Bits),
        WastValueType.I64 => Value.I64((long)v.Bits),
        WastValueType.F32 => Value.F32Bits((uint)v.Bits),
        WastValueType.F64 => Value.F64Bits(v.Bits),
        WastValueType.FuncRef => Value.Null(ValType.FuncRef),
        WastValueType.ExnRef => Value.Null(ValType.ExnRef),
        WastValueType.AnyRef => Value.Null(ValType.AnyRef),
        WastValueType.HostRef => Value.ExternRef(Handle(v.Bits)),
        WastValueType.ExternRef => v.IsNull ? Value.Null(ValType.ExternRef) : Value.ExternRef(Handle(v.Bits)),
        WastValueType.V128 => Value.V128(System.Runtime.Intrinsics.Vector128.AsByte(System.Runtime.Intrinsics.Vector128.Create(v.Bits, v.High))),
        _ => throw new ArgumentOutOfRangeException(nameof(v)),
    };

    /// <summary>Whether a result matches what the script expects (bit-exact, NaN patterns, lane-wise for v128).</summary>
    internal static bool Matches(Value actual, WastExpected expected)
    {
        switch (expected)
        {
            case WastExpectedValue { Value: var v }:
                return v.Type switch
                {
                    WastValueType.I32 => actual.Type == ValType.I32 && (uint)actual.Bits == (uint)v.Bits,
                    WastValueType.I64 => actual.Type == ValType.I64 && actual.Bits == v.Bits,
                    WastValueType.F32 => actual.Type == ValType.F32 && (uint)actual.Bits == (uint)v.Bits,
                    WastValueType.F64 => actual.Type == ValType.F64 && actual.Bits == v.Bits,
                    WastValueType.FuncRef => actual.Type == ValType.FuncRef && v.IsNull && actual.Reference is null,
                    WastValueType.ExnRef => actual.Type == ValType.ExnRef && v.IsNull && actual.Reference is null,
                    WastValueType.AnyRef => actual.Type == ValType.AnyRef && v.IsNull && actual.Reference is null,
                    WastValueType.ExternRef => actual.Type == ValType.ExternRef && (v.IsNull
                        ? actual.Reference is null
                        : actual.Reference is ExternHandle h && h.Id == v.Bits),
                    WastValueType.V128 => actual.Type == ValType.V128 && V128Lanes.Lane(actual, 0, 8) == v.Bits && V128Lanes.Lane(actual, 1, 8) == v.High,
                    _ => false,
                };
            case WastExpectedV128 pattern:
                return actual.Type == ValType.V128 && V128Lanes.Match(actual, pattern, Matches);
            case WastExpectedNan nan:
                if (nan.Type == WastValueType.F32)
                {
                    if (actual.Type != ValType.F32) return false;
                    uint bits = (uint)actual.Bits;
                    if ((bits & 0x7F800000) != 0x7F800000 || (bits & 0x007FFFFF) == 0) return false;
                    return nan.Canonical ? (bits & 0x007FFFFF) == 0x00400000 : (bits & 0x00400000) != 0;
                }
                else
                {
                    if (actual.Type != ValType.F64) return false;
                    ulong bits = actual.Bits;
                    const ulong exp = 0x7FF0000000000000, mant = 0x000FFFFFFFFFFFFF, quiet = 0x0008000000000000;
                    if ((bits & exp) != exp || (bits & mant) == 0) return false;
                    return nan.Canonical ? (bits & mant) == quiet : (bits & quiet) != 0;
                }
            case WastExpectedGcRef gc:
                return actual.Reference is { } held && gc.Heap switch
                {
                    "struct" => held is GcStruct,
                    "array" => held is GcArray,
                    "i31" => held is I31Ref,
                    "eq" => held is GcStruct or GcArray or I31Ref,
                    "host" => held is ExternHandle h && (gc.HostId is not { } id || h.Id == id),
                    _ => actual.Type == ValType.AnyRef,
                };
            case WastExpectedAnyNull:
                return actual.Type is not (ValType.I32 or ValType.I64 or ValType.F32 or ValType.F64 or ValType.V128) && actual.Reference is null;
            case WastExpectedNonNullRef r:
                return actual.Reference is not null &&
                       actual.Type == (r.Type == WastValueType.FuncRef ? ValType.FuncRef : ValType.ExternRef);
            case WastExpectedEither either:
                return either.Alternatives.Any(a => Matches(actual, a));
            default:
                return false;
        }
    }

    /// <summary>One lane of a v128 pattern as the script writes it: <c>nan:canonical</c>, or the lane's bits in hex.</summary>
    private static string DescribeLane(WastExpected lane) => lane switch
    {
        WastExpectedNan n => n.Canonical ? "nan:canonical" : "nan:arithmetic",
        WastExpectedValue { Value: var v } => v.Type == WastValueType.F32 ? $"0x{v.Bits:x8}" : $"0x{v.Bits:x16}",
        _ => Describe(lane),
    };

    private static string Describe(WastExpected expected) => expected switch
    {
        WastExpectedValue v => v.Value.ToString(),
        WastExpectedNan n => $"nan:{(n.Canonical ? "canonical" : "arithmetic")} {n.Type}",
        WastExpectedNonNullRef r => $"non-null {r.Type}",
        WastExpectedAnyNull => "(ref.null)",
        WastExpectedEither e => "either(" + string.Join(" | ", e.Alternatives.Select(Describe)) + ")",
        WastExpectedV128 p => $"(v128.const {p.Shape.ToString().ToLowerInvariant()} {string.Join(" ", p.Lanes.Select(DescribeLane))})",
        _ => expected.ToString() ?? "?",
    };
}
