using System.Text.Json;
using System.Text.Json.Serialization;
using Strand.Binary;
using Strand.Runtime;

namespace Strand.Fuzz;

internal sealed record PlanImport(string Module, string Name, string[] Params, string[] Results);

/// <summary>One export call. <see cref="Reset"/> names an export called silently just before (binaryen's hang-limit reset).</summary>
internal sealed record PlanCall(string Name, string[] Args, string[] Results, string? Reset);

internal sealed record PlanGlobal(string Name, string Type);

/// <summary>
/// What both engines do with one module: which imports to provide, which exports to call with which
/// arguments, and what to observe after each call. Built once from Strand's decoding of the module and
/// sent as JSON to tools/fuzz/run-node.mjs, so the two sides cannot drift apart.
/// </summary>
internal sealed record FuzzPlan(
    string Wasm,
    bool CompileOnly,
    int TimeoutMs,
    PlanImport[] Imports,
    PlanCall[] Calls,
    string? Memory,
    PlanGlobal[] Globals)
{
    /// <summary>binaryen's translate-to-fuzz export that re-arms the hang limit (loop and call budget).</summary>
    public const string HangLimitReset = "hangLimitInitializer";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static FuzzPlan CompileOnlyPlan(string wasm, int timeoutMs) => new(wasm, true, timeoutMs, [], [], null, []);

    /// <summary>
    /// Every function export without a v128 in its signature is called in export order: once with zero arguments
    /// when it has no parameters, otherwise once per fixed argument set. All imports are functions that log their
    /// arguments and return zeros; a (v128) -> [] import logs the vector's four i32 lanes (run-node.mjs passes it
    /// through a wasm helper), any other with a v128 in its signature fails as V8's does: a TypeError, see
    /// <see cref="TraceText.V128AtJsBoundary"/>. Exported v128 globals are not observed (JS cannot read them).
    /// </summary>
    public static FuzzPlan Create(string wasm, Module module, int timeoutMs)
    {
        var imports = module.Imports
            .Where(i => i.Kind == ExternalKind.Function)
            .Select(i => new PlanImport(i.Module, i.Name, Names(i.FunctionType!.Params), Names(i.FunctionType.Results)))
            .ToArray();
        bool hasReset = module.Exports.Any(e => e.Kind == ExternalKind.Function && e.Name == HangLimitReset && e.FunctionType!.Params.Length == 0);
        var calls = new List<PlanCall>();
        foreach (var export in module.Exports)
        {
            if (export.Kind != ExternalKind.Function || export.Name == HangLimitReset) continue;
            var type = export.FunctionType!;
            // JS cannot pass or receive a v128 (V8 throws a TypeError before running the function): not called.
            if (HasV128(type)) continue;
            int sets = type.Params.Length == 0 ? 1 : ArgumentSets;
            for (int set = 0; set < sets; set++)
            {
                var args = type.Params.Select(p => TraceText.FormatArgument(Argument(p, set))).ToArray();
                calls.Add(new PlanCall(export.Name, args, Names(type.Results), hasReset ? HangLimitReset : null));
            }
        }
        string? memory = module.Exports.FirstOrDefault(e => e.Kind == ExternalKind.Memory)?.Name;
        var globals = module.Exports
            .Where(e => e.Kind == ExternalKind.Global && e.GlobalType!.Value.Type.IsNumeric())
            .Select(e => new PlanGlobal(e.Name, e.GlobalType!.Value.Type.ToWat()))
            .ToArray();
        return new FuzzPlan(wasm, false, timeoutMs, imports, calls.ToArray(), memory, globals);
    }

    public const int ArgumentSets = 4;

    /// <summary>
    /// The fixed argument sets: zeros, ones, negative edge values (-1, -0, -inf), extreme values (min
    /// integers, a canonical NaN, the largest finite double). Only canonical NaNs: JS cannot carry a payload.
    /// </summary>
    public static Value Argument(ValType type, int set) => (type, set) switch
    {
        (ValType.I32, 0) => Value.I32(0),
        (ValType.I32, 1) => Value.I32(1),
        (ValType.I32, 2) => Value.I32(-1),
        (ValType.I32, _) => Value.I32(int.MinValue),
        (ValType.I64, 0) => Value.I64(0),
        (ValType.I64, 1) => Value.I64(1),
        (ValType.I64, 2) => Value.I64(-1),
        (ValType.I64, _) => Value.I64(long.MinValue),
        (ValType.F32, 0) => Value.F32Bits(0),
        (ValType.F32, 1) => Value.F32(1.0f),
        (ValType.F32, 2) => Value.F32Bits(0x8000_0000),
        (ValType.F32, _) => Value.F32Bits(0x7fc0_0000),
        (ValType.F64, 0) => Value.F64Bits(0),
        (ValType.F64, 1) => Value.F64(1.0),
        (ValType.F64, 2) => Value.F64(double.NegativeInfinity),
        (ValType.F64, _) => Value.F64(double.MaxValue),
        _ => Value.Null(type),
    };

    public static Value ParseArgument(string text)
    {
        int colon = text.IndexOf(':');
        string type = text[..colon], body = text[(colon + 1)..];
        return type switch
        {
            "i32" => Value.I32(int.Parse(body)),
            "i64" => Value.I64(long.Parse(body)),
            "f32" => Value.F32Bits(Convert.ToUInt32(body, 16)),
            "f64" => Value.F64Bits(Convert.ToUInt64(body, 16)),
            "funcref" => Value.Null(ValType.FuncRef),
            _ => Value.Null(ValType.ExternRef),
        };
    }

    /// <summary>True when a signature has a v128, which cannot cross V8's JS boundary.</summary>
    public static bool HasV128(FuncType type) => type.Params.Contains(ValType.V128) || type.Results.Contains(ValType.V128);

    private static string[] Names(ValType[] types) => types.Select(t => t.ToWat()).ToArray();
}
