using Strand.Binary;

namespace Strand.Threads;

/// <summary>
/// Which memory holds the shadow stack in a module with several memories (multi-memory): the one that the code
/// addresses through <c>__stack_pointer</c>. LLVM's frames are addressed through the stack-pointer global or through a
/// local copied from it (the frame pointer): <c>global.get $sp; i32.const N; i32.sub; local.tee $fp</c>, then
/// <c>local.get $fp; i32.load offset=K</c> or <c>local.get $fp; (one value); i32.store</c>. The memory index of every
/// such access is collected; exactly one index is the stack's memory.
/// </summary>
internal static class StackMemory
{
    /// <summary>The outcome: the memory index, and how it was decided (a sentence for the notes), or null when it cannot be told.</summary>
    internal readonly record struct Choice(uint? Index, string Reason);

    /// <summary>
    /// Chooses the stack's memory. One memory (or none): memory 0. Several: the memory the code addresses through the
    /// stack-pointer global <paramref name="stackPointer"/> (found by name: export, name section or import), else, when the
    /// code does not tell, the only shared memory; else null (a thread group then refuses to place stacks).
    /// </summary>
    public static Choice Choose(ModuleDefinition module, uint? stackPointer)
    {
        if (module.TotalMemoryCount <= 1) return new Choice(0, "the module's only memory");
        var addressed = stackPointer is { } sp ? AddressedThrough(module, sp) : [];
        if (addressed.Count == 1)
        {
            uint index = addressed.First();
            return new Choice(index, $"memory {index}: the code addresses its stack frames through __stack_pointer there");
        }
        var shared = new List<uint>();
        for (uint m = 0; m < module.TotalMemoryCount; m++)
            if (module.GetMemoryType(m).Shared) shared.Add(m);
        if (addressed.Count > 1)
            return new Choice(null, $"the code addresses memories {string.Join(", ", addressed.Order())} through __stack_pointer: which one holds the shadow stack cannot be told");
        if (stackPointer is null && shared.Count == 1)
            return new Choice(shared[0], $"memory {shared[0]}: the module's only shared memory (no stack pointer found)");
        if (stackPointer is null && shared.Count == 0)
            return new Choice(0, "memory 0 (no stack pointer found, no shared memory)");
        return new Choice(null, stackPointer is null
            ? $"the module has {shared.Count} shared memories and no stack pointer: which memory the threads share cannot be told"
            : $"no code addresses memory through __stack_pointer (global {stackPointer}): which of the {module.TotalMemoryCount} memories holds the shadow stack cannot be told");
    }

    /// <summary>The memory indices of loads and stores whose address comes from global <paramref name="sp"/> or a local copied from it.</summary>
    private static HashSet<uint> AddressedThrough(ModuleDefinition module, uint sp)
    {
        var result = new HashSet<uint>();
        var code = new List<Instruction>();
        var frameLocals = new HashSet<uint>();
        for (int b = 0; b < module.Bodies.Count; b++)
        {
            code.Clear();
            frameLocals.Clear();
            try
            {
                var body = module.Bodies[b];
                var reader = WasmReader.ForCode(module, body.CodeStart, body.CodeEnd);
                while (!reader.AtEnd)
                {
                    InstructionDecoder.Read(reader, out var ins);
                    code.Add(ins);
                }
            }
            catch (Exception e) when (e is WasmFormatException or WasmUnsupportedException)
            {
                continue;
            }
            for (int i = 0; i < code.Count; i++)
            {
                var ins = code[i];
                // A local set from the stack pointer within the last three instructions (global.get; i32.const; i32.sub; local.tee).
                if (ins.Opcode is Opcode.LocalSet or Opcode.LocalTee)
                {
                    for (int k = Math.Max(0, i - 3); k < i; k++)
                        if (IsFrameAddress(code[k], sp, frameLocals)) frameLocals.Add(ins.Index);
                }
                if (!IsPlainAccess(ins.Opcode, out bool store)) continue;
                // A load's address is the previous instruction; a store's is the one before its value (a single push).
                int at = store ? i - 2 : i - 1;
                if (at < 0) continue;
                if (store && !PushesOne(code[i - 1].Opcode)) continue;
                if (IsFrameAddress(code[at], sp, frameLocals)) result.Add(ins.Memory);
            }
        }
        return result;
    }

    private static bool IsFrameAddress(Instruction ins, uint sp, HashSet<uint> frameLocals) =>
        (ins.Opcode == Opcode.GlobalGet && ins.Index == sp) || (ins.Opcode == Opcode.LocalGet && frameLocals.Contains(ins.Index));

    private static bool PushesOne(Opcode op) =>
        op is Opcode.LocalGet or Opcode.GlobalGet or Opcode.I32Const or Opcode.I64Const or Opcode.F32Const or Opcode.F64Const;

    private static bool IsPlainAccess(Opcode op, out bool store)
    {
        store = op is >= Opcode.I32Store and <= Opcode.I64Store32;
        return op is >= Opcode.I32Load and <= Opcode.I64Store32;
    }
}
