using Strand.Binary;
using Strand.Runtime;
using Xunit;
using static Strand.Tests.Compilation.Wasm;

namespace Strand.Tests.Compilation;

/// <summary>Exception handling: try_table, throw, throw_ref, exnref, the legacy try, host frames, and traps kept apart.</summary>
public class ExceptionHandlingTests
{
    private const string Module = """
        (module
          (tag $e (export "e") (param i32))
          (tag $pair (param i64 f64))
          (tag $empty)
          (func $throw (param i32) (throw $e (local.get 0)))
          (func $maybe (param i32) (result i32)
            (if (local.get 0) (then (throw $e (i32.mul (local.get 0) (i32.const 3)))))
            (i32.const 5))

          ;; The payload reaches the label; the values below the try_table survive the spill around it.
          (func (export "catch") (param i32) (result i32)
            (i32.add (i32.const 1000)
              (block $h (result i32)
                (try_table (result i32) (catch $e $h) (call $maybe (local.get 0))))))

          ;; Values on the operand stack below, a block parameter reloaded inside the region, a multi-value payload.
          (func (export "pair") (param i32) (result i64 i64 f64 i32)
            (i64.const 7)
            (i64.const 1)
            (block $h (param i64) (result i64 f64)
              (try_table (param i64) (result i64 f64) (catch $pair $h)
                (if (local.get 0) (then (throw $pair (i64.const 40) (f64.const 2.5))))
                (f64.const 3.5)))
            (i32.const 9))

          ;; catch_ref and throw_ref: the same exception object is thrown again and caught outside.
          (func (export "rethrow") (param i32) (result i32)
            (block $outer (result i32)
              (try_table (result i32) (catch $e $outer)
                (block $h (result i32 exnref)
                  (try_table (catch_ref $e $h) (call $throw (local.get 0)))
                  (unreachable))
                (throw_ref))))

          ;; catch_all_ref hands an exnref to the host.
          (func (export "exn") (param i32) (result exnref)
            (block $h (result exnref)
              (try_table (catch_all_ref $h) (call $throw (local.get 0)))
              (ref.null exn)))

          ;; Branches out of a try body: br, br_if, br_table, return (with several results), a loop inside.
          (func (export "branches") (param i32) (result i32 i32)
            (local $i i32)
            (block $b (result i32)
             (block $c
              (try_table (result i32) (catch_all $c)
                (loop $l
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
                (drop (br_if $b (i32.const 77) (i32.eq (local.get 0) (i32.const 1))))
                (if (i32.eq (local.get 0) (i32.const 2)) (then (return (i32.const 1) (i32.const 2))))
                (if (i32.ge_u (local.get 0) (i32.const 3))
                  (then
                    (drop (block $x (result i32)
                      (drop (block $y (result i32) (br_table $x $y $b (i32.const 99) (i32.sub (local.get 0) (i32.const 3)))))
                      (i32.const 0)))))
                (local.get $i))
              (br $b))
             (i32.const -5))
            (i32.const 0))

          (func (export "empty") (result i32)
            (block $h (try_table (catch $empty $h) (throw $empty)) (return (i32.const 0)))
            (i32.const 1))

          (func (export "unreachable") (result i32)
            (block $h (try_table (catch_all $h) (unreachable)) (return (i32.const 0)))
            (i32.const 1))
          (func (export "divide") (param i32) (result i32)
            (block $h (return (try_table (result i32) (catch_all $h) (i32.div_s (i32.const 1) (local.get 0)))))
            (i32.const -1))
          (func $recurse (param i32) (result i32) (i32.add (call $recurse (local.get 0)) (i32.const 1)))
          (func (export "exhaust") (result i32)
            (block $h (try_table (catch_all $h) (drop (call $recurse (i32.const 0)))) (return (i32.const 0)))
            (i32.const 1))
          (func (export "spin") (result i32)
            (block $h (try_table (catch_all $h) (loop $l (br $l))) (return (i32.const 0)))
            (i32.const 1))
          (func (export "null") (throw_ref (ref.null exn)))
          (func (export "uncaught") (param i32) (call $throw (local.get 0))))
        """;

