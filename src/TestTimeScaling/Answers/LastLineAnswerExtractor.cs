namespace TestTimeScaling;

/// <summary>
/// Takes the answer from the last non-empty line of a solution, after an optional marker such as <c>A:</c>.
/// With its default marker it reads the embedded arithmetic task's <c>A: 63</c> final line; the builder has no
/// default extractor, so pass one explicitly (<c>Scale.With(sampler).Extractor(...)</c>).
/// </summary>
/// <remarks>
/// With a marker, a solution whose last line lacks it has no answer yet: step-level search relies on
/// that to tell a finished solution from a partial one. Without a marker every non-empty text has an
/// answer, which suits tasks whose whole output is the answer.
/// </remarks>
public sealed class LastLineAnswerExtractor : IAnswerExtractor
{
    /// <summary>Marker <c>A:</c> (the embedded arithmetic task's answer line), default normalization.</summary>
    public static LastLineAnswerExtractor Default { get; } = new();

    /// <summary>Creates the extractor.</summary>
    /// <param name="marker">Text the last line must start with (after leading white space), removed from the answer; null for none.</param>
    /// <param name="normalization">How answers are normalized.</param>
    public LastLineAnswerExtractor(string? marker = "A:", AnswerNormalization normalization = AnswerNormalization.Default)
    {
        if (marker is { Length: 0 }) throw new ArgumentException("The marker must be null or non-empty.", nameof(marker));
        Marker = marker;
        Normalization = normalization;
    }

    /// <summary>The marker the answer line starts with, or null.</summary>
    public string? Marker { get; }

    /// <summary>The normalization applied.</summary>
    public AnswerNormalization Normalization { get; }

    /// <inheritdoc />
    public string? Extract(string solution)
    {
        if (string.IsNullOrEmpty(solution)) return null;
        var line = solution.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
        if (line is null) return null;
        if (Marker is not null)
        {
            if (!line.StartsWith(Marker, StringComparison.OrdinalIgnoreCase)) return null;
            line = line[Marker.Length..];
        }
        return AnswerNormalizer.Normalize(line, Normalization);
    }
}
