using System.Numerics;
using System.Runtime.CompilerServices;
using Strand.Runtime;

namespace Strand.Interpreter;

/// <summary>
/// Runs <see cref="InterpretedFunction"/>s (docs/interpreter.md). One method, <see cref="Execute"/>, runs one activation
/// over the thread's value stack (<see cref="ValueStack"/>); calls to other interpreted functions recurse into it (the
/// native stack is checked at every entry, so deep recursion traps "call stack exhausted" as compiled code does), calls
/// to compiled code, imports and host functions go through a per-signature call-out (<see cref="InterpreterStubs"/>).
/// Every trap is the compiled code's: the same <see cref="TrapException"/> codes, from the same helpers where one exists
/// (<see cref="WasmOps"/>).
/// </summary>
internal static unsafe class Interpreter
{
    /// <summary>
    /// The defined index of the function a compiled caller is about to enter through an entry thunk: set by
    /// <see cref="InterpreterTier.CallTarget"/> just before it returns the thunk's address to a call that jumps to it
    /// at once, read by <see cref="EnterFromCompiled"/>. Nothing runs on the thread in between.
    /// </summary>
    [ThreadStatic] internal static int PendingFunction;

    /// <summary>
    /// Entry from compiled code (the entry thunks): <paramref name="values"/> holds the arguments (one slot each) and
    /// receives the results. The function is <see cref="PendingFunction"/> of <paramref name="context"/>'s module.
    /// </summary>
    public static void EnterFromCompiled(object context, nint values)
    {
        int definedIndex = PendingFunction;
        var instance = Unsafe.As<Instance>(context);
        var tier = instance.Module.Compiled.FirstTier as InterpreterTier
            ?? throw new InvalidOperationException("an interpreter entry in a module without the interpreter");
        var function = tier.Translation(definedIndex)!;
        var stack = ValueStack.Current;
        ulong* saved = stack.Top;
        var segment = stack.Reserve(function.FrameSlots);
        byte* savedLimit = stack.NativeLimit;
        if (savedLimit == null) stack.NativeLimit = (byte*)&definedIndex - ValueStack.NativeBudget; // the outermost entry
        try
        {
            ulong* fp = stack.Top;
            ulong* args = (ulong*)values;
            for (int i = 0; i < function.ParamCount; i++) fp[i] = args[i];
            Execute(instance, tier, function, fp, stack);
            for (int i = 0; i < function.ResultCount; i++) args[i] = fp[i];
        }
        finally
        {
            stack.Release(segment, saved);
            stack.NativeLimit = savedLimit;
        }
    }

