using System.Diagnostics;
using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Runs every chosen strategy at every budget over the problems, through the fluent builder; the problems of a cell
/// run side by side, one per <see cref="StudyLane"/>.
/// </summary>
/// <remarks>
/// A problem's result depends only on the problem, its seed and the cell, never on the lanes, their timing or the
/// problems run before it: each problem gets a fresh sampler on a lane whose decoder runs nothing else meanwhile, and
/// its own seed. So a run with any number of lanes writes the same records as a run with one; the finished searches
/// reach <see cref="Solved"/> and the progress in problem order whatever order they finish in.
/// </remarks>
public sealed class ScalingRunner
{
    /// <summary>Tries per problem before a libtorch error ends the run.</summary>
    private const int MaxAttempts = 3;

    private readonly IReadOnlyList<StudyLane> _lanes;
    private readonly ScalingOptions _options;
    // Finished records by strategy, budget and problem id: a token-matched strategy reads its reference's spending here.
    private readonly Dictionary<(string Strategy, int Budget), Dictionary<string, ProblemRecord>> _done = [];

    /// <summary>Creates a runner whose cells run one problem per lane at a time.</summary>
    /// <exception cref="ArgumentException">No lane was given.</exception>
    public ScalingRunner(IReadOnlyList<StudyLane> lanes, ScalingOptions options)
    {
        ArgumentNullException.ThrowIfNull(lanes);
        if (lanes.Count == 0 || lanes.Any(l => l is null)) throw new ArgumentException("The runner needs at least one lane, and no null lane.", nameof(lanes));
        _lanes = lanes;
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>
    /// Called with every finished search (strategy, budget, problem, its index, result), in problem order within a
    /// cell and never twice at once; the trace recorder listens here.
    /// </summary>
    public Action<StrategySpec, int, ArithmeticProblem, int, SearchResult>? Solved { get; init; }

    /// <summary>
    /// Called when a solve failed inside libtorch and is run again (problem, the error). TorchSharp frees an implicit
    /// <c>Scalar</c> from the finalizer thread while a native call may still read it ("Unknown scalar type"); lanes on
    /// several threads make the collections that trigger it frequent (docs/scaling-concurrency.md). A problem's result
    /// depends on nothing but the problem, so solving it again on a fresh sampler gives exactly what it would have given.
    /// </summary>
    public Action<ArithmeticProblem, Exception>? Retried { get; init; }

    /// <summary>The (strategy, budget) pairs the options ask for, in run order.</summary>
    public IReadOnlyList<(StrategySpec Strategy, int Budget)> Cells() =>
        [.. from name in _options.Strategies
            let spec = StrategyCatalog.Find(name)!
            from budget in _options.Budgets
            where spec.Supports(budget)
            select (spec, budget)];

    /// <summary>
    /// Runs all cells, one after another, each with its problems spread over the lanes. Cancellation drops the problems
    /// in progress; the cells finished so far, and the interrupted one with the problems it completed, are returned.
    /// </summary>
    public async Task<IReadOnlyList<CellResult>> RunAsync(IReadOnlyList<ArithmeticProblem> problems, StudyProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(progress);
        var cells = Cells();
        var results = new List<CellResult>(cells.Count);
        for (int c = 0; c < cells.Count && !cancellationToken.IsCancellationRequested; c++)
        {
            var (spec, budget) = cells[c];
            progress.Start(c + 1, cells.Count, spec.Name, budget, problems.Count);
            var clock = Stopwatch.StartNew();
            var records = spec.AllocatesAcrossProblems
                ? await RunAllocatorCellAsync(spec, budget, problems, progress, cancellationToken).ConfigureAwait(false)
                : await RunCellAsync(spec, budget, problems, progress, cancellationToken).ConfigureAwait(false);
            if (records.Count == 0) break;
            _done[(spec.Name, budget)] = records.ToDictionary(r => r.ProblemId);
            var cell = CellResult.Summarize(spec.Name, budget, records, clock.Elapsed.TotalSeconds, seed: (int)_options.Seed);
            results.Add(cell);
            progress.Finish(cell);
        }
        return results;
    }

    /// <summary>One cell: every lane takes the next problem (in index order) until none is left; records come back in problem order.</summary>
    private async Task<IReadOnlyList<ProblemRecord>> RunCellAsync(StrategySpec spec, int budget, IReadOnlyList<ArithmeticProblem> problems,
        StudyProgress progress, CancellationToken cancellationToken)
    {
        var records = new ProblemRecord?[problems.Count];
        // Finished searches wait here until every earlier problem has finished, so listeners see problem order.
        var finished = new SearchResult?[problems.Count];
        int next = -1, reported = 0, correct = 0;
        var gate = new object();
        // A lane that fails stops the others (they drop their problem), then its error surfaces.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task LaneAsync(StudyLane lane)
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    int p = Interlocked.Increment(ref next);
                    if (p >= problems.Count) return;
                    var solved = await SolveRetryingAsync(lane, spec, budget, problems[p], stop.Token).ConfigureAwait(false);
                    if (solved is not { } done) return;
                    lock (gate)
                    {
                        (records[p], finished[p]) = done;
                        // Report every problem whose predecessors are all done, in order.
                        for (; reported < problems.Count && records[reported] is { } record; reported++)
                        {
                            Solved?.Invoke(spec, budget, problems[reported], reported, finished[reported]!);
                            finished[reported] = null;
                            if (record.Correct) correct++;
                            progress.Advance(reported + 1, problems.Count, correct);
                        }
                    }
                }
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        // Task.Run: each lane's synchronous stretches (tokenizing, the step verifier, bookkeeping) run on their own thread.
        await Task.WhenAll(_lanes.Take(problems.Count).Select(lane => Task.Run(() => LaneAsync(lane), CancellationToken.None))).ConfigureAwait(false);
        // Interrupted: the problems that did finish, still in problem order (a later one may have finished before an earlier).
        return [.. records.OfType<ProblemRecord>()];
    }

