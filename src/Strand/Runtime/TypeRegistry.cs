using System.Collections.Concurrent;
using Strand.Binary;

namespace Strand.Runtime;

/// <summary>
/// Process-wide canonical ids for function types: two structurally equal signatures get the
/// same id, so call_indirect and import checks compare one integer. Ids are baked into
/// compiled code as constants, which is safe because they never change within a process.
/// </summary>
internal static class TypeRegistry
{
    private static readonly ConcurrentDictionary<FuncType, int> Ids = new();
    private static readonly ConcurrentDictionary<int, FuncType> Types = new();
    private static int _next;
    private static readonly object Gate = new();

    public static int GetId(FuncType type)
    {
        if (Ids.TryGetValue(type, out int id)) return id;
        lock (Gate)
        {
            if (Ids.TryGetValue(type, out id)) return id;
            id = ++_next;
            // Keep our own copy so later mutation of the caller's arrays cannot change the key.
            var copy = new FuncType((ValType[])type.Params.Clone(), (ValType[])type.Results.Clone());
            Types[id] = copy;
            Ids[copy] = id;
            return id;
        }
    }

    public static FuncType GetType(int id) => Types[id];
}
