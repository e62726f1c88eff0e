using System.Reflection;
using System.Reflection.Emit;

namespace Strand.Compilation;

// Chunk groups (docs/compiler.md, "Calls between chunks: groups"). A call to a function of another chunk goes through
// the code table (a load, a test for "not generated yet" and a calli to the callee's precode), which costs far more
// than a direct CIL call where call sites are many and each runs rarely: the indirect branches miss the predictors
// (hashset's benchmark function calls one small function from 7,906 sites). A direct CIL call needs the callee's
// method when the caller's chunk is emitted, so:
//  * a chunk calls the functions of chunks generated before it directly (their created methods);
//  * in a module of at most GroupModuleCodeBytes of code, the first call of a function generates its chunk together
//    with every chunk not generated yet that it reaches through direct calls (`call`, `return_call`), transitively: a
//    group, whose types are all created before any of them is published, so its chunks call each other directly
//    (cycles included). A function outside the group is reachable only through a table, a reference or an export, so
//    in such a module every direct call is a direct CIL call.
// Big modules keep generating one chunk at a time: the static call graph reaches far more than a run uses (yosys's
// from _start), and generating it would cost startup what laziness saves.
internal sealed partial class CompiledModule
{
    /// <summary>Modules with at most this many bytes of function bodies generate chunk groups.</summary>
    internal const long GroupModuleCodeBytes = 1 << 20;

    /// <summary>
    /// The group limit from the environment variable <c>STRAND_GROUP_CODE_BYTES</c> (0 disables groups; a testing and
    /// measuring knob), else <see cref="GroupModuleCodeBytes"/>.
    /// </summary>
    internal static readonly long ConfiguredGroupModuleCodeBytes =
        long.TryParse(Environment.GetEnvironmentVariable("STRAND_GROUP_CODE_BYTES"), out long bytes) && bytes >= 0 ? bytes : GroupModuleCodeBytes;

    /// <summary>Whether this module generates chunk groups (<see cref="ConfiguredGroupModuleCodeBytes"/>; tests set it).</summary>
    internal bool GroupGeneration
    {
        get => _groupGeneration ??= ComputeGroupGeneration();
        set => _groupGeneration = value;
    }
    private bool? _groupGeneration;

    /// <summary>The method of each defined function whose chunk was created (under <see cref="_gate"/>).</summary>
    private MethodInfo?[] CreatedMethods => _methodsStore ??= new MethodInfo?[Code.Length];
    private MethodInfo?[]? _methodsStore;

    /// <summary>Chunks whose type name <c>Chunk{n}</c> is taken in the dynamic module (by a group that failed).</summary>
    private HashSet<int>? _namedChunks;
    private int _renamed;

    private ModuleCompilation Compilation => _compilation ??= new ModuleCompilation(_definition) { SplitUnits = SplitUnits };

    private bool ComputeGroupGeneration()
    {
        long limit = ConfiguredGroupModuleCodeBytes, total = 0;
        foreach (var body in _definition.Bodies)
        {
            if (body.DirectCallees is null) return false; // not validated here (a deserialized module has its code)
            total += body.CodeEnd - body.CodeStart;
        }
        return total <= limit;
    }

    /// <summary>The created method of defined function <paramref name="definedIndex"/>, if its chunk exists (caller holds <see cref="_gate"/>).</summary>
    private MethodInfo? GeneratedMethod(int definedIndex) => CreatedMethods[definedIndex];

    /// <summary>A type name for chunk <paramref name="chunk"/> not used yet in the dynamic module.</summary>
    private string FreshChunkTypeName(int chunk) =>
        (_namedChunks ??= new()).Add(chunk) ? ChunkTypeName(chunk) : $"{ChunkTypeName(chunk)}_{++_renamed}";

    /// <summary>
    /// Generates chunk <paramref name="chunk"/> with the chunks not generated yet that it reaches by direct calls, and
    /// publishes them all; returns the created type of <paramref name="chunk"/>. Null when groups are off, when the group
    /// would be the chunk alone, or when generating the group failed (the caller then generates the chunk alone, which
    /// reports its own error if it has one). Caller holds <see cref="_gate"/>.
    /// </summary>
    private Type? GenerateGroup(int chunk)
    {
        if (!GroupGeneration) return null;
        int imported = _definition.ImportedFunctionCount;
        var members = new List<int> { chunk };
        var position = new Dictionary<int, int> { [chunk] = 0 };
        for (int m = 0; m < members.Count; m++)
        {
            int c = members[m];
            for (int i = _chunkStart[c]; i < _chunkStart[c + 1]; i++)
            {
                foreach (uint callee in _definition.Bodies[i].DirectCallees ?? [])
                {
                    if (callee < (uint)imported) continue;
                    int k = _chunkOf[callee - (uint)imported];
                    if (position.ContainsKey(k) || Code[_chunkStart[k]] != 0 || (_failures?.ContainsKey(k) ?? false)) continue;
                    position[k] = members.Count;
                    members.Add(k);
                }
            }
        }
        if (members.Count == 1) return null;
        int functions = 0;
        foreach (int c in members) functions += _chunkStart[c + 1] - _chunkStart[c];
        var module = DynamicModule(functions);
        var compilation = Compilation;
        var chunks = new (TypeBuilder Type, MethodBuilder[] Methods)[members.Count];
        Type[] created;
        try
        {
            for (int m = 0; m < members.Count; m++) chunks[m] = DefineChunk(module, members[m], FreshChunkTypeName(members[m]));
            MethodInfo? Direct(int d) =>
                position.TryGetValue(_chunkOf[d], out int m) ? chunks[m].Methods[d - _chunkStart[_chunkOf[d]]] : CreatedMethods[d];
            for (int m = 0; m < members.Count; m++) EmitChunkBodies(compilation, members[m], chunks[m].Type, chunks[m].Methods, Direct);
            created = new Type[members.Count];
            for (int m = 0; m < members.Count; m++) created[m] = chunks[m].Type.CreateType();
        }
        catch (Exception)
        {
            // An internal compiler error in some member: nothing of the group was published (its types, if created, are
            // never called); the chunk is generated alone, so a function that works keeps working.
            return null;
        }
        // Every type of the group exists before any function is published: a caller on another thread that finds a
        // published entry may run code calling any member directly.
        for (int m = 0; m < members.Count; m++)
        {
            PublishChunk(members[m], created[m]);
            Interlocked.Increment(ref _generatedChunks);
        }
        return created[0];
    }
}
