using Strand.Binary;
using Strand.Validation;
using Xunit;
using static Strand.Tests.Validation.Op;
using static Strand.Tests.Validation.TestModule;

namespace Strand.Tests.Validation;

public class FunctionValidatorTests
{
    private static readonly ValType[] None = [];

    // ---- operand typing ----

    [Fact]
    public void AcceptsWellTypedArithmetic() =>
        WithFunction([I32, I32], [I32], None, LocalGet, 0, LocalGet, 1, I32Add, End).AssertValid();

    [Fact]
    public void RejectsOperandOfWrongType()
    {
        var ex = WithFunction([], [I32], None, I32Const, 1, I64Const, 2, I32Add, End).AssertInvalid("type mismatch");
        Assert.Equal(0u, ex.FunctionIndex);
        Assert.Equal(12, ex.Offset); // 8-byte fake header + i32.const 1 + i64.const 2
        Assert.Contains("func[0]", ex.Message);
    }

    [Fact]
    public void RejectsMissingOperand() =>
        WithFunction([], [I32], None, I32Const, 1, I32Add, End).AssertInvalid("type mismatch");

    [Fact]
    public void RejectsWrongResultType() =>
        WithFunction([], [I32], None, I64Const, 0, End).AssertInvalid("type mismatch");

    [Fact]
    public void RejectsExtraValueAtEnd() =>
        WithFunction([], [], None, I32Const, 0, End).AssertInvalid("type mismatch");

    [Fact]
    public void ChecksConversionSignatures()
    {
        WithFunction([], [I32], None, I64Const, 5, I32WrapI64, End).AssertValid();
        WithFunction([], [I64], None, I32Const, 5, I64ExtendI32S, End).AssertValid();
        WithFunction([], [I32], None, I32Const, 5, I32WrapI64, End).AssertInvalid("type mismatch");
        WithFunction([], [I32], None, I32Const, 5, I32Extend8S, End).AssertValid();
    }

    [Fact]
    public void ChecksSaturatingTruncation()
    {
        WithFunction([], [I64], None, Seq(F64Zero, Prefix, 0x06, End)).AssertValid(); // i64.trunc_sat_f64_s
        WithFunction([], [I32], None, Seq(F64Zero, Prefix, 0x00, End)).AssertInvalid("type mismatch"); // wants f32
    }

    [Fact]
    public void FloatComparisonsProduceI32() =>
        WithFunction([], [I32], None, Seq(F32Zero, F32Zero, 0x5B, End)).AssertValid();

    // ---- unreachable code ----

    [Fact]
    public void UnreachableMakesTheStackPolymorphic()
    {
        WithFunction([], [I32], None, Unreachable, I32Add, End).AssertValid();
        WithFunction([], [I64], None, Unreachable, End).AssertValid();
        WithFunction([], [I32], None, I32Const, 0, Return, Select, End).AssertValid();
    }

    [Fact]
    public void KnownOperandsAreStillCheckedAfterUnreachable() =>
        WithFunction([], [I32], None, Unreachable, I64Const, 0, I32Add, End).AssertInvalid("type mismatch");

    [Fact]
    public void UnreachableDoesNotLeakOutOfItsBlock() =>
        WithFunction([], [], None, Block, EmptyBlock, Unreachable, End, I32Add, Drop, End).AssertInvalid("type mismatch");

    [Fact]
    public void PolymorphicSelectTakesTheKnownOperandType() =>
        WithFunction([], [I32], None, Unreachable, I64Const, 0, Select, End).AssertInvalid("type mismatch");

    // ---- blocks ----

    [Fact]
    public void MultiValueBlockWithParameters()
    {
        var m = new TestModule();
        uint blockType = m.Type([I32, I32], [I32, I64]);
        uint funcType = m.Type([], [I64]);
        m.Function(funcType, None, I32Const, 1, I32Const, 2, Block, (byte)blockType, I32Add, I64Const, 3, End, Drop, Drop, I64Const, 0, End);
        m.AssertValid();
    }

