using System.Text.RegularExpressions;

namespace TestTimeScaling.Torch;

/// <summary>
/// Splits text into the pieces BPE runs on, with the semantics of Hugging Face's <c>Split</c> pre-tokenizer
/// in "Isolated" mode: each pattern splits every piece the previous one produced, and both the matches and
/// the text between them become pieces. (Microsoft.ML.Tokenizers' <c>RegexPreTokenizer</c> drops text no
/// match covers, and its <c>CompositePreTokenizer</c> only applies later patterns to the gaps.)
/// </summary>
internal sealed class PieceSplitter
{
    /// <summary>GPT-2's pattern: what the ByteLevel pre-tokenizer splits with when <c>use_regex</c> is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Regex[] _patterns;

    /// <summary>Creates a splitter; with no patterns every text is one piece.</summary>
    public PieceSplitter(IReadOnlyList<Regex> patterns) => _patterns = patterns.ToArray();

    /// <summary>The pieces of <paramref name="text"/> as (offset, length), in order, covering it exactly.</summary>
    public List<(int Offset, int Length)> Split(string text)
    {
        var pieces = new List<(int Offset, int Length)> { (0, text.Length) };
        foreach (Regex pattern in _patterns)
        {
            var next = new List<(int Offset, int Length)>(pieces.Count * 2);
            foreach (var (offset, length) in pieces)
            {
                int position = 0;
                // Matching on the piece alone makes lookarounds see its ends as the ends of input, as HF does.
                foreach (ValueMatch match in pattern.EnumerateMatches(text.AsSpan(offset, length)))
                {
                    if (match.Length == 0) continue;
                    if (match.Index > position) next.Add((offset + position, match.Index - position));
                    next.Add((offset + match.Index, match.Length));
                    position = match.Index + match.Length;
                }
                if (position < length) next.Add((offset + position, length - position));
            }
            pieces = next;
        }
        return pieces;
    }
}
