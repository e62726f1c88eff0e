namespace Strand.Binary;

public static partial class ModuleDecoder
{
    /// <summary>
    /// Upper bound on the declared locals of one function (excluding parameters). The binary format
    /// allows up to 2^32-1, but no real module needs more and a huge count would make later stages
    /// allocate one slot per local; 50000 is the limit used by the major web engines.
    /// </summary>
    public const int MaxLocalsPerFunction = 50000;

    private const byte CustomSectionId = 0;
    private const byte TypeSectionId = 1;
    private const byte ImportSectionId = 2;
    private const byte FunctionSectionId = 3;
    private const byte TableSectionId = 4;
    private const byte MemorySectionId = 5;
    private const byte GlobalSectionId = 6;
    private const byte ExportSectionId = 7;
    private const byte StartSectionId = 8;
    private const byte ElementSectionId = 9;
    private const byte CodeSectionId = 10;
    private const byte DataSectionId = 11;
    private const byte DataCountSectionId = 12;
    /// <summary>Exception handling (WebAssembly 3.0): between the memory and the global section.</summary>
    private const byte TagSectionId = 13;

    private static readonly byte[] Magic = [0x00, 0x61, 0x73, 0x6D];
    private static readonly byte[] Version = [0x01, 0x00, 0x00, 0x00];

    private static partial ModuleDefinition DecodeCore(byte[] bytes, bool tolerate, bool trusted, bool deferScan)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var module = new ModuleDefinition(bytes);
        var r = new WasmReader(bytes) { Tolerated = tolerate ? module.Unsupported : null };
        ReadHeader(r);

