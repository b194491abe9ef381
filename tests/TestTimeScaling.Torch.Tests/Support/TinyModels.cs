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

    /// <summary>
    /// The variants the correctness tests sweep (reference forward, cached decode, ragged batches, forks, tensor layout):
    /// plain, GQA, q/k/v bias (Qwen2), tied embeddings, every rope type that does not depend on the sequence length,
    /// Llama attention_bias (q/k/v/o) and mlp_bias, explicit head_dim, partial rotary, sliding windows (Mistral: every
    /// layer; Qwen2: layers from max_window_layers; Qwen2 layer_types), and Qwen3 (q/k norm, explicit head_dim, biases).
    /// </summary>
    public static IEnumerable<object[]> Variants()
    {
        yield return ["plain", Llama()];
        yield return ["gqa", Llama() with { NumKeyValueHeads = 2 }];
        yield return ["qwen2-bias", Llama() with { ModelType = "qwen2", Architecture = "Qwen2ForCausalLM", AttentionBias = true, NumKeyValueHeads = 1, RopeTheta = 1e6 }];
        yield return ["tied", Llama() with { TieWordEmbeddings = true }];
        yield return ["llama3-rope", Llama() with { RopeTheta = 500000, RopeScaling = new RopeScaling { RopeType = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 16 } }];
        yield return ["linear-rope", Llama() with { RopeScaling = new RopeScaling { RopeType = "linear", Factor = 4 } }];
        yield return ["dynamic-rope-within-context", Llama() with { RopeScaling = new RopeScaling { RopeType = "dynamic", Factor = 2 } }];
        yield return ["yarn-rope", Llama() with { RopeScaling = new RopeScaling { RopeType = "yarn", Factor = 4, OriginalMaxPositionEmbeddings = 16 } }];
        yield return ["yarn-mscale", Llama() with { HeadDim = 16, RopeTheta = 500, RopeScaling = new RopeScaling { RopeType = "yarn", Factor = 8, OriginalMaxPositionEmbeddings = 32, BetaFast = 16, BetaSlow = 2, Mscale = 0.707, MscaleAllDim = 1.2, Truncate = false } }];
        yield return ["llama-attention-bias", Llama() with { AttentionBias = true, NumKeyValueHeads = 2 }];
        yield return ["llama-mlp-bias", Llama() with { MlpBias = true }];
        yield return ["head-dim-explicit", Llama() with { HeadDim = 12, NumKeyValueHeads = 2 }];
        yield return ["partial-rotary", Llama() with { PartialRotaryFactor = 0.5, RopeScaling = new RopeScaling { RopeType = "linear", Factor = 2 } }];
        yield return ["mistral-sliding", Llama() with { ModelType = "mistral", Architecture = "MistralForCausalLM", SlidingWindow = 4, NumKeyValueHeads = 2 }];
        yield return ["qwen2-sliding", Llama() with { ModelType = "qwen2", Architecture = "Qwen2ForCausalLM", UseSlidingWindow = true, SlidingWindow = 3, MaxWindowLayers = 1 }];
        yield return ["qwen2-layer-types", Llama() with { ModelType = "qwen2", Architecture = "Qwen2ForCausalLM", UseSlidingWindow = true, SlidingWindow = 5, LayerTypes = ["sliding_attention", "full_attention"] }];
        yield return ["qwen3", Llama() with { ModelType = "qwen3", Architecture = "Qwen3ForCausalLM", HeadDim = 16, NumKeyValueHeads = 2, AttentionBias = true, UseSlidingWindow = true, SlidingWindow = 6, MaxWindowLayers = 1 }];
    }

    /// <summary>
    /// Variants only the reference-forward test sweeps: each hidden_act, and dynamic NTK scaling past
    /// max_position_embeddings (whose frequencies depend on the length of the call, so a cached decode does not
    /// equal a full forward: transformers behaves the same way; see docs/model-support.md).
    /// </summary>
    public static IEnumerable<object[]> ReferenceOnlyVariants()
    {
        foreach (var act in new[] { "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "relu2", "swish" })
            yield return [$"act-{act}", Llama() with { HiddenAct = act }];
        yield return ["dynamic-rope-scaled", Llama() with { MaxPositionEmbeddings = 8, RopeScaling = new RopeScaling { RopeType = "dynamic", Factor = 3 } }];
        yield return ["dynamic-rope-partial", Llama() with { MaxPositionEmbeddings = 5, PartialRotaryFactor = 0.75, HeadDim = 8, RopeScaling = new RopeScaling { RopeType = "dynamic", Factor = 2 } }];
        yield return ["token-classifier", Llama() with { Architecture = "LlamaForTokenClassification", NumLabels = 2 }];
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
