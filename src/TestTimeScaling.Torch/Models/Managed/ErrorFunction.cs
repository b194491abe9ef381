namespace TestTimeScaling.Torch;

/// <summary>
/// erf(x) in double precision, which .NET's Math lacks, for the exact ("gelu") activation in managed code: the Taylor
/// series below |x| = 2.5 (about 40 terms; the largest cancels only 3 of 16 digits), the continued fraction of erfc
/// above it (modified Lentz), and ±1 past 6, where 1 - erf is below double's resolution.
/// </summary>
internal static class ErrorFunction
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double OneOverSqrtPi = 0.5641895835477563;

    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        if (double.IsNaN(x)) return x;
        if (a < 2.5) return Math.CopySign(Series(a), x);
        if (a > 6) return Math.CopySign(1.0, x);
        return Math.CopySign(1.0 - Complement(a), x);
    }

    // erf(a) = 2/sqrt(pi) · Σ (-1)^n a^(2n+1) / (n! (2n+1)).
    private static double Series(double a)
    {
        double square = a * a, term = a, sum = a;
        for (int n = 1; n < 100; n++)
        {
            term *= -square / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.Abs(add) <= 1e-17 * Math.Abs(sum)) break;
        }
        return TwoOverSqrtPi * sum;
    }

    // erfc(a) = exp(-a²)/sqrt(pi) · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), for a >= 2.5.
    private static double Complement(double a)
    {
        const double tiny = 1e-300;
        double f = a, c = a, d = 0;
        for (int n = 1; n < 200; n++)
        {
            double an = n / 2.0;
            d = a + an * d;
            d = Math.Abs(d) < tiny ? 1 / tiny : 1 / d;
            c = a + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-a * a) * OneOverSqrtPi / f;
    }
}
