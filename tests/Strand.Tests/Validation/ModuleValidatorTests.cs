using Strand.Binary;
using Xunit;
using static Strand.Tests.Validation.Op;
using static Strand.Tests.Validation.TestModule;

namespace Strand.Tests.Validation;

public class ModuleValidatorTests
{
    private static readonly byte[] I32Zero = [I32Const, 0, End];

    // ---- limits ----

    [Fact]
    public void MemoryLimits()
    {
        var ok = new TestModule();
        ok.Memory(0, 65536);
        ok.AssertValid();

        var tooBig = new TestModule();
        tooBig.Memory(65537);
        tooBig.AssertInvalid("memory size must be at most 65536 pages (4GiB)");

        var maxTooBig = new TestModule();
        maxTooBig.Memory(1, 65537);
        maxTooBig.AssertInvalid("memory size must be at most 65536 pages (4GiB)");

        var inverted = new TestModule();
        inverted.Memory(2, 1);
        inverted.AssertInvalid("size minimum must not be greater than maximum");

        var importedInverted = new TestModule();
        importedInverted.ImportMemory(new MemoryType(new Limits(3, 2)));
        importedInverted.AssertInvalid("size minimum must not be greater than maximum");
    }

    [Fact]
    public void SharedMemoryNeedsAMaximum()
    {
        var m = new TestModule();
        m.Memory(1, null, shared: true);
        m.AssertInvalid("shared memory must have maximum");
        var ok = new TestModule();
        ok.Memory(1, 2, shared: true);
        ok.AssertValid();
    }

    [Fact]
    public void TableLimits()
    {
        var ok = new TestModule();
        ok.Table(FuncRef, 0, uint.MaxValue);
        ok.Table(ExternRef, 10); // several tables are fine in 2.0
        ok.AssertValid();
        var inverted = new TestModule();
        inverted.Table(FuncRef, 2, 1);
        inverted.AssertInvalid("size minimum must not be greater than maximum");
    }

    [Fact]
    public void SeveralMemoriesAreValid()
    {
        // Multi-memory (WebAssembly 3.0): an imported and a defined memory.
        var m = new TestModule();
        m.ImportMemory(new MemoryType(new Limits(1, null)));
        m.Memory(1);
        m.AssertValid();
    }

    // ---- imports, exports, start ----

    [Fact]
    public void ImportedFunctionNeedsAKnownType()
    {
        var m = new TestModule();
        m.ImportFunction(4);
        m.AssertInvalid("unknown type 4");
    }

    [Fact]
    public void ExportNamesAreUnique()
    {
        var m = new TestModule();
        m.Function(m.Type([], []), [], End);
        m.Export("a", ExternalKind.Function, 0);
        m.Export("a", ExternalKind.Function, 0);
        m.AssertInvalid("duplicate export name");
    }

    [Fact]
    public void ExportIndicesMustExist()
    {
        var m = new TestModule();
        m.Export("g", ExternalKind.Global, 0);
        m.AssertInvalid("unknown global 0");
        var mem = new TestModule();
        mem.Export("m", ExternalKind.Memory, 0);
        mem.AssertInvalid("unknown memory 0");
        var f = new TestModule();
        f.Export("f", ExternalKind.Function, 1);
        f.AssertInvalid("unknown function 1");
        var t = new TestModule();
        t.Export("t", ExternalKind.Table, 0);
        t.AssertInvalid("unknown table 0");
    }

    [Fact]
    public void StartFunctionMustTakeAndReturnNothing()
    {
        var ok = new TestModule();
        ok.Function(ok.Type([], []), [], End);
        ok.Start = 0;
        ok.AssertValid();

        var withResult = new TestModule();
        withResult.Function(withResult.Type([], [I32]), [], I32Const, 0, End);
        withResult.Start = 0;
        withResult.AssertInvalid("start function");

        var unknown = new TestModule();
        unknown.Start = 2;
        unknown.AssertInvalid("unknown function 2");
    }

    [Fact]
    public void FunctionNeedsAKnownType()
    {
        var m = new TestModule();
        m.Function(3, [], End);
        m.AssertInvalid("unknown type 3");
    }

    // ---- globals and constant expressions ----

    [Fact]
    public void GlobalInitializerTypes()
    {
        var ok = new TestModule();
        ok.Global(I64, false, I64Const, 0, End);
        ok.Global(F64, true, Seq(F64Zero, End));
        ok.Global(ExternRef, false, RefNull, TExternRef, End);
        ok.AssertValid();

        var wrongType = new TestModule();
        wrongType.Global(I32, false, I64Const, 0, End);
        wrongType.AssertInvalid("type mismatch");

        var empty = new TestModule();
        empty.Global(I32, false, End);
        empty.AssertInvalid("type mismatch");

        var twoValues = new TestModule();
        twoValues.Global(I32, false, I32Const, 0, I32Const, 0, End);
        twoValues.AssertInvalid("type mismatch");
    }

    [Fact]
    public void ConstantExpressionsAllowOnlyConstantInstructions()
    {
        // Extended constant expressions (WebAssembly 3.0): i32/i64 add, sub and mul are constant, typed as usual.
        var add = new TestModule();
        add.Global(I32, false, I32Const, 1, I32Const, 2, I32Add, End);
        add.AssertValid();

        var mixed = new TestModule();
        mixed.Global(I32, false, I32Const, 1, I64Const, 2, I32Add, End);
        mixed.AssertInvalid("type mismatch");

        var missing = new TestModule();
        missing.Global(I32, false, I32Const, 1, 0x6C, End); // i32.mul with one operand
        missing.AssertInvalid("type mismatch");

        var div = new TestModule();
        div.Global(I32, false, I32Const, 1, I32Const, 2, 0x6D, End); // i32.div_s
        div.AssertInvalid("constant expression required");

        var nop = new TestModule();
        nop.Global(I32, false, Nop, I32Const, 0, End);
        nop.AssertInvalid("constant expression required");
    }

