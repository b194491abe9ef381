using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// The cache must never change the numbers: every cached path is compared with a full forward pass
/// over the whole sequence without a cache. Tolerance: max |logit difference| &lt;= 1e-4.
/// </summary>
public class DecoderCacheTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Variants() => TinyModels.Variants();

    [Theory]
    [MemberData(nameof(Variants))]
    public void IncrementalDecodeMatchesFullForward(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = TinyModels.Random(config);
        var sequence = RandomTokens(config.VocabSize, 14, seed: 3);
        var full = model.Forward(Ids(sequence)); // [1, T, V]

        using var cache = new KvCache(config, rows: 1, capacity: 20, CPU, ScalarType.Float32);
        // A chunk of 5 tokens, then one token at a time.
        var chunk = model.Forward(Ids(sequence[..5]), cache, [5]);
        AssertClose(full[0, 4], chunk[0], $"{name}: prefill chunk");
        for (int t = 5; t < sequence.Length; t++)
        {
            var step = model.Forward(Ids([sequence[t]]), cache, [1]);
            AssertClose(full[0, t], step[0], $"{name}: position {t}");
        }
        Assert.Equal(sequence.Length, cache.Lengths[0]);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void RaggedBatchMatchesEachSequenceAlone(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = TinyModels.Random(config);
        int[][] sequences = [RandomTokens(config.VocabSize, 3, 10), RandomTokens(config.VocabSize, 9, 11), RandomTokens(config.VocabSize, 6, 12)];

        using var cache = new KvCache(config, rows: 3, capacity: 16, CPU, ScalarType.Float32);
        var logits = model.Forward(Padded(sequences), cache, sequences.Select(s => (long)s.Length).ToArray());
        for (int r = 0; r < 3; r++) AssertClose(LastLogits(model, sequences[r]), logits[r], $"{name}: prefill row {r}");

        // Two more decode steps with the rows at different lengths.
        for (int step = 0; step < 2; step++)
        {
            var next = sequences.Select((s, r) => (r * 7 + step * 3 + 2) % config.VocabSize).ToArray();
            sequences = sequences.Select((s, r) => s.Append(next[r]).ToArray()).ToArray();
            logits = model.Forward(Ids(next).view(3, 1), cache, [1, 1, 1]);
            for (int r = 0; r < 3; r++) AssertClose(LastLogits(model, sequences[r]), logits[r], $"{name}: decode step {step} row {r}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ForkedRowsMatchSeparatePrefills(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = TinyModels.Random(config);
        var prompt = RandomTokens(config.VocabSize, 7, 5);
        using var cache = new KvCache(config, rows: 1, capacity: 12, CPU, ScalarType.Float32);
        model.Forward(Ids(prompt), cache, [prompt.Length]);

        cache.SelectRows([0, 0, 0, 0]);
        int[] next = [2, 9, 17, 30];
        var logits = model.Forward(Ids(next).view(4, 1), cache, [1, 1, 1, 1]);
        for (int r = 0; r < 4; r++)
            AssertClose(LastLogits(model, [.. prompt, next[r]]), logits[r], $"{name}: fork {r}");
    }

    [Fact]
    public void ReorderDuplicateAndTruncateThenContinueMatchRecomputation()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        int[][] sequences = [RandomTokens(config.VocabSize, 8, 20), RandomTokens(config.VocabSize, 5, 21), RandomTokens(config.VocabSize, 6, 22)];
        using var cache = new KvCache(config, rows: 3, capacity: 16, CPU, ScalarType.Float32);
        model.Forward(Padded(sequences), cache, sequences.Select(s => (long)s.Length).ToArray());

        cache.SelectRows([2, 0, 0]); // reorder, duplicate row 0, drop row 1
        cache.Truncate(1, 3);         // the duplicate forgets all but its first 3 tokens
        Assert.Equal(new long[] { 6, 3, 8 }, cache.Lengths);

        int[] next = [4, 11, 25];
        var logits = model.Forward(Ids(next).view(3, 1), cache, [1, 1, 1]);
        AssertClose(LastLogits(model, [.. sequences[2], 4]), logits[0], "reordered row");
        AssertClose(LastLogits(model, [.. sequences[0][..3], 11]), logits[1], "truncated duplicate");
        AssertClose(LastLogits(model, [.. sequences[0], 25]), logits[2], "duplicate");
    }

    [Fact]
    public void CopyConcatenateAndGrowKeepContents()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama();
        using var model = TinyModels.Random(config);
        int[][] sequences = [RandomTokens(config.VocabSize, 4, 30), RandomTokens(config.VocabSize, 6, 31)];
        var cache = new KvCache(config, rows: 2, capacity: 8, CPU, ScalarType.Float32);
        model.Forward(Padded(sequences), cache, [4, 6]);

        var copy = cache.CopyRows([1]);
        using var merged = KvCache.Concatenate([copy, cache]); // rows: seq1, seq0, seq1
        merged.EnsureCapacity(20);
        Assert.Equal(20, merged.Capacity);
        var logits = model.Forward(Ids([3, 3, 3]).view(3, 1), merged, [1, 1, 1]);
        AssertClose(LastLogits(model, [.. sequences[1], 3]), logits[0], "copied row");
        AssertClose(LastLogits(model, [.. sequences[0], 3]), logits[1], "original row 0");
        AssertClose(LastLogits(model, [.. sequences[1], 3]), logits[2], "original row 1");
    }

    [Fact]
    public void SlidingWindowWithRowsFarApartKeepsPaddingFinite()
    {
        // Row 0 is far ahead of row 1 and pads a chunk for row 1: its padding queries sit past every key of
        // their window. No output may be NaN (padding outputs are discarded, but must not poison anything)
        // and the real rows must match the full forward.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama() with { ModelType = "mistral", Architecture = "MistralForCausalLM", SlidingWindow = 3 };
        using var model = TinyModels.Random(config);
        int[][] sequences = [RandomTokens(config.VocabSize, 10, 40), RandomTokens(config.VocabSize, 1, 41)];
        using var cache = new KvCache(config, rows: 2, capacity: 24, CPU, ScalarType.Float32);
        model.Forward(Padded(sequences), cache, [10, 1]);

        int[] more = RandomTokens(config.VocabSize, 6, 42);
        // Row 0 takes one real token (the other five pad), row 1 takes six.
        long[] flat = [.. Enumerable.Repeat((long)more[0], 6), .. more.Select(t => (long)t)];
        var ids = tensor(flat, [2, 6], dtype: ScalarType.Int64);
        var all = model.ForwardAll(ids, cache, [1, 6]);
        Assert.False(all.isnan().any().item<bool>(), "NaN in the outputs of a padded sliding-window step");
        AssertClose(LastLogits(model, [.. sequences[0], more[0]]), all[0, 0], "row 0 (padded)");
        AssertClose(LastLogits(model, [.. sequences[1], .. more]), all[1, 5], "row 1");
    }

    [Fact]
    public void DynamicRopeUnderTheCacheFollowsTransformersPerCallFrequencies()
    {
        // Past max_position_embeddings dynamic NTK frequencies depend on the call's length, and cached keys keep
        // the rotation of the call that computed them (transformers does the same). The reference rotates each
        // token with the frequencies of its own call: the 5-token prefill, then one call per decoded token.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama() with { MaxPositionEmbeddings = 4, RopeScaling = new RopeScaling { RopeType = "dynamic", Factor = 3 } };
        using var model = TinyModels.Random(config);
        var sequence = RandomTokens(config.VocabSize, 12, seed: 44);
        int[] callLength = [.. Enumerable.Repeat(5, 5), .. Enumerable.Range(6, 7)];
        var expected = new ReferenceLlama(model).Forward(sequence, callLength);

        using var cache = new KvCache(config, rows: 1, capacity: 16, CPU, ScalarType.Float32);
        var logits = new List<Tensor> { model.Forward(Ids(sequence[..5]), cache, [5]) };
        for (int t = 5; t < sequence.Length; t++) logits.Add(model.Forward(Ids([sequence[t]]), cache, [1]));
        for (int i = 0; i < logits.Count; i++)
        {
            int t = i + 4;
            var reference = tensor(expected[t], dtype: ScalarType.Float64).to(ScalarType.Float32);
            AssertClose(reference, logits[i][0], $"dynamic rope, position {t}");
        }
        // And it is a different function from one full forward over the sequence (the caveat is real).
        double gap = (model.Forward(Ids(sequence))[0, sequence.Length - 1] - logits[^1][0]).abs().max().item<float>();
        Assert.True(gap > 1e-3, $"cached and full dynamic-rope logits differ by only {gap:E3}");
    }

    [Fact]
    public void WritingPastCapacityIsAnError()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama();
        using var model = TinyModels.Random(config);
        using var cache = new KvCache(config, rows: 1, capacity: 4, CPU, ScalarType.Float32);
        model.Forward(Ids([2, 3, 4, 5]), cache, [4]);
        var error = Assert.Throws<InvalidOperationException>(() => model.Forward(Ids([6]), cache, [1]));
        Assert.Contains("capacity", error.Message);
    }

    internal static int[] RandomTokens(int vocab, int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(2, vocab)).ToArray();
    }

    internal static Tensor Ids(int[] tokens) => tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length], dtype: ScalarType.Int64);

    private static Tensor Padded(int[][] sequences)
    {
        int width = sequences.Max(s => s.Length);
        var ids = new long[sequences.Length * width];
        for (int r = 0; r < sequences.Length; r++)
            for (int t = 0; t < sequences[r].Length; t++) ids[r * width + t] = sequences[r][t];
        return tensor(ids, [sequences.Length, width], dtype: ScalarType.Int64);
    }

    internal static Tensor LastLogits(LlamaDecoder model, int[] sequence) => model.Forward(Ids(sequence))[0, sequence.Length - 1];

    internal static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= Tolerance, $"{what}: max |logit diff| = {diff:E3} > {Tolerance:E0}");
        // Guard against a vacuous pass on all-zero outputs.
        Assert.True(expected.abs().max().item<float>() > 1e-3, $"{what}: logits are all ~0");
    }
}
