namespace TestTimeScaling;

/// <summary>Compute spent: what test-time scaling trades for accuracy. Usages add up with <c>+</c>.</summary>
public sealed record Usage
{
    /// <summary>Nothing spent.</summary>
    public static Usage Zero { get; } = new();

    /// <summary>Prompt and prefix tokens that had to be run through the model (prefill), after cache reuse.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Tokens sampled.</summary>
    public long GeneratedTokens { get; init; }

    /// <summary>Model forward calls (one per prefill chunk and one per decode step of a batch).</summary>
    public long ForwardPasses { get; init; }

    /// <summary>Estimated floating-point operations (2 x parameters per token, plus attention).</summary>
    public double EstimatedFlops { get; init; }

    /// <summary>Estimated bytes of KV cache read by attention: the memory cost that dominates long decodes ("Kinetics").</summary>
    public double KvCacheBytesRead { get; init; }

    /// <summary>Wall-clock time.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>Verifier calls (candidates scored).</summary>
    public long VerifierCalls { get; init; }

    /// <summary>
    /// Whether some token counts are estimates rather than a tokenizer's counts (a remote server that reported
    /// no usage and offered no tokenizer). Sums are estimated when either part is.
    /// </summary>
    public bool TokensEstimated { get; init; }

    /// <summary>Sum of two usages.</summary>
    public static Usage operator +(Usage a, Usage b) => new()
    {
        PromptTokens = a.PromptTokens + b.PromptTokens,
        GeneratedTokens = a.GeneratedTokens + b.GeneratedTokens,
        ForwardPasses = a.ForwardPasses + b.ForwardPasses,
        EstimatedFlops = a.EstimatedFlops + b.EstimatedFlops,
        KvCacheBytesRead = a.KvCacheBytesRead + b.KvCacheBytesRead,
        WallTime = a.WallTime + b.WallTime,
        VerifierCalls = a.VerifierCalls + b.VerifierCalls,
        TokensEstimated = a.TokensEstimated || b.TokensEstimated,
    };
}
