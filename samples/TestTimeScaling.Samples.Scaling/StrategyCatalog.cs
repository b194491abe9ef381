namespace TestTimeScaling.Samples.Scaling;

/// <summary>One strategy of the study: how a budget becomes a pipeline from the fluent builder.</summary>
/// <param name="Name">The name used on the command line and in the outputs.</param>
/// <param name="Description">What it does and what its budget counts, for the help and the docs.</param>
/// <param name="NeedsVerifier">Whether it needs the process reward model.</param>
/// <param name="Build">Makes the pipeline for a budget from a builder that already has sampler, verifier, extractor and sampling set.</param>
/// <param name="FixedBudget">When set, the only budget the strategy runs at (the single-sample baseline).</param>
/// <param name="MatchTokensOf">
/// When set, the strategy runs under a generated-token budget equal to what this other strategy generated on the same
/// problem at the same N (which must run first), instead of a sample budget.
/// </param>
/// <param name="MaxNewTokens">When set, the per-call token cap of this strategy instead of the run's.</param>
public sealed record StrategySpec(string Name, string Description, bool NeedsVerifier, Func<ScalingBuilder, int, ScalingPipeline> Build,
    int? FixedBudget = null, string? MatchTokensOf = null, int? MaxNewTokens = null)
{
    /// <summary>Whether the strategy runs at <paramref name="budget"/>.</summary>
    public bool Supports(int budget) => FixedBudget is not { } b || b == budget;
}

/// <summary>The strategies the study knows, with budgets defined so that every one generates about N solutions' worth of tokens at budget N.</summary>
public static class StrategyCatalog
{
    /// <summary>Expansions per beam (and children per DVTS node) once the budget allows it, as in Snell et al.'s beam width M = 4.</summary>
    public const int Branching = 4;

    /// <summary>Every strategy, in display order.</summary>
    public static IReadOnlyList<StrategySpec> All { get; } =
    [
        new("single", "one sample (the baseline; runs at budget 1 only)", false,
            (b, _) => b.SelfConsistency(1), FixedBudget: 1),
        new("majority", "self-consistency: majority vote over N samples", false,
            (b, n) => b.SelfConsistency(n)),
        new("best-of-n", "best-of-N: the sample the PRM scores highest (last-step score)", true,
            (b, n) => b.BestOfN(n)),
        new("weighted-best-of-n", "weighted best-of-N: the answer whose samples' PRM scores sum highest", true,
            (b, n) => b.WeightedBestOfN(n)),
        new("first-finish", "First Finish Search: launch N, keep the first to finish, abandon the rest", false,
            (b, n) => b.FirstFinish(n)),
        // N rows per round: N/4 beams x 4 expansions (1 x N below 4), budget N completed solutions.
        new("beam-search", "step-level beam search under the PRM: N/4 beams x 4 expansions per step (N rows a round)", true,
            (b, n) => b.BeamSearch(beamWidth: Math.Max(1, n / Branching), expansions: Math.Min(n, Branching))),
        // N rows per round too: N/4 independent subtrees, each growing its best child of 4.
        new("dvts", "diverse verifier tree search: N/4 subtrees x 4 children per step (N rows a round)", true,
            (b, n) => b.Dvts(subtrees: Math.Max(1, n / Branching), width: Math.Min(n, Branching))),
        // Beam search again, now paid in tokens: what best-of-N generated on that problem. Budgets are exact (each round's
        // rows draw on what is left and are cut at its last token), so steps keep the run's per-call cap.
        new("beam-search-tokens", "beam search (N/4 beams x 4) with a token budget equal to best-of-N's generated tokens on the same problem", true,
            (b, n) => b.BeamSearch(beamWidth: Math.Max(1, n / Branching), expansions: Math.Min(n, Branching)),
            MatchTokensOf: "best-of-n"),
        new("particle-filtering", "particle filtering: N particles, one step each per round, resampled by PRM weight", true,
            (b, n) => b.ParticleFiltering(particles: n)),
    ];

    /// <summary>
    /// The strategies run when none are named: all but beam-search-tokens, which costs as much as beam search and, on the
    /// embedded models, matches it from N = 8 on (beam search spends less than best-of-N's tokens there, so the budget
    /// does not bind); name it to run it.
    /// </summary>
    public static IReadOnlyList<string> DefaultNames { get; } = All.Where(s => s.Name != "beam-search-tokens").Select(s => s.Name).ToList();

    /// <summary>The strategy of that name (case-insensitive), or null.</summary>
    public static StrategySpec? Find(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
