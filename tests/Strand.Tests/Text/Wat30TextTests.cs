using Strand.Text;
using Strand.Tools;
using Xunit;

namespace Strand.Tests.Text;

/// <summary>The WebAssembly 3.0 text and script format: quoted identifiers, annotations, module definitions and instances.</summary>
public class Wat30TextTests
{
    private static byte[] Wat(string text) => WatParser.ParseModule(text);

    private static WatParseException Malformed(string text) => Assert.Throws<WatParseException>(() => Wat(text));

    [Fact]
    public void QuotedIdentifiersAreTheSameAsPlainOnes()
    {
        var plain = Wat("(module (func $f) (func $g (call $f) (call $g)) (global $x i32 (i32.const 1)) (func (drop (global.get $x))))");
        var quoted = Wat("""(module (func $"f") (func $g (call $"\66") (call $"g")) (global $"\u{78}" i32 (i32.const 1)) (func (drop (global.get $x))))""");
        Assert.Equal(plain, quoted);
        // Names no plain identifier can spell: spaces, parentheses, non-ASCII letters.
        var spaced = Wat("""(module (func $" a (b) ") (func $"Würstchen") (func (call $" a (b) ") (call $"W\c3\bcrstchen")))""");
        Assert.Equal(new byte[] { 0x10, 0x00, 0x10, 0x01, 0x0B }, WasmBytes.FunctionCode(spaced, 2));
        // Labels too, and a closing label must name the same identifier in either spelling.
        Assert.Equal(WasmBytes.FunctionCode(Wat("(module (func block $l (br $l) end $l))")),
            WasmBytes.FunctionCode(Wat("""(module (func block $"l" (br $l) end $"\6c"))""")));
    }

    [Theory]
    [InlineData("(module (func $\"\"))", "empty identifier")]
    [InlineData("(module (func $\"\\ef\"))", "malformed UTF-8")]
    [InlineData("(module (func $\"a\"b))", "unknown operator")]
    [InlineData("(module (func $\"a\") (func $a))", "duplicate function $a")]
    public void MalformedQuotedIdentifiersAreRejected(string text, string reason) =>
        Assert.Contains(reason, Malformed(text).Reason);

    [Fact]
    public void AnnotationsAreDroppedWhereverTheyStand()
    {
        var plain = Wat("(module (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))");
        var annotated = Wat("""
            ((@a) module (@a) (@b x y "z" (nested (@c)) , ; ] [ {} )
              ((@a) func (@x) $f (@"quoted id") (param (@a) i32) (result i32 (@a))
                (@a 0x 8q #4g0-.@f#^&@#$*0sf) ((@a) i32.add (local.get (@a) 0) (i32.const 1 (@a)))))
            """);
        Assert.Equal(plain, annotated);
        Assert.Equal(Wat("(module (func))"), Wat("(@a) (func) (@b)"));
        Assert.Equal(Wat("(module (func))"), Wat("(module (@a\"x\") (func))"));
    }

    [Theory]
    [InlineData("(module (@))", "empty annotation id")]
    [InlineData("(module (@ x))", "empty annotation id")]
    [InlineData("(module (@\"\"))", "empty annotation id")]
    [InlineData("(module (@\"\\ef\"))", "malformed UTF-8")]
    [InlineData("(module (@x (y)", "unclosed annotation")]
    [InlineData("(module (@a \u0007))", "illegal character")]
    [InlineData("(module (@a Heiße))", "illegal character")]
    [InlineData("(module ( @a))", "unknown module field '@a'")]                // "(@" must be adjacent
    [InlineData("(module (func ((@a)@b)))", "unknown operator @b")]           // an annotation does not make its parent one
    [InlineData("(module (func nop,))", "unknown operator nop,")]              // reserved characters form reserved tokens
    public void MalformedAnnotationsAreRejected(string text, string reason) =>
        Assert.Contains(reason, Malformed(text).Reason);

