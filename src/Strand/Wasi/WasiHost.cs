using Strand.Binary;
using Strand.Runtime;

namespace Strand.Wasi;

/// <summary>
/// Binds WASI preview 1 to the engine: defines every <c>wasi_snapshot_preview1</c> function in a
/// <see cref="Linker"/> and runs command modules (<c>_start</c>) the way wasmtime does.
/// </summary>
/// <example>
/// <code>
/// using var wasi = new WasiConfiguration().WithArguments("prog", "x").WithPreopenedDirectory("./data", "/data").Build();
/// int exitCode = WasiHost.RunCommand(Module.FromFile("prog.wasm"), wasi);
/// </code>
/// </example>
public sealed class WasiHost
{
    private readonly WasiPreview1 _functions;

    /// <summary>A WASI preview 1 host over <paramref name="context"/> (arguments, environment, stdio, preopens).</summary>
    public WasiHost(WasiContext context) => _functions = new WasiPreview1(context);

    /// <summary>The context the WASI functions act on.</summary>
    public WasiContext Context => _functions.Context;

    /// <summary>Defines every WASI function in <paramref name="linker"/> under <c>wasi_snapshot_preview1</c>.</summary>
    public void Define(Linker linker)
    {
        foreach (var (name, function) in _functions.CreateBindings())
            linker.DefineFunction(WasiPreview1.ModuleName, name, function);
    }

    /// <summary>
    /// Cancelled when the program is over (<c>proc_exit</c> or a trap on another thread, a cancellation): blocking calls
    /// Strand implements itself (<c>poll_oneoff</c>'s sleep, unless replaced with <see cref="WasiConfiguration.WithSleep"/>)
    /// wake up and trap with "interrupted". Set by <see cref="RunCommand"/>; set it when running a program yourself.
    /// </summary>
    public CancellationToken Stopping
    {
        get => Context.Interruption;
        set => Context.Interruption = value;
    }

    /// <summary>The memory WASI calls read and write: the guest's exported "memory" or the memory it imports.</summary>
    public void BindMemory(Memory memory) => _functions.Memory = new EngineGuestMemory(memory);

