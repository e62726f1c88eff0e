using System.Reflection.Emit;
using System.Runtime.Intrinsics;
using Strand.Binary;
using Strand.Compilation;
using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Compilation;

/// <summary>
/// Loop entries for on-stack replacement (docs/compiler.md, "Loop entries for on-stack replacement"):
/// <see cref="FunctionSplitter.OutlineLoop"/> and <see cref="CompiledModule.GetLoopEntry"/>. Each case's function reaches
/// its loop with its parameters unchanged (declared locals zero), so calling the function with some arguments is running
/// it from the state "locals = arguments at the loop's head". Every continuation after the loop returns a marker of the
/// way it was left, the locals it cares about and the carried value; the loop entry, called with the same locals, must
/// predict exactly that: its exit (kind and depth) maps to the marker, its out locals (or, for locals it does not return,
/// the entry values) to the locals, its carried value to the value. Traps must be the same, and so must memory.
/// </summary>
public class LoopOutlineTests
{
    private const string Wat = """
        (module
          (memory (export "mem") 1)
          (table 2 funcref)
          (elem (i32.const 0) $sq $cube)
          (type $i2i (func (param i32) (result i32)))

          ;; fall-through: sum i..n into s
          (func (export "sum") (param $n i32) (param $i i32) (param $s i32) (result i32 i32)
            (loop $l
              (local.set $s (i32.add (local.get $s) (local.get $i)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.le_u (local.get $i) (local.get $n))))
            (i32.const 0) (local.get $s))

          ;; three nested blocks: br_if carrying a value to the outermost, br_if to the middle, br_if to the innermost
          (func (export "find") (param $n i32) (param $i i32) (param $acc i64) (result i32 i32 i64 i64)
            (local $v i64)
            (local.set $v
              (block $outer (result i64)
                (block $mid
                  (block $inner
                    (loop $l
                      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
                      (drop (br_if $outer (i64.mul (local.get $acc) (i64.const 2)) (i32.eq (local.get $i) (i32.const 7))))
                      (br_if $mid (i32.eq (local.get $i) (local.get $n)))
                      (br_if $inner (i32.gt_u (local.get $i) (i32.const 100)))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $l)))
                  (return (i32.const 3) (local.get $i) (local.get $acc) (i64.const 0)))
                (return (i32.const 2) (local.get $i) (local.get $acc) (i64.const 0))))
            (i32.const 1) (local.get $i) (local.get $acc) (local.get $v))

          ;; a return from inside the loop (the loop never falls through)
          (func (export "ret") (param $x i32) (param $lim i32) (result i32)
            (loop $l
              (if (i32.gt_s (local.get $x) (local.get $lim)) (then (return (i32.mul (local.get $x) (i32.const 3)))))
              (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 2)) (i32.const 1)))
              (br $l))
            (unreachable))

          ;; calls: a defined function of another chunk, and call_indirect
          (func (export "sumsq") (param $n i32) (param $i i32) (param $s i64) (result i32 i64)
            (block $done
              (loop $l
                (br_if $done (i32.gt_u (local.get $i) (local.get $n)))
                (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (call $sq (local.get $i)))))
                (local.set $s (i64.add (local.get $s)
                  (i64.extend_i32_u (call_indirect (type $i2i) (local.get $i) (i32.and (local.get $i) (i32.const 1))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $l)))
            (i32.const 1) (local.get $s))

          ;; memory inside the loop (and an out-of-bounds trap for some entry states)
          (func (export "fill") (param $p i32) (param $n i32) (param $v i32) (result i32 i32 i32)
            (loop $l
              (i32.store (local.get $p) (local.get $v))
              (local.set $v (i32.add (local.get $v) (i32.load (local.get $p))))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l (local.get $n)))
            (i32.const 0) (local.get $p) (local.get $n))

          ;; an inner loop: exits to a block, to the enclosing loop's head, and past everything; a division trap
          (func (export "nested") (param $i i32) (param $j i32) (param $s i32) (result i32 i32 i32 i32)
            (local $again i32)
            (block $exit
              (block $back
                (loop $outer
                  (br_if $back (local.get $again))
                  (local.set $again (i32.const 1))
                  (block $skip
                    (loop $inner
                      (local.set $s (i32.add (local.get $s) (i32.div_u (i32.const 360) (local.get $j))))
                      (local.set $j (i32.add (local.get $j) (i32.const 1)))
                      (br_if $skip (i32.eq (local.get $j) (i32.const 12)))
                      (br_if $exit (i32.gt_u (local.get $s) (i32.const 1000)))
                      (br_if $outer (i32.gt_u (local.get $j) (local.get $i)))
                      (br $inner)))
                  (return (i32.const 1) (local.get $i) (local.get $j) (local.get $s))))
              (return (i32.const 2) (local.get $i) (local.get $j) (local.get $s)))
            (i32.const 3) (local.get $i) (local.get $j) (local.get $s))

          ;; exits to four blocks: br_if carrying an f64, a plain br_if, br_table carrying an i64 to two blocks
          (func (export "table") (param $k i32) (param $x f64) (result i32 f64 i64 f64)
            (local $f f64) (local $g i64)
            (local.set $g
              (block $b2 (result i64)
                (local.set $g
                  (block $b3 (result i64)
                    (local.set $f
                      (block $b1 (result f64)
                        (block $b0
                          (loop $l
                            (local.set $x (f64.mul (local.get $x) (f64.const 1.5)))
                            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                            (br_if $l (i32.gt_s (local.get $k) (i32.const 3)))
                            (drop (br_if $b1 (local.get $x) (i32.eq (local.get $k) (i32.const 3))))
                            (br_if $b0 (i32.eq (local.get $k) (i32.const 2)))
                            (br_table $b2 $b3 (i64.trunc_f64_s (local.get $x)) (local.get $k))))
                        (return (i32.const 0) (local.get $x) (i64.const 0) (f64.const 0))))
                    (return (i32.const 1) (local.get $x) (i64.const 0) (local.get $f))))
                (return (i32.const 3) (local.get $x) (local.get $g) (f64.const 0))))
            (i32.const 2) (local.get $x) (local.get $g) (f64.const 0))

          ;; a loop in an else arm: v128 and externref locals, an exit by br_on_null
          (func (export "exotic") (param $c i32) (param $v v128) (param $e externref) (param $n i32) (result i32 v128 i32 externref)
            (local $r externref)
            (if (i32.eqz (local.get $c))
              (then (return (i32.const 9) (local.get $v) (i32.const 0) (ref.null extern)))
              (else
                (block $null
                  (loop $l
                    (local.set $v (i32x4.add (local.get $v) (i32x4.splat (local.get $n))))
                    (local.set $r (br_on_null $null (local.get $e)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                    (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
                  (return (i32.const 1) (local.get $v) (local.get $n) (local.get $r)))))
            (i32.const 2) (local.get $v) (local.get $n) (local.get $r))

          ;; loops forever unless interrupted
          (func (export "spin") (param $i i32) (result i32)
            (loop $l
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $l))
            (local.get $i))

          (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
          (func $cube (param i32) (result i32) (i32.mul (local.get 0) (i32.mul (local.get 0) (local.get 0))))
          (func $pad1) (func $pad2) (func $pad3) (func $pad4) (func $pad5) (func $pad6) (func $pad7) (func $pad8)
        )
        """;

