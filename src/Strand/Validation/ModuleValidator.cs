using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Validates a decoded module against the WebAssembly 2.0 rules plus the threads proposal
/// (shared memories and atomic instructions), memory64/table64, multi-memory and extended constant expressions. SIMD is not supported: any v128 use throws
/// <see cref="WasmUnsupportedException"/>.
/// </summary>
public static class ModuleValidator
{
    /// <summary>The largest memory, in 64 KiB pages (4 GiB).</summary>
    public const uint MaxMemoryPages = 65536;
    /// <summary>The largest 64-bit memory (memory64), in 64 KiB pages: 2^48 (2^64 bytes).</summary>
    public const ulong MaxMemory64Pages = 1UL << 48;

    private static readonly FuncType EmptyType = new([], []);
    private static readonly Dictionary<ValType, FuncType> SingleResultTypes = new()
    {
        [ValType.I32] = new([], [ValType.I32]),
        [ValType.I64] = new([], [ValType.I64]),
        [ValType.F32] = new([], [ValType.F32]),
        [ValType.F64] = new([], [ValType.F64]),
        [ValType.V128] = new([], [ValType.V128]),
        [ValType.FuncRef] = new([], [ValType.FuncRef]),
        [ValType.ExternRef] = new([], [ValType.ExternRef]),
        [ValType.ExnRef] = new([], [ValType.ExnRef]),
    };

    /// <summary>
    /// Throws <see cref="WasmValidationException"/> (with the spec test suite's wording as
    /// <see cref="WasmValidationException.Reason"/>) when the module is invalid.
    /// </summary>
    public static void Validate(ModuleDefinition module) => Validate(module, null);

