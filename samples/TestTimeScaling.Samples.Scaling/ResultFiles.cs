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
        // A search's figures may hold a NaN (an effective sample size of all-zero weights); keep it rather than fail.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The file name of a run's recorded searches, next to results.json.</summary>
    public const string TracesFile = "traces.json";

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

    /// <summary>Reads a finished run's results.json back.</summary>
    /// <exception cref="InvalidDataException">The file is not a results.json of this program.</exception>
    public static RunReport Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"no results file at '{path}' (--from).", path);
        RunReport? report;
        try { report = JsonSerializer.Deserialize<RunReport>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a results.json of the scaling study: {e.Message}", e); }
        if (report?.Cells is null || report.Options is null)
            throw new InvalidDataException($"'{path}' is not a results.json of the scaling study: it has no 'cells' or 'options'.");
        if (report.Cells.Any(c => c.Problems is null || c.Accuracy is null || c.Strategy is null))
            throw new InvalidDataException($"'{path}': a cell lacks 'strategy', 'accuracy' or 'problems'.");
        return report;
    }

    /// <summary>Writes the recorded searches as traces.json into <paramref name="directory"/>; returns its path.</summary>
    public static string WriteTraces(IReadOnlyList<RecordedSearch> searches, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, TracesFile);
        File.WriteAllText(path, JsonSerializer.Serialize(searches, Json));
        return path;
    }

    /// <summary>The recorded searches in <paramref name="path"/>; none when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file exists but does not hold recorded searches.</exception>
    public static IReadOnlyList<RecordedSearch> ReadTraces(string path)
    {
        if (!File.Exists(path)) return [];
        try
        {
            var searches = JsonSerializer.Deserialize<List<RecordedSearch>>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"'{path}' holds null, not a list of recorded searches.");
            if (searches.Any(s => s?.Candidates is null || s.Events is null || s.Strategy is null))
                throw new InvalidDataException($"'{path}': a recorded search lacks 'strategy', 'candidates' or 'events'.");
            return searches;
        }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a traces.json of the scaling study: {e.Message}", e); }
    }

    private static string Num(double x) => x.ToString("0.######", CultureInfo.InvariantCulture);
}
