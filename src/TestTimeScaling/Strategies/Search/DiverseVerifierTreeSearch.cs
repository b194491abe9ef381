
namespace TestTimeScaling;

/// <summary>
/// Diverse Verifier Tree Search (DVTS): split the budget into independent subtrees, each searched greedily
/// under the verifier, and return the best leaf.
/// </summary>
/// <remarks>
/// <para>Beeching, Tunstall and Rush, "Scaling test-time compute with open models" (Hugging Face, 2024), an
/// extension of the beam search of Snell et al. (2024); evaluated in Liu et al., "Can 1B LLM Surpass 405B LLM?" (2025).
/// Beam search at large N collapses onto a few high-scoring prefixes; independent subtrees keep the
/// solutions diverse, which helps most when the budget is large.</para>
/// <para>There are <see cref="Subtrees"/> subtrees (default: MaxSamples / <see cref="Width"/>, at least 1, or 4 without
/// a sample budget). Each round, every unfinished subtree's single live node is continued <see cref="Width"/> times
/// (all subtrees in one batched call) and the highest-scored child becomes its new live node; a finished best
/// child is that subtree's leaf. Ties go to the earlier child. After <see cref="MaxDepth"/> rounds the live nodes
/// are leaves too. The best-scored leaf with an answer wins.</para>
/// <para>Budget: <see cref="Budget.MaxSamples"/> counts completed solutions, one per subtree, so subtrees are capped by
/// it and charged up front. The token budget is exact: each round's rows draw on what is left of it, strongest
/// subtrees first, so where it runs out the weakest subtrees' children are cut; the search then stops with
/// <see cref="SearchOutcome.BudgetExhausted"/>.</para>
/// </remarks>
public sealed class DiverseVerifierTreeSearch : ISearchStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="width">Children sampled per live node per round; positive.</param>
    /// <param name="subtrees">Independent subtrees; positive, or null to derive from the budget.</param>
    /// <param name="maxDepth">Most steps; positive.</param>
    /// <param name="aggregation">How a process verifier's step scores rank partial solutions.</param>
    public DiverseVerifierTreeSearch(int width = 4, int? subtrees = null, int maxDepth = 40, StepAggregation aggregation = StepAggregation.Last)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (subtrees is <= 0) throw new ArgumentOutOfRangeException(nameof(subtrees), subtrees, "Subtrees must be positive when set.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        if (!Enum.IsDefined(aggregation)) throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown step aggregation.");
        Width = width;
        Subtrees = subtrees;
        MaxDepth = maxDepth;
        Aggregation = aggregation;
    }

    /// <summary>Children per live node per round.</summary>
    public int Width { get; }

    /// <summary>Independent subtrees, or null to derive from the budget.</summary>
    public int? Subtrees { get; }

    /// <summary>Most steps.</summary>
    public int MaxDepth { get; }

    /// <summary>Step-score aggregation for ranking.</summary>
    public StepAggregation Aggregation { get; }

    /// <inheritdoc />
    public string Name => "dvts";

    /// <inheritdoc />
    public Task<SearchResult> SolveAsync(Problem problem, SearchContext context, CancellationToken cancellationToken = default) =>
        SearchRun.ExecuteAsync(Name, problem, context, cancellationToken, async run =>
        {
            var verifier = ProcessScoreAggregator.Wrap(run.RequireVerifier("a process reward model to pick each subtree's next step"), Aggregation);
            run.RequireStepDelimiter();
            int maxNew = run.Sampling.MaxNewTokens;
            int wanted = Subtrees ?? (context.Budget.MaxSamples is { } m ? Math.Max(1, m / Width) : 4);
            int count = Math.Min(wanted, run.SamplesLeft);
            bool cut = count < wanted;
            run.ChargeSamples(count);
            var nodes = Enumerable.Repeat(PartialSolution.Root, count).ToArray();
            for (int depth = 0; depth < MaxDepth; depth++)
            {
                // Live subtrees, strongest first, so a short token budget drops the weakest.
                var live = Enumerable.Range(0, count).Where(i => !nodes[i].Finished).OrderByDescending(i => nodes[i].Value).ToList();
                if (live.Count == 0) break;
                // The token budget is drawn on exactly by each round's rows; once it is spent the subtrees stop where they are.
                if (run.TokensLeft == 0) { cut = true; break; }
                var children = await StepExpansion.ExpandAsync(run, verifier, live.Select(i => nodes[i]).ToList(), Width, maxNew).ConfigureAwait(false);
                if (children.Count == 0) { run.Trace.Add("empty", "The sampler returned no continuation."); break; }
                foreach (var group in children.GroupBy(c => c.Parent))
                {
                    // MaxBy keeps the first of equal scores.
                    var best = group.Select(c => c.Child).MaxBy(c => c.Value)!;
                    nodes[live[group.Key]] = best;
                    foreach (var sibling in group.Select(c => c.Child).Where(c => !ReferenceEquals(c, best) && c.Text != best.Text).DistinctBy(c => c.Text, StringComparer.Ordinal))
                        StepExpansion.TracePruned(run, sibling, FormattableString.Invariant(
                            $"Depth {depth + 1}, subtree {live[group.Key] + 1}: score {sibling.Value:0.000} lost to its sibling's {best.Value:0.000}."));
                }
                run.Trace.Add("round", $"Depth {depth + 1}: {live.Count} subtree(s) grown, {nodes.Count(n => n.Finished)} finished.",
                    StepExpansion.RoundFigures(depth + 1, children.Count, nodes));
            }
            foreach (var node in nodes.Where(n => n.Depth > 0)) StepExpansion.AddCandidate(run, node);
            var chosen = Selection.Best(run.Candidates, Selection.ScoreOf);
            return run.Result(run.OutcomeFor(cut), chosen);
        });
}
