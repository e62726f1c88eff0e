using Strand.Binary;
using Strand.Runtime;

namespace Strand;

/// <summary>
/// Collects the externs that modules may import (by module name and field name) and instantiates
/// modules against them. Not thread-safe while being modified; instantiating from several threads
/// once all definitions are made is safe.
/// </summary>
public sealed class Linker
{
    private readonly Dictionary<(string Module, string Name), Extern> _definitions = new();

    /// <summary>Defines (or replaces) an importable extern.</summary>
    public Linker Define(string module, string name, Extern value)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        _definitions[(module, name)] = value;
        return this;
    }

    /// <summary>
    /// Defines a host function from a typed delegate, e.g. <c>(Func&lt;int, int, int&gt;)((a, b) =&gt; a + b)</c>.
    /// Parameter and result types map as i32 = int/uint, i64 = long/ulong, f32 = float, f64 = double,
    /// externref = object, funcref = FunctionReference; several results are returned as a ValueTuple.
    /// An exception thrown by the delegate traps the guest with <see cref="TrapCode.HostError"/> (original as inner exception).
    /// </summary>
    public Linker DefineFunction(string module, string name, Delegate function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Define(module, name, CallStubs.CreateHostFunction(function, $"{module}.{name}"));
    }

    /// <summary>Defines an untyped host function: receives the arguments, returns the results (checked against <paramref name="type"/>).</summary>
    public Linker DefineFunction(string module, string name, FuncType type, Func<Value[], Value[]> function)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(function);
        return Define(module, name, CallStubs.CreateHostFunction(type, function, $"{module}.{name}"));
    }

    /// <summary>Makes every export of <paramref name="instance"/> importable under module name <paramref name="moduleName"/>.</summary>
    public Linker DefineInstance(string moduleName, Instance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        foreach (var (name, value) in instance.Exports) Define(moduleName, name, value);
        return this;
    }

    /// <summary>The definition for the import (<paramref name="module"/>, <paramref name="name"/>), if any.</summary>
    public bool TryGet(string module, string name, out Extern? value) => _definitions.TryGetValue((module, name), out value);

    /// <summary>
    /// Resolves the module's imports, checks their types, and instantiates it (running segment
    /// initialisation and the start function). Throws <see cref="LinkException"/> for a missing or
    /// mismatched import and <see cref="TrapException"/> when initialisation or the start function traps.
    /// </summary>
    public Instance Instantiate(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Instance.Create(module, ResolveImports(module, null));
    }

    /// <summary>
    /// Resolves and type-checks the module's imports in import order. <paramref name="memoryOverride"/>, when given,
    /// satisfies the memory import instead of this linker's definition (the threads layer's shared memory).
    /// </summary>
    /// <param name="module">The module whose imports are resolved.</param>
    /// <param name="memoryOverride">Satisfies the import of memory <paramref name="memoryOverrideIndex"/>, if not null.</param>
    /// <param name="memoryOverrideIndex">The memory index (an import's) that <paramref name="memoryOverride"/> stands for (multi-memory).</param>
    /// <param name="fallback">Supplies import <c>i</c> when this linker does not define it (the threads layer's per-thread
    /// <c>__stack_pointer</c>); null or a null result: the import is missing.</param>
    internal Extern[] ResolveImports(Module module, Memory? memoryOverride, Func<int, Extern?>? fallback = null, uint memoryOverrideIndex = 0)
    {
        var def = module.Definition;
        var resolved = new Extern[def.Imports.Count];
        int functionIndex = 0;
        uint memoryIndex = 0;
        for (int i = 0; i < resolved.Length; i++)
        {
            var import = def.Imports[i];
            var expected = module.Imports[i];
            Extern? actual = import.Kind == ExternalKind.Memory && memoryIndex++ == memoryOverrideIndex ? memoryOverride : null;
            if (actual is null && !_definitions.TryGetValue((import.Module, import.Name), out actual) && (actual = fallback?.Invoke(i)) is null)
                throw new LinkException($"unknown import: {import.Module}.{import.Name} ({expected.TypeDescription}) is not defined");
            bool compatible = import.Kind switch
            {
                ExternalKind.Function => actual is FunctionReference f && Validation.TypeRegistry.IsSubtype(f.TypeId, module.FunctionTypeIds[functionIndex]),
                ExternalKind.Table => actual is Table t && t.ElementType == expected.TableType!.ElementType && t.Is64 == import.Table!.Limits.Is64
                    && LimitsMatch(t.Size, t.MaximumSize, import.Table.Limits),
                ExternalKind.Memory => actual is Memory m && m.Shared == import.Memory!.Shared && m.Is64 == import.Memory.Limits.Is64
                    && LimitsMatch(m.Pages, m.MaximumPages, import.Memory.Limits),
                ExternalKind.Tag => actual is Tag tag && tag.TypeId == module.TypeIds[import.TagTypeIndex],
                // An immutable global's type may be a subtype of the import's; a mutable one's must be the same (spec 4.5.2 import matching).
                _ => actual is Global g && g.Type.Mutable == import.Global.Mutable && (g.Type.Type == expected.GlobalType!.Value.Type
                    || (!g.Type.Mutable && Validation.Subtyping.Matches(g.Type.Type, expected.GlobalType.Value.Type, null))),
            };
            if (!compatible)
                throw new LinkException($"incompatible import type: {import.Module}.{import.Name} expects {expected.TypeDescription} but got {actual.DescribeType()}");
            if (import.Kind == ExternalKind.Function) functionIndex++;
            resolved[i] = actual;
        }
        return resolved;
    }

    /// <summary>Limits subtyping: at least the required minimum, and a maximum no larger than required (if one is required).</summary>
    private static bool LimitsMatch(ulong actualMin, ulong? actualMax, Limits required) =>
        actualMin >= required.Min && (required.Max is not { } max || (actualMax is { } am && am <= max));
}
