namespace TestTimeScaling;

/// <summary>
/// The Wilson score interval for a binomial proportion (Wilson, "Probable inference, the law of succession, and
/// statistical inference", JASA 1927): unlike the normal approximation it stays inside [0, 1] and keeps its
/// coverage near 0 and 1, where accuracy on easy or hard benchmarks lives.
/// </summary>
public static class WilsonInterval
{
    /// <summary>The interval for <paramref name="successes"/> out of <paramref name="trials"/>.</summary>
    /// <param name="successes">Successes; 0 ≤ successes ≤ trials.</param>
    /// <param name="trials">Trials; at least 1.</param>
    /// <param name="confidence">Nominal coverage, in (0, 1).</param>
    /// <returns>Mean is the observed proportion; StandardError is √(p(1−p)/n); the bounds are Wilson's.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range (the exception names it).</exception>
    public static ConfidenceInterval Compute(int successes, int trials, double confidence = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, trials);
        ConfidenceCheck.Validate(confidence);

        double n = trials;
        double p = successes / n;
        double z = NormalDistribution.UpperQuantile((1 - confidence) / 2);
        double z2 = z * z;
        double denominator = 1 + z2 / n;
        double center = (p + z2 / (2 * n)) / denominator;
        double half = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return new ConfidenceInterval(p, Math.Max(0, center - half), Math.Min(1, center + half), Math.Sqrt(p * (1 - p) / n), confidence);
    }
}
