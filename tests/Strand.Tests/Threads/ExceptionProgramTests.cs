using Strand.Runtime;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// C++ exceptions compiled by clang-19 with -fwasm-exceptions (fixtures/exceptions/cxx_exceptions.cpp): destructors run
/// while the exception unwinds frames that live on the shadow stack, and every landing pad restores __stack_pointer,
/// on one instance and on each thread of a thread group (where the overflow guard checks each of those writes); catch
/// clauses by type (int, a class, its base class through __si_class_type_info, an unrelated class), `throw;`, and a
/// handler that throws, through the personality routine in fixtures/exceptions/cxx_abi.cpp.
/// </summary>
public class ExceptionProgramTests
{
    [Fact]
    public void CxxExceptionsUnwindFramesAndRestoreTheStackPointer()
    {
        var instance = new Linker().Instantiate(ThreadFixtures.Load("exceptions/cxx_exceptions.wasm"));
        var sp = instance.GetGlobal("__stack_pointer")!;
        int top = sp.Value.AsI32;
        // run(depth, fail_at): the guards of levels depth..depth-fail_at are destroyed; -1 would mean a moved stack pointer.
        Assert.Equal(4, instance.Invoke("run", Value.I32(10), Value.I32(3))[0].AsI32);
        Assert.Equal(1, instance.Invoke("run", Value.I32(10), Value.I32(0))[0].AsI32);
        Assert.Equal(501, instance.Invoke("run", Value.I32(1000), Value.I32(500))[0].AsI32);
        Assert.Equal(-3, instance.Invoke("run", Value.I32(10), Value.I32(20))[0].AsI32); // no throw
        Assert.Equal(500 * 10 + 7, instance.Invoke("thrown_code")[0].AsI32);            // the thrown object's field
        Assert.Equal(top, sp.Value.AsI32);

        // Uncaught, the exception reaches the host as a WasmException of the C++ tag (payload: the object's address).
        var e = Assert.Throws<WasmException>(() => instance.Invoke("run_uncaught", Value.I32(10), Value.I32(3)));
        Assert.Equal(Strand.Binary.ValType.I32, Assert.Single(e.Payload).Type);
        // No wasm handler ran, so the frames it skipped were not popped; the host entry put __stack_pointer back
        // where it was when the call began (EntryStackPointer), so the next call starts on the whole stack.
        Assert.Equal(top, sp.Value.AsI32);
        Assert.Equal(4, instance.Invoke("run", Value.I32(10), Value.I32(3))[0].AsI32);
        Assert.Equal(top, sp.Value.AsI32);
    }

    // typed(kind, 10): 100000 * what the handler computed + 100 * guards destroyed + 10 * Derived objects destroyed
    // + exception objects still alive (fixtures/exceptions/cxx_exceptions.cpp). Node 20 gives the same values.
    public static TheoryData<int, int> TypedCatches => new()
    {
        { 1, 1256_0_11_0_0 }, // throw 40, caught by catch (int) two frames above the throw: 1040 + the levels' values
        { 2, 3077_0_11_1_0 }, // throw Derived, passes a catch (int), caught by catch (const Derived&)
        { 3, 5303_0_11_0_0 }, // throw Unrelated, passes catch (int), (const Derived&), (const Base&): caught by its own type
        { 4, 3088_0_11_1_0 }, // caught by catch (const Base&) (code 11), `throw;`, caught by catch (const Derived&): destroyed once
        { 5, 2078_0_11_1_0 }, // a handler throws an int while handling a Derived: the Derived is destroyed, the int caught
        { 6, 9_0_11_0_0 },    // no throw
    };

    [Theory]
    [MemberData(nameof(TypedCatches))]
    public void CxxCatchByTypeSelectsTheRightHandler(int kind, int expected)
    {
        var instance = new Linker().Instantiate(ThreadFixtures.Load("exceptions/cxx_exceptions.wasm"));
        var sp = instance.GetGlobal("__stack_pointer")!;
        int top = sp.Value.AsI32;
        for (int round = 0; round < 3; round++) // the same answer each time: the personality's state is reset, objects freed
        {
            Assert.Equal(expected, instance.Invoke("typed", Value.I32(kind), Value.I32(10))[0].AsI32);
            Assert.Equal(top, sp.Value.AsI32);
            Assert.Equal(0, instance.Invoke("cxx_live_exceptions")[0].AsI32);
        }
        // Every thrown object was destroyed by its last handler's __cxa_end_catch (kind 5 throws two).
        int thrownPerCall = kind switch { 6 => 0, 5 => 2, _ => 1 };
        Assert.Equal(3 * thrownPerCall, instance.Invoke("cxx_destroyed_exceptions")[0].AsI32);
    }

    [Fact]
    public void TypedCatchesRunOnEveryThreadOfAGroupWithThreadLocalLandingPadContexts()
    {
        // __wasm_lpad_context and the exception pool are thread_local: each thread's personality calls use its own.
        using var group = new ThreadGroup(ThreadFixtures.Load("exceptions/cxx_exceptions_threads.wasm"),
            new ThreadGroupOptions { StartTogether = true, Timeout = ThreadFixtures.JoinTimeout });
        var cases = TypedCatches.Select(row => ((int)row[0], (int)row[1])).ToArray();
        var threads = cases.Select(c => group.Spawn("typed", Value.I32(c.Item1), Value.I32(10))).ToArray();
        group.WaitAll();
        for (int i = 0; i < threads.Length; i++)
        {
            Assert.Equal(cases[i].Item2, threads[i].Result![0].AsI32);
            Assert.Equal(threads[i].InitialStackPointer, (uint)threads[i].Instance!.Globals[group.StackPointerGlobal!.Value].I32);
        }
    }

    [Fact]
    public void EachThreadOfAGroupUnwindsOnItsOwnStack()
    {
        using var group = new ThreadGroup(ThreadFixtures.Load("exceptions/cxx_exceptions_threads.wasm"),
            new ThreadGroupOptions { StartTogether = true, Timeout = ThreadFixtures.JoinTimeout });
        var threads = Enumerable.Range(0, 3).Select(i => group.Spawn("run", Value.I32(200 + i), Value.I32(50 + i))).ToArray();
        group.WaitAll();
        for (int i = 0; i < threads.Length; i++)
        {
            Assert.Equal(51 + i, threads[i].Result![0].AsI32);
            // The thread's stack pointer is back at its own stack's top.
            var instance = threads[i].Instance!;
            uint sp = (uint)instance.Globals[group.StackPointerGlobal!.Value].I32;
            Assert.Equal(threads[i].InitialStackPointer, sp);
            Assert.Equal(threads[i].StackRange!.Value.End, (ulong)sp);
        }
        Assert.Equal(3, threads.Select(t => t.StackRange).Distinct().Count());
    }

    [Fact]
    public void AnUncaughtExceptionInAThreadFailsTheGroupWithIt()
    {
        using var group = new ThreadGroup(ThreadFixtures.Load("exceptions/cxx_exceptions_threads.wasm"),
            new ThreadGroupOptions { Timeout = ThreadFixtures.JoinTimeout });
        var thread = group.Spawn("run_uncaught", Value.I32(20), Value.I32(5));
        var error = Assert.Throws<ThreadGroupException>(() => group.WaitAll());
        Assert.Equal(thread.Id, error.ThreadId);
        Assert.IsType<WasmException>(error.InnerException);
        Assert.IsType<WasmException>(thread.Error);
    }
}
