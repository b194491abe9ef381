namespace TestTimeScaling;

/// <summary>
/// Sampling was cancelled mid-generation. Carries what had been generated and spent, so a caller
/// (a strategy reporting its usage) can account for it. Samplers that cannot tell may throw a plain
/// <see cref="OperationCanceledException"/> instead.
/// </summary>
public sealed class SamplingCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    public SamplingCanceledException(SampleResult partial, CancellationToken token)
        : base("Sampling was cancelled; Partial holds the completions as they stood and the usage spent.", token)
    {
        Partial = partial;
    }

    /// <summary>Completions so far (unfinished ones have <see cref="FinishReason.Abandoned"/>) and the usage spent.</summary>
    public SampleResult Partial { get; }
}
