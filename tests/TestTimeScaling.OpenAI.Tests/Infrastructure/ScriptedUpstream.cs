using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace TestTimeScaling.OpenAI.Tests.Infrastructure;

/// <summary>
/// A vLLM-shaped <c>/v1/completions</c> and <c>/tokenize</c> upstream over a deterministic text model: one character
/// is one token (id = the char code), each row's continuation comes from <see cref="Script"/> (prompt, seed, row).
/// It honours n, max_tokens, stop (reporting <c>stop_reason</c> like vLLM unless told not to), seed, logprobs
/// (<c>return_tokens_as_token_ids</c> too), usage, and SSE streaming one token per chunk, rows interleaved.
/// Counts every token it generated (streamed ones as they are written), so budgets can be checked from the outside.
/// </summary>
public sealed class ScriptedUpstream
{
    private long _generated, _prompt;
    private long _unseeded;

    public Func<string, long, int, string> Script { get; init; } = DefaultScript;

    /// <summary>Pause between streamed rounds, so early stop has something to cut.</summary>
    public TimeSpan ChunkDelay { get; init; }

    /// <summary>Report which stop matched (vLLM stop_reason); otherwise say nothing, like llama.cpp or Ollama.</summary>
    public bool ReportStopReason { get; init; } = true;

    public long GeneratedTokens => Interlocked.Read(ref _generated);
    public long PromptTokens => Interlocked.Read(ref _prompt);

    /// <summary>Lines "k * 3 = v" then "A: v"; the number of lines (2 to 5) depends on seed and row.</summary>
    public static string DefaultScript(string prompt, long seed, int row)
    {
        int lines = 2 + (int)((ulong)(seed * 31 + row * 7 + prompt.Length) % 4);
        var sb = new StringBuilder();
        long v = 1;
        for (int k = 1; k <= lines; k++) { v *= 3; sb.Append(CultureInfo.InvariantCulture, $"{k} * 3 = {v}\n"); }
        sb.Append(CultureInfo.InvariantCulture, $"A: {v}");
        return sb.ToString();
    }

    public static float Logprob(char c) => -(0.1f + (c % 7) * 0.05f);

    public Task HandleAsync(HttpContext context, LoopbackServer.Received received) => received.Path switch
    {
        "/v1/completions" => CompleteAsync(context, received.Body!),
        "/tokenize" => TokenizeAsync(context, received.Body!),
        _ => WriteJsonAsync(context, 404, new JsonObject { ["error"] = new JsonObject { ["message"] = "no route " + received.Path } }),
    };

    private static Task TokenizeAsync(HttpContext context, JsonNode body)
    {
        var text = (string?)body["prompt"] ?? "";
        return WriteJsonAsync(context, 200, new JsonObject { ["count"] = text.Length, ["tokens"] = new JsonArray(text.Select(c => (JsonNode)(int)c).ToArray()) });
    }

    private sealed record Row(string Text, int Generated, string Finish, string? StopReason);

    private async Task CompleteAsync(HttpContext context, JsonNode body)
    {
        string prompt = (string)body["prompt"]!;
        int n = (int?)body["n"] ?? 1;
        int max = (int?)body["max_tokens"] ?? 16;
        long seed = (long?)body["seed"] ?? Interlocked.Increment(ref _unseeded) * 104729 + Environment.TickCount64;
        var stops = body["stop"] is JsonArray a ? a.Select(x => (string)x!).ToList() : [];
        bool logprobs = body["logprobs"] is not null;
        bool ids = (bool?)body["return_tokens_as_token_ids"] ?? false;
        bool stream = (bool?)body["stream"] ?? false;
        bool includeUsage = (bool?)body["stream_options"]?["include_usage"] ?? false;
        Interlocked.Add(ref _prompt, prompt.Length);

        var rows = Enumerable.Range(0, n).Select(r => Generate(Script(prompt, seed, r), max, stops)).ToList();
        if (!stream)
        {
            Interlocked.Add(ref _generated, rows.Sum(r => r.Generated));
            var choices = new JsonArray(rows.Select((r, i) => (JsonNode)Choice(i, r.Text, logprobs, ids, r.Finish, r.StopReason)).ToArray());
            await WriteJsonAsync(context, 200, new JsonObject
            {
                ["id"] = "cmpl-1", ["object"] = "text_completion", ["model"] = (string?)body["model"], ["choices"] = choices,
                ["usage"] = Usage(prompt.Length, rows.Sum(r => r.Generated)),
            });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var token = context.RequestAborted;
        var written = new int[n];
        for (int step = 0; rows.Where((r, i) => written[i] <= r.Text.Length).Any(); step++)
        {
            for (int i = 0; i < n; i++)
            {
                var r = rows[i];
                if (written[i] > r.Text.Length) continue;
                JsonObject choice;
                if (written[i] < r.Text.Length)
                {
                    choice = Choice(i, r.Text[written[i]].ToString(), logprobs, ids, null, null);
                    Interlocked.Increment(ref _generated);
                }
                else
                {
                    choice = Choice(i, "", false, false, r.Finish, r.StopReason);
                    Interlocked.Add(ref _generated, r.Generated - r.Text.Length); // the stop string's tokens
                }
                written[i]++;
                await WriteEventAsync(context, new JsonObject { ["id"] = "cmpl-1", ["object"] = "text_completion", ["choices"] = new JsonArray(choice) }, token);
            }
            if (ChunkDelay > TimeSpan.Zero) await Task.Delay(ChunkDelay, token);
        }
        if (includeUsage)
            await WriteEventAsync(context, new JsonObject { ["id"] = "cmpl-1", ["choices"] = new JsonArray(), ["usage"] = Usage(prompt.Length, rows.Sum(r => r.Generated)) }, token);
        await context.Response.WriteAsync("data: [DONE]\n\n", token);
    }

    private static Row Generate(string full, int max, List<string> stops)
    {
        int best = int.MaxValue;
        string? matched = null;
        foreach (var s in stops)
        {
            int at = full.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && at < best) (best, matched) = (at, s);
        }
        if (matched is not null && best + matched.Length <= max) return new Row(full[..best], best + matched.Length, "stop", matched);
        if (full.Length > max) return new Row(full[..max], max, "length", null);
        return new Row(full, full.Length, "stop", null);
    }

    private JsonObject Choice(int index, string text, bool logprobs, bool ids, string? finish, string? stopReason)
    {
        var choice = new JsonObject { ["index"] = index, ["text"] = text };
        choice["logprobs"] = logprobs ? new JsonObject
        {
            ["tokens"] = new JsonArray(text.Select(c => (JsonNode)(ids ? $"token_id:{(int)c}" : c.ToString())).ToArray()),
            ["token_logprobs"] = new JsonArray(text.Select(c => (JsonNode)Logprob(c)).ToArray()),
        } : null;
        choice["finish_reason"] = finish;
        if (ReportStopReason) choice["stop_reason"] = stopReason;
        return choice;
    }

    private static JsonObject Usage(int prompt, int completion) => new()
    {
        ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion,
    };

    public static async Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    public static async Task WriteEventAsync(HttpContext context, JsonNode chunk, CancellationToken token)
    {
        await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", token);
        await context.Response.Body.FlushAsync(token);
    }
}
