using Strand.Text;
using Xunit;

namespace Strand.Tests.Text;

public class WatParserTests
{
    private static byte[] Wat(string text) => WatParser.ParseModule(text);

    [Fact]
    public void EmptyModuleIsJustTheHeader()
    {
        Assert.Equal(WasmBytes.Header, Wat("(module)"));
        Assert.Equal(WasmBytes.Header, Wat(""));
        Assert.Equal(WasmBytes.Header, Wat("(module $m)"));
    }

    [Fact]
    public void EncodesASimpleFunctionExactly()
    {
        byte[] expected =
        [
            .. WasmBytes.Header,
            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F,       // type section: [] -> [i32]
            0x03, 0x02, 0x01, 0x00,                         // function section
            0x07, 0x07, 0x01, 0x03, (byte)'a', (byte)'n', (byte)'s', 0x00, 0x00, // export "ans" func 0
            0x0A, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2A, 0x0B, // code: i32.const 42 end
        ];
        Assert.Equal(expected, Wat("(module (func (export \"ans\") (result i32) i32.const 42))"));
    }

    [Fact]
    public void BareFieldsEqualAWrappedModule() =>
        Assert.Equal(Wat("(module (memory 1) (func))"), Wat("(memory 1) (func)"));

    [Fact]
    public void FoldedAndFlatInstructionsProduceIdenticalBytes()
    {
        var flat = Wat("""
            (module
              (func $f (param $x i32) (result i32)
                local.get $x
                i32.const 1
                i32.add
                block $done (result i32)
                  local.get 0
                  if (result i32)
                    i32.const 2
                  else
                    i32.const 3
                  end
                  br_if $done
                  i32.const 4
                end
                i32.mul
                loop $l
                  br 0
                end
                select))
            """);
        var folded = Wat("""
            (module
              (func $f (param $x i32) (result i32)
                (i32.mul
                  (i32.add (local.get $x) (i32.const 1))
                  (block $done (result i32)
                    (br_if $done
                      (if (result i32) (local.get 0)
                        (then (i32.const 2))
                        (else (i32.const 3))))
                    (i32.const 4)))
                (loop $l (br 0))
                (select)))
            """);
        Assert.Equal(flat, folded);
    }

    [Fact]
    public void InlineExportEqualsExportField() =>
        Assert.Equal(
            Wat("(module (func $f) (export \"a\" (func $f)) (export \"b\" (func $f)) (memory $m 1) (export \"m\" (memory $m)))"),
            Wat("(module (func $f (export \"a\") (export \"b\")) (memory (export \"m\") 1))"));

    [Fact]
    public void InlineImportEqualsImportField()
    {
        Assert.Equal(
            Wat("(module (import \"env\" \"f\" (func (param i32))) (import \"env\" \"t\" (table 1 2 funcref)) (import \"env\" \"m\" (memory 1 2 shared)) (import \"env\" \"g\" (global (mut i64))))"),
            Wat("(module (func (import \"env\" \"f\") (param i32)) (table (import \"env\" \"t\") 1 2 funcref) (memory (import \"env\" \"m\") 1 2 shared) (global (import \"env\" \"g\") (mut i64)))"));
        // An inline import may be combined with inline exports of the imported function.
        Assert.Equal(
            Wat("(module (import \"m\" \"n\" (func $f)) (export \"x\" (func $f)))"),
            Wat("(module (func $f (export \"x\") (import \"m\" \"n\")))"));
    }

    [Fact]
    public void ImportedDefinitionsComeFirstInTheIndexSpace()
    {
        var bytes = Wat("(module (import \"m\" \"f\" (func)) (func $mine) (func (call $mine)))");
        Assert.Equal(new byte[] { 0x10, 0x01, 0x0B }, WasmBytes.FunctionCode(bytes, 1));
    }

    [Fact]
    public void TypeUsesReuseOrAppendTypesPerSpec()
    {
        // $f's signature matches nothing explicit, so it is appended after the explicit types;
        // $g matches the explicit type defined later; $h reuses $f's implicit type.
        var implicitTypes = Wat("""
            (module
              (func $f (result f64) (f64.const 0))
              (func $g (param i32))
              (func $h (result f64) (f64.const 1))
              (type $t (func (param i32))))
            """);
        var explicitTypes = Wat("""
            (module
              (type $t (func (param i32)))
              (type (func (result f64)))
              (func $f (type 1) (f64.const 0))
              (func $g (type $t))
              (func $h (type 1) (f64.const 1)))
            """);
        Assert.Equal(explicitTypes, implicitTypes);
    }

