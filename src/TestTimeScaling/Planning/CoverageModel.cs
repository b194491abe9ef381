
namespace TestTimeScaling;

/// <summary>
/// The parallel-scaling model of the Test-Time Scaling Performance Model (Wang et al., "Scaling over Scaling:
/// Exploring Test-Time Scaling Plateau in Large Reasoning Models", 2025): if each of N independent samples
/// succeeds with probability p, at least one succeeds with probability F(N) = 1 − (1 − p)^N (coverage, as in
/// Brown et al., "Large Language Monkeys", 2024). F rises ever more slowly, so past some N more samples are waste.
/// </summary>
public static class CoverageModel
{
    /// <summary>F(N) = 1 − (1 − p)^N: the chance that at least one of <paramref name="samples"/> samples succeeds.</summary>
    /// <param name="successRate">Per-sample success probability p, in [0, 1].</param>
    /// <param name="samples">N ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static double Coverage(double successRate, int samples)
    {
        Check(successRate, samples);
        if (samples == 0) return 0.0;
        if (successRate == 1.0) return 1.0;
        // −expm1(N·log1p(−p)) keeps precision when p is tiny, where 1 − (1 − p)^N cancels.
        return -StableMath.ExpM1(samples * StableMath.Log1P(-successRate));
    }

    /// <summary>F(N + 1) − F(N) = p(1 − p)^N: what one more sample adds to the success probability after N.</summary>
    /// <param name="successRate">Per-sample success probability p, in [0, 1].</param>
    /// <param name="samples">N ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static double MarginalGain(double successRate, int samples)
    {
        Check(successRate, samples);
        if (samples == 0) return successRate;
        if (successRate == 0.0 || successRate == 1.0) return 0.0;
        return successRate * Math.Exp(samples * StableMath.Log1P(-successRate));
    }

    /// <summary>
    /// The saturation point: the smallest N ≥ 1 at which one more sample adds at most ε,
    /// i.e. p(1 − p)^N ≤ ε, which is N = max(1, ⌈ln(ε/p) / ln(1 − p)⌉).
    /// </summary>
    /// <param name="successRate">Per-sample success probability p, in [0, 1]. At p = 1 one sample is enough; at p = 0 no
    /// sample ever helps, so the answer is also 1 (pass a <see cref="PilotRun"/> to a <see cref="SaturationPlanner"/>
    /// to smooth a pilot that saw no success).</param>
    /// <param name="epsilon">Threshold on the marginal gain per sample; positive.</param>
    /// <returns>N, saturating at <see cref="int.MaxValue"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static int SaturationPoint(double successRate, double epsilon)
    {
        CheckRate(successRate);
        if (!double.IsFinite(epsilon) || epsilon <= 0)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive and finite.");
        if (MarginalGain(successRate, 1) <= epsilon) return 1;

        double exact = Math.Log(epsilon / successRate) / StableMath.Log1P(-successRate);
        if (exact >= int.MaxValue - 1) return int.MaxValue;
        int n = Math.Max(1, (int)Math.Ceiling(exact));
        // The closed form can land one off when it sits on an integer; settle it against the definition.
        while (n > 1 && MarginalGain(successRate, n - 1) <= epsilon) n--;
        while (n < int.MaxValue && MarginalGain(successRate, n) > epsilon) n++;
        return n;
    }

    private static void Check(double successRate, int samples)
    {
        CheckRate(successRate);
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
    }

    private static void CheckRate(double successRate)
    {
        if (double.IsNaN(successRate) || successRate < 0 || successRate > 1)
            throw new ArgumentOutOfRangeException(nameof(successRate), successRate, "successRate must be in [0, 1].");
    }
}
