using System.Numerics.Tensors;

namespace TestTimeScaling;

/// <summary>
/// Percentile bootstrap confidence interval of a benchmark score, resampling problems with replacement
/// (Efron, "Bootstrap methods: another look at the jackknife", 1979). Madaan et al., "Quantifying Variance in
/// Evaluation Benchmarks" (2024), show that seed and problem-sampling variance often exceed the gaps papers
/// report; an interval over problems makes that visible.
/// </summary>
public static class BootstrapInterval
{
    /// <summary>The mean of <paramref name="perProblemValues"/> with a percentile bootstrap interval.</summary>
    /// <param name="perProblemValues">One score per problem (0/1 correctness, pass@k, maj@k, ...); finite, at least one.</param>
    /// <param name="confidence">Nominal coverage, in (0, 1).</param>
    /// <param name="resamples">Bootstrap resamples; at least 2.</param>
    /// <param name="seed">Seed of the resampling: the same inputs and seed give the same interval.</param>
    /// <returns>Mean is the sample mean; Lower and Upper are the (1 ∓ confidence)/2 quantiles of the resampled means
    /// (linear interpolation); StandardError is their standard deviation.</returns>
    /// <exception cref="ArgumentException">No values, or a value is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="confidence"/> or <paramref name="resamples"/> is out of range.</exception>
    public static ConfidenceInterval Compute(IReadOnlyList<double> perProblemValues, double confidence = 0.95, int resamples = 2000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(perProblemValues);
        if (perProblemValues.Count == 0) throw new ArgumentException("At least one value is needed.", nameof(perProblemValues));
        ConfidenceCheck.Validate(confidence);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 2);

        double[] values = perProblemValues.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"perProblemValues[{i}] is {values[i]}; values must be finite.", nameof(perProblemValues));
        }

        int n = values.Length;
        double mean = TensorPrimitives.Sum<double>(values) / n;
        var random = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += values[random.Next(n)];
            means[r] = sum / n;
        }

        // Standard deviation of the bootstrap means: the bootstrap estimate of the standard error.
        double meanOfMeans = TensorPrimitives.Sum<double>(means) / resamples;
        var deviations = new double[resamples];
        TensorPrimitives.Subtract(means, meanOfMeans, deviations);
        double standardError = Math.Sqrt(TensorPrimitives.SumOfSquares<double>(deviations) / (resamples - 1));

        Array.Sort(means);
        double alpha = 1 - confidence;
        double lower = Quantiles.OfSorted(means, alpha / 2);
        double upper = Quantiles.OfSorted(means, 1 - alpha / 2);
        return new ConfidenceInterval(mean, lower, upper, standardError, confidence);
    }
}
