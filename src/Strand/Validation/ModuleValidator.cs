using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// Validates a decoded module against the WebAssembly 2.0 rules plus the threads proposal
/// (shared memories and atomic instructions), SIMD and relaxed SIMD, and WebAssembly 3.0 without GC: memory64/table64,
/// multi-memory, extended constant expressions, exception handling, tail calls and typed function references
/// (subtyping in <see cref="Subtyping"/>, type equivalence in <see cref="TypeRegistry"/>).
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
        if (module.PendingBodyScan is null)
        {
            ValidateCore(module, bodiesValidated);
            return;
        }
        try
        {
            ValidateCore(module, bodiesValidated);
        }
        catch (Exception)
        {
            // Decoding deferred its scan of the bodies to this pass (ModuleDecoder.DecodeDeferringBodyScan): a malformed
            // body is reported as malformed, with the decoder's error, before any validation error.
            ModuleDecoder.ScanPendingBodies(module);
            throw;
        }
        // Every body was decoded whole by validation, which checks what the scan checks (the block structure, the end
        // of the body, the data count section): none is malformed.
        module.PendingBodyScan = null;
    }

    private static void ValidateCore(ModuleDefinition module, Action<int>? bodiesValidated)
    {
        if (module.Bodies.Count != module.FunctionTypeIndices.Count)
            throw new WasmFormatException(0, "function and code section have inconsistent lengths");

        var ids = CheckTypes(module);
        var context = BuildContext(module, ids);

        foreach (var import in module.Imports)
        {
            switch (import.Kind)
            {
                case ExternalKind.Table: CheckTableType(module, import.Table!); break;
                case ExternalKind.Memory: CheckMemoryType(import.Memory!); break;
                case ExternalKind.Global: CheckValType(module, import.Global.Type, 0); break;
            }
        }

        for (int i = 0; i < module.Globals.Count; i++)
        {
            var global = module.Globals[i];
            CheckValType(module, global.Type.Type, global.Init.Start);
            // 3.0: a global's initializer may read the imported globals and the globals defined before it.
            CheckConstantExpression(module, context, global.Init, global.Type.Type, module.ImportedGlobalCount + i);
        }
        for (int i = 0; i < module.Tables.Count; i++)
        {
            var table = module.Tables[i];
            CheckTableType(module, table);
            if (module.TableInitializers.GetValueOrDefault(i) is { } init)
                CheckConstantExpression(module, context, init, table.ElementType, context.ImportedGlobalCount); // tables precede globals
            else if (!table.ElementType.IsNullable())
                throw new WasmValidationException("type mismatch", 0); // a non-nullable table needs an initializer
        }
        foreach (var body in module.Bodies)
            foreach (var group in body.Locals)
                CheckValType(module, group.Type, body.CodeStart);
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
                return FunctionTypeAt(module, blockType.TypeIndex, offset);
        }
    }

    /// <summary>
    /// The signature of a block whose type may be any value type (3.0: reference types with type indices are checked
    /// against the module's types, "unknown type").
    /// </summary>
    internal static FuncType ResolveBlockType(ModuleDefinition module, BlockType blockType, int offset, bool checkTypes)
    {
        if (blockType.Kind != BlockTypeKind.Value || SingleResultTypes.ContainsKey(blockType.Value))
            return ResolveBlockType(module, blockType, offset);
        CheckValType(module, blockType.Value, offset);
        return new FuncType([], [blockType.Value]);
    }

    /// <summary>"unknown type" unless every type index in <paramref name="type"/> names a type of the module.</summary>
    internal static void CheckValType(ModuleDefinition module, ValType type, int offset)
    {
        if (type.TypeIndex() is { } index && index >= (uint)module.Types.Count)
            throw new WasmValidationException($"unknown type {ValTypes.TypeIndexText(index)}", offset);
    }

    /// <summary>
    /// The type section (spec 3.2.x, 3.0 with GC): a type may refer to the types of its own recursion group and of
    /// earlier groups ("unknown type" otherwise); a type declares at most one supertype, an earlier type that is not final,
    /// of the same kind, whose definition its own matches (function parameters contravariant and results covariant; a
    /// struct extends the supertype's fields; immutable fields and array elements covariant, mutable ones invariant),
    /// "sub type" otherwise. Returns the module's canonical type ids.
    /// </summary>
    private static int[] CheckTypes(ModuleDefinition module)
    {
        foreach (var (start, count) in module.RecGroups)
        {
            uint end = (uint)(start + count);
            for (int i = start; i < start + count; i++)
            {
                var type = module.SubTypes[i];
                if (type.Func is { } f)
                {
                    foreach (var t in f.Params) CheckInGroup(t, end);
                    foreach (var t in f.Results) CheckInGroup(t, end);
                }
                foreach (var field in type.Fields) CheckInGroup(field.Type, end);
                if (type.Supertypes.Length > 1) throw new WasmValidationException("sub type: at most one supertype", 0);
                foreach (var super in type.Supertypes)
                {
                    if (super >= (uint)module.SubTypes.Count) throw new WasmValidationException($"unknown type {super}", 0);
                    if (super >= (uint)i) throw new WasmValidationException($"sub type: supertype {super} must precede type {i}", 0);
                }
            }
        }
        var depths = new int[module.SubTypes.Count];
        for (int i = 0; i < depths.Length; i++)
        {
            var supertypes = module.SubTypes[i].Supertypes;
            if (supertypes.Length == 0) continue;
            depths[i] = depths[supertypes[0]] + 1; // the supertype precedes (checked above)
            if (depths[i] > ImplementationLimits.MaxSubtypingDepth)
                throw new WasmImplementationLimitException($"type {i} has a subtyping depth above {ImplementationLimits.MaxSubtypingDepth} (its chain of declared supertypes)");
        }
        var ids = TypeRegistry.CanonicalIds(module);
        for (int i = 0; i < module.SubTypes.Count; i++)
        {
            var type = module.SubTypes[i];
            if (type.Supertypes.Length == 0) continue;
            var super = module.SubTypes[(int)type.Supertypes[0]];
            if (super.Final || super.Kind != type.Kind || !CompositeMatches(type, super, ids))
                throw new WasmValidationException($"sub type {i} does not match its supertype {type.Supertypes[0]}", 0);
        }
        return ids;

        static void CheckInGroup(ValType t, uint end)
        {
            if (t.TypeIndex() is { } index && index >= end) throw new WasmValidationException($"unknown type {ValTypes.TypeIndexText(index)}", 0);
        }
    }

    /// <summary>Composite subtyping (spec 3.3.4) of two definitions of the same kind.</summary>
    private static bool CompositeMatches(SubType sub, SubType super, int[] ids)
    {
        if (sub.Kind == CompositeKind.Func) return Subtyping.Matches(sub.Func!, super.Func!, ids);
        if (sub.Fields.Length < super.Fields.Length || (sub.Kind == CompositeKind.Array && sub.Fields.Length != super.Fields.Length)) return false;
        for (int k = 0; k < super.Fields.Length; k++)
        {
            FieldType a = sub.Fields[k], b = super.Fields[k];
            if (a.Mutable != b.Mutable || a.Packed != b.Packed) return false;
            bool covariant = Subtyping.Matches(a.Type, b.Type, ids);
            if (!covariant || (a.Mutable && !Subtyping.Matches(b.Type, a.Type, ids))) return false;
        }
        return true;
    }

    /// <summary>Type <paramref name="typeIndex"/>, which must be a function type (a struct or array type is "type mismatch").</summary>
    internal static FuncType FunctionTypeAt(ModuleDefinition module, uint typeIndex, int offset = 0)
    {
        if (typeIndex >= (uint)module.Types.Count) throw new WasmValidationException($"unknown type {typeIndex}", offset);
        if (!module.IsFunctionType(typeIndex)) throw new WasmValidationException($"type mismatch: type {typeIndex} is not a function type", offset);
        return module.Types[(int)typeIndex];
    }

    private static FuncType TypeAt(ModuleDefinition module, uint typeIndex) => FunctionTypeAt(module, typeIndex);

    /// <summary>A tag's type (exception handling): a function type with no results.</summary>
    private static FuncType TagType(ModuleDefinition module, uint typeIndex)
    {
        var type = TypeAt(module, typeIndex);
        if (type.Results.Length != 0) throw new WasmValidationException("non-empty tag result type", 0);
        return type;
    }

    internal static ModuleContext BuildContext(ModuleDefinition module, int[] ids)
    {
        var functions = new List<FuncType>();
        var functionTypeIndices = new List<uint>();
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
                    functionTypeIndices.Add(import.FunctionTypeIndex);
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
        functionTypeIndices.AddRange(module.FunctionTypeIndices);
        tables.AddRange(module.Tables);
        foreach (var typeIndex in module.Tags) tags.Add(TagType(module, typeIndex));
        foreach (var global in module.Globals)
        {
            globals.Add(global.Type);
        }

        var context = new ModuleContext
        {
            TypeIds = ids,
            FunctionTypeIndices = functionTypeIndices.ToArray(),
            FunctionTypes = functions.ToArray(),
            Tables = tables.ToArray(),
            Globals = globals.ToArray(),
            Tags = tags.ToArray(),
            ImportedGlobalCount = module.ImportedGlobalCount,
        };

        // C.refs: function indices occurring outside function bodies and the start function (globals, table initializers,
        // element segments, exports).
        foreach (var global in module.Globals) AddReferencedFunctions(module, global.Init, context.DeclaredFunctions);
        foreach (var init in module.TableInitializers.Values) AddReferencedFunctions(module, init, context.DeclaredFunctions);
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

    private static void CheckTableType(ModuleDefinition module, TableType table)
    {
        CheckValType(module, table.ElementType, 0);
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
    /// Constant expressions (spec 3.4.13, 3.0) may contain only constants, ref.null, ref.func, the extended-constant
    /// i32/i64 add, sub and mul, and global.get of an immutable global among the first <paramref name="readableGlobals"/>
    /// (default: all, for segments; a global's initializer reads only the imported ones and those defined before it, a table's
    /// only the imported ones). WebAssembly 2.0
    /// allowed only imported globals; its suite's assertions of that are listed in <c>WastRunner.KnownDivergences</c>.
    /// The expression must produce exactly one value that matches <paramref name="expected"/>.
    /// </summary>
    private static void CheckConstantExpression(ModuleDefinition module, ModuleContext context, ConstExpr expression, ValType expected, int? readableGlobals = null)
    {
        int readable = readableGlobals ?? context.Globals.Length;
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
                case Opcode.RefNull:
                    CheckValType(module, ins.RefType, ins.Offset);
                    stack.Add(ins.RefType);
                    break;
                case Opcode.RefFunc:
                    if (ins.Index >= (uint)context.FunctionTypes.Length)
                        throw new WasmValidationException($"unknown function {ins.Index}", ins.Offset);
                    stack.Add(ValTypes.RefToType(context.FunctionTypeIndices[ins.Index], nullable: false));
                    break;
                case Opcode.GlobalGet:
                {
                    if (ins.Index >= (uint)readable)
                        throw new WasmValidationException($"unknown global {ins.Index}", ins.Offset);
                    var global = context.Globals[ins.Index];
                    if (global.Mutable) throw new WasmValidationException("constant expression required", ins.Offset);
                    stack.Add(global.Type);
                    break;
                }
                case Opcode.StructNew or Opcode.StructNewDefault or Opcode.ArrayNew or Opcode.ArrayNewDefault or Opcode.ArrayNewFixed
                    or Opcode.RefI31 or Opcode.AnyConvertExtern or Opcode.ExternConvertAny:
                    ConstantGcInstruction(module, context, ins, stack);
                    break;
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
        if (stack.Count != 1 || !Subtyping.Matches(stack[0], expected, context.TypeIds))
            throw new WasmValidationException("type mismatch", expression.Start);
    }

    /// <summary>The GC instructions allowed in constant expressions (3.0): they allocate, or convert a reference.</summary>
    private static void ConstantGcInstruction(ModuleDefinition module, ModuleContext context, Instruction ins, List<ValType> stack)
    {
        void PopExpected(ValType t)
        {
            if (stack.Count == 0 || !Subtyping.Matches(stack[^1], t, context.TypeIds)) throw new WasmValidationException("type mismatch", ins.Offset);
            stack.RemoveAt(stack.Count - 1);
        }
        SubType Composite(CompositeKind kind)
        {
            if (ins.Index >= (uint)module.SubTypes.Count) throw new WasmValidationException($"unknown type {ins.Index}", ins.Offset);
            var t = module.SubTypes[(int)ins.Index];
            return t.Kind == kind ? t : throw new WasmValidationException("type mismatch", ins.Offset);
        }
        switch (ins.Opcode)
        {
            case Opcode.RefI31:
                PopExpected(ValType.I32);
                stack.Add(ValTypes.Ref(AbstractHeapType.I31, false));
                return;
            case Opcode.AnyConvertExtern or Opcode.ExternConvertAny:
            {
                bool toAny = ins.Opcode == Opcode.AnyConvertExtern;
                if (stack.Count == 0 || !stack[^1].IsReference()) throw new WasmValidationException("type mismatch", ins.Offset);
                bool nullable = stack[^1].IsNullable();
                PopExpected(ValTypes.Ref(toAny ? AbstractHeapType.Extern : AbstractHeapType.Any, true));
                stack.Add(ValTypes.Ref(toAny ? AbstractHeapType.Any : AbstractHeapType.Extern, nullable));
                return;
            }
            case Opcode.StructNew or Opcode.StructNewDefault:
            {
                var fields = Composite(CompositeKind.Struct).Fields;
                if (ins.Opcode == Opcode.StructNew)
                    for (int k = fields.Length - 1; k >= 0; k--) PopExpected(fields[k].Type);
                else if (fields.Any(f => !f.Type.IsDefaultable())) throw new WasmValidationException("type mismatch", ins.Offset);
                break;
            }
            default:
            {
                var element = Composite(CompositeKind.Array).Fields[0];
                if (ins.Opcode == Opcode.ArrayNewFixed)
                {
                    if (ins.Index2 > ImplementationLimits.MaxArrayNewFixedOperands)
                        throw new WasmImplementationLimitException($"array.new_fixed of {ins.Index2} operands in a constant expression at offset 0x{ins.Offset:x}: Strand accepts at most {ImplementationLimits.MaxArrayNewFixedOperands}");
                    for (uint k = 0; k < ins.Index2; k++) PopExpected(element.Type);
                }
                else
                {
                    PopExpected(ValType.I32);
                    if (ins.Opcode == Opcode.ArrayNew) PopExpected(element.Type);
                    else if (!element.Type.IsDefaultable()) throw new WasmValidationException("type mismatch", ins.Offset);
                }
                break;
            }
        }
        stack.Add(ValTypes.RefToType(ins.Index, nullable: false));
    }

    private static void CheckElementSegment(ModuleDefinition module, ModuleContext context, ElementSegment segment)
    {
        CheckValType(module, segment.ElementType, segment.SourceOffset);
        if (segment.FunctionIndices is { } indices)
        {
            // Function indices are (ref func) (3.0); the segment's type is funcref or (ref func) by its encoding.
            if (!Subtyping.Matches(ValTypes.Ref(AbstractHeapType.Func, nullable: false), segment.ElementType, context.TypeIds))
                throw new WasmValidationException("type mismatch", segment.SourceOffset);
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
            if (!Subtyping.Matches(segment.ElementType, context.Tables[segment.TableIndex].ElementType, context.TypeIds))
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
