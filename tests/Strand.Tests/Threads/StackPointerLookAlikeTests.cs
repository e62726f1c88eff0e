using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// Found by Strand.Fuzz --gc-interp (seed 2016, --bytes 10000..40000): binaryen's fuzzer "hang limit" global (a mutable
/// i32, initialised to 32, decremented by 1 on every call and loop iteration, set to 32 before an <c>unreachable</c> when
/// it reaches 0) was taken for a stripped module's <c>__stack_pointer</c>, so a trapping call put it back to its entry
/// value: a global's value changed after a trap, against the spec. A stack pointer is only a global that code lowers by
/// a positive multiple of 16 (the wasm32 stack alignment), as LLVM's prologues do.
/// </summary>
public class StackPointerLookAlikeTests
{
    private const string HangLimit = """
        (module
          (memory 1)
          (global $limit (mut i32) (i32.const 32))
          (func $tick
            (if (i32.eqz (global.get $limit)) (then (global.set $limit (i32.const 32)) (unreachable)))
            (global.set $limit (i32.sub (global.get $limit) (i32.const 1))))
          (func (export "spin") (loop $l (call $tick) (br $l)))
          (func (export "step") (call $tick))
          (func (export "get") (result i32) (global.get $limit)))
        """;

    [Fact]
    public void ACounterDecrementedByOneKeepsItsValueAfterATrap()
    {
        var instance = new Linker().Instantiate(Module.Compile(WatParser.ParseModule(HangLimit)));
        instance.Invoke("step");
        instance.Invoke("step");
        Assert.Equal(30, instance.Invoke("get")[0].AsI32);
        // 30 more ticks reach 0, the 31st resets the counter to 32 and traps: the reset must stay.
        var trap = Assert.Throws<TrapException>(() => instance.Invoke("spin"));
        Assert.Equal(TrapCode.Unreachable, trap.Code);
        Assert.Equal(32, instance.Invoke("get")[0].AsI32);
    }

    [Fact]
    public void AGlobalLoweredBySixteenIsStillRestored()
    {
        // The same module with a 16-byte step is an LLVM-like stack pointer: a trapping call puts it back.
        var instance = new Linker().Instantiate(Module.Compile(WatParser.ParseModule(HangLimit
            .Replace("(i32.const 32)", "(i32.const 4096)").Replace("(i32.const 1)", "(i32.const 16)"))));
        instance.Invoke("step");
        Assert.Equal(4080, instance.Invoke("get")[0].AsI32);
        Assert.Throws<TrapException>(() => instance.Invoke("spin"));
        Assert.Equal(4080, instance.Invoke("get")[0].AsI32);
    }
}
