namespace TestTimeScaling.Torch;

/// <summary>
/// Upper bounds on config.json sizes, checked before anything is allocated. Each is well above any
/// released Llama-family model (the largest: vocab 256k, hidden 16k, 126 layers, 128 heads, head_dim 256,
/// intermediate 53k, context 10M) and low enough that a hostile value cannot overflow the arithmetic
/// that follows. Memory itself is bounded by the loader's limit, not here.
/// </summary>
public static class ConfigLimits
{
    /// <summary>Most tokens in the vocabulary (2^22).</summary>
    public const int MaxVocabSize = 4_194_304;
    /// <summary>Widest hidden state.</summary>
    public const int MaxHiddenSize = 65_536;
    /// <summary>Widest feed-forward layer.</summary>
    public const int MaxIntermediateSize = 1_048_576;
    /// <summary>Most decoder layers.</summary>
    public const int MaxLayers = 1_024;
    /// <summary>Most attention (or key/value) heads.</summary>
    public const int MaxHeads = 1_024;
    /// <summary>Widest attention head.</summary>
    public const int MaxHeadDim = 1_024;
    /// <summary>Longest context (2^24 positions).</summary>
    public const int MaxPositions = 16_777_216;
    /// <summary>Most labels of a token-classification head.</summary>
    public const int MaxLabels = 65_536;
}
