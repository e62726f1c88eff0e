using Strand.Binary;
using Strand.Runtime;
using Strand.Validation;

namespace Strand.Fuzz;

/// <summary>Outcome of compiling a module with Strand: the plan to run, or why there is none.</summary>
internal sealed record StrandCompilation(Module? Module, string Event, bool Unsupported);

/// <summary>Runs a plan in Strand and records the trace (the same events run-node.mjs records for V8).</summary>
internal static class StrandRunner
{
    /// <summary>Guest code runs on its own thread with this stack (V8's worker gets 4 MiB).</summary>
    private const int GuestStackBytes = 16 << 20;

    public static StrandCompilation Compile(byte[] wasm)
    {
        try
        {
            return new StrandCompilation(Module.Compile(wasm), "compile ok", false);
        }
        catch (WasmUnsupportedException e)
        {
            return new StrandCompilation(null, "compile unsupported " + e.Message, true);
        }
        catch (Exception e) when (e is WasmFormatException or WasmValidationException)
        {
            return new StrandCompilation(null, "compile error", false);
        }
        catch (Exception e)
        {
            return new StrandCompilation(null, $"compile crash {e.GetType().Name}: {e.Message}", false);
        }
    }

    /// <summary>
    /// Runs <paramref name="plan"/> against <paramref name="module"/>. A call running longer than the
    /// plan's timeout is interrupted and ends the trace with "timeout"; should the interruption not
    /// take (a hang outside guest code), the trace ends with "hang" and the thread is abandoned.
    /// </summary>
    public static List<string> Run(Module module, FuzzPlan plan)
    {
        var events = new List<string> { "compile ok" };
        var session = new Session(module, plan, events);
        var thread = new Thread(session.Run, GuestStackBytes) { IsBackground = true, Name = "fuzz guest" };
        thread.Start();
        // Generous: the first call of a function includes its JIT compilation.
        var hardLimit = TimeSpan.FromMilliseconds(plan.TimeoutMs * 3L + 10_000);
        while (!thread.Join(hardLimit))
        {
            lock (events)
            {
                if (session.Progressed()) continue;
                events.Add("hang");
                session.Abandon();
                return [.. events];
            }
        }
        lock (events) return [.. events];
    }

    private sealed class Session(Module module, FuzzPlan plan, List<string> events)
    {
        private readonly object _gate = new();
        private Instance? _instance;
        private int _callNumber;      // the call the timer was armed for
        private bool _callRunning;
        private int _lastSeenCount;
        private bool _abandoned;

        public bool Progressed()
        {
            bool progressed = events.Count != _lastSeenCount;
            _lastSeenCount = events.Count;
            return progressed;
        }

        public void Abandon()
        {
            _abandoned = true;
            _instance?.RequestInterrupt();
        }

        private void Add(string e)
        {
            lock (events)
            {
                if (!_abandoned) events.Add(e);
            }
        }

        public void Run()
        {
            var linker = new Linker();
            foreach (var import in module.Imports)
            {
                if (import.Kind != ExternalKind.Function) continue;
                var type = import.FunctionType!;
                string name = import.Name;
                linker.DefineFunction(import.Module, import.Name, type, args =>
                {
                    if (FuzzPlan.HasV128(type) && !TraceText.IsV128Logger(type)) throw new TraceText.V128AtJsBoundary();
                    Add("import " + name + "(" + string.Join(",", args.Select(TraceText.Format)) + ")");
                    return type.Results.Select(Value.Default).ToArray();
                });
            }
            try
            {
                _instance = linker.Instantiate(module);
            }
            catch (LinkException)
            {
                Add("instantiate link-error");
                return;
            }
            catch (TrapException trap)
            {
                Add("instantiate trap " + TraceText.TrapCategory(trap));
                return;
            }
            catch (WasmException)
            {
                Add("instantiate exception"); // a start function's uncaught wasm exception
                return;
            }
            catch (Exception e)
            {
                Add($"instantiate crash {e.GetType().Name}: {e.Message}");
                return;
            }
            Add("instantiate ok");

            using var timer = new Timer(_ => OnTimeout());
            foreach (var call in plan.Calls)
            {
                if (call.Reset is { } reset)
                {
                    try { _instance.Invoke(reset); }
                    catch (TrapException) { /* the hang-limit reset never traps */ }
                }
                Add("call " + call.Name + "(" + string.Join(",", call.Args) + ")");
                var args = call.Args.Select(FuzzPlan.ParseArgument).ToArray();
                lock (_gate)
                {
                    _callNumber++;
                    _callRunning = true;
                }
                timer.Change(plan.TimeoutMs, Timeout.Infinite);
                string line;
                try
                {
                    var results = _instance.Invoke(call.Name, args);
                    line = "result " + string.Join(",", results.Select(TraceText.Format));
                }
                catch (TrapException trap) when (trap.Code == TrapCode.Interrupted)
                {
                    Add("timeout");
                    return;
                }
                catch (TrapException trap)
                {
                    line = "trap " + TraceText.TrapCategory(trap);
                }
                catch (WasmException)
                {
                    line = "exception"; // uncaught wasm exception (exception handling)
                }
                catch (Exception e)
                {
                    line = $"crash {e.GetType().Name}: {e.Message}";
                }
                lock (_gate) _callRunning = false;
                timer.Change(Timeout.Infinite, Timeout.Infinite);
                // A timer that fired just as the call returned must not interrupt the next call.
                _instance.ClearInterrupt();
                Add(line);
                Observe(_instance);
            }
        }

        private void OnTimeout()
        {
            lock (_gate)
            {
                if (_callRunning) _instance?.RequestInterrupt();
            }
        }

        private void Observe(Instance instance)
        {
            var parts = new List<string>();
            if (plan.Memory is { } memoryName)
            {
                var memory = instance.GetMemory(memoryName)!;
                long length = memory.Length;
                uint hash = TraceText.FnvOffset;
                for (long at = 0; at < length; at += 1 << 30)
                    hash = TraceText.Fnv1a(memory.GetSpan(at, (int)Math.Min(1 << 30, length - at)), hash);
                parts.Add($"memory {length} {hash:x8}");
            }
            foreach (var global in plan.Globals)
                parts.Add($"global {global.Name}={TraceText.Format(instance.GetGlobal(global.Name)!.Value)}");
            if (parts.Count > 0) Add(string.Join(" ", parts));
        }
    }
}
