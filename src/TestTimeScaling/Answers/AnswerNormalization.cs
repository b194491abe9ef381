using System.Globalization;
using System.Text.RegularExpressions;

namespace TestTimeScaling;

/// <summary>How an extracted answer is normalized so that equal answers compare equal in a vote.</summary>
[Flags]
public enum AnswerNormalization
{
    /// <summary>Keep the text as extracted.</summary>
    None = 0,
    /// <summary>Remove surrounding white space and collapse inner runs of white space to one space.</summary>
    Trim = 1,
    /// <summary>Lower-case (invariant culture).</summary>
    Lowercase = 2,
    /// <summary>
    /// Rewrite numbers in one canonical form: "63.0", "+63", "63." and "6.3e1" all become "63";
    /// thousands separators ("1,000") and a leading currency sign are dropped. Non-numbers are left alone.
    /// </summary>
    Numeric = 4,
    /// <summary><see cref="Trim"/> and <see cref="Numeric"/>: the default for math-style answers.</summary>
    Default = Trim | Numeric,
}

/// <summary>Applies <see cref="AnswerNormalization"/> rules.</summary>
public static partial class AnswerNormalizer
{
    /// <summary>Normalizes <paramref name="answer"/>; returns null for null or (after trimming) empty text.</summary>
    public static string? Normalize(string? answer, AnswerNormalization rules = AnswerNormalization.Default)
    {
        if (answer is null) return null;
        var text = answer;
        if (rules.HasFlag(AnswerNormalization.Trim)) text = WhiteSpace().Replace(text.Trim(), " ");
        if (rules.HasFlag(AnswerNormalization.Numeric) && TryCanonicalNumber(text, out var number)) text = number;
        if (rules.HasFlag(AnswerNormalization.Lowercase)) text = text.ToLowerInvariant();
        return text.Length == 0 ? null : text;
    }

    private static bool TryCanonicalNumber(string text, out string canonical)
    {
        canonical = text;
        var t = text.Trim();
        if (t.StartsWith('$')) t = t[1..];
        // A sentence-final period ("63.") is punctuation, not a decimal point.
        if (t.EndsWith('.')) t = t[..^1];
        if (!NumberLike().IsMatch(t)) return false;
        t = t.Replace(",", "", StringComparison.Ordinal);
        if (!decimal.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return false;
        // G29 drops trailing zeros; "-0" becomes "0".
        canonical = (value == 0m ? 0m : value).ToString("G29", CultureInfo.InvariantCulture);
        return true;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    // Digits with optional sign, thousands groups, decimals and exponent; nothing else.
    [GeneratedRegex(@"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")]
    private static partial Regex NumberLike();
}