    [Fact]
    public void MismatchedInlineTypeIsRejected()
    {
        var ex = Assert.Throws<WatParseException>(() => Wat("(module (type (func (param i32))) (func (type 0) (param i64)))"));
        Assert.Contains("inline function type", ex.Reason);
    }

    [Fact]
    public void TableElemAbbreviationEqualsExplicitSegment() =>
        Assert.Equal(
            // 3.0: the inline segment has the table's type (funcref), so its items are expressions; "func $f $g" would be (ref func).
            Wat("(module (table $t 2 2 funcref) (elem (table $t) (i32.const 0) funcref (ref.func $f) (ref.func $g)) (func $f) (func $g))"),
            Wat("(module (table $t funcref (elem $f $g)) (func $f) (func $g))"));

    [Fact]
    public void MemoryDataAbbreviationEqualsExplicitSegment()
    {
        var text = new string('x', 70000);
        Assert.Equal(
            Wat($"(module (memory $m 2 2) (data (memory $m) (i32.const 0) \"{text}\"))"),
            Wat($"(module (memory $m (data \"{text[..30000]}\" \"{text[30000..]}\")))"));
    }

    [Fact]
    public void ElemSegmentForms()
    {
        var bytes = Wat("""
            (module
              (table 1 funcref) (table $t2 1 externref)
              (func $f)
              (elem (i32.const 0) $f)
              (elem func $f)
              (elem declare func $f)
              (elem (table $t2) (offset (i32.const 0)) externref (ref.null extern))
              (elem funcref (item ref.func $f) (ref.null func)))
            """);
        byte[] expected =
        [
            0x05,
            0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,                   // active table 0, index form
            0x01, 0x00, 0x01, 0x00,                               // passive, elemkind, [0]
            0x03, 0x00, 0x01, 0x00,                               // declarative
            0x06, 0x01, 0x41, 0x00, 0x0B, 0x6F, 0x01, 0xD0, 0x6F, 0x0B, // active table 1, expressions
            0x05, 0x70, 0x02, 0xD2, 0x00, 0x0B, 0xD0, 0x70, 0x0B, // passive, expressions
        ];
        Assert.Equal(expected, WasmBytes.Section(bytes, 9));
    }

    [Fact]
    public void DataSegmentFormsAndDataCount()
    {
        var bytes = Wat("""
            (module
              (memory $a 1) (memory $b 1)
              (data (i32.const 1) "a")
              (data $p "bc")
              (data (memory $b) (offset (i32.const 2)) "d")
              (func (memory.init $p (i32.const 0) (i32.const 0) (i32.const 1)) (data.drop $p)))
            """);
        Assert.Equal(new byte[] { 0x03 }, WasmBytes.Section(bytes, 12));
        Assert.Equal(new byte[] { 0x03, 0x00, 0x41, 0x01, 0x0B, 0x01, 0x61, 0x01, 0x02, 0x62, 0x63, 0x02, 0x01, 0x41, 0x02, 0x0B, 0x01, 0x64 }, WasmBytes.Section(bytes, 11));
        Assert.Equal(new byte[] { 0x41, 0x00, 0x41, 0x00, 0x41, 0x01, 0xFC, 0x08, 0x01, 0x00, 0xFC, 0x09, 0x01, 0x0B }, WasmBytes.FunctionCode(bytes));
        Assert.Null(WasmBytes.Section(Wat("(module (memory 1) (data (i32.const 0) \"x\"))"), 12));
    }

    [Fact]
    public void StringEscapesAreDecodedToBytes()
    {
        var bytes = Wat("(module (memory 1) (data (i32.const 0) \"\\t\\n\\r\\\"\\'\\\\\\41\\ff\\u{e9}\\u{1F600}é\"))");
        byte[] expected = [0x09, 0x0A, 0x0D, 0x22, 0x27, 0x5C, 0x41, 0xFF, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0xC3, 0xA9];
        var data = WasmBytes.Section(bytes, 11)!;
        Assert.Equal(expected, data[^expected.Length..]);
        Assert.Equal(expected.Length, data[^(expected.Length + 1)]);
    }

    [Fact]
    public void CommentsAndAnnotationsAreSkipped() =>
        Assert.Equal(
            Wat("(module (func nop))"),
            Wat("(;a (; nested ;) b;)(module ;; line\n (@x \"x\" (y)) (func;;c\n nop(;d;)))"));