    [Fact]
    public void ModuleDefinitionsAreInstantiatedSeparately()
    {
        var result = WastRunner.RunText("""
            (module definition $Counter
              (global $n (export "n") (mut i32) (i32.const 0))
              (func (export "next") (result i32)
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (global.get $n)))
            (module instance $A $Counter)
            (module instance $B $Counter)
            (assert_return (invoke $A "next") (i32.const 1))
            (assert_return (invoke $A "next") (i32.const 2))
            (assert_return (invoke $B "next") (i32.const 1))
            (register "A" $A)
            (module (import "A" "n" (global $n (mut i32))) (func (export "get") (result i32) (global.get $n)))
            (assert_return (invoke "get") (i32.const 2))
            (module instance)
            (assert_return (invoke "get") (i32.const 2))
            (module instance $C)
            (assert_return (invoke $C "get") (i32.const 2))
            (module definition $Bad (func (result i32)))
            (module instance $D $Bad)
            (module instance $E $Nowhere)
            (assert_return (invoke $D "x"))
            (assert_return (invoke "get") (i32.const 2))
            """, "defs.wast");
        Assert.Equal(
            [
                "defs.wast:18: module rejected: invalid module in func[0] at byte 0x18: type mismatch",
                "defs.wast:19: module definition $Bad (line 18) is missing: rejected: invalid module in func[0] at byte 0x18: type mismatch",
                "defs.wast:20: unknown module definition $Nowhere",
                "defs.wast:21: module $D (line 19) is missing: module definition $Bad (line 18) is missing: rejected: invalid module in func[0] at byte 0x18: type mismatch",
                "defs.wast:22: the module at line 20 is missing: unknown module definition $Nowhere",
            ],
            result.Failures);
        Assert.Equal((13, 5), (result.Passed, result.Failed)); // 18 commands, each counted once
    }

    [Fact]
    public void ANullWithoutAHeapTypeMatchesAnyNullReference()
    {
        var result = WastRunner.RunText("""
            (module
              (table $t 1 funcref)
              (func (export "func") (result funcref) (ref.null func))
              (func (export "extern") (result externref) (ref.null extern))
              (func (export "zero") (result i32) (i32.const 0))
              (func (export "elem") (result funcref) (table.get $t (i32.const 0)))
              (elem declare func $f) (func $f)
              (func (export "nonnull") (result funcref) (ref.func $f)))
            (assert_return (invoke "func") (ref.null))
            (assert_return (invoke "extern") (ref.null))
            (assert_return (invoke "elem") (ref.null))
            (assert_return (invoke "zero") (ref.null))
            (assert_return (invoke "nonnull") (ref.null))
            """, "null.wast");
        Assert.Equal(2, result.Failures.Count);
        Assert.StartsWith("null.wast:12: result 0: expected (ref.null), got i32:0", result.Failures[0]);
        Assert.StartsWith("null.wast:13: result 0: expected (ref.null), got funcref", result.Failures[1]);
        Assert.Equal((4, 2), (result.Passed, result.Failed));
    }

    [Fact]
    public void ATableMayHaveAnInitializer()
    {
        // (table 10 funcref (ref.null func)) is 0x40 0x00, the table type, then the constant expression (spec 5.5.6).
        var bytes = Wat("(module (table 10 funcref (ref.null func)) (table 1 2 externref ref.null extern))");
        Assert.Equal(new byte[] { 0x02, 0x40, 0x00, 0x70, 0x00, 0x0A, 0xD0, 0x70, 0x0B, 0x40, 0x00, 0x6F, 0x01, 0x01, 0x02, 0xD0, 0x6F, 0x0B },
            WasmBytes.Section(bytes, 4));
        Assert.Equal(new byte[] { 0x01, 0x70, 0x00, 0x0A }, WasmBytes.Section(Wat("(module (table 10 funcref))"), 4));
    }

    [Fact]
    public void CustomAnnotationsBecomeCustomSectionsWhereTheySay()
    {
        var bytes = Wat("""
            (module
              (@custom "a" "x" "y")
              (func (@custom "ignored" "inside a field"))
              (@custom "b" (before first) "")
              (@custom "c" (after func) "z")
              (@custom "d" (before code) "w")
              (@custom "e" (after global) "v"))
            """);
        byte[] expected =
        [
            .. WasmBytes.Header,
            0x00, 0x02, 0x01, (byte)'b',                           // (before first)
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                    // type
            0x03, 0x02, 0x01, 0x00,                                // func
            0x00, 0x03, 0x01, (byte)'c', (byte)'z',                // (after func)
            0x00, 0x03, 0x01, (byte)'e', (byte)'v',                // (after global): no global section, still its place
            0x00, 0x03, 0x01, (byte)'d', (byte)'w',                // (before code)
            0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,                    // code
            0x00, 0x04, 0x01, (byte)'a', (byte)'x', (byte)'y',     // (after last), the default
        ];
        Assert.Equal(expected, bytes);
        // Bare fields too; the custom sections decode as such.
        var module = Strand.Binary.ModuleDecoder.Decode(Wat("(@custom \"meta\" \"\\01\\02\") (memory 1)"));
        var custom = Assert.Single(module.CustomSections);
        Assert.Equal(("meta", 2), (custom.Name, custom.PayloadLength));
        Assert.Single(module.Memories);
    }

