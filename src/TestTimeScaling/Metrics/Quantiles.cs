namespace TestTimeScaling;

/// <summary>Quantiles of sorted data, shared by bootstrap intervals and difficulty binning so both cut data alike.</summary>
internal static class Quantiles
{
    /// <summary>The q-quantile of ascending values, interpolating between order statistics (Hyndman and Fan type 7, R's default).</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double q)
    {
        double h = (sorted.Count - 1) * q;
        int below = (int)Math.Floor(h);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
    }
}
