namespace TestTimeScaling;

/// <summary>
/// A search was cancelled by its caller. Carries what the strategy had found and spent until then, so a caller
/// that accounts for compute (a study, a server billing tokens) can still report it.
/// </summary>
/// <remarks>
/// Every <see cref="ISearchStrategy"/> throws this (an <see cref="OperationCanceledException"/>, as .NET
/// code expects from a cancelled call) when its token is cancelled, before it starts or while it runs; it never
/// returns a result after a cancellation. A strategy that stops because its budget ran out is not cancelled: it
/// returns normally with <see cref="SearchOutcome.BudgetExhausted"/>.
/// </remarks>
public sealed class SearchCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="partial">The result as it stood (its outcome is <see cref="SearchOutcome.Cancelled"/>).</param>
    /// <param name="token">The token that was cancelled.</param>
    /// <param name="inner">The exception that ended the work (the sampler's or verifier's cancellation), if any.</param>
    public SearchCanceledException(SearchResult partial, CancellationToken token, Exception? inner = null)
        : base($"The search '{partial?.Trace.Strategy}' was cancelled; Partial holds the candidates found and the usage spent.", inner, token)
    {
        ArgumentNullException.ThrowIfNull(partial);
        Partial = partial;
    }

    /// <summary>
    /// Candidates found and compute spent until the cancellation; <see cref="SearchResult.Outcome"/> is
    /// <see cref="SearchOutcome.Cancelled"/> and <see cref="SearchResult.Answer"/> is null.
    /// </summary>
    public SearchResult Partial { get; }
}
