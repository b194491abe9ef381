using System.Globalization;
using System.Text;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>The results as a fixed-width text table for the console (and as Markdown for the docs).</summary>
public static class ResultTable
{
    /// <summary>The column headers.</summary>
    public static IReadOnlyList<string> Headers { get; } = ["strategy", "N", "problems", "accuracy [95% CI]", "gen tokens", "fwd passes", "PRM calls", "wall s"];

    /// <summary>One row per cell, columns aligned.</summary>
    public static string Format(IReadOnlyList<CellResult> cells)
    {
        var rows = cells.Select(Row).ToList();
        var widths = Headers.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cols) =>
            // Text columns left-aligned, numbers right-aligned.
            text.AppendLine(string.Join("  ", cols.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
        Line(Headers);
        Line(widths.Select(w => new string('-', w)).ToList());
        string? previous = null;
        foreach (var (row, cell) in rows.Zip(cells))
        {
            // A blank line between strategies keeps the budget ladders apart.
            if (previous is not null && previous != cell.Strategy) text.AppendLine();
            previous = cell.Strategy;
            Line(row);
        }
        return text.ToString();
    }

    /// <summary>The same table in Markdown.</summary>
    public static string Markdown(IReadOnlyList<CellResult> cells)
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", Headers) + " |");
        text.AppendLine("|" + string.Concat(Headers.Select((_, i) => i == 0 ? "---|" : "---:|")));
        foreach (var cell in cells) text.AppendLine("| " + string.Join(" | ", Row(cell)) + " |");
        return text.ToString();
    }

    /// <summary>One cell's row, as the table prints it.</summary>
    public static string[] Row(CellResult c) =>
    [
        c.Strategy,
        c.Budget.ToString(CultureInfo.InvariantCulture),
        c.Problems.Count.ToString(CultureInfo.InvariantCulture),
        string.Create(CultureInfo.InvariantCulture, $"{100 * c.Accuracy.Mean:F1}% [{100 * c.Accuracy.Lower:F1}, {100 * c.Accuracy.Upper:F1}]"),
        c.MeanGeneratedTokens.ToString("F0", CultureInfo.InvariantCulture),
        c.MeanForwardPasses.ToString("F0", CultureInfo.InvariantCulture),
        c.MeanVerifierCalls.ToString("F1", CultureInfo.InvariantCulture),
        c.WallSeconds.ToString("F1", CultureInfo.InvariantCulture),
    ];
}
