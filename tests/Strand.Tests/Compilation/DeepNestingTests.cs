using Strand.Interpreter;
using Strand.Runtime;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// Hostile nesting: a function of 65,000 nested loops (or blocks) is valid and within the implementation limits. Its first
/// call plans a split (FunctionSplitter) and compiles it, or translates it for the interpreter; both once copied the list
/// of enclosing labels at every level, so such a function took the process past 24 GB and had it killed. Each now keeps
/// O(1) per level, and the splitter's search, which recurses per level, stops where the stack runs short.
/// </summary>
public class DeepNestingTests
{
    private const int Depth = 65_000;

    private static byte[] Leb(uint value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        } while (value != 0);
        return [.. bytes];
    }

    private static byte[] Section(byte id, byte[] payload) => [id, .. Leb((uint)payload.Length), .. payload];

    /// <summary>A module exporting "f": [] -> [i32] with <paramref name="body"/> (then the function's end).</summary>
    private static byte[] Module(byte[] body)
    {
        byte[] code = [0x00, .. body, 0x0B];
        return
        [
            0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
            .. Section(1, [0x01, 0x60, 0x00, 0x01, 0x7F]),
            .. Section(3, [0x01, 0x00]),
            .. Section(7, [0x01, 0x01, (byte)'f', 0x00, 0x00]),
            .. Section(10, [0x01, .. Leb((uint)code.Length), .. code]),
        ];
    }

    private static byte[] Repeat(byte[] unit, int count)
    {
        var result = new byte[unit.Length * count];
        for (int i = 0; i < count; i++) unit.CopyTo(result, i * unit.Length);
        return result;
    }

    /// <summary>65,000 nested loops, then i32.const 7.</summary>
    private static byte[] NestedLoops() => Module([.. Repeat([0x03, 0x40], Depth), .. Repeat([0x0B], Depth), 0x41, 0x07]);

    /// <summary>65,000 nested blocks, a br out of all of them from the innermost, then i32.const 7.</summary>
    private static byte[] NestedBlocksWithBranch() =>
        Module([.. Repeat([0x02, 0x40], Depth), 0x0C, .. Leb(Depth - 1), .. Repeat([0x0B], Depth), 0x41, 0x07]);

    /// <summary>block(loop(...)) alternating, 65,000 constructs.</summary>
    private static byte[] NestedBlocksAndLoops() => Module([.. Repeat([0x02, 0x40, 0x03, 0x40], Depth / 2), .. Repeat([0x0B, 0x0B], Depth / 2), 0x41, 0x07]);

    public static TheoryData<string, InterpreterMode> Cases()
    {
        var data = new TheoryData<string, InterpreterMode>();
        foreach (var shape in new[] { "loops", "blocks", "mixed" })
        foreach (var mode in new[] { InterpreterMode.Never, InterpreterMode.Always })
            data.Add(shape, mode);
        return data;
    }

    private static int Run(string shape, InterpreterMode mode)
    {
        var wasm = shape switch { "loops" => NestedLoops(), "blocks" => NestedBlocksWithBranch(), _ => NestedBlocksAndLoops() };
        var options = new CompileOptions
        {
            Interpreter = mode,
            InterpreterThresholds = mode == InterpreterMode.Always ? new InterpreterThresholds(int.MaxValue, int.MaxValue) : null,
        };
        var module = Strand.Module.Compile(wasm, options);
        var instance = new Linker().Instantiate(module);
        int result = instance.GetFunction<Func<int>>("f")();
        if (mode == InterpreterMode.Always)
            Assert.Equal(1, ((InterpreterTier)module.Compiled.FirstTier!).InterpretedFunctions); // really interpreted
        return result;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AFunctionOf65000NestedConstructsRuns(string shape, InterpreterMode mode) => Assert.Equal(7, Run(shape, mode));

    [Theory]
    [InlineData(InterpreterMode.Never)]
    [InlineData(InterpreterMode.Always)]
    public void AFunctionOf65000NestedLoopsRunsOrTrapsCleanlyOnA256KiBThread(InterpreterMode mode)
    {
        int result = 0;
        var error = Wasm.OnThread(256 * 1024, () => result = Run("loops", mode));
        if (mode == InterpreterMode.Always)
        {
            Assert.Null(error);
            Assert.Equal(7, result);
        }
        else
        {
            // Compiled, the method's frame is estimated beyond what a 256 KiB thread has left: the entry check traps
            // before the frame is pushed (docs/compiler.md, FrameGuard), a clear error and no crash.
            var trap = Assert.IsType<TrapException>(error);
            Assert.Equal(TrapCode.CallStackExhausted, trap.Code);
        }
    }
}
