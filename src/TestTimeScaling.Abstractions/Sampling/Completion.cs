namespace TestTimeScaling;

/// <summary>One sampled continuation.</summary>
public sealed record Completion
{
    /// <summary>Index into <see cref="SampleRequest.Prefixes"/> of the prefix this continues.</summary>
    public int PrefixIndex { get; init; }

    /// <summary>The generated text only (the prefix is not repeated); stop sequences are removed.</summary>
    public required string Text { get; init; }

    /// <summary>Generated token ids, in order.</summary>
    public IReadOnlyList<int> TokenIds { get; init; } = [];

    /// <summary>Natural-log probability of each generated token under the sampling distribution's model
    /// (before temperature and truncation); null when the sampler does not report them.</summary>
    public IReadOnlyList<float>? Logprobs { get; init; }

    /// <summary>Why it stopped.</summary>
    public FinishReason FinishReason { get; init; }

    /// <summary>Tokens this sample generated (charged to the budget).</summary>
    public int GeneratedTokens => TokenIds.Count;

    /// <summary>Sum of <see cref="Logprobs"/>, or null.</summary>
    public double? CumulativeLogprob => Logprobs?.Sum(x => (double)x);
}
