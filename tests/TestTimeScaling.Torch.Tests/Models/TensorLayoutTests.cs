using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>The layout computed from a config alone equals the decoder's own state dict, name for name and shape for shape.</summary>
public class TensorLayoutTests
{
    public static IEnumerable<object[]> Configs()
    {
        foreach (var variant in TinyModels.Variants()) yield return variant;
        yield return ["token-classifier", TinyModels.Llama() with { Architecture = "LlamaForTokenClassification", NumLabels = 2 }];
        yield return ["prm-tied-ignored", TinyModels.Llama() with { Architecture = "Qwen2ForProcessRewardModel", ModelType = "qwen2", NumLabels = 1, TieWordEmbeddings = true }];
        yield return ["mistral-attention-bias-ignored", TinyModels.Llama() with { ModelType = "mistral", Architecture = "MistralForCausalLM", AttentionBias = true, MlpBias = true }];
        yield return ["qwen2-mlp-bias-ignored", TinyModels.Llama() with { ModelType = "qwen2", Architecture = "Qwen2ForCausalLM", MlpBias = true }];
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void LayoutEqualsTheStateDict(string name, ModelConfig config)
    {
        using var model = LlamaDecoder.CreateEmpty(config);
        var actual = model.StateDict().Select(p => (p.Key, string.Join(",", p.Value.shape))).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var layout = TensorLayout.For(config);
        var expected = layout.Select(t => (t.Name, string.Join(",", t.Shape))).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"{name}: layout [{string.Join("; ", expected)}] vs state dict [{string.Join("; ", actual)}]");
        Assert.Equal(layout.Count, layout.Select(t => t.Name).Distinct().Count());
        Assert.Equal(model.parameters().Sum(p => p.numel()), TensorLayout.ParameterCount(config));
    }

    [Fact]
    public void BiasesFollowEachFamily()
    {
        static HashSet<string> Biases(ModelConfig c) => TensorLayout.For(c).Where(t => t.Name.EndsWith(".bias", StringComparison.Ordinal) && t.Name.Contains("layers.0.", StringComparison.Ordinal))
            .Select(t => t.Name["model.layers.0.".Length..]).ToHashSet();
        var llama = TinyModels.Llama() with { AttentionBias = true, MlpBias = true };
        Assert.Equal(["self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias", "self_attn.o_proj.bias", "mlp.gate_proj.bias", "mlp.up_proj.bias", "mlp.down_proj.bias"], Biases(llama));
        Assert.Equal(["self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias"], Biases(llama with { ModelType = "qwen2", AttentionBias = false }));
        Assert.Empty(Biases(llama with { ModelType = "mistral" }));
        Assert.Equal(["self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias", "self_attn.o_proj.bias"], Biases(llama with { ModelType = "qwen3" }));
    }

    [Fact]
    public void ParameterCountOfALargeConfigNeedsNoAllocation()
    {
        // Llama 3.1 405B-like shapes: counted, not built.
        var config = new ModelConfig
        {
            VocabSize = 128256, HiddenSize = 16384, IntermediateSize = 53248, NumHiddenLayers = 126,
            NumAttentionHeads = 128, NumKeyValueHeads = 8, HeadDim = 128, MaxPositionEmbeddings = 131072,
        };
        Assert.Equal(405_853_388_800L, TensorLayout.ParameterCount(config));
    }

    [Theory]
    [InlineData("model.layers.3.self_attn.rotary_emb.inv_freq", true)]
    [InlineData("model.rotary_emb.inv_freq", true)]
    [InlineData("model.layers.0.self_attn.o_proj.bias", false)]
    [InlineData("inv_freq", false)]
    public void OnlyRotaryBuffersAreIgnorable(string name, bool ignored) => Assert.Equal(ignored, TensorLayout.IsIgnoredBuffer(name));
}
