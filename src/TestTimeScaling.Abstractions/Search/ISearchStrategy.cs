namespace TestTimeScaling;

/// <summary>A way of spending test-time compute on a problem: sample, verify, vote, search.</summary>
public interface ISearchStrategy
{
    /// <summary>A short name for reports (for example "best-of-n").</summary>
    string Name { get; }

    /// <summary>Solves the problem within the context's budget.</summary>
    /// <remarks>
    /// Cancellation stops the search between decode steps (the token is passed to every sampler and verifier call)
    /// and throws <see cref="SearchCanceledException"/>, whose <see cref="SearchCanceledException.Partial"/> holds the
    /// candidates and usage so far. Running out of budget is not cancellation: the result's outcome is
    /// <see cref="SearchOutcome.BudgetExhausted"/>.
    /// </remarks>
    /// <exception cref="SearchCanceledException">The token was cancelled.</exception>
    /// <exception cref="ArgumentException">The problem or context is invalid, or a needed verifier is missing (the message names it).</exception>
    Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default);
}
