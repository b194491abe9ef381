using ScottPlot;
using SkiaSharp;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Draws the run's plots: accuracy against generated tokens (log axis, 1-2-5 ticks, one line per strategy with 95%
/// intervals, the single sample as a reference line, perfect-verifier twins dashed in their learned strategy's colour),
/// and coverage (pass@k) against samples with its fitted power law.
/// </summary>
public static class ScalingPlot
{
    /// <summary>
    /// Whether Skia finds any font to draw text with. ScottPlot's Skia build for Linux reads fonts from the system font
    /// folders without fontconfig; on a machine with none, labels are silently blank, so the caller can say so.
    /// </summary>
    public static bool CanDrawText => SKFontManager.Default.FontFamilyCount > 0;

    /// <summary>Writes the accuracy plot as a PNG of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    /// <param name="cells">The run's results; strategies keep their order of appearance.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="title">The plot's title.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void Write(IReadOnlyList<CellResult> cells, string path, string title, int width = 1100, int height = 680)
    {
        var plot = NewPlot();
        var shown = cells.Where(c => c.MeanGeneratedTokens > 0).ToList();
        // The y range spans the intervals with a margin, inside 0-100%; the label placement below needs it first.
        double yMin = shown.Count > 0 ? Math.Max(0, 100 * shown.Min(c => c.Accuracy.Lower) - 4) : 0;
        double yMax = shown.Count > 0 ? Math.Min(100, 100 * shown.Max(c => c.Accuracy.Upper) + 4) : 100;
        double xMin = shown.Count > 0 ? Math.Log10(shown.Min(c => c.MeanGeneratedTokens)) : 0;
        double xMax = shown.Count > 0 ? Math.Log10(shown.Max(c => c.MeanGeneratedTokens)) : 1;
        double xPad = Math.Max(0.05, 0.04 * (xMax - xMin));
        var labels = new LabelPlacer(xMin - xPad, xMax + xPad, yMin, yMax);

        var palette = new ScottPlot.Palettes.Category10();
        var colors = new Dictionary<string, Color>();
        int index = 0;
        foreach (var group in shown.GroupBy(c => c.Strategy))
        {
            var points = group.OrderBy(c => c.MeanGeneratedTokens).ToList();
            // Log axis: ScottPlot plots linear coordinates, so x is log10(tokens) and the tick labels undo it.
            double[] xs = [.. points.Select(c => Math.Log10(c.MeanGeneratedTokens))];
            double[] ys = [.. points.Select(c => 100 * c.Accuracy.Mean)];
            // A perfect-verifier twin takes its learned strategy's colour, dashed, so each pair reads as one.
            bool perfect = group.Key.EndsWith(StrategyCatalog.PerfectSuffix, StringComparison.Ordinal);
            Color color;
            if (perfect && colors.TryGetValue(group.Key[..^StrategyCatalog.PerfectSuffix.Length], out var twin)) color = twin;
            else colors[group.Key] = color = palette.GetColor(index++);

            var errors = new ScottPlot.Plottables.ErrorBar(xs, ys, null, null,
                [.. points.Select(c => 100 * (c.Accuracy.Mean - c.Accuracy.Lower))],
                [.. points.Select(c => 100 * (c.Accuracy.Upper - c.Accuracy.Mean))])
            { Color = color.WithAlpha(0.35) };
            plot.Add.Plottable(errors);

            var line = plot.Add.Scatter(xs, ys, color);
            if (perfect) line.LinePattern = LinePattern.Dashed;
            line.LegendText = group.Key;
            line.MarkerSize = points.Count == 1 ? 10 : 6;
            line.LineWidth = 2;
            // Budget labels beside the markers tell which N each point is; one that would cover another is left out.
            foreach (var (c, x, y) in points.Zip(xs, ys))
            {
                if (labels.Place(x, y) is not { } offset) continue;
                var label = plot.Add.Text($"{c.Budget}", x, y);
                label.LabelFontSize = 10;
                label.LabelFontColor = color;
                label.OffsetX = 4;
                label.OffsetY = offset;
            }
        }

        // The single sample as a horizontal reference: everything above it is what test-time compute bought.
        if (cells.FirstOrDefault(c => c.Strategy == "single" && c.Budget == 1) is { } single)
        {
            var reference = plot.Add.HorizontalLine(100 * single.Accuracy.Mean);
            reference.Color = Colors.Black.WithOpacity(0.55);
            reference.LinePattern = LinePattern.Dotted;
            reference.LineWidth = 1.5f;
            reference.LegendText = FormattableString.Invariant($"single sample ({100 * single.Accuracy.Mean:F1}%)");
        }

        if (shown.Count > 0)
        {
            plot.Axes.Bottom.TickGenerator = LogAxis(Math.Pow(10, xMin), Math.Pow(10, xMax));
            plot.Axes.SetLimits(xMin - xPad, xMax + xPad, yMin, yMax);
        }
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Title(title);
        plot.XLabel("mean generated tokens per problem (log scale)");
        plot.YLabel("accuracy (%), 95% bootstrap interval");
        plot.ShowLegend(Edge.Right);
        Save(plot, path, width, height);
    }

