using System.Text;
using System.Text.RegularExpressions;

namespace TestTimeScaling.Torch;

/// <summary>What a byte-level BPE <c>tokenizer.json</c> says, reduced to the parts <see cref="HfTokenizer"/> implements.</summary>
internal sealed record TokenizerDefinition
{
    /// <summary>The BPE vocabulary, keyed by byte-level symbol strings.</summary>
    public required Dictionary<string, int> Vocab { get; init; }

    /// <summary>The merges, highest priority first.</summary>
    public required IReadOnlyList<(string Left, string Right)> Merges { get; init; }

    /// <summary>The added tokens (special or not).</summary>
    public required IReadOnlyList<AddedToken> AddedTokens { get; init; }

    /// <summary>The split patterns of the pre-tokenizer, applied in order, each keeping matches and the text between them.</summary>
    public required IReadOnlyList<Regex> SplitPatterns { get; init; }

    /// <summary>ByteLevel <c>add_prefix_space</c>: a space is put before text that does not start with one.</summary>
    public bool AddPrefixSpace { get; init; }

    /// <summary>BPE <c>ignore_merges</c>: a piece that is itself in the vocabulary is emitted whole.</summary>
    public bool IgnoreMerges { get; init; }

    /// <summary>The Unicode normalization of the normalizer, if any.</summary>
    public NormalizationForm? Normalization { get; init; }

    /// <summary>BPE <c>unk_token</c>.</summary>
    public string? UnknownToken { get; init; }

    /// <summary>BPE <c>continuing_subword_prefix</c>.</summary>
    public string? ContinuingSubwordPrefix { get; init; }

    /// <summary>BPE <c>end_of_word_suffix</c>.</summary>
    public string? EndOfWordSuffix { get; init; }

    /// <summary>The special token the post-processor template puts before the text (Llama 3's BOS), if any.</summary>
    public string? TemplatePrefixToken { get; init; }
}
