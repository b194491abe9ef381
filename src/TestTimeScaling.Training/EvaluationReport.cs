namespace TestTimeScaling.Training;

/// <summary>Quality of the policy (and, when scored, the reward model) on a problem set.</summary>
/// <param name="Problems">Problems evaluated.</param>
/// <param name="SamplesPerProblem">Samples drawn per problem.</param>
/// <param name="Temperature">Sampling temperature.</param>
/// <param name="Levels">Figures per difficulty level, then overall (Level 0).</param>
/// <param name="StepAuroc">AUROC of the reward model's step scores against the step labels, when a reward model was given.</param>
public sealed record EvaluationReport(int Problems, int SamplesPerProblem, double Temperature, IReadOnlyList<LevelFigures> Levels, double? StepAuroc)
{
    /// <summary>The overall row.</summary>
    public LevelFigures Overall => Levels.Single(l => l.Level == 0);

    /// <summary>
    /// Accuracy against the number of samples N (powers of two up to <see cref="SamplesPerProblem"/>), each N averaged
    /// over the disjoint groups of N samples of every problem; null when no reward model was given.
    /// </summary>
    public IReadOnlyList<ScalingPoint>? Curve { get; init; }

    /// <summary>
    /// PRM-weighted vote minus majority vote over all samples, paired by problem, with its 95% interval; null when no
    /// reward model was given.
    /// </summary>
    public PairedDifference? WeightedMinusMajority { get; init; }

    /// <summary>
    /// The problems best-of-all-samples got wrong although a sample was right, by where the chosen solution goes wrong
    /// ("answer line", "step +", "step -", "step *", "step /", "no answer", "other step"); null when no reward model was given.
    /// </summary>
    public IReadOnlyDictionary<string, int>? BestOfNMisses { get; init; }
}

/// <summary>Accuracies at one difficulty level (0 = all levels).</summary>
/// <param name="Level">Difficulty level, or 0 for all.</param>
/// <param name="Problems">Problems at this level.</param>
/// <param name="SingleSample">Mean accuracy of one sample.</param>
/// <param name="Majority">Accuracy of the majority vote over all samples.</param>
/// <param name="PassAtN">Share of problems with at least one correct sample.</param>
/// <param name="PrmWeighted">Accuracy of the reward-weighted vote (sum of outcome scores per answer), when scored.</param>
/// <param name="PrmBest">Accuracy of the single highest-scored sample, when scored.</param>
public sealed record LevelFigures(int Level, int Problems, double SingleSample, double Majority, double PassAtN, double? PrmWeighted, double? PrmBest);

/// <summary>Accuracies with N samples per problem, over all problems.</summary>
/// <param name="N">Samples per problem.</param>
/// <param name="Majority">Majority vote.</param>
/// <param name="PrmWeighted">Reward-weighted vote.</param>
/// <param name="PrmBest">Highest-scored sample (among those with an answer).</param>
/// <param name="PrmBestLow">Lower end of the 95% interval of <paramref name="PrmBest"/> (normal approximation over problems).</param>
/// <param name="PrmBestHigh">Upper end of that interval.</param>
public sealed record ScalingPoint(int N, double Majority, double PrmWeighted, double PrmBest, double PrmBestLow, double PrmBestHigh);

/// <summary>A mean difference of two methods on the same problems with its 95% interval (normal approximation).</summary>
/// <param name="Mean">Mean of the per-problem differences.</param>
/// <param name="Low">Lower end of the interval.</param>
/// <param name="High">Upper end of the interval.</param>
/// <param name="Wins">Problems the first method answers right and the second wrong.</param>
/// <param name="Losses">Problems the second method answers right and the first wrong.</param>
public sealed record PairedDifference(double Mean, double Low, double High, int Wins, int Losses)
{
    /// <summary>The mean of <paramref name="differences"/> with mean ± 1.96 standard errors.</summary>
    public static PairedDifference Of(IReadOnlyList<double> differences)
    {
        ArgumentNullException.ThrowIfNull(differences);
        ArgumentOutOfRangeException.ThrowIfZero(differences.Count);
        var (mean, half) = MeanInterval(differences);
        return new(mean, mean - half, mean + half, differences.Count(d => d > 0), differences.Count(d => d < 0));
    }

    /// <summary>The mean of <paramref name="values"/> and the half-width of its 95% interval (1.96 standard errors).</summary>
    internal static (double Mean, double HalfWidth) MeanInterval(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double variance = values.Count > 1 ? values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) : 0;
        return (mean, 1.96 * Math.Sqrt(variance / values.Count));
    }
}
