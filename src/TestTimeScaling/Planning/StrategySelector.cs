namespace TestTimeScaling;

/// <summary>
/// Compute-optimal strategy choice by difficulty (Snell et al., "Scaling LLM Test-Time Compute Optimally can be
/// More Effective than Scaling Model Parameters", 2024): estimate a problem's difficulty from a pilot, then take the
/// strategy configured for that level and a sample budget from the saturation planner.
/// </summary>
/// <typeparam name="TStrategy">
/// What the table holds, so planning never depends on concrete strategies: names (see <see cref="DefaultStrategyTable"/>),
/// <see cref="ISearchStrategy"/> instances, or factories.
/// </typeparam>
public sealed class StrategySelector<TStrategy>
{
    private readonly TStrategy[] _byLevel;

    /// <summary>Creates a selector.</summary>
    /// <param name="strategiesByLevel">Entry i is used at level i + 1; one entry per level of <paramref name="estimator"/>.</param>
    /// <param name="estimator">Difficulty binning; <see cref="DifficultyEstimator.Default"/> when null.</param>
    /// <param name="planner">Sample budget; a default <see cref="SaturationPlanner"/> when null.</param>
    /// <exception cref="ArgumentException">The table's length differs from the number of levels.</exception>
    public StrategySelector(IReadOnlyList<TStrategy> strategiesByLevel, DifficultyEstimator? estimator = null, SaturationPlanner? planner = null)
    {
        ArgumentNullException.ThrowIfNull(strategiesByLevel);
        Estimator = estimator ?? DifficultyEstimator.Default;
        Planner = planner ?? new SaturationPlanner();
        if (strategiesByLevel.Count != Estimator.Levels)
            throw new ArgumentException($"strategiesByLevel has {strategiesByLevel.Count} entries but the estimator has {Estimator.Levels} levels.", nameof(strategiesByLevel));
        _byLevel = strategiesByLevel.ToArray();
    }

    /// <summary>The difficulty binning.</summary>
    public DifficultyEstimator Estimator { get; }

    /// <summary>The budget planner.</summary>
    public SaturationPlanner Planner { get; }

    /// <summary>The table, entry i for level i + 1.</summary>
    public IReadOnlyList<TStrategy> StrategiesByLevel => _byLevel;

    /// <summary>Chooses for a problem whose pilot is given; uses <see cref="PilotRun.EstimatedSuccessRate"/>.</summary>
    /// <param name="pilot">The pilot's result.</param>
    public StrategyChoice<TStrategy> Select(PilotRun pilot)
    {
        ArgumentNullException.ThrowIfNull(pilot);
        return Select(pilot.EstimatedSuccessRate);
    }

    /// <summary>Chooses for a problem with an estimated per-sample success rate.</summary>
    /// <param name="successRate">Estimated success rate, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="successRate"/> is outside [0, 1].</exception>
    public StrategyChoice<TStrategy> Select(double successRate)
    {
        int level = Estimator.Level(successRate);
        return new StrategyChoice<TStrategy>(level, _byLevel[level - 1], Planner.Plan(successRate));
    }
}
