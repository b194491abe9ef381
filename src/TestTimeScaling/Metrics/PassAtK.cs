namespace TestTimeScaling;

/// <summary>
/// The unbiased pass@k estimator: the probability that at least one of k samples, drawn without
/// replacement from n samples of which c are correct, is correct.
/// </summary>
/// <remarks>
/// pass@k = 1 − C(n − c, k) / C(n, k), introduced by Chen et al., "Evaluating Large Language Models
/// Trained on Code" (2021), and used as coverage by Brown et al., "Large Language Monkeys: Scaling
/// Inference Compute with Repeated Sampling" (2024). Estimating it from n ≥ k samples has lower
/// variance than drawing exactly k samples per problem, and it is unbiased (1 − (1 − c/n)^k is not).
/// </remarks>
public static class PassAtK
{
    /// <summary>Unbiased pass@k for one problem.</summary>
    /// <param name="n">Samples drawn for the problem; at least 1.</param>
    /// <param name="c">How many of them are correct; 0 ≤ c ≤ n.</param>
    /// <param name="k">Samples the metric allows; 1 ≤ k ≤ n.</param>
    /// <returns>A probability in [0, 1].</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range (the exception names it).</exception>
    public static double Estimate(int n, int c, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(c, n);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);

        // Fewer wrong samples than k: every k-subset holds a correct one.
        if (n - c < k) return 1.0;
        if (c == 0) return 0.0;

        // C(n−c, k) / C(n, k) = Π_{j<k} (1 − c/(n−j)) = Π_{i=n−c+1..n} (1 − k/i). Both products are exact;
        // take the shorter one. The binomials themselves overflow long before n = 10 000, and summing
        // log1p terms, then expm1, keeps full relative precision even when the answer is tiny.
        double logMiss = 0;
        if (k <= c)
        {
            for (int j = 0; j < k; j++) logMiss += StableMath.Log1P(-(double)c / (n - j));
        }
        else
        {
            for (int i = n - c + 1; i <= n; i++) logMiss += StableMath.Log1P(-(double)k / i);
        }
        return -StableMath.ExpM1(logMiss);
    }

    /// <summary>Mean pass@k over problems (the benchmark's pass@k).</summary>
    /// <param name="problems">Per problem, samples drawn (n) and correct samples (c).</param>
    /// <param name="k">Samples the metric allows; must not exceed any problem's n.</param>
    /// <exception cref="ArgumentException"><paramref name="problems"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is outside its range.</exception>
    public static double Mean(IEnumerable<(int N, int C)> problems, int k)
    {
        ArgumentNullException.ThrowIfNull(problems);
        double sum = 0;
        int count = 0;
        foreach (var (n, c) in problems)
        {
            sum += Estimate(n, c, k);
            count++;
        }
        if (count == 0) throw new ArgumentException("At least one problem is needed.", nameof(problems));
        return sum / count;
    }

    /// <summary>Mean pass@k over problems given their sampled answers.</summary>
    /// <param name="problems">Each problem's answers and reference.</param>
    /// <param name="k">Samples the metric allows; must not exceed any problem's sample count.</param>
    /// <exception cref="ArgumentException"><paramref name="problems"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> exceeds a problem's sample count, or a problem has none.</exception>
    public static double Mean(IEnumerable<ProblemSamples> problems, int k)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return Mean(problems.Select(p => (p.Answers.Count, p.CorrectCount)), k);
    }
}
