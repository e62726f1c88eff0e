using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Strand.Runtime;

/// <summary>
/// Helpers called by compiled code for operations whose exact WebAssembly semantics need more
/// than one CIL instruction (traps, IEEE corner cases, bulk operations). Small ones are
/// aggressively inlined by the JIT. Parameters are ordered like the wasm operand stack, with
/// the runtime object (memory, table, instance) last, so compiled code pushes it after the operands.
/// </summary>
internal static class WasmOps
{
    // ---------------- traps ----------------

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Exception Trap(int code) => new TrapException((TrapCode)code);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowTrap(TrapCode code) => throw new TrapException(code);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowOutOfBoundsMemory() => throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowCallStackExhausted() => throw new TrapException(TrapCode.CallStackExhausted);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInterrupted() => throw new TrapException(TrapCode.Interrupted);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowUnalignedAtomic() => throw new TrapException(TrapCode.UnalignedAtomic);

    // ---------------- stack ----------------

    /// <summary>
    /// Most a frame of a function with the fast entry check extends below its probe local (the local whose address
    /// the check compares): functions whose frame estimate (doubled for on-stack replacement) is bigger get the
    /// big-frame entry instead (compiler's FrameGuard.SmallFrameBytes).
    /// </summary>
    internal const int FastCheckFrameBytes = 32 * 1024;

    /// <summary>
    /// Stack probed below a verified frame by <see cref="ExtendStack"/>: half the runtime's margin (128 KiB on 64-bit;
    /// on 32-bit, 64 KiB, where the probe of 32 KiB verifies no more than the frame itself, so every deeper call
    /// takes the slow path there: correct, only slower).
    /// </summary>
    private static readonly int StackExtendProbeBytes = IntPtr.Size == 8 ? 64 * 1024 : 32 * 1024;

    /// <summary>
    /// Per thread, the bitwise complement of the lowest address a function's probe local may have and pass the entry
    /// check without a call (0, the default of a new thread, means no address: the first check takes the slow path).
    /// Invariant: on this thread, a frame whose probe local lies at or above <c>~StackLowInverted</c> and that extends
    /// at most <see cref="FastCheckFrameBytes"/> below it ends above the runtime's sufficient-stack limit, exactly what
    /// <see cref="RuntimeHelpers.TryEnsureSufficientExecutionStack"/> in its prologue would have guaranteed.
    /// Thread-static (on linux-x64 the JIT's TLS access is a call to <c>__tls_get_addr</c>, about 0.6 ns), so no
    /// instance shared by threads and no thread that reuses a dead thread's stack memory can see another thread's limit.
    /// </summary>
    [ThreadStatic] internal static nuint StackLowInverted;

    /// <summary>
    /// The slow path of the entry check of a function that calls, taken when its probe local lies below the thread's
    /// verified limit (<see cref="StackLowInverted"/>): checks the runtime's margin below this frame (false: the
    /// caller traps "call stack exhausted"), then probes <see cref="StackExtendProbeBytes"/> further down and, if the
    /// margin holds there too, lowers the thread's limit so that the next 32+ KiB of deeper calls pass with one compare.
    /// On 64-bit, each call that returns true lowers the limit by at least 32 KiB or finds the stack within 192 KiB of its end.
    /// </summary>
    [SkipLocalsInit, MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe bool ExtendStack()
    {
        // The margin below this helper's frame covers the calling function's frame and its callees, as the prologue
        // check did before; the probe below is safe because that margin (128 KiB) exceeds it.
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) return false;
        byte* probe = stackalloc byte[StackExtendProbeBytes];
        if (RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            // Every address of this thread's stack at or above probe + FastCheckFrameBytes has its frame end above
            // the probe, itself above the stack pointer at which the runtime's margin held.
            nuint low = (nuint)probe + FastCheckFrameBytes;
            if (low < ~StackLowInverted) StackLowInverted = ~low;
        }
        return true;
    }

    /// <summary>
    /// This thread's stack-window state: its latest window (<see cref="StackWindow"/>, owner this object; it only widens
    /// during the thread's life and stays valid while the thread lives, since it lies inside its stack), and the instances
    /// it pointed at that window during its current stay in guest code.
    /// </summary>
    private sealed class ThreadWindows
    {
        public StackWindow Window = StackWindow.Empty;
        public Instance? First;
        public List<Instance>? More;
        /// <summary>Slow paths taken in the current stay: the first claims nothing (a stay of one call would not repay it).</summary>
        public int SlowPaths;
    }