    /// <summary>Functions whose loop cannot be outlined, by export name.</summary>
    private const string RefusedWat = """
        (module
          (tag $t)
          (func $f (param i32) (result i32) (local.get 0))
          ;; an operand below the loop, in the same block
          (func (export "operand") (param $i i32) (result i32)
            i32.const 5
            loop $l
              local.get $i
              i32.const 1
              i32.sub
              local.tee $i
              br_if $l
            end)
          ;; a loop with a result
          (func (export "result") (param $i i32) (result i32)
            (loop $l (result i32)
              (local.set $i (i32.sub (local.get $i) (i32.const 1)))
              (br_if $l (local.get $i))
              (i32.const 7)))
          ;; a loop with a parameter
          (func (export "param") (param $i i32) (result i32)
            (i32.const 3)
            (loop $l (param i32) (result i32)
              (drop)
              (local.set $i (i32.sub (local.get $i) (i32.const 1)))
              (br_if $l (local.get $i) (local.get $i))))
          ;; inside a try_table
          (func (export "try") (param $i i32) (result i32)
            (block $h
              (try_table (catch_all $h)
                (loop $l
                  (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                  (br_if $l (local.get $i)))))
            (local.get $i))
          ;; containing a try_table
          (func (export "hastry") (param $i i32) (result i32)
            (loop $l
              (block $h (try_table (catch_all $h) (throw $t)))
              (local.set $i (i32.sub (local.get $i) (i32.const 1)))
              (br_if $l (local.get $i)))
            (local.get $i))
          ;; containing a tail call
          (func (export "tail") (param $i i32) (result i32)
            (loop $l
              (local.set $i (i32.sub (local.get $i) (i32.const 1)))
              (br_if $l (local.get $i)))
            (return_call $f (local.get $i)))
          (func (export "tail2") (param $i i32) (result i32)
            (loop $l
              (if (i32.eq (local.get $i) (i32.const 3)) (then (return_call $f (local.get $i))))
              (local.set $i (i32.sub (local.get $i) (i32.const 1)))
              (br_if $l (local.get $i)))
            (local.get $i))
          ;; an exit carrying two values
          (func (export "two") (param $i i32) (result i32)
            (block $b (result i32 i32)
              (loop $l
                (br_if $b (i32.const 1) (i32.const 2) (i32.eqz (local.get $i)))
                (drop) (drop)
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br $l))
              (unreachable))
            (i32.add))
          ;; a return from a function with two results
          (func (export "tworesults") (param $i i32) (result i32 i32)
            (loop $l
              (if (i32.eqz (local.get $i)) (then (return (i32.const 1) (i32.const 2))))
              (local.set $i (i32.sub (local.get $i) (i32.const 1)))
              (br $l))
            (unreachable))
          ;; unreachable
          (func (export "dead") (param $i i32) (result i32)
            (return (local.get $i))
            (loop $l (br $l))
            (i32.const 0))
        )
        """;

    private static Module Compile(string wat) => Module.Compile(WatParser.ParseModule(wat));

    private static int DefinedIndex(Module module, string export) =>
        (int)module.Definition.Exports.Single(e => e.Name == export && e.Kind == ExternalKind.Function).Index - module.Definition.ImportedFunctionCount;

    /// <summary>The index in the decoded code of the <paramref name="ordinal"/>-th loop (0-based) of the function.</summary>
    private static int LoopIndex(Module module, int definedIndex, int ordinal)
    {
        var code = FunctionCompiler.Decode(module.Definition, definedIndex);
        int seen = 0;
        for (int i = 0; i < code.Count; i++)
            if (code[i].Opcode == Opcode.Loop && seen++ == ordinal) return i;
        throw new InvalidOperationException($"no loop {ordinal}");
    }