        try
        {
            DecodeSections(r, module, bytes, trusted, deferScan);
        }
        catch (Exception) when (module.PendingBodyScan is not null)
        {
            // A later section is malformed: a malformed body (earlier in the binary) is reported first, as it would
            // have been when the code section was read.
            ScanPendingBodies(module);
            throw;
        }
        return module;
    }

    private static void DecodeSections(WasmReader r, ModuleDefinition module, byte[] bytes, bool trusted, bool deferScan)
    {
        int lastOrder = 0;
        int codeSectionCount = -1;        // -1: no code section seen
        int codeSectionOffset = bytes.Length;
        bool dataSectionSeen = false;

        while (!r.AtEnd)
        {
            int sectionOffset = r.Position;
            byte id = r.ReadByte();
            if (id > TagSectionId) throw r.Error(sectionOffset, "malformed section id");
            int sizeOffset = r.Position;
            uint size = r.ReadU32();
            if (size > (uint)r.Remaining) throw r.Error(sizeOffset, "length out of bounds");
            int start = r.Position;
            int end = start + (int)size;

            if (id != CustomSectionId)
            {
                // Non-custom sections appear at most once each, in a fixed order.
                int order = SectionOrder(id);
                if (order <= lastOrder) throw r.Error(sectionOffset, "unexpected content after last section");
                lastOrder = order;
            }

            r.End = end;
            switch (id)
            {
                case CustomSectionId: ReadCustomSection(r, module, sectionOffset); break;
                case TypeSectionId: ReadTypeSection(r, module); break;
                case ImportSectionId: ReadImportSection(r, module); break;
                case FunctionSectionId: ReadFunctionSection(r, module); break;
                case TableSectionId: ReadTableSection(r, module); break;
                case MemorySectionId: ReadMemorySection(r, module); break;
                case GlobalSectionId: ReadGlobalSection(r, module); break;
                case ExportSectionId: ReadExportSection(r, module); break;
                case StartSectionId: module.StartFunction = r.ReadU32(); break;
                case ElementSectionId: ReadElementSection(r, module); break;
                case DataCountSectionId: module.DataCount = r.ReadU32(); break;
                case TagSectionId: ReadTagSection(r, module); break;
                case CodeSectionId:
                    codeSectionOffset = sectionOffset;
                    r.MultipleMemories = module.TotalMemoryCount > 1;
                    r.Memory64 = module.Memory64Flags();
                    codeSectionCount = ReadCodeSection(r, module, trusted, deferScan);
                    break;
                case DataSectionId:
                    dataSectionSeen = true;
                    ReadDataSection(r, module);
                    break;
            }
            if (r.Position != end) throw r.Error(r.Position, "section size mismatch");
            r.End = bytes.Length;
        }

        // A missing code section means zero bodies (the count itself was checked in ReadCodeSection).
        if (codeSectionCount < 0 && module.FunctionTypeIndices.Count != 0)
            throw r.Error(codeSectionOffset, "function and code section have inconsistent lengths");
        // Likewise a missing data section means zero segments.
        if (!dataSectionSeen && module.DataCount is { } declared && declared != 0)
            throw r.Error(bytes.Length, "data count and data section have inconsistent lengths");
    }

    private static void ReadHeader(WasmReader r)
    {
        if (r.Remaining < 4) throw r.Error(r.End, "unexpected end");
        if (!r.ReadBytes(4).SequenceEqual(Magic)) throw r.Error(0, "magic header not detected");
        if (r.Remaining < 4) throw r.Error(r.End, "unexpected end");
        if (!r.ReadBytes(4).SequenceEqual(Version))
            throw r.Error(4, "unknown binary version");
    }

    /// <summary>Position of a known (non-custom) section in the required order; data count sits between element and code.</summary>
    private static int SectionOrder(byte id) => id switch
    {
        TypeSectionId or ImportSectionId or FunctionSectionId or TableSectionId or MemorySectionId => id,
        TagSectionId => MemorySectionId + 1,
        DataCountSectionId => ElementSectionId + 2,
        CodeSectionId or DataSectionId => id + 2,
        _ => id + 1, // global, export, start, element
    };

    /// <summary>The tag section (exception handling): a vector of tags, each an attribute byte 0x00 and a type index.</summary>
    private static void ReadTagSection(WasmReader r, ModuleDefinition module)
    {
        uint count = r.ReadVectorLength(2);
        for (uint i = 0; i < count; i++) module.Tags.Add(ReadTagType(r));
    }

    private static uint ReadTagType(WasmReader r)
    {
        int at = r.Position;
        if (r.ReadByte() != 0x00) throw r.Error(at, "malformed tag attribute");
        return r.ReadU32();
    }

    private static void ReadCustomSection(WasmReader r, ModuleDefinition module, int sectionOffset)
    {
        string name = r.ReadName();
        int payloadStart = r.Position;
        int payloadLength = r.Remaining;
        r.Position = r.End;
        module.CustomSections.Add(new CustomSection(name, payloadStart, payloadLength, sectionOffset));
        // Custom sections are never validated: a broken name section only loses names.
        if (name == "name" && module.Names is null)
            module.Names = NameSectionDecoder.Decode(module.Bytes, payloadStart, payloadStart + payloadLength);
    }

    /// <summary>
    /// The type section (3.0): recursion groups (<c>0x4E</c> with members; any other entry is a group of one), each
    /// member a sub type. Fills <see cref="ModuleDefinition.SubTypes"/>, <see cref="ModuleDefinition.Types"/> (the
    /// signature of each function type, <see cref="ModuleDefinition.NotAFunction"/> for struct and array types) and
    /// <see cref="ModuleDefinition.RecGroups"/>.
    /// </summary>
    private static void ReadTypeSection(WasmReader r, ModuleDefinition module)
    {
        int countAt = r.Position;
        uint count = r.ReadVectorLength(1);
        if (count > ImplementationLimits.MaxTypes)
            throw new WasmImplementationLimitException($"{count} types at offset 0x{countAt:x}: Strand accepts at most {ImplementationLimits.MaxTypes} types per module");
        for (uint i = 0; i < count; i++)
        {
            int at = r.Position;
            byte form = r.PeekByte();
            // The form is a one-byte signed LEB128 value (-0x20), so a continuation bit is "too long".
            if ((form & 0x80) != 0) throw r.Error(at, "integer representation too long");
            int start = module.SubTypes.Count;
            if (form == 0x4E)
            {
                r.ReadByte();
                uint members = r.ReadVectorLength(1);
                for (uint k = 0; k < members; k++) AddType(module, ReadSubType(r));
            }
            else
            {
                AddType(module, ReadSubType(r));
            }
            module.RecGroups.Add((start, module.SubTypes.Count - start));
        }
    }

    private static void AddType(ModuleDefinition module, SubType type)
    {
        // Recursion groups hold several types each: the limit counts types, not the section's entries.
        if (module.SubTypes.Count >= ImplementationLimits.MaxTypes)
            throw new WasmImplementationLimitException($"more than {ImplementationLimits.MaxTypes} types: Strand accepts at most {ImplementationLimits.MaxTypes} types per module");
        module.SubTypes.Add(type);
        module.Types.Add(type.Func ?? ModuleDefinition.NotAFunction);
    }

    /// <summary>
    /// A sub type (3.0): <c>0x50</c> (open) or <c>0x4F</c> (final) with supertype indices, then a composite type; or a
    /// bare composite type, which is final without supertypes.
    /// </summary>
    private static SubType ReadSubType(WasmReader r)
    {
        byte form = r.PeekByte();
        if (form is 0x50 or 0x4F)
        {
            r.ReadByte();
            uint count = r.ReadVectorLength(1);
            var supertypes = new uint[count];
            for (uint k = 0; k < count; k++) supertypes[k] = r.ReadU32();
            return ReadCompositeType(r, final: form == 0x4F, supertypes);
        }
        return ReadCompositeType(r, final: true, []);
    }

    private static SubType ReadCompositeType(WasmReader r, bool final, uint[] supertypes)
    {
        int at = r.Position;
        byte form = r.ReadByte();
        if ((form & 0x80) != 0) throw r.Error(at, "integer representation too long");
        switch (form)
        {
            case 0x60:
                var parameters = ReadValTypes(r);
                var results = ReadValTypes(r);
                return new SubType(CompositeKind.Func, new FuncType(parameters, results), [], final, supertypes);
            case 0x5F:
            {
                int countAt = r.Position;
                uint count = r.ReadVectorLength(2);
                if (count > ImplementationLimits.MaxStructFields)
                    throw new WasmImplementationLimitException($"a struct type of {count} fields at offset 0x{countAt:x}: Strand accepts at most {ImplementationLimits.MaxStructFields} fields per struct");
                var fields = new FieldType[count];
                for (uint k = 0; k < count; k++) fields[k] = ReadFieldType(r);
                return new SubType(CompositeKind.Struct, null, fields, final, supertypes);
            }
            case 0x5E:
                return new SubType(CompositeKind.Array, null, [ReadFieldType(r)], final, supertypes);
            default:
                throw r.Error(at, "malformed function type");
        }
    }

    /// <summary>A GC field: a storage type (a value type, or packed i8 0x78 / i16 0x77) and a mutability byte.</summary>
    private static FieldType ReadFieldType(WasmReader r)
    {
        byte first = r.PeekByte();
        var packed = PackedType.None;
        var type = ValType.I32;
        if (first is 0x78 or 0x77)
        {
            r.ReadByte();
            packed = (PackedType)first;
        }
        else type = r.ReadValType();
        int at = r.Position;
        byte mutability = r.ReadByte();
        if (mutability > 1) throw r.Error(at, "malformed mutability");
        return new FieldType(type, packed, mutability == 1);
    }

    private static ValType[] ReadValTypes(WasmReader r)
    {
        uint count = r.ReadVectorLength(1);
        var types = new ValType[count];
        for (int i = 0; i < types.Length; i++) types[i] = r.ReadValType();
        return types;
    }

    private static void ReadImportSection(WasmReader r, ModuleDefinition module)
    {
        uint count = r.ReadVectorLength(1);
        for (uint i = 0; i < count; i++)
        {
            string moduleName = r.ReadName();
            string name = r.ReadName();
            int kindAt = r.Position;
            byte kind = r.ReadByte();
            Import import = kind switch
            {
                (byte)ExternalKind.Function => new Import
                {
                    Module = moduleName, Name = name, Kind = ExternalKind.Function, FunctionTypeIndex = r.ReadU32(),
                },
                (byte)ExternalKind.Table => new Import
                {
                    Module = moduleName, Name = name, Kind = ExternalKind.Table, Table = ReadTableType(r),
                },
                (byte)ExternalKind.Memory => new Import
                {
                    Module = moduleName, Name = name, Kind = ExternalKind.Memory, Memory = ReadMemoryType(r),
                },
                (byte)ExternalKind.Global => new Import
                {
                    Module = moduleName, Name = name, Kind = ExternalKind.Global, Global = ReadGlobalType(r),
                },
                TagKind => new Import
                {
                    Module = moduleName, Name = name, Kind = ExternalKind.Tag, TagTypeIndex = ReadTagType(r),
                },
                _ => throw r.Error(kindAt, "malformed import kind"),
            };
            module.Imports.Add(import);
            switch (import.Kind)
            {
                case ExternalKind.Function: module.ImportedFunctionCount++; break;
                case ExternalKind.Table: module.ImportedTableCount++; break;
                case ExternalKind.Memory: module.ImportedMemoryCount++; break;
                case ExternalKind.Global: module.ImportedGlobalCount++; break;
                case ExternalKind.Tag: module.ImportedTagCount++; break;
            }
        }
    }

    /// <summary>The external kind of a tag (exception handling) in imports and exports.</summary>
    private const byte TagKind = 0x04;

    private static void ReadFunctionSection(WasmReader r, ModuleDefinition module)
    {
        uint count = r.ReadVectorLength(1);
        for (uint i = 0; i < count; i++) module.FunctionTypeIndices.Add(r.ReadU32());
    }

    private static void ReadTableSection(WasmReader r, ModuleDefinition module)
    {
        uint count = r.ReadVectorLength(1);
        for (uint i = 0; i < count; i++)
        {
            if (r.PeekByte() == 0x40)
            {
                // 3.0: 0x40 0x00 tabletype expr, a table whose elements start as the expression's value.
                r.ReadByte();
                int zeroAt = r.Position;
                if (r.ReadByte() != 0x00) throw r.Error(zeroAt, "malformed table type");
                module.Tables.Add(ReadTableType(r));
                module.TableInitializers[module.Tables.Count - 1] = ReadConstExpr(r);
            }
            else
            {
                module.Tables.Add(ReadTableType(r));
            }
        }
    }

    private static void ReadMemorySection(WasmReader r, ModuleDefinition module)
    {
        uint count = r.ReadVectorLength(1);
        for (uint i = 0; i < count; i++) module.Memories.Add(ReadMemoryType(r));
    }

    /// <summary>
    /// A table type: reference type and limits (flags 0 = min, 1 = min+max; 4 and 5 are the 64-bit index forms of
    /// table64). A table definition may also be <c>0x40 0x00 tabletype expr</c> (3.0: an initializer), read by the table section.
    /// </summary>
    private static TableType ReadTableType(WasmReader r)
    {
        var elementType = r.ReadRefType();
        int flagsAt = r.Position;
        byte flags = ReadLimitsFlags(r, maxFlags: 0x05);
        // 2 and 3 would be shared tables, which no adopted proposal has: "integer too large", as in the 2.0 suite.
        if (flags is 0x02 or 0x03) throw r.Error(flagsAt, "integer too large");
        return new TableType(elementType, ReadLimits(r, flags, flagsAt));
    }

    /// <summary>
    /// Memory limits flags: 0 = min, 1 = min+max, and (threads proposal) 2 = shared min, 3 = shared min+max;
    /// 4..7 the same with 64-bit limits (memory64). A shared memory without a maximum decodes;
    /// the validator rejects it.
    /// </summary>
    private static MemoryType ReadMemoryType(WasmReader r)
    {
        int flagsAt = r.Position;
        byte flags = ReadLimitsFlags(r, maxFlags: 0x07);
        return new MemoryType(ReadLimits(r, flags, flagsAt));
    }

    /// <summary>The flags are a one-byte LEB128 value, so a continuation bit is "too long" and a big value "too large".</summary>
    private static byte ReadLimitsFlags(WasmReader r, byte maxFlags)
    {
        int at = r.Position;
        byte flags = r.ReadByte();
        if ((flags & 0x80) != 0) throw r.Error(at, "integer representation too long");
        if (flags > maxFlags) throw r.Error(at, "integer too large");
        return flags;
    }

    /// <summary>Limits: flag bit 0 = a maximum follows, bit 1 = shared, bit 2 = 64-bit address type (memory64/table64: u64 limits).</summary>
    private static Limits ReadLimits(WasmReader r, byte flags, int flagsAt)
    {
        bool shared = (flags & 0x02) != 0;
        if ((flags & 0x04) != 0)
        {
            ulong min64 = r.ReadU64();
            ulong? max64 = (flags & 0x01) != 0 ? r.ReadU64() : null;
            return new Limits(min64, max64, shared, Is64: true);
        }
        uint min = r.ReadU32();
        uint? max = (flags & 0x01) != 0 ? r.ReadU32() : null;
        return new Limits(min, max, shared);
    }

    private static GlobalType ReadGlobalType(WasmReader r)
    {
        var type = r.ReadValType();
        int at = r.Position;
        byte mutability = r.ReadByte();
        if (mutability > 1) throw r.Error(at, "malformed mutability");
        return new GlobalType(type, mutability == 1);
    }

    private static void ReadGlobalSection(WasmReader r, ModuleDefinition module)
    {
        uint count = r.ReadVectorLength(1);
        for (uint i = 0; i < count; i++)
        {
            var type = ReadGlobalType(r);
            module.Globals.Add(new GlobalDefinition(type, ReadConstExpr(r)));
        }
    }

    private static void ReadExportSection(WasmReader r, ModuleDefinition module)
    {
        uint count = r.ReadVectorLength(1);
        for (uint i = 0; i < count; i++)
        {
            string name = r.ReadName();
            int kindAt = r.Position;
            byte kind = r.ReadByte();
            if (kind > TagKind) throw r.Error(kindAt, "malformed export kind");
            uint index = r.ReadU32();
            module.Exports.Add(new Export(name, (ExternalKind)kind, index));
        }
    }

    private static void ReadElementSection(WasmReader r, ModuleDefinition module)
    {
        uint count = r.ReadVectorLength(1);
        for (uint i = 0; i < count; i++) module.Elements.Add(ReadElementSegment(r));
    }

    /// <summary>
    /// The eight element segment encodings. Flag bit 0: passive or declarative (else active);
    /// bit 1: explicit table index (active) or declarative (non-active); bit 2: expressions instead of function indices.
    /// </summary>
    private static ElementSegment ReadElementSegment(WasmReader r)
    {
        int at = r.Position;
        uint flags = r.ReadU32();
        if (flags > 7) throw r.Error(at, "malformed elements segment kind");
        bool nonActive = (flags & 0x01) != 0;
        bool hasTableIndexOrDeclarative = (flags & 0x02) != 0;
        bool usesExpressions = (flags & 0x04) != 0;

        var mode = !nonActive ? SegmentMode.Active
            : hasTableIndexOrDeclarative ? SegmentMode.Declarative
            : SegmentMode.Passive;
        uint tableIndex = 0;
        ConstExpr? offset = null;
        if (mode == SegmentMode.Active)
        {
            if (hasTableIndexOrDeclarative) tableIndex = r.ReadU32();
            offset = ReadConstExpr(r);
        }

        // Forms 0 and 4 imply a type (3.0: (ref func) for function indices, funcref for expressions); the others spell
        // out an element kind (0x00: function indices, (ref func)) or a reference type.
        var elementType = usesExpressions ? ValType.FuncRef : ValTypes.Ref(AbstractHeapType.Func, nullable: false);
        if ((flags & 0x03) != 0)
        {
            if (usesExpressions)
            {
                elementType = r.ReadRefType();
            }
            else
            {
                int kindAt = r.Position;
                if (r.ReadByte() != 0x00) throw r.Error(kindAt, "malformed element kind");
            }
        }

        if (usesExpressions)
        {
            uint n = r.ReadVectorLength(1);
            var expressions = new ConstExpr[n];
            for (int k = 0; k < expressions.Length; k++) expressions[k] = ReadConstExpr(r);
            return new ElementSegment
            {
                Mode = mode, TableIndex = tableIndex, Offset = offset, ElementType = elementType,
                Expressions = expressions, SourceOffset = at,
            };
        }

        uint length = r.ReadVectorLength(1);
        var indices = new uint[length];
        for (int k = 0; k < indices.Length; k++) indices[k] = r.ReadU32();
        return new ElementSegment
        {
            Mode = mode, TableIndex = tableIndex, Offset = offset, ElementType = elementType,
            FunctionIndices = indices, SourceOffset = at,
        };
    }

    private static void ReadDataSection(WasmReader r, ModuleDefinition module)
    {
        int countAt = r.Position;
        uint count = r.ReadVectorLength(1);
        if (module.DataCount is { } declared && declared != count)
            throw r.Error(countAt, "data count and data section have inconsistent lengths");
        for (uint i = 0; i < count; i++)
        {
            int at = r.Position;
            uint flags = r.ReadU32();
            var mode = SegmentMode.Active;
            uint memoryIndex = 0;
            ConstExpr? offset = null;
            switch (flags)
            {
                case 0:
                    offset = ReadConstExpr(r);
                    break;
                case 1:
                    mode = SegmentMode.Passive;
                    break;
                case 2:
                    memoryIndex = r.ReadU32();
                    offset = ReadConstExpr(r);
                    break;
                default:
                    throw r.Error(at, "malformed data segment kind");
            }
            uint length = r.ReadVectorLength(1);
            int dataStart = r.Position;
            r.ReadBytes(length);
            module.Data.Add(new DataSegment
            {
                Mode = mode, MemoryIndex = memoryIndex, Offset = offset,
                DataStart = dataStart, DataLength = (int)length, SourceOffset = at,
            });
        }
    }

    /// <summary>Reads the code section and returns its entry count (<paramref name="trusted"/>: bodies by extent only, see <see cref="DecodeTrusted"/>).</summary>
    private static int ReadCodeSection(WasmReader r, ModuleDefinition module, bool trusted, bool deferScan)
    {
        int countAt = r.Position;
        uint count = r.ReadVectorLength(1);
        if (count != (uint)module.FunctionTypeIndices.Count)
            throw r.Error(countAt, "function and code section have inconsistent lengths");
        int sectionEnd = r.End;
        var blocks = new Stack<BlockKind>();
        var deferred = DeferredScan(r, count, trusted); // ModuleDecoder.ParallelScan.cs
        try
        {
            for (uint i = 0; i < count; i++)
            {
                int bodyOffset = r.Position;
                uint size = r.ReadU32();
                if (size > (uint)r.Remaining) throw r.Error(bodyOffset, "length out of bounds");
                int bodyEnd = r.Position + (int)size;

                r.End = bodyEnd;
                LocalGroup[] locals = [];
                int localCount = 0;
                int codeStart = r.Position;
                string? unsupported = null;
                // Bodies are decoded strictly; when tolerating, a body using an unsupported feature is recorded and skipped.
                var tolerated = r.Tolerated;
                r.Tolerated = null;
                try
                {
                    (locals, localCount) = ReadLocals(r);
                    codeStart = r.Position;
                    if (trusted) r.Position = bodyEnd; // a binary decoded before (ModuleDecoder.DecodeTrusted)
                    else if (deferred is not null)
                    {
                        deferred.Add(new DeferredBody(codeStart, bodyEnd, bodyEnd == sectionEnd));
                        r.Position = bodyEnd;
                    }
                    else ScanBody(r, module, blocks, bodyEnd == sectionEnd);
                }
                catch (WasmUnsupportedException e) when (tolerated is not null)
                {
                    unsupported = e.Feature;
                    tolerated.Add(new UnsupportedConstruct(e.Feature, e.Construct, e.Offset, (uint)(module.ImportedFunctionCount + i)));
                    r.Position = bodyEnd;
                }
                catch (WasmFormatException e) when (tolerated is { Count: > 0 })
                {
                    // Already a module of features Strand lacks (e.g. memory64 offsets): the body cannot be read as 2.0.
                    unsupported = "undecodable";
                    tolerated.Add(new UnsupportedConstruct("undecodable", $"function body: {e.Reason}", e.Offset, (uint)(module.ImportedFunctionCount + i)));
                    r.Position = bodyEnd;
                }
                finally
                {
                    r.Tolerated = tolerated;
                }
                r.End = sectionEnd;

                module.Bodies.Add(new FunctionBody
                {
                    Locals = locals, LocalCount = localCount, CodeStart = codeStart, CodeEnd = bodyEnd, SourceOffset = bodyOffset,
                    UnsupportedFeature = unsupported,
                });
            }
        }
        catch (Exception) when (deferred is { Count: > 0 })
        {
            // The loop stopped at a body's size or locals: an earlier body's malformed instruction comes first.
            ScanDeferred(r, module, deferred);
            throw;
        }
        if (deferred is not null)
        {
            // Deferred to validation, which decodes every instruction anyway (DecodeDeferringBodyScan).
            if (deferScan) module.PendingBodyScan = new PendingScan(r.Slice(0, r.End), deferred);
            else ScanDeferred(r, module, deferred);
        }
        return (int)count;
    }

    private static (LocalGroup[] Groups, int Total) ReadLocals(WasmReader r)
    {
        uint groupCount = r.ReadVectorLength(1);
        var groups = new LocalGroup[groupCount];
        long total = 0;
        for (int i = 0; i < groups.Length; i++)
        {
            int at = r.Position;
            uint n = r.ReadU32();
            var type = r.ReadValType();
            total += n;
            if (total > MaxLocalsPerFunction) throw r.Error(at, "too many locals");
            groups[i] = new LocalGroup(n, type);
        }
        return (groups, (int)total);
    }

    private enum BlockKind : byte { Function, Block, If, Else }

    /// <summary>
    /// Decodes every instruction of a body once, so malformed opcodes and immediates are reported
    /// at decode time, and checks the block structure: the body must end with the <c>end</c> that
    /// closes the function, exactly at the body's end. Does not type-check.
    /// </summary>
    private static void ScanBody(WasmReader r, ModuleDefinition module, Stack<BlockKind> blocks, bool bodyEndsSection)
    {
        blocks.Clear();
        blocks.Push(BlockKind.Function);
        while (true)
        {
            if (r.AtEnd)
                throw r.Error(r.Position, bodyEndsSection ? "unexpected end of section or function" : "END opcode expected");
            InstructionDecoder.Read(r, out var ins);
            switch (ins.Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.Try or Opcode.TryTable:
                    blocks.Push(BlockKind.Block);
                    break;
                case Opcode.Delegate when blocks.Count > 1: // ends a legacy try (validation checks it is one)
                    blocks.Pop();
                    break;
                case Opcode.If:
                    blocks.Push(BlockKind.If);
                    break;
                case Opcode.Else:
                    // Only an `if` without an else yet may continue with `else`; anywhere else the
                    // enclosing construct needed its `end` here.
                    if (blocks.Peek() != BlockKind.If) throw r.Error(ins.Offset, "END opcode expected");
                    blocks.Pop();
                    blocks.Push(BlockKind.Else);
                    break;
                case Opcode.End:
                    blocks.Pop();
                    if (blocks.Count == 0)
                    {
                        if (!r.AtEnd) throw r.Error(r.Position, "section size mismatch");
                        return;
                    }
                    break;
                case Opcode.MemoryInit or Opcode.DataDrop:
                    if (module.DataCount is null) throw r.Error(ins.Offset, "data count section required");
                    break;
            }
        }
    }

    /// <summary>
    /// Reads a constant expression up to and including its terminating <c>end</c>. Which instructions
    /// are allowed is the validator's business; here they only need to be well-formed.
    /// </summary>
    private static ConstExpr ReadConstExpr(WasmReader r)
    {
        int start = r.Position;
        int depth = 0;
        while (true)
        {
            InstructionDecoder.Read(r, out var ins);
            switch (ins.Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable:
                    depth++;
                    break;
                case Opcode.Delegate when depth > 0:
                    depth--;
                    break;
                case Opcode.End:
                    if (depth == 0) return new ConstExpr(start, r.Position);
                    depth--;
                    break;
            }
        }
    }
}
