using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using static TestTimeScaling.Torch.Tests.Models.DecoderCacheTests;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// Rows forked from one row share its tokens (one segment, read once per step by cascade attention): the numbers must
/// be those of dense attention over private copies, the memory that of the prompt once, and every segment freed.
/// </summary>
public class SharedPrefixCacheTests
{
    /// <summary>Shared-prefix (cascade) attention against dense attention over the same tokens: max |logit diff| relative to the logits' scale.</summary>
    private const double CascadeTolerance = 1e-5;

    public static IEnumerable<object[]> Variants() => TinyModels.Variants()
        .Where(v => (string)v[0] is "plain" or "gqa" or "qwen2-bias" or "qwen3" or "mistral-sliding" or "qwen2-layer-types" or "llama3-rope");

    [Theory]
    [MemberData(nameof(Variants))]
    public void SharedPrefixAttentionMatchesDenseAttention(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = TinyModels.Random(config);
        var prompt = RandomTokens(config.VocabSize, 9, 50);
        int[][] own = [RandomTokens(config.VocabSize, 3, 51), RandomTokens(config.VocabSize, 1, 52), RandomTokens(config.VocabSize, 4, 53)];

        // Shared: the prompt once, forked to three rows. Dense: three private copies of the same prompt.
        using var shared = new KvCache(config, rows: 1, capacity: 24, CPU, ScalarType.Float32) { MinSharedTokens = 0 };
        model.Forward(Ids(prompt), shared, [prompt.Length]);
        shared.SelectRows([0, 0, 0]);
        Assert.Equal(1, shared.SegmentCount);
        Assert.Equal(new long[] { 9, 9, 9 }, shared.SharedLengths);
        using var dense = new KvCache(config, rows: 3, capacity: 24, CPU, ScalarType.Float32);
        model.Forward(Repeat(prompt, 3), dense, [9, 9, 9]);
        Assert.Equal(0, dense.SegmentCount);

        // A ragged prefill of each row's own tokens (padding included), then decode steps.
        var valid = own.Select(t => (long)t.Length).ToArray();
        var a = model.ForwardAll(Padded(own), shared, valid);
        var b = model.ForwardAll(Padded(own), dense, valid);
        for (int r = 0; r < 3; r++)
            AssertCascadeClose(b[r, ..(int)valid[r]], a[r, ..(int)valid[r]], $"{name}: ragged prefill row {r}");
        for (int step = 0; step < 3; step++)
        {
            var next = Ids([5 + step, 7 + step, 11 + step]).view(3, 1);
            AssertCascadeClose(model.Forward(next, dense, [1, 1, 1]), model.Forward(next, shared, [1, 1, 1]), $"{name}: decode step {step}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ForkedDecodeMatchesFullForwardOfEachSequence(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = TinyModels.Random(config);
        var prompt = RandomTokens(config.VocabSize, 8, 60);
        using var cache = new KvCache(config, rows: 1, capacity: 14, CPU, ScalarType.Float32) { MinSharedTokens = 0 };
        model.Forward(Ids(prompt), cache, [prompt.Length]);
        cache.SelectRows([0, 0, 0, 0]);

        var sequences = Enumerable.Range(0, 4).Select(_ => prompt.ToList()).ToArray();
        for (int step = 0; step < 5; step++)
        {
            int[] next = [.. Enumerable.Range(0, 4).Select(r => 2 + (r * 11 + step * 5) % (config.VocabSize - 2))];
            for (int r = 0; r < 4; r++) sequences[r].Add(next[r]);
            var logits = model.Forward(Ids(next).view(4, 1), cache, [1, 1, 1, 1]);
            for (int r = 0; r < 4; r++) AssertClose(LastLogits(model, [.. sequences[r]]), logits[r], $"{name}: step {step} row {r}");
        }
        Assert.Equal(1, cache.SegmentCount);
    }

    [Fact]
    public void ReorderDuplicateAndTruncateIntoThePrefixMatchRecomputation()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var prompt = RandomTokens(config.VocabSize, 7, 70);
        using var cache = new KvCache(config, rows: 1, capacity: 20, CPU, ScalarType.Float32) { MinSharedTokens = 0 };
        model.Forward(Ids(prompt), cache, [prompt.Length]);
        cache.SelectRows([0, 0, 0]);
        int[][] own = [RandomTokens(config.VocabSize, 2, 71), RandomTokens(config.VocabSize, 4, 72), RandomTokens(config.VocabSize, 3, 73)];
        model.ForwardAll(Padded(own), cache, own.Select(t => (long)t.Length).ToArray());
        var sequences = own.Select(t => (int[])[.. prompt, .. t]).ToList();

        // Reorder, duplicate a row that already shares the prompt (only its own 4 tokens are copied), drop row 0.
        cache.SelectRows([2, 1, 1, 1]);
        sequences = [sequences[2], sequences[1], sequences[1], sequences[1]];
        Assert.Equal(1, cache.SegmentCount);
        cache.Truncate(2, 4);  // into the shared prompt: the row now reads 4 of its 7 shared tokens
        cache.Truncate(3, 0);  // all gone: the row lets go of the segment
        sequences[2] = sequences[2][..4];
        sequences[3] = [];
        Assert.Equal(new long[] { 7, 7, 4, 0 }, cache.SharedLengths);

        // Continue: row 3 refills from nothing, the others append, then one decode step for all.
        int[][] more = [[3], [9, 4], [12, 13, 14], RandomTokens(config.VocabSize, 5, 74)];
        var valid = more.Select(t => (long)t.Length).ToArray();
        var all = model.ForwardAll(Padded(more), cache, valid);
        for (int r = 0; r < 4; r++)
        {
            sequences[r] = [.. sequences[r], .. more[r]];
            AssertClose(LastLogits(model, sequences[r]), all[r, (int)valid[r] - 1], $"after select/truncate, row {r}");
        }
        var logits = model.Forward(Ids([2, 3, 4, 5]).view(4, 1), cache, [1, 1, 1, 1]);
        for (int r = 0; r < 4; r++) AssertClose(LastLogits(model, [.. sequences[r], 2 + r]), logits[r], $"decode after select/truncate, row {r}");
    }

    [Fact]
    public void ShortRowsAreCopiedUnlessTheThresholdAllowsSharing()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama();
        using var model = TinyModels.Random(config);
        var prompt = RandomTokens(config.VocabSize, 10, 88);
        using var cache = new KvCache(config, rows: 1, capacity: 16, CPU, ScalarType.Float32);
        Assert.Equal(KvCache.DefaultMinSharedTokens, cache.MinSharedTokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.MinSharedTokens = -1);
        model.Forward(Ids(prompt), cache, [prompt.Length]);
        cache.SelectRows([0, 0, 0]);            // 2 x 10 tokens saved: below the default, copied
        Assert.Equal(0, cache.SegmentCount);
        cache.MinSharedTokens = 20;
        var copy = cache.CopyRows([1, 1, 1]);   // 2 x 10 reaches 20: shared, and the copy keeps the setting
        Assert.Equal(1, copy.SegmentCount);
        Assert.Equal(20, copy.MinSharedTokens);
        var logits = model.Forward(Ids([4, 5, 6]).view(3, 1), copy, [1, 1, 1]);
        for (int r = 0; r < 3; r++) AssertClose(LastLogits(model, [.. prompt, 4 + r]), logits[r], $"row {r}");
        copy.Dispose();
    }

