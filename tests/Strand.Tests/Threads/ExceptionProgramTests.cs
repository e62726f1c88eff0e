using Strand.Runtime;
using Strand.Threads;
using Xunit;

namespace Strand.Tests.Threads;

/// <summary>
/// C++ exceptions compiled by clang-19 with -fwasm-exceptions (fixtures/exceptions/cxx_exceptions.cpp): destructors run
/// while the exception unwinds frames that live on the shadow stack, and every landing pad restores __stack_pointer,
/// on one instance and on each thread of a thread group (where the overflow guard checks each of those writes).
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
