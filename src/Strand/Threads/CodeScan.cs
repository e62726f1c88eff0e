using Strand.Binary;

namespace Strand.Threads;

/// <summary>
/// One pass over every function body of a module, collecting the code patterns <see cref="ModuleLayout"/> uses
/// as evidence: how each mutable i32 global is used (LLVM's frame allocation
/// <c>global.get g; i32.const N; i32.sub</c>, base-plus-constant addressing <c>global.get g; i32.const k; i32.add</c>,
/// writes and where their value comes from), the highest constant address the code loads or stores, and functions
/// with the shape of <c>__wasm_init_tls</c> (<c>local.get 0; global.set g</c> and a <c>memory.init</c> of a passive
/// segment at that base). Nothing is executed; bodies that do not decode are skipped and counted.
/// </summary>
internal sealed class CodeScan
{
    /// <summary>What the code does with one global.</summary>
    internal sealed class GlobalUse
    {
        /// <summary>Functions that allocate a frame on it and write it back: <c>global.get g; i32.const N; i32.sub</c> ... <c>global.set g</c>.</summary>
        public int FrameFunctions;
        /// <summary>Functions that compute <c>g - N</c> (N &lt;= 128) but never write g: LLVM leaf functions using the red zone.</summary>
        public int RedZoneLeaves;
        /// <summary>Largest N of a red-zone leaf.</summary>
        public uint LargestRedZoneFrame;
        /// <summary>Largest constant N of any <c>g - N</c>.</summary>
        public uint LargestFrame;
        /// <summary><c>global.get g; i32.const k; i32.add</c> occurrences (base + constant offset: TLS-style addressing).</summary>
        public int BasePlusConstant;
        /// <summary>Largest k of those.</summary>
        public uint LargestBaseOffset;
        /// <summary>Writes whose value is a function's first parameter (<c>local.get 0; global.set g</c>, __wasm_init_tls's shape).</summary>
        public int ParameterWrites;
        /// <summary>Every other write of g, outside the thread entry point.</summary>
        public int OtherWrites;
        /// <summary>Writes of g in the thread entry point <c>wasi_thread_start</c> (which sets up the new thread's globals).</summary>
        public int EntryWrites;
        /// <summary>Functions that write g.</summary>
        public int WritingFunctions;
        /// <summary><c>global.get g</c> occurrences.</summary>
        public int Reads;
    }

    /// <summary>A function shaped like <c>__wasm_init_tls(ptr)</c>: sets a global from its parameter and <c>memory.init</c>s a segment there.</summary>
    internal sealed record InitTlsShape(uint FunctionIndex, uint BaseGlobal, uint Segment);

    public Dictionary<uint, GlobalUse> Globals { get; } = [];
    public List<InitTlsShape> InitTlsCandidates { get; } = [];
    /// <summary>Highest end (exclusive) of a load or store at a constant address, per function-free scan; null if none.</summary>
    public List<(ulong Start, ulong End, uint Memory)> ConstantAccesses { get; } = [];
    /// <summary>Global indices written by each function (function index → globals), for <c>wasi_thread_start</c>.</summary>
    public Dictionary<uint, HashSet<uint>> WritesByFunction { get; } = [];
    /// <summary>Direct calls made by the thread entry point (<see cref="ThreadEntry"/>), the only function whose callees the layout asks for.</summary>
    public Dictionary<uint, HashSet<uint>> CallsByFunction { get; } = [];
    public int UndecodableBodies { get; private set; }

    public GlobalUse Use(uint global) => Globals.TryGetValue(global, out var u) ? u : Globals[global] = new GlobalUse();

    /// <summary>The function exported as <c>wasi_thread_start</c>, if any.</summary>
    public uint? ThreadEntry { get; private init; }

