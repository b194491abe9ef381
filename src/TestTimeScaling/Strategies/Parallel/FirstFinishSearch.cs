namespace TestTimeScaling;

/// <summary>
/// First Finish Search: launch N samples together and keep the first to finish; the others are abandoned.
/// </summary>
/// <remarks>
/// <para>Agarwal et al., "First Finish Search: Efficient Test-Time Scaling in Large Language Models" (2025):
/// for reasoning models, shorter traces are more often correct, so the first sample to finish is a good pick
/// and stopping the rest saves most of their tokens.</para>
/// <para>The call asks the sampler to return once one row has finished (<see cref="SampleRequest.StopAfterFinished"/> = 1);
/// abandoned rows are charged only what they generated, which is what the sampler's usage reports.
/// Among the rows that finished in the same decode step, one that stopped on its own beats one cut at
/// MaxNewTokens, then the shortest, then the earliest; one without an answer is passed over for one with.
/// When no finisher has an answer (a sample cut off mid-solution), the abandoned rows resume from where
/// they stand until the next finishes, and so on until one finishes with an answer or none is left.</para>
/// <para>Fallback: when the sampler's capabilities say it cannot stop early, all N run to the end (and are all
/// charged) and the shortest finished one is chosen; the trace records the fallback.</para>
/// <para>Budget: all N launched rows are charged as samples; N is also capped by the sampler's MaxRowsPerRequest,
/// since the race only means something within one batch. Under a token budget the rows draw on one shared
/// allowance: when it runs out every row still running is cut there.</para>
/// </remarks>
public sealed class FirstFinishSearch : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="n">Samples launched together; positive.</param>
    public FirstFinishSearch(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        N = n;
    }

    /// <summary>Samples launched together.</summary>
    public int N { get; }

    /// <inheritdoc />
    public string Name => "first-finish";

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            bool early = run.Sampler.Capabilities.StopAfterFinished;
            if (!early) run.Trace.Add("fallback", "The sampler cannot stop after the first finisher: every sample runs to the end and the shortest is kept.");
            int n = Math.Min(N, Math.Max(1, run.Sampler.Capabilities.MaxRowsPerRequest));
            var drawn = await RaceAsync(run, n, early).ConfigureAwait(false);
            if (early) await ResumeUntilAnsweredAsync(run, drawn).ConfigureAwait(false);
            var finished = drawn.Where(c => c.FinishReason != FinishReason.Abandoned)
                .OrderBy(c => c.FinishReason == FinishReason.Stop ? 0 : 1)
                .ThenBy(c => c.GeneratedTokens)
                .ToList();
            var chosen = finished.FirstOrDefault(c => c.Answer is not null);
            run.Trace.Add("select", $"{finished.Count} of {drawn.Count} finished; kept one of {chosen?.GeneratedTokens ?? 0} tokens.");
            return run.Result(run.OutcomeFor(drawn.Count < n), chosen);
        });

    // All rows race in one call (the race only means something within one batch), drawing on one token allowance.
    private static async Task<List<Candidate>> RaceAsync(SearchRun run, int n, bool early)
    {
        int rows = Math.Min(n, run.SamplesLeft);
        if (rows <= 0 || run.TokensLeft == 0) return [];
        var options = run.Sampling with { StepDelimiter = null };
        var completions = await run.SampleAsync(run.Problem.Prompt, [""], rows, options, early ? 1 : null).ConfigureAwait(false);
        run.ChargeSamples(rows);
        return completions.Select(c => run.AddCandidate(c.Text, c.GeneratedTokens, c.FinishReason)).ToList();
    }

    /// <summary>
    /// A sample that stops without a final answer (cut off mid-solution) is not a solution, so it cannot
    /// win: the other samples resume from where they stand, again until the first of them finishes, until
    /// one finishes with an answer or none is left. Resuming continues the cached rows, so it costs only
    /// the new tokens.
    /// </summary>
    private static async Task ResumeUntilAnsweredAsync(SearchRun run, List<Candidate> drawn)
    {
        while (!drawn.Any(c => c.FinishReason != FinishReason.Abandoned && c.Answer is not null))
        {
            var open = drawn.Where(c => c.FinishReason == FinishReason.Abandoned).ToList();
            int maxNew = run.Sampling.MaxNewTokens - open.Select(c => c.GeneratedTokens).DefaultIfEmpty(int.MaxValue).Min();
            if (open.Count == 0 || maxNew <= 0 || run.TokensLeft == 0) return;
            var options = run.Sampling with { StepDelimiter = null, MaxNewTokens = maxNew };
            var more = await run.SampleAsync(run.Problem.Prompt, open.Select(c => c.Text).ToList(), 1, options, stopAfterFinished: 1).ConfigureAwait(false);
            if (more.Count == 0) return;
            foreach (var completion in more)
            {
                var before = open[completion.PrefixIndex];
                string text = before.Text + completion.Text;
                var after = before with
                {
                    Text = text,
                    Answer = run.Context.AnswerExtractor.Extract(text),
                    GeneratedTokens = before.GeneratedTokens + completion.GeneratedTokens,
                    FinishReason = completion.FinishReason,
                };
                run.Replace(before, after);
                drawn[drawn.IndexOf(before)] = after;
            }
            run.Trace.Add("resume", $"No finisher had an answer: resumed {open.Count} sample(s).");
        }
    }
}
