namespace TestTimeScaling.OpenAI;

/// <summary>Settings of a <see cref="PoolingProcessVerifier"/>: where the reward model is served and how its input is laid out.</summary>
public sealed record PoolingProcessVerifierOptions
{
    /// <summary>Server root, e.g. <c>http://gpu-node:8001/</c>; the pooling route is resolved from it.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The served reward model's name.</summary>
    public string Model { get; init; } = "";

    /// <summary>Sent as <c>Authorization: Bearer ...</c> when set.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The pooling route: a leading '/' resolves from the server root (vLLM serves <c>/pooling</c>).</summary>
    public string PoolingPath { get; init; } = "/pooling";

    /// <summary>The tokenize route, used to find separator positions when the server returns one row per token.</summary>
    public string TokenizePath { get; init; } = "/tokenize";

    /// <summary>Text that splits a solution into steps (the policy's step delimiter).</summary>
    public string StepDelimiter { get; init; } = "\n";

    /// <summary>
    /// Text written after each step in the reward model's input, at whose token the reward is read: the step
    /// delimiter itself (null, as the embedded reward model reads it) or a special token such as Qwen2.5-Math-PRM's
    /// <c>&lt;extra_0&gt;</c>. It must encode to exactly one token.
    /// </summary>
    public string? StepSeparator { get; init; }

    /// <summary>
    /// Builds the reward model's input from the problem and the separator-closed steps (already joined);
    /// null sends the prompt followed by the steps. Use it for a chat template (Qwen2.5-Math-PRM expects one).
    /// </summary>
    public Func<Problem, string, string>? InputTemplate { get; init; }

    /// <summary>Which column of a per-token row is the "step is good" probability (Qwen2.5-Math-PRM: 1 of 2).</summary>
    public int PositiveIndex { get; init; } = 1;

    /// <summary>How step scores become the outcome score.</summary>
    public StepAggregation Aggregation { get; init; } = StepAggregation.Last;

    /// <summary>Most pooling requests in flight at once.</summary>
    public int MaxConcurrentRequests { get; init; } = 8;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri) throw new ArgumentException("Endpoint must be an absolute http(s) URL.", nameof(Endpoint));
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("Model must name the served reward model.", nameof(Model));
        if (string.IsNullOrEmpty(StepDelimiter)) throw new ArgumentException("StepDelimiter must not be empty.", nameof(StepDelimiter));
        if (StepSeparator is { Length: 0 }) throw new ArgumentException("StepSeparator must be null or non-empty.", nameof(StepSeparator));
        if (string.IsNullOrWhiteSpace(PoolingPath)) throw new ArgumentException("PoolingPath must not be empty.", nameof(PoolingPath));
        if (string.IsNullOrWhiteSpace(TokenizePath)) throw new ArgumentException("TokenizePath must not be empty.", nameof(TokenizePath));
        if (PositiveIndex < 0) throw new ArgumentOutOfRangeException(nameof(PositiveIndex), PositiveIndex, "PositiveIndex must be >= 0.");
        if (MaxConcurrentRequests <= 0) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "MaxConcurrentRequests must be positive.");
    }
}
