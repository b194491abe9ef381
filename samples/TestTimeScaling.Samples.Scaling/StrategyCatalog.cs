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
/// <param name="PerfectVerifier">
/// When set, the strategy verifies with the task's exact step checker (<c>ArithmeticStepVerifier</c>) instead of the
/// learned PRM: the reference that shows what a verifier that never errs would give.
/// </param>
/// <param name="Allocator">
/// When set, the row is not solved problem by problem: its cell at N runs this <see cref="ComputeOptimalAllocator"/> over
/// all the study's problems at once, with a total token budget equal to what <paramref name="MatchTokensOf"/> at N
/// generated over all of them (<see cref="ScalingRunner"/>); <paramref name="Build"/> is then never called.
/// </param>
public sealed record StrategySpec(string Name, string Description, bool NeedsVerifier, Func<ScalingBuilder, int, ScalingPipeline> Build,
    int? FixedBudget = null, string? MatchTokensOf = null, int? MaxNewTokens = null, bool PerfectVerifier = false,
    Func<ComputeOptimalAllocator>? Allocator = null)
{
    /// <summary>Whether a cell of this row allocates one total budget across all problems instead of solving each alone.</summary>
    public bool AllocatesAcrossProblems => Allocator is not null;

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
        LearnedVerifierSpec("best-of-n"),
        LearnedVerifierSpec("weighted-best-of-n"),
        // Snell et al.'s compute-optimal allocation: one total budget over all problems, exactly majority@N's tokens.
        AllocatorSpec("allocator", "compute-optimal allocator (marginal gain): pilots, then more votes where they pay, within majority@N's total tokens", verifier: false),
        AllocatorSpec("allocator-weighted", "the allocator with the learned PRM: weighted pilots and votes, within majority@N's total tokens", verifier: true),
        new("first-finish", "First Finish Search: launch N, keep the first to finish, abandon the rest", false,
            (b, n) => b.FirstFinish(n)),
        // N rows per round: N/4 beams x 4 expansions (1 x N below 4), budget N completed solutions.
        LearnedVerifierSpec("beam-search"),
        // N rows per round too: N/4 independent subtrees, each growing its best child of 4.
        LearnedVerifierSpec("dvts"),
        // Beam search again, now paid in tokens: what best-of-N generated on that problem. Budgets are exact (each round's
        // rows draw on what is left and are cut at its last token), so steps keep the run's per-call cap.
        new("beam-search-tokens", "beam search (N/4 beams x 4) with a token budget equal to best-of-N's generated tokens on the same problem", true,
            (b, n) => b.BeamSearch(beamWidth: Math.Max(1, n / Branching), expansions: Math.Min(n, Branching)),
            MatchTokensOf: "best-of-n"),
        LearnedVerifierSpec("particle-filtering"),
        .. PerfectVerifierTwins(),
        // The newer strategies (docs/strategies-science.md); not in the default study, name them to run them.
        new("deepconf", "DeepConf offline: confidence-weighted vote over the most confident half of N traces", false,
            (b, n) => b.DeepConf(n, DeepConfMode.Offline, keepPercent: 50)),
        new("deepconf-online", "DeepConf online: N/2 warm-up traces set a confidence threshold; later traces stop below it (eta 10%)", false,
            (b, n) => b.DeepConf(n, DeepConfMode.Online, keepPercent: 10, warmup: Math.Max(1, n / 2))),
        new("qalign", "QAlign: one MCMC chain of 2N-1 proposals under the PRM (keep a prefix, resample the rest), vote after burn-in", true,
            (b, n) => b.QAlign(iterations: Math.Max(1, 2 * n - 1), burnIn: Math.Min(3, n - 1))),
        new("qalign" + PerfectSuffix, "QAlign under the perfect step verifier (perfect step verifier)", true,
            (b, n) => b.QAlign(iterations: Math.Max(1, 2 * n - 1), burnIn: Math.Min(3, n - 1)), PerfectVerifier: true),
        new("mcts", "Monte Carlo tree search over steps under the PRM: 2N simulations, 2 children per expansion", true,
            (b, n) => b.Mcts(simulations: 2 * n, expansions: 2)),
        new("mcts" + PerfectSuffix, "Monte Carlo tree search under the perfect step verifier (perfect step verifier)", true,
            (b, n) => b.Mcts(simulations: 2 * n, expansions: 2), PerfectVerifier: true),
    ];

    /// <summary>The newer strategies, run only when named.</summary>
    private static readonly string[] NotByDefault = ["beam-search-tokens", "allocator-weighted", "deepconf", "deepconf-online", "qalign", "qalign" + PerfectSuffix, "mcts", "mcts" + PerfectSuffix];

    /// <summary>Suffix of a verifier-based strategy run under the perfect step verifier instead of the learned PRM.</summary>
    public const string PerfectSuffix = "-perfect";

    /// <summary>
    /// Every verifier-based strategy again under the task's exact step checker ("Inference Scaling fLaws": an imperfect
    /// verifier caps what repeated sampling and search can reach; the gap between the twins is what the learned PRM costs).
    /// </summary>
    private static IEnumerable<StrategySpec> PerfectVerifierTwins()
    {
        string[] twins = ["best-of-n", "weighted-best-of-n", "beam-search", "dvts", "particle-filtering"];
        return twins.Select(name => LearnedVerifierSpec(name) with
        {
            Name = name + PerfectSuffix,
            Description = $"{name} with the task's exact step checker in place of the PRM",
            PerfectVerifier = true,
        });
    }

    /// <summary>
    /// A row of <see cref="ComputeOptimalAllocator"/> (its default marginal-gain policy) token-matched to majority vote:
    /// its cell at N may spend, over all problems together, what majority@N generated over them, and no more.
    /// </summary>
    private static StrategySpec AllocatorSpec(string name, string description, bool verifier) =>
        new(name, description, verifier,
            (_, _) => throw new InvalidOperationException($"'{name}' allocates across all problems; ScalingRunner runs it as a whole cell, not one problem at a time."),
            MatchTokensOf: "majority", Allocator: () => new ComputeOptimalAllocator());

    /// <summary>A strategy that verifies with the learned PRM (and, as a twin, with the perfect step verifier).</summary>
    private static StrategySpec LearnedVerifierSpec(string name) => name switch
    {
        "best-of-n" => new(name, "best-of-N: the sample the PRM scores highest (last-step score)", true, (b, n) => b.BestOfN(n)),
        "weighted-best-of-n" => new(name, "weighted best-of-N: the answer whose samples' PRM scores sum highest", true, (b, n) => b.WeightedBestOfN(n)),
        "beam-search" => new(name, "step-level beam search under the PRM: N/4 beams x 4 expansions per step (N rows a round)", true,
            (b, n) => b.BeamSearch(beamWidth: Math.Max(1, n / Branching), expansions: Math.Min(n, Branching))),
        "dvts" => new(name, "diverse verifier tree search: N/4 subtrees x 4 children per step (N rows a round)", true,
            (b, n) => b.Dvts(subtrees: Math.Max(1, n / Branching), width: Math.Min(n, Branching))),
        _ => new(name, "particle filtering: N particles, one step each per round, resampled by PRM weight", true,
            (b, n) => b.ParticleFiltering(particles: n)),
    };

    /// <summary>
    /// The strategies run when none are named: all but beam-search-tokens (it costs as much as beam search and, on the
    /// embedded models, matches it from N = 8 on, as beam search spends less than best-of-N's tokens there) and the
    /// newer DeepConf, QAlign and MCTS rows, which docs/scaling-results.md runs as a second study; name them to run them.
    /// The allocator is in (the main job shows it against the fixed strategies at equal tokens); allocator-weighted is
    /// not: it costs as much wall time as the allocator, and with the default difficulty from agreement alone it makes
    /// the same allocation and, on 30 and 90 held-out problems, gave the same answers (docs/samples.md).
    /// </summary>
    public static IReadOnlyList<string> DefaultNames { get; } = All.Where(s => !NotByDefault.Contains(s.Name)).Select(s => s.Name).ToList();

    /// <summary>The strategy of that name (case-insensitive), or null.</summary>
    public static StrategySpec? Find(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
