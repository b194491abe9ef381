using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>The torch decoder equals an independent loop-by-loop reference of the Hugging Face definition (max |logit diff| &lt;= 1e-4).</summary>
public class ReferenceForwardTests
{
    public static IEnumerable<object[]> AllVariants() => TinyModels.Variants().Concat(TinyModels.ReferenceOnlyVariants());

    [Theory]
    [MemberData(nameof(AllVariants))]
    public void TorchForwardMatchesTheReference(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = TinyModels.Random(config);
        var tokens = DecoderCacheTests.RandomTokens(config.VocabSize, 12, seed: 8);
        var expected = new ReferenceLlama(model).Forward(tokens);
        var actual = model.Forward(DecoderCacheTests.Ids(tokens))[0].to(ScalarType.Float64);
        double maxDiff = 0;
        for (int t = 0; t < tokens.Length; t++)
            for (int v = 0; v < expected[t].Length; v++)
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[t][v] - actual[t, v].item<double>()));
        Assert.True(maxDiff <= 1e-4, $"{name}: max |logit diff| vs reference = {maxDiff:E3}");
        Assert.True(expected.SelectMany(r => r).Max(Math.Abs) > 1e-2, $"{name}: reference logits are all ~0");
    }
}
