using System.Diagnostics;
using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>Runs every chosen strategy at every budget over the problems, through the fluent builder.</summary>
public sealed class ScalingRunner
{
    private readonly ISampler _sampler;
    private readonly IVerifier _verifier;
    private readonly ScalingOptions _options;
    // Finished records by strategy, budget and problem id: a token-matched strategy reads its reference's spending here.
    private readonly Dictionary<(string Strategy, int Budget), Dictionary<string, ProblemRecord>> _done = [];

    /// <summary>Creates a runner over a policy sampler and a process reward model.</summary>
    public ScalingRunner(ISampler sampler, IVerifier verifier, ScalingOptions options)
    {
        _sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        _verifier = verifier ?? throw new ArgumentNullException(nameof(verifier));
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>Called with every finished search (strategy, budget, problem, its index, result); the trace recorder listens here.</summary>
    public Action<StrategySpec, int, ArithmeticProblem, int, SearchResult>? Solved { get; init; }

    /// <summary>The (strategy, budget) pairs the options ask for, in run order.</summary>
    public IReadOnlyList<(StrategySpec Strategy, int Budget)> Cells() =>
        [.. from name in _options.Strategies
            let spec = StrategyCatalog.Find(name)!
            from budget in _options.Budgets
            where spec.Supports(budget)
            select (spec, budget)];

    /// <summary>
    /// Runs all cells, one problem at a time. Cancellation drops the problem in progress; the cells finished so far,
    /// and the interrupted one with the problems it completed, are returned.
    /// </summary>
    public async Task<IReadOnlyList<CellResult>> RunAsync(IReadOnlyList<ArithmeticProblem> problems, StudyProgress progress, CancellationToken cancellationToken)
    {
        var cells = Cells();
        var results = new List<CellResult>(cells.Count);
        for (int c = 0; c < cells.Count && !cancellationToken.IsCancellationRequested; c++)
        {
            var (spec, budget) = cells[c];
            progress.Start(c + 1, cells.Count, spec.Name, budget, problems.Count);
            var clock = Stopwatch.StartNew();
            var records = new List<ProblemRecord>(problems.Count);
            for (int p = 0; p < problems.Count; p++)
            {
                var record = await SolveAsync(spec, budget, problems[p], p, cancellationToken).ConfigureAwait(false);
                if (record is null) break;
                records.Add(record);
                progress.Advance(records.Count, problems.Count, records.Count(r => r.Correct));
            }
            if (records.Count == 0) break;
            _done[(spec.Name, budget)] = records.ToDictionary(r => r.ProblemId);
            var cell = CellResult.Summarize(spec.Name, budget, records, clock.Elapsed.TotalSeconds, seed: (int)_options.Seed);
            results.Add(cell);
            progress.Finish(cell);
        }
        return results;
    }

    /// <summary>Solves one problem with one strategy at one budget; null when cancelled.</summary>
    public async Task<ProblemRecord?> SolveAsync(StrategySpec spec, int budget, ArithmeticProblem problem, int index, CancellationToken cancellationToken)
    {
        var builder = Scale.With(_sampler)
            .Verifier(spec.PerfectVerifier ? ArithmeticStepVerifier.Instance : _verifier)
            .Extractor(ArithmeticAnswerExtractor.Instance)
            .Sampling(new SamplingOptions
            {
                Temperature = _options.Temperature,
                MaxNewTokens = spec.MaxNewTokens ?? _options.MaxNewTokens,
                // Each problem gets its own seed, the same for every strategy and budget: comparisons between
                // strategies then see the same randomness (common random numbers), which narrows their differences' noise.
                Seed = ProblemSeed(_options.Seed, index),
            });
        if (spec.MatchTokensOf is { } reference)
        {
            if (!_done.TryGetValue((reference, budget), out var records) || !records.TryGetValue(problem.Id, out var matched))
                throw new InvalidOperationException($"'{spec.Name}' at N={budget} needs '{reference}' at N={budget} to have run on {problem.Id} first.");
            builder.Budget(Budget.Tokens(Math.Max(1, matched.GeneratedTokens)));
        }
        var pipeline = spec.Build(builder, budget);
        var clock = Stopwatch.StartNew();
        SearchResult result;
        try
        {
            result = await pipeline.SolveAsync(problem.ToProblem(), cancellationToken).ConfigureAwait(false);
        }
        catch (SearchCanceledException)
        {
            return null;
        }
        Solved?.Invoke(spec, budget, problem, index, result);
        var usage = result.Usage;
        return new ProblemRecord(
            problem.Id,
            problem.Level,
            problem.AnswerText,
            result.Answer,
            result.Answer is not null && result.Answer == problem.AnswerText,
            result.Outcome,
            result.Candidates.Count,
            usage.GeneratedTokens,
            usage.PromptTokens,
            usage.ForwardPasses,
            usage.VerifierCalls,
            clock.Elapsed.TotalSeconds,
            result.Candidates.Count(c => c.Answer == problem.AnswerText));
    }

    /// <summary>A seed for problem <paramref name="index"/> of a run seeded with <paramref name="seed"/> (SplitMix64, so neighbours are unrelated).</summary>
    public static long ProblemSeed(long seed, int index)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 1);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)((z ^ (z >> 31)) & long.MaxValue);
    }
}