    /// <summary>
    /// Writes coverage (pass@k, see <see cref="Coverage.From"/>) against k with the fitted exp(a·k^b) law; returns the
    /// curve and fit drawn, or null (and writes nothing) when the run holds no coverage data.
    /// </summary>
    /// <param name="cells">The run's results.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static (Coverage.Curve Curve, (double A, double B)? Fit)? WriteCoverage(IReadOnlyList<CellResult> cells, string path, int width = 1100, int height = 480)
    {
        if (Coverage.From(cells) is not { } curve) return null;
        var fit = Coverage.FitPowerLaw(curve.Points);
        var plot = NewPlot();
        double[] xs = [.. curve.Points.Select(p => Math.Log10(p.K))];
        double[] ys = [.. curve.Points.Select(p => 100 * p.Coverage)];
        var measured = plot.Add.Scatter(xs, ys, new ScottPlot.Palettes.Category10().GetColor(0));
        measured.LineWidth = 0;
        measured.MarkerSize = 9;
        measured.LegendText = "coverage (measured)";
        double kMax = curve.Points.Max(p => p.K);
        double low = ys.Min(), high = ys.Max();
        if (fit is { } f)
        {
            double[] fx = [.. Enumerable.Range(0, 61).Select(i => Math.Log10(kMax) * i / 60.0)];
            double[] fy = [.. fx.Select(x => 100 * Coverage.Evaluate(f, Math.Pow(10, x)))];
            // The y range holds the fitted curve too, so a poor fit shows as a gap rather than running off the panel.
            low = Math.Min(low, fy.Min());
            high = Math.Max(high, fy.Max());
            var line = plot.Add.Scatter(fx, fy, Colors.Black.WithOpacity(0.6));
            line.MarkerSize = 0;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = FormattableString.Invariant($"fit: exp({f.A:F3}·k^{f.B:F3})");
        }
        // k doubles from point to point, so the ticks are the measured k themselves.
        var kTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (k, _) in curve.Points) kTicks.AddMajor(Math.Log10(k), LogTicks.Label(k));
        plot.Axes.Bottom.TickGenerator = kTicks;
        low = Math.Max(0, low - 5);
        high = Math.Min(100, high + 3);
        double pad = Math.Max(0.06, 0.04 * Math.Log10(kMax));
        plot.Axes.SetLimits(-pad, Math.Log10(kMax) + pad, low, high);
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Title("Coverage: share of problems with a right answer among k samples");
        plot.XLabel($"samples k (log scale); {curve.Source}");
        plot.YLabel("coverage (%)");
        plot.ShowLegend(Edge.Right);
        Save(plot, path, width, height);
        return (curve, fit);
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        // A sans-serif face when the system has the usual one; ScottPlot's own pick otherwise.
        if (SKFontManager.Default.GetFontFamilies().Contains("DejaVu Sans")) plot.Font.Set("DejaVu Sans");
        return plot;
    }

    // Ticks at 1-2-5 steps between min and max, on an axis whose coordinate is log10 of the value.
    private static ScottPlot.TickGenerators.NumericManual LogAxis(double min, double max)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var major = LogTicks.OneTwoFive(min, max);
        foreach (var v in major) ticks.AddMajor(Math.Log10(v), LogTicks.Label(v));
        // Minor ticks at every integer multiple within each decade (3, 4, 6, 7, 8, 9 x 10^k) finish the log ruler.
        for (int decade = (int)Math.Floor(Math.Log10(major[0])); Math.Pow(10, decade) <= major[^1]; decade++)
            foreach (var m in new[] { 3, 4, 6, 7, 8, 9 })
                if (m * Math.Pow(10, decade) is var v && v > major[0] && v < major[^1]) ticks.AddMinor(Math.Log10(v));
        return ticks;
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, width, height);
    }
}