    [ThreadStatic] private static ThreadWindows? t_windows;

    /// <summary>
    /// The slow path of the entry check of a function that calls, taken when its probe local (at <paramref name="probe"/>)
    /// lies outside <paramref name="instance"/>'s stack window (<see cref="Instance.StackWindow"/>): another thread's, an
    /// empty one, or deeper than this thread verified. Checks the probe against this thread's verified limit
    /// (<see cref="StackLowInverted"/>) and extends it (<see cref="ExtendStack"/>: false, the runtime's margin is gone,
    /// and the caller traps "call stack exhausted"). Then widens this thread's window to cover the probe and, if the
    /// instance's window is empty, points the instance at this thread's, so the next calls at this depth or above pass
    /// with one compare. A window another thread holds is left to it (two threads sharing an instance would otherwise
    /// take turns evicting each other): the other thread then takes this path at each call, as every call did before
    /// windows existed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool EnterStack(nuint probe, Instance instance)
    {
        if (probe < ~StackLowInverted && !ExtendStack()) return false;
        ClaimWindow(probe, instance);
        return true;
    }

    /// <summary>
    /// Widens this thread's window to cover <paramref name="probe"/> (a local of a frame that passed this thread's
    /// own check) and points <paramref name="instance"/> at it if its window is empty or an older one of this thread's
    /// (see <see cref="EnterStack"/>). A window never changes once made (<see cref="StackWindow"/>): a wider one is a
    /// new object, kept for the thread's later stays (a host that calls into wasm in a loop makes none per call).
    /// </summary>
    private static void ClaimWindow(nuint probe, Instance instance)
    {
        nuint low = ~StackLowInverted;
        if (probe < low) return; // the margin held for this frame, but no verified region covers it yet
        var state = t_windows ??= new ThreadWindows();
        var window = state.Window;
        // ~StackLowInverted only falls during a thread's life, and a probe of this live thread stays inside its stack.
        if (window.Low != low || probe > window.High)
            state.Window = window = new StackWindow(low, probe > window.High || window.IsEmpty ? probe : window.High, state);
        // A stay whose first call is also its only checked one (a host calling a small export in a loop) publishes
        // nothing: three reference writes (GC write barriers) per stay would cost more than the compares they save.
        if (++state.SlowPaths < 2) return;
        var current = instance.StackWindow;
        if (current == window) return;
        bool ours = current.Owner == state;
        if (!ours && !current.IsEmpty) return; // another thread's: left to it
        // Recorded before the write, so this thread's LeaveGuest always sees it. Two threads that both found the window
        // empty may overwrite each other: the instance then holds one of them, each ends only its own.
        if (!ours)
        {
            if (state.First is null) state.First = instance;
            else (state.More ??= []).Add(instance);
        }
        Volatile.Write(ref instance.StackWindow, window);
    }

