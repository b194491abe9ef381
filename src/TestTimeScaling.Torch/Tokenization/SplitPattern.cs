using System.Text.RegularExpressions;

namespace TestTimeScaling.Torch;

/// <summary>The <c>pattern</c> of a Split pre-tokenizer or a Replace normalizer/decoder: a literal string or an Oniguruma regex.</summary>
internal sealed class SplitPattern
{
    private readonly string? _literal;
    private readonly Regex? _regex;

    private SplitPattern(string? literal, Regex? regex)
    {
        _literal = literal;
        _regex = regex;
    }

    /// <summary>A literal pattern.</summary>
    public static SplitPattern ForString(string literal) => new(literal, null);

    /// <summary>A regex pattern in Oniguruma syntax.</summary>
    /// <exception cref="FormatException">The pattern is malformed.</exception>
    /// <exception cref="NotSupportedException">The pattern uses a construct the translator does not cover.</exception>
    public static SplitPattern ForRegex(string pattern) => new(null, OnigurumaPattern.Compile(pattern));

    /// <summary>The non-empty matches, left to right and non-overlapping, as (start, end) UTF-16 offsets.</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        var matches = new List<(int, int)>();
        if (_literal is not null)
        {
            if (_literal.Length == 0) return matches;
            int at = 0;
            while ((at = text.IndexOf(_literal, at, StringComparison.Ordinal)) >= 0)
            {
                matches.Add((at, at + _literal.Length));
                at += _literal.Length;
            }
            return matches;
        }
        foreach (ValueMatch match in _regex!.EnumerateMatches(text))
        {
            if (match.Length > 0) matches.Add((match.Index, match.Index + match.Length));
        }
        return matches;
    }

    /// <summary>Replaces every match with <paramref name="content"/>.</summary>
    public string Replace(string text, string content)
    {
        if (_literal is not null) return _literal.Length == 0 ? text : text.Replace(_literal, content, StringComparison.Ordinal);
        var sb = new System.Text.StringBuilder(text.Length);
        int position = 0;
        foreach (ValueMatch match in _regex!.EnumerateMatches(text))
        {
            sb.Append(text, position, match.Index - position).Append(content);
            position = match.Index + match.Length;
        }
        return sb.Append(text, position, text.Length - position).ToString();
    }
}
