using ScottPlot;
using SkiaSharp;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>Draws accuracy against generated tokens (log axis), one line per strategy, with 95% intervals as error bars.</summary>
public static class ScalingPlot
{
    /// <summary>
    /// Whether Skia finds any font to draw text with. ScottPlot's Skia build for Linux reads fonts from the system font
    /// folders without fontconfig; on a machine with none, labels are silently blank, so the caller can say so.
    /// </summary>
    public static bool CanDrawText => SKFontManager.Default.FontFamilyCount > 0;

    /// <summary>Writes the plot as a PNG of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    /// <param name="cells">The run's results; strategies keep their order of appearance.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="title">The plot's title.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void Write(IReadOnlyList<CellResult> cells, string path, string title, int width = 1000, int height = 650)
    {
        var plot = new Plot();
        // A sans-serif face when the system has the usual one; ScottPlot's own pick otherwise.
        if (SKFontManager.Default.GetFontFamilies().Contains("DejaVu Sans")) plot.Font.Set("DejaVu Sans");

        var palette = new ScottPlot.Palettes.Category10();
        var colors = new Dictionary<string, Color>();
        int index = 0;
        foreach (var group in cells.Where(c => c.MeanGeneratedTokens > 0).GroupBy(c => c.Strategy))
        {
            var points = group.OrderBy(c => c.MeanGeneratedTokens).ToList();
            // Log axis: ScottPlot plots linear coordinates, so x is log10(tokens) and the tick labels undo it.
            double[] xs = [.. points.Select(c => Math.Log10(c.MeanGeneratedTokens))];
            double[] ys = [.. points.Select(c => 100 * c.Accuracy.Mean)];
            var color = group.Key.EndsWith(StrategyCatalog.PerfectSuffix, StringComparison.Ordinal) ? palette.GetColor(index) : palette.GetColor(index++);

            var errors = new ScottPlot.Plottables.ErrorBar(xs, ys, null, null,
                [.. points.Select(c => 100 * (c.Accuracy.Mean - c.Accuracy.Lower))],
                [.. points.Select(c => 100 * (c.Accuracy.Upper - c.Accuracy.Mean))])
            { Color = color.WithAlpha(0.35) };
            plot.Add.Plottable(errors);

            // A perfect-verifier twin takes its learned strategy's colour, dashed, so each pair reads as one.
            bool perfect = group.Key.EndsWith(StrategyCatalog.PerfectSuffix, StringComparison.Ordinal);
            if (perfect && colors.TryGetValue(group.Key[..^StrategyCatalog.PerfectSuffix.Length], out var twin)) color = twin;
            else { colors[group.Key] = color; }
            var line = plot.Add.Scatter(xs, ys, color);
            if (perfect) line.LinePattern = LinePattern.Dashed;
            line.LegendText = group.Key;
            line.MarkerSize = points.Count == 1 ? 10 : 6;
            line.LineWidth = 2;
            // Budget labels beside the markers tell which N each point is.
            foreach (var (c, x, y) in points.Zip(xs, ys))
            {
                var label = plot.Add.Text($"{c.Budget}", x, y);
                label.LabelFontSize = 10;
                label.LabelFontColor = color;
                label.OffsetX = 4;
                label.OffsetY = -14;
            }
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => Math.Pow(10, x).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        // Minor grid lines on the token axis only: they mark 2x, 3x, ... between the powers of ten.
        plot.Grid.XAxisStyle.MinorLineStyle.Color = Colors.Black.WithOpacity(0.06);
        plot.Grid.XAxisStyle.MinorLineStyle.Width = 1;
        // The accuracy axis spans the intervals with a margin, inside 0-100%; tokens scale to the data.
        plot.Axes.AutoScale();
        var shown = cells.Where(c => c.MeanGeneratedTokens > 0).ToList();
        if (shown.Count > 0)
            plot.Axes.SetLimitsY(Math.Max(0, 100 * shown.Min(c => c.Accuracy.Lower) - 5), Math.Min(100, 100 * shown.Max(c => c.Accuracy.Upper) + 5));
        plot.Title(title);
        plot.XLabel("mean generated tokens per problem (log scale)");
        plot.YLabel("accuracy (%), 95% bootstrap interval");
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, width, height);
    }
}