    /// <summary>Calls a loop entry: <c>calli</c> with the arguments of <paramref name="args"/>, all results as values (the exit code first).</summary>
    private static Value[] CallEntry(LoopEntry entry, Instance instance, Value[] args)
    {
        var invoker = Invokers.GetOrAdd(entry.Type, BuildInvoker);
        try
        {
            return invoker(entry.Code, instance, args);
        }
        finally
        {
            WasmOps.LeaveGuest(); // as the host invokers do
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<FuncType, Func<nint, object, Value[], Value[]>> Invokers = new();

    private static Func<nint, object, Value[], Value[]> BuildInvoker(FuncType type)
    {
        var (ret, ps) = ClrTypes.Signature(type);
        var dm = new DynamicMethod("loop entry " + type, typeof(Value[]), [typeof(nint), typeof(object), typeof(Value[])], typeof(LoopOutlineTests).Module, skipVisibility: true);
        var il = dm.GetILGenerator();
        for (int i = 0; i < type.Params.Length; i++)
        {
            il.Emit(OpCodes.Ldarg_2);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldelema, typeof(Value));
            il.Emit(OpCodes.Call, typeof(Value).GetProperty(type.Params[i] switch
            {
                ValType.I32 => nameof(Value.AsI32),
                ValType.I64 => nameof(Value.AsI64),
                ValType.F32 => nameof(Value.AsF32),
                ValType.F64 => nameof(Value.AsF64),
                ValType.V128 => nameof(Value.AsV128),
                _ => nameof(Value.Reference),
            })!.GetMethod!);
            if (type.Params[i].IsReference()) il.Emit(OpCodes.Call, typeof(RefValue).GetMethod(nameof(RefValue.Of))!);
        }
        var results = new LocalBuilder[type.Results.Length];
        for (int k = 0; k < results.Length; k++) results[k] = il.DeclareLocal(ClrTypes.Of(type.Results[k]));
        for (int k = 1; k < results.Length; k++) il.Emit(OpCodes.Ldloca, results[k]);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldarg_0);
        il.EmitCalli(OpCodes.Calli, System.Reflection.CallingConventions.Standard, ret, ps, null);
        il.Emit(OpCodes.Stloc, results[0]);
        var array = il.DeclareLocal(typeof(Value[]));
        il.Emit(OpCodes.Ldc_I4, results.Length);
        il.Emit(OpCodes.Newarr, typeof(Value));
        il.Emit(OpCodes.Stloc, array);
        for (int k = 0; k < results.Length; k++)
        {
            il.Emit(OpCodes.Ldloc, array);
            il.Emit(OpCodes.Ldc_I4, k);
            il.Emit(OpCodes.Ldloc, results[k]);
            il.Emit(OpCodes.Call, ExceptionOps.ValueFactory(type.Results[k]));
            il.Emit(OpCodes.Stelem, typeof(Value));
        }
        il.Emit(OpCodes.Ldloc, array);
        il.Emit(OpCodes.Ret);
        return dm.CreateDelegate<Func<nint, object, Value[], Value[]>>();
    }

    private static string Show(IEnumerable<Value> values) => string.Join(",", values.Select(v => v.ToString()));

    private static string Run(Func<Value[]> call)
    {
        try
        {
            return Show(call());
        }
        catch (TrapException e)
        {
            return "trap: " + e.Message;
        }
    }

    /// <summary>
    /// What the whole function returns, predicted from one call of the loop entry from the state "parameters =
    /// <paramref name="args"/>, declared locals zero": for a return, the carried value; otherwise the marker of the exit
    /// (<paramref name="marker"/>), then each local of <paramref name="locals"/> (its out value if the loop returns it,
    /// else its value at entry, which the loop must then not have changed), then, when the function has a carried-value
    /// slot of type <paramref name="carry"/>, the carried value (or zero for an exit carrying none).
    /// </summary>
    private static string Predict(LoopEntry entry, Instance instance, Value[] args, ValType[] localTypes, int[] locals,
        Func<LoopExit, int> marker, ValType? carry)
    {
        var state = new Value[localTypes.Length];
        for (int l = 0; l < state.Length; l++) state[l] = l < args.Length ? args[l] : Value.Default(localTypes[l]);
        Value[] results;
        try
        {
            results = CallEntry(entry, instance, [.. entry.InLocals.Select(l => state[l])]);
        }
        catch (TrapException e)
        {
            return "trap: " + e.Message;
        }
        Assert.Equal(1 + entry.OutLocals.Length + entry.Exits.Select(e => e.CarriedType).OfType<ValType>().Distinct().Count(), results.Length);
        int code = results[0].AsI32;
        Assert.InRange(code, 0, entry.Exits.Length - 1);
        var exit = entry.Exits[code];
        if (exit.Kind == LoopExitKind.Return) return Show([results[exit.CarriedResult]]);
        for (int j = 0; j < entry.OutLocals.Length; j++) state[entry.OutLocals[j]] = results[1 + j];
        var predicted = new List<Value> { Value.I32(marker(exit)) };
        foreach (int l in locals) predicted.Add(state[l]);
        if (carry is { } t) predicted.Add(exit.CarriedType is null ? Value.Default(t) : results[exit.CarriedResult]);
        return Show(predicted);
    }

