namespace Strand.Runtime;

/// <summary>
/// A function as a first-class value: the element of a funcref table, the value of
/// <c>ref.func</c>, an imported or exported function. Placeholder shape; the runtime defines its members.
/// </summary>
public abstract partial class FunctionReference
{
}
