using Strand.Binary;
using Strand.Validation;
using Xunit;

namespace Strand.Tests.Validation;

/// <summary>
/// Builds a <see cref="ModuleDefinition"/> by hand (no decoder involved): function bodies and
/// constant expressions are appended to one byte buffer and referenced by offset, as the decoder does.
/// </summary>
internal sealed class TestModule
{
    private readonly List<byte> _bytes = new() { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
    private readonly List<Action<ModuleDefinition>> _steps = new();
    private uint _typeCount;
    private int _importedFunctions, _importedTables, _importedMemories, _importedGlobals;

    public const ValType I32 = ValType.I32, I64 = ValType.I64, F32 = ValType.F32, F64 = ValType.F64;
    public const ValType FuncRef = ValType.FuncRef, ExternRef = ValType.ExternRef;

    public uint? DataCount { get; set; }
    public uint? Start { get; set; }

    public uint Type(ValType[] parameters, ValType[] results)
    {
        var type = new FuncType(parameters, results);
        _steps.Add(m => m.Types.Add(type));
        return _typeCount++;
    }

    public void ImportFunction(uint typeIndex)
    {
        _importedFunctions++;
        _steps.Add(m => m.Imports.Add(new Import { Module = "m", Name = "f", Kind = ExternalKind.Function, FunctionTypeIndex = typeIndex }));
    }

    public void ImportGlobal(ValType type, bool mutable)
    {
        _importedGlobals++;
        _steps.Add(m => m.Imports.Add(new Import { Module = "m", Name = "g", Kind = ExternalKind.Global, Global = new GlobalType(type, mutable) }));
    }

    public void ImportTable(TableType table)
    {
        _importedTables++;
        _steps.Add(m => m.Imports.Add(new Import { Module = "m", Name = "t", Kind = ExternalKind.Table, Table = table }));
    }

    public void ImportMemory(MemoryType memory)
    {
        _importedMemories++;
        _steps.Add(m => m.Imports.Add(new Import { Module = "m", Name = "mem", Kind = ExternalKind.Memory, Memory = memory }));
    }

    /// <summary>Adds a function; <paramref name="code"/> is the instruction bytes including the final end.</summary>
    public void Function(uint typeIndex, ValType[] locals, params byte[] code)
    {
        int start = Append(code);
        var groups = locals.Select(t => new LocalGroup(1, t)).ToArray();
        _steps.Add(m =>
        {
            m.FunctionTypeIndices.Add(typeIndex);
            m.Bodies.Add(new FunctionBody { Locals = groups, LocalCount = groups.Length, CodeStart = start, CodeEnd = start + code.Length, SourceOffset = start });
        });
    }

    public void Table(ValType elementType, uint min, uint? max = null) =>
        _steps.Add(m => m.Tables.Add(new TableType(elementType, new Limits(min, max))));

    public void Memory(uint min, uint? max = null, bool shared = false) =>
        _steps.Add(m => m.Memories.Add(new MemoryType(new Limits(min, max, shared))));

    /// <summary>Adds a global; <paramref name="init"/> is the constant expression including its end.</summary>
    public void Global(ValType type, bool mutable, params byte[] init)
    {
        var expr = Expr(init);
        _steps.Add(m => m.Globals.Add(new GlobalDefinition(new GlobalType(type, mutable), expr)));
    }

    public void Export(string name, ExternalKind kind, uint index) =>
        _steps.Add(m => m.Exports.Add(new Export(name, kind, index)));

    public void ActiveElements(uint table, byte[] offset, params uint[] functions)
    {
        var expr = Expr(offset);
        _steps.Add(m => m.Elements.Add(new ElementSegment
        {
            Mode = SegmentMode.Active, TableIndex = table, Offset = expr, ElementType = ValType.FuncRef, FunctionIndices = functions,
        }));
    }

    public void Elements(SegmentMode mode, ValType elementType, params byte[][] expressions)
    {
        var exprs = expressions.Select(Expr).ToArray();
        _steps.Add(m => m.Elements.Add(new ElementSegment { Mode = mode, ElementType = elementType, Expressions = exprs }));
    }

    public void DeclaredFunctions(params uint[] functions) =>
        _steps.Add(m => m.Elements.Add(new ElementSegment { Mode = SegmentMode.Declarative, ElementType = ValType.FuncRef, FunctionIndices = functions }));

    public void ActiveData(uint memory, byte[] offset)
    {
        var expr = Expr(offset);
        int start = Append([1, 2, 3]);
        _steps.Add(m => m.Data.Add(new DataSegment { Mode = SegmentMode.Active, MemoryIndex = memory, Offset = expr, DataStart = start, DataLength = 3 }));
    }

    public void PassiveData()
    {
        int start = Append([1, 2, 3]);
        _steps.Add(m => m.Data.Add(new DataSegment { Mode = SegmentMode.Passive, DataStart = start, DataLength = 3 }));
    }

    public ModuleDefinition Build()
    {
        var module = new ModuleDefinition(_bytes.ToArray())
        {
            ImportedFunctionCount = _importedFunctions,
            ImportedTableCount = _importedTables,
            ImportedMemoryCount = _importedMemories,
            ImportedGlobalCount = _importedGlobals,
            DataCount = DataCount,
            StartFunction = Start,
        };
        foreach (var step in _steps) step(module);
        return module;
    }

    private ConstExpr Expr(byte[] code)
    {
        int start = Append(code);
        return new ConstExpr(start, start + code.Length);
    }

    private int Append(byte[] code)
    {
        int start = _bytes.Count;
        _bytes.AddRange(code);
        return start;
    }

    // ---- assertions ----

    public void AssertValid() => ModuleValidator.Validate(Build());

    public WasmValidationException AssertInvalid(string reason)
    {
        var ex = Assert.Throws<WasmValidationException>(() => ModuleValidator.Validate(Build()));
        Assert.Equal(reason, ex.Reason);
        return ex;
    }

    /// <summary>A module with one function of type [<paramref name="parameters"/>] -> [<paramref name="results"/>].</summary>
    public static TestModule WithFunction(ValType[] parameters, ValType[] results, ValType[] locals, params byte[] code)
    {
        var m = new TestModule();
        m.Function(m.Type(parameters, results), locals, code);
        return m;
    }
}

/// <summary>Byte encodings of instructions, to keep test bodies readable.</summary>
internal static class Op
{
    public const byte Unreachable = 0x00, Nop = 0x01, Block = 0x02, Loop = 0x03, If = 0x04, Else = 0x05, End = 0x0B;
    public const byte Br = 0x0C, BrIf = 0x0D, BrTable = 0x0E, Return = 0x0F, Call = 0x10, CallIndirect = 0x11;
    public const byte Drop = 0x1A, Select = 0x1B, SelectT = 0x1C;
    public const byte LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22, GlobalGet = 0x23, GlobalSet = 0x24;
    public const byte TableGet = 0x25, TableSet = 0x26;
    public const byte I32Load = 0x28, I64Load = 0x29, I32Load8U = 0x2D, I32Store = 0x36, I64Store = 0x37;
    public const byte MemorySize = 0x3F, MemoryGrow = 0x40;
    public const byte I32Const = 0x41, I64Const = 0x42, F32Const = 0x43, F64Const = 0x44;
    public const byte I32Eqz = 0x45, I32Add = 0x6A, I64Add = 0x7C, F32Add = 0x92, F64Add = 0xA0, I32WrapI64 = 0xA7;
    public const byte I64ExtendI32S = 0xAC, I32Extend8S = 0xC0;
    public const byte RefNull = 0xD0, RefIsNull = 0xD1, RefFunc = 0xD2;
    public const byte Prefix = 0xFC, Atomic = 0xFE;
    public const byte EmptyBlock = 0x40;
    public const byte TI32 = 0x7F, TI64 = 0x7E, TF32 = 0x7D, TF64 = 0x7C, TFuncRef = 0x70, TExternRef = 0x6F;

    public static readonly byte[] F32Zero = [F32Const, 0, 0, 0, 0];
    public static readonly byte[] F64Zero = [F64Const, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Concatenates byte fragments (instructions) into one sequence.</summary>
    public static byte[] Seq(params object[] parts)
    {
        var list = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte b: list.Add(b); break;
                case int i: list.Add(checked((byte)i)); break;
                case byte[] bytes: list.AddRange(bytes); break;
                default: throw new ArgumentException($"unsupported fragment {part}");
            }
        }
        return list.ToArray();
    }
}