    public static CodeScan Run(ModuleDefinition module)
    {
        var scan = new CodeScan
        {
            ThreadEntry = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Function && e.Name == "wasi_thread_start")?.Index,
        };
        var code = new List<Instruction>();
        var reader = WasmReader.ForCode(module, 0, 0); // one reader, moved from body to body
        for (int b = 0; b < module.Bodies.Count; b++)
        {
            uint function = (uint)(module.ImportedFunctionCount + b);
            code.Clear();
            try
            {
                var body = module.Bodies[b];
                reader.End = body.CodeEnd;
                reader.Position = body.CodeStart;
                while (!reader.AtEnd)
                {
                    InstructionDecoder.Read(reader, out var ins);
                    code.Add(ins);
                }
            }
            catch (Exception e) when (e is WasmFormatException or WasmUnsupportedException)
            {
                scan.UndecodableBodies++;
                continue;
            }
            scan.ScanFunction(module, function, code);
        }
        return scan;
    }

    private void ScanFunction(ModuleDefinition module, uint function, List<Instruction> code)
    {
        // Per function: which globals it subtracts a constant from, and which it writes.
        Dictionary<uint, uint>? subtracted = null;
        HashSet<uint>? written = null;
        for (int i = 0; i < code.Count; i++)
        {
            var ins = code[i];
            if (ins.Opcode == Opcode.GlobalGet) Use(ins.Index).Reads++;
            switch (ins.Opcode)
            {
                case Opcode.GlobalGet when i + 2 < code.Count && code[i + 1].Opcode == Opcode.I32Const:
                {
                    uint k = (uint)code[i + 1].I32;
                    if (code[i + 2].Opcode == Opcode.I32Sub && k > 0 && k < 0x8000_0000 && k % 16 == 0) // wasm32 frames are 16-byte aligned
                    {
                        subtracted ??= [];
                        subtracted[ins.Index] = Math.Max(subtracted.GetValueOrDefault(ins.Index), k);
                    }
                    else if (code[i + 2].Opcode == Opcode.I32Add && k < 0x8000_0000)
                    {
                        var use = Use(ins.Index);
                        use.BasePlusConstant++;
                        use.LargestBaseOffset = Math.Max(use.LargestBaseOffset, k);
                    }
                    break;
                }
                case Opcode.GlobalSet:
                {
                    var use = Use(ins.Index);
                    if (function == ThreadEntry) use.EntryWrites++;
                    else if (i > 0 && code[i - 1].Opcode == Opcode.LocalGet && code[i - 1].Index == 0 && HasParameter(module, function)) use.ParameterWrites++;
                    else use.OtherWrites++;
                    (written ??= []).Add(ins.Index);
                    break;
                }
                case Opcode.Call when function == ThreadEntry:
                    if (!CallsByFunction.TryGetValue(function, out var calls)) CallsByFunction[function] = calls = [];
                    calls.Add(ins.Index);
                    break;
                case Opcode.MemoryInit when i >= 3:
                {
                    // dst is the function's parameter or a global it sets from it: __wasm_init_tls(ptr).
                    var dst = code[i - 3];
                    uint? baseGlobal = null;
                    if (dst.Opcode == Opcode.GlobalGet) baseGlobal = dst.Index;
                    else if (dst.Opcode == Opcode.LocalGet && dst.Index == 0 && HasParameter(module, function))
                    {
                        for (int j = 0; j + 1 < code.Count; j++)
                            if (code[j].Opcode == Opcode.LocalGet && code[j].Index == 0 && code[j + 1].Opcode == Opcode.GlobalSet)
                                baseGlobal = code[j + 1].Index;
                    }
                    // __wasm_init_tls is (i32) -> (): the host calls it that way.
                    if (baseGlobal is { } g && IsInitTlsType(module, function) && SetsFromParameter(module, function, code, g))
                        InitTlsCandidates.Add(new InitTlsShape(function, g, ins.Index));
                    break;
                }
                default:
                    if (AccessWidth(ins) is { } width && Operands(ins.Opcode) is var n && i >= n && AllConst(code, i - n, i))
                    {
                        // The address is the first operand; only when every operand is a constant is it known to be that one.
                        ulong start = (ulong)(uint)code[i - n].I32 + ins.MemOffset;
                        ConstantAccesses.Add((start, start + width, ins.Memory));
                    }
                    break;
            }
        }

        if (written is not null)
        {
            WritesByFunction[function] = written;
            foreach (var g in written) Use(g).WritingFunctions++;
        }
        if (subtracted is not null)
        {
            foreach (var (g, n) in subtracted)
            {
                var use = Use(g);
                use.LargestFrame = Math.Max(use.LargestFrame, n);
                if (written?.Contains(g) == true) use.FrameFunctions++;
                else if (n <= ModuleLayout.RedZoneSize)
                {
                    use.RedZoneLeaves++;
                    use.LargestRedZoneFrame = Math.Max(use.LargestRedZoneFrame, n);
                }
            }
        }
    }

    private static bool HasParameter(ModuleDefinition module, uint function)
    {
        try
        {
            var type = module.GetFunctionType(function);
            return type.Params.Length >= 1 && type.Params[0] == ValType.I32;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static bool IsInitTlsType(ModuleDefinition module, uint function)
    {
        try
        {
            var type = module.GetFunctionType(function);
            return type.Params.Length == 1 && type.Params[0] == ValType.I32 && type.Results.Length == 0;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static bool SetsFromParameter(ModuleDefinition module, uint function, List<Instruction> code, uint global)
    {
        if (!HasParameter(module, function)) return false;
        for (int j = 0; j + 1 < code.Count; j++)
            if (code[j].Opcode == Opcode.LocalGet && code[j].Index == 0 && code[j + 1].Opcode == Opcode.GlobalSet && code[j + 1].Index == global)
                return true;
        return false;
    }

    private static bool AllConst(List<Instruction> code, int from, int to)
    {
        for (int j = from; j < to; j++)
            if (code[j].Opcode is not (Opcode.I32Const or Opcode.I64Const or Opcode.F32Const or Opcode.F64Const)) return false;
        return true;
    }

    /// <summary>Operands of a memory access: 1 for loads, 2 for stores and read-modify-writes, 3 for cmpxchg.</summary>
    private static int Operands(Opcode op) => op switch
    {
        >= Opcode.I32Load and <= Opcode.I64Load32U => 1,
        >= Opcode.I32Store and <= Opcode.I64Store32 => 2,
        >= Opcode.I32AtomicLoad and <= (Opcode)0xFE16 => 1,
        >= (Opcode)0xFE48 and <= (Opcode)0xFE4E => 3,
        _ => 2,
    };

    /// <summary>Bytes a load or store touches (null for other instructions).</summary>
    private static uint? AccessWidth(in Instruction ins) => ins.Opcode switch
    {
        Opcode.I32Load8S or Opcode.I32Load8U or Opcode.I64Load8S or Opcode.I64Load8U or Opcode.I32Store8 or Opcode.I64Store8 => 1,
        Opcode.I32Load16S or Opcode.I32Load16U or Opcode.I64Load16S or Opcode.I64Load16U or Opcode.I32Store16 or Opcode.I64Store16 => 2,
        Opcode.I32Load or Opcode.F32Load or Opcode.I64Load32S or Opcode.I64Load32U or Opcode.I32Store or Opcode.F32Store or Opcode.I64Store32 => 4,
        Opcode.I64Load or Opcode.F64Load or Opcode.I64Store or Opcode.F64Store => 8,
        // Atomic accesses must be naturally aligned, so the alignment is the width.
        >= Opcode.I32AtomicLoad and <= (Opcode)0xFE4E when ins.Align < 4 => 1u << (int)ins.Align,
        _ => null,
    };
}
