using Strand.Binary;

namespace Strand.Validation;

/// <summary>
/// The validation context of a module (the spec's C): every index space flattened into arrays
/// (imports first) so lookups during body validation are O(1).
/// </summary>
internal sealed class ModuleContext
{
    public required FuncType[] FunctionTypes { get; init; }
    /// <summary>The type index of each function (the type of its <c>ref.func</c>: <c>(ref $t)</c>).</summary>
    public required uint[] FunctionTypeIndices { get; init; }
    /// <summary>The canonical id of each of the module's types (<see cref="TypeRegistry.CanonicalIds"/>): equal ids, same type.</summary>
    public required int[] TypeIds { get; init; }
    public required TableType[] Tables { get; init; }
    public required GlobalType[] Globals { get; init; }
    /// <summary>The tag index space (exception handling): each tag's function type (no results).</summary>
    public FuncType[] Tags { get; init; } = [];
    /// <summary>Number of imported globals: the only globals constant expressions may read.</summary>
    public required int ImportedGlobalCount { get; init; }
    /// <summary>
    /// Functions that may be referenced by ref.func inside function bodies: those named in element
    /// segments, exports or global initializers (the spec's C.refs).
    /// </summary>
    public HashSet<uint> DeclaredFunctions { get; } = new();
}
