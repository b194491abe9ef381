using System.Globalization;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// What a run shows once its numbers exist: the plots and the HTML report, written the same way after a run and when a
/// finished run is re-rendered from its files (<c>--from results.json</c>), so presentation changes never need a rerun.
/// </summary>
public static class RunPresentation
{
    /// <summary>The accuracy plot's file name.</summary>
    public const string ScalingPng = "scaling.png";

    /// <summary>The coverage plot's file name.</summary>
    public const string CoveragePng = "coverage.png";

    /// <summary>The HTML report's file name.</summary>
    public const string ReportFile = "report.html";

    /// <summary>Writes scaling.png, coverage.png (when the run has coverage data) and report.html; returns their paths.</summary>
    public static IReadOnlyList<string> Write(RunReport report, IReadOnlyList<RecordedSearch> searches, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        var plots = new List<(byte[], string)>();
        int problems = report.Cells.Count == 0 ? 0 : report.Cells.Max(c => c.Problems.Count);
        string scaling = Path.Combine(directory, ScalingPng);
        ScalingPlot.Write(report.Cells, scaling, $"Test-time scaling on {problems} held-out arithmetic problems (seed {report.Options.Seed})");
        written.Add(scaling);
        plots.Add((File.ReadAllBytes(scaling), "Accuracy against mean generated tokens per problem; dashed: the same strategy under the perfect step verifier; dotted: one sample."));

        string coverage = Path.Combine(directory, CoveragePng);
        if (ScalingPlot.WriteCoverage(report.Cells, coverage) is { } drawn)
        {
            written.Add(coverage);
            string fit = drawn.Fit is { } f
                ? string.Create(CultureInfo.InvariantCulture, $"; fitted coverage ≈ exp({f.A:F3}·k^{f.B:F3}) (Brown et al.'s form: the log miss rate falls as a power of k)")
                : "; too few points strictly between 0 and 100% to fit the power law";
            plots.Add((File.ReadAllBytes(coverage), $"Coverage against samples k: {drawn.Curve.Source}{fit}."));
        }
        else if (File.Exists(coverage)) File.Delete(coverage); // a stale one from an earlier run would mislead

        string html = Path.Combine(directory, ReportFile);
        File.WriteAllText(html, ReportHtml.Build(report, searches, plots));
        written.Add(html);
        if (!ScalingPlot.CanDrawText)
            Console.WriteLine("note: no system font was found, so the plots' labels are blank; the table and CSV hold the same figures.");
        return written;
    }

    /// <summary>
    /// Re-renders a finished run from its results.json (and the traces.json beside it, when there is one): prints the
    /// table and highlights, rewrites results.csv, the plots and report.html next to it; runs nothing. Returns the exit code.
    /// </summary>
    public static int Render(string resultsPath)
    {
        var report = ResultFiles.Read(resultsPath);
        string directory = Path.GetDirectoryName(Path.GetFullPath(resultsPath))!;
        var searches = ResultFiles.ReadTraces(Path.Combine(directory, ResultFiles.TracesFile));
        Console.WriteLine(ResultTable.Format(report.Cells));
        if (report.Highlights.Count > 0)
        {
            Console.WriteLine("Highlights (as the run computed them):");
            foreach (var line in report.Highlights) Console.WriteLine($"  {line}");
            Console.WriteLine();
        }
        string csv = Path.Combine(directory, "results.csv");
        File.WriteAllText(csv, ResultFiles.ToCsv(report.Cells));
        Console.WriteLine($"Wrote {csv}");
        foreach (var path in Write(report, searches, directory)) Console.WriteLine($"      {path}");
        Console.WriteLine($"({searches.Count} recorded search(es) from {ResultFiles.TracesFile}.)");
        return 0;
    }
}
