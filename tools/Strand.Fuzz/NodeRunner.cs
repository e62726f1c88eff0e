using System.Diagnostics;
using System.Text.Json;

namespace Strand.Fuzz;

/// <summary>
/// A long-lived `node run-node.mjs --server` process: one plan per stdin line, one JSON array of
/// trace events per stdout line. Restarted if it dies. <c>v8Flags</c> (e.g. <c>--experimental-wasm-memory64</c>) go before the script.
/// </summary>
internal sealed class NodeRunner(string nodePath, string scriptPath, IReadOnlyList<string>? v8Flags = null) : IDisposable
{
    private Process? _process;

    public List<string> Run(FuzzPlan plan)
    {
        for (int attempt = 0; ; attempt++)
        {
            var process = _process ??= Start();
            try
            {
                process.StandardInput.WriteLine(plan.ToJson());
                process.StandardInput.Flush();
                string? line = process.StandardOutput.ReadLine();
                if (line is not null) return JsonSerializer.Deserialize<List<string>>(line)!;
            }
            catch (IOException) when (attempt == 0)
            {
            }
            Stop();
            if (attempt > 0) return ["node failed"];
        }
    }

    private Process Start()
    {
        var start = new ProcessStartInfo(nodePath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        foreach (var flag in v8Flags ?? []) start.ArgumentList.Add(flag); // V8 flags apply to the workers too
        start.ArgumentList.Add(scriptPath);
        start.ArgumentList.Add("--server");
        return Process.Start(start) ?? throw new InvalidOperationException("cannot start " + nodePath);
    }

    private void Stop()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();
}