    [Fact]
    public void BlockTypesByValueTypeTypeIndexAndInlineSignature()
    {
        var bytes = Wat("""
            (module
              (type $pair (func (param i32) (result i32 i32)))
              (func (param i32) (result i32 i32)
                (block (result i32) (i32.const 0)) drop
                (block (type $pair) (local.get 0))
                (block (param i32 i32) (result i32 i32))
                drop drop))
            """);
        var code = WasmBytes.FunctionCode(bytes);
        // The function reuses $pair; the last block's [i32 i32] -> [i32 i32] signature is appended as type 1.
        Assert.Equal(new byte[] { 0x02, 0x7F, 0x41, 0x00, 0x0B, 0x1A, 0x02, 0x00, 0x20, 0x00, 0x0B, 0x02, 0x01, 0x0B, 0x1A, 0x1A, 0x0B }, code);
        Assert.Equal(2, WasmBytes.Section(bytes, 1)![0]);
    }

    [Fact]
    public void LabelsResolveInnermostFirstWithShadowing()
    {
        var code = WasmBytes.FunctionCode(Wat("(module (func (block $a (block $b (block $a (br $a) (br $b) (br_table $a $b 2))))))"));
        Assert.Equal(new byte[] { 0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x0C, 0x00, 0x0C, 0x01, 0x0E, 0x02, 0x00, 0x01, 0x02, 0x0B, 0x0B, 0x0B, 0x0B }, code);
    }

    [Fact]
    public void LocalsByNameAndRunLengthEncoding()
    {
        var bytes = Wat("(module (func (param $p i64) (local $a i32) (local i32 f64) (local $b f64) (local.set $b (f64.const 0)) (local.get $a) (local.tee $p (i64.const -1)) drop drop))");
        var code = WasmBytes.Section(bytes, 10)!;
        // One body: local groups 2 x i32, 2 x f64.
        Assert.Equal(new byte[] { 0x02, 0x02, 0x7F, 0x02, 0x7C }, code[2..7]);
        Assert.Equal(new byte[] { 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x21, 0x04, 0x20, 0x01, 0x42, 0x7F, 0x22, 0x00, 0x1A, 0x1A, 0x0B }, WasmBytes.FunctionCode(bytes));
    }

    [Fact]
    public void MemArgsAndAtomics()
    {
        var code = WasmBytes.FunctionCode(Wat("""
            (module (memory 1 1 shared)
              (func
                (drop (i32.load offset=0x10 align=1 (i32.const 0)))
                (i64.store8 offset=3 (i32.const 0) (i64.const 0))
                (drop (i32.atomic.rmw8.add_u offset=4 (i32.const 0) (i32.const 1)))
                (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
                (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
                (drop (i64.atomic.rmw32.cmpxchg_u (i32.const 0) (i64.const 0) (i64.const 1)))
                atomic.fence))
            """));
        byte[] expected =
        [
            0x41, 0x00, 0x28, 0x00, 0x10, 0x1A,
            0x41, 0x00, 0x42, 0x00, 0x3C, 0x00, 0x03,
            0x41, 0x00, 0x41, 0x01, 0xFE, 0x20, 0x00, 0x04, 0x1A,
            0x41, 0x00, 0x41, 0x00, 0x42, 0x7F, 0xFE, 0x01, 0x02, 0x00, 0x1A,
            0x41, 0x00, 0x41, 0x01, 0xFE, 0x00, 0x02, 0x00, 0x1A,
            0x41, 0x00, 0x42, 0x00, 0x42, 0x01, 0xFE, 0x4E, 0x02, 0x00, 0x1A,
            0xFE, 0x03, 0x00,
            0x0B,
        ];
        Assert.Equal(expected, code);
    }

    [Fact]
    public void ReferenceTableAndBulkInstructions()
    {
        var code = WasmBytes.FunctionCode(Wat("""
            (module (table $t 1 funcref) (table $u 1 funcref) (elem $e func $f) (memory 1)
              (func $f
                (table.init $u $e (i32.const 0) (i32.const 0) (i32.const 0))
                (table.init $e (i32.const 0) (i32.const 0) (i32.const 0))
                (table.copy $u $t (i32.const 0) (i32.const 0) (i32.const 0))
                (elem.drop $e)
                (drop (table.grow $u (ref.null func) (i32.const 1)))
                (drop (ref.is_null (ref.func $f)))
                (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
                (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))
                (drop (select (result externref) (ref.null extern) (ref.null extern) (i32.const 1)))
                (drop (i32.trunc_sat_f64_u (f64.const 1)))
                (call_indirect $u (param i32) (i32.const 5) (i32.const 0))))
            """));
        byte[] expected =
        [
            0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0C, 0x00, 0x01,
            0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0C, 0x00, 0x00,
            0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0E, 0x01, 0x00,
            0xFC, 0x0D, 0x00,
            0xD0, 0x70, 0x41, 0x01, 0xFC, 0x0F, 0x01, 0x1A,
            0xD2, 0x00, 0xD1, 0x1A,
            0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0B, 0x00,
            0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0A, 0x00, 0x00,
            0xD0, 0x6F, 0xD0, 0x6F, 0x41, 0x01, 0x1C, 0x01, 0x6F, 0x1A,
            0x44, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0xFC, 0x03, 0x1A,
            0x41, 0x05, 0x41, 0x00, 0x11, 0x01, 0x01,
            0x0B,
        ];
        Assert.Equal(expected, code);
    }

