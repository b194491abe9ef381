namespace TestTimeScaling;

/// <summary>How tokens are drawn: the knobs every sampler understands.</summary>
/// <remarks>Defaults match common practice for reasoning models: temperature 1, no truncation.</remarks>
public sealed record SamplingOptions
{
    /// <summary>Softmax temperature. 0 means greedy (argmax) decoding.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens; null or 0 disables.</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches p, in (0, 1]; null disables.</summary>
    public double? TopP { get; init; }

    /// <summary>Drop tokens whose probability is below min_p times the top token's, in [0, 1); null disables.</summary>
    public double? MinP { get; init; }

    /// <summary>Most tokens generated per sample (per call, for a continuation).</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>Texts that end a sample when generated; the stop text is not included in the output.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>
    /// When set, a sample pauses after generating this text (kept in the output) and finishes with
    /// <see cref="FinishReason.StepBoundary"/>: one reasoning step per call, for step-level search.
    /// </summary>
    public string? StepDelimiter { get; init; }

    /// <summary>Seed for reproducible sampling; null draws one from the system.</summary>
    public long? Seed { get; init; }

    /// <summary>Whether completions carry the log-probability of each generated token.</summary>
    public bool IncludeLogprobs { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (double.IsNaN(Temperature) || Temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be >= 0 (0 is greedy).");
        if (TopK is < 0)
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be >= 0 (0 or null disables it).");
        if (TopP is { } p && (double.IsNaN(p) || p <= 0 || p > 1))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        if (MinP is { } m && (double.IsNaN(m) || m < 0 || m >= 1))
            throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "MinP must be in [0, 1).");
        if (MaxNewTokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must be positive.");
        if (StopSequences.Any(string.IsNullOrEmpty))
            throw new ArgumentException("StopSequences must not contain empty strings.", nameof(StopSequences));
        if (StepDelimiter is { Length: 0 })
            throw new ArgumentException("StepDelimiter must be null or non-empty.", nameof(StepDelimiter));
    }
}
