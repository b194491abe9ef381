namespace TestTimeScaling;

/// <summary>
/// Strategy names for a five-level <see cref="StrategySelector{TStrategy}"/>, following Snell et al. ("Scaling LLM
/// Test-Time Compute Optimally", 2024): on easy problems the model's own samples are usually right, so voting
/// among them is enough and search over-optimizes the verifier; on hard problems, beam search under a process
/// reward model finds solutions that independent samples rarely reach.
/// </summary>
/// <remarks>A starting point, not a result: measure on your task and pass your own table.</remarks>
public static class DefaultStrategyTable
{
    /// <summary>Majority vote over extracted answers; needs no verifier.</summary>
    public const string SelfConsistency = "self-consistency";

    /// <summary>Weighted Best-of-N: the answer with the largest sum of verifier scores.</summary>
    public const string WeightedBestOfN = "weighted-best-of-n";

    /// <summary>Step-level beam search under a process reward model.</summary>
    public const string BeamSearch = "beam-search";

    /// <summary>Levels 1–2: self-consistency; level 3: weighted Best-of-N; levels 4–5: beam search.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [SelfConsistency, SelfConsistency, WeightedBestOfN, BeamSearch, BeamSearch];

    /// <summary>A selector over <see cref="Names"/> with the default five-level estimator.</summary>
    /// <param name="planner">Sample budget; a default planner when null.</param>
    public static StrategySelector<string> CreateSelector(SaturationPlanner? planner = null) =>
        new(Names, DifficultyEstimator.Default, planner);
}
