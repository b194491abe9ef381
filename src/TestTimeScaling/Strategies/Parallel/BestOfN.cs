
namespace TestTimeScaling;

/// <summary>
/// Best-of-N: draw N independent solutions, score each with a verifier, return the highest-scored one.
/// </summary>
/// <remarks>
/// <para>Snell et al., "Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model
/// Parameters" (2024); Liu et al., "Can 1B LLM Surpass 405B LLM? Rethinking Compute-Optimal Test-Time
/// Scaling" (2025).</para>
/// <para>Budget: each solution is one sample; N is cut to what <see cref="Budget.MaxSamples"/> allows, and a token
/// budget is spent exactly (rows are drawn in waves the remaining tokens can pay for, the last row cut at the
/// budget's last token); the outcome is then <see cref="SearchOutcome.BudgetExhausted"/>. Only candidates with an extractable answer can win; ties go
/// to the earliest. A process verifier's step scores are combined by <see cref="Aggregation"/> when set.</para>
/// </remarks>
public sealed class BestOfN : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="n">Solutions to draw; positive.</param>
    /// <param name="aggregation">For a process verifier, how step scores become the ranking value; null keeps the verifier's own value.</param>
    public BestOfN(int n, StepAggregation? aggregation = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        N = n;
        Aggregation = aggregation;
    }

    /// <summary>Solutions to draw.</summary>
    public int N { get; }

    /// <summary>Step-score aggregation for process verifiers, or null.</summary>
    public StepAggregation? Aggregation { get; }

    /// <inheritdoc />
    public string Name => "best-of-n";

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var verifier = ProcessScoreAggregator.Wrap(run.RequireVerifier("to rank the N solutions"), Aggregation);
            var drawn = await ParallelDraw.DrawAsync(run, N).ConfigureAwait(false);
            var scored = await ParallelDraw.ScoreAsync(run, verifier, drawn).ConfigureAwait(false);
            var chosen = Selection.Best(scored, Selection.ScoreOf);
            return run.Result(run.OutcomeFor(drawn.Count < N), chosen);
        });
}
