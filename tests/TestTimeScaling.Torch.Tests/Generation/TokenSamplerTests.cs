using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Generation;

public class TokenSamplerTests
{
    // Probabilities 0.4, 0.25, 0.15, 0.1, 0.05, 0.03, 0.02 over tokens 0..6.
    private static readonly float[] Probabilities = [0.4f, 0.25f, 0.15f, 0.1f, 0.05f, 0.03f, 0.02f];

    private static HashSet<long> Draw(SamplingOptions options, int draws = 3000)
    {
        using var scope = NewDisposeScope();
        var logits = tensor(Probabilities.Select(p => MathF.Log(p)).ToArray()).unsqueeze(0).expand(draws, -1).contiguous();
        using var generator = new Generator(42);
        var (tokens, _) = TokenSampler.Sample(logits, options, generator);
        return [.. tokens];
    }

    [Fact]
    public void TopKNeverEmitsTokensOutsideTheTopK()
    {
        var seen = Draw(new SamplingOptions { TopK = 3 });
        Assert.Subset(new HashSet<long> { 0, 1, 2 }, seen);
        Assert.Equal(3, seen.Count); // and all three do occur in 3000 draws
    }

    [Fact]
    public void TopPKeepsTheSmallestSetReachingP()
    {
        // 0.4 + 0.25 = 0.65 < 0.7, so token 2 is needed too; token 3 is not.
        var seen = Draw(new SamplingOptions { TopP = 0.7 });
        Assert.Subset(new HashSet<long> { 0, 1, 2 }, seen);
        Assert.Contains(2L, seen);
    }

    [Fact]
    public void MinPDropsTokensBelowTheFractionOfTheTopProbability()
    {
        // min_p 0.3 x 0.4 = 0.12: tokens 0, 1, 2 survive.
        var seen = Draw(new SamplingOptions { MinP = 0.3 });
        Assert.Subset(new HashSet<long> { 0, 1, 2 }, seen);
        Assert.Contains(2L, seen);
    }

    [Fact]
    public void TemperatureZeroIsArgmaxAndLogprobsAreTheModels()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0.1f, 2.0f, -1.0f, 1.9f, 0.0f, 0.0f, 0.5f, 0.2f }, [2, 4]);
        using var generator = new Generator(1);
        var (tokens, logprobs) = TokenSampler.Sample(logits, new SamplingOptions { Temperature = 0 }, generator);
        Assert.Equal(new long[] { 1, 2 }, tokens);
        var expected = logits.log_softmax(-1);
        Assert.Equal(expected[0, 1].item<float>(), logprobs[0], 5);
        Assert.Equal(expected[1, 2].item<float>(), logprobs[1], 5);
    }

    [Fact]
    public void GreedyInPlaceMatchesArgmaxAndLogSoftmaxOnALargeVocabularyWithTies()
    {
        using var scope = NewDisposeScope();
        var logits = randn(12, 3000, generator: new Generator(4)) * 3;
        // Row 0: a tie for the best token; argmax picks the first.
        logits[0, 10] = tensor(50f);
        logits[0, 2000] = tensor(50f);
        var expectedTokens = logits.argmax(-1).data<long>().ToArray();
        var expected = logits.log_softmax(-1);
        using var generator = new Generator(1);
        foreach (var input in new[] { logits, logits.t().contiguous().t() })
        {
            var (tokens, logprobs) = TokenSampler.Sample(input, new SamplingOptions { Temperature = 0 }, generator);
            Assert.Equal(expectedTokens, tokens);
            Assert.Equal(10, tokens[0]);
            for (int r = 0; r < 12; r++) Assert.Equal(expected[r, tokens[r]].item<float>(), logprobs[r], 4);
        }
    }

    [Fact]
    public void SameSeedSameDraws()
    {
        using var scope = NewDisposeScope();
        var logits = randn(16, 50);
        var options = new SamplingOptions { Temperature = 0.8 };
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        using var g3 = new Generator(6);
        var a = TokenSampler.Sample(logits, options, g1).Tokens;
        var b = TokenSampler.Sample(logits, options, g2).Tokens;
        var c = TokenSampler.Sample(logits, options, g3).Tokens;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    public void TopPOutsideTheUnitIntervalIsRejected(double topP)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions { TopP = topP }.Validate());
        Assert.Equal("TopP", error.ParamName);
    }
}
