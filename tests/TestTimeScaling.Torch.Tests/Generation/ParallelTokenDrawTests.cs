using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// The draw shared among threads and with fused block weights gives the bits of the one-thread draw it replaced
/// (<see cref="SequentialTokenDraw"/>): tokens and logprobs, at every thread count, row count and vocabulary shape.
/// Seeds pin the main job's tokens, so "close" is not enough.
/// </summary>
public class ParallelTokenDrawTests
{
    public static TheoryData<int, int, double, double> Shapes => new()
    {
        // rows, vocabulary, temperature, min-p: one row (split into slices), a few rows (slices), many rows (whole
        // rows per thread); vocabularies below one vector, below one block, odd past a block, not a multiple of 256.
        { 1, 5, 1.0, 0 },
        { 32, 23, 0.8, 0 }, // the main job's shape: the arithmetic policy's 23 tokens at temperature 0.8
        { 3, 255, 0.7, 0 },
        { 1, 32000, 1.0, 0 },
        { 1, 50257, 0.8, 0.05 },
        { 2, 5003, 1.0, 0.1 },
        { 3, 20011, 1.3, 0 },
        { 7, 4099, 0.6, 0.02 },
        { 64, 32000, 1.0, 0 },
        { 65, 1031, 1.0, 0.05 },
        { 128, 2053, 0.9, 0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DrawMatchesTheOneThreadDrawBitForBit(int rows, int vocab, double temperature, double minP)
    {
        using var scope = NewDisposeScope();
        var logits = RandomLogits(rows, vocab, seed: rows * 7919 + vocab);
        var uniforms = Uniforms(rows, seed: vocab);
        var expectedLogprobs = new float[rows];
        long[] expected = SequentialTokenDraw.Draw(logits, temperature, minP, uniforms, expectedLogprobs);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var logprobs = new float[rows];
            long[] tokens = CpuTokenDraw.Draw(logits, temperature, minP, uniforms, logprobs, threads);
            Assert.Equal(expected, tokens);
            AssertSameBits(expectedLogprobs, logprobs, $"{threads} threads");
            // Without logprobs the same tokens come (the untempered sums are skipped, nothing else).
            Assert.Equal(expected, CpuTokenDraw.Draw(logits, temperature, minP, uniforms, null, threads));
        }
    }

    [Theory]
    [InlineData(1, 32000)]
    [InlineData(3, 5003)]
    [InlineData(64, 8000)]
    [InlineData(129, 257)]
    public void GreedyMatchesTheOneThreadGreedyBitForBit(int rows, int vocab)
    {
        using var scope = NewDisposeScope();
        var logits = RandomLogits(rows, vocab, seed: vocab + rows);
        var expectedLogprobs = new float[rows];
        long[] expected = SequentialTokenDraw.Greedy(logits, expectedLogprobs);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var logprobs = new float[rows];
            Assert.Equal(expected, CpuTokenDraw.Greedy(logits, logprobs, threads));
            AssertSameBits(expectedLogprobs, logprobs, $"{threads} threads");
            Assert.Equal(expected, CpuTokenDraw.Greedy(logits, null, threads));
        }
    }

