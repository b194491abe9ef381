using System.Globalization;
using System.Text;

namespace TestTimeScaling.Torch;

/// <summary>A piece of text on its way to the model; <see cref="AtStart"/> tells whether it begins the input (Metaspace's "first").</summary>
internal readonly record struct TextPiece(string Text, bool AtStart);

/// <summary>What a Split does with the delimiters it finds (Hugging Face's <c>SplitDelimiterBehavior</c>).</summary>
internal enum SplitBehavior
{
    /// <summary>Delimiters are dropped.</summary>
    Removed,
    /// <summary>Each delimiter is a piece of its own.</summary>
    Isolated,
    /// <summary>A delimiter joins the piece before it.</summary>
    MergedWithPrevious,
    /// <summary>A delimiter joins the piece after it.</summary>
    MergedWithNext,
    /// <summary>Runs of delimiters and runs of other text each become one piece.</summary>
    Contiguous,
}

/// <summary>A tokenizer.json <c>pre_tokenizer</c>: splits (and may rewrite) each piece of text.</summary>
internal abstract class PreTokenizer
{
    /// <summary>Splits every piece, in order.</summary>
    public List<TextPiece> Apply(List<TextPiece> pieces)
    {
        var result = new List<TextPiece>(pieces.Count * 2);
        foreach (TextPiece piece in pieces) Split(piece, result);
        return result;
    }

    /// <summary>Adds the pieces of <paramref name="piece"/> to <paramref name="into"/>.</summary>
    protected abstract void Split(TextPiece piece, List<TextPiece> into);

    /// <summary>
    /// Hugging Face's split: the matches and the text between them, with <paramref name="invert"/> swapping
    /// which is the delimiter, then arranged by <paramref name="behavior"/>; empty pieces are dropped.
    /// </summary>
    public static void SplitByMatches(TextPiece piece, List<(int Start, int End)> matches, SplitBehavior behavior, bool invert, List<TextPiece> into)
    {
        string text = piece.Text;
        var parts = new List<(int Start, int End, bool Delimiter)>(matches.Count * 2 + 1);
        int previous = 0;
        foreach (var (start, end) in matches)
        {
            if (start > previous) parts.Add((previous, start, invert));
            parts.Add((start, end, !invert));
            previous = end;
        }
        if (previous < text.Length) parts.Add((previous, text.Length, invert));

        var spans = new List<(int Start, int End)>(parts.Count);
        bool previousDelimiter = false;
        switch (behavior)
        {
            case SplitBehavior.Removed:
                spans.AddRange(parts.Where(p => !p.Delimiter).Select(p => (p.Start, p.End)));
                break;
            case SplitBehavior.Isolated:
                spans.AddRange(parts.Select(p => (p.Start, p.End)));
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var (start, end, delimiter) in parts)
                {
                    if (delimiter && !previousDelimiter && spans.Count > 0) spans[^1] = (spans[^1].Start, end);
                    else spans.Add((start, end));
                    previousDelimiter = delimiter;
                }
                break;
            case SplitBehavior.MergedWithNext:
                // Walks backwards: a delimiter takes over the piece that follows it.
                for (int i = parts.Count - 1; i >= 0; i--)
                {
                    var (start, end, delimiter) = parts[i];
                    if (delimiter && !previousDelimiter && spans.Count > 0) spans[^1] = (start, spans[^1].End);
                    else spans.Add((start, end));
                    previousDelimiter = delimiter;
                }
                spans.Reverse();
                break;
            case SplitBehavior.Contiguous:
                for (int i = 0; i < parts.Count; i++)
                {
                    var (start, end, delimiter) = parts[i];
                    if (i > 0 && delimiter == previousDelimiter) spans[^1] = (spans[^1].Start, end);
                    else spans.Add((start, end));
                    previousDelimiter = delimiter;
                }
                break;
        }
        foreach (var (start, end) in spans)
        {
            if (end > start) into.Add(new TextPiece(text[start..end], piece.AtStart && start == 0));
        }
    }

    /// <summary>Every code point matching <paramref name="predicate"/> as a one-character match.</summary>
    public static List<(int Start, int End)> CharMatches(string text, Func<int, bool> predicate)
    {
        var matches = new List<(int, int)>();
        for (int i = 0; i < text.Length;)
        {
            int cp = CodePoints.At(text, i, out int width);
            if (predicate(cp)) matches.Add((i, i + width));
            i += width;
        }
        return matches;
    }
}

/// <summary>Code points of UTF-16 text.</summary>
internal static class CodePoints
{
    /// <summary>The code point at <paramref name="index"/> and its width in UTF-16 units (U+FFFD for a lone surrogate).</summary>
    public static int At(string text, int index, out int width)
    {
        if (char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(text[index], text[index + 1]);
        }
        width = 1;
        return char.IsSurrogate(text[index]) ? 0xFFFD : text[index];
    }

