namespace TestTimeScaling;

/// <summary>
/// log(1 + x) and exp(x) − 1 without cancellation. The BCL's generic <c>double.LogP1</c> and
/// <c>double.ExpM1</c> compute <c>Log(1 + x)</c> and <c>Exp(x) − 1</c> literally, which loses every
/// digit of a tiny x; pass@k with large n multiplies many factors just below 1, so it needs these.
/// </summary>
internal static class StableMath
{
    /// <summary>log(1 + x) for x ≥ −1, accurate to a few ulps for small |x| (Goldberg, "What every computer
    /// scientist should know about floating-point arithmetic", 1991, Theorem 4).</summary>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        // log(u) / (u − 1) is smooth in u, so evaluating it at the rounded u and multiplying by the
        // exact x cancels the rounding error of 1 + x.
        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>exp(x) − 1, accurate for small |x| (Kahan's formulation).</summary>
    public static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        // Same idea as Log1P: (u − 1) / log(u) corrects the rounding of exp(x).
        return um1 * x / Math.Log(u);
    }

    /// <summary>Natural log of the binomial coefficient C(n, k), by summing logs (exact enough for n up to millions).</summary>
    public static double LogBinomial(int n, int k)
    {
        if (k < 0 || k > n) return double.NegativeInfinity;
        k = Math.Min(k, n - k);
        double sum = 0;
        for (int i = 1; i <= k; i++) sum += Math.Log((double)(n - k + i) / i);
        return sum;
    }
}