    [Fact]
    public void GlobalGetInInitializerReadsOnlyEarlierImmutableGlobals()
    {
        var ok = new TestModule();
        ok.ImportGlobal(I32, false);
        ok.Global(I32, false, GlobalGet, 0, End);
        ok.AssertValid();

        var mutableImport = new TestModule();
        mutableImport.ImportGlobal(I32, true);
        mutableImport.Global(I32, false, GlobalGet, 0, End);
        mutableImport.AssertInvalid("constant expression required");

        // WebAssembly 3.0: a global defined before this one may be read (2.0 allowed only imported ones).
        var definedGlobal = new TestModule();
        definedGlobal.Global(I32, false, I32Const, 0, End);
        definedGlobal.Global(I32, false, GlobalGet, 0, End);
        definedGlobal.AssertValid();

        var laterGlobal = new TestModule();
        laterGlobal.Global(I32, false, GlobalGet, 1, End);
        laterGlobal.Global(I32, false, I32Const, 0, End);
        laterGlobal.AssertInvalid("unknown global 1");

        var itself = new TestModule();
        itself.Global(I32, false, GlobalGet, 0, End);
        itself.AssertInvalid("unknown global 0");

        var afterImport = new TestModule();
        afterImport.ImportGlobal(I32, false);
        afterImport.Global(I32, false, I32Const, 0, End);
        afterImport.Global(I32, false, GlobalGet, 1, End);
        afterImport.Global(I32, false, GlobalGet, 3, End);
        afterImport.AssertInvalid("unknown global 3"); // global 2 reads global 1 (defined before it); global 3 reads itself
    }

    [Fact]
    public void RefFuncInInitializerNeedsAFunction()
    {
        var m = new TestModule();
        m.Global(FuncRef, false, RefFunc, 0, End);
        m.AssertInvalid("unknown function 0");
    }

    // ---- element segments ----

    [Fact]
    public void ActiveElementSegments()
    {
        var ok = new TestModule();
        ok.Function(ok.Type([], []), [], End);
        ok.Table(FuncRef, 1);
        ok.ActiveElements(0, I32Zero, 0, 0);
        ok.AssertValid();

        var noTable = new TestModule();
        noTable.ActiveElements(0, I32Zero);
        noTable.AssertInvalid("unknown table 0");

        var badFunction = new TestModule();
        badFunction.Table(FuncRef, 1);
        badFunction.ActiveElements(0, I32Zero, 5);
        badFunction.AssertInvalid("unknown function 5");

        var badOffset = new TestModule();
        badOffset.Table(FuncRef, 1);
        badOffset.ActiveElements(0, [I64Const, 0, End]);
        badOffset.AssertInvalid("type mismatch");

        var externTable = new TestModule();
        externTable.Table(ExternRef, 1);
        externTable.ActiveElements(0, I32Zero);
        externTable.AssertInvalid("type mismatch");

        // WebAssembly 3.0: a segment's offset may read any immutable global, defined ones too.
        var definedGlobalOffset = new TestModule();
        definedGlobalOffset.Table(FuncRef, 1);
        definedGlobalOffset.Global(I32, false, I32Const, 0, End);
        definedGlobalOffset.ActiveElements(0, [GlobalGet, 0, End]);
        definedGlobalOffset.AssertValid();

        var mutableGlobalOffset = new TestModule();
        mutableGlobalOffset.Table(FuncRef, 1);
        mutableGlobalOffset.Global(I32, true, I32Const, 0, End);
        mutableGlobalOffset.ActiveElements(0, [GlobalGet, 0, End]);
        mutableGlobalOffset.AssertInvalid("constant expression required");
    }

    [Fact]
    public void ElementExpressionsMatchTheElementType()
    {
        var ok = new TestModule();
        ok.Elements(SegmentMode.Passive, ExternRef, [RefNull, TExternRef, End]);
        ok.AssertValid();
        var bad = new TestModule();
        bad.Elements(SegmentMode.Passive, ExternRef, [RefNull, TFuncRef, End]);
        bad.AssertInvalid("type mismatch");
        var notConst = new TestModule();
        notConst.Elements(SegmentMode.Passive, FuncRef, [RefNull, TFuncRef, RefIsNull, End]);
        notConst.AssertInvalid("constant expression required");
    }

    // ---- data segments ----

    [Fact]
    public void ActiveDataSegments()
    {
        var ok = new TestModule();
        ok.Memory(1);
        ok.ActiveData(0, I32Zero);
        ok.AssertValid();

        var noMemory = new TestModule();
        noMemory.ActiveData(0, I32Zero);
        noMemory.AssertInvalid("unknown memory 0");

        var badOffset = new TestModule();
        badOffset.Memory(1);
        badOffset.ActiveData(0, Seq(F32Zero, End));
        badOffset.AssertInvalid("type mismatch");

        var importedOffset = new TestModule();
        importedOffset.ImportGlobal(I32, false);
        importedOffset.Memory(1);
        importedOffset.ActiveData(0, [GlobalGet, 0, End]);
        importedOffset.AssertValid();
    }

    [Fact]
    public void FunctionErrorsNameTheFunction()
    {
        var m = new TestModule();
        uint t = m.Type([], []);
        m.ImportFunction(t);
        m.Function(t, [], End);
        m.Function(t, [], LocalGet, 0, Drop, End);
        m.Export("broken", ExternalKind.Function, 2);
        var ex = m.AssertInvalid("unknown local 0");
        Assert.Equal(2u, ex.FunctionIndex);
        Assert.Contains("func[2] <broken>", ex.Message);
    }
}
