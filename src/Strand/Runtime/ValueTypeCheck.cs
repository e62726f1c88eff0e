using Strand.Binary;

namespace Strand.Runtime;

/// <summary>
/// The one place where values from the host meet declared types (arguments of <see cref="FunctionReference.Invoke(Value[])"/>,
/// results of untyped host functions, global and table writes, exception payloads) and where stored references become
/// <see cref="Value"/>s. Declared types are canonical (<see cref="Module.Canonical(ValType)"/>): a concrete reference type
/// carries a canonical type id, and a function matches it if its type is that type or a declared subtype of it.
/// </summary>
internal static class ValueTypeCheck
{
    /// <summary>
    /// Null if <paramref name="value"/> is a value of <paramref name="expected"/> (spec 4.2 "value typing": a reference must be
    /// of the type's hierarchy, non-null for a non-nullable type, and a function of exactly the concrete type if one is
    /// named); else the reason, for an exception message.
    /// </summary>
    public static string? Mismatch(Value value, ValType expected)
    {
        var kind = Validation.TypeRegistry.KindOf(expected);
        if (value.Type != kind) return $"{value.Type.ToWat()} is not {expected.ToWat()}";
        if (!expected.IsReference()) return null;
        var reference = value.Reference;
        if (reference is null) return expected.IsNullable() ? null : $"null is not {expected.ToWat()}";
        switch (kind)
        {
            case ValType.FuncRef:
            {
                if (reference is not FunctionReference function) return "a funcref must be a FunctionReference";
                uint heap = expected.HeapCode();
                if (heap == (uint)AbstractHeapType.NoFunc) return $"only null is {expected.ToWat()}";
                if (expected.CanonicalId() is { } typeId && !Validation.TypeRegistry.IsSubtype(function.TypeId, typeId))
                    return $"the function has type {function.Type}, not {Validation.TypeRegistry.GetType(typeId)}";
                return null;
            }
            case ValType.ExnRef:
                if (reference is not WasmException) return "an exnref must be a WasmException";
                return expected.HeapCode() == (uint)AbstractHeapType.NoExn ? $"only null is {expected.ToWat()}" : null;
            case ValType.AnyRef:
            {
                // A host object is an "externalized" anyref (only any holds it); eq, i31, struct, array and concrete types need GC objects.
                int target = expected.CanonicalId() ?? -(int)expected.HeapCode();
                return GcOps.Test(RefValue.Of(reference), target, 0) != 0 ? null : $"the reference is not {expected.ToWat()}";
            }
            default:
                return expected.HeapCode() == (uint)AbstractHeapType.NoExtern ? $"only null is {expected.ToWat()}" : null;
        }
    }

    /// <summary>
    /// Checks a value type that the host declares (a host table's element type, a host global's type, a host tag's or
    /// host function's parameter and result types): numbers, v128, or a reference type whose heap type is an abstract
    /// one or a canonical type of this process (from <see cref="ImportInfo"/>, <see cref="ExportInfo"/> or an extern's
    /// type). A module's type index means nothing outside its module, nor does a recursion-group index.
    /// </summary>
    /// <exception cref="ArgumentException">The type is none of these.</exception>
    public static void RequireHostType(ValType type, string paramName)
    {
        if (type.IsNumeric() || type == ValType.V128) return;
        if (!type.IsReference()) throw new ArgumentException($"{type.ToWat()} is not a value type", paramName);
        uint heap = type.HeapCode();
        string? problem = heap switch
        {
            < ValTypes.TypeIndexBase => ValTypes.AbstractHeapName((AbstractHeapType)heap) is null ? $"{type.ToWat()} has no heap type" : null,
            < ValTypes.RecIndexBase => $"{type.ToWat()} names a module's type index; a host type uses abstract reference types or a module's canonical types (ImportInfo, ExportInfo)",
            < ValTypes.CanonicalIdBase => $"{type.ToWat()} refers to a recursion group that is not there",
            _ => Validation.TypeRegistry.TryGet((int)(heap - ValTypes.CanonicalIdBase)) is null ? $"{type.ToWat()} is no canonical type of this process" : null,
        };
        if (problem is not null) throw new ArgumentException(problem, paramName);
    }

    /// <summary>A stored reference (table element, global, payload, compiled-code value) as a <see cref="Value"/> of its type's kind.</summary>
    public static Value ToValue(ValType type, object? reference) => Validation.TypeRegistry.KindOf(type) switch
    {
        ValType.FuncRef => Value.FuncRef((FunctionReference?)reference),
        ValType.ExnRef => Value.ExnRef((WasmException?)reference),
        ValType.AnyRef => Value.OfReference(ValType.AnyRef, reference),
        _ => Value.ExternRef(reference),
    };
}
