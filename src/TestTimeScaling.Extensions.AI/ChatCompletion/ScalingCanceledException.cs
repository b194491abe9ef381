namespace TestTimeScaling.Extensions.AI;

/// <summary>
/// The call was cancelled while its strategy ran: the .NET convention at the <c>IChatClient</c> boundary, with what
/// the strategy had found and spent until then.
/// </summary>
public sealed class ScalingCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="partial">The strategy's result as it stood (outcome <see cref="SearchOutcome.Cancelled"/>).</param>
    /// <param name="token">The token that was cancelled.</param>
    public ScalingCanceledException(SearchResult partial, CancellationToken token)
        : base($"The test-time scaling call was cancelled after {partial?.Usage.GeneratedTokens ?? 0} generated tokens; Partial holds the candidates and usage.", token)
    {
        ArgumentNullException.ThrowIfNull(partial);
        Partial = partial;
    }

    /// <summary>The candidates and usage at cancellation.</summary>
    public SearchResult Partial { get; }
}
