namespace TestTimeScaling;

/// <summary>What a sampler can do, so a strategy can adapt (or refuse with a clear message).</summary>
public sealed record SamplerCapabilities
{
    /// <summary>Most rows (prefixes x n) one call may ask for; larger requests must be split by the caller.</summary>
    public int MaxRowsPerRequest { get; init; } = int.MaxValue;

    /// <summary>Whether completions carry per-token log-probabilities.</summary>
    public bool Logprobs { get; init; } = true;

    /// <summary>Whether the sampler honours <see cref="SamplingOptions.StepDelimiter"/>.</summary>
    public bool StepDelimiter { get; init; } = true;

    /// <summary>Whether <see cref="SampleRequest.StopAfterFinished"/> stops early (otherwise all rows run to the end).</summary>
    public bool StopAfterFinished { get; init; } = true;

    /// <summary>
    /// Whether the sampler enforces <see cref="SampleRequest.MaxTotalNewTokens"/> (a token allowance shared by the
    /// rows of one call). False by default: a sampler must opt in, since a strategy relies on it to stay within its
    /// token budget; without it strategies cap every row at an equal share of what is left.
    /// </summary>
    public bool SharedTokenAllowance { get; init; }

    /// <summary>Whether a shared prompt or prefix is computed once (an in-process KV cache, or server prefix caching).</summary>
    public bool SharesPrefixComputation { get; init; } = true;

    /// <summary>Largest prompt plus generation length in tokens, when known.</summary>
    public int? ContextLength { get; init; }
}