    /// <summary>The text with every lone surrogate replaced by U+FFFD, as it would be after a UTF-8 round trip.</summary>
    public static string Sanitize(string text)
    {
        int i = 0;
        for (; i < text.Length; i++)
        {
            if (char.IsSurrogate(text[i]))
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                break;
            }
        }
        if (i >= text.Length) return text;
        var sb = new System.Text.StringBuilder(text.Length);
        for (int j = 0; j < text.Length;)
        {
            int cp = At(text, j, out int width);
            sb.Append(width == 2 ? text.AsSpan(j, 2) : cp == 0xFFFD ? "\uFFFD" : text.AsSpan(j, 1));
            j += width;
        }
        return sb.ToString();
    }
}

/// <summary><c>Sequence</c>: the pre-tokenizers in order.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<PreTokenizer> items) : PreTokenizer
{
    /// <inheritdoc/>
    protected override void Split(TextPiece piece, List<TextPiece> into)
    {
        var pieces = new List<TextPiece> { piece };
        foreach (PreTokenizer item in items) pieces = item.Apply(pieces);
        into.AddRange(pieces);
    }
}

/// <summary><c>Split</c>: a String or Regex pattern with a behavior and <c>invert</c>.</summary>
internal sealed class SplitPreTokenizer(SplitPattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    /// <inheritdoc/>
    protected override void Split(TextPiece piece, List<TextPiece> into)
        => SplitByMatches(piece, pattern.Matches(piece.Text), behavior, invert, into);
}

/// <summary>A split on single characters chosen by a predicate: <c>Digits</c>, <c>Punctuation</c>, <c>WhitespaceSplit</c>.</summary>
internal sealed class CharSplitPreTokenizer(Func<int, bool> isDelimiter, SplitBehavior behavior) : PreTokenizer
{
    /// <summary>Rust's <c>char::is_numeric</c>: the N categories.</summary>
    public static bool IsNumeric(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>Hugging Face's punctuation: ASCII punctuation or a P category.</summary>
    public static bool IsPunctuation(int cp) => cp < 0x80
        ? cp is >= '!' and <= '/' or >= ':' and <= '@' or >= '[' and <= '`' or >= '{' and <= '~'
        : CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <inheritdoc/>
    protected override void Split(TextPiece piece, List<TextPiece> into)
        => SplitByMatches(piece, CharMatches(piece.Text, isDelimiter), behavior, invert: false, into);
}

/// <summary><c>ByteLevel</c>: optional prefix space, optional GPT-2 split, then bytes written as byte-level symbols.</summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    /// <summary>GPT-2's pattern: what the ByteLevel pre-tokenizer splits with when <c>use_regex</c> is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly SplitPattern? _split = useRegex ? SplitPattern.ForRegex(Gpt2Pattern) : null;

    /// <inheritdoc/>
    protected override void Split(TextPiece piece, List<TextPiece> into)
    {
        string text = addPrefixSpace && !piece.Text.StartsWith(' ') ? " " + piece.Text : piece.Text;
        var pieces = new List<TextPiece>();
        if (_split is null) pieces.Add(piece with { Text = text });
        else SplitByMatches(piece with { Text = text }, _split.Matches(text), SplitBehavior.Isolated, invert: false, pieces);
        foreach (TextPiece p in pieces) into.Add(p with { Text = ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(p.Text)) });
    }
}

/// <summary><c>Metaspace</c>: spaces become the replacement ("▁"), which is prepended as the scheme says, then split before each.</summary>
internal sealed class MetaspacePreTokenizer(string replacement, MetaspacePrependScheme scheme, bool split) : PreTokenizer
{
    /// <inheritdoc/>
    protected override void Split(TextPiece piece, List<TextPiece> into)
    {
        string text = piece.Text.Replace(" ", replacement, StringComparison.Ordinal);
        bool prepend = scheme == MetaspacePrependScheme.Always || (scheme == MetaspacePrependScheme.First && piece.AtStart);
        if (prepend && !text.StartsWith(replacement, StringComparison.Ordinal)) text = replacement + text;
        var rewritten = piece with { Text = text };
        if (!split)
        {
            if (text.Length > 0) into.Add(rewritten);
            return;
        }
        SplitByMatches(rewritten, SplitPattern.ForString(replacement).Matches(text), SplitBehavior.MergedWithNext, invert: false, into);
    }
}

/// <summary>When Metaspace puts the replacement before a piece.</summary>
internal enum MetaspacePrependScheme
{
    /// <summary>Before every piece.</summary>
    Always,
    /// <summary>Only before the piece that starts the input.</summary>
    First,
    /// <summary>Never.</summary>
    Never,
}
