namespace TestTimeScaling;

/// <summary>
/// What a strategy may spend on one problem. A strategy stops before it would exceed either limit
/// and reports what it spent.
/// </summary>
/// <param name="MaxSamples">Most completed solutions (or, for search, rollouts) the strategy may draw; null for no limit.</param>
/// <param name="MaxGeneratedTokens">Most tokens the strategy may generate in all; null for no limit.</param>
public sealed record Budget(int? MaxSamples = null, long? MaxGeneratedTokens = null)
{
    /// <summary>A budget of n samples.</summary>
    public static Budget Samples(int n) => new(MaxSamples: n);

    /// <summary>A budget of generated tokens.</summary>
    public static Budget Tokens(long tokens) => new(MaxGeneratedTokens: tokens);

    /// <summary>Throws when a limit is zero or negative, or when neither is set.</summary>
    public void Validate()
    {
        if (MaxSamples is <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSamples), MaxSamples, "MaxSamples must be positive.");
        if (MaxGeneratedTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(MaxGeneratedTokens), MaxGeneratedTokens, "MaxGeneratedTokens must be positive.");
        if (MaxSamples is null && MaxGeneratedTokens is null) throw new ArgumentException("A budget needs MaxSamples, MaxGeneratedTokens, or both.", nameof(Budget));
    }
}