    [Fact]
    public void ConstantsAreEncodedWithExactBits()
    {
        var code = WasmBytes.FunctionCode(Wat("(module (func (i32.const 0xffff_ffff) (i64.const -0x8000000000000000) (f32.const -nan:0x1) (f64.const 0x1.fp-3) drop drop drop drop))"));
        byte[] expected =
        [
            0x41, 0x7F,
            0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F,
            0x43, 0x01, 0x00, 0x80, 0xFF,
            0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xCF, 0x3F,
            0x1A, 0x1A, 0x1A, 0x1A, 0x0B,
        ];
        Assert.Equal(expected, code);
    }

    [Fact]
    public void GlobalsAndStart()
    {
        var bytes = Wat("(module (global $g (mut i32) (i32.const 7)) (global i64 (i64.const 1)) (func $main) (start $main))");
        Assert.Equal(new byte[] { 0x02, 0x7F, 0x01, 0x41, 0x07, 0x0B, 0x7E, 0x00, 0x42, 0x01, 0x0B }, WasmBytes.Section(bytes, 6));
        Assert.Equal(new byte[] { 0x00 }, WasmBytes.Section(bytes, 8));
    }

    [Theory]
    [InlineData("(module\n  (func\n    (i32.add (i32.const 1) (i32.frob))))", 3, 29, "unknown operator")]
    [InlineData("(module (func (i32.const 4294967296)))", 1, 26, "constant out of range")]
    [InlineData("(module (func br $nowhere))", 1, 18, "unknown label")]
    [InlineData("(module (func (call $nowhere)))", 1, 21, "unknown function")]
    [InlineData("(module (func (local.get $x)))", 1, 26, "unknown local")]
    [InlineData("(module (memory 1) (func (drop (i32.load align=3 (i32.const 0)))))", 1, 42, "alignment")]
    [InlineData("(module (func $f) (func $f))", 1, 25, "duplicate function")]
    [InlineData("(module (func) (import \"a\" \"b\" (func)))", 1, 16, "import after function")]
    [InlineData("(module (func block $a end $b))", 1, 28, "mismatching label")]
    [InlineData("(module (func (v128.const i32x4 0 0 0)))", 1, 38, "wrong number of lane literals")]
    [InlineData("(module (func (param v129)))", 1, 22, "expected a value type")]
    [InlineData("(module (func \"a\"x))", 1, 15, "unknown operator")]
    [InlineData("(module (func (nop))", 1, 1, "unclosed parenthesis")]
    [InlineData("(module (; never closed", 1, 9, "unclosed block comment")]
    [InlineData("(module (data \"\\q\"))", 1, 16, "unknown escape")]
    [InlineData("(module (start 0) (start 0) (func))", 1, 19, "multiple start sections")]
    [InlineData("(module (func block nop))", 1, 15, "missing 'end'")]
    public void ErrorsCarryLineAndColumn(string text, int line, int column, string reason)
    {
        var ex = Assert.Throws<WatParseException>(() => Wat(text));
        Assert.Contains(reason, ex.Reason);
        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.StartsWith($"{line}:{column}: ", ex.Message);
    }

    [Fact]
    public void DeepNestingFailsCleanly()
    {
        int depth = 200_000;
        var text = "(module (func " + string.Concat(Enumerable.Repeat("block ", depth)) + string.Concat(Enumerable.Repeat("end ", depth)) + "))";
        var ex = Assert.Throws<WatParseException>(() => Wat(text));
        Assert.Contains("too deep", ex.Reason);
    }

    [Fact]
    public void ModuleBinaryAndQuoteForms()
    {
        Assert.Equal(WasmBytes.Header, Wat("(module binary \"\\00asm\" \"\\01\\00\\00\\00\")"));
        Assert.Equal(Wat("(module (func nop))"), Wat("(module quote \"(func n\" \"op)\")"));
    }
}