    /// <summary>
    /// Many rows of many shapes against the one-thread draw: about one token in a few hundred moves when a single
    /// weight or the order of two sums changes, so a few thousand rows catch any change of the arithmetic.
    /// </summary>
    [Fact]
    public void ThousandsOfRandomRowsDrawTheSameTokens()
    {
        int mismatches = 0, rowsSeen = 0;
        var random = new Random(11);
        for (int round = 0; round < 12; round++)
        {
            using var scope = NewDisposeScope();
            int rows = 1 + random.Next(256), vocab = 300 + random.Next(12000);
            double temperature = round % 3 == 0 ? 1.0 : 0.5 + random.NextDouble();
            double minP = round % 4 == 1 ? 0.01 : 0;
            var logits = RandomLogits(rows, vocab, seed: round);
            var uniforms = Uniforms(rows, seed: 100 + round);
            var expectedLogprobs = new float[rows];
            long[] expected = SequentialTokenDraw.Draw(logits, temperature, minP, uniforms, expectedLogprobs);
            var logprobs = new float[rows];
            long[] tokens = CpuTokenDraw.Draw(logits, temperature, minP, uniforms, logprobs, threads: 2);
            for (int r = 0; r < rows; r++)
            {
                if (tokens[r] != expected[r] || BitConverter.SingleToInt32Bits(logprobs[r]) != BitConverter.SingleToInt32Bits(expectedLogprobs[r])) mismatches++;
            }
            rowsSeen += rows;
        }
        Assert.True(rowsSeen > 1000, $"only {rowsSeen} rows");
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void RowsWithoutWeightOrWithSignedZeroMaximaMatchTheOneThreadDraw()
    {
        using var scope = NewDisposeScope();
        const int vocab = 2048;
        var data = new float[2 * vocab];
        // Row 0: nothing but -inf (no weight anywhere). Row 1: negative logits with -0 in its first half and +0 in its
        // second, so the maximum of the slices' maxima depends on which zero wins.
        Array.Fill(data, float.NegativeInfinity, 0, vocab);
        for (int i = 0; i < vocab; i++) data[vocab + i] = -1 - i % 5;
        data[vocab + 10] = -0f;
        data[vocab + vocab - 10] = 0f;
        var logits = tensor(data, [2, vocab]);
        float[] uniforms = [0.3f, 0.999f];
        var expectedLogprobs = new float[2];
        long[] expected = SequentialTokenDraw.Draw(logits, 1.0, 0, uniforms, expectedLogprobs);
        var logprobs = new float[2];
        Assert.Equal(expected, CpuTokenDraw.Draw(logits, 1.0, 0, uniforms, logprobs, threads: 2));
        AssertSameBits(expectedLogprobs, logprobs, "2 threads");
    }

    [Fact]
    public void FusedBlockWeightsAreTensorPrimitivesBitForBit()
    {
        var random = new Random(3);
        var buffer = new float[TokenDrawJob.BlockSize];
        foreach (int length in new[] { 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 47, 100, 255, 256 })
        foreach (float inverse in new[] { 1f, 1 / 0.7f, 2.5f })
        {
            var part = new float[length];
            for (int i = 0; i < length; i++)
            {
                part[i] = (random.Next(12)) switch
                {
                    0 => float.NegativeInfinity,
                    1 => -200 * random.NextSingle(),
                    2 => -0f,
                    _ => 30 * random.NextSingle() - 25,
                };
            }
            float max = part.Where(float.IsFinite).DefaultIfEmpty(0).Max();
            var expected = new float[length];
            TensorPrimitives.Subtract(part, max, expected);
            if (inverse != 1) TensorPrimitives.Multiply(expected, inverse, expected);
            TensorPrimitives.Exp(expected, expected);
            var weights = BlockWeights.Exp(part, max, inverse, buffer);
            AssertSameBits(expected, weights.ToArray(), $"length {length}, inverse {inverse}");

            var dropped = expected.ToArray();
            for (int i = 0; i < dropped.Length; i++) if (dropped[i] < 0.01f) dropped[i] = 0;
            BlockWeights.DropBelow(weights, 0.01f);
            AssertSameBits(dropped, weights.ToArray(), $"min-p, length {length}");
        }
    }

    [Fact]
    public void TheRowMaximumIsTensorPrimitivesMaxBitForBit()
    {
        var random = new Random(5);
        foreach (int length in new[] { 1, 7, 31, 32, 33, 100, 257, 4099 })
        foreach (int special in new[] { -1, 0, 1, 2, 3, 4 })
        {
            var values = Enumerable.Range(0, length).Select(_ => -1 - 50 * random.NextSingle()).ToArray();
            int at = random.Next(length);
            switch (special)
            {
                case 0: values[at] = float.NaN; break;
                case 1 or 4 when length >= 64:
                    // Both zeros in the same lane of the same running maximum, in either order: the max instruction
                    // keeps one of them by operand position, whichever way the JIT orders the operands.
                    values[0] = special == 1 ? 0f : -0f;
                    values[32] = special == 1 ? -0f : 0f;
                    break;
                case 1: values[at] = -0f; values[length - 1 - at] = 0f; break;
                case 2: values[at] = float.NegativeInfinity; values[length / 2] = 3; break;
                case 3: Array.Fill(values, float.NegativeInfinity); break;
            }
            float expected = TensorPrimitives.Max<float>(values), actual = LogitsMaximum.Of(values);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                $"length {length}, case {special}: {actual:R}, expected {expected:R}");
        }
    }

    /// <summary>Logits like a model's: a spread of 3 with a few strong tokens, and some -inf entries (masked tokens).</summary>
    private static Tensor RandomLogits(int rows, int vocab, int seed)
    {
        using var generator = new Generator((ulong)seed);
        var logits = randn(rows, vocab, generator: generator) * 3;
        var kind = rand(rows, vocab, generator: generator);
        logits = logits.masked_fill(kind < 0.005, float.NegativeInfinity);
        return logits.masked_fill(kind > 0.995, 10);
    }

    private static float[] Uniforms(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => random.NextSingle()).ToArray();
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
