using System.Reflection;
using System.Text;
using Strand.Compilation;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>
/// Chunk groups (docs/compiler.md, "Calls between chunks: groups"): in a small module, the first call of a function
/// generates its chunk with every chunk it reaches by direct calls, and those chunks call each other with direct CIL
/// calls, cycles included; stack exhaustion and tail calls across them behave as through the code table.
/// </summary>
public class ChunkGroupTests
{
    /// <summary>
    /// 40 small functions (one chunk per <see cref="CompiledModule.ChunkFunctions"/>): <c>$f0</c> calls <c>$f10</c> when
    /// its argument is not 0, <c>$f10</c> calls <c>$f20</c>, which calls <c>$f30</c>; <c>$f35</c> is only in a table.
    /// </summary>
    private static string ReachModule()
    {
        var sb = new StringBuilder("(module (type $t (func (param i32) (result i32))) (table 1 funcref) (elem (i32.const 0) 35)");
        for (int i = 0; i < 40; i++)
        {
            string export = $"(export \"f{i}\")";
            sb.Append(i switch
            {
                0 => $"(func {export} (param i32) (result i32) (if (result i32) (local.get 0) (then (call 10 (local.get 0))) (else (i32.const -1))))",
                10 or 20 => $"(func {export} (param i32) (result i32) (i32.add (call {i + 10} (local.get 0)) (i32.const {i})))",
                _ => $"(func {export} (param i32) (result i32) (i32.mul (local.get 0) (i32.const {i + 1})))",
            });
        }
        sb.Append("(func (export \"via_table\") (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0))))");
        return sb.ToString();
    }

    private static int ChunkOf(int function) => function / CompiledModule.ChunkFunctions;

    [Fact]
    public void TheFirstCallGeneratesTheChunksItReachesByDirectCalls()
    {
        Assert.True(ChunkOf(0) != ChunkOf(10) && ChunkOf(10) != ChunkOf(20) && ChunkOf(20) != ChunkOf(30));
        var module = Compile(ReachModule());
        Assert.True(module.Compiled.GroupGeneration);
        var instance = new Linker().Instantiate(module);
        Assert.Equal(0, module.Compiled.GeneratedChunks);
        // f0(0) does not call f10, but f10, f20 and f30 are generated with it: they are reachable by direct calls.
        Assert.Equal(-1, instance.Invoke("f0", Value.I32(0))[0].AsI32);
        Assert.Equal(4, module.Compiled.GeneratedChunks);
        Assert.Equal(3 * 31 + 20 + 10, instance.Invoke("f0", Value.I32(3))[0].AsI32);
        Assert.Equal(4, module.Compiled.GeneratedChunks);
        // f35 is reached through the table only: its chunk comes with its first call.
        Assert.Equal(2 * 36, instance.Invoke("via_table", Value.I32(2))[0].AsI32);
        Assert.Equal(6, module.Compiled.GeneratedChunks);

        // f0's method calls f10's method directly (a CIL call whose token resolves to it), not through the code table.
        var f0 = GeneratedMethod(module, "f0");
        Assert.Contains("f10", CalledMethods(f0));
        Assert.DoesNotContain(nameof(CompiledModule.Resolve), CalledMethods(f0));
    }

    [Fact]
    public void WithoutGroupsOnlyWhatRunsIsGenerated()
    {
        var module = Compile(ReachModule());
        module.Compiled.GroupGeneration = false;
        var instance = new Linker().Instantiate(module);
        Assert.Equal(-1, instance.Invoke("f0", Value.I32(0))[0].AsI32);
        Assert.Equal(1, module.Compiled.GeneratedChunks);
        Assert.Equal(3 * 31 + 20 + 10, instance.Invoke("f0", Value.I32(3))[0].AsI32);
        Assert.Equal(4, module.Compiled.GeneratedChunks);
        var f0 = GeneratedMethod(module, "f0");
        Assert.Contains(nameof(CompiledModule.Resolve), CalledMethods(f0));

        // A chunk generated after its callee's calls the callee's created method directly.
        var later = Compile(ReachModule());
        later.Compiled.GroupGeneration = false;
        var laterInstance = new Linker().Instantiate(later);
        Assert.Equal(5 * 31 + 20 + 10, laterInstance.Invoke("f10", Value.I32(5))[0].AsI32);
        Assert.Equal(3, later.Compiled.GeneratedChunks);
        Assert.Equal(3 * 31 + 20 + 10, laterInstance.Invoke("f0", Value.I32(3))[0].AsI32);
        Assert.Equal(4, later.Compiled.GeneratedChunks);
        var laterF0 = GeneratedMethod(later, "f0");
        Assert.Contains("f10", CalledMethods(laterF0));
        Assert.DoesNotContain(nameof(CompiledModule.Resolve), CalledMethods(laterF0));
    }