    [Fact]
    public void ALoneRowTakesItsSharedTokensBack()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var prompt = RandomTokens(config.VocabSize, 6, 85);
        using var cache = new KvCache(config, rows: 1, capacity: 12, CPU, ScalarType.Float32) { MinSharedTokens = 0 };
        model.Forward(Ids(prompt), cache, [prompt.Length]);
        cache.SelectRows([0, 0, 0]);
        model.Forward(Ids([3, 4, 5]).view(3, 1), cache, [1, 1, 1]);
        var copy = cache.CopyRows([1]); // the copy shares the segment with the original rows: it stays shared
        Assert.Equal(1, copy.SegmentCount);
        cache.SelectRows([2]);          // still shared with the copy
        Assert.Equal(1, cache.SegmentCount);
        copy.Dispose();
        cache.SelectRows([0]);          // now the only row that reads it: folded back into the row
        Assert.Equal(0, cache.SegmentCount);
        Assert.Equal(12, cache.SuffixWidth);
        var logits = model.Forward(Ids([9]), cache, [1]);
        AssertClose(LastLogits(model, [.. prompt, 5, 9]), logits[0], "lone row");
    }

    [Fact]
    public void CopiesAndConcatenationShareSegmentsAndMixWithPlainRows()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        int[] p = RandomTokens(config.VocabSize, 6, 80), q = RandomTokens(config.VocabSize, 5, 81), z = RandomTokens(config.VocabSize, 4, 82);
        var first = new KvCache(config, rows: 1, capacity: 12, CPU, ScalarType.Float32) { MinSharedTokens = 0 };
        model.Forward(Ids(p), first, [p.Length]);
        first.SelectRows([0, 0]);
        var second = new KvCache(config, rows: 1, capacity: 16, CPU, ScalarType.Float32) { MinSharedTokens = 0 };
        model.Forward(Ids(q), second, [q.Length]);
        second.SelectRows([0, 0, 0]);
        var plain = new KvCache(config, rows: 1, capacity: 10, CPU, ScalarType.Float32);
        model.Forward(Ids(z), plain, [z.Length]);

        var copy = first.CopyRows([1, 0]);
        // Rows: p, p (copy) | q, q, q | z | p, p (original); segments: p, q; row 5 has none.
        using var merged = KvCache.Concatenate([copy, second, plain, first]);
        Assert.Equal(2, merged.SegmentCount);
        Assert.Equal(16, merged.Capacity);
        // Eight rows' own slots (plus scratch), and the two prompts once each, though four and three rows read them.
        Assert.Equal((8L * (merged.SuffixWidth + 1) + p.Length + q.Length) * merged.BytesPerToken, merged.AllocatedBytes);
        int[][] sequences = [p, p, q, q, q, z, p, p];
        int[] next = [3, 4, 5, 6, 7, 8, 9, 10];
        var logits = model.Forward(Ids(next).view(8, 1), merged, Enumerable.Repeat(1L, 8).ToArray());
        for (int r = 0; r < 8; r++) AssertClose(LastLogits(model, [.. sequences[r], next[r]]), logits[r], $"merged row {r}");
    }

    [Fact]
    public void PromptForkedTo64RowsHoldsThePromptOnce()
    {
        // The case: a 512-token prompt forked to 64 rows that generate 16 tokens each (capacity = prompt +
        // new tokens, as the engine sizes it). Ideal: the prompt once plus every generated token.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyModels.Llama(vocab: 64) with { NumKeyValueHeads = 2, MaxPositionEmbeddings = 1024 };
        using var model = TinyModels.Random(config);
        const int Prompt = 512, Rows = 64, New = 16;
        var prompt = RandomTokens(config.VocabSize, Prompt, 90);
        using var cache = new KvCache(config, rows: 1, capacity: Prompt + New, CPU, ScalarType.Float32);
        model.Forward(Ids(prompt), cache, [Prompt]);
        cache.SelectRows(Enumerable.Repeat(0, Rows).ToList());
        long forked = cache.AllocatedBytes;
        for (int step = 0; step < New; step++)
        {
            var next = Enumerable.Range(0, Rows).Select(r => (long)(2 + (r + step) % 60)).ToArray();
            using var logits = model.Forward(tensor(next, [Rows, 1], dtype: ScalarType.Int64), cache, Enumerable.Repeat(1L, Rows).ToArray());
        }
        Assert.Equal(forked, cache.AllocatedBytes); // nothing grew: the fork sized each row's own part to what the capacity leaves
        double ideal = (Prompt + (double)Rows * New) * cache.BytesPerToken;
        double copied = (double)Rows * (Prompt + New + 1) * cache.BytesPerToken;
        Assert.True(cache.AllocatedBytes <= 1.2 * ideal,
            $"{cache.AllocatedBytes} bytes held, {cache.AllocatedBytes / ideal:F3}x the ideal {ideal} (a copy per row would be {copied / ideal:F1}x)");
        Assert.Equal(1, cache.SegmentCount);
    }

    [Fact]
    public void SegmentsAreFreedWithTheirLastRow()
    {
        using var _ = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var prompt = RandomTokens(config.VocabSize, 6, 95);
        using (var warmUp = new KvCache(config, rows: 1, capacity: 8, CPU, ScalarType.Float32))
            model.Forward(Ids(prompt), warmUp, [prompt.Length]).Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        KvSegment segment;
        using (var scope = NewDisposeScope())
        {
            var cache = new KvCache(config, rows: 1, capacity: 16, CPU, ScalarType.Float32) { MinSharedTokens = 0 };
            model.Forward(Ids(prompt), cache, [prompt.Length]).Dispose();
            cache.SelectRows([0, 0, 0]);
            segment = cache.SegmentOf(0)!;
            Assert.Equal(3, segment.References);
            var copy = cache.CopyRows([2, 2]);          // copies reference the same segment
            Assert.Equal(5, segment.References);
            cache.SelectRows([1]);                      // two rows dropped
            cache.Truncate(0, 0);                       // the last row of the original lets go
            Assert.Equal(2, segment.References);
            model.Forward(Ids([4, 5]).view(2, 1), copy, [1, 1]).Dispose();
            var other = new KvCache(config, rows: 1, capacity: 8, CPU, ScalarType.Float32);
            using var merged = KvCache.Concatenate([copy, other]); // disposes copy and other, keeps their references
            Assert.Equal(2, segment.References);
            cache.Dispose();
        }
        Assert.Equal(0, segment.References);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private static Tensor Repeat(int[] tokens, int rows) =>
        tensor(Enumerable.Range(0, rows).SelectMany(_ => tokens.Select(t => (long)t)).ToArray(), [rows, tokens.Length], dtype: ScalarType.Int64);

    private static Tensor Padded(int[][] sequences)
    {
        int width = sequences.Max(s => s.Length);
        var ids = new long[sequences.Length * width];
        for (int r = 0; r < sequences.Length; r++)
            for (int t = 0; t < sequences[r].Length; t++) ids[r * width + t] = sequences[r][t];
        return tensor(ids, [sequences.Length, width], dtype: ScalarType.Int64);
    }

    private static void AssertCascadeClose(Tensor dense, Tensor cascade, string what)
    {
        double scale = Math.Max(1.0, dense.abs().max().item<float>());
        double diff = (dense - cascade).abs().max().item<float>();
        Assert.True(diff <= CascadeTolerance * scale, $"{what}: max |logit diff| = {diff:E3} > {CascadeTolerance:E0} x {scale:F1}");
        Assert.True(dense.abs().max().item<float>() > 1e-3, $"{what}: logits are all ~0");
    }
}
