namespace TestTimeScaling;

/// <summary>
/// Runs an inner strategy several times and votes over the answers: self-consistency over any strategy
/// (for example over refinement chains or budget-forced traces).
/// </summary>
/// <remarks>
/// <para>Self-consistency (Wang et al., ICLR 2023) applied to whole strategy runs; "Scaling over Scaling"
/// (2025) and "Review, Refine, Repeat" study such parallel-over-sequential compositions.</para>
/// <para>Each run gets its own seed derived from <see cref="SamplingOptions.Seed"/> and its index, so runs differ
/// but the whole is reproducible. Budget: runs are sequential; run i gets an equal share of what is left
/// (MaxSamples / runs each, and the remaining tokens divided by the runs left), so the inner strategies'
/// own checks keep the total within the budget. When MaxSamples is below the number of runs, or a token share
/// would be zero, fewer runs are made and the outcome is <see cref="SearchOutcome.BudgetExhausted"/>. Samples charged are the inner runs' sample shares.</para>
/// <para>The vote is a majority over the runs' answers, or with <see cref="Weighted"/> a sum of the chosen
/// candidates' verifier scores; ties go to the earlier run. Candidates are each run's chosen candidate; the
/// usage is the sum over runs; the trace nests each run's trace. If a run is cancelled, a
/// <see cref="SearchCanceledException"/> carries all usage so far, the cancelled run's included.</para>
/// </remarks>
public sealed class VoteOver : ISearchStrategy
{
    /// <summary>Creates the composition.</summary>
    /// <param name="inner">The strategy to repeat.</param>
    /// <param name="runs">How many times to run it; positive.</param>
    /// <param name="weighted">Vote with the chosen candidates' scores instead of one vote each.</param>
    public VoteOver(ISearchStrategy inner, int runs, bool weighted = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
        Inner = inner;
        Runs = runs;
        Weighted = weighted;
    }

    /// <summary>The repeated strategy.</summary>
    public ISearchStrategy Inner { get; }

    /// <summary>Runs to make.</summary>
    public int Runs { get; }

    /// <summary>Whether votes are weighted by score.</summary>
    public bool Weighted { get; }

    /// <inheritdoc />
    public string Name => $"vote-over({Inner.Name})";

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var budget = context.Budget;
            // Fewer runs than asked when the sample budget cannot give each run one sample.
            int runs = Math.Min(Runs, budget.MaxSamples ?? Runs);
            int? samplesPerRun = budget.MaxSamples / runs;
            var chosen = new List<Candidate>();
            bool cut = runs < Runs;
            for (int i = 0; i < runs; i++)
            {
                long? tokens = budget.MaxGeneratedTokens is null ? null : run.TokensLeft / (runs - i);
                if (samplesPerRun is 0 || tokens is 0) { cut = true; break; }
                var share = new Budget(samplesPerRun, tokens);
                var sampling = context.Sampling.Seed is { } seed ? context.Sampling with { Seed = Seeds.Derive(seed, 1_000_000 + i) } : context.Sampling;
                SearchResult result;
                try
                {
                    result = await Inner.SolveAsync(problem, context with { Budget = share, Sampling = sampling }, cancellationToken).ConfigureAwait(false);
                }
                catch (SearchCanceledException canceled)
                {
                    // The inner run's spending is part of this run's; the cancellation itself is rethrown by the run.
                    run.Absorb(canceled.Partial, samplesPerRun ?? 0);
                    throw;
                }
                run.Absorb(result, samplesPerRun ?? 0);
                if (result.Outcome == SearchOutcome.BudgetExhausted) cut = true;
                var pick = result.Chosen ?? (result.Answer is null ? null : new Candidate { Text = "", Answer = result.Answer });
                if (pick is null) continue;
                if (pick.Answer != result.Answer) pick = pick with { Answer = result.Answer };
                chosen.Add(pick);
                run.Candidates.Add(pick);
            }
            var vote = Weighted
                ? WeightedVote.Select(chosen.Select(c => (c.Answer, c.Score?.Value ?? 0.0)))
                : MajorityVote.Select(chosen.Select(c => c.Answer));
            run.Trace.Add("vote", $"{chosen.Count} run(s) answered; winner {vote.Winner ?? "(none)"} with {vote.WinnerScore:G4} of {vote.TotalScore:G4}.",
                vote.ScoresByAnswer());
            return run.Result(run.OutcomeFor(cut), chosen.FirstOrDefault(c => vote.Winner is not null && c.Answer == vote.Winner));
        });
}
