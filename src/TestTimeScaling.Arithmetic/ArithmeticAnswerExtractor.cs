using System.Text.RegularExpressions;

namespace TestTimeScaling.Arithmetic;

/// <summary>
/// Finds the final integer answer in free text: the value on the last line labelled <c>A:</c> or <c>Answer:</c>
/// (also <c>Final answer:</c>, or <c>=</c> instead of the colon), and normalizes it to plain digits with an optional
/// leading minus, so <c>"A: 63"</c>, <c>"a:63."</c>, <c>"Answer: +063"</c> and <c>"A: = 63"</c> all give <c>"63"</c>
/// and <c>"A: 1,234"</c> gives <c>"1234"</c>.
/// </summary>
/// <remarks>
/// The last labelled line decides, even when it holds no number: a model that restates its answer means the
/// restatement. Decimals (<c>6.3</c>) and malformed digit groups (<c>12,34</c>) are not integers and give null.
/// </remarks>
public sealed partial class ArithmeticAnswerExtractor : IAnswerExtractor
{
    /// <summary>A shared instance; the extractor holds no state.</summary>
    public static ArithmeticAnswerExtractor Instance { get; } = new();

    /// <inheritdoc/>
    public string? Extract(string solution)
    {
        ArgumentNullException.ThrowIfNull(solution);
        string[] lines = solution.Split('\n');
        for (int i = lines.Length - 1; i >= 0; i--)
        {
            Match label = AnswerLabel().Match(lines[i]);
            if (label.Success)
                return ReadLeadingInteger(lines[i].AsSpan(label.Length).ToString());
        }
        return null;
    }

    /// <summary>
    /// Normalizes a standalone integer (e.g. a reference answer): trims spacing and trailing punctuation,
    /// drops a leading <c>+</c>, leading zeros and thousands separators; null when the text is not an integer.
    /// </summary>
    public static string? Normalize(string? value)
    {
        if (value is null)
            return null;
        Match m = WholeInteger().Match(value);
        return m.Success ? Canonical(m.Groups["sign"].Value, m.Groups["digits"].Value) : null;
    }

    private static string? ReadLeadingInteger(string rest)
    {
        Match m = LeadingInteger().Match(rest);
        return m.Success ? Canonical(m.Groups["sign"].Value, m.Groups["digits"].Value) : null;
    }

    private static string Canonical(string sign, string digits)
    {
        string plain = digits.Replace(",", "", StringComparison.Ordinal).TrimStart('0');
        if (plain.Length == 0)
            return "0"; // "-0" and "000" are zero
        return sign == "-" ? "-" + plain : plain;
    }

    // The label at the start of a line, after optional list or emphasis markup ("- ", "**"), through its separator.
    [GeneratedRegex(@"^[\s*#>_-]*(?:final\s+)?(?:a|answer)\s*[*_]*\s*[:=][\s*_]*(?:=\s*)?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AnswerLabel();

    // [0-9], not \d: \d also matches other scripts' digits, which the task never writes.
    // The lookahead rejects a number that runs on into more digits or a decimal part.
    [GeneratedRegex(@"^(?<sign>[+-]?)(?<digits>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?![0-9]|[.,][0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex LeadingInteger();

    [GeneratedRegex(@"^\s*(?<sign>[+-]?)(?<digits>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\s*[.!]?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex WholeInteger();
}
