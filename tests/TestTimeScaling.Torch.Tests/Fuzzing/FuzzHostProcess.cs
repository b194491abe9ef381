using System.Diagnostics;
using System.Text.Json;

namespace TestTimeScaling.Torch.Tests.Fuzzing;

/// <summary>What became of one case: "ok", "error" (with the exception type), "crash" or "timeout".</summary>
internal sealed record FuzzOutcome(string Case, string Outcome, string? Phase, string? Type, string? Message, string? Parameter = null);

/// <summary>
/// Runs batches of case directories through the TestTimeScaling.FuzzHost child process. A crash or hang kills only
/// the child: the case it was on is reported as "crash" or "timeout" and the rest of the batch runs in a fresh one.
/// </summary>
internal static class FuzzHostProcess
{
    public static List<FuzzOutcome> Run(IReadOnlyList<string> cases, string listFile, TimeSpan timeout)
    {
        var outcomes = new List<FuzzOutcome>(cases.Count);
        int next = 0;
        while (next < cases.Count)
        {
            var remaining = cases.Skip(next).ToList();
            File.WriteAllLines(listFile, remaining);
            var (results, exitCode, timedOut, stderr) = RunOnce(listFile, timeout);
            outcomes.AddRange(results);
            next += results.Count;
            if (next >= cases.Count) break;
            // The child stopped before reporting this case: it is the one that crashed or hung.
            string tail = stderr.Length > 600 ? stderr[^600..] : stderr;
            outcomes.Add(timedOut
                ? new FuzzOutcome(cases[next], "timeout", null, null, $"no result within {timeout.TotalSeconds:F0} s")
                : new FuzzOutcome(cases[next], "crash", null, null, $"exit code {exitCode}: {tail}"));
            next++;
        }
        return outcomes;
    }

    private static (List<FuzzOutcome> Results, int ExitCode, bool TimedOut, string Stderr) RunOnce(string listFile, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(DotnetPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "TestTimeScaling.FuzzHost.dll"));
        start.ArgumentList.Add("run");
        start.ArgumentList.Add(listFile);

        var results = new List<FuzzOutcome>();
        var stderr = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (string.IsNullOrEmpty(e.Data)) return;
            lock (results) results.Add(Parse(e.Data));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        else
        {
            process.WaitForExit(); // drains the output events
        }
        lock (results) lock (stderr) return (results.ToList(), exited ? process.ExitCode : -1, !exited, stderr.ToString());
    }

    private static FuzzOutcome Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        JsonElement root = json.RootElement;
        string? Get(string key) => root.TryGetProperty(key, out JsonElement value) ? value.GetString() : null;
        return new FuzzOutcome(Get("case")!, Get("outcome")!, Get("phase"), Get("type"), Get("message"), Get("parameter"));
    }

    // The muxer that runs this test host, so the child uses the same runtime.
    internal static string DotnetPath()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet") return current;
        return "dotnet";
    }
}
