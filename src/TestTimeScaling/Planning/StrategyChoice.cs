namespace TestTimeScaling;

/// <summary>What a <see cref="StrategySelector{TStrategy}"/> picked for a problem.</summary>
/// <typeparam name="TStrategy">What the selector's table holds: a strategy name, an instance or a factory.</typeparam>
/// <param name="Level">Difficulty level, 1 (easiest) to the estimator's level count.</param>
/// <param name="Strategy">The table's entry for that level.</param>
/// <param name="Plan">The proposed sample budget and its predicted coverage.</param>
public sealed record StrategyChoice<TStrategy>(int Level, TStrategy Strategy, SaturationPlan Plan)
{
    /// <summary>The per-sample success rate the choice was made with.</summary>
    public double EstimatedSuccessRate => Plan.SuccessRate;

    /// <summary>Samples (or rollouts) to spend: <see cref="SaturationPlan.Samples"/>.</summary>
    public int Samples => Plan.Samples;
}
