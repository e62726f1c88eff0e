namespace System.Runtime.CompilerServices;

/// <summary>
/// Recognised by the runtime (by name) on a dynamic assembly: lets the compiled wasm code access
/// Strand's internal runtime members (instance fields, helpers) without making them public.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    public string AssemblyName { get; }
}