    [Fact]
    public void BlockParametersMustBeOnTheStack()
    {
        var m = new TestModule();
        uint blockType = m.Type([I32, I32], [I32]);
        uint funcType = m.Type([], [I32]);
        m.Function(funcType, None, I32Const, 1, Block, (byte)blockType, I32Add, End, End);
        m.AssertInvalid("type mismatch");
    }

    [Fact]
    public void BlockCannotSeeOperandsOutsideIt()
    {
        WithFunction([], [I32], None, I32Const, 1, Block, TI32, I32Eqz, End, End).AssertInvalid("type mismatch");
    }

    [Fact]
    public void UnknownBlockTypeIndex() =>
        WithFunction([], [], None, Block, 5, End, End).AssertInvalid("unknown type 5");

    [Fact]
    public void IfWithoutElseMustNotChangeTypes()
    {
        WithFunction([], [I32], None, I32Const, 0, If, TI32, I32Const, 1, End, End).AssertInvalid("type mismatch");
        WithFunction([], [I32], None, I32Const, 0, If, TI32, I32Const, 1, Else, I32Const, 2, End, End).AssertValid();
    }

    [Fact]
    public void IfWithParamsPassesThemToBothArms()
    {
        var m = new TestModule();
        uint blockType = m.Type([I32], [I32]);
        uint funcType = m.Type([], [I32]);
        m.Function(funcType, None, I32Const, 7, I32Const, 1, If, (byte)blockType, I32Eqz, Else, End, End);
        m.AssertValid(); // else arm passes the parameter through, if without else would too
    }

    [Fact]
    public void IfConditionMustBeI32() =>
        WithFunction([], [], None, I64Const, 0, If, EmptyBlock, End, End).AssertInvalid("type mismatch");

    [Fact]
    public void ElseArmMustProduceTheResult() =>
        WithFunction([], [I32], None, I32Const, 0, If, TI32, I32Const, 1, Else, End, End).AssertInvalid("type mismatch");

    [Fact]
    public void LoopLabelTakesTheParameters()
    {
        var m = new TestModule();
        uint loopType = m.Type([I32], [I64]);
        uint funcType = m.Type([], [I64]);
        // br 0 inside the loop needs the loop's parameter (i32), not its result (i64).
        m.Function(funcType, None, I32Const, 1, Loop, (byte)loopType, Br, 0, End, End);
        m.AssertValid();
        var bad = new TestModule();
        uint loopType2 = bad.Type([I32], [I64]);
        uint funcType2 = bad.Type([], [I64]);
        bad.Function(funcType2, None, I32Const, 1, Loop, (byte)loopType2, Drop, I64Const, 0, Br, 0, End, End);
        bad.AssertInvalid("type mismatch");
    }

    // ---- branches ----

    [Fact]
    public void BranchToUnknownLabel() =>
        WithFunction([], [], None, Block, EmptyBlock, Br, 2, End, End).AssertInvalid("unknown label 2");

    [Fact]
    public void BranchCarriesLabelValues()
    {
        WithFunction([], [I32], None, Block, TI32, I32Const, 1, Br, 0, End, End).AssertValid();
        WithFunction([], [I32], None, Block, TI32, I64Const, 1, Br, 0, End, End).AssertInvalid("type mismatch");
        WithFunction([], [I32], None, I32Const, 3, Br, 0, End).AssertValid(); // the function body is a label too
    }

    [Fact]
    public void BrIfKeepsTheValues() =>
        WithFunction([], [I32], None, Block, TI32, I32Const, 1, I32Const, 0, BrIf, 0, End, End).AssertValid();

    [Fact]
    public void BrTableTargetsMustAgreeOnArity()
    {
        WithFunction([], [I32], None, Block, TI32, Block, TI32, I32Const, 5, I32Const, 0, BrTable, 1, 0, 1, End, End, End).AssertValid();
        WithFunction([], [], None, Block, EmptyBlock, Block, TI32, I32Const, 5, I32Const, 0, BrTable, 1, 0, 1, End, Drop, End, End)
            .AssertInvalid("type mismatch");
    }

