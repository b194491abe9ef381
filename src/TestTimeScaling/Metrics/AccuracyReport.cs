namespace TestTimeScaling;

/// <summary>
/// A benchmark's accuracy at k samples per problem: pass@k (coverage), maj@k and, when samples are scored,
/// weighted maj@k, each with a bootstrap confidence interval over problems.
/// </summary>
/// <param name="K">Samples per vote or attempt.</param>
/// <param name="Problems">Problems evaluated.</param>
/// <param name="Coverage">Mean unbiased pass@k ("Large Language Monkeys" coverage).</param>
/// <param name="MajorityAccuracy">Mean maj@k.</param>
/// <param name="WeightedAccuracy">Mean weighted maj@k, or null when some problem has no scores.</param>
public sealed record AccuracyReport(int K, int Problems, ConfidenceInterval Coverage, ConfidenceInterval MajorityAccuracy, ConfidenceInterval? WeightedAccuracy)
{
    /// <summary>Evaluates sampled answers at k.</summary>
    /// <param name="problems">Each problem's samples; every one must hold at least k.</param>
    /// <param name="k">Samples per vote or attempt; at least 1.</param>
    /// <param name="confidence">Nominal coverage of the intervals, in (0, 1).</param>
    /// <param name="resamples">Bootstrap resamples per interval.</param>
    /// <param name="trials">Monte Carlo draws per problem for maj@k and weighted maj@k.</param>
    /// <param name="seed">Seed for the draws and the bootstrap.</param>
    /// <exception cref="ArgumentException"><paramref name="problems"/> is empty or a problem is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> exceeds a problem's samples, or another argument is out of range.</exception>
    public static AccuracyReport Compute(IEnumerable<ProblemSamples> problems, int k, double confidence = 0.95, int resamples = 2000,
        int trials = MajorityAtK.DefaultTrials, int seed = 0)
    {
        var list = SampleValidation.Problems(problems, needScores: false);
        var pass = list.Select(p => PassAtK.Estimate(p.Answers.Count, p.CorrectCount, k)).ToArray();
        var majority = MajorityAtK.PerProblem(list, k, trials, seed);
        ConfidenceInterval? weighted = list.All(p => p.Scores is not null)
            ? BootstrapInterval.Compute(WeightedAtK.PerProblem(list, k, trials, seed), confidence, resamples, seed)
            : null;
        return new AccuracyReport(k, list.Count,
            BootstrapInterval.Compute(pass, confidence, resamples, seed),
            BootstrapInterval.Compute(majority, confidence, resamples, seed),
            weighted);
    }
}
