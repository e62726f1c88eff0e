using Strand.Binary;
using Strand.Compilation;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// <see cref="LocalLiveness"/>: exact live sets at chosen points of small functions (a loop with a temporary, a
/// block exited by <c>br_if</c>, <c>br_table</c> to two targets, <c>if</c>/<c>else</c>), and no analysis for a
/// function with exception handling.
/// </summary>
public class LocalLivenessTests
{
    private const string Wat = """
        (module
          (tag $e)
          ;; locals: $a 0, $b 1, $x 2, $y 3, $t 4
          (func (param $a i32) (param $b i32) (result i32) (local $x i32) (local $y i32) (local $t i32)
            (local.set $x (i32.const 0))
            (loop $l
              (local.set $t (i32.mul (local.get $a) (i32.const 2)))
              (local.set $x (i32.add (local.get $x) (local.get $t)))
              (br_if $l (i32.lt_u (local.get $x) (local.get $b))))
            (block $done
              (br_if $done (local.get $a))
              (local.set $y (i32.const 5))
              (return (local.get $y)))
            (local.get $x))
          ;; locals: $k 0, $p 1, $q 2, $r 3
          (func (param $k i32) (result i32) (local $p i32) (local $q i32) (local $r i32)
            (local.set $p (i32.const 1))
            (local.set $q (i32.const 2))
            (block $b1
              (block $b0
                (br_table $b0 $b1 (local.get $k)))
              (if (local.get $p)
                (then (local.set $r (i32.const 3)))
                (else (local.set $r (local.get $q))))
              (return (local.get $r)))
            (local.get $q))
          (func (local $z i32)
            (try_table (catch_all 0) (local.set $z (i32.const 1)) (throw $e))))
        """;

    private static (List<Instruction> Code, LocalLiveness? Liveness) Analyse(int definedIndex, int locals)
    {
        var definition = ModuleDecoder.Decode(WatParser.ParseModule(Wat));
        var code = FunctionCompiler.Decode(definition, definedIndex);
        return (code, LocalLiveness.Compute(code, locals));
    }

    /// <summary>The index of the <paramref name="nth"/> (0-based) instruction with <paramref name="op"/> (and local <paramref name="local"/>).</summary>
    private static int Find(List<Instruction> code, Opcode op, int nth = 0, int local = -1)
    {
        for (int i = 0; i < code.Count; i++)
            if (code[i].Opcode == op && (local < 0 || code[i].Index == (uint)local) && nth-- == 0) return i;
        throw new InvalidOperationException($"no {op} #{nth}");
    }

    private static int[] Live(LocalLiveness liveness, int point, int locals) =>
        [.. Enumerable.Range(0, locals).Where(x => LocalLiveness.Contains(liveness.LiveBefore(point), x))];

    [Fact]
    public void LoopTemporariesAndExitsHaveExactLiveSets()
    {
        var (code, liveness) = Analyse(0, 5);
        Assert.NotNull(liveness);
        // At entry: $x is written before it is read, so only the parameters are live.
        Assert.Equal([0, 1], Live(liveness!, 0, 5));
        // At the loop head: $a, $b and $x (read before written in the body and after the loop); the temporary $t is not.
        Assert.Equal([0, 1, 2], Live(liveness!, Find(code, Opcode.Loop), 5));
        // Inside the body, after $t is set: $t too.
        Assert.Equal([0, 1, 2, 4], Live(liveness!, Find(code, Opcode.LocalGet, local: 2), 5));
        // After the loop: $b is dead; $a is read by br_if, $x after the block.
        Assert.Equal([0, 2], Live(liveness!, Find(code, Opcode.Block), 5));
        // On the path that falls through br_if and returns $y: nothing is live before $y is set.
        int set5 = Find(code, Opcode.LocalSet, local: 3) - 1; // its i32.const 5
        Assert.Equal([], Live(liveness!, set5, 5));
        // The function's exit.
        Assert.Equal([], Live(liveness!, -1, 5));
    }

    [Fact]
    public void BranchTablesAndIfArmsReachEveryTarget()
    {
        var (code, liveness) = Analyse(1, 4);
        Assert.NotNull(liveness);
        // Before br_table: $b0's target reads $p (the if) and $q (the else arm), $b1's reads $q; $r is written first.
        Assert.Equal([1, 2], Live(liveness!, Find(code, Opcode.BrTable), 4));
        // Before the if (its condition read): $p and $q.
        Assert.Equal([1, 2], Live(liveness!, Find(code, Opcode.LocalGet, local: 1), 4));
        // The then arm: nothing before $r is set; the else arm reads $q.
        Assert.Equal([], Live(liveness!, Find(code, Opcode.I32Const, nth: 2), 4));
        Assert.Equal([2], Live(liveness!, Find(code, Opcode.Else) + 1, 4));
        // After the if: $r only (returned); after $b1: $q only.
        Assert.Equal([3], Live(liveness!, Find(code, Opcode.End, nth: 1) + 1, 4));
        Assert.Equal([2], Live(liveness!, Find(code, Opcode.End, nth: 2) + 1, 4));
        // At entry: $k only ($p and $q are set first).
        Assert.Equal([0], Live(liveness!, 0, 4));
    }

    [Fact]
    public void ExceptionHandlingIsNotAnalysed()
    {
        var (_, liveness) = Analyse(2, 1);
        Assert.Null(liveness);
    }
}
