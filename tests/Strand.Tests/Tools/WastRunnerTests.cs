using Strand.Tools;
using Xunit;

namespace Strand.Tests.Tools;

/// <summary>strand wast counts every command: an unparsable one fails alone, the rest still run.</summary>
public class WastRunnerTests
{
    [Fact]
    public void AnUnparsableCommandFailsAloneAndTheRestRun()
    {
        var result = WastRunner.RunText("""
            (module (func (export "one") (result i32) (i32.const 1)))
            (assert_return (invoke "one") (i32.const 1))
            (assert_return (invoke "one") (v128.const i32x5 0 0 0 0))
            (assert_return (invoke "one") (i32.const 1))
            (module definition $D (func (i32.frob)))
            (assert_return (invoke "one") (i32.const 1))
            (assert_everything)
            (register "lib")
            (invoke "one")
            """, "mixed.wast");

        Assert.Equal((6, 3, 0), (result.Passed, result.Failed, result.Skipped));
        Assert.Equal(
            [
                "mixed.wast:3: cannot parse (assert_return ...): at 3:43: unexpected token i32x5, expected a vector shape (i8x16, i16x8, i32x4, i64x2, f32x4, f64x2)",
                "mixed.wast:5: cannot parse (module definition ...): at 5:30: unknown operator i32.frob",
                "mixed.wast:7: cannot parse (assert_everything ...): at 7:2: unknown command assert_everything",
            ],
            result.Failures);
    }

    [Fact]
    public void AssertExceptionAndExnrefNullsAreChecked()
    {
        var result = WastRunner.RunText("""
            (module
              (tag $e (param i32))
              (func (export "null") (result exnref) (ref.null exn))
              (func (export "caught") (result exnref)
                (block $h (result exnref) (try_table (catch_all_ref $h) (throw $e (i32.const 1))) (ref.null exn)))
              (func (export "is_null") (param exnref) (result i32) (ref.is_null (local.get 0)))
              (func (export "throws") (throw $e (i32.const 2)))
              (func (export "traps") (unreachable)))
            (assert_return (invoke "null") (ref.null exn))
            (assert_return (invoke "is_null" (ref.null exn)) (i32.const 1))
            (assert_exception (invoke "throws"))
            (assert_exception (invoke "traps"))
            (assert_trap (invoke "throws") "unreachable")
            (assert_return (invoke "caught") (ref.null exn))
            """, "exn.wast");
        Assert.Equal((4, 3), (result.Passed, result.Failed));
        Assert.Equal(
            [
                "exn.wast:12: expected an exception, got trap \"unreachable\"",
                "exn.wast:13: expected trap \"unreachable\", got an uncaught wasm exception (tag [i32] -> []: i32:2)",
                "exn.wast:14: result 0: expected (ref.null exn), got exnref (bits 0x0)",
            ],
            result.Failures);
    }

    [Fact]
    public void ALexicalErrorIsSkippedToTheEndOfItsCommand()
    {
        var result = WastRunner.RunText("""
            (module (func (export "two") (result i32) (i32.const 2)))
            (assert_return (invoke "two" "\q") (i32.const 2))
            (assert_return (invoke "two") (i32.const 2))
            """, "lexical.wast");
        Assert.Equal((2, 1), (result.Passed, result.Failed));
        Assert.Equal("lexical.wast:2: cannot parse: at 2:31: unknown escape \\q", Assert.Single(result.Failures));
    }