    [Fact]
    public void BrTableTargetsMustAcceptTheOperands() =>
        WithFunction([], [], None, Block, TI32, Block, TF32, Unreachable, I32Const, 1, I32Const, 0, BrTable, 1, 0, 1, End, Drop, I32Const, 0, End, Drop, End)
            .AssertInvalid("type mismatch");

    [Fact]
    public void BrTableOnUnknownOperandsAllowsDifferentTypes() =>
        // Unreachable: the operand is of unknown type, so i32 and f32 targets both accept it.
        WithFunction([], [], None, Block, TI32, Block, TF32, Unreachable, BrTable, 1, 0, 1, End, Drop, I32Const, 0, End, Drop, End).AssertValid();

    [Fact]
    public void ReturnChecksFunctionResults()
    {
        WithFunction([], [I64], None, Block, EmptyBlock, I64Const, 0, Return, End, I64Const, 1, End).AssertValid();
        WithFunction([], [I64], None, I32Const, 0, Return, End).AssertInvalid("type mismatch");
    }

    // ---- calls ----

    [Fact]
    public void CallUsesTheCalleeSignature()
    {
        var m = new TestModule();
        uint t = m.Type([I32], [I64]);
        m.ImportFunction(t);
        m.Function(m.Type([], [I64]), None, I32Const, 1, Call, 0, End);
        m.AssertValid();
        var bad = new TestModule();
        bad.Function(bad.Type([], []), None, Call, 3, End);
        bad.AssertInvalid("unknown function 3");
    }

    [Fact]
    public void CallIndirectNeedsAFuncrefTable()
    {
        var ok = new TestModule();
        uint t = ok.Type([], []);
        ok.Table(FuncRef, 1);
        ok.Function(t, None, I32Const, 0, CallIndirect, 0, 0, End);
        ok.AssertValid();

        var noTable = new TestModule();
        noTable.Function(noTable.Type([], []), None, I32Const, 0, CallIndirect, 0, 0, End);
        noTable.AssertInvalid("unknown table 0");

        var externTable = new TestModule();
        externTable.Table(ExternRef, 1);
        externTable.Function(externTable.Type([], []), None, I32Const, 0, CallIndirect, 0, 0, End);
        externTable.AssertInvalid("type mismatch");

        var badType = new TestModule();
        badType.Table(FuncRef, 1);
        badType.Function(badType.Type([], []), None, I32Const, 0, CallIndirect, 9, 0, End);
        badType.AssertInvalid("unknown type 9");

        var missingIndex = new TestModule();
        missingIndex.Table(FuncRef, 1);
        missingIndex.Function(missingIndex.Type([], []), None, CallIndirect, 0, 0, End);
        missingIndex.AssertInvalid("type mismatch");
    }

    // ---- select ----

    [Fact]
    public void UntypedSelectOnNumbers()
    {
        WithFunction([], [I64], None, I64Const, 1, I64Const, 2, I32Const, 0, Select, End).AssertValid();
        WithFunction([], [I64], None, I64Const, 1, I32Const, 2, I32Const, 0, Select, End).AssertInvalid("type mismatch");
    }

    [Fact]
    public void UntypedSelectRejectsReferences() =>
        WithFunction([], [FuncRef], None, RefNull, TFuncRef, RefNull, TFuncRef, I32Const, 0, Select, End).AssertInvalid("type mismatch");

    [Fact]
    public void TypedSelect()
    {
        WithFunction([], [FuncRef], None, RefNull, TFuncRef, RefNull, TFuncRef, I32Const, 0, SelectT, 1, TFuncRef, End).AssertValid();
        WithFunction([], [I32], None, I32Const, 1, I32Const, 1, I32Const, 0, SelectT, 2, TI32, TI32, End).AssertInvalid("invalid result arity");
        WithFunction([], [I32], None, I32Const, 1, I32Const, 1, I32Const, 0, SelectT, 0, End).AssertInvalid("invalid result arity");
    }

    // ---- locals and globals ----