    [Fact]
    public void TryTableCatchesThePayloadAndKeepsTheValuesBelow()
    {
        var instance = Instantiate(Module);
        Assert.Equal(1005, instance.Invoke("catch", Value.I32(0))[0].AsI32);
        Assert.Equal(1012, instance.Invoke("catch", Value.I32(4))[0].AsI32);
        var thrown = instance.Invoke("pair", Value.I32(1));
        Assert.Equal((7L, 40L, 2.5, 9), (thrown[0].AsI64, thrown[1].AsI64, thrown[2].AsF64, thrown[3].AsI32));
        // No exception: the try_table's own results (its parameter passed through).
        var normal = instance.Invoke("pair", Value.I32(0));
        Assert.Equal((7L, 1L, 3.5, 9), (normal[0].AsI64, normal[1].AsI64, normal[2].AsF64, normal[3].AsI32));
    }

    [Fact]
    public void ThrowRefRethrowsTheSameExceptionAndExnrefReachesTheHost()
    {
        var instance = Instantiate(Module);
        Assert.Equal(23, instance.Invoke("rethrow", Value.I32(23))[0].AsI32);
        var exn = instance.Invoke("exn", Value.I32(8))[0];
        Assert.Equal(ValType.ExnRef, exn.Type);
        var exception = Assert.IsType<WasmException>(exn.Reference);
        Assert.Same(instance.GetTag("e"), exception.Tag);
        Assert.Equal(8, Assert.Single(exception.Payload).AsI32);
        Assert.Equal("null exception reference", Assert.Throws<TrapException>(() => instance.Invoke("null")).Message);
        Assert.Equal(1, instance.Invoke("empty")[0].AsI32);
    }

    [Fact]
    public void BranchesLeaveTheTryBodyWithTheirValues()
    {
        var instance = Instantiate(Module);
        int[] Call(int selector) => instance.Invoke("branches", Value.I32(selector)).Select(v => v.AsI32).ToArray();
        Assert.Equal([10, 0], Call(0));   // normal end, after the loop
        Assert.Equal([77, 0], Call(1));   // br_if out of the try_table
        Assert.Equal([1, 2], Call(2));    // return with two results
        Assert.Equal([10, 0], Call(3));   // br_table to a block inside
        Assert.Equal([10, 0], Call(4));
        Assert.Equal([99, 0], Call(5));   // br_table out of the try_table
    }

    [Fact]
    public void TrapsStackExhaustionAndInterruptionAreNeverCaught()
    {
        var instance = Instantiate(Module);
        Assert.Equal(TrapCode.Unreachable, Assert.Throws<TrapException>(() => instance.Invoke("unreachable")).Code);
        Assert.Equal(TrapCode.IntegerDivideByZero, Assert.Throws<TrapException>(() => instance.Invoke("divide", Value.I32(0))).Code);
        Assert.Equal(TrapCode.CallStackExhausted, Assert.Throws<TrapException>(() => instance.Invoke("exhaust")).Code);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var cancelled = Assert.Throws<OperationCanceledException>(() => instance.Invoke("spin", cancel.Token));
        Assert.Equal(TrapCode.Interrupted, Assert.IsType<TrapException>(cancelled.InnerException).Code);
    }

