
namespace TestTimeScaling;

/// <summary>
/// Bins problems into difficulty levels by an estimated per-sample success rate, as Snell et al. do to choose a
/// compute-optimal strategy per problem ("Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling
/// Model Parameters", 2024: five levels, from quantiles of pass@1 or of the mean verifier score over samples).
/// </summary>
/// <remarks>
/// Levels run from 1 (easiest: highest success rate) to <see cref="Levels"/> (hardest). With ascending boundaries
/// b₁ ≤ … ≤ b_{L−1}, a rate p is at level L − #{j : bⱼ ≤ p}: at or above the top boundary is level 1, below the
/// lowest is level L.
/// </remarks>
public sealed class DifficultyEstimator
{
    private readonly double[] _boundaries;

    /// <summary>Creates an estimator with fixed cut points.</summary>
    /// <param name="boundaries">Ascending (non-decreasing) success rates in [0, 1] that separate the levels; their count plus one is the number of levels.</param>
    /// <exception cref="ArgumentException">A boundary is outside [0, 1] or they are out of order.</exception>
    public DifficultyEstimator(IReadOnlyList<double> boundaries)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        _boundaries = boundaries.ToArray();
        for (int i = 0; i < _boundaries.Length; i++)
        {
            if (double.IsNaN(_boundaries[i]) || _boundaries[i] < 0 || _boundaries[i] > 1)
                throw new ArgumentException($"boundaries[{i}] is {_boundaries[i]}; boundaries must be in [0, 1].", nameof(boundaries));
            if (i > 0 && _boundaries[i] < _boundaries[i - 1])
                throw new ArgumentException("boundaries must be in ascending order.", nameof(boundaries));
        }
    }

    /// <summary>Five levels of equal width in success rate: ≥ 0.8 is level 1, below 0.2 is level 5.</summary>
    public static DifficultyEstimator Default { get; } = new([0.2, 0.4, 0.6, 0.8]);

    /// <summary>
    /// Levels of equal population over a set of problems: boundaries at the j/L quantiles of their success rates,
    /// Snell et al.'s binning, so each level holds about the same number of problems.
    /// </summary>
    /// <param name="successRates">Estimated success rates of representative problems, each in [0, 1]; at least one.</param>
    /// <param name="levels">Number of levels; at least 1.</param>
    /// <exception cref="ArgumentException"><paramref name="successRates"/> is empty or holds a rate outside [0, 1].</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="levels"/> is below 1.</exception>
    public static DifficultyEstimator FromQuantiles(IEnumerable<double> successRates, int levels = 5)
    {
        ArgumentNullException.ThrowIfNull(successRates);
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 1);
        var sorted = successRates.ToArray();
        if (sorted.Length == 0) throw new ArgumentException("At least one success rate is needed.", nameof(successRates));
        if (sorted.Any(p => double.IsNaN(p) || p < 0 || p > 1))
            throw new ArgumentException("Success rates must be in [0, 1].", nameof(successRates));
        Array.Sort(sorted);
        var boundaries = new double[levels - 1];
        for (int j = 1; j < levels; j++) boundaries[j - 1] = Quantiles.OfSorted(sorted, (double)j / levels);
        return new DifficultyEstimator(boundaries);
    }

    /// <summary>Number of levels.</summary>
    public int Levels => _boundaries.Length + 1;

    /// <summary>The cut points, ascending.</summary>
    public IReadOnlyList<double> Boundaries => _boundaries;

    /// <summary>The level of a success rate: 1 (easiest) to <see cref="Levels"/> (hardest).</summary>
    /// <param name="successRate">Estimated per-sample success rate, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="successRate"/> is outside [0, 1].</exception>
    public int Level(double successRate)
    {
        if (double.IsNaN(successRate) || successRate < 0 || successRate > 1)
            throw new ArgumentOutOfRangeException(nameof(successRate), successRate, "successRate must be in [0, 1].");
        int passed = 0;
        while (passed < _boundaries.Length && _boundaries[passed] <= successRate) passed++;
        return Levels - passed;
    }

    /// <summary>The level of a pilot, from its <see cref="PilotRun.EstimatedSuccessRate"/>.</summary>
    /// <param name="pilot">The pilot's result.</param>
    public int Level(PilotRun pilot)
    {
        ArgumentNullException.ThrowIfNull(pilot);
        return Level(pilot.EstimatedSuccessRate);
    }
}
