using System.Text.Json.Nodes;

namespace TestTimeScaling.Server;

/// <summary>Pieces of the OpenAI wire format shared by the routes.</summary>
internal static class WireFormat
{
    public static string FinishReason(FinishReason reason) => reason switch
    {
        TestTimeScaling.FinishReason.Length or TestTimeScaling.FinishReason.Abandoned => "length",
        _ => "stop",
    };

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>OpenAI's <c>usage</c>: completion tokens count every token generated, the strategy's included.</summary>
    public static JsonObject Usage(GenerationRequest request, GenerationOutput output) => new()
    {
        ["prompt_tokens"] = request.PromptTokens,
        ["completion_tokens"] = output.CompletionTokens,
        ["total_tokens"] = request.PromptTokens + output.CompletionTokens,
    };

    /// <summary>The extra <c>test_time_scaling</c> field: the strategy, its budget, and a summary of the search.</summary>
    public static JsonObject? Scaling(GenerationRequest request, GenerationOutput output)
    {
        if (output.Search is not { } search || request.Strategy is not { } spec) return null;
        var u = search.Usage;
        return new JsonObject
        {
            ["strategy"] = spec.Strategy,
            ["n"] = spec.N,
            ["budget"] = new JsonObject
            {
                ["max_samples"] = output.Budget?.MaxSamples,
                ["max_tokens"] = output.Budget?.MaxGeneratedTokens,
            },
            ["answer"] = search.Answer,
            ["outcome"] = SnakeCase(search.Outcome.ToString()),
            ["candidates"] = search.Candidates.Count,
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = u.PromptTokens,
                ["generated_tokens"] = u.GeneratedTokens,
                ["forward_passes"] = u.ForwardPasses,
                ["verifier_calls"] = u.VerifierCalls,
                ["estimated_flops"] = u.EstimatedFlops,
                ["kv_cache_bytes_read"] = u.KvCacheBytesRead,
                ["wall_time_ms"] = Math.Round(u.WallTime.TotalMilliseconds, 3),
            },
        };
    }

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
