
namespace TestTimeScaling;

/// <summary>A strategy bound to its context: what the fluent builder returns, ready to solve problems.</summary>
/// <param name="Strategy">The strategy to run.</param>
/// <param name="Context">The sampler, verifier, extractor, budget and sampling settings it runs with.</param>
public sealed record ScalingPipeline(ISearchStrategy Strategy, SearchContext Context)
{
    /// <summary>Solves a problem given as its prompt.</summary>
    /// <param name="prompt">The text the sampler continues, in the format the model expects.</param>
    /// <param name="cancellationToken">Stops the search; the result then has <see cref="SearchOutcome.Cancelled"/> and the usage spent.</param>
    /// <returns>The chosen answer, every candidate with its scores, the usage spent and a trace.</returns>
    public Task<SearchResult> SolveAsync(string prompt, CancellationToken cancellationToken = default) =>
        SolveAsync(new Problem(prompt), cancellationToken);

    /// <summary>Solves a problem.</summary>
    /// <param name="problem">The prompt, with an id and a reference answer when known (programmatic verifiers read it).</param>
    /// <param name="cancellationToken">Stops the search; the result then has <see cref="SearchOutcome.Cancelled"/> and the usage spent.</param>
    /// <returns>The chosen answer, every candidate with its scores, the usage spent and a trace.</returns>
    public Task<SearchResult> SolveAsync(Problem problem, CancellationToken cancellationToken = default) =>
        Strategy.SolveAsync(problem, Context, cancellationToken);

    /// <summary>
    /// Runs this pipeline's strategy <paramref name="runs"/> times and votes over the answers (<see cref="VoteOver"/>);
    /// the budget is multiplied by <paramref name="runs"/>, so each run keeps the budget it had.
    /// </summary>
    /// <param name="runs">How many independent runs of the strategy vote; positive.</param>
    /// <param name="weighted">Whether each run's vote counts its chosen candidate's score instead of one.</param>
    /// <returns>A new pipeline; this one is unchanged.</returns>
    public ScalingPipeline VotedOver(int runs, bool weighted = false)
    {
        var strategy = new VoteOver(Strategy, runs, weighted);
        var b = Context.Budget;
        var budget = new Budget(b.MaxSamples * runs, b.MaxGeneratedTokens * runs);
        return new ScalingPipeline(strategy, Context with { Budget = budget });
    }

    /// <summary>The same strategy with another budget.</summary>
    /// <param name="budget">The most samples and generated tokens of one solve.</param>
    /// <returns>A new pipeline; this one is unchanged.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A limit of <paramref name="budget"/> is zero or negative.</exception>
    public ScalingPipeline WithBudget(Budget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        return this with { Context = Context with { Budget = budget } };
    }
}