    [Fact]
    public void LocalIndicesCoverParamsThenLocals()
    {
        WithFunction([I32], [I64], [I64], LocalGet, 1, End).AssertValid();
        WithFunction([I32], [], [I64], I32Const, 0, LocalSet, 1, End).AssertInvalid("type mismatch");
        WithFunction([I32], [], [I64], LocalGet, 2, Drop, End).AssertInvalid("unknown local 2");
        WithFunction([], [F32], [F32], Seq(F32Zero, LocalTee, 0, End)).AssertValid();
    }

    [Fact]
    public void GlobalSetNeedsAMutableGlobal()
    {
        var m = new TestModule();
        m.Global(I32, true, I32Const, 0, End);
        m.Global(I32, false, I32Const, 0, End);
        m.Function(m.Type([], []), None, I32Const, 1, GlobalSet, 0, End);
        m.AssertValid();

        var bad = new TestModule();
        bad.Global(I32, false, I32Const, 0, End);
        bad.Function(bad.Type([], []), None, I32Const, 1, GlobalSet, 0, End);
        bad.AssertInvalid("global is immutable");

        var unknown = new TestModule();
        unknown.Function(unknown.Type([], [I32]), None, GlobalGet, 0, End);
        unknown.AssertInvalid("unknown global 0");
    }

    // ---- memory ----

    [Fact]
    public void MemoryInstructionsNeedAMemory()
    {
        WithFunction([], [I32], None, I32Const, 0, I32Load, 2, 0, End).AssertInvalid("unknown memory 0");
        WithFunction([], [I32], None, MemorySize, 0, End).AssertInvalid("unknown memory 0");
        var m = WithFunction([], [I32], None, I32Const, 0, I32Load, 2, 0, End);
        m.Memory(1);
        m.AssertValid();
    }

    [Theory]
    [InlineData(I32Load, 2, true)]
    [InlineData(I32Load, 3, false)]
    [InlineData(I64Load, 3, true)]
    [InlineData(I64Load, 4, false)]
    [InlineData(I32Load8U, 0, true)]
    [InlineData(I32Load8U, 1, false)]
    public void LoadAlignmentAtMostNatural(byte load, byte align, bool valid)
    {
        var m = WithFunction([], [], None, I32Const, 0, load, align, 0, Drop, End);
        m.Memory(1);
        if (valid) m.AssertValid();
        else m.AssertInvalid("alignment must not be larger than natural");
    }

    [Fact]
    public void StoreOperandTypes()
    {
        var m = WithFunction([], [], None, I32Const, 0, I64Const, 0, I64Store, 3, 0, End);
        m.Memory(1);
        m.AssertValid();
        var bad = WithFunction([], [], None, I32Const, 0, I64Const, 0, I32Store, 2, 0, End);
        bad.Memory(1);
        bad.AssertInvalid("type mismatch");
    }

    [Fact]
    public void MemoryGrowAndBulkOperations()
    {
        var m = WithFunction([], [I32], None,
            I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x0A, 0, 0, // memory.copy
            I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x0B, 0,    // memory.fill
            I32Const, 1, MemoryGrow, 0, End);
        m.Memory(1);
        m.AssertValid();
        WithFunction([], [], None, I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x0B, 0, End).AssertInvalid("unknown memory 0");
    }

    [Fact]
    public void MemoryInitAndDataDropNeedAKnownSegment()
    {
        var m = WithFunction([], [], None, I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x08, 0, 0, Prefix, 0x09, 0, End);
        m.Memory(1);
        m.PassiveData();
        m.DataCount = 1;
        m.AssertValid();

        var unknownSegment = WithFunction([], [], None, Prefix, 0x09, 1, End);
        unknownSegment.PassiveData();
        unknownSegment.DataCount = 1;
        unknownSegment.AssertInvalid("unknown data segment 1");

        var noSegments = WithFunction([], [], None, Prefix, 0x09, 0, End);
        noSegments.AssertInvalid("unknown data segment 0");

        var noMemory = WithFunction([], [], None, I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x08, 0, 0, End);
        noMemory.PassiveData();
        noMemory.DataCount = 1;
        noMemory.AssertInvalid("unknown memory 0");
    }

    // ---- tables and references ----

