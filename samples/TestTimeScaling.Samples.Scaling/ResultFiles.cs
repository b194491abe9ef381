using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>Writes a run's results as JSON (everything, per problem too) and CSV (one row per strategy and budget).</summary>
public static class ResultFiles
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        // Keep "+" and quotes readable in the highlights; the file is data, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The whole report as indented JSON.</summary>
    public static string ToJson(RunReport report) =>
        JsonSerializer.Serialize(report, Json);

    /// <summary>One CSV row per cell, with per-level accuracy columns.</summary>
    public static string ToCsv(IReadOnlyList<CellResult> cells)
    {
        var levels = cells.SelectMany(c => c.AccuracyByLevel.Keys).Distinct().Order().ToList();
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', new[]
        {
            "strategy", "budget", "problems", "accuracy", "ci_lower", "ci_upper", "mean_generated_tokens", "mean_prompt_tokens",
            "mean_forward_passes", "mean_verifier_calls", "wall_seconds",
        }.Concat(levels.Select(l => $"accuracy_level{l}"))));
        foreach (var c in cells)
        {
            var fields = new List<string> { c.Strategy, Num(c.Budget), Num(c.Problems.Count), Num(c.Accuracy.Mean), Num(c.Accuracy.Lower), Num(c.Accuracy.Upper),
                Num(c.MeanGeneratedTokens), Num(c.MeanPromptTokens), Num(c.MeanForwardPasses), Num(c.MeanVerifierCalls), Num(c.WallSeconds) };
            fields.AddRange(levels.Select(l => c.AccuracyByLevel.TryGetValue(l, out var a) ? Num(a) : ""));
            csv.AppendLine(string.Join(',', fields));
        }
        return csv.ToString();
    }

    /// <summary>Writes results.json and results.csv into <paramref name="directory"/>; returns their paths.</summary>
    public static (string Json, string Csv) Write(RunReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        string json = Path.Combine(directory, "results.json"), csv = Path.Combine(directory, "results.csv");
        File.WriteAllText(json, ToJson(report));
        File.WriteAllText(csv, ToCsv(report.Cells));
        return (json, csv);
    }

    private static string Num(double x) => x.ToString("0.######", CultureInfo.InvariantCulture);
}
