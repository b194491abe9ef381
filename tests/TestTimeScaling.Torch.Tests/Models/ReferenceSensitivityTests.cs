using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// The reference comparison can fail: an implementation that dropped a config key (o_proj bias, sliding
/// window, YaRN's attention factor, the exact GELU) would move the logits at least ten times the 1e-4 tolerance.
/// Each case compares the reference on the real config with the reference on the config minus that key.
/// </summary>
public class ReferenceSensitivityTests
{
    public static IEnumerable<object[]> Mutations()
    {
        var llama = TinyModels.Llama();
        yield return ["o_proj bias ignored", llama with { AttentionBias = true }, "zero o_proj.bias"];
        yield return ["mlp bias ignored", llama with { MlpBias = true }, "zero mlp biases"];
        yield return ["sliding window ignored", llama with { ModelType = "mistral", Architecture = "MistralForCausalLM", SlidingWindow = 4 }, "no window"];
        yield return ["qwen2 sliding layers ignored", llama with { ModelType = "qwen2", Architecture = "Qwen2ForCausalLM", UseSlidingWindow = true, SlidingWindow = 3, MaxWindowLayers = 1 }, "no window"];
        yield return ["yarn attention factor ignored", llama with { RopeScaling = new RopeScaling { RopeType = "yarn", Factor = 4, OriginalMaxPositionEmbeddings = 16 } }, "attention factor 1"];
        yield return ["exact gelu replaced by tanh", llama with { HiddenAct = "gelu" }, "gelu_pytorch_tanh"];
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void DroppingTheKeyMovesTheLogitsFarBeyondTheTolerance(string name, ModelConfig config, string mutation)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = TinyModels.Random(config);
        var tokens = DecoderCacheTests.RandomTokens(config.VocabSize, 12, seed: 8);
        var expected = new ReferenceLlama(model).Forward(tokens);

        LlamaDecoder mutated;
        switch (mutation)
        {
            case "zero o_proj.bias" or "zero mlp biases":
                mutated = TinyModels.Random(config);
                foreach (var (key, p) in mutated.StateDict())
                    if (key.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
                break;
            case "no window":
                mutated = Copy(model, config with { SlidingWindow = null, UseSlidingWindow = false });
                break;
            case "attention factor 1":
                mutated = Copy(model, config with { RopeScaling = config.RopeScaling! with { AttentionFactor = 1.0 } });
                break;
            default:
                mutated = Copy(model, config with { HiddenAct = mutation });
                break;
        }
        using (mutated)
        {
            var wrong = new ReferenceLlama(mutated).Forward(tokens);
            double diff = expected.Zip(wrong, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
            Assert.True(diff > 1e-3, $"{name}: the reference moved only {diff:E3}");
        }
    }

    private static LlamaDecoder Copy(LlamaDecoder model, ModelConfig config)
    {
        var copy = LlamaDecoder.Create(config);
        var source = model.StateDict();
        foreach (var (key, p) in copy.StateDict()) p.copy_(source[key]);
        return copy;
    }
}