    [Fact]
    public void TableAccessUsesTheElementType()
    {
        var m = WithFunction([ExternRef], [ExternRef], None, I32Const, 0, LocalGet, 0, TableSet, 0, I32Const, 0, TableGet, 0, End);
        m.Table(ExternRef, 1);
        m.AssertValid();
        var bad = WithFunction([], [], None, I32Const, 0, RefNull, TFuncRef, TableSet, 0, End);
        bad.Table(ExternRef, 1);
        bad.AssertInvalid("type mismatch");
        WithFunction([], [I32], None, Prefix, 0x10, 0, End).AssertInvalid("unknown table 0");
    }

    [Fact]
    public void TableGrowFillCopyInit()
    {
        var m = WithFunction([], [I32], None,
            I32Const, 0, RefNull, TFuncRef, I32Const, 1, Prefix, 0x11, 0,      // table.fill
            I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x0E, 0, 1,          // table.copy 0 1
            I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x0C, 0, 1,          // table.init elem 0 -> table 1
            Prefix, 0x0D, 0,                                                    // elem.drop 0
            RefNull, TFuncRef, I32Const, 1, Prefix, 0x0F, 0, End);              // table.grow
        m.Table(FuncRef, 1);
        m.Table(FuncRef, 1);
        m.Elements(SegmentMode.Passive, FuncRef, [RefNull, TFuncRef, End]);
        m.AssertValid();

        var copyMismatch = WithFunction([], [], None, I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x0E, 0, 1, End);
        copyMismatch.Table(FuncRef, 1);
        copyMismatch.Table(ExternRef, 1);
        copyMismatch.AssertInvalid("type mismatch");

        var initMismatch = WithFunction([], [], None, I32Const, 0, I32Const, 0, I32Const, 0, Prefix, 0x0C, 0, 0, End);
        initMismatch.Table(ExternRef, 1);
        initMismatch.Elements(SegmentMode.Passive, FuncRef, [RefNull, TFuncRef, End]);
        initMismatch.AssertInvalid("type mismatch");

        var unknownElem = WithFunction([], [], None, Prefix, 0x0D, 4, End);
        unknownElem.AssertInvalid("unknown elem segment 4");
    }

    [Fact]
    public void RefIsNullNeedsAReference()
    {
        WithFunction([], [I32], None, RefNull, TExternRef, RefIsNull, End).AssertValid();
        WithFunction([], [I32], None, I32Const, 0, RefIsNull, End).AssertInvalid("type mismatch");
        WithFunction([], [I32], None, Unreachable, RefIsNull, End).AssertValid();
    }

    [Fact]
    public void RefFuncNeedsADeclaration()
    {
        var undeclared = WithFunction([], [FuncRef], None, RefFunc, 0, End);
        undeclared.AssertInvalid("undeclared function reference");

        var declared = WithFunction([], [FuncRef], None, RefFunc, 0, End);
        declared.DeclaredFunctions(0);
        declared.AssertValid();

        var exported = WithFunction([], [FuncRef], None, RefFunc, 0, End);
        exported.Export("f", ExternalKind.Function, 0);
        exported.AssertValid();

        var inGlobal = WithFunction([], [FuncRef], None, RefFunc, 0, End);
        inGlobal.Global(FuncRef, false, RefFunc, 0, End);
        inGlobal.AssertValid();

        WithFunction([], [FuncRef], None, RefFunc, 7, End).AssertInvalid("unknown function 7");
    }

    // ---- atomics ----

    private static TestModule Atomic(ValType[] results, params byte[] code)
    {
        var m = WithFunction([], results, None, code);
        m.Memory(1, 1, shared: true);
        return m;
    }

