namespace TestTimeScaling.Samples.Scaling;

/// <summary>Tick positions for a log axis at 1-2-5 steps (1, 2, 5, 10, 20, 50, ...), the steps readers find easiest to read.</summary>
public static class LogTicks
{
    /// <summary>The 1-2-5 values from the largest one at or below <paramref name="min"/> to the smallest at or above <paramref name="max"/>.</summary>
    public static IReadOnlyList<double> OneTwoFive(double min, double max)
    {
        if (!(min > 0) || !(max >= min) || double.IsInfinity(max))
            throw new ArgumentOutOfRangeException(nameof(min), $"needs 0 < min <= max (finite); got {min}, {max}.");
        var ticks = new List<double>();
        for (int decade = (int)Math.Floor(Math.Log10(min)) ; ; decade++)
        {
            double scale = Math.Pow(10, decade);
            foreach (var m in new[] { 1.0, 2.0, 5.0 })
            {
                double v = m * scale;
                // The first tick at or below min, every tick between, and the first at or above max.
                if (v <= min) { ticks.Clear(); ticks.Add(v); continue; }
                ticks.Add(v);
                if (v >= max) return ticks;
            }
        }
    }

    /// <summary>A short label: "1", "20", "500", "2k", "10k", "1.5M" (invariant culture).</summary>
    public static string Label(double v) => v switch
    {
        >= 1e6 => (v / 1e6).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (v / 1e3).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "k",
        _ => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
    };
}
