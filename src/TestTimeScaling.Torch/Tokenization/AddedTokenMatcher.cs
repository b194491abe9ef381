namespace TestTimeScaling.Torch;

/// <summary>
/// Finds added tokens in text the way Hugging Face's AddedVocabulary does: leftmost-longest matches, then
/// <c>single_word</c> (a match inside a word is skipped), <c>lstrip</c> and <c>rstrip</c> (the match takes the
/// neighbouring whitespace).
/// </summary>
internal sealed class AddedTokenMatcher
{
    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }

    // Hugging Face tests single_word with the Rust regex crate's \w: Alphabetic, marks, decimal digits,
    // connector punctuation and the joiners.
    private static readonly CodePointSet WordCharacters = CodePointSet.Union([OnigurumaPattern.WordSet, CodePointSet.FromRanges([(0x200C, 0x200D)])]);

    private readonly Node _root = new();

    /// <summary>Indexes tokens by the text they are matched with (later entries win on equal text).</summary>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> tokens)
    {
        foreach (var (pattern, token) in tokens)
        {
            if (pattern.Length == 0) continue;
            Node node = _root;
            foreach (char c in pattern)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out Node? child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Token = token;
            IsEmpty = false;
        }
    }

    /// <summary>Whether no token is indexed.</summary>
    public bool IsEmpty { get; } = true;

    /// <summary>Splits text into (start, end, token or null for plain text) parts covering it.</summary>
    public List<(int Start, int End, AddedToken? Token)> Split(string text)
    {
        var parts = new List<(int, int, AddedToken?)>();
        int plainStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            var (token, length) = LongestAt(text, i);
            if (token is null) { i++; continue; }
            int start = i, stop = i + length;
            if (token.SingleWord && ((start > 0 && IsWordChar(text, start, before: true)) || (stop < text.Length && IsWordChar(text, stop, before: false))))
            {
                // The Aho-Corasick search resumes after the skipped match.
                i = stop;
                continue;
            }
            if (token.LeftStrip)
            {
                while (start > plainStart && IsWhiteSpaceBefore(text, start, out int width)) start -= width;
            }
            if (token.RightStrip)
            {
                while (stop < text.Length && IsWhiteSpaceAt(text, stop, out int width)) stop += width;
            }
            if (start > plainStart) parts.Add((plainStart, start, null));
            parts.Add((start, stop, token));
            plainStart = i = stop;
        }
        if (plainStart < text.Length) parts.Add((plainStart, text.Length, null));
        return parts;
    }

    private (AddedToken? Token, int Length) LongestAt(string text, int start)
    {
        Node node = _root;
        AddedToken? best = null;
        int bestLength = 0;
        for (int j = start; j < text.Length; j++)
        {
            if (node.Children is null || !node.Children.TryGetValue(text[j], out Node? child)) break;
            node = child;
            if (node.Token is not null) { best = node.Token; bestLength = j - start + 1; }
        }
        return (best, bestLength);
    }

    private static bool IsWordChar(string text, int index, bool before)
    {
        int cp;
        if (before)
        {
            int at = index - 1;
            if (char.IsLowSurrogate(text[at]) && at > 0 && char.IsHighSurrogate(text[at - 1])) at--;
            cp = CodePoints.At(text, at, out _);
        }
        else
        {
            cp = CodePoints.At(text, index, out _);
        }
        return WordCharacters.Contains(cp);
    }

    private static bool IsWhiteSpaceBefore(string text, int index, out int width)
    {
        width = 1;
        return CodePointSet.IsWhiteSpace(text[index - 1]);
    }

    private static bool IsWhiteSpaceAt(string text, int index, out int width)
    {
        width = 1;
        return CodePointSet.IsWhiteSpace(text[index]);
    }
}
