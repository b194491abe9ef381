
namespace TestTimeScaling;

/// <summary>
/// Weighted Best-of-N: draw N solutions, score them, and return the answer whose candidates' scores sum
/// highest (a vote weighted by the verifier).
/// </summary>
/// <remarks>
/// <para>Li et al., "Making Large Language Models Better Reasoners with Step-Aware Verifier" (2023);
/// used as "weighted best-of-N" by Beeching et al. (Hugging Face search-and-learn, 2024) and by
/// Liu et al., "Can 1B LLM Surpass 405B LLM?" (2025). It combines the verifier's judgement with
/// self-consistency's agreement, and is more robust than Best-of-N to a verifier that over-rates one outlier.</para>
/// <para>Budget as <see cref="BestOfN"/>. Candidates without an answer do not vote. The chosen candidate is the
/// winning answer's highest-scored one. Negative scores weigh zero and equal sums go to the answer with more
/// samples, then to the one that occurred first (<see cref="WeightedVote"/>).</para>
/// </remarks>
public sealed class WeightedBestOfN : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="n">Solutions to draw; positive.</param>
    /// <param name="aggregation">For a process verifier, how step scores become the weight; null keeps the verifier's own value.</param>
    public WeightedBestOfN(int n, StepAggregation? aggregation = null)
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
    public string Name => "weighted-best-of-n";

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var verifier = ProcessScoreAggregator.Wrap(run.RequireVerifier("to weight the votes"), Aggregation);
            var drawn = await ParallelDraw.DrawAsync(run, N).ConfigureAwait(false);
            var scored = await ParallelDraw.ScoreAsync(run, verifier, drawn).ConfigureAwait(false);
            var vote = WeightedVote.Select(scored.Select(c => (c.Answer, Selection.ScoreOf(c))));
            run.Trace.Add("vote", $"Weighted vote: {vote.Winner ?? "(none)"} with {vote.WinnerScore:G4} of {vote.TotalScore:G4}.",
                vote.ScoresByAnswer());
            var chosen = Selection.Best(scored.Where(c => c.Answer == vote.Winner), Selection.ScoreOf);
            return run.Result(run.OutcomeFor(drawn.Count < N), chosen);
        });
}
