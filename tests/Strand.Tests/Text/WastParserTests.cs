using Strand.Text;
using Xunit;

namespace Strand.Tests.Text;

public class WastParserTests
{
    private const string Script = """
        (module $M (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
        (register "math" $M)
        (module binary "\00asm" "\01\00\00\00")
        (assert_return (invoke $M "add" (i32.const 1) (i32.const -2)) (i32.const -1))
        (assert_return (invoke "f" (f32.const -0x1p-1) (f64.const nan:0x4)) (f32.const nan:canonical) (f64.const nan:arithmetic))
        (assert_return (invoke "r" (ref.null func) (ref.extern 7)) (ref.null extern) (ref.extern 7) (ref.func) (ref.extern))
        (assert_return (get $M "g") (i64.const 0xffff_ffff_ffff_ffff))
        (invoke "side-effect")
        (assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
        (assert_trap (module (func $s unreachable) (start $s)) "unreachable")
        (assert_exhaustion (invoke "loop") "call stack exhausted")
        (assert_invalid (module (func (result i32))) "type mismatch")
        (assert_malformed (module quote "(func" " (i32.const 0x))") "unknown operator")
        (assert_unlinkable (module (import "nowhere" "x" (func))) "unknown import")
        (assert_uninstantiable (module binary "\00asm\01\00\00\00") "out of bounds")
        """;

    [Fact]
    public void ParsesEveryCommandKind()
    {
        var commands = WastParser.Parse(Script, "test.wast");
        Assert.Equal(15, commands.Count);

        var module = Assert.IsType<WastModuleCommand>(commands[0]);
        Assert.Equal(WastModuleKind.Text, module.Module.Kind);
        Assert.Equal("$M", module.Module.Id);
        Assert.Equal(WatParser.ParseModule("(func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))"), module.Module.Binary);
        Assert.Equal(1, module.Line);

        Assert.Equal(new WastRegister("math", "$M", 2), commands[1]);

        var binary = Assert.IsType<WastModuleCommand>(commands[2]).Module;
        Assert.Equal(WastModuleKind.Binary, binary.Kind);
        Assert.Equal(WasmBytes.Header, binary.Binary);

        var add = Assert.IsType<WastAssertReturn>(commands[3]);
        var invoke = Assert.IsType<WastInvoke>(add.Action);
        Assert.Equal(("$M", "add"), (invoke.ModuleId, invoke.ExportName));
        Assert.Equal([WastValue.I32(1), WastValue.I32(0xFFFFFFFE)], invoke.Arguments);
        Assert.Equal([new WastExpectedValue(WastValue.I32(0xFFFFFFFF))], add.Expected);
        Assert.Equal(4, add.Line);

        var floats = Assert.IsType<WastAssertReturn>(commands[4]);
        Assert.Equal([WastValue.F32(0xBF000000), WastValue.F64(0x7FF0000000000004)], ((WastInvoke)floats.Action).Arguments);
        Assert.Equal([new WastExpectedNan(WastValueType.F32, true), new WastExpectedNan(WastValueType.F64, false)], floats.Expected);

        var refs = Assert.IsType<WastAssertReturn>(commands[5]);
        Assert.Equal([WastValue.NullRef(WastValueType.FuncRef), WastValue.ExternRef(7)], ((WastInvoke)refs.Action).Arguments);
        Assert.Equal(
            [
                new WastExpectedValue(WastValue.NullRef(WastValueType.ExternRef)),
                new WastExpectedValue(WastValue.ExternRef(7)),
                new WastExpectedNonNullRef(WastValueType.FuncRef),
                new WastExpectedNonNullRef(WastValueType.ExternRef),
            ],
            refs.Expected);

        var get = Assert.IsType<WastAssertReturn>(commands[6]);
        Assert.Equal(new WastGet("$M", "g", 7), get.Action);
        Assert.Equal([new WastExpectedValue(WastValue.I64(ulong.MaxValue))], get.Expected);

        Assert.IsType<WastInvoke>(Assert.IsType<WastActionCommand>(commands[7]).Action);
        Assert.Equal("integer divide by zero", Assert.IsType<WastAssertTrap>(commands[8]).Message);
        Assert.Equal("unreachable", Assert.IsType<WastAssertModuleTrap>(commands[9]).Message);
        Assert.Equal("call stack exhausted", Assert.IsType<WastAssertExhaustion>(commands[10]).Message);
        Assert.Equal("type mismatch", Assert.IsType<WastAssertInvalid>(commands[11]).Message);

        var malformed = Assert.IsType<WastAssertMalformed>(commands[12]);
        Assert.Equal(WastModuleKind.Quote, malformed.Module.Kind);
        Assert.Null(malformed.Module.Binary);
        Assert.Equal("(func (i32.const 0x))", malformed.Module.QuoteText);
        Assert.Throws<WatParseException>(() => WatParser.ParseModule(malformed.Module.QuoteText!));

        Assert.Equal("unknown import", Assert.IsType<WastAssertUnlinkable>(commands[13]).Message);
        Assert.Equal(15, Assert.IsType<WastAssertUninstantiable>(commands[14]).Line);
    }

