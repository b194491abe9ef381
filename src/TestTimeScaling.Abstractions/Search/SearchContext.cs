namespace TestTimeScaling;

/// <summary>What a strategy works with: the model, an optional judge, the budget and the sampling settings.</summary>
public sealed record SearchContext
{
    /// <summary>Draws continuations.</summary>
    public required ISampler Sampler { get; init; }

    /// <summary>Judges candidates; strategies that need one say so when it is missing.</summary>
    public IVerifier? Verifier { get; init; }

    /// <summary>Finds and normalizes final answers.</summary>
    public required IAnswerExtractor AnswerExtractor { get; init; }

    /// <summary>What the strategy may spend.</summary>
    public required Budget Budget { get; init; }

    /// <summary>Sampling settings (temperature, limits, seed) for every call the strategy makes.</summary>
    public SamplingOptions Sampling { get; init; } = new();
}