    [Fact]
    public void CommandsNeedingAModuleThatFailedNameItsLineAndReason()
    {
        var result = WastRunner.RunText("""
            (module $M (func (export "f") (result i32) (i32.const 1)))
            (module $M (func (export "f") (param v129)))
            (assert_return (invoke $M "f") (i32.const 1))
            (assert_return (invoke "f") (i32.const 1))
            (module (func (export "g") (result i32) (i32.const 2)))
            (assert_return (invoke "g") (i32.const 2))
            (module (func $bad (result i32) (i32.add)))
            (register "lib")
            (module (import "lib" "g" (func)))
            (get "x")
            """, "deps.wast");

        Assert.Equal(3, result.Passed);
        Assert.Equal(7, result.Failed);
        Assert.Equal(
            [
                "deps.wast:2: cannot parse (module ...): at 2:38: unexpected token v129, expected a value type",
                "deps.wast:3: module $M (line 2) is missing: it could not be parsed",
                "deps.wast:4: the module at line 2 is missing: it could not be parsed",
                "deps.wast:7: module rejected: invalid module in func[0] at byte 0x18: type mismatch",
                "deps.wast:8: the module at line 7 is missing: rejected: invalid module in func[0] at byte 0x18: type mismatch",
                "deps.wast:9: instantiation failed: unknown import: lib.g (func [] -> []) is not defined (\"lib\" was never registered: the register at line 8 failed: "
                    + "the module at line 7 is missing: rejected: invalid module in func[0] at byte 0x18: type mismatch)",
                "deps.wast:10: the module at line 9 is missing: instantiation failed: unknown import: lib.g (func [] -> []) is not defined (\"lib\" was never registered: the register at line 8 failed: "
                    + "the module at line 7 is missing: rejected: invalid module in func[0] at byte 0x18: type mismatch)",
            ],
            result.Failures);
    }

    [Fact]
    public void GcModulesAreRunAndCheckedLikeAnyOther()
    {
        // (module (func (drop (ref.i31 (i32.const 0))))) in binary, then ref.eq of two anyref nulls (anyref is not eqref).
        var result = WastRunner.RunText("""
            (module binary "\00asm\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00"
              "\0a\09\01\07\00\41\00\fb\1c\1a\0b")
            (assert_invalid (module binary "\00asm\01\00\00\00" "\01\04\01\60\00\00" "\03\02\01\00" "\0a\09\01\07\00\d0\6e\d0\6e\d3\0b") "type mismatch")
            (assert_malformed (module binary "\00asm\01\00\00\00" "\0e\00") "malformed section id")
            """, "gc.wast");
        Assert.Empty(result.Failures);
        Assert.Equal((3, 0, 0), (result.Passed, result.Failed, result.Skipped));
    }

    [Fact]
    public void TheTimeoutInterruptsOneCommandAndTheNextOnesRun()
    {
        var result = WastRunner.RunText("""
            (module
              (memory 1 1 shared)
              (func (export "spin") (loop (br 0)))
              (func (export "wait") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
              (func (export "three") (result i32) (i32.const 3)))
            (invoke "spin")
            (assert_return (invoke "wait") (i32.const 0))
            (assert_return (invoke "three") (i32.const 3))
            (module (func $forever (loop (br 0))) (start $forever))
            (assert_return (invoke "three") (i32.const 3))
            """, "timeout.wast", TimeSpan.FromMilliseconds(500));

        Assert.Equal((2, 4), (result.Passed, result.Failed));
        const string note = " (the command ran out of time: --timeout 0.5 s)";
        Assert.Equal(
            [
                "timeout.wast:6: action trapped: interrupted" + note,
                "timeout.wast:7: expected values, got trap \"interrupted\"" + note,
                "timeout.wast:9: instantiation failed: interrupted" + note,
                "timeout.wast:10: the module at line 9 is missing: instantiation failed: interrupted",
            ],
            result.Failures);
    }

    [Fact]
    public void ThreadCommandsCountAndTheirWaitIsBoundedByTheTimeout()
    {
        var result = WastRunner.RunText("""
            (module $Mem (memory (export "m") 1 1 shared)
              (func (export "wait") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
            (thread $T (shared (module $Mem))
              (register "mem" $Mem)
              (assert_return (invoke $Mem "wait") (i32.const 0)))
            (wait $T)
            (thread $U (shared (module $Nowhere)))
            (wait $U)
            """, "threads.wast", TimeSpan.FromMilliseconds(500));

        // module, thread $T, wait $T, register (in $T) and wait $U pass; the blocked wait and the unknown shared module fail.
        Assert.Equal((5, 2), (result.Passed, result.Failed));
        Assert.Equal(
            [
                "threads.wast:$T:5: expected values, got trap \"interrupted\" (the command ran out of time: --timeout 0.5 s)",
                "threads.wast:7: thread $U: unknown shared module $Nowhere",
            ],
            result.Failures.Order(StringComparer.Ordinal));
    }
}
