namespace TestTimeScaling.Torch;

/// <summary>What a <c>tokenizer.json</c> says, as the components <see cref="HfTokenizer"/> runs.</summary>
internal sealed record TokenizerDefinition
{
    /// <summary>The model's vocabulary: token string to id.</summary>
    public required Dictionary<string, int> Vocab { get; init; }

    /// <summary>The BPE model.</summary>
    public required BpeModel Model { get; init; }

    /// <summary>The added tokens (special or not).</summary>
    public required IReadOnlyList<AddedToken> AddedTokens { get; init; }

    /// <summary>The normalizer, if any.</summary>
    public TextNormalizer? Normalizer { get; init; }

    /// <summary>The pre-tokenizer, if any.</summary>
    public PreTokenizer? PreTokenizer { get; init; }

    /// <summary>The decoder, if any (without one, tokens are joined with spaces, as Hugging Face does).</summary>
    public TokenDecoder? Decoder { get; init; }

    /// <summary>The ids the post-processor's template puts before a single text.</summary>
    public IReadOnlyList<int> TemplatePrefix { get; init; } = [];

    /// <summary>The ids the post-processor's template puts after a single text.</summary>
    public IReadOnlyList<int> TemplateSuffix { get; init; } = [];

    /// <summary>Whether the pre-tokenizer writes text in byte-level symbols (the vocabulary then is too).</summary>
    public bool ByteLevel { get; init; }
}