    [Fact]
    public void ModulesOverTheLimitGenerateOneChunkAtATime()
    {
        // One function of about 1.1 MB of code (nops), over CompiledModule.GroupModuleCodeBytes.
        int nops = (int)CompiledModule.GroupModuleCodeBytes + 100_000;
        var code = new List<byte> { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00 };
        var body = new List<byte> { 0x00 }; // no locals
        body.AddRange(Enumerable.Repeat((byte)0x01, nops));
        body.Add(0x0b);
        var section = new List<byte> { 0x01 };
        section.AddRange(Leb(body.Count));
        section.AddRange(body);
        code.Add(0x0a);
        code.AddRange(Leb(section.Count));
        code.AddRange(section);
        var big = Module.Compile(code.ToArray());
        Assert.False(big.Compiled.GroupGeneration);
        Assert.True(Compile("(module (func (export \"f\")))").Compiled.GroupGeneration);
    }

    private static IEnumerable<byte> Leb(int value)
    {
        do
        {
            byte b = (byte)(value & 0x7f);
            value >>= 7;
            yield return value != 0 ? (byte)(b | 0x80) : b;
        } while (value != 0);
    }

    /// <summary>
    /// <c>$even</c> and <c>$odd</c> in different chunks (12 functions apart) recurse into each other; <c>$loop_a</c> and
    /// <c>$loop_b</c> tail-call each other across chunks.
    /// </summary>
    private static string CycleModule()
    {
        var sb = new StringBuilder("(module");
        sb.Append("(func $even (export \"even\") (param i32) (result i32) (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1)) (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))");
        sb.Append("(func $loop_a (export \"loop\") (param i32 i32) (result i32) (if (result i32) (i32.eqz (local.get 0)) (then (local.get 1)) (else (return_call $loop_b (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 1))))))");
        for (int i = 0; i < 10; i++) sb.Append($"(func (result i32) (i32.const {i}))");
        sb.Append("(func $odd (param i32) (result i32) (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0)) (else (call $even (i32.sub (local.get 0) (i32.const 1))))))");
        sb.Append("(func $loop_b (param i32 i32) (result i32) (return_call $loop_a (local.get 0) (local.get 1)))");
        sb.Append(')');
        return sb.ToString();
    }

    [Theory]
    [InlineData(256 * 1024)]
    [InlineData(1024 * 1024)]
    public void RecursionAcrossChunksOfAGroupTrapsAndTailCallsKeepTheStack(int stackBytes)
    {
        var module = Compile(CycleModule());
        Assert.NotEqual(ChunkOf(0), ChunkOf(12)); // $even and $odd are in different chunks
        var instance = new Linker().Instantiate(module);
        int result = -1;
        Assert.Null(OnThread(stackBytes, () => result = instance.Invoke("even", Value.I32(1001))[0].AsI32));
        Assert.Equal(0, result);
        Assert.True(module.Compiled.GeneratedChunks >= 2);
        var e = OnThread(stackBytes, () => instance.Invoke("even", Value.I32(int.MaxValue)));
        Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(e).Code);
        // 3,000,000 tail calls between two chunks: far more frames than the stack holds, so the stack stays constant.
        Assert.Null(OnThread(stackBytes, () => result = instance.Invoke("loop", Value.I32(3_000_000), Value.I32(0))[0].AsI32));
        Assert.Equal(3_000_000, result);
    }

    /// <summary>The names of the methods <paramref name="method"/>'s IL calls with <c>call</c> (tokens resolved in its module).</summary>
    internal static List<string> CalledMethods(MethodInfo method)
    {
        var il = method.GetMethodBody()!.GetILAsByteArray()!;
        var names = new List<string>();
        for (int i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] != 0x28) continue; // call <token>
            int token = BitConverter.ToInt32(il, i + 1);
            if ((token >> 24) is not (0x06 or 0x0a)) continue; // MethodDef or MemberRef
            try
            {
                if (method.Module.ResolveMethod(token) is { } called) names.Add(called.Name);
            }
            catch (ArgumentException)
            {
                // not a call opcode: a byte of an operand
            }
        }
        return names;
    }

    /// <summary>The generated method named <paramref name="name"/> among <paramref name="module"/>'s chunk types.</summary>
    private static MethodInfo GeneratedMethod(Module module, string name) =>
        module.Compiled.Types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Single(m => m.Name == name);
}