    /// <summary>
    /// An allocator row's cell: one allocation over all problems within the matched cell's total tokens, on the first
    /// lane (<see cref="AllocatorCell"/>); empty when cancelled. The allocation has no per-problem search to report to
    /// <see cref="Solved"/>; the progress advances once it is done.
    /// </summary>
    private async Task<IReadOnlyList<ProblemRecord>> RunAllocatorCellAsync(StrategySpec spec, int budget, IReadOnlyList<ArithmeticProblem> problems,
        StudyProgress progress, CancellationToken cancellationToken)
    {
        long total = AllocatorCell.TotalTokens(spec, budget, problems, _done.GetValueOrDefault((spec.MatchTokensOf!, budget)));
        IReadOnlyList<ProblemRecord>? records;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                records = await AllocatorCell.RunAsync(_lanes[0], spec, budget, problems, total, _options, cancellationToken).ConfigureAwait(false);
                break;
            }
            // The allocation depends on nothing but its inputs: run again on a fresh sampler, it gives what it would have.
            catch (Exception error) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested && FromLibTorch(error) is { } native)
            {
                Retried?.Invoke(problems[0], native);
            }
        }
        if (records is null) return [];
        int correct = 0;
        for (int p = 0; p < records.Count; p++)
        {
            if (records[p].Correct) correct++;
            progress.Advance(p + 1, problems.Count, correct);
        }
        return records;
    }

    private async Task<(ProblemRecord Record, SearchResult Result)?> SolveRetryingAsync(StudyLane lane, StrategySpec spec, int budget,
        ArithmeticProblem problem, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await SolveAsync(lane, spec, budget, problem, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested && FromLibTorch(error) is { } native)
            {
                Retried?.Invoke(problem, native);
            }
        }
    }

    // The libtorch error itself, or inside the verifier's or a strategy's wrapper.
    private static System.Runtime.InteropServices.ExternalException? FromLibTorch(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
            if (error is System.Runtime.InteropServices.ExternalException native) return native;
        return null;
    }

    /// <summary>Solves one problem with one strategy at one budget on a fresh sampler of <paramref name="lane"/>; null when cancelled.</summary>
    public async Task<(ProblemRecord Record, SearchResult Result)?> SolveAsync(StudyLane lane, StrategySpec spec, int budget, ArithmeticProblem problem,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(problem);
        var sampler = lane.NewSampler();
        try
        {
            return await SolveAsync(sampler, lane.Verifier, spec, budget, problem, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            (sampler as IDisposable)?.Dispose();
        }
    }

    private async Task<(ProblemRecord Record, SearchResult Result)?> SolveAsync(ISampler sampler, IVerifier verifier, StrategySpec spec, int budget,
        ArithmeticProblem problem, CancellationToken cancellationToken)
    {
        var builder = Scale.With(sampler)
            .Verifier(spec.PerfectVerifier ? ArithmeticStepVerifier.Instance : verifier)
            .Extractor(ArithmeticAnswerExtractor.Instance)
            .Sampling(new SamplingOptions
            {
                Temperature = _options.Temperature,
                MaxNewTokens = spec.MaxNewTokens ?? _options.MaxNewTokens,
                // Each problem gets its own seed, the same for every strategy and budget: comparisons between
                // strategies then see the same randomness (common random numbers), which narrows their differences' noise.
                // It derives from the problem's id, not its place in the list, so no other problem of the run affects it.
                Seed = ProblemSeed(_options.Seed, problem.Id),
            });
        if (spec.MatchTokensOf is { } reference)
        {
            // The reference cell ran before this one (catalog order) and is complete: no lane races with it.
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
        var usage = result.Usage;
        var record = new ProblemRecord(
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
        return (record, result);
    }

    /// <summary>
    /// A seed for the problem <paramref name="problemId"/> in a run seeded with <paramref name="seed"/>: SplitMix64 of the
    /// seed and a 64-bit FNV-1a hash of the id, so neighbours are unrelated and a problem draws the same numbers
    /// whichever other problems the run holds (a 90-problem and a 200-problem study agree on the problems they share).
    /// </summary>
    public static long ProblemSeed(long seed, string problemId)
    {
        ArgumentNullException.ThrowIfNull(problemId);
        ulong hash = 14695981039346656037UL;
        foreach (char c in problemId) hash = unchecked((hash ^ c) * 1099511628211UL);
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + hash);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)((z ^ (z >> 31)) & long.MaxValue);
    }
}
