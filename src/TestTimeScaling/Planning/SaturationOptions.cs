namespace TestTimeScaling;

/// <summary>When a <see cref="SaturationPlanner"/> stops adding samples.</summary>
public sealed record SaturationOptions
{
    /// <summary>
    /// ε: stop once one more sample would add at most this much success probability. Per sample, or per generated
    /// token when <see cref="TokensPerSample"/> is set. Positive.
    /// </summary>
    public double MarginalGainThreshold { get; init; } = 0.01;

    /// <summary>Most samples a plan may propose (the budget cap); at least 1.</summary>
    public int MaxSamples { get; init; } = 64;

    /// <summary>
    /// Expected generated tokens per sample (for example the pilot's mean). When set, the threshold is per token:
    /// a sample is worth drawing while its gain divided by its tokens exceeds ε, so long solutions saturate sooner.
    /// </summary>
    public double? TokensPerSample { get; init; }

    /// <summary>The threshold on the gain of one more sample, in probability per sample.</summary>
    public double ThresholdPerSample => MarginalGainThreshold * (TokensPerSample ?? 1.0);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!double.IsFinite(MarginalGainThreshold) || MarginalGainThreshold <= 0)
            throw new ArgumentOutOfRangeException(nameof(MarginalGainThreshold), MarginalGainThreshold, "MarginalGainThreshold must be positive and finite.");
        if (MaxSamples < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxSamples), MaxSamples, "MaxSamples must be at least 1.");
        if (TokensPerSample is { } t && (!double.IsFinite(t) || t <= 0))
            throw new ArgumentOutOfRangeException(nameof(TokensPerSample), TokensPerSample, "TokensPerSample must be positive and finite when set.");
    }
}
