using Strand.Runtime;
using Strand.Text;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>
/// Untyped invokers (<see cref="FunctionReference.Invoke(Value[])"/>) are made per function type and shared by the process,
/// up to <c>CallStubs.MaxSharedUntypedInvokers</c>: the types are the guest's, so past the bound an invoker is made for
/// the function reference that asks, kept by it, and dies with it.
/// </summary>
public class UntypedInvokerBoundTests
{
    [Fact]
    public void PastTheBoundAnInvokerIsMadeForTheCallerAndNotKept()
    {
        // A signature no other test uses, so the shared cache cannot already hold it.
        var instance = new Linker().Instantiate(Strand.Module.Compile(WatParser.ParseModule(
            "(module (func (export \"f\") (param i64 f32 i32 f64 i32 i64 f32) (result f64) " +
            "(f64.add (f64.convert_i64_s (local.get 0)) (local.get 3))))")));
        var f = instance.GetFunction("f");
        int typeId = f.TypeId;
        var first = CallStubs.GetUntypedInvoker(typeId, maxShared: 0);
        var second = CallStubs.GetUntypedInvoker(typeId, maxShared: 0);
        Assert.NotSame(first, second);
        Assert.False(CallStubs.HasSharedUntypedInvoker(typeId));
        Value[] args = [Value.I64(40), Value.F32(0), Value.I32(0), Value.F64(2.5), Value.I32(0), Value.I64(0), Value.F32(0)];
        Assert.Equal(42.5, first(f, args)[0].AsF64);
        // Under the bound it is kept and shared.
        var shared = CallStubs.GetUntypedInvoker(typeId);
        Assert.Same(shared, CallStubs.GetUntypedInvoker(typeId));
        Assert.True(CallStubs.HasSharedUntypedInvoker(typeId));
        Assert.Equal(42.5, f.Invoke(args)[0].AsF64);
    }
}
