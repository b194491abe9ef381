namespace TestTimeScaling;

/// <summary>
/// Adaptive self-consistency: sample in small batches and stop as soon as the vote is decisive.
/// </summary>
/// <remarks>
/// <para>Aggarwal et al., "Let's Sample Step by Step: Adaptive-Consistency for Efficient Reasoning and
/// Coding with LLMs" (EMNLP 2023). Easy problems reach agreement after a few samples; hard ones get more.</para>
/// <para>Stopping rule (their Beta criterion): with <c>a</c> votes for the leader and <c>b</c> for the runner-up,
/// the leader's share among the two is modelled as p ~ Beta(a + 1, b + 1); sampling stops once
/// P(p &gt; 1/2) ≥ <see cref="Confidence"/> and at least <see cref="MinSamples"/> samples are in. For integer
/// counts this probability is exactly P(Binomial(a + b + 1, 1/2) ≤ a). Otherwise it stops at
/// <see cref="MaxSamples"/> or when the budget is spent.</para>
/// <para>Budget: each solution is one sample. The outcome is <see cref="SearchOutcome.Completed"/> when the rule
/// fired or MaxSamples were drawn, <see cref="SearchOutcome.BudgetExhausted"/> when the budget ran out first.</para>
/// </remarks>
public sealed class AdaptiveSelfConsistency : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="maxSamples">Most solutions to draw; positive (the budget may allow fewer).</param>
    /// <param name="batchSize">Solutions per sampler call; positive.</param>
    /// <param name="confidence">Required probability that the leader is the true majority, in (0.5, 1).</param>
    /// <param name="minSamples">Solutions drawn before the rule may stop; positive.</param>
    public AdaptiveSelfConsistency(int maxSamples = 32, int batchSize = 4, double confidence = 0.95, int minSamples = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSamples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minSamples);
        if (double.IsNaN(confidence) || confidence <= 0.5 || confidence >= 1)
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "Confidence must be in (0.5, 1).");
        MaxSamples = maxSamples;
        BatchSize = batchSize;
        Confidence = confidence;
        MinSamples = minSamples;
    }

    /// <summary>Most solutions to draw.</summary>
    public int MaxSamples { get; }

    /// <summary>Solutions per sampler call.</summary>
    public int BatchSize { get; }

    /// <summary>Required probability that the leader is the majority.</summary>
    public double Confidence { get; }

    /// <summary>Solutions drawn before the rule may stop.</summary>
    public int MinSamples { get; }

    /// <inheritdoc />
    public string Name => "adaptive-self-consistency";

    /// <summary>P(p &gt; 1/2) for p ~ Beta(leader + 1, runnerUp + 1).</summary>
    public static double LeaderProbability(int leader, int runnerUp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leader);
        ArgumentOutOfRangeException.ThrowIfNegative(runnerUp);
        // P(Binomial(m, 1/2) <= leader) with m = leader + runnerUp + 1, summed in log space to stay finite.
        int m = leader + runnerUp + 1;
        double logHalfPow = m * Math.Log(0.5), logC = 0, sum = 0;
        for (int j = 0; j <= leader; j++)
        {
            if (j > 0) logC += Math.Log(m - j + 1) - Math.Log(j);
            sum += Math.Exp(logC + logHalfPow);
        }
        return Math.Min(1.0, sum);
    }

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var drawn = new List<Candidate>();
            bool budgetCut = false;
            VoteResult vote = MajorityVote.Select([]);
            while (drawn.Count < MaxSamples)
            {
                int want = Math.Min(BatchSize, MaxSamples - drawn.Count);
                var batch = await ParallelDraw.DrawAsync(run, want).ConfigureAwait(false);
                drawn.AddRange(batch);
                // No progress (budget spent, or a sampler that returns nothing) ends the loop.
                if (batch.Count < want) { budgetCut = true; break; }
                vote = MajorityVote.Select(drawn.Select(c => c.Answer));
                double p = LeaderProbability((int)vote.WinnerScore, (int)vote.RunnerUpScore);
                run.Trace.Add("vote", $"{drawn.Count} samples: leader {vote.Winner ?? "(none)"} with {vote.WinnerScore}, P(majority) = {p:F3}.",
                    new Dictionary<string, double> { ["samples"] = drawn.Count, ["leaderVotes"] = vote.WinnerScore, ["probability"] = p });
                if (drawn.Count >= MinSamples && vote.Winner is not null && p >= Confidence) break;
            }
            vote = MajorityVote.Select(drawn.Select(c => c.Answer));
            var chosen = drawn.FirstOrDefault(c => vote.Winner is not null && c.Answer == vote.Winner);
            return run.Result(run.OutcomeFor(budgetCut), chosen);
        });
}