    [Fact]
    public void StackExhaustionPassesAHandlerInEveryFrame()
    {
        // Every frame's catch_all filter sees the trap and declines it; it unwinds in one dispatch.
        var instance = Instantiate("""
            (module
              (func $r (export "r") (param i32) (result i32)
                (block $h
                  (try_table (result i32) (catch_all $h)
                    (i32.add (call $r (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
                  (return))
                (i32.const -1)))
            """);
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { instance.Invoke("r", Value.I32(0)); }
            catch (Exception e) { error = e; }
        }, 1024 * 1024);
        thread.Start();
        thread.Join();
        Assert.Equal(TrapCode.CallStackExhausted, Assert.IsType<TrapException>(error).Code);
    }

    [Fact]
    public void AnUncaughtExceptionReachesTheHostAsAWasmExceptionNotATrap()
    {
        var instance = Instantiate(Module);
        var e = Assert.Throws<WasmException>(() => instance.Invoke("uncaught", Value.I32(31)));
        Assert.Same(instance.GetTag("e"), e.Tag);
        Assert.Equal(31, e.Payload[0].AsI32);
        var typed = instance.GetFunction<Action<int>>("uncaught");
        Assert.Equal(32, Assert.Throws<WasmException>(() => typed(32)).Payload[0].AsI32);
        // Each instantiation defines new tags: another instance's exception is not this one's tag.
        Assert.NotSame(instance.GetTag("e"), Instantiate(Module).GetTag("e"));
    }

    private const string HostModule = """
        (module
          (import "host" "tag" (tag $t (param i32)))
          (import "host" "throws" (func $throws (param i32)))
          (import "host" "calls_back" (func $calls_back (param i32) (result i32)))
          (func $guest_throw (export "guest_throw") (param i32) (throw $t (local.get 0)))
          ;; A host function throws; the guest catches.
          (func (export "catch_host") (param i32) (result i32)
            (block $h (result i32)
              (try_table (catch $t $h) (call $throws (local.get 0)))
              (i32.const -1)))
          ;; guest -> host -> guest throws: the exception crosses the host frame to the outer guest handler.
          (func (export "across_host") (param i32) (result i32)
            (block $h (result i32)
              (try_table (result i32) (catch $t $h) (call $calls_back (local.get 0)))
              (i32.add (i32.const 1000)))))
        """;

    [Fact]
    public void HostFunctionsThrowAndCatchWasmExceptions()
    {
        var tag = new Tag(ValType.I32);
        bool catchInHost = false;
        Instance? instance = null;
        var linker = new Linker()
            .Define("host", "tag", tag)
            .DefineFunction("host", "throws", (Action<int>)(v => throw new WasmException(tag, Value.I32(v * 2))))
            .DefineFunction("host", "calls_back", (Func<int, int>)(v =>
            {
                if (!catchInHost)
                {
                    instance!.Invoke("guest_throw", Value.I32(v)); // passes through this host frame
                    return 0;
                }
                try
                {
                    instance!.Invoke("guest_throw", Value.I32(v));
                    return 0;
                }
                catch (WasmException e) when (e.Tag == tag)
                {
                    return e.Payload[0].AsI32 + 1; // caught in the host, returned normally
                }
            }));
        instance = linker.Instantiate(Compile(HostModule));
        Assert.Equal((ExternalKind.Tag, "tag [i32] -> []"), (instance.Module.Imports[0].Kind, instance.Module.Imports[0].TypeDescription));
        Assert.Equal(42, instance.Invoke("catch_host", Value.I32(21))[0].AsI32);
        Assert.Equal(5, instance.Invoke("across_host", Value.I32(5))[0].AsI32);
        catchInHost = true;
        Assert.Equal(1006, instance.Invoke("across_host", Value.I32(5))[0].AsI32);
        // A host exception of another kind is still a HostError trap, which no handler catches.
        var other = new Linker()
            .Define("host", "tag", tag)
            .DefineFunction("host", "throws", (Action<int>)(_ => throw new InvalidOperationException("boom")))
            .DefineFunction("host", "calls_back", (Func<int, int>)(v => v))
            .Instantiate(Compile(HostModule));
        Assert.Equal(TrapCode.HostError, Assert.Throws<TrapException>(() => other.Invoke("catch_host", Value.I32(1))).Code);
    }

    [Fact]
    public void TagImportsAreCheckedByTypeAndPayloadsByTheTag()
    {
        var linker = new Linker()
            .Define("host", "tag", new Tag(ValType.I64))
            .DefineFunction("host", "throws", (Action<int>)(_ => { }))
            .DefineFunction("host", "calls_back", (Func<int, int>)(v => v));
        var link = Assert.Throws<LinkException>(() => linker.Instantiate(Compile(HostModule)));
        Assert.StartsWith("incompatible import type: host.tag expects tag [i32] -> [] but got tag [i64] -> []", link.Message);
        Assert.Throws<ArgumentException>(() => new WasmException(new Tag(ValType.I32), Value.I64(1)));
        Assert.Throws<ArgumentException>(() => new WasmException(new Tag(ValType.I32)));
        Assert.Throws<ArgumentException>(() => new Tag(new FuncType([], [ValType.I32])));
    }

    [Fact]
    public void LegacyTryCatchRethrowAndDelegate()
    {
        var instance = Instantiate("""
            (module
              (tag $a (param i32))
              (tag $b)
              (func $throw_a (param i32) (throw $a (local.get 0)))
              (func (export "catch") (param i32) (result i32)
                (try (result i32)
                  (do (if (local.get 0) (then (call $throw_a (local.get 0)) (throw $b))) (i32.const 1))
                  (catch $a (i32.add (i32.const 100)))
                  (catch_all (i32.const 2))))
              ;; rethrow from a nested try's catch_all to the outer catch's exception, then caught outside
              (func (export "rethrow") (param i32) (result i32)
                (try (result i32)
                  (do
                    (try (result i32)
                      (do (call $throw_a (local.get 0)) (i32.const 0))
                      (catch $a
                        (drop)
                        (try (result i32) (do (throw $b)) (catch_all (rethrow 1))))))
                  (catch $a (i32.add (i32.const 200)))))
              ;; delegate skips the try in between: its catch_all does not see the exception
              (func (export "delegate") (param i32) (result i32)
                (try $outer (result i32)
                  (do
                    (try (result i32)
                      (do (try (result i32) (do (call $throw_a (local.get 0)) (i32.const 0)) (delegate $outer)))
                      (catch_all (i32.const -1))))
                  (catch $a (i32.add (i32.const 300))))))
            """);
        Assert.Equal(1, instance.Invoke("catch", Value.I32(0))[0].AsI32);
        Assert.Equal(107, instance.Invoke("catch", Value.I32(7))[0].AsI32);
        Assert.Equal(207, instance.Invoke("rethrow", Value.I32(7))[0].AsI32);
        Assert.Equal(307, instance.Invoke("delegate", Value.I32(7))[0].AsI32);
    }

    [Fact]
    public void TryBlocksAreAnImplementationLimitNotAHang()
    {
        // Each try is a CIL protected region; the JIT's work grows with their number squared and with their nesting.
        string Sequential(int n) => $"(module (tag $e) (func {string.Concat(Enumerable.Repeat("(block $h (try_table (catch_all $h) (nop)))", n))}))";
        string Nested(int n) => $"(module (tag $e) (func {string.Concat(Enumerable.Repeat("(try (do ", n))}(throw $e){string.Concat(Enumerable.Repeat(") (catch_all))", n))}))";
        Assert.NotNull(Compile(Sequential(ImplementationLimits.MaxTryRegionsPerFunction)));
        var many = Assert.Throws<WasmImplementationLimitException>(() => Compile(Sequential(ImplementationLimits.MaxTryRegionsPerFunction + 1)));
        Assert.Equal("implementation limit: func[0] has 5001 try blocks; Strand compiles at most 5000 per function", many.Message);
        Assert.NotNull(Compile(Nested(700)));     // nesting units 700 * 701 / 2 = 245,350
        var deep = Assert.Throws<WasmImplementationLimitException>(() => Compile(Nested(708)));
        Assert.StartsWith($"implementation limit: func[0] nests try blocks {708 * 709 / 2} deep in total", deep.Message);
        // 100 nested try_tables left by 1,001 branches to the function's end: 100,100 region exits.
        string Exits(int branches) => $"(module (func (param i32) {string.Concat(Enumerable.Repeat("(block $h (try_table (catch_all $h) ", 100))}" +
            $"{string.Concat(Enumerable.Repeat("(br_if 200 (local.get 0))", branches))}{string.Concat(Enumerable.Repeat("))", 100))}))";
        Assert.NotNull(Compile(Exits(1000)));
        var exits = Assert.Throws<WasmImplementationLimitException>(() => Compile(Exits(1001)));
        Assert.StartsWith("implementation limit: func[0] branches out of try blocks 100100 times", exits.Message);
    }

    [Fact]
    public void AV128PayloadIsCaughtWithItsLanes()
    {
        var instance = Instantiate("""
            (module
              (tag $v (param v128 i32))
              (func (export "f") (result i32 i32)
                (local $lanes v128) (local $n i32)
                (block $h (result v128 i32)
                  (try_table (catch $v $h) (throw $v (v128.const i32x4 1 2 3 4) (i32.const 5)))
                  (unreachable))
                (local.set $n)
                (local.set $lanes)
                (i32x4.extract_lane 2 (local.get $lanes))
                (local.get $n)))
            """);
        var results = instance.Invoke("f");
        Assert.Equal((3, 5), (results[0].AsI32, results[1].AsI32));
    }

    [Fact]
    public void CompiledArtifactsKeepExceptionHandling()
    {
        var module = Strand.Module.Deserialize(Compile(Module).Serialize());
        var instance = new Linker().Instantiate(module);
        Assert.Equal(1012, instance.Invoke("catch", Value.I32(4))[0].AsI32);
        Assert.Equal(23, instance.Invoke("rethrow", Value.I32(23))[0].AsI32);
        Assert.Equal(TrapCode.Unreachable, Assert.Throws<TrapException>(() => instance.Invoke("unreachable")).Code);
    }
}
