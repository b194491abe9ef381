using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// Both draw methods sample the distribution the options define: draw frequencies over many rows are checked with a
/// chi-square test against the exact truncated distribution computed here in double precision. Seeds are fixed, so the
/// outcome is deterministic; the threshold is the 0.1% critical value, which a wrong distribution exceeds by far.
/// </summary>
public class TokenDrawDistributionTests
{
    private static readonly double[] Probabilities = [0.3, 0.2, 0.15, 0.12, 0.08, 0.06, 0.05, 0.04];

    public static IEnumerable<object[]> Cases()
    {
        foreach (var method in new[] { TokenDrawMethod.InverseCdf, TokenDrawMethod.Multinomial })
        {
            yield return [method, new SamplingOptions()];
            yield return [method, new SamplingOptions { Temperature = 0.7 }];
            yield return [method, new SamplingOptions { Temperature = 1.5, TopK = 5 }];
            yield return [method, new SamplingOptions { TopP = 0.75 }];
            yield return [method, new SamplingOptions { MinP = 0.25 }];
            yield return [method, new SamplingOptions { Temperature = 0.9, TopK = 6, TopP = 0.8, MinP = 0.1 }];
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DrawFrequenciesMatchTheTruncatedDistribution(TokenDrawMethod method, SamplingOptions options)
    {
        const int draws = 40_000;
        double[] expected = Expected(Probabilities, options);
        long[] tokens;
        using (NewDisposeScope())
        {
            var logits = tensor(Probabilities.Select(p => (float)Math.Log(p)).ToArray()).unsqueeze(0).expand(draws, -1).contiguous();
            using var generator = new Generator(7);
            tokens = TokenSampler.Sample(logits, options, generator, method).Tokens;
        }
        var counts = new double[Probabilities.Length];
        foreach (long t in tokens) counts[t]++;

        double chiSquare = 0;
        int categories = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (expected[i] == 0)
            {
                Assert.True(counts[i] == 0, $"token {i} is excluded by {options} but was drawn {counts[i]} times");
                continue;
            }
            double e = expected[i] * draws;
            chiSquare += (counts[i] - e) * (counts[i] - e) / e;
            categories++;
        }
        // 0.1% critical values of chi-square for 1..7 degrees of freedom.
        double[] critical = [10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32];
        Assert.True(chiSquare < critical[categories - 2], $"chi-square {chiSquare:F1} over {categories} tokens for {method} {options}");
    }

    [Fact]
    public void TopPWidensItsCandidatesWhenTheNucleusIsLarge()
    {
        // 600 equally likely tokens: top-p 0.9 keeps 540 of them, far more than the first 64 candidates.
        using var scope = NewDisposeScope();
        var logits = zeros(4000, 600);
        using var generator = new Generator(3);
        long[] tokens = TokenSampler.Sample(logits, new SamplingOptions { TopP = 0.9 }, generator).Tokens;
        Assert.True(tokens.Max() >= 500, $"largest token drawn {tokens.Max()}");
        Assert.True(tokens.Distinct().Count() > 450);
    }

    [Fact]
    public void LogprobsAreTheModelsWhateverTheMethodAndOnlyWhenAsked()
    {
        using var scope = NewDisposeScope();
        var logits = randn(6, 50);
        var expected = logits.log_softmax(-1);
        using var generator = new Generator(11);
        var (tokens, logprobs) = TokenSampler.Sample(logits, new SamplingOptions { Temperature = 0.6, TopK = 10 }, generator);
        for (int row = 0; row < 6; row++) Assert.Equal(expected[row, tokens[row]].item<float>(), logprobs[row], 4);

        var (_, none) = TokenSampler.Sample(logits, new SamplingOptions { IncludeLogprobs = false }, generator);
        Assert.All(none, l => Assert.Equal(0f, l));
    }

    /// <summary>
    /// Large vocabularies draw in two levels (a block of 256, then a token in it), either in place on contiguous CPU
    /// logits or with tensor operations (any other logits, e.g. on a GPU; a non-contiguous view takes that path here).
    /// </summary>
    public static IEnumerable<object[]> TwoLevelCases()
    {
        foreach (bool inPlace in new[] { true, false })
        foreach (int vocab in new[] { 1100, 2048, 3000 })
        {
            yield return [vocab, inPlace, new SamplingOptions()];
            yield return [vocab, inPlace, new SamplingOptions { Temperature = 0.7 }];
            yield return [vocab, inPlace, new SamplingOptions { MinP = 0.25 }];
        }
    }

    /// <summary>
    /// The eight weighted tokens sit at block edges (0, 255, 256, 511, ...) and in the last, zero-padded block of a
    /// vocabulary that is not a multiple of 256; every other token has a small non-zero weight (or none, with
    /// min-p), so a draw that picks the wrong block or the wrong offset inside it shows in the counts.
    /// </summary>
    [Theory]
    [MemberData(nameof(TwoLevelCases))]
    public void TwoLevelDrawFrequenciesMatchTheDistribution(int vocab, bool inPlace, SamplingOptions options)
    {
        Assert.True(vocab >= TokenSampler.TwoLevelVocabulary);
        const int draws = 16_000;
        int[] positions = [0, 255, 256, 511, 700, vocab / 2 + 3, vocab - 2, vocab - 1];
        // The rest of the vocabulary shares 2% of the mass; it is one more category of the test.
        double rest = 0.02, restEach = rest / (vocab - positions.Length);
        var weights = Enumerable.Repeat(restEach, vocab).ToArray();
        for (int i = 0; i < positions.Length; i++) weights[positions[i]] = Probabilities[i] * (1 - rest);
        double[] expected = Expected(weights, options);
        long[] tokens;
        using (NewDisposeScope())
        {
            var row = tensor(weights.Select(p => (float)Math.Log(p)).ToArray());
            // [draws, vocab] either contiguous or as the transpose of a contiguous [vocab, draws].
            var logits = inPlace ? row.unsqueeze(0).expand(draws, -1).contiguous() : row.unsqueeze(1).expand(-1, draws).contiguous().t();
            Assert.Equal(inPlace, logits.is_contiguous());
            using var generator = new Generator(5);
            tokens = TokenSampler.Sample(logits, options with { IncludeLogprobs = false }, generator).Tokens;
        }
        var observed = new double[positions.Length + 1];
        double expectedRest = 1;
        for (int i = 0; i < positions.Length; i++) expectedRest -= expected[positions[i]];
        foreach (long t in tokens)
        {
            Assert.InRange(t, 0, vocab - 1);
            Assert.True(expected[t] > 0, $"token {t} has no weight under {options} but was drawn");
            int at = Array.IndexOf(positions, (int)t);
            observed[at >= 0 ? at : positions.Length]++;
        }
        double chiSquare = 0;
        int categories = 0;
        for (int i = 0; i <= positions.Length; i++)
        {
            double e = (i < positions.Length ? expected[positions[i]] : expectedRest) * draws;
            if (e < 5)
            {
                Assert.True(observed[i] <= 20, $"category {i} expected {e:F2} draws, got {observed[i]}");
                continue;
            }
            chiSquare += (observed[i] - e) * (observed[i] - e) / e;
            categories++;
        }
        double[] critical = [10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12];
        Assert.True(chiSquare < critical[categories - 2], $"chi-square {chiSquare:F1} over {categories} categories, vocabulary {vocab}, {options}");
    }

    [Theory]
    [InlineData(1.0, true)]
    [InlineData(0.8, true)]
    [InlineData(1.0, false)]
    [InlineData(0.8, false)]
    public void TwoLevelLogprobsAreTheModels(double temperature, bool inPlace)
    {
        using var scope = NewDisposeScope();
        var logits = randn(16, 5000, generator: new Generator(2)) * 4;
        if (!inPlace) logits = logits.t().contiguous().t();
        var expected = logits.log_softmax(-1);
        using var generator = new Generator(13);
        var (tokens, logprobs) = TokenSampler.Sample(logits, new SamplingOptions { Temperature = temperature }, generator);
        for (int row = 0; row < 16; row++) Assert.Equal(expected[row, tokens[row]].item<float>(), logprobs[row], 4);
    }

    /// <summary>The distribution after temperature, top-k, top-p and min-p, in that order, computed directly.</summary>
    private static double[] Expected(double[] probabilities, SamplingOptions options)
    {
        double[] logits = probabilities.Select(p => Math.Log(p) / options.Temperature).ToArray();
        double[] w = Normalize(logits.Select(Math.Exp).ToArray());
        int[] order = Enumerable.Range(0, w.Length).OrderByDescending(i => w[i]).ToArray();
        if (options.TopK is int k)
        {
            foreach (int i in order.Skip(k)) w[i] = 0;
            w = Normalize(w);
        }
        if (options.TopP is double p)
        {
            double above = 0;
            foreach (int i in order)
            {
                double mass = w[i];
                if (above >= p) w[i] = 0;
                above += mass;
            }
            w = Normalize(w);
        }
        if (options.MinP is double m)
        {
            double max = w.Max();
            for (int i = 0; i < w.Length; i++) if (w[i] < max * m) w[i] = 0;
            w = Normalize(w);
        }
        return w;
    }

    private static double[] Normalize(double[] w)
    {
        double sum = w.Sum();
        return w.Select(x => x / sum).ToArray();
    }
}
