using System.Text.RegularExpressions;

namespace TestTimeScaling;

/// <summary>
/// Finds the answer as the last match of a regular expression, then normalizes it.
/// </summary>
/// <remarks>
/// The last match, because models often restate intermediate results before the final one.
/// The answer is the group named <c>answer</c> when the pattern has one, else group 1, else the whole match.
/// </remarks>
public sealed class RegexAnswerExtractor : IAnswerExtractor
{
    private readonly Regex _regex;
    private readonly int _group;

    /// <summary>Extracts with <paramref name="pattern"/>.</summary>
    /// <param name="pattern">A .NET regular expression; compiled with <see cref="RegexOptions.Multiline"/> so ^ and $ match lines.</param>
    /// <param name="normalization">How matches are normalized.</param>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid regular expression.</exception>
    public RegexAnswerExtractor(string pattern, AnswerNormalization normalization = AnswerNormalization.Default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        _regex = new Regex(pattern, RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        int named = _regex.GroupNumberFromName("answer");
        _group = named >= 0 ? named : _regex.GetGroupNumbers().Length > 1 ? 1 : 0;
        Normalization = normalization;
    }

    /// <summary>Answers on a final line such as <c>A: 63</c> or <c>Answer: 63</c> (the arithmetic task's format).</summary>
    public static RegexAnswerExtractor FinalAnswerLine { get; } = new(@"^[ \t]*(?:A|Answer)[ \t]*:[ \t]*(?<answer>[^\r\n]*?)[ \t]*\r?$");

    /// <summary>Answers written as LaTeX <c>\boxed{...}</c> (without nested braces).</summary>
    public static RegexAnswerExtractor Boxed { get; } = new(@"\\boxed\{(?<answer>[^{}]*)\}");

    /// <summary>The normalization applied to matches.</summary>
    public AnswerNormalization Normalization { get; }

    /// <inheritdoc />
    public string? Extract(string solution)
    {
        if (string.IsNullOrEmpty(solution)) return null;
        Match? last = null;
        for (var m = _regex.Match(solution); m.Success; m = m.NextMatch()) last = m;
        return last is null ? null : AnswerNormalizer.Normalize(last.Groups[_group].Value, Normalization);
    }
}