    /// <summary>
    /// Ends this thread's claim on every instance's stack window: called when a call from the host into guest code
    /// returns or unwinds (the invokers' <c>finally</c>), so a window never outlives its thread's stay in guest code
    /// and a thread that later reuses a dead thread's stack memory cannot pass another stack's check. A nested call (a
    /// host function calling back into guest code) ends it too: the outer guest frames then claim again at their
    /// next call's slow path. Only this thread replaces a window it owns (the others only replace an empty one), so a
    /// plain write suffices.
    /// </summary>
    public static void LeaveGuest()
    {
        if (t_windows is not { } state) return;
        state.SlowPaths = 0;
        if (state.First is not null) EndClaims(state);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EndClaims(ThreadWindows state)
    {
        var first = state.First!;
        if (first.StackWindow.Owner == state) Volatile.Write(ref first.StackWindow, StackWindow.Empty);
        state.First = null;
        if (state.More is { Count: > 0 } more)
        {
            foreach (var instance in more)
                if (instance.StackWindow.Owner == state) Volatile.Write(ref instance.StackWindow, StackWindow.Empty);
            more.Clear();
        }
    }

    /// <summary>Stack probed per step of <see cref="EnsureStack"/>: half of the smallest margin the runtime guarantees (64 KiB on 32-bit).</summary>
    private const int StackProbeStep = 32 * 1024;

    /// <summary>
    /// True when at least <paramref name="frameBytes"/> of stack plus the runtime's execution margin
    /// (<see cref="RuntimeHelpers.TryEnsureSufficientExecutionStack"/>: 128 KiB on 64-bit) remain below
    /// <paramref name="address"/> (the address of a local of the calling entry method). Called at the entry of
    /// functions with big frames (compiler's FrameGuard). Fast path: the frame ends within the region this thread has
    /// already verified (<see cref="StackLowInverted"/>: everything from <c>~StackLowInverted - FastCheckFrameBytes</c>
    /// up lies above the runtime's limit). Otherwise <see cref="EnsureStackSlow"/> walks down.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EnsureStack(long frameBytes, nuint address, Instance instance)
    {
        // Within the instance's window (so on the thread that holds it: no other live thread's stack overlaps it,
        // see StackWindow), from Low - FastCheckFrameBytes up everything lies above the runtime's limit. An empty
        // window (High 0) fails the first test.
        var window = instance.StackWindow;
        nuint floor = window.Low - FastCheckFrameBytes;
        return (address <= window.High && address >= floor && address - floor >= (nuint)frameBytes)
            || EnsureStackOnThread(frameBytes, address, instance);
    }

    /// <summary>
    /// <see cref="EnsureStack"/> outside the instance's window: the same test against this thread's own verified region
    /// (<see cref="StackLowInverted"/>), else the walk down of <see cref="EnsureStackSlow"/>; on success the thread's
    /// window is widened to the frame and claimed for the instance (<see cref="ClaimWindow"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool EnsureStackOnThread(long frameBytes, nuint address, Instance instance)
    {
        nuint floor = ~StackLowInverted - FastCheckFrameBytes;
        if (!((address >= floor && address - floor >= (nuint)frameBytes) || EnsureStackSlow(frameBytes))) return false;
        ClaimWindow(address, instance);
        return true;
    }

    /// <summary>
    /// Walks down in steps of 32 KiB (a <c>stackalloc</c> each, not initialised), checking the margin at every step,
    /// so it never touches stack that is not there; on success the thread's verified region grows to the last step.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool EnsureStackSlow(long frameBytes) =>
        RuntimeHelpers.TryEnsureSufficientExecutionStack() && (frameBytes <= 0 || ProbeStackFrom(frameBytes));

    private static unsafe bool ProbeStackFrom(long frameBytes) => ProbeStack(frameBytes, null);

    [SkipLocalsInit, MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe bool ProbeStack(long remaining, byte* previous)
    {
        byte* step = stackalloc byte[StackProbeStep];
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) return false;
        if (remaining > StackProbeStep) return ProbeStack(remaining - StackProbeStep, step);
        // The margin held below this last step: every frame above it, with its probe local FastCheckFrameBytes higher, is safe.
        nuint low = (nuint)step + FastCheckFrameBytes;
        if (low < ~StackLowInverted) StackLowInverted = ~low;
        return true;
    }

    // ---------------- integer division ----------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32DivS(int a, int b)
    {
        if (b == 0) ThrowTrap(TrapCode.IntegerDivideByZero);
        if (b == -1 && a == int.MinValue) ThrowTrap(TrapCode.IntegerOverflow);
        return a / b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32DivU(int a, int b)
    {
        if (b == 0) ThrowTrap(TrapCode.IntegerDivideByZero);
        return (int)((uint)a / (uint)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32RemS(int a, int b)
    {
        if (b == 0) ThrowTrap(TrapCode.IntegerDivideByZero);
        return b == -1 ? 0 : a % b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32RemU(int a, int b)
    {
        if (b == 0) ThrowTrap(TrapCode.IntegerDivideByZero);
        return (int)((uint)a % (uint)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64DivS(long a, long b)
    {
        if (b == 0) ThrowTrap(TrapCode.IntegerDivideByZero);
        if (b == -1 && a == long.MinValue) ThrowTrap(TrapCode.IntegerOverflow);
        return a / b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64DivU(long a, long b)
    {
        if (b == 0) ThrowTrap(TrapCode.IntegerDivideByZero);
        return (long)((ulong)a / (ulong)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64RemS(long a, long b)
    {
        if (b == 0) ThrowTrap(TrapCode.IntegerDivideByZero);
        return b == -1 ? 0 : a % b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64RemU(long a, long b)
    {
        if (b == 0) ThrowTrap(TrapCode.IntegerDivideByZero);
        return (long)((ulong)a % (ulong)b);
    }

    // ---------------- JIT workarounds (rotations, clz/ctz/popcnt, abs/neg, rounding: FunctionCompiler.Numeric.cs) ----------------

    /// <summary>
    /// Always 0, but not a constant to the JIT: compiled code adds it to every rotation count. RyuJIT (.NET 10,
    /// x64; dotnet/runtime#129288) believes <c>rol</c>/<c>ror</c> by a non-zero constant set the zero flag and drops
    /// the <c>test</c> of a following compare with zero, which then reads a stale flag (found by tools/Strand.Fuzz:
    /// <c>i64.rotl</c> by a constant followed by <c>i64.eqz</c> or <c>br_if</c>). A rotation by a register count is
    /// compiled correctly. The count may reach the rotation as a JIT constant through locals, so every rotation
    /// gets the bias, not only those whose count is a wasm constant. Also added to one operand of an xor of two
    /// shifts, which the JIT would otherwise turn into a (wrong) rotation (dotnet/runtime#133864), and or-ed into
    /// the operand of every f32.reinterpret_i32 and f32x4.extract_lane's lane bits (the JIT would widen a narrow load,
    /// dotnet/runtime#133580, or fold a constant into a float literal kept as a double, quieting a signalling NaN).
    /// </summary>
    public static int OpaqueZero = 0;

    // ---------------- floating point: copysign works on bits (NaN payloads kept) ----------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F32Copysign(float a, float b) => BitConverter.Int32BitsToSingle(
        (BitConverter.SingleToInt32Bits(a) & 0x7FFF_FFFF) | (BitConverter.SingleToInt32Bits(b) & int.MinValue));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double F64Copysign(double a, double b) => BitConverter.Int64BitsToDouble(
        (BitConverter.DoubleToInt64Bits(a) & long.MaxValue) | (BitConverter.DoubleToInt64Bits(b) & long.MinValue));

    // min/max: NaN in -> (quiet) NaN out; -0 is less than +0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F32Min(float a, float b)
    {
        if (a < b) return a;
        if (b < a) return b;
        if (a == b) return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) | BitConverter.SingleToInt32Bits(b));
        return a + b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F32Max(float a, float b)
    {
        if (a > b) return a;
        if (b > a) return b;
        if (a == b) return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) & BitConverter.SingleToInt32Bits(b));
        return a + b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double F64Min(double a, double b)
    {
        if (a < b) return a;
        if (b < a) return b;
        if (a == b) return BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(a) | BitConverter.DoubleToInt64Bits(b));
        return a + b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double F64Max(double a, double b)
    {
        if (a > b) return a;
        if (b > a) return b;
        if (a == b) return BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(a) & BitConverter.DoubleToInt64Bits(b));
        return a + b;
    }


    // ---------------- conversions ----------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32ConvertI32U(int a) => (float)(uint)a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64ConvertI32U(int a) => (uint)a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32ConvertI64S(long a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64ConvertI64S(long a) => a;

    /// <summary>u64 -> f32 with a single rounding: halve with a sticky bit so the signed conversion rounds correctly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F32ConvertI64U(long a)
    {
        if (a >= 0) return a;
        ulong u = (ulong)a;
        return (float)(long)((u >> 1) | (u & 1)) * 2f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double F64ConvertI64U(long a)
    {
        if (a >= 0) return a;
        ulong u = (ulong)a;
        return (double)(long)((u >> 1) | (u & 1)) * 2.0;
    }

    // Trapping truncation: NaN -> invalid conversion; out of range (after truncation) -> overflow.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32TruncF32S(float a)
    {
        if (a >= -2147483648f && a < 2147483648f) return (int)a;
        ThrowTruncation(float.IsNaN(a));
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32TruncF32U(float a)
    {
        if (a > -1f && a < 4294967296f) return (int)(uint)a;
        ThrowTruncation(float.IsNaN(a));
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32TruncF64S(double a)
    {
        if (a > -2147483649.0 && a < 2147483648.0) return (int)a;
        ThrowTruncation(double.IsNaN(a));
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32TruncF64U(double a)
    {
        if (a > -1.0 && a < 4294967296.0) return (int)(uint)a;
        ThrowTruncation(double.IsNaN(a));
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64TruncF32S(float a)
    {
        if (a >= -9223372036854775808f && a < 9223372036854775808f) return (long)a;
        ThrowTruncation(float.IsNaN(a));
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64TruncF32U(float a)
    {
        if (a > -1f && a < 18446744073709551616f) return (long)(ulong)a;
        ThrowTruncation(float.IsNaN(a));
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64TruncF64S(double a)
    {
        if (a >= -9223372036854775808.0 && a < 9223372036854775808.0) return (long)a;
        ThrowTruncation(double.IsNaN(a));
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64TruncF64U(double a)
    {
        if (a > -1.0 && a < 18446744073709551616.0) return (long)(ulong)a;
        ThrowTruncation(double.IsNaN(a));
        return 0;
    }

    /// <summary>The trap of a failed trapping truncation of <paramref name="a"/> (the compiler emits <c>throw</c>): NaN is "invalid conversion to integer", anything else "integer overflow".</summary>
    public static Exception TruncationTrap(float a) =>
        new TrapException(float.IsNaN(a) ? TrapCode.InvalidConversionToInteger : TrapCode.IntegerOverflow);

    /// <inheritdoc cref="TruncationTrap(float)"/>
    public static Exception TruncationTrap(double a) =>
        new TrapException(double.IsNaN(a) ? TrapCode.InvalidConversionToInteger : TrapCode.IntegerOverflow);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTruncation(bool isNaN) =>
        throw new TrapException(isNaN ? TrapCode.InvalidConversionToInteger : TrapCode.IntegerOverflow);

    // Saturating truncation: NaN -> 0, clamps at the bounds.
    public static int I32TruncSatF32S(float a) =>
        float.IsNaN(a) ? 0 : a >= 2147483648f ? int.MaxValue : a < -2147483648f ? int.MinValue : (int)a;
    public static int I32TruncSatF32U(float a) =>
        float.IsNaN(a) || a <= -1f ? 0 : a >= 4294967296f ? -1 : (int)(uint)a;
    public static int I32TruncSatF64S(double a) =>
        double.IsNaN(a) ? 0 : a >= 2147483648.0 ? int.MaxValue : a <= -2147483649.0 ? int.MinValue : (int)a;
    public static int I32TruncSatF64U(double a) =>
        double.IsNaN(a) || a <= -1.0 ? 0 : a >= 4294967296.0 ? -1 : (int)(uint)a;
    public static long I64TruncSatF32S(float a) =>
        float.IsNaN(a) ? 0 : a >= 9223372036854775808f ? long.MaxValue : a < -9223372036854775808f ? long.MinValue : (long)a;
    public static long I64TruncSatF32U(float a) =>
        float.IsNaN(a) || a <= -1f ? 0 : a >= 18446744073709551616f ? -1L : (long)(ulong)a;
    public static long I64TruncSatF64S(double a) =>
        double.IsNaN(a) ? 0 : a >= 9223372036854775808.0 ? long.MaxValue : a < -9223372036854775808.0 ? long.MinValue : (long)a;
    public static long I64TruncSatF64U(double a) =>
        double.IsNaN(a) || a <= -1.0 ? 0 : a >= 18446744073709551616.0 ? -1L : (long)(ulong)a;

    /// <summary>Float constants are materialised from bits so the JIT never sees (and quiets) a signalling NaN literal.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float F32FromBits(int bits) => BitConverter.Int32BitsToSingle(bits);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double F64FromBits(long bits) => BitConverter.Int64BitsToDouble(bits);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float F32DemoteF64Opaque(double a) => (float)a;

    // ---------------- memory ----------------

    public static int MemorySize(Memory memory) => (int)memory.Pages;

    public static int MemoryGrow(int delta, Memory memory) => memory.Grow((uint)delta);

    public static void MemoryFill(int destination, int value, int count, Memory memory) =>
        memory.Fill((uint)destination, (byte)value, (uint)count);

    public static void MemoryCopy(int destination, int source, int count, Memory memory) =>
        Memory.Copy(memory, (uint)destination, memory, (uint)source, (uint)count);

    public static void MemoryInit(int destination, int source, int count, Memory memory, Instance instance, int segment) =>
        memory.Initialize((uint)destination, instance.GetDataSegment(segment), (uint)source, (uint)count);

    public static void DataDrop(Instance instance, int segment) => instance.DropDataSegment(segment);

    // ---------------- tables and references ----------------

    /// <summary>The callee of <c>call_ref</c>/<c>return_call_ref</c>: traps "null function reference" on null (validation guarantees a function of the right type otherwise).</summary>
    public static FunctionReference CallRefTarget(RefValue reference)
    {
        if (reference.Object is null) ThrowTrap(TrapCode.NullFunctionReference);
        return Unsafe.As<FunctionReference>(reference.Object);
    }

    /// <summary><c>ref.as_non_null</c>: the reference, or a "null reference" trap.</summary>
    public static RefValue RefAsNonNull(RefValue reference)
    {
        if (reference.Object is null) ThrowTrap(TrapCode.NullReference);
        return reference;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FunctionReference ResolveIndirect(int index, Table table, int typeId)
    {
        var elements = table.Elements;
        if ((uint)index >= (uint)elements.Length) ThrowElementTrap(TrapCode.UndefinedElement, index);
        // Validation guarantees call_indirect only names funcref tables.
        var function = Unsafe.As<FunctionReference?>(elements[index].Object);
        if (function is null) ThrowElementTrap(TrapCode.UninitializedElement, index);
        // The callee's type must be the expected one or a declared subtype of it (GC); equality is the common case.
        if (function.TypeId != typeId && !Validation.TypeRegistry.IsSubtype(function.TypeId, typeId)) ThrowTrap(TrapCode.IndirectCallTypeMismatch);
        return function;
    }

    /// <summary>"undefined element 7" / "uninitialized element 7": the spec's wording, then the table index.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowElementTrap(TrapCode code, int index) =>
        throw new TrapException(code, $"{TrapException.DefaultMessage(code)} {(uint)index}");

    public static RefValue TableGet(int index, Table table)
    {
        var elements = table.Elements;
        if ((uint)index >= (uint)elements.Length) ThrowTrap(TrapCode.OutOfBoundsTableAccess);
        return elements[index];
    }

    public static void TableSet(int index, RefValue value, Table table)
    {
        var elements = table.Elements;
        if ((uint)index >= (uint)elements.Length) ThrowTrap(TrapCode.OutOfBoundsTableAccess);
        elements[index] = value;
    }

    public static int TableSize(Table table) => table.Elements.Length;

    public static int TableGrow(RefValue init, int delta, Table table) => table.GrowCore((uint)delta, init);

    public static void TableFill(int index, RefValue value, int count, Table table)
    {
        var elements = table.Elements;
        if ((ulong)(uint)index + (uint)count > (ulong)elements.Length) ThrowTrap(TrapCode.OutOfBoundsTableAccess);
        Array.Fill(elements, value, index, count);
    }

    public static void TableCopy(int destination, int source, int count, Table destinationTable, Table sourceTable)
    {
        var d = destinationTable.Elements;
        var s = sourceTable.Elements;
        if ((ulong)(uint)destination + (uint)count > (ulong)d.Length || (ulong)(uint)source + (uint)count > (ulong)s.Length)
            ThrowTrap(TrapCode.OutOfBoundsTableAccess);
        Array.Copy(s, source, d, destination, count); // Array.Copy handles overlap within one array
    }

    public static void TableInit(int destination, int source, int count, Table table, Instance instance, int segment) =>
        instance.InitializeTable(table, segment, (uint)destination, (uint)source, (uint)count);

    public static void ElemDrop(Instance instance, int segment) => instance.DropElementSegment(segment);

    public static RefValue RefFunc(Instance instance, int functionIndex) => RefValue.Wrap(instance.GetFunction((uint)functionIndex));

    // ---------------- hooks ----------------

    public static void OnGlobalSet(int value, Instance instance, int globalIndex) =>
        instance.GlobalSetHook?.Invoke(instance, (uint)globalIndex, value);
}