    [Fact]
    public void ParsesThreadsProposalCommands()
    {
        var commands = WastParser.Parse("""
            (module $Mem (memory 1 1 shared))
            (thread $T1 (shared (module $Mem))
              (register "mem" $Mem)
              (module (memory (import "mem" "shared") 1 1 shared))
              (assert_return (invoke "run") (either (i32.const 0) (i32.const 1))))
            (wait $T1)
            """, "threads.wast");
        var thread = Assert.IsType<WastThread>(commands[1]);
        Assert.Equal("$T1", thread.Name);
        Assert.Equal(["$Mem"], thread.SharedModules);
        Assert.Equal(3, thread.Commands.Count);
        var either = Assert.IsType<WastExpectedEither>(Assert.IsType<WastAssertReturn>(thread.Commands[2]).Expected[0]);
        Assert.Equal([new WastExpectedValue(WastValue.I32(0)), new WastExpectedValue(WastValue.I32(1))], either.Alternatives);
        Assert.Equal(new WastWait("$T1", 6), commands[2]);
    }

    [Fact]
    public void InlineModuleScriptIsOneModule()
    {
        var commands = WastParser.Parse("(func) (memory 0) (func (export \"f\"))", "inline.wast");
        var module = Assert.IsType<WastModuleCommand>(Assert.Single(commands)).Module;
        Assert.Equal(WatParser.ParseModule("(module (func) (memory 0) (func (export \"f\")))"), module.Binary);
    }

    [Fact]
    public void ErrorsNameTheFile()
    {
        var ex = Assert.Throws<WatParseException>(() => WastParser.Parse("(module)\n(assert_return (invoke \"f\" (i32.const 1x)))", "bad.wast"));
        Assert.Equal("bad.wast", ex.FileName);
        Assert.Equal((2, 39), (ex.Line, ex.Column));
        Assert.StartsWith("bad.wast:2:39: ", ex.Message);
    }

    [Fact]
    public void UnknownCommandIsRejected()
    {
        var ex = Assert.Throws<WatParseException>(() => WastParser.Parse("(assert_everything)", "x.wast"));
        Assert.Contains("unknown command", ex.Reason);
    }

    [Fact]
    public void ParseScriptKeepsGoingPastUnparsableCommands()
    {
        var commands = WastParser.ParseScript("""
            (module $A (func))
            (module $B (func (param v129)))
            (module definition $C (func (i32.frob)))
            (assert_return (invoke "f" "\z"))
            (register "a" $A)
            """, "s.wast");
        Assert.Equal(5, commands.Count);
        Assert.Equal("$A", Assert.IsType<WastModuleCommand>(commands[0]).Module.Id);
        var b = Assert.IsType<WastUnparsable>(commands[1]);
        Assert.Equal(("module", "$B", 2), (b.Head, b.ModuleId, b.Line));
        Assert.Equal("s.wast:2:25: unexpected token v129, expected a value type", b.Error.Message);
        var c = Assert.IsType<WastUnparsable>(commands[2]);
        Assert.Equal(("module definition", "$C", 3), (c.Head, c.ModuleId, c.Line));
        var d = Assert.IsType<WastUnparsable>(commands[3]);
        Assert.Equal(((string?)null, 4, 4, 29), (d.Head, d.Line, d.Error.Line, d.Error.Column));
        Assert.Equal(new WastRegister("a", "$A", 5), commands[4]);
        // The strict form stops at the first.
        Assert.Equal(b.Error.Message, Assert.Throws<WatParseException>(() => WastParser.Parse("(module $A (func))\n(module $B (func (param v129)))", "s.wast")).Message);
    }

    [Fact]
    public void AStrayParenthesisFailsAloneAndParsingGoesOnNextLine()
    {
        var commands = WastParser.ParseScript("(module))\n(register \"a\")", "p.wast");
        Assert.IsType<WastModuleCommand>(commands[0]);
        var stray = Assert.IsType<WastUnparsable>(commands[1]);
        Assert.Equal((1, 9, "unexpected token \")\""), (stray.Line, stray.Error.Column, stray.Error.Reason));
        Assert.Equal(new WastRegister("a", null, 2), commands[2]);
    }

    [Fact]
    public void AnUnbalancedScriptEndsWithOneUnparsableCommand()
    {
        // A lexical error counts at the line its command starts on.
        var split = Assert.IsType<WastUnparsable>(WastParser.ParseScript("(module)\n(assert_return\n  (invoke \"\\q\"))", "q.wast")[1]);
        Assert.Equal((2, 3), (split.Line, split.Error.Line));

        var commands = WastParser.ParseScript("(module)\n(assert_return (invoke \"f\")\n(module)", "u.wast");
        Assert.IsType<WastModuleCommand>(commands[0]);
        var rest = Assert.IsType<WastUnparsable>(Assert.Single(commands.Skip(1)));
        Assert.Equal((2, "unclosed parenthesis"), (rest.Line, rest.Error.Reason));
    }
}