    /// <summary>
    /// Instantiates a WASI command module and runs its <c>_start</c>. Returns the exit code:
    /// the argument of <c>proc_exit</c>, or 0 when <c>_start</c> returns. Traps propagate as
    /// <see cref="TrapException"/>. A module importing <c>wasi.thread-spawn</c> runs with
    /// <see cref="WasiThreads"/>: <c>proc_exit</c> or a trap on any of its threads ends them all;
    /// <paramref name="threads"/> turns on its stack-collision diagnostic (ignored for other modules).
    /// A disposed <paramref name="context"/> (its descriptors closed) throws <see cref="ObjectDisposedException"/>.
    /// Cancelling <paramref name="cancellationToken"/> stops the program: its threads trap with "interrupted"
    /// (a single-threaded program as a <see cref="TrapException"/>, a threaded one as the thread group reports it).
    /// </summary>
    public static int RunCommand(Module module, WasiContext context, Linker? linker = null, WasiThreadsOptions? threads = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(context);
        context.ThrowIfDisposed();
        if (cancellationToken.CanBeCanceled)
            threads = new WasiThreadsOptions
            {
                DetectStackCollisions = threads?.DetectStackCollisions ?? false,
                TrapOnStackCollision = threads?.TrapOnStackCollision ?? false,
                StackCollisionDetected = threads?.StackCollisionDetected,
                Diagnostics = threads?.Diagnostics,
                CancellationToken = cancellationToken,
            };
        var host = new WasiHost(context);
        linker ??= new Linker();
        host.Define(linker);
        if (WasiThreads.IsImportedBy(module))
        {
            try
            {
                return WasiThreads.RunCommand(module, host, linker, threads);
            }
            catch (Exception e) when (FindExit(e) is { } exit)
            {
                return exit.ExitCode;
            }
            finally
            {
                context.Interruption = default;
            }
        }
        context.Interruption = cancellationToken; // a sleep in poll_oneoff wakes when the run is cancelled
        Memory? imported = null;
        foreach (var import in module.Definition.Imports)
        {
            if (import.Kind != ExternalKind.Memory) continue;
            if (linker.TryGet(import.Module, import.Name, out var existing) && existing is Memory m) imported = m;
            else linker.Define(import.Module, import.Name, imported = new Memory(import.Memory!));
        }
        if (imported is not null) host.BindMemory(imported);
        CheckStartExport(module);
        CancellationTokenRegistration interrupt = default;
        try
        {
            // Cancellation interrupts the guest: it traps with "interrupted" at its next loop iteration or call, at once
            // when it waits in memory.atomic.wait on its shared memory or sleeps in poll_oneoff. It is registered before
            // the module's start function runs, which may loop or wait as well (before, a start function that never
            // returned could not be interrupted: `strand run --timeout` hung).
            var options = new InstantiationOptions { BeforeStart = i => interrupt = cancellationToken.Register(i.RequestInterrupt) };
            using var instance = Instance.Create(module, linker.ResolveImports(module, null), options); // its memory is released when the program ends
            using var registration = interrupt; // unregistered before the instance is disposed (and again, harmlessly, below)
            var memory = instance.GetMemory("memory") ?? imported
                ?? throw new LinkException("a WASI program must export or import a memory named \"memory\"");
            host.BindMemory(memory);
            ((FunctionReference)instance.Exports["_start"]).Invoke();
            return 0;
        }
        catch (Exception e) when (FindExit(e) is { } exit)
        {
            return exit.ExitCode;
        }
        finally
        {
            interrupt.Dispose();
            context.Interruption = default;
        }
    }

    /// <summary>
    /// The process exit status for a WASI exit code (what <c>strand run</c> exits with): codes 0-255 unchanged;
    /// any other value (negative, or above 255, which the OS would truncate to its low 8 bits: 256 would read as
    /// success) becomes 255. <c>proc_exit</c>'s argument is a u32 in the witx; hosts differ above 125 (wasmtime
    /// refuses codes of 126 and more), so portable programs use 0-125.
    /// </summary>
    public static int ToProcessExitStatus(int exitCode) => exitCode is >= 0 and <= 255 ? exitCode : 255;

    /// <summary>
    /// A WASI command exports <c>_start</c> with type <c>() -> ()</c> (WASI preview 1, "Current Unstable ABI");
    /// anything else is a <see cref="LinkException"/>, before the module is instantiated.
    /// </summary>
    internal static void CheckStartExport(Module module)
    {
        var start = module.Exports.FirstOrDefault(e => e.Name == "_start")
            ?? throw new LinkException("the module has no \"_start\" export: it is not a WASI command (use --invoke to call a function)");
        if (start.Kind != ExternalKind.Function)
            throw new LinkException($"the module's \"_start\" export is a {start.Kind.ToString().ToLowerInvariant()}, not a function");
        if (start.FunctionType is { Params.Length: > 0 } or { Results.Length: > 0 })
            throw new LinkException($"\"_start\" must have type [] -> [], not {start.FunctionType}");
    }

    /// <summary>proc_exit unwinds the guest as an exception; host-function wrapping may nest it.</summary>
    public static WasiExitException? FindExit(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is WasiExitException exit) return exit;
        return null;
    }

    private sealed class EngineGuestMemory(Memory memory) : IGuestMemory
    {
        public long Length => memory.Length;

        public Span<byte> GetSpan(uint address, uint length)
        {
            if ((ulong)address + length > (ulong)memory.Length || length > int.MaxValue)
                throw new WasiErrnoException(WasiErrno.Fault);
            return memory.GetSpan(address, (int)length);
        }
    }
}