    /// <summary>As <see cref="Validate(ModuleDefinition)"/>, reporting the number of function bodies validated so far (from any thread).</summary>
    internal static void Validate(ModuleDefinition module, Action<int>? bodiesValidated)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module.Bodies.Count != module.FunctionTypeIndices.Count)
            throw new WasmFormatException(0, "function and code section have inconsistent lengths");

        var context = BuildContext(module);

        foreach (var import in module.Imports)
        {
            switch (import.Kind)
            {
                case ExternalKind.Table: CheckTableType(import.Table!); break;
                case ExternalKind.Memory: CheckMemoryType(import.Memory!); break;
            }
        }

        foreach (var global in module.Globals)
            CheckConstantExpression(module, context, global.Init, global.Type.Type);
        foreach (var table in module.Tables) CheckTableType(table);
        foreach (var memory in module.Memories) CheckMemoryType(memory);
        foreach (var segment in module.Elements) CheckElementSegment(module, context, segment);
        foreach (var segment in module.Data) CheckDataSegment(module, context, segment);

        ValidateBodies(module, context, bodiesValidated);

        if (module.StartFunction is { } start)
        {
            if (start >= (uint)context.FunctionTypes.Length) throw new WasmValidationException($"unknown function {start}", 0);
            var type = context.FunctionTypes[start];
            if (type.Params.Length != 0 || type.Results.Length != 0) throw new WasmValidationException("start function", 0);
        }

        CheckExports(module, context);

    }

    /// <summary>
    /// Validates every function body, on all cores for a big module (bodies are independent; the context is only read).
    /// The error reported is the one of the lowest-numbered invalid function, as a sequential pass would report.
    /// </summary>
    private static void ValidateBodies(ModuleDefinition module, ModuleContext context, Action<int>? bodiesValidated)
    {
        int count = module.Bodies.Count;
        int validated = 0;
        void ValidateOne(int i)
        {
            uint functionIndex = (uint)(module.ImportedFunctionCount + i);
            FunctionValidator.Validate(module, context, functionIndex, context.FunctionTypes[functionIndex], module.Bodies[i]);
        }
        if (count < 256 || Environment.ProcessorCount == 1)
        {
            for (int i = 0; i < count; i++)
            {
                ValidateOne(i);
                if (bodiesValidated is not null && (i % 64 == 63 || i == count - 1)) bodiesValidated(i + 1);
            }
            return;
        }
        // Batches of consecutive bodies; Break(i) still runs every batch below i, so the lowest failure is found.
        const int Batch = 64;
        var failures = new Exception?[(count + Batch - 1) / Batch];
        Parallel.For(0, failures.Length, (b, state) =>
        {
            for (int i = b * Batch; i < Math.Min(count, (b + 1) * Batch); i++)
            {
                try { ValidateOne(i); }
                catch (Exception e)
                {
                    failures[b] = e;
                    state.Break();
                    return;
                }
            }
            int done = Interlocked.Add(ref validated, Math.Min(count, (b + 1) * Batch) - b * Batch);
            bodiesValidated?.Invoke(done);
        });
        foreach (var failure in failures)
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// The signature of a block, loop or if: [] -> [] for the empty type, [] -> [t] for a value
    /// type, and the module's type for a type index. Throws <see cref="WasmValidationException"/>
    /// ("unknown type") for a bad type index.
    /// </summary>
    public static FuncType ResolveBlockType(ModuleDefinition module, BlockType blockType, int offset = 0)
    {
        switch (blockType.Kind)
        {
            case BlockTypeKind.Empty:
                return EmptyType;
            case BlockTypeKind.Value:
                return SingleResultTypes.TryGetValue(blockType.Value, out var single)
                    ? single
                    : throw new WasmFormatException(offset, "malformed block type");
            default:
                if (blockType.TypeIndex >= (uint)module.Types.Count)
                    throw new WasmValidationException($"unknown type {blockType.TypeIndex}", offset);
                return module.Types[(int)blockType.TypeIndex];
        }
    }

    /// <summary>A tag's type (exception handling): a function type with no results.</summary>
    private static FuncType TagType(ModuleDefinition module, uint typeIndex)
    {
        var type = TypeAt(module, typeIndex);
        if (type.Results.Length != 0) throw new WasmValidationException("non-empty tag result type", 0);
        return type;
    }

    private static FuncType TypeAt(ModuleDefinition module, uint typeIndex)
    {
        if (typeIndex >= (uint)module.Types.Count) throw new WasmValidationException($"unknown type {typeIndex}", 0);
        return module.Types[(int)typeIndex];
    }

    internal static ModuleContext BuildContext(ModuleDefinition module)
    {
        var functions = new List<FuncType>();
        var tables = new List<TableType>();
        var globals = new List<GlobalType>();
        var tags = new List<FuncType>();
        foreach (var import in module.Imports)
        {
            switch (import.Kind)
            {
                case ExternalKind.Tag:
                    tags.Add(TagType(module, import.TagTypeIndex));
                    break;
                case ExternalKind.Function:
                    functions.Add(TypeAt(module, import.FunctionTypeIndex));
                    break;
                case ExternalKind.Table:
                    tables.Add(import.Table!);
                    break;
                case ExternalKind.Global:
                    globals.Add(import.Global);
                    break;
            }
        }
        foreach (var typeIndex in module.FunctionTypeIndices) functions.Add(TypeAt(module, typeIndex));
        tables.AddRange(module.Tables);
        foreach (var typeIndex in module.Tags) tags.Add(TagType(module, typeIndex));
        foreach (var global in module.Globals)
        {
            globals.Add(global.Type);
        }

        var context = new ModuleContext
        {
            FunctionTypes = functions.ToArray(),
            Tables = tables.ToArray(),
            Globals = globals.ToArray(),
            Tags = tags.ToArray(),
            ImportedGlobalCount = module.ImportedGlobalCount,
        };

        // C.refs: function indices occurring outside function bodies and the start function.
        foreach (var global in module.Globals) AddReferencedFunctions(module, global.Init, context.DeclaredFunctions);
        foreach (var segment in module.Elements)
        {
            if (segment.FunctionIndices is { } indices)
                foreach (var index in indices) context.DeclaredFunctions.Add(index);
            if (segment.Expressions is { } expressions)
                foreach (var expression in expressions) AddReferencedFunctions(module, expression, context.DeclaredFunctions);
        }
        foreach (var export in module.Exports)
            if (export.Kind == ExternalKind.Function) context.DeclaredFunctions.Add(export.Index);
        return context;
    }

    private static void AddReferencedFunctions(ModuleDefinition module, ConstExpr expression, HashSet<uint> declared)
    {
        foreach (var ins in expression.Decode(module.Bytes))
            if (ins.Opcode == Opcode.RefFunc) declared.Add(ins.Index);
    }

    private static void CheckTableType(TableType table)
    {
        // A 32-bit table's limits are u32s and a 64-bit one's u64s (table64), so the bounds (2^32-1, 2^64-1) hold by construction.
        if (table.Limits.Max is { } max && table.Limits.Min > max)
            throw new WasmValidationException("size minimum must not be greater than maximum", 0);
    }

    private static void CheckMemoryType(MemoryType memory)
    {
        var limits = memory.Limits;
        if (limits.Is64)
        {
            if (limits.Min > MaxMemory64Pages || limits.Max > MaxMemory64Pages)
                throw new WasmValidationException("memory size must be at most 2^48 pages (2^64 bytes)", 0);
        }
        else if (limits.Min > MaxMemoryPages || limits.Max > MaxMemoryPages)
            throw new WasmValidationException("memory size must be at most 65536 pages (4GiB)", 0);
        if (limits.Max is { } max && limits.Min > max)
            throw new WasmValidationException("size minimum must not be greater than maximum", 0);
        if (limits.Shared && limits.Max is null)
            throw new WasmValidationException("shared memory must have maximum", 0);
    }

    /// <summary>
    /// Constant expressions may contain only constants, ref.null, ref.func and global.get of an
    /// imported immutable global, and must produce exactly one value of <paramref name="expected"/>.
    /// </summary>
    private static void CheckConstantExpression(ModuleDefinition module, ModuleContext context, ConstExpr expression, ValType expected)
    {
        var stack = new List<ValType>();
        foreach (var ins in expression.Decode(module.Bytes))
        {
            switch (ins.Opcode)
            {
                case Opcode.I32Const: stack.Add(ValType.I32); break;
                case Opcode.I64Const: stack.Add(ValType.I64); break;
                case Opcode.F32Const: stack.Add(ValType.F32); break;
                case Opcode.F64Const: stack.Add(ValType.F64); break;
                case Opcode.V128Const: stack.Add(ValType.V128); break;
                case Opcode.RefNull: stack.Add(ins.RefType); break;
                case Opcode.RefFunc:
                    if (ins.Index >= (uint)context.FunctionTypes.Length)
                        throw new WasmValidationException($"unknown function {ins.Index}", ins.Offset);
                    stack.Add(ValType.FuncRef);
                    break;
                case Opcode.GlobalGet:
                {
                    if (ins.Index >= (uint)context.ImportedGlobalCount)
                        throw new WasmValidationException($"unknown global {ins.Index}", ins.Offset);
                    var global = context.Globals[ins.Index];
                    if (global.Mutable) throw new WasmValidationException("constant expression required", ins.Offset);
                    stack.Add(global.Type);
                    break;
                }
                case Opcode.I32Add or Opcode.I32Sub or Opcode.I32Mul or Opcode.I64Add or Opcode.I64Sub or Opcode.I64Mul:
                {
                    // Extended constant expressions (WebAssembly 3.0): two operands of the operator's type, one result.
                    var type = ins.Opcode is Opcode.I32Add or Opcode.I32Sub or Opcode.I32Mul ? ValType.I32 : ValType.I64;
                    if (stack.Count < 2 || stack[^1] != type || stack[^2] != type)
                        throw new WasmValidationException("type mismatch", ins.Offset);
                    stack.RemoveAt(stack.Count - 1);
                    break;
                }
                default:
                    throw new WasmValidationException("constant expression required", ins.Offset);
            }
        }
        if (stack.Count != 1 || stack[0] != expected)
            throw new WasmValidationException("type mismatch", expression.Start);
    }

    private static void CheckElementSegment(ModuleDefinition module, ModuleContext context, ElementSegment segment)
    {
        if (segment.FunctionIndices is { } indices)
        {
            if (segment.ElementType != ValType.FuncRef) throw new WasmValidationException("type mismatch", segment.SourceOffset);
            foreach (var index in indices)
                if (index >= (uint)context.FunctionTypes.Length)
                    throw new WasmValidationException($"unknown function {index}", segment.SourceOffset);
        }
        if (segment.Expressions is { } expressions)
            foreach (var expression in expressions)
                CheckConstantExpression(module, context, expression, segment.ElementType);

        if (segment.Mode == SegmentMode.Active)
        {
            if (segment.TableIndex >= (uint)context.Tables.Length)
                throw new WasmValidationException($"unknown table {segment.TableIndex}", segment.SourceOffset);
            if (context.Tables[segment.TableIndex].ElementType != segment.ElementType)
                throw new WasmValidationException("type mismatch", segment.SourceOffset);
            CheckConstantExpression(module, context, segment.Offset!, context.Tables[segment.TableIndex].AddressType);
        }
    }

    private static void CheckDataSegment(ModuleDefinition module, ModuleContext context, DataSegment segment)
    {
        if (segment.Mode != SegmentMode.Active) return;
        if (segment.MemoryIndex >= (uint)module.TotalMemoryCount)
            throw new WasmValidationException($"unknown memory {segment.MemoryIndex}", segment.SourceOffset);
        CheckConstantExpression(module, context, segment.Offset!, module.GetMemoryType(segment.MemoryIndex).AddressType);
    }

    private static void CheckExports(ModuleDefinition module, ModuleContext context)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var export in module.Exports)
        {
            (int count, string space) = export.Kind switch
            {
                ExternalKind.Function => (context.FunctionTypes.Length, "function"),
                ExternalKind.Table => (context.Tables.Length, "table"),
                ExternalKind.Memory => (module.TotalMemoryCount, "memory"),
                ExternalKind.Tag => (context.Tags.Length, "tag"),
                _ => (context.Globals.Length, "global"),
            };
            if (export.Index >= (uint)count) throw new WasmValidationException($"unknown {space} {export.Index}", 0);
            if (!names.Add(export.Name)) throw new WasmValidationException("duplicate export name", 0);
        }
    }
}
