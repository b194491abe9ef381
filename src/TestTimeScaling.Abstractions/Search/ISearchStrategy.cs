namespace TestTimeScaling;

/// <summary>A way of spending test-time compute on a problem: sample, verify, vote, search.</summary>
public interface ISearchStrategy
{
    /// <summary>A short name for reports (for example "best-of-n").</summary>
    string Name { get; }

    /// <summary>Solves the problem within the context's budget.</summary>
    /// <remarks>Cancellation returns promptly with <see cref="SearchOutcome.Cancelled"/> and the usage spent so far.</remarks>
    Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default);
}