    /// <summary>
    /// Runs <paramref name="f"/> with its frame at <paramref name="fp"/> (parameters in place; room for
    /// <see cref="InterpretedFunction.FrameSlots"/> below the segment's end); leaves its results at <paramref name="fp"/>.
    /// </summary>
    [SkipLocalsInit, MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Execute(Instance instance, InterpreterTier tier, InterpretedFunction f, ulong* fp, ValueStack stack)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) WasmOps.ThrowCallStackExhausted();
        var signal = instance.Signal;
        if (Volatile.Read(ref signal.Requested) != 0) WasmOps.ThrowInterrupted();
        for (int i = f.ParamCount; i < f.LocalCount; i++) fp[i] = 0;
        var memory = instance.Memory0;
        byte* mem = memory is null ? null : (byte*)memory.BaseAddress;
        var globals = instance.Globals;
        int iterations = 0;
        fixed (int* code = f.Code)
        {
            int* pc = code;
            ulong* sp = fp + f.LocalCount;
            while (true)
            {
                switch (*pc++)
                {
                    // ---------------------------------------------------------------- control
                    case Op.Unreachable: ThrowUnreachable(); break;
                    case Op.Jump: pc = code + *pc; break;
                    case Op.JumpIfZero:
                        if ((uint)*--sp == 0) pc = code + *pc; else pc++;
                        break;
                    case Op.JumpIfNotZero:
                        if ((uint)*--sp != 0) pc = code + *pc; else pc++;
                        break;
                    case Op.Branch:
                        sp = Unwind(fp + f.LocalCount, sp, pc[1], pc[2]);
                        pc = code + *pc;
                        break;
                    case Op.BranchIf:
                        if ((uint)*--sp != 0)
                        {
                            sp = Unwind(fp + f.LocalCount, sp, pc[1], pc[2]);
                            pc = code + *pc;
                        }
                        else pc += 3;
                        break;
                    case Op.BranchTable:
                    {
                        uint index = (uint)*--sp;
                        uint count = (uint)*pc;
                        int* entry = pc + 1 + 3 * (int)Math.Min(index, count);
                        if (*entry < 0) goto case Op.Return;
                        sp = Unwind(fp + f.LocalCount, sp, entry[1], entry[2]);
                        pc = code + *entry;
                        break;
                    }
                    case Op.LoopHead:
                        if (Volatile.Read(ref signal.Requested) != 0) WasmOps.ThrowInterrupted();
                        if (++iterations >= tier.LoopCheckInterval)
                        {
                            int loop = *pc;
                            iterations = 0;
                            if (tier.OnHotLoop(instance, f, loop, fp, sp, stack, out int resume, out ulong* newSp))
                            {
                                // The loop ran to an exit in compiled code: continue where it left.
                                sp = newSp;
                                if (resume < 0) goto case Op.Return;
                                pc = code + resume;
                                break;
                            }
                        }
                        pc++;
                        break;
                    case Op.Return:
                    {
                        int n = f.ResultCount;
                        for (int i = 0; i < n; i++) fp[i] = sp[i - n];
                        return;
                    }
                    case Op.Call:
                        sp = Call(instance, tier, *pc++, sp, stack);
                        break;
                    case Op.CallIndirect:
                        sp = CallIndirect(instance, tier, pc[0], pc[1], sp, stack);
                        pc += 2;
                        break;
                    case Op.Drop: sp--; break;
                    case Op.Select:
                        sp -= 2;
                        if ((uint)sp[1] == 0) sp[-1] = sp[0];
                        break;

                    // ---------------------------------------------------------------- variables and constants
                    case Op.LocalGet: *sp++ = fp[*pc++]; break;
                    case Op.LocalSet: fp[*pc++] = *--sp; break;
                    case Op.LocalTee: fp[*pc++] = sp[-1]; break;
                    case Op.GlobalGetI32: *sp++ = (uint)globals[*pc++].I32; break;
                    case Op.GlobalGetI64: *sp++ = (ulong)globals[*pc++].I64; break;
                    case Op.GlobalGetF32: *sp++ = BitConverter.SingleToUInt32Bits(globals[*pc++].F32); break;
                    case Op.GlobalGetF64: *sp++ = BitConverter.DoubleToUInt64Bits(globals[*pc++].F64); break;
                    case Op.GlobalSetI32:
                    {
                        int g = *pc++;
                        int value = (int)*--sp;
                        // The threads layer's hook (shadow-stack checks), as compiled code calls it (FunctionCompiler.GlobalSet).
                        if (instance.GlobalSetHook is not null) OnGlobalSet(value, instance, g);
                        globals[g].I32 = value;
                        break;
                    }
                    case Op.GlobalSetI64: globals[*pc++].I64 = (long)*--sp; break;
                    case Op.GlobalSetF32: globals[*pc++].F32 = BitConverter.UInt32BitsToSingle((uint)*--sp); break;
                    case Op.GlobalSetF64: globals[*pc++].F64 = BitConverter.UInt64BitsToDouble(*--sp); break;
                    case Op.Const32: *sp++ = (uint)*pc++; break;
                    case Op.Const64: *sp++ = (uint)pc[0] | ((ulong)(uint)pc[1] << 32); pc += 2; break;

                    // ---------------------------------------------------------------- memory
                    case 0x28: sp[-1] = Unsafe.ReadUnaligned<uint>(Address(memory, mem, sp[-1], *pc++, 4)); break;
                    case 0x29: sp[-1] = Unsafe.ReadUnaligned<ulong>(Address(memory, mem, sp[-1], *pc++, 8)); break;
                    case 0x2A: sp[-1] = Unsafe.ReadUnaligned<uint>(Address(memory, mem, sp[-1], *pc++, 4)); break;
                    case 0x2B: sp[-1] = Unsafe.ReadUnaligned<ulong>(Address(memory, mem, sp[-1], *pc++, 8)); break;
                    case 0x2C: sp[-1] = (uint)(int)*(sbyte*)Address(memory, mem, sp[-1], *pc++, 1); break;
                    case 0x2D: sp[-1] = *Address(memory, mem, sp[-1], *pc++, 1); break;
                    case 0x2E: sp[-1] = (uint)(int)Unsafe.ReadUnaligned<short>(Address(memory, mem, sp[-1], *pc++, 2)); break;
                    case 0x2F: sp[-1] = Unsafe.ReadUnaligned<ushort>(Address(memory, mem, sp[-1], *pc++, 2)); break;
                    case 0x30: sp[-1] = (ulong)(long)*(sbyte*)Address(memory, mem, sp[-1], *pc++, 1); break;
                    case 0x31: sp[-1] = *Address(memory, mem, sp[-1], *pc++, 1); break;
                    case 0x32: sp[-1] = (ulong)(long)Unsafe.ReadUnaligned<short>(Address(memory, mem, sp[-1], *pc++, 2)); break;
                    case 0x33: sp[-1] = Unsafe.ReadUnaligned<ushort>(Address(memory, mem, sp[-1], *pc++, 2)); break;
                    case 0x34: sp[-1] = (ulong)(long)Unsafe.ReadUnaligned<int>(Address(memory, mem, sp[-1], *pc++, 4)); break;
                    case 0x35: sp[-1] = Unsafe.ReadUnaligned<uint>(Address(memory, mem, sp[-1], *pc++, 4)); break;
                    case 0x36 or 0x38: sp -= 2; Unsafe.WriteUnaligned(Address(memory, mem, sp[0], *pc++, 4), (uint)sp[1]); break;
                    case 0x37 or 0x39: sp -= 2; Unsafe.WriteUnaligned(Address(memory, mem, sp[0], *pc++, 8), sp[1]); break;
                    case 0x3A or 0x3C: sp -= 2; *Address(memory, mem, sp[0], *pc++, 1) = (byte)sp[1]; break;
                    case 0x3B or 0x3D: sp -= 2; Unsafe.WriteUnaligned(Address(memory, mem, sp[0], *pc++, 2), (ushort)sp[1]); break;
                    case 0x3E: sp -= 2; Unsafe.WriteUnaligned(Address(memory, mem, sp[0], *pc++, 4), (uint)sp[1]); break;
                    case 0x3F or 0x40 or Op.MemoryCopy or Op.MemoryFill:
                        sp = MemoryHelper(pc[-1], sp, memory!);
                        break;

                    // Operations that call helpers: out of line, so that their temporaries do not grow this frame (a
                    // recursion of interpreted functions nests one frame of this method per call).
                    case 0x6D or 0x6E or 0x6F or 0x70 or 0x7F or 0x80 or 0x81 or 0x82 or 0x96 or 0x97 or 0xA4 or 0xA5 or 0xA8 or 0xA9 or 0xAA or 0xAB or 0xAE or 0xAF or 0xB0 or 0xB1 or 0xB3 or 0xB4 or 0xB5 or 0xB6 or 0xB8 or 0xB9 or 0xBA or Op.PrefixFC + 0 or Op.PrefixFC + 1 or Op.PrefixFC + 2 or Op.PrefixFC + 3 or Op.PrefixFC + 4 or Op.PrefixFC + 5 or Op.PrefixFC + 6 or Op.PrefixFC + 7:
                        sp = Helper(pc[-1], sp);
                        break;
                    // ---------------------------------------------------------------- i32
                    case 0x45: sp[-1] = (uint)sp[-1] == 0 ? 1UL : 0; break;
                    case 0x46: sp--; sp[-1] = (uint)sp[-1] == (uint)sp[0] ? 1UL : 0; break;
                    case 0x47: sp--; sp[-1] = (uint)sp[-1] != (uint)sp[0] ? 1UL : 0; break;
                    case 0x48: sp--; sp[-1] = (int)sp[-1] < (int)sp[0] ? 1UL : 0; break;
                    case 0x49: sp--; sp[-1] = (uint)sp[-1] < (uint)sp[0] ? 1UL : 0; break;
                    case 0x4A: sp--; sp[-1] = (int)sp[-1] > (int)sp[0] ? 1UL : 0; break;
                    case 0x4B: sp--; sp[-1] = (uint)sp[-1] > (uint)sp[0] ? 1UL : 0; break;
                    case 0x4C: sp--; sp[-1] = (int)sp[-1] <= (int)sp[0] ? 1UL : 0; break;
                    case 0x4D: sp--; sp[-1] = (uint)sp[-1] <= (uint)sp[0] ? 1UL : 0; break;
                    case 0x4E: sp--; sp[-1] = (int)sp[-1] >= (int)sp[0] ? 1UL : 0; break;
                    case 0x4F: sp--; sp[-1] = (uint)sp[-1] >= (uint)sp[0] ? 1UL : 0; break;
                    // ---------------------------------------------------------------- i64 comparisons
                    case 0x50: sp[-1] = sp[-1] == 0 ? 1UL : 0; break;
                    case 0x51: sp--; sp[-1] = sp[-1] == sp[0] ? 1UL : 0; break;
                    case 0x52: sp--; sp[-1] = sp[-1] != sp[0] ? 1UL : 0; break;
                    case 0x53: sp--; sp[-1] = (long)sp[-1] < (long)sp[0] ? 1UL : 0; break;
                    case 0x54: sp--; sp[-1] = sp[-1] < sp[0] ? 1UL : 0; break;
                    case 0x55: sp--; sp[-1] = (long)sp[-1] > (long)sp[0] ? 1UL : 0; break;
                    case 0x56: sp--; sp[-1] = sp[-1] > sp[0] ? 1UL : 0; break;
                    case 0x57: sp--; sp[-1] = (long)sp[-1] <= (long)sp[0] ? 1UL : 0; break;
                    case 0x58: sp--; sp[-1] = sp[-1] <= sp[0] ? 1UL : 0; break;
                    case 0x59: sp--; sp[-1] = (long)sp[-1] >= (long)sp[0] ? 1UL : 0; break;
                    case 0x5A: sp--; sp[-1] = sp[-1] >= sp[0] ? 1UL : 0; break;
                    // ---------------------------------------------------------------- float comparisons
                    case 0x5B: sp--; sp[-1] = F32(sp[-1]) == F32(sp[0]) ? 1UL : 0; break;
                    case 0x5C: sp--; sp[-1] = F32(sp[-1]) != F32(sp[0]) ? 1UL : 0; break;
                    case 0x5D: sp--; sp[-1] = F32(sp[-1]) < F32(sp[0]) ? 1UL : 0; break;
                    case 0x5E: sp--; sp[-1] = F32(sp[-1]) > F32(sp[0]) ? 1UL : 0; break;
                    case 0x5F: sp--; sp[-1] = F32(sp[-1]) <= F32(sp[0]) ? 1UL : 0; break;
                    case 0x60: sp--; sp[-1] = F32(sp[-1]) >= F32(sp[0]) ? 1UL : 0; break;
                    case 0x61: sp--; sp[-1] = F64(sp[-1]) == F64(sp[0]) ? 1UL : 0; break;
                    case 0x62: sp--; sp[-1] = F64(sp[-1]) != F64(sp[0]) ? 1UL : 0; break;
                    case 0x63: sp--; sp[-1] = F64(sp[-1]) < F64(sp[0]) ? 1UL : 0; break;
                    case 0x64: sp--; sp[-1] = F64(sp[-1]) > F64(sp[0]) ? 1UL : 0; break;
                    case 0x65: sp--; sp[-1] = F64(sp[-1]) <= F64(sp[0]) ? 1UL : 0; break;
                    case 0x66: sp--; sp[-1] = F64(sp[-1]) >= F64(sp[0]) ? 1UL : 0; break;
                    // ---------------------------------------------------------------- i32 arithmetic
                    case 0x67: sp[-1] = (uint)BitOperations.LeadingZeroCount((uint)sp[-1]); break;
                    case 0x68: sp[-1] = (uint)BitOperations.TrailingZeroCount((uint)sp[-1]); break;
                    case 0x69: sp[-1] = (uint)BitOperations.PopCount((uint)sp[-1]); break;
                    case 0x6A: sp--; sp[-1] = (uint)sp[-1] + (uint)sp[0]; break;
                    case 0x6B: sp--; sp[-1] = (uint)sp[-1] - (uint)sp[0]; break;
                    case 0x6C: sp--; sp[-1] = (uint)sp[-1] * (uint)sp[0]; break;
                    case 0x71: sp--; sp[-1] = (uint)sp[-1] & (uint)sp[0]; break;
                    case 0x72: sp--; sp[-1] = (uint)sp[-1] | (uint)sp[0]; break;
                    case 0x73: sp--; sp[-1] = (uint)sp[-1] ^ (uint)sp[0]; break;
                    case 0x74: sp--; sp[-1] = (uint)sp[-1] << ((int)sp[0] & 31); break;
                    case 0x75: sp--; sp[-1] = (uint)((int)sp[-1] >> ((int)sp[0] & 31)); break;
                    case 0x76: sp--; sp[-1] = (uint)sp[-1] >> ((int)sp[0] & 31); break;
                    case 0x77: sp--; sp[-1] = BitOperations.RotateLeft((uint)sp[-1], (int)sp[0] & 31); break;
                    case 0x78: sp--; sp[-1] = BitOperations.RotateRight((uint)sp[-1], (int)sp[0] & 31); break;
                    // ---------------------------------------------------------------- i64 arithmetic
                    case 0x79: sp[-1] = (ulong)BitOperations.LeadingZeroCount(sp[-1]); break;
                    case 0x7A: sp[-1] = (ulong)BitOperations.TrailingZeroCount(sp[-1]); break;
                    case 0x7B: sp[-1] = (ulong)BitOperations.PopCount(sp[-1]); break;
                    case 0x7C: sp--; sp[-1] = sp[-1] + sp[0]; break;
                    case 0x7D: sp--; sp[-1] = sp[-1] - sp[0]; break;
                    case 0x7E: sp--; sp[-1] = sp[-1] * sp[0]; break;
                    case 0x83: sp--; sp[-1] = sp[-1] & sp[0]; break;
                    case 0x84: sp--; sp[-1] = sp[-1] | sp[0]; break;
                    case 0x85: sp--; sp[-1] = sp[-1] ^ sp[0]; break;
                    case 0x86: sp--; sp[-1] = sp[-1] << ((int)sp[0] & 63); break;
                    case 0x87: sp--; sp[-1] = (ulong)((long)sp[-1] >> ((int)sp[0] & 63)); break;
                    case 0x88: sp--; sp[-1] = sp[-1] >> ((int)sp[0] & 63); break;
                    case 0x89: sp--; sp[-1] = BitOperations.RotateLeft(sp[-1], (int)sp[0] & 63); break;
                    case 0x8A: sp--; sp[-1] = BitOperations.RotateRight(sp[-1], (int)sp[0] & 63); break;
                    // ---------------------------------------------------------------- f32 arithmetic (sign operations on the bits)
                    case 0x8B: sp[-1] = (uint)sp[-1] & 0x7FFF_FFFFu; break;
                    case 0x8C: sp[-1] = (uint)sp[-1] ^ 0x8000_0000u; break;
                    case 0x8D: sp[-1] = Bits(MathF.Ceiling(F32(sp[-1]))); break;
                    case 0x8E: sp[-1] = Bits(MathF.Floor(F32(sp[-1]))); break;
                    case 0x8F: sp[-1] = Bits(MathF.Truncate(F32(sp[-1]))); break;
                    case 0x90: sp[-1] = Bits(MathF.Round(F32(sp[-1]))); break;
                    case 0x91: sp[-1] = Bits(MathF.Sqrt(F32(sp[-1]))); break;
                    case 0x92: sp--; sp[-1] = Bits(F32(sp[-1]) + F32(sp[0])); break;
                    case 0x93: sp--; sp[-1] = Bits(F32(sp[-1]) - F32(sp[0])); break;
                    case 0x94: sp--; sp[-1] = Bits(F32(sp[-1]) * F32(sp[0])); break;
                    case 0x95: sp--; sp[-1] = Bits(F32(sp[-1]) / F32(sp[0])); break;
                    case 0x98: sp--; sp[-1] = ((uint)sp[-1] & 0x7FFF_FFFFu) | ((uint)sp[0] & 0x8000_0000u); break;
                    // ---------------------------------------------------------------- f64 arithmetic
                    case 0x99: sp[-1] &= 0x7FFF_FFFF_FFFF_FFFFUL; break;
                    case 0x9A: sp[-1] ^= 0x8000_0000_0000_0000UL; break;
                    case 0x9B: sp[-1] = Bits(Math.Ceiling(F64(sp[-1]))); break;
                    case 0x9C: sp[-1] = Bits(Math.Floor(F64(sp[-1]))); break;
                    case 0x9D: sp[-1] = Bits(Math.Truncate(F64(sp[-1]))); break;
                    case 0x9E: sp[-1] = Bits(Math.Round(F64(sp[-1]))); break;
                    case 0x9F: sp[-1] = Bits(Math.Sqrt(F64(sp[-1]))); break;
                    case 0xA0: sp--; sp[-1] = Bits(F64(sp[-1]) + F64(sp[0])); break;
                    case 0xA1: sp--; sp[-1] = Bits(F64(sp[-1]) - F64(sp[0])); break;
                    case 0xA2: sp--; sp[-1] = Bits(F64(sp[-1]) * F64(sp[0])); break;
                    case 0xA3: sp--; sp[-1] = Bits(F64(sp[-1]) / F64(sp[0])); break;
                    case 0xA6: sp--; sp[-1] = (sp[-1] & 0x7FFF_FFFF_FFFF_FFFFUL) | (sp[0] & 0x8000_0000_0000_0000UL); break;
                    // ---------------------------------------------------------------- conversions
                    case 0xA7: sp[-1] = (uint)sp[-1]; break;
                    case 0xAC: sp[-1] = (ulong)(long)(int)sp[-1]; break;
                    case 0xAD: sp[-1] = (uint)sp[-1]; break;
                    case 0xB2: sp[-1] = Bits((float)(int)sp[-1]); break;
                    case 0xB7: sp[-1] = Bits((double)(int)sp[-1]); break;
                    case 0xBB: sp[-1] = Bits((double)F32(sp[-1])); break;
                    case 0xBC: case 0xBE: sp[-1] = (uint)sp[-1]; break; // reinterpretations: the bits stay
                    case 0xBD: case 0xBF: break;
                    case 0xC0: sp[-1] = (uint)(int)(sbyte)sp[-1]; break;
                    case 0xC1: sp[-1] = (uint)(int)(short)sp[-1]; break;
                    case 0xC2: sp[-1] = (ulong)(long)(sbyte)sp[-1]; break;
                    case 0xC3: sp[-1] = (ulong)(long)(short)sp[-1]; break;
                    case 0xC4: sp[-1] = (ulong)(long)(int)sp[-1]; break;
                    default:
                        ThrowBadOperation(f, (int)(pc - 1 - code), pc[-1]);
                        break;
                }
            }
        }
    }

    /// <summary>memory.size, memory.grow, memory.copy and memory.fill, out of line (see <see cref="Helper"/>); the new top.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong* MemoryHelper(int op, ulong* sp, Memory memory)
    {
        switch (op)
        {
            case 0x3F: *sp++ = (uint)WasmOps.MemorySize(memory); break;
            case 0x40:
                sp[-1] = (uint)WasmOps.MemoryGrow((int)sp[-1], memory);
                break;
            case Op.MemoryCopy:
                sp -= 3;
                WasmOps.MemoryCopy((int)sp[0], (int)sp[1], (int)sp[2], memory);
                break;
            case Op.MemoryFill:
                sp -= 3;
                WasmOps.MemoryFill((int)sp[0], (int)sp[1], (int)sp[2], memory);
                break;
        }
        return sp;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUnreachable() => throw new TrapException(TrapCode.Unreachable);

    /// <summary>The threads layer's hook, out of line (compiled code: FunctionCompiler.GlobalSet).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OnGlobalSet(int value, Instance instance, int global) => WasmOps.OnGlobalSet(value, instance, global);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadOperation(InterpretedFunction f, int word, int op) =>
        throw new InvalidOperationException($"interpreter: operation 0x{op:x2} at word {word} of defined function {f.DefinedIndex}");

    /// <summary>The operations <see cref="Execute"/> runs out of line (<paramref name="op"/> on the operands below <paramref name="sp"/>); the new top.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong* Helper(int op, ulong* sp)
    {
        switch (op)
        {
            case 0x6D: sp--; sp[-1] = (uint)WasmOps.I32DivS((int)sp[-1], (int)sp[0]); break;
            case 0x6E: sp--; sp[-1] = (uint)WasmOps.I32DivU((int)sp[-1], (int)sp[0]); break;
            case 0x6F: sp--; sp[-1] = (uint)WasmOps.I32RemS((int)sp[-1], (int)sp[0]); break;
            case 0x70: sp--; sp[-1] = (uint)WasmOps.I32RemU((int)sp[-1], (int)sp[0]); break;
            case 0x7F: sp--; sp[-1] = (ulong)WasmOps.I64DivS((long)sp[-1], (long)sp[0]); break;
            case 0x80: sp--; sp[-1] = (ulong)WasmOps.I64DivU((long)sp[-1], (long)sp[0]); break;
            case 0x81: sp--; sp[-1] = (ulong)WasmOps.I64RemS((long)sp[-1], (long)sp[0]); break;
            case 0x82: sp--; sp[-1] = (ulong)WasmOps.I64RemU((long)sp[-1], (long)sp[0]); break;
            case 0x96: sp--; sp[-1] = Bits(WasmOps.F32Min(F32(sp[-1]), F32(sp[0]))); break;
            case 0x97: sp--; sp[-1] = Bits(WasmOps.F32Max(F32(sp[-1]), F32(sp[0]))); break;
            case 0xA4: sp--; sp[-1] = Bits(WasmOps.F64Min(F64(sp[-1]), F64(sp[0]))); break;
            case 0xA5: sp--; sp[-1] = Bits(WasmOps.F64Max(F64(sp[-1]), F64(sp[0]))); break;
            case 0xA8: sp[-1] = (uint)WasmOps.I32TruncF32S(F32(sp[-1])); break;
            case 0xA9: sp[-1] = (uint)WasmOps.I32TruncF32U(F32(sp[-1])); break;
            case 0xAA: sp[-1] = (uint)WasmOps.I32TruncF64S(F64(sp[-1])); break;
            case 0xAB: sp[-1] = (uint)WasmOps.I32TruncF64U(F64(sp[-1])); break;
            case 0xAE: sp[-1] = (ulong)WasmOps.I64TruncF32S(F32(sp[-1])); break;
            case 0xAF: sp[-1] = (ulong)WasmOps.I64TruncF32U(F32(sp[-1])); break;
            case 0xB0: sp[-1] = (ulong)WasmOps.I64TruncF64S(F64(sp[-1])); break;
            case 0xB1: sp[-1] = (ulong)WasmOps.I64TruncF64U(F64(sp[-1])); break;
            case 0xB3: sp[-1] = Bits(WasmOps.F32ConvertI32U((int)sp[-1])); break;
            case 0xB4: sp[-1] = Bits(WasmOps.F32ConvertI64S((long)sp[-1])); break;
            case 0xB5: sp[-1] = Bits(WasmOps.F32ConvertI64U((long)sp[-1])); break;
            case 0xB6: sp[-1] = Bits(WasmOps.F32DemoteF64Opaque(F64(sp[-1]))); break;
            case 0xB8: sp[-1] = Bits(WasmOps.F64ConvertI32U((int)sp[-1])); break;
            case 0xB9: sp[-1] = Bits(WasmOps.F64ConvertI64S((long)sp[-1])); break;
            case 0xBA: sp[-1] = Bits(WasmOps.F64ConvertI64U((long)sp[-1])); break;
            case Op.PrefixFC + 0: sp[-1] = (uint)WasmOps.I32TruncSatF32S(F32(sp[-1])); break;
            case Op.PrefixFC + 1: sp[-1] = (uint)WasmOps.I32TruncSatF32U(F32(sp[-1])); break;
            case Op.PrefixFC + 2: sp[-1] = (uint)WasmOps.I32TruncSatF64S(F64(sp[-1])); break;
            case Op.PrefixFC + 3: sp[-1] = (uint)WasmOps.I32TruncSatF64U(F64(sp[-1])); break;
            case Op.PrefixFC + 4: sp[-1] = (ulong)WasmOps.I64TruncSatF32S(F32(sp[-1])); break;
            case Op.PrefixFC + 5: sp[-1] = (ulong)WasmOps.I64TruncSatF32U(F32(sp[-1])); break;
            case Op.PrefixFC + 6: sp[-1] = (ulong)WasmOps.I64TruncSatF64S(F64(sp[-1])); break;
            case Op.PrefixFC + 7: sp[-1] = (ulong)WasmOps.I64TruncSatF64U(F64(sp[-1])); break;
            default: throw new InvalidOperationException($"interpreter: no out-of-line operation 0x{op:x2}");
        }
        return sp;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static float F32(ulong slot) => BitConverter.UInt32BitsToSingle((uint)slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static double F64(ulong slot) => BitConverter.UInt64BitsToDouble(slot);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static ulong Bits(float value) => BitConverter.SingleToUInt32Bits(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static ulong Bits(double value) => BitConverter.DoubleToUInt64Bits(value);

    /// <summary>The host address of an access of <paramref name="size"/> bytes at <paramref name="address"/> + <paramref name="offset"/>, or the trap "out of bounds memory access".</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* Address(Memory? memory, byte* mem, ulong address, int offset, int size)
    {
        ulong effective = (ulong)(uint)address + (uint)offset;
        // The trap as a value of the expression: nothing stays live across the call, which keeps a spill slot per
        // access site out of Execute's frame.
        return effective + (uint)size <= (ulong)memory!.LengthInBytes ? mem + effective : OutOfBounds();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte* OutOfBounds()
    {
        WasmOps.ThrowOutOfBoundsMemory();
        return null;
    }

    /// <summary>Moves the top <paramref name="arity"/> values down to operand height <paramref name="height"/>; the new stack top.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong* Unwind(ulong* operands, ulong* sp, int arity, int height)
    {
        ulong* to = operands + height;
        for (int i = 0; i < arity; i++) to[i] = sp[i - arity];
        return to + arity;
    }

    /// <summary><c>call</c> of function <paramref name="function"/> with its arguments on top of <paramref name="sp"/>; the new top.</summary>
    /// <remarks>
    /// Inlined into <see cref="Execute"/> for its common case, an interpreted callee, so that interpreted recursion nests one
    /// native frame a level (its size bounds the depth a thread's stack allows); every other callee goes out of line.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong* Call(Instance instance, InterpreterTier tier, int function, ulong* sp, ValueStack stack)
    {
        int defined = function - tier.ImportedFunctionCount;
        if (defined >= 0 && Volatile.Read(ref instance.Code[defined]) == 0 && (tier.Only || stack.WithinBudget(&defined))
            && tier.ForCall(defined) is { } callee)
        {
            ulong* args = sp - callee.ParamCount;
            if (args + callee.FrameSlots <= stack.End) Execute(instance, tier, callee, args, stack);
            else stack.ExecuteOnNewSegment(instance, tier, callee, args);
            return args + callee.ResultCount;
        }
        return CallOut(instance, tier, function, sp, stack);
    }

    /// <summary><c>call</c> of an import or of a compiled function (compiling it if it has no code yet); the new top.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong* CallOut(Instance instance, InterpreterTier tier, int function, ulong* sp, ValueStack stack)
    {
        int defined = function - tier.ImportedFunctionCount;
        var type = tier.FunctionTypes[function];
        ulong* args = sp - type.Params.Length;
        if (defined < 0)
        {
            var import = instance.Functions[function]!;
            stack.Top = sp;
            tier.CallOutOf(function)(FunctionReference.EntryOf(import), import.Context, (nint)args);
            return args + type.Results.Length;
        }
        // Call's check found no code and the function not (or no longer) to be interpreted, or the interpreter's native
        // stack budget spent (ValueStack.NativeBudget).
        nint code = Volatile.Read(ref instance.Code[defined]);
        if (code == 0) code = instance.Module.Compiled.GetCode(defined);
        stack.Top = sp;
        tier.CallOutOf(function)(code, instance, (nint)args);
        return args + type.Results.Length;
    }

    /// <summary><c>call_indirect</c> through table <paramref name="table"/> with type <paramref name="typeIndex"/>; the new top.</summary>
    private static ulong* CallIndirect(Instance instance, InterpreterTier tier, int typeIndex, int table, ulong* sp, ValueStack stack)
    {
        int index = (int)*--sp;
        var function = WasmOps.ResolveIndirect(index, instance.Tables[table], instance.TypeIds[typeIndex]);
        var type = instance.Module.Definition.Types[typeIndex];
        ulong* args = sp - type.Params.Length;
        stack.Top = sp;
        var callOut = tier.CallOutOfType(typeIndex);
        callOut(FunctionReference.EntryOf(function), function.Context, (nint)args);
        return args + type.Results.Length;
    }
}
