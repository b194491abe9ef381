using TestTimeScaling.Torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>The random Llama configurations the side-by-side suite runs (fp32, 32k vocabulary, untied head, GQA).</summary>
internal static class PeerModels
{
    /// <summary>About 22.6 M parameters: width 256, 8 layers.</summary>
    public static ModelConfig Small { get; } = new()
    {
        VocabSize = 32000, HiddenSize = 256, IntermediateSize = 704, NumHiddenLayers = 8,
        NumAttentionHeads = 8, NumKeyValueHeads = 4, HeadDim = 32, MaxPositionEmbeddings = 2048,
        RmsNormEps = 1e-5,
    };

    /// <summary>About 124.7 M parameters: width 768, 12 layers (GPT-2-small sized).</summary>
    public static ModelConfig Base { get; } = new()
    {
        VocabSize = 32000, HiddenSize = 768, IntermediateSize = 2048, NumHiddenLayers = 12,
        NumAttentionHeads = 12, NumKeyValueHeads = 4, HeadDim = 64, MaxPositionEmbeddings = 2048,
        RmsNormEps = 1e-5,
    };

    public static ModelConfig ByName(string name) => name switch
    {
        "22.6M" => Small,
        "124.7M" => Base,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown peer model."),
    };
}
