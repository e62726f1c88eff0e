using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Xunit;
using Xunit.Sdk;

// Runs the xunit tests of Strand.Tests ([Fact], and [Theory] with its data attributes) one after another in this
// process and prints each failure and the totals. It understands what the suite uses: parameterless constructors or
// IClassFixture<T> fixtures (one per class), IDisposable test classes, Task-returning tests, Skip.
// Arguments: prefixes of fully qualified class names to run (none: every test), e.g. "Strand.Tests.Simd.".
// Exit code: 0 when every selected test passed, 1 when one failed, 2 when none was selected.
Console.WriteLine($"architecture {RuntimeInformation.ProcessArchitecture}, Vector128 accelerated {Vector128.IsHardwareAccelerated}, "
    + $"AdvSimd {System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}, AdvSimd.Arm64 {System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported}, "
    + $"SSE4.1 {System.Runtime.Intrinsics.X86.Sse41.IsSupported}");

var tests = typeof(Strand.Tests.Simd.SimdShuffleTests).Assembly;
int passed = 0, failed = 0, skipped = 0;
foreach (var type in tests.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true }).OrderBy(t => t.FullName))
{
    if (args.Length > 0 && !args.Any(p => type.FullName!.StartsWith(p, StringComparison.Ordinal))) continue;
    var methods = type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.GetCustomAttribute<FactAttribute>() is not null).ToList();
    if (methods.Count == 0) continue;
    Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {type.FullName}");
    var fixtures = new Dictionary<Type, object>();
    foreach (var method in methods)
    {
        var fact = method.GetCustomAttribute<FactAttribute>()!;
        if (fact.Skip is not null) { skipped++; continue; }
        List<object?[]> rows;
        try
        {
            rows = method.GetParameters().Length == 0
                ? [[]]
                : method.GetCustomAttributes<DataAttribute>().SelectMany(d => d.GetData(method)).ToList();
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"FAIL {type.FullName}.{method.Name} (its data): {(e.InnerException ?? e).Message}");
            continue;
        }
        foreach (var row in rows)
        {
            string name = $"{type.FullName}.{method.Name}({string.Join(", ", row.Select(a => a?.ToString()))})";
            try
            {
                var constructor = type.GetConstructors().Single();
                var instance = constructor.Invoke(constructor.GetParameters().Select(p =>
                {
                    if (!fixtures.TryGetValue(p.ParameterType, out var fixture))
                        fixtures[p.ParameterType] = fixture = Activator.CreateInstance(p.ParameterType)!;
                    return fixture;
                }).ToArray());
                try
                {
                    var arguments = Arguments(method, row);
                    if (method.Invoke(instance, arguments) is Task task) task.GetAwaiter().GetResult();
                }
                catch (TargetInvocationException e) when (e.InnerException is not null) { ExceptionDispatchInfo.Throw(e.InnerException); }
                finally { (instance as IDisposable)?.Dispose(); }
                passed++;
            }
            catch (Exception e)
            {
                failed++;
                while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
                Console.WriteLine($"FAIL {name}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
    }
    foreach (var fixture in fixtures.Values) (fixture as IDisposable)?.Dispose();
}
Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
return failed > 0 ? 1 : passed == 0 ? 2 : 0;

// A data row as the method's arguments, as xunit passes them: the trailing ones packed into a params array, values converted.
static object?[] Arguments(MethodInfo method, object?[] row)
{
    var parameters = method.GetParameters();
    var arguments = new object?[parameters.Length];
    for (int i = 0; i < parameters.Length; i++)
    {
        var type = parameters[i].ParameterType;
        if (i == parameters.Length - 1 && parameters[i].IsDefined(typeof(ParamArrayAttribute)) && !(row.Length == parameters.Length && type.IsInstanceOfType(row[i])))
        {
            var rest = Array.CreateInstance(type.GetElementType()!, Math.Max(0, row.Length - i));
            for (int j = i; j < row.Length; j++) rest.SetValue(row[j], j - i);
            arguments[i] = rest;
        }
        else arguments[i] = row[i] is null || type.IsInstanceOfType(row[i]) ? row[i] : Convert.ChangeType(row[i], type);
    }
    return arguments;
}
