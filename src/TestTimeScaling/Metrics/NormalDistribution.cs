namespace TestTimeScaling;

/// <summary>Standard normal tail probabilities and quantiles, for Wilson intervals (the BCL has no erf).</summary>
internal static class NormalDistribution
{
    private const double SqrtPi = 1.7724538509055160273;

    /// <summary>P(Z &gt; z) for a standard normal Z.</summary>
    public static double UpperTail(double z) => z >= 0 ? 0.5 * Erfc(z / Math.Sqrt(2)) : 1.0 - 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>The z with P(Z &gt; z) = <paramref name="tail"/>, for tail in (0, 0.5].</summary>
    public static double UpperQuantile(double tail)
    {
        // Bisection on a monotone function: slower than a rational approximation but needs no tabled
        // coefficients, and 200 halvings of [0, 40] reach the resolution of a double.
        double lo = 0, hi = 40;
        for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (UpperTail(mid) > tail) lo = mid;
            else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>erfc(x) for x ≥ 0.</summary>
    private static double Erfc(double x)
    {
        if (x < 2.5)
        {
            // erf(x) = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)): every term is positive, so no cancellation;
            // 1 − erf loses little here because erfc(2.5) ≈ 4e-4.
            double term = x, sum = x, x2 = x * x;
            for (int n = 1; n < 200 && term > 1e-17 * sum; n++)
            {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
            }
            return 1.0 - 2.0 / SqrtPi * Math.Exp(-x2) * sum;
        }
        // Continued fraction erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from
        // the tail; it converges fast for x ≥ 2.5 and keeps relative accuracy deep in the tail.
        double t = x;
        for (int n = 120; n >= 1; n--) t = x + n / 2.0 / t;
        return Math.Exp(-x * x) / (SqrtPi * t);
    }
}