    [Theory]
    [InlineData("(module (@custom))", "expected the section name")]
    [InlineData("(module (@custom \"a\" (after nothing) \"\"))", "unknown section nothing")]
    [InlineData("(module (@custom \"a\" (during func) \"\"))", "expected (before ...) or (after ...)")]
    [InlineData("(module (@custom \"a\" 1))", "expected a string of section contents")]
    [InlineData("(module (@custom \"\\ff\" \"\"))", "malformed UTF-8")]
    public void MalformedCustomAnnotationsAreRejected(string text, string reason) =>
        Assert.Contains(reason, Malformed(text).Reason);

    [Fact]
    public void DeeplyNestedAnnotationsAreRefusedCleanly()
    {
        string deep = "(module (@a " + new string('(', 50_000) + new string(')', 50_000) + "))";
        Assert.Contains("nesting too deep", Malformed(deep).Reason);
        Assert.Contains("unclosed annotation", Malformed("(module (@a " + new string('(', 100) + ")").Reason);
        // A script command whose annotation never closes fails alone, as the rest of the file.
        var commands = WastParser.ParseScript("(module)\n(module (@a (x)\n(module)", "a.wast");
        Assert.IsType<WastModuleCommand>(commands[0]);
        Assert.Equal("unclosed annotation", Assert.IsType<WastUnparsable>(commands[1]).Error.Reason);
    }

    [Fact]
    public void NullableFuncAndExternReferencesAreTheShortForms()
    {
        Assert.Equal(
            Wat("(module (type (func (param funcref) (result externref))) (global (mut funcref) (ref.null func)) (table 1 externref) (elem funcref (item ref.null func)) (func (local funcref)))"),
            Wat("(module (type (func (param (ref null func)) (result (ref null extern)))) (global (mut (ref null func)) (ref.null func)) (table 1 (ref null extern)) (elem (ref null func) (item ref.null func)) (func (local (ref null func))))"));
        Assert.Contains("unknown operator ref.i32", Malformed("(module (func (param (ref any)) (drop (ref.i32 (i32.const 0)))))").Reason);
        Assert.Contains("unknown type $u", Malformed("(module (type $t (func)) (global (ref null $u) (ref.null $t)))").Reason);
    }

    [Fact]
    public void ScriptsNameModulesWithQuotedIdentifiersAndAnnotateCommands()
    {
        var result = WastRunner.RunText("""
            (module $"my module" (@a) (func (export "f") (result i32) (i32.const 7)))
            (module $other (func (export "f") (result i32) (i32.const 8)))
            (assert_return (@a b) (invoke $"my module" "f") (i32.const 7))
            (assert_return (invoke $"other" "f") (i32.const 8))
            (register "m" $"my module")
            (module (import "m" "f" (func $g (result i32))) (func (export "g") (result i32) (call $"g")))
            (assert_return (invoke "g") (i32.const 7))
            (@a)
            """, "quoted.wast");
        Assert.Empty(result.Failures);
        Assert.Equal(7, result.Passed);
    }

    [Fact]
    public void AnUnclosedBlockCommentBetweenCommandsFailsAsOneCommand()
    {
        var commands = WastParser.ParseScript("(module)\n(register \"a\")\n  (; never closed\n(module)", "c.wast");
        Assert.Equal(3, commands.Count);
        var bad = Assert.IsType<WastUnparsable>(commands[2]);
        Assert.Equal((3, 3, "unclosed block comment"), (bad.Line, bad.Error.Column, bad.Error.Reason));
        var result = WastRunner.RunText("(module)\n(; never closed", "c.wast");
        Assert.Equal((1, 1), (result.Passed, result.Failed));
    }
}