    [Fact]
    public void AtomicLoadsStoresAndReadModifyWrite()
    {
        Atomic([I64], I32Const, 0, Op.Atomic, 0x11, 3, 0, End).AssertValid();                          // i64.atomic.load
        Atomic([I32], I32Const, 0, Op.Atomic, 0x13, 1, 0, End).AssertValid();                          // i32.atomic.load16_u
        Atomic([], I32Const, 0, I64Const, 0, Op.Atomic, 0x1D, 2, 0, End).AssertValid();               // i64.atomic.store32
        Atomic([I64], I32Const, 0, I64Const, 1, Op.Atomic, 0x24, 2, 0, End).AssertValid();            // i64.atomic.rmw32.add_u
        Atomic([I32], I32Const, 0, I32Const, 1, Op.Atomic, 0x43, 0, 0, End).AssertValid();            // i32.atomic.rmw8.xchg_u
        Atomic([I64], I32Const, 0, I64Const, 1, I64Const, 2, Op.Atomic, 0x4E, 2, 0, End).AssertValid(); // i64.atomic.rmw32.cmpxchg_u
        Atomic([I32], I32Const, 0, I64Const, 1, Op.Atomic, 0x1E, 2, 0, End).AssertInvalid("type mismatch"); // i32.atomic.rmw.add
        Atomic([I32], I32Const, 0, I32Const, 1, Op.Atomic, 0x4A, 0, 0, End).AssertInvalid("type mismatch"); // cmpxchg needs 3 operands
    }

    [Fact]
    public void WaitNotifyAndFence()
    {
        Atomic([I32], I32Const, 0, I32Const, 0, I64Const, 0, Op.Atomic, 0x01, 2, 0, End).AssertValid(); // wait32
        Atomic([I32], I32Const, 0, I64Const, 0, I64Const, 0, Op.Atomic, 0x02, 3, 0, End).AssertValid(); // wait64
        Atomic([I32], I32Const, 0, I32Const, 0, I32Const, 0, Op.Atomic, 0x01, 2, 0, End).AssertInvalid("type mismatch");
        Atomic([I32], I32Const, 0, I32Const, 1, Op.Atomic, 0x00, 2, 0, End).AssertValid();               // notify
        WithFunction([], [], None, Op.Atomic, 0x03, 0, End).AssertValid();                              // fence needs no memory
        WithFunction([], [I32], None, I32Const, 0, I32Const, 1, Op.Atomic, 0x00, 2, 0, End).AssertInvalid("unknown memory 0");
    }

    [Fact]
    public void AtomicAlignmentMustBeExactlyNatural()
    {
        Atomic([I32], I32Const, 0, Op.Atomic, 0x10, 1, 0, End).AssertInvalid("atomic alignment must be natural");
        Atomic([I32], I32Const, 0, Op.Atomic, 0x10, 3, 0, End).AssertInvalid("atomic alignment must be natural");
    }

    [Fact]
    public void AtomicsAreAllowedOnUnsharedMemory()
    {
        var m = WithFunction([], [I32], None, I32Const, 0, Op.Atomic, 0x10, 2, 0, End);
        m.Memory(1);
        m.AssertValid();
    }

    // ---- SIMD ----

    [Fact]
    public void V128IsAValueType()
    {
        ModuleValidator.Validate(WithFunction([], [], [ValType.V128], End).Build());
        ModuleValidator.Validate(WithFunction([ValType.V128], [ValType.V128], None, LocalGet, 0, End).Build());
        ModuleValidator.Validate(WithFunction([], [], None, Block, 0x7B, Unreachable, End, Drop, End).Build());
        // A v128 where an i32 is expected is a type mismatch.
        var mismatch = WithFunction([ValType.V128], [ValType.I32], None, LocalGet, 0, End);
        Assert.Equal("type mismatch", Assert.Throws<WasmValidationException>(() => ModuleValidator.Validate(mismatch.Build())).Reason);
    }

    [Fact]
    public void ResolveBlockTypeForCompiler()
    {
        var m = new TestModule();
        m.Type([I32], [I64, F32]);
        var module = m.Build();
        Assert.Equal(new FuncType([], []), ModuleValidator.ResolveBlockType(module, BlockType.Empty));
        Assert.Equal(new FuncType([], [F64]), ModuleValidator.ResolveBlockType(module, new BlockType(BlockTypeKind.Value, F64)));
        Assert.Equal(new FuncType([I32], [I64, F32]), ModuleValidator.ResolveBlockType(module, new BlockType(BlockTypeKind.TypeIndex, TypeIndex: 0)));
    }
}
