using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.OpenAI;

/// <summary>Builds the JSON body of a <c>/v1/completions</c> request.</summary>
internal static class CompletionRequestBody
{
    public static JsonObject Build(OpenAICompatibleSamplerOptions options, SampleRequest request, CompletionJob job, bool stream)
    {
        var s = request.Options;
        var body = new JsonObject
        {
            ["model"] = options.Model,
            ["prompt"] = request.Prompt + job.Prefix,
            ["n"] = job.N,
            ["max_tokens"] = s.MaxNewTokens,
            ["temperature"] = s.Temperature,
        };
        if (s.TopP is { } p) body["top_p"] = p;
        if (options.SupportsExtendedSampling)
        {
            if (s.TopK is > 0) body["top_k"] = s.TopK.Value;
            if (s.MinP is > 0) body["min_p"] = s.MinP.Value;
        }
        if (job.Seed is { } seed) body["seed"] = seed;
        var stops = new JsonArray();
        foreach (var stop in s.StopSequences) stops.Add(stop);
        if (s.StepDelimiter is { } d && !s.StopSequences.Contains(d)) stops.Add(d);
        if (stops.Count > 0) body["stop"] = stops;
        // logprobs=0 returns the sampled token's logprob and its token, which also gives an exact per-row token count.
        if (options.SupportsLogprobs) body["logprobs"] = 0;
        if (options.RequestTokenIds) body["return_tokens_as_token_ids"] = true;
        if (stream)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }
        foreach (var (key, value) in options.AdditionalRequestFields)
            body[key] = value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType());
        return body;
    }
}
