using TestTimeScaling.Torch;

namespace TestTimeScaling.Torch.Tests.Support;

/// <summary>Small random configurations covering the architecture options.</summary>
internal static class TinyModels
{
    public static ModelConfig Llama(int vocab = 48) => new()
    {
        ModelType = "llama",
        VocabSize = vocab,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 4,
        HeadDim = 8,
        MaxPositionEmbeddings = 64,
        RmsNormEps = 1e-5,
        EosTokenIds = [1],
        BosTokenId = 0,
    };

    /// <summary>The variants the correctness tests sweep: plain, GQA, q/k/v bias (Qwen2), tied embeddings, Llama 3 rope scaling.</summary>
    public static IEnumerable<object[]> Variants()
    {
        yield return ["plain", Llama()];
        yield return ["gqa", Llama() with { NumKeyValueHeads = 2 }];
        yield return ["qwen2-bias", Llama() with { ModelType = "qwen2", Architecture = "Qwen2ForCausalLM", AttentionBias = true, NumKeyValueHeads = 1, RopeTheta = 1e6 }];
        yield return ["tied", Llama() with { TieWordEmbeddings = true }];
        yield return ["llama3-rope", Llama() with { RopeTheta = 500000, RopeScaling = new RopeScaling { RopeType = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 16 } }];
    }

    /// <summary>
    /// A random model with larger weights than the HF init, so logits differ enough for comparisons to mean something.
    /// Biases (zero in the HF init) and Qwen3's q/k norm weights (one) get random values too, so a reference that
    /// ignored them would disagree.
    /// </summary>
    public static LlamaDecoder Random(ModelConfig config, long seed = 1)
    {
        var model = LlamaDecoder.Create(config, seed);
        using (TorchSharp.torch.no_grad())
        {
            var generator = new TorchSharp.torch.Generator((ulong)seed + 1000);
            foreach (var (name, p) in model.named_parameters())
            {
                if (name.EndsWith(".bias", StringComparison.Ordinal)) p.normal_(0.0, 0.5, generator);
                else if (name.EndsWith("q_norm.weight", StringComparison.Ordinal) || name.EndsWith("k_norm.weight", StringComparison.Ordinal)) p.uniform_(0.5, 1.5, generator);
                else if (!name.EndsWith("norm.weight", StringComparison.Ordinal)) p.mul_(10);
            }
        }
        model.eval();
        return model;
    }
}
