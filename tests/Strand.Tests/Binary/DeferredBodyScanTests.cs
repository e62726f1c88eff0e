using Strand.Binary;
using Strand.Validation;
using Xunit;
using static Strand.Tests.Binary.WasmBytes;

namespace Strand.Tests.Binary;

/// <summary>
/// <c>Module.Compile</c> decodes a big module's bodies by their extent and locals only, and lets validation, which decodes
/// every instruction anyway, stand for the decoder's scan of them (ModuleDecoder.DecodeDeferringBodyScan): one pass over
/// the code instead of two. When validation fails, the scan runs first, so a malformed module is still reported as
/// malformed, with the error and offset the decoder gives, before any validation error, and a malformed body before a
/// malformed later section.
/// </summary>
public class DeferredBodyScanTests
{
    private const int Bodies = 1000;

    /// <summary><see cref="Bodies"/> ()->() functions (<paramref name="body"/>: each body, null for <c>nop end</c>), a memory, then <paramref name="after"/> sections.</summary>
    private static byte[] ManyFunctions(Func<int, byte[]?> body, byte[]? dataCount = null, params byte[][] after) =>
        ManyFunctionsWith(body, [], dataCount, after);

    /// <summary>As above, with <paramref name="before"/> sections between the memory and the data count sections (export, start, element).</summary>
    private static byte[] ManyFunctionsWith(Func<int, byte[]?> body, byte[][] before, byte[]? dataCount, params byte[][] after) => Module(
        [
            VoidTypeSection(),
            Section(3, Vec(Enumerable.Repeat(new byte[] { 0x00 }, Bodies).ToArray())),
            Section(5, Vec([0x00, 0x01])), // memory 1
            .. before,
            .. (dataCount is null ? Array.Empty<byte[]>() : [Section(12, dataCount)]),
            Section(10, Concat([U32(Bodies), .. Enumerable.Range(0, Bodies).Select(i => body(i) ?? Body(0x01, 0x0B))])),
            .. after,
        ]);

    private static readonly byte[] IllegalOpcode = Body(0x01, 0xFF, 0x0B);
    private static readonly byte[] TypeMismatch = Body(0x41, 0x00, 0x0B); // i32.const 0 left in a [] -> [] body
    private static readonly byte[] EndMissing = Body(0x01, 0x01);
    private static readonly byte[] DataDrop = Body(0xFC, 0x09, 0x00, 0x0B);
    private static readonly byte[] TrailingBytes = Body(0x0B, 0x01);
    private static readonly byte[] ElseWithoutIf = Body(0x05, 0x0B);

    /// <summary>What <c>Module.Compile</c> throws, and what decoding then validating (the scan at decode time) throws: the same.</summary>
    private static Exception BothWays(byte[] wasm)
    {
        var compiled = Assert.ThrowsAny<Exception>(() => Module.Compile(wasm));
        var separately = Assert.ThrowsAny<Exception>(() => ModuleValidator.Validate(ModuleDecoder.Decode(wasm)));
        Assert.Equal(separately.GetType(), compiled.GetType());
        Assert.Equal(separately.Message, compiled.Message);
        return compiled;
    }

    [Fact]
    public void AValidModuleCompilesAndNothingIsLeftToScan()
    {
        var module = Module.Compile(ManyFunctions(_ => null));
        Assert.Null(module.Definition.PendingBodyScan);
        Assert.Equal(Bodies, module.Definition.Bodies.Count);
    }

    [Fact]
    public void DecodingForCompilationDefersTheScan()
    {
        var definition = ModuleDecoder.DecodeDeferringBodyScan(ManyFunctions(i => i == 700 ? IllegalOpcode : null));
        Assert.NotNull(definition.PendingBodyScan); // the malformed body was not looked at yet
        var e = Assert.Throws<WasmFormatException>(() => ModuleValidator.Validate(definition));
        Assert.Equal("illegal opcode", e.Reason);
    }

    [Fact]
    public void AMalformedBodyIsReportedBeforeAnEarlierInvalidOne()
    {
        var e = Assert.IsType<WasmFormatException>(BothWays(ManyFunctions(i => i switch { 30 => TypeMismatch, 700 => IllegalOpcode, _ => null })));
        Assert.Equal("illegal opcode", e.Reason);
    }

    [Fact]
    public void TheLowestMalformedBodyIsReported()
    {
        var e = Assert.IsType<WasmFormatException>(BothWays(ManyFunctions(i => i is 900 or 40 or 600 ? IllegalOpcode : null)));
        Assert.Equal(ModuleDecoder.Decode(ManyFunctions(_ => null)).Bodies[40].SourceOffset + 3, e.Offset);
    }

    [Fact]
    public void AnInvalidBodyAloneIsAValidationError() =>
        Assert.IsType<WasmValidationException>(BothWays(ManyFunctions(i => i == 500 ? TypeMismatch : null)));

    /// <summary>A passive data segment of one byte (data section).</summary>
    private static readonly byte[] OneDataSegment = Section(11, Vec(Concat([0x01], Vec([0x2A]))));

    [Theory]
    [InlineData("end missing")]
    [InlineData("trailing bytes")]
    [InlineData("else without if")]
    [InlineData("data.drop without a data count section")]
    public void WhatOnlyTheScanCheckedIsStillMalformed(string what)
    {
        var body = what switch
        {
            "end missing" => EndMissing,
            "trailing bytes" => TrailingBytes,
            "else without if" => ElseWithoutIf,
            _ => DataDrop,
        };
        // The data segment exists, so data.drop 0 is valid but for the missing data count section: validation alone
        // would accept it unless it checks that rule too.
        var e = Assert.IsType<WasmFormatException>(BothWays(ManyFunctions(i => i == 333 ? body : null, null, OneDataSegment)));
        if (body == DataDrop) Assert.Equal("data count section required", e.Reason);
    }

    [Fact]
    public void DataDropWithADataCountSectionIsValid()
    {
        var wasm = ManyFunctions(i => i == 333 ? DataDrop : null, dataCount: U32(1), OneDataSegment);
        Module.Compile(wasm);
    }

    [Fact]
    public void AMalformedBodyComesBeforeAMalformedLaterSection()
    {
        byte[] badData = Section(11, Vec([0x07])); // data segment kind 7
        var e = Assert.IsType<WasmFormatException>(BothWays(ManyFunctions(i => i == 100 ? IllegalOpcode : null, null, badData)));
        Assert.Equal("illegal opcode", e.Reason);
        // Alone, the later section's error.
        Assert.IsType<WasmFormatException>(BothWays(ManyFunctions(_ => null, null, badData)));
    }

    [Fact]
    public void AMalformedBodyComesBeforeAnInvalidExportOrStartFunction()
    {
        byte[] badStart = Section(8, U32(5_000)); // start: unknown function (a validation error)
        var e = Assert.IsType<WasmFormatException>(BothWays(ManyFunctionsWith(i => i == 100 ? IllegalOpcode : null, [badStart], null)));
        Assert.Equal("illegal opcode", e.Reason);
        Assert.IsType<WasmValidationException>(BothWays(ManyFunctionsWith(_ => null, [badStart], null)));
    }
}
