
namespace TestTimeScaling;

/// <summary>
/// Step-level beam search under a process reward model: extend every beam by one step several times,
/// score the partial solutions, keep the best, repeat.
/// </summary>
/// <remarks>
/// <para>Snell et al., "Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model
/// Parameters" (2024); Beeching et al., Hugging Face "search-and-learn" (2024); Liu et al., "Can 1B LLM
/// Surpass 405B LLM?" (2025).</para>
/// <para>Round 1 samples <see cref="BeamWidth"/> × <see cref="Expansions"/> first steps; every later round continues
/// each live beam <see cref="Expansions"/> times, pausing at the step delimiter (the context's, or a line break).
/// The verifier scores each partial solution; with a process verifier the step scores are combined by
/// <see cref="Aggregation"/> (the last step's score is the usual choice). A child is finished when its step
/// ended the sample (stop or length) or its text holds a final answer; finished children go to a pool, the
/// best <see cref="BeamWidth"/> distinct unfinished ones stay live. After <see cref="MaxDepth"/> rounds, or when
/// no beam is live, the pool's best-scored candidate with an answer wins (live beams left at the depth limit
/// are candidates too).</para>
/// <para>Budget: <see cref="Budget.MaxSamples"/> counts completed solutions (rollouts reaching the pool); a round
/// never asks for more rows than completions are left, so the pool cannot overrun it (the lowest-ranked beams are
/// dropped, then expansions reduced). The token budget is exact: each round's rows draw on what is left of it,
/// rows are cut where it runs out (they join the pool as finished, usually without an answer), and the search
/// stops with <see cref="SearchOutcome.BudgetExhausted"/>.</para>
/// </remarks>
public sealed class StepBeamSearch : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="beamWidth">Beams kept per round; positive.</param>
    /// <param name="expansions">Continuations sampled per beam per round; positive.</param>
    /// <param name="maxDepth">Most steps; positive.</param>
    /// <param name="aggregation">How a process verifier's step scores rank partial solutions.</param>
    public StepBeamSearch(int beamWidth = 4, int expansions = 4, int maxDepth = 40, StepAggregation aggregation = StepAggregation.Last)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(beamWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expansions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        if (!Enum.IsDefined(aggregation)) throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown step aggregation.");
        BeamWidth = beamWidth;
        Expansions = expansions;
        MaxDepth = maxDepth;
        Aggregation = aggregation;
    }

    /// <summary>Beams kept per round.</summary>
    public int BeamWidth { get; }

    /// <summary>Continuations per beam per round.</summary>
    public int Expansions { get; }

    /// <summary>Most steps.</summary>
    public int MaxDepth { get; }

    /// <summary>Step-score aggregation for ranking.</summary>
    public StepAggregation Aggregation { get; }

    /// <inheritdoc />
    public string Name => "beam-search";

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var verifier = ProcessScoreAggregator.Wrap(run.RequireVerifier("a process reward model to rank partial solutions"), Aggregation);
            run.RequireStepDelimiter();
            int maxNew = run.Sampling.MaxNewTokens;
            var beams = new List<PartialSolution> { PartialSolution.Root };
            var pool = new List<PartialSolution>();
            bool cut = false;
            for (int depth = 0; depth < MaxDepth && beams.Count > 0; depth++)
            {
                int perBeam = depth == 0 ? BeamWidth * Expansions : Expansions;
                // The token budget is drawn on exactly by each round's rows; once it is spent the search stops.
                if (run.TokensLeft == 0) { cut = true; break; }
                int affordable = run.SamplesLeft;
                if (affordable < beams.Count * perBeam)
                {
                    cut = true;
                    // Beams are ranked best first: drop from the tail, then thin the last beam's expansions.
                    int keep = affordable / perBeam >= 1 ? affordable / perBeam : affordable >= 1 ? 1 : 0;
                    foreach (var dropped in beams.Skip(keep))
                        StepExpansion.TracePruned(run, dropped, $"Depth {depth + 1}: dropped before expansion; the sample budget had room for {affordable} more completion(s).");
                    if (keep == 0) break;
                    if (affordable / perBeam < 1) perBeam = affordable;
                    beams = beams.Take(keep).ToList();
                }
                var children = await StepExpansion.ExpandAsync(run, verifier, beams, perBeam, maxNew).ConfigureAwait(false);
                if (children.Count == 0) { run.Trace.Add("empty", "The sampler returned no continuation."); break; }
                var done = children.Select(c => c.Child).Where(c => c.Finished).ToList();
                pool.AddRange(done);
                run.ChargeSamples(done.Count);
                // Stable sort keeps earlier children first among equal scores; distinct text keeps beams diverse.
                var ranked = children.Select(c => c.Child).Where(c => !c.Finished)
                    .DistinctBy(c => c.Text, StringComparer.Ordinal)
                    .OrderByDescending(c => c.Value)
                    .ToList();
                beams = ranked.Take(BeamWidth).ToList();
                foreach (var dropped in ranked.Skip(BeamWidth))
                    StepExpansion.TracePruned(run, dropped, FormattableString.Invariant(
                        $"Depth {depth + 1}: score {dropped.Value:0.000} ranked below the {BeamWidth} beam(s) kept (lowest kept {beams[^1].Value:0.000})."));
                run.Trace.Add("round", $"Depth {depth + 1}: {children.Count} children, {done.Count} finished, {beams.Count} beams kept.",
                    StepExpansion.RoundFigures(depth + 1, children.Count, beams));
            }
            foreach (var p in pool.Concat(beams)) StepExpansion.AddCandidate(run, p);
            var chosen = Selection.Best(run.Candidates.Take(pool.Count), Selection.ScoreOf) ?? Selection.Best(run.Candidates, Selection.ScoreOf);
            return run.Result(run.OutcomeFor(cut), chosen);
        });
}
