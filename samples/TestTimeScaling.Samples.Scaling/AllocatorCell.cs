using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// One cell of an allocator row (<see cref="StrategySpec.Allocator"/>): <see cref="ComputeOptimalAllocator"/> over all
/// the study's problems with a total token budget equal to what the matched cell (majority@N) generated over them,
/// written as per-problem records like every other cell's.
/// </summary>
/// <remarks>
/// <para>Token-matched and exact: the allocator charges every inner run on the tokens it actually generates and never
/// lets the total exceed the budget, so the cell spends at most what majority@N spent, over the same problems.</para>
/// <para>Independent of the lanes: the cell runs on one lane (the first), after the matched cell, one problem's calls at a
/// time, because the allocation couples the problems (what one leaves unspent goes to another). Every lane holds the
/// same models, so the records are those of a run with one lane whatever <c>--concurrency</c> says; the other lanes
/// wait while it runs.</para>
/// <para>Seeds: the allocator derives each problem's seeds from the run's seed and the problem's place in the list, so
/// the same problems in the same order give the same records.</para>
/// </remarks>
public static class AllocatorCell
{
    /// <summary>The total budget of the cell: the matched cell's generated tokens summed over <paramref name="problems"/>.</summary>
    /// <exception cref="InvalidOperationException">The matched cell has no record of one of the problems.</exception>
    public static long TotalTokens(StrategySpec spec, int budget, IReadOnlyList<ArithmeticProblem> problems, IReadOnlyDictionary<string, ProblemRecord>? matched)
    {
        long total = 0;
        foreach (var problem in problems)
        {
            if (matched is null || !matched.TryGetValue(problem.Id, out var record))
                throw new InvalidOperationException($"'{spec.Name}' at N={budget} needs '{spec.MatchTokensOf}' at N={budget} to have run on {problem.Id} first.");
            total += record.GeneratedTokens;
        }
        return total;
    }

    /// <summary>Runs the cell on <paramref name="lane"/>; null when cancelled.</summary>
    public static async Task<IReadOnlyList<ProblemRecord>?> RunAsync(StudyLane lane, StrategySpec spec, int budget, IReadOnlyList<ArithmeticProblem> problems,
        long totalTokens, ScalingOptions options, CancellationToken cancellationToken)
    {
        var allocator = spec.Allocator!();
        var asked = problems.Select(p => p.ToProblem()).ToList();
        var clock = new ProblemClock([.. asked.Select(p => p.Prompt)]);
        // The allocator needs at least one pilot token per problem within its pilot share; a budget below that (a matched
        // cell that generated next to nothing) buys nothing, and the cell records no answers rather than failing the run.
        if ((long)(totalTokens * allocator.MaxPilotFraction) / problems.Count <= 0)
            return [.. problems.Select(p => Record(p, null, SearchOutcome.BudgetExhausted, 0, Usage.Zero, 0))];

        var sampler = lane.NewSampler();
        try
        {
            var template = new SearchContext
            {
                Sampler = clock.Wrap(sampler),
                Verifier = spec.NeedsVerifier ? clock.Wrap(spec.PerfectVerifier ? ArithmeticStepVerifier.Instance : lane.Verifier) : null,
                AnswerExtractor = ArithmeticAnswerExtractor.Instance,
                Budget = Budget.Tokens(totalTokens),
                Sampling = new SamplingOptions
                {
                    Temperature = options.Temperature,
                    MaxNewTokens = spec.MaxNewTokens ?? options.MaxNewTokens,
                    Seed = options.Seed,
                },
            };
            AllocationResult result;
            try
            {
                result = await allocator.SolveAllAsync(asked, template, totalTokens, cancellationToken).ConfigureAwait(false);
            }
            catch (SearchCanceledException)
            {
                return null;
            }
            return [.. problems.Select((p, i) =>
            {
                var a = result.Problems[i];
                return Record(p, a.Answer, a.Outcome, a.Candidates.Count, a.Usage, clock.Seconds(i), a.Candidates.Count(c => c.Answer == p.AnswerText));
            })];
        }
        finally
        {
            (sampler as IDisposable)?.Dispose();
        }
    }

    private static ProblemRecord Record(ArithmeticProblem problem, string? answer, SearchOutcome outcome, int candidates, Usage usage, double seconds,
        int correctCandidates = 0) => new(
        problem.Id,
        problem.Level,
        problem.AnswerText,
        answer,
        answer is not null && answer == problem.AnswerText,
        outcome,
        candidates,
        usage.GeneratedTokens,
        usage.PromptTokens,
        usage.ForwardPasses,
        usage.VerifierCalls,
        seconds,
        correctCandidates);
}
