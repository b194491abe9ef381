namespace TestTimeScaling.Extensions.AI;

/// <summary>
/// Keys a <see cref="ScalingChatClient"/> reads from <c>ChatOptions.AdditionalProperties</c> (per-call overrides)
/// and writes to the response's <c>AdditionalProperties</c> and <c>Usage.AdditionalCounts</c>.
/// </summary>
public static class ScalingProperties
{
    /// <summary>Read: overrides the budget's sample limit for one call (an integer).</summary>
    public const string MaxSamples = "test_time_scaling.max_samples";

    /// <summary>Read: overrides the budget's generated-token limit for one call (an integer).</summary>
    public const string MaxTokens = "test_time_scaling.max_tokens";

    /// <summary>Written: the strategy's name.</summary>
    public const string Strategy = "test_time_scaling.strategy";

    /// <summary>Written: the chosen, normalized answer (a string, absent when none was found).</summary>
    public const string Answer = "test_time_scaling.answer";

    /// <summary>Written: how the search ended (<see cref="SearchOutcome"/>).</summary>
    public const string Outcome = "test_time_scaling.outcome";

    /// <summary>Written: how many candidates the strategy considered.</summary>
    public const string Candidates = "test_time_scaling.candidates";

    /// <summary>Written to <c>AdditionalCounts</c>: model forward passes.</summary>
    public const string ForwardPasses = "test_time_scaling.forward_passes";

    /// <summary>Written to <c>AdditionalCounts</c>: candidates scored by the verifier.</summary>
    public const string VerifierCalls = "test_time_scaling.verifier_calls";

    /// <summary>Written to <c>AdditionalCounts</c>: estimated KV-cache bytes read.</summary>
    public const string KvCacheBytesRead = "test_time_scaling.kv_cache_bytes_read";
}