    /// <summary>
    /// For each argument list: the loop entry (on a fresh instance) predicts what the whole function returns (on another
    /// fresh instance), and both leave the same memory. Returns the whole function's results, for the cases to check values.
    /// </summary>
    private static List<string> AssertSameAsWhole(Module module, string export, int ordinal, int[] locals, Func<LoopExit, int> marker,
        ValType? carry, params Value[][] argLists)
    {
        int d = DefinedIndex(module, export);
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, ordinal));
        Assert.NotNull(entry);
        var type = module.Definition.Types[(int)module.Definition.FunctionTypeIndices[d]];
        var localTypes = (ValType[])[.. type.Params, .. module.Definition.Bodies[d].ExpandLocals()];
        var outputs = new List<string>();
        foreach (var args in argLists)
        {
            var whole = new Linker().Instantiate(module);
            var loop = new Linker().Instantiate(module);
            string expected = Run(() => whole.Invoke(export, args));
            string actual = Predict(entry, loop, args, localTypes, locals, marker, carry);
            Assert.Equal(expected, actual);
            Assert.Equal(whole.GetMemory("mem")!.GetSpan(0, 65536).ToArray(), loop.GetMemory("mem")!.GetSpan(0, 65536).ToArray());
            if (module.Definition.Exports.Any(e => e.Name == "g")) Assert.Equal($"{whole.GetGlobal("g")!.Value}", $"{loop.GetGlobal("g")!.Value}");
            outputs.Add(expected);
        }
        return outputs;
    }

    [Fact]
    public void ALoopThatFallsThroughReturnsItsLiveLocals()
    {
        var module = Compile(Wat);
        int d = DefinedIndex(module, "sum");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0))!;
        Assert.Same(entry, module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0), FunctionCompiler.Decode(module.Definition, d)));
        Assert.Equal([0, 1, 2], entry.InLocals);
        Assert.Equal([2], entry.OutLocals); // $i is dead after the loop
        Assert.Equal([new LoopExit(LoopExitKind.FallThrough, 0, null, -1)], entry.Exits);
        Assert.Equal([ValType.I32, ValType.I32, ValType.I32], entry.Type.Params);
        Assert.Equal([ValType.I32, ValType.I32], entry.Type.Results);
        var outputs = AssertSameAsWhole(module, "sum", 0, [2], _ => 0, null,
            [Value.I32(10), Value.I32(5), Value.I32(100)], [Value.I32(0), Value.I32(3), Value.I32(0)], [Value.I32(1000), Value.I32(1), Value.I32(-7)]);
        Assert.Equal(["i32:0,i32:145", "i32:0,i32:3", "i32:0,i32:500493"], outputs);
    }

    [Fact]
    public void ExitsToNestedBlocksCarryTheirValues()
    {
        var module = Compile(Wat);
        int d = DefinedIndex(module, "find");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0))!;
        // After the loop: $inner is depth 0, $mid 1, $outer 2. $acc is live after $mid and $inner; $i too.
        Assert.Equal([1, 2], entry.OutLocals);
        Assert.Equal(
            [
                new LoopExit(LoopExitKind.FallThrough, 0, null, -1),
                new LoopExit(LoopExitKind.Branch, 2, ValType.I64, 3),
                new LoopExit(LoopExitKind.Branch, 1, null, -1),
                new LoopExit(LoopExitKind.Branch, 0, null, -1),
            ], entry.Exits);
        var outputs = AssertSameAsWhole(module, "find", 0, [1, 2], e => e.Depth switch { 2 => 1, 1 => 2, _ => 3 }, ValType.I64,
            [Value.I32(20), Value.I32(3), Value.I64(0)], [Value.I32(5), Value.I32(1), Value.I64(10)], [Value.I32(200), Value.I32(50), Value.I64(0)]);
        Assert.Equal(["i32:1,i32:7,i64:25,i64:50", "i32:2,i32:5,i64:25,i64:0", "i32:3,i32:101,i64:3926,i64:0"], outputs);
    }

    [Fact]
    public void AReturnFromInsideTheLoopCarriesTheResult()
    {
        var module = Compile(Wat);
        int d = DefinedIndex(module, "ret");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0))!;
        Assert.Empty(entry.OutLocals); // nothing is live after a return or the unreachable end
        Assert.Equal([new LoopExit(LoopExitKind.FallThrough, 0, null, -1), new LoopExit(LoopExitKind.Return, 0, ValType.I32, 1)], entry.Exits);
        var outputs = AssertSameAsWhole(module, "ret", 0, [], _ => throw new InvalidOperationException("only returns"), null,
            [Value.I32(1), Value.I32(50)], [Value.I32(100), Value.I32(50)]);
        Assert.Equal(["i32:189", "i32:300"], outputs);
    }

    [Fact]
    public void ALoopCallsOtherFunctionsThroughTheCodeTable()
    {
        var module = Compile(Wat);
        int d = DefinedIndex(module, "sumsq");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0))!;
        Assert.Equal(0, module.Compiled.GeneratedChunks); // the loop's method generated no chunk
        var outputs = AssertSameAsWhole(module, "sumsq", 0, [2], e => e.Kind == LoopExitKind.Branch && e.Depth == 0 ? 1 : -1, null,
            [Value.I32(4), Value.I32(1), Value.I64(0)], [Value.I32(3), Value.I32(5), Value.I64(9)]);
        // 1..4: squares 30, plus through the table the cubes of the odd (1 + 27) and the squares of the even (4 + 16): 78.
        Assert.Equal(["i32:1,i64:78", "i32:1,i64:9"], outputs);
        Assert.Equal(LoopExitKind.Branch, entry.Exits[1].Kind);
    }

    [Fact]
    public void MemoryAccessAndTrapsInsideTheLoop()
    {
        var module = Compile(Wat);
        var outputs = AssertSameAsWhole(module, "fill", 0, [0, 1], _ => 0, null,
            [Value.I32(0), Value.I32(4), Value.I32(1)], [Value.I32(65528), Value.I32(3), Value.I32(5)], [Value.I32(100), Value.I32(1), Value.I32(-3)]);
        Assert.Equal(["i32:0,i32:16,i32:0", "trap: out of bounds memory access", "i32:0,i32:104,i32:0"], outputs);
        // The stores before the trap happened (AssertSameAsWhole compared the memories; here the values).
        var instance = new Linker().Instantiate(module);
        int d = DefinedIndex(module, "fill");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0))!;
        Assert.Throws<TrapException>(() => CallEntry(entry, instance, [Value.I32(65528), Value.I32(3), Value.I32(5)]));
        var memory = instance.GetMemory("mem")!.GetSpan(65528, 8).ToArray();
        Assert.Equal([5, 0, 0, 0, 10, 0, 0, 0], memory);
    }

    [Fact]
    public void AnInnerLoopLeavesToItsBlockTheOuterLoopAndPastBoth()
    {
        var module = Compile(Wat);
        int d = DefinedIndex(module, "nested");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 1))!;
        // After the inner loop: $skip 0, $outer 1, $back 2, $exit 3.
        Assert.Equal([LoopExitKind.FallThrough, LoopExitKind.Branch, LoopExitKind.Branch, LoopExitKind.Branch], entry.Exits.Select(e => e.Kind));
        Assert.Equal([0, 0, 3, 1], entry.Exits.Select(e => e.Depth));
        var outputs = AssertSameAsWhole(module, "nested", 1, [0, 1, 2], e => e.Depth switch { 0 => 1, 1 => 2, 3 => 3, _ => -1 }, null,
            [Value.I32(20), Value.I32(9), Value.I32(0)], [Value.I32(3), Value.I32(1), Value.I32(0)], [Value.I32(50), Value.I32(1), Value.I32(900)],
            [Value.I32(5), Value.I32(0), Value.I32(0)]);
        Assert.Equal(["i32:1,i32:20,i32:12,i32:108", "i32:2,i32:3,i32:4,i32:660", "i32:3,i32:50,i32:2,i32:1260", "trap: integer divide by zero"], outputs);
    }

    [Fact]
    public void BrTableExitsCarryValuesOfTwoTypes()
    {
        var module = Compile(Wat);
        int d = DefinedIndex(module, "table");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0))!;
        // After the loop: $b0 0, $b1 1, $b3 2, $b2 3. Results: exit code, $x, the f64 carried, the i64 carried.
        Assert.Equal([1], entry.OutLocals);
        Assert.Equal(
            [
                new LoopExit(LoopExitKind.FallThrough, 0, null, -1),
                new LoopExit(LoopExitKind.Branch, 1, ValType.F64, 2),
                new LoopExit(LoopExitKind.Branch, 0, null, -1),
                new LoopExit(LoopExitKind.Branch, 3, ValType.I64, 3),
                new LoopExit(LoopExitKind.Branch, 2, ValType.I64, 3),
            ], entry.Exits);
        Assert.Equal([ValType.I32, ValType.F64, ValType.F64, ValType.I64], entry.Type.Results);
        // The whole function returns (marker, $x, $g, $f): $g and $f hold the carried value of the block left, else 0.
        var outputs = new List<string>();
        foreach (var (k, x) in new[] { (5, 2.0), (3, -1.0), (1, 10.0), (0, 4.0), (2, 3.0) })
        {
            string whole = Run(() => new Linker().Instantiate(module).Invoke("table", Value.I32(k), Value.F64(x)));
            var results = CallEntry(entry, new Linker().Instantiate(module), [Value.I32(k), Value.F64(x)]);
            var exit = entry.Exits[results[0].AsI32];
            Value Carried(ValType t) => exit.CarriedType == t ? results[exit.CarriedResult] : Value.Default(t);
            int marker = exit.Depth switch { 0 => 0, 1 => 1, 3 => 2, _ => 3 };
            Assert.Equal(whole, Show([Value.I32(marker), results[1], Carried(ValType.I64), Carried(ValType.F64)]));
            outputs.Add(whole);
        }
        Assert.Equal(
            [
                Show([Value.I32(1), Value.F64(4.5), Value.I64(0), Value.F64(4.5)]),
                Show([Value.I32(0), Value.F64(-1.5), Value.I64(0), Value.F64(0)]),
                Show([Value.I32(2), Value.F64(15), Value.I64(15), Value.F64(0)]),
                Show([Value.I32(3), Value.F64(6), Value.I64(6), Value.F64(0)]),
                Show([Value.I32(3), Value.F64(4.5), Value.I64(4), Value.F64(0)]),
            ], outputs);
    }

    [Fact]
    public void VectorAndReferenceLocalsPassThroughALoopInAnElseArm()
    {
        var module = Compile(Wat);
        int d = DefinedIndex(module, "exotic");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0))!;
        // $r is read after the br_on_null exit, which may come before the loop writes it: live at the head, passed in.
        Assert.Equal([1, 2, 3, 4], entry.InLocals);
        Assert.Equal([1, 3, 4], entry.OutLocals);
        Assert.Equal([new LoopExit(LoopExitKind.FallThrough, 0, null, -1), new LoopExit(LoopExitKind.Branch, 0, null, -1)], entry.Exits);
        var v = Value.V128(Vector128.Create(1, 2, 3, 4).AsByte());
        var outputs = AssertSameAsWhole(module, "exotic", 0, [1, 3, 4], e => e.Kind == LoopExitKind.FallThrough ? 1 : 2, null,
            [Value.I32(1), v, Value.ExternRef("host"), Value.I32(3)], [Value.I32(1), v, Value.ExternRef(null), Value.I32(3)]);
        var sum = Value.V128(Vector128.Create(7, 8, 9, 10).AsByte());
        var plus3 = Value.V128(Vector128.Create(4, 5, 6, 7).AsByte());
        Assert.Equal([$"i32:1,{sum},i32:0,externref:host", $"i32:2,{plus3},i32:3,externref:null"], outputs);
    }

    [Fact]
    public void ALoopEntryPollsForInterruption()
    {
        var module = Compile(Wat);
        int d = DefinedIndex(module, "spin");
        var entry = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 0))!;
        var instance = new Linker().Instantiate(module);
        instance.RequestInterrupt();
        var trap = Assert.Throws<TrapException>(() => CallEntry(entry, instance, [Value.I32(0)]));
        Assert.Equal(TrapCode.Interrupted, trap.Code);
        instance.ClearInterrupt();
    }

    [Theory]
    [InlineData("operand")]
    [InlineData("result")]
    [InlineData("param")]
    [InlineData("try")]
    [InlineData("hastry")]
    [InlineData("tail")]
    [InlineData("tail2")]
    [InlineData("two")]
    [InlineData("tworesults")]
    [InlineData("dead")]
    public void LoopsThatCannotBeOutlinedAreRefused(string export)
    {
        var module = Compile(RefusedWat);
        int d = DefinedIndex(module, export);
        int loop = LoopIndex(module, d, 0);
        var compilation = new ModuleCompilation(module.Definition);
        var code = FunctionCompiler.Decode(module.Definition, d);
        var outline = FunctionSplitter.OutlineLoop(compilation, d, code, loop);
        if (export == "tail")
        {
            // The tail call is after the loop: the loop itself is fine.
            Assert.NotNull(outline);
            return;
        }
        Assert.Null(outline);
        Assert.Null(module.Compiled.GetLoopEntry(d, loop));
        Assert.Null(module.Compiled.GetLoopEntry(d, loop)); // cached
        Assert.Equal(0, module.Compiled.GeneratedLoopEntries);
        Assert.Throws<ArgumentOutOfRangeException>(() => FunctionSplitter.OutlineLoop(compilation, d, code, loop + 1));
    }

    [Fact]
    public void TwoThreadsAskingForTheSameLoopGetTheSameEntry()
    {
        for (int round = 0; round < 4; round++)
        {
            var module = Compile(Wat);
            int d = DefinedIndex(module, "find");
            int loop = LoopIndex(module, d, 0);
            var entries = new LoopEntry?[2];
            using var barrier = new Barrier(2);
            var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
            {
                barrier.SignalAndWait();
                entries[t] = module.Compiled.GetLoopEntry(d, loop);
            })).ToArray();
            foreach (var thread in threads) thread.Start();
            foreach (var thread in threads) Assert.True(thread.Join(TimeSpan.FromSeconds(60)));
            Assert.NotNull(entries[0]);
            Assert.Same(entries[0], entries[1]);
            Assert.Equal(1, module.Compiled.GeneratedLoopEntries);
            var results = CallEntry(entries[1]!, new Linker().Instantiate(module), [Value.I32(20), Value.I32(3), Value.I64(0)]);
            Assert.Equal("i32:1,i32:7,i64:25,i64:50", Show(results));
        }
    }

    /// <summary>
    /// Random loops (30 seeds, 6 entry states each): arithmetic on locals of four types, memory stores and loads, a global,
    /// direct and indirect calls, a division that may trap, nested blocks, and exits by br, br_if (one carrying an i64)
    /// and br_table to three blocks around the loop and to the loop itself. Each loop entry predicts what the whole
    /// function returns from the same state, and leaves the same memory and global.
    /// </summary>
    [Fact]
    public void RandomLoopsPredictTheWholeFunction()
    {
        int checkedStates = 0, exits = 0, traps = 0;
        for (int seed = 0; seed < 30; seed++)
        {
            var random = new Random(seed);
            var module = Compile(RandomLoopWat(random));
            for (int s = 0; s < 6; s++)
            {
                Value[] args = [Value.I32(random.Next(-50, 50)), Value.I32(random.Next(-50, 50)), Value.I64(random.Next()),
                    Value.F64(random.Next(-100, 100) / 4.0), Value.I32(random.Next(0, 12))];
                var outputs = AssertSameAsWhole(module, "run", 0, [0, 1, 2, 3, 4],
                    e => e.Kind == LoopExitKind.FallThrough ? 0 : e.Depth + 1, ValType.I64, args);
                checkedStates++;
                if (outputs[0].StartsWith("trap")) traps++;
                else if (!outputs[0].StartsWith("i32:0,")) exits++;
            }
        }
        Assert.Equal(180, checkedStates);
        // The exits are exercised, not only the fall-through, and so are traps.
        Assert.True(exits >= 60 && traps >= 3, $"{exits} runs left the loop by a branch, {traps} trapped");
    }

    private static string RandomLoopWat(Random random)
    {
        var wat = new System.Text.StringBuilder("""
            (module
              (type $i2i (func (param i32) (result i32)))
              (memory (export "mem") 1)
              (global $g (export "g") (mut i32) (i32.const 0))
              (table 2 funcref) (elem (i32.const 0) $h0 $h1)
              (func $h0 (type $i2i) (i32.add (local.get 0) (i32.const 7)))
              (func $h1 (type $i2i) (i32.sub (i32.const 100) (local.get 0)))
              (func (export "run") (param $a i32) (param $b i32) (param $t i64) (param $d f64) (param $i i32) (result i32 i32 i32 i64 f64 i32 i64)
                (local $c i64)
                (local.set $c
                  (block $B2 (result i64)
                    (block $B1
                      (block $B0
                        (loop $L
                          (local.set $i (i32.add (local.get $i) (i32.const 1)))
                          (br_if $B0 (i32.gt_u (local.get $i) (i32.const 16)))

            """);
        string[] labels = ["$B0", "$B1", "$L"];
        string Cond() => random.Next(3) switch
        {
            0 => $"(i32.eq (i32.and (local.get $a) (i32.const 15)) (i32.const {random.Next(16)}))",
            1 => $"(i32.gt_s (local.get $b) (i32.const {random.Next(-40, 200)}))",
            _ => $"(i64.lt_u (local.get $t) (i64.const {random.Next()}))",
        };
        void Group(int depth)
        {
            switch (random.Next(depth > 1 ? 11 : 12))
            {
                case 0: wat.Append($"(local.set $a (i32.add (local.get $a) (i32.mul (local.get $b) (i32.const {random.Next(-9, 9)}))))\n"); break;
                case 1: wat.Append("(local.set $t (i64.add (local.get $t) (i64.extend_i32_s (local.get $a))))\n"); break;
                case 2: wat.Append("(local.set $d (f64.add (local.get $d) (f64.convert_i32_s (local.get $b))))\n"); break;
                case 3: wat.Append($"(i32.store offset={random.Next(64) * 4} (i32.and (local.get $a) (i32.const 0x7ffc)) (local.get $b))\n"); break;
                case 4: wat.Append($"(local.set $b (i32.xor (local.get $b) (i32.load offset={random.Next(64) * 4} (i32.and (local.get $i) (i32.const 0xfc)))))\n"); break;
                case 5: wat.Append("(global.set $g (i32.add (global.get $g) (local.get $a)))\n"); break;
                case 6: wat.Append("(local.set $a (call_indirect (type $i2i) (local.get $a) (i32.and (local.get $b) (i32.const 1))))\n"); break;
                case 7: wat.Append($"(local.set $b (i32.div_s (i32.const 1000) (i32.sub (i32.and (local.get $a) (i32.const 31)) (i32.const {random.Next(32)}))))\n"); break;
                case 8: wat.Append($"(br_if {labels[random.Next(2)]} {Cond()})\n"); break;
                case 9: wat.Append($"(drop (br_if $B2 (i64.add (local.get $t) (i64.const {random.Next(1000)})) {Cond()}))\n"); break;
                case 10: wat.Append($"(br_table {labels[random.Next(3)]} {labels[random.Next(3)]} {labels[random.Next(3)]} (i32.and (local.get $b) (i32.const 3)))\n"); break;
                case 11:
                    wat.Append($"(block $n{depth} (br_if $n{depth} {Cond()})\n");
                    for (int k = random.Next(1, 4); k > 0; k--) Group(depth + 1);
                    wat.Append($"(local.set $a (call $h0 (local.get $a))))\n");
                    break;
            }
        }
        // Every iteration counts $i first, so no path loops forever (a br_table may go back to $L from anywhere).
        for (int k = random.Next(4, 12); k > 0; k--) Group(0);
        wat.Append("""
                          (br_if $L (i32.lt_u (local.get $i) (i32.const 12))))
                        (return (i32.const 0) (local.get $a) (local.get $b) (local.get $t) (local.get $d) (local.get $i) (i64.const 0)))
                      (return (i32.const 1) (local.get $a) (local.get $b) (local.get $t) (local.get $d) (local.get $i) (i64.const 0)))
                    (return (i32.const 2) (local.get $a) (local.get $b) (local.get $t) (local.get $d) (local.get $i) (i64.const 0))))
                (i32.const 3) (local.get $a) (local.get $b) (local.get $t) (local.get $d) (local.get $i) (local.get $c)))
            """);
        return wat.ToString();
    }

    /// <summary>
    /// The entry checks the stack for the loop method's whole frame estimate (which here, from the operands the function
    /// keeps across 40 blocks elsewhere, is megabytes) and traps "call stack exhausted" as the whole function does, on a
    /// thread of 1 MiB; a loop entry of a small function runs on the same thread.
    /// </summary>
    [Fact]
    public void ALoopEntryChecksTheStackForItsWholeFrame()
    {
        var wat = new System.Text.StringBuilder("(module (memory (export \"mem\") 1) (func (export \"deep\") (param $n i32) (result i32) (local $s i32)\n");
        wat.Append("(loop $l (local.set $s (i32.add (local.get $s) (local.get $n))) (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n)))\n");
        for (int i = 0; i < 3000; i++) wat.Append("(local.get $s)\n");
        for (int b = 0; b < 40; b++) wat.Append("(block (nop))\n");
        for (int i = 0; i < 2999; i++) wat.Append("i32.add\n");
        wat.Append("))");
        var deep = Compile(wat.ToString());
        var small = Compile(Wat);
        Exception? failure = null;
        var outputs = new List<string>();
        var thread = new Thread(() =>
        {
            try
            {
                outputs.AddRange(AssertSameAsWhole(deep, "deep", 0, [], _ => -1, null, [Value.I32(10)]));
                outputs.AddRange(AssertSameAsWhole(small, "sum", 0, [2], _ => 0, null, [Value.I32(10), Value.I32(5), Value.I32(100)]));
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, 1 << 20);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(60)));
        Assert.Null(failure);
        Assert.Equal(["trap: call stack exhausted", "i32:0,i32:145"], outputs);
        int d = DefinedIndex(deep, "deep");
        Assert.True(deep.Compiled.GetLoopEntry(d, LoopIndex(deep, d, 0))!.Outline.FrameBytes > 8 << 20);
    }

    /// <summary>
    /// Every loop of real programs (C with wasi-libc, C++ with exceptions, SIMD) is outlined or refused without an error,
    /// and every loop method generated passes the JIT (<see cref="System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(RuntimeMethodHandle)"/>:
    /// invalid IL would throw there).
    /// </summary>
    [Theory]
    [InlineData("wasi", "files", 100)]
    [InlineData("exceptions", "cxx_exceptions", 8)]
    [InlineData("seed", "algorithm_simd", 4)]
    public void EveryLoopOfRealProgramsCompiles(string directory, string name, int atLeast)
    {
        var module = Module.FromFile(Strand.Tests.Wasi.ProgramTests.FixturePath(directory, name));
        int outlined = 0, refused = 0;
        for (int d = 0; d < module.Definition.Bodies.Count; d++)
        {
            var code = FunctionCompiler.Decode(module.Definition, d);
            for (int i = 0; i < code.Count; i++)
            {
                if (code[i].Opcode != Opcode.Loop) continue;
                if (module.Compiled.GetLoopEntry(d, i, code) is not { } entry)
                {
                    refused++;
                    continue;
                }
                outlined++;
                Assert.NotEqual(0, entry.Code);
                foreach (var method in entry.Owner.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly))
                    System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
            }
        }
        Assert.True(outlined >= atLeast, $"{outlined} loops outlined, {refused} refused");
        Assert.Equal(outlined, module.Compiled.GeneratedLoopEntries);
        Assert.Equal(0, module.Compiled.GeneratedChunks);
    }

    /// <summary>
    /// The outliner's frame figures for bodies that were not validated in this process (from a compiled artifact) come
    /// from its heights pass: the same as validation records, for every function of a real program.
    /// </summary>
    [Fact]
    public void TheHeightsPassGivesTheFrameFiguresValidationRecords()
    {
        var module = Module.FromFile(Strand.Tests.Wasi.ProgramTests.FixturePath("wasi", "files"));
        var definition = module.Definition;
        var context = Strand.Validation.ModuleValidator.BuildContext(definition, Strand.Validation.TypeRegistry.CanonicalIds(definition));
        long spills = 0;
        for (int d = 0; d < definition.Bodies.Count; d++)
        {
            var body = definition.Bodies[d];
            uint index = (uint)(definition.ImportedFunctionCount + d);
            Strand.Validation.FunctionValidator.OperandHeights(definition, context, index,
                definition.Types[(int)definition.FunctionTypeIndices[d]], body, FunctionCompiler.Decode(definition, d),
                out int depth, out long units);
            Assert.Equal(body.MaxOperandDepth, depth);
            Assert.Equal(body.BranchSpillUnits, units);
            spills += units;
        }
        Assert.True(spills > 0);
    }

    [Fact]
    public void LoopEntriesWorkForCodeFromACompiledArtifact()
    {
        var generated = Compile(Wat);
        var module = Module.Deserialize(generated.Serialize());
        Assert.True(module.Compiled.IsLoaded);
        Assert.Equal(0, module.Compiled.GeneratedChunks);
        var outputs = AssertSameAsWhole(module, "sumsq", 0, [2], e => e.Kind == LoopExitKind.Branch && e.Depth == 0 ? 1 : -1, null,
            [Value.I32(4), Value.I32(1), Value.I64(0)]);
        Assert.Equal(["i32:1,i64:78"], outputs);
        AssertSameAsWhole(module, "nested", 1, [0, 1, 2], e => e.Depth switch { 0 => 1, 1 => 2, 3 => 3, _ => -1 }, null,
            [Value.I32(20), Value.I32(9), Value.I32(0)]);
        Assert.Equal(2, module.Compiled.GeneratedLoopEntries);
        // A body from an artifact was not validated again: its frame figures come from the outliner's own pass, the same.
        int d = DefinedIndex(module, "nested");
        Assert.True(module.Definition.Bodies[d].MaxOperandDepth < 0);
        long frame = module.Compiled.GetLoopEntry(d, LoopIndex(module, d, 1))!.Outline.FrameBytes;
        Assert.Equal(generated.Compiled.GetLoopEntry(d, LoopIndex(generated, d, 1))!.Outline.FrameBytes, frame);
        Assert.InRange(frame, 4096, 16 << 10);
    }
}
