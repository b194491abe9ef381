namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Coverage (pass@k: the share of problems where at least one of k samples is right) read off a run, and the power law
/// "Large Language Monkeys" (Brown et al., 2024) fit to it.
/// </summary>
public static class Coverage
{
    /// <summary>Where coverage points came from.</summary>
    /// <param name="Points">(k, coverage in [0, 1]) in increasing k.</param>
    /// <param name="Source">In words, for the plot and the report.</param>
    public sealed record Curve(IReadOnlyList<(int K, double Coverage)> Points, string Source);

    /// <summary>
    /// The unbiased pass@k estimate from n samples of which c are right (Chen et al., 2021): 1 − C(n−c, k) / C(n, k),
    /// computed as a running product so large n does not overflow.
    /// </summary>
    public static double PassAtK(int n, int c, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(c, n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);
        if (n - c < k) return 1;
        double missAll = 1;
        for (int i = n - c + 1; i <= n; i++) missAll *= 1 - (double)k / i;
        return 1 - missAll;
    }

    /// <summary>
    /// Coverage against k. Preferred: pass@k at k = 1, 2, 4, ... from the largest majority-vote cell whose records count
    /// their right samples (every sample is independent there). Otherwise (files written before that count was kept):
    /// the accuracy of best-of-N under the perfect step verifier at each N, which picks a right sample whenever the
    /// checker can tell one, so it approximates coverage from below. Null when the run has neither.
    /// </summary>
    public static Curve? From(IReadOnlyList<CellResult> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var majority = cells.Where(c => c.Strategy == "majority" && c.Problems.Count > 0 && c.Problems.All(p => p.CorrectCandidates is not null && p.Candidates > 0))
            .MaxBy(c => c.Budget);
        if (majority is not null && majority.Budget > 1)
        {
            int n = majority.Problems.Min(p => p.Candidates);
            var points = new List<(int, double)>();
            for (int k = 1; k <= n; k *= 2)
                points.Add((k, majority.Problems.Average(p => PassAtK(p.Candidates, Math.Min(p.CorrectCandidates!.Value, p.Candidates), k))));
            return new Curve(points, $"pass@k from the {n} samples of majority@{majority.Budget} (unbiased estimator)");
        }
        var perfect = cells.Where(c => c.Strategy == "best-of-n" + StrategyCatalog.PerfectSuffix).OrderBy(c => c.Budget).ToList();
        if (perfect.Count >= 2)
            return new Curve([.. perfect.Select(c => (c.Budget, c.Accuracy.Mean))], "best-of-N under the perfect step verifier (a lower bound on coverage)");
        return null;
    }

    /// <summary>
    /// Fits coverage ≈ exp(a·k^b) (a &lt; 0, b &lt; 0), the form Brown et al. fit: the log of the miss rate,
    /// −log(coverage), falls as a power of k, so log(−log coverage) = log(−a) + b·log k is a straight line fitted by
    /// least squares. Points at coverage 0 or 1 carry no information on that scale and are left out; null with fewer
    /// than two usable points.
    /// </summary>
    public static (double A, double B)? FitPowerLaw(IReadOnlyList<(int K, double Coverage)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var usable = points.Where(p => p.K > 0 && p.Coverage > 0 && p.Coverage < 1)
            .Select(p => (X: Math.Log(p.K), Y: Math.Log(-Math.Log(p.Coverage)))).ToList();
        if (usable.Count < 2 || usable.Select(u => u.X).Distinct().Count() < 2) return null;
        double mx = usable.Average(u => u.X), my = usable.Average(u => u.Y);
        double b = usable.Sum(u => (u.X - mx) * (u.Y - my)) / usable.Sum(u => (u.X - mx) * (u.X - mx));
        double a = -Math.Exp(my - b * mx);
        return (a, b);
    }

    /// <summary>The fitted curve at <paramref name="k"/>.</summary>
    public static double Evaluate((double A, double B) fit, double k) => Math.Exp(fit.A * Math.Pow(k, fit.B));
}
