namespace TestTimeScaling;

/// <summary>
/// Self-consistency: draw N solutions and return the most frequent answer (majority vote). Needs no verifier.
/// </summary>
/// <remarks>
/// <para>Wang et al., "Self-Consistency Improves Chain of Thought Reasoning in Language Models" (ICLR 2023);
/// compared with verification at equal compute in Singhi et al., "When To Solve, When To Verify" (2025).</para>
/// <para>Budget as <see cref="BestOfN"/>. Null answers do not vote; ties go to the answer that occurred first;
/// the chosen candidate is the first one with the winning answer.
/// <see cref="Over(ISearchStrategy, int)"/> votes over whole runs of another strategy instead.</para>
/// </remarks>
public sealed class SelfConsistency : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="n">Solutions to draw; positive.</param>
    public SelfConsistency(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        N = n;
    }

    /// <summary>Solutions to draw.</summary>
    public int N { get; }

    /// <inheritdoc />
    public string Name => "self-consistency";

    /// <summary>Self-consistency over another strategy: run it <paramref name="runs"/> times and vote over its answers.</summary>
    public static VoteOver Over(ISearchStrategy inner, int runs) => new(inner, runs);

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var drawn = await ParallelDraw.DrawAsync(run, N).ConfigureAwait(false);
            var vote = MajorityVote.Select(drawn.Select(c => c.Answer));
            run.Trace.Add("vote", $"Majority: {vote.Winner ?? "(none)"} with {vote.WinnerScore} of {vote.TotalScore} votes.",
                vote.ScoresByAnswer());
            return run.Result(run.OutcomeFor(drawn.Count < N), drawn.FirstOrDefault(c => c.Answer == vote.Winner && vote.Winner is not null));
        });
}
