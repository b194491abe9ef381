using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// The managed decode step against the torch path on twin caches: the same prefill (torch), then the same decode steps
/// through each; the logits must agree within 1e-5 of their largest magnitude and the caches must hold the same keys
/// and values. Neither path is switched globally: the tests call each one directly.
/// </summary>
public class ManagedDecodeStepTests
{
    private const double Tolerance = 1e-5;

    /// <summary>Every variant the cache tests sweep, each accepted hidden_act, and the score head.</summary>
    public static IEnumerable<object[]> Variants()
    {
        foreach (var variant in TinyModels.Variants()) yield return variant;
        foreach (var act in new[] { "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "relu2", "swish" })
            yield return [$"act-{act}", TinyModels.Llama() with { HiddenAct = act }];
        yield return ["token-classifier", TinyModels.Llama() with { Architecture = "LlamaForTokenClassification", NumLabels = 3 }];
        yield return ["qwen3-tied-gqa", TinyModels.Llama() with { ModelType = "qwen3", Architecture = "Qwen3ForCausalLM", HeadDim = 16, NumKeyValueHeads = 1, TieWordEmbeddings = true }];
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void EqualsTheTorchStepForEveryVariant(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = TinyModels.Random(config);
        var (torchCache, managedCache) = PrefilledTwins(model, config, [3, 9, 6], capacity: 24, seed: 50);
        using (torchCache)
        using (managedCache)
        {
            // Six steps take the longest row to 15 tokens: past every sliding window of the variants.
            for (int step = 0; step < 6; step++)
                StepBoth(model, torchCache, managedCache, [(step * 5 + 2) % config.VocabSize, (step * 7 + 3) % config.VocabSize, (step * 11 + 4) % config.VocabSize], $"{name}, step {step}");
        }
    }

    /// <summary>1 .. <see cref="Gemv.MaxRows"/>: every row count the step takes.</summary>
    public static IEnumerable<object[]> RowCounts() => Enumerable.Range(1, Gemv.MaxRows).Select(r => new object[] { r });

    [Theory]
    [MemberData(nameof(RowCounts))]
    public void EqualsTheTorchStepForEveryRowCountUpToTheLimit(int rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var lengths = Enumerable.Range(0, rows).Select(r => 1 + (r * 5) % 11).ToArray();
        var (torchCache, managedCache) = PrefilledTwins(model, config, lengths, capacity: 16, seed: 60 + rows);
        using (torchCache)
        using (managedCache)
        {
            for (int step = 0; step < 3; step++)
                StepBoth(model, torchCache, managedCache, Enumerable.Range(0, rows).Select(r => (r * 13 + step * 3 + 2) % config.VocabSize).ToArray(), $"{rows} rows, step {step}");
        }
    }

    /// <summary>Past the few-row products: the 4x3 blocks with 4x2 and 4x1 tails, up to <see cref="ManagedDecodeStep.MaxRows"/>.</summary>
    [Theory]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(ManagedDecodeStep.MaxRows)]
    public void EqualsTheTorchStepForManyRows(int rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var lengths = Enumerable.Range(0, rows).Select(r => 1 + (r * 7) % 13).ToArray();
        var (torchCache, managedCache) = PrefilledTwins(model, config, lengths, capacity: 16, seed: 300 + rows);
        using (torchCache)
        using (managedCache)
        {
            for (int step = 0; step < 2; step++)
                StepBoth(model, torchCache, managedCache, Enumerable.Range(0, rows).Select(r => (r * 17 + step * 5 + 1) % config.VocabSize).ToArray(), $"{rows} rows, step {step}");
        }
    }

    [Theory]
    [InlineData(33)]
    [InlineData(64)]
    public void EqualsTheTorchStepForManyForkedRowsThenReorderedAndTruncated(int rows)
    {
        // The engine's batched call: one prompt prefilled once and forked into many rows over one shared segment; then a
        // search's rebuild (reorder, duplicate, drop) and a truncation into the shared part.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var (torchCache, managedCache) = PrefilledTwins(model, config, [9], capacity: 20, seed: 400 + rows);
        using (torchCache)
        using (managedCache)
        {
            foreach (var cache in new[] { torchCache, managedCache })
            {
                cache.MinSharedTokens = 0;
                cache.SelectRows(new int[rows]);
            }
            Assert.Equal(1, managedCache.SegmentCount);
            int Token(int r, int step) => (r * 11 + step * 7 + 3) % config.VocabSize;
            for (int step = 0; step < 2; step++)
                StepBoth(model, torchCache, managedCache, Enumerable.Range(0, rows).Select(r => Token(r, step)).ToArray(), $"{rows} forks, step {step}");
            // Reverse the rows, duplicate the first and drop the last; then one fork forgets all but 5 tokens.
            int[] order = [0, .. Enumerable.Range(1, rows - 1).Reverse()];
            foreach (var cache in new[] { torchCache, managedCache })
            {
                cache.SelectRows(order);
                cache.Truncate(3, 5);
            }
            Assert.Equal(5, managedCache.Lengths[3]);
            for (int step = 2; step < 4; step++)
                StepBoth(model, torchCache, managedCache, Enumerable.Range(0, rows).Select(r => Token(r, step)).ToArray(), $"{rows} forks after the rebuild, step {step}");
        }
    }

    /// <summary>
    /// Attention's blocked scores (eight keys at a time) and register-held weighted sums give the bits of one key at a
    /// time: same sums in the same order. Head sizes 104 (a block of 64, one of 32 and a vector), 40 (one block of 32
    /// and a vector) and 16 (vectors only), shared segments of 11 keys (a block and a tail), own suffixes growing past 8,
    /// a sliding window. Groups of 2, 3, 4 and 5 query heads per kv head take the kernels that do two or three heads at
    /// once (4: three, then one alone; 5: three, then two), each in its AVX2 form and, where the machine has AVX-512, its
    /// wide form too (head size 96, no multiple of 64, takes the AVX2 form either way).
    /// </summary>
    [Theory]
    [InlineData(104, 4, null)]
    [InlineData(40, 4, null)]
    [InlineData(16, 4, 13)]
    [InlineData(128, 8, null)]
    [InlineData(64, 6, 13)]
    [InlineData(32, 4, 13)]
    [InlineData(64, 10, null)]
    [InlineData(96, 6, null)]
    public void BlockedAttentionGivesTheBitsOfOneKeyAtATime(int headDim, int heads, int? window)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { HeadDim = headDim, NumAttentionHeads = heads, NumKeyValueHeads = 2 };
        if (window is { } w) config = config with { ModelType = "mistral", Architecture = "MistralForCausalLM", SlidingWindow = w };
        using var model = TinyModels.Random(config);
        var (blockedCache, plainCache) = PrefilledTwins(model, config, [11], capacity: 30, seed: 500 + headDim);
        using (blockedCache)
        using (plainCache)
        {
            foreach (var cache in new[] { blockedCache, plainCache })
            {
                cache.MinSharedTokens = 0;
                cache.SelectRows([0, 0, 0]);
            }
            bool saved = ManagedAttention.Blocked, savedWide = ManagedAttention.Wide;
            try
            {
                for (int step = 0; step < 12; step++)
                {
                    using var ids = tensor(new long[] { 3 + step, 5 + step, 7 + step }, [3, 1]);
                    ManagedAttention.Blocked = true;
                    // Odd steps take the AVX2 form on an AVX-512 machine (each step's blocked run reads the same cache).
                    ManagedAttention.Wide = savedWide && step % 2 == 0;
                    using var blocked = model.TryManagedStep(ids, blockedCache, [1, 1, 1]);
                    ManagedAttention.Blocked = false;
                    using var plain = model.TryManagedStep(ids, plainCache, [1, 1, 1]);
                    Assert.Equal(plain!.data<float>().ToArray(), blocked!.data<float>().ToArray());
                }
            }
            finally
            {
                ManagedAttention.Blocked = saved;
                ManagedAttention.Wide = savedWide;
            }
        }
    }

    [Fact]
    public void EqualsTheTorchStepAfterReorderDuplicateDropAndTruncate()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { ModelType = "mistral", Architecture = "MistralForCausalLM", SlidingWindow = 4, NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var (torchCache, managedCache) = PrefilledTwins(model, config, [8, 5, 6], capacity: 20, seed: 70);
        using (torchCache)
        using (managedCache)
        {
            StepBoth(model, torchCache, managedCache, [4, 5, 6], "before the rebuild");
            foreach (var cache in new[] { torchCache, managedCache })
            {
                cache.SelectRows([2, 0, 0, 1]); // reorder, duplicate row 0 (copied: far below MinSharedTokens), keep row 1 last
                cache.Truncate(1, 3);            // the duplicate forgets all but 3 tokens
            }
            Assert.Equal(new long[] { 7, 3, 9, 6 }, managedCache.Lengths);
            for (int step = 0; step < 3; step++)
                StepBoth(model, torchCache, managedCache, [7 + step, 8 + step, 9 + step, 10 + step], $"after the rebuild, step {step}");
        }
    }

    [Fact]
    public void EqualsTheTorchStepWhenTheSuffixWidthGrowsAndAfterCopyAndConcatenate()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 1 };
        using var model = TinyModels.Random(config);
        var (torchCache, managedCache) = PrefilledTwins(model, config, [4, 6], capacity: 6, seed: 80);
        // Row 1 is full at capacity 6: more capacity, and the next write must widen the suffix slots.
        var twins = new[] { torchCache, managedCache }.Select(cache =>
        {
            var copy = cache.CopyRows([1, 0]);
            var merged = KvCache.Concatenate([copy, cache]);
            merged.EnsureCapacity(12);
            return merged;
        }).ToArray();
        using (twins[0])
        using (twins[1])
        {
            for (int step = 0; step < 4; step++)
                StepBoth(model, twins[0], twins[1], [2 + step, 3 + step, 4 + step, 5 + step], $"step {step}");
        }
    }

    [Fact]
    public void ForwardTakesTheManagedStepAndMatchesAFullForward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var sequence = DecoderCacheTests.RandomTokens(config.VocabSize, 10, seed: 90);
        var full = model.Forward(DecoderCacheTests.Ids(sequence));
        using var cache = new KvCache(config, rows: 1, capacity: 12, CPU, ScalarType.Float32);
        model.Forward(DecoderCacheTests.Ids(sequence[..4]), cache, [4]);
        for (int t = 4; t < sequence.Length; t++)
        {
            // The step qualifies, so Forward's result is the managed one (a twin cache proves it is the same).
            using var twin = cache.CopyRows([0]);
            var managed = model.TryManagedStep(DecoderCacheTests.Ids([sequence[t]]), twin, [1]);
            Assert.NotNull(managed);
            var logits = model.Forward(DecoderCacheTests.Ids([sequence[t]]), cache, [1]);
            if (ManagedDecodeStep.Enabled) Assert.Equal(0.0, (logits - managed).abs().max().item<float>());
            AssertClose(full[0, t], logits[0], $"position {t}");
        }
    }

    [Fact]
    public void LeavesNoTensorAliveButItsResult()
    {
        using var noGrad = no_grad();
        var config = TinyModels.Llama();
        using var model = TinyModels.Random(config);
        using var cache = new KvCache(config, rows: 2, capacity: 8, CPU, ScalarType.Float32);
        using (var prefill = model.Forward(tensor(new long[] { 2, 3, 4, 5 }, [2, 2]), cache, [2, 2])) { }
        using var ids = tensor(new long[] { 6, 7 }, [2, 1]);
        using (model.TryManagedStep(ids, cache, [1, 1])) { } // the first call takes the weights' addresses
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var logits = model.TryManagedStep(ids, cache, [1, 1]);
        Assert.NotNull(logits);
        Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        logits.Dispose();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void DeclinesWhatItDoesNotHandleAndLeavesTheCacheAlone()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama();
        using var model = TinyModels.Random(config);

        // Two tokens per row (a prefill chunk).
        using var cache = new KvCache(config, rows: 1, capacity: 4, CPU, ScalarType.Float32);
        Assert.Null(model.TryManagedStep(tensor(new long[] { 2, 3 }, [1, 2]), cache, [2]));
        Assert.Equal(0, cache.Lengths[0]);

        // More rows than the step takes.
        using var wide = new KvCache(config, rows: ManagedDecodeStep.MaxRows + 1, capacity: 4, CPU, ScalarType.Float32);
        Assert.Null(model.TryManagedStep(full([ManagedDecodeStep.MaxRows + 1, 1], 2L, ScalarType.Int64), wide, Enumerable.Repeat(1L, ManagedDecodeStep.MaxRows + 1).ToArray()));

        // Autograd on.
        using (var grad = enable_grad())
            Assert.Null(model.TryManagedStep(tensor(new long[] { 2 }, [1, 1]), cache, [1]));

        // A full row: the torch path raises its capacity error.
        model.Forward(tensor(new long[] { 2, 3, 4, 5 }, [1, 4]), cache, [4]);
        Assert.Null(model.TryManagedStep(tensor(new long[] { 6 }, [1, 1]), cache, [1]));
        Assert.Throws<InvalidOperationException>(() => model.Forward(tensor(new long[] { 6 }, [1, 1]), cache, [1]));
    }

    /// <summary>Variants whose attention differs in how it reads keys: plain, GQA, sliding (window inside and past the shared part), Qwen3.</summary>
    public static IEnumerable<object[]> SharingVariants()
    {
        yield return ["plain", TinyModels.Llama()];
        yield return ["gqa", TinyModels.Llama() with { NumKeyValueHeads = 2 }];
        yield return ["mistral-sliding-3", TinyModels.Llama() with { ModelType = "mistral", Architecture = "MistralForCausalLM", SlidingWindow = 3, NumKeyValueHeads = 2 }];
        yield return ["mistral-sliding-9", TinyModels.Llama() with { ModelType = "mistral", Architecture = "MistralForCausalLM", SlidingWindow = 9 }];
        yield return ["qwen3", TinyModels.Llama() with { ModelType = "qwen3", Architecture = "Qwen3ForCausalLM", HeadDim = 16, NumKeyValueHeads = 2, AttentionBias = true, UseSlidingWindow = true, SlidingWindow = 6, MaxWindowLayers = 1 }];
        yield return ["head-dim-12", TinyModels.Llama() with { HeadDim = 12, NumKeyValueHeads = 2 }];
    }

    [Theory]
    [MemberData(nameof(SharingVariants))]
    public void EqualsTheCascadeOfTheTorchPathForRowsThatShareSegments(string name, ModelConfig config)
    {
        // Two prompts, each forked into a shared segment (MinSharedTokens 0), stacked with a row of its own; one fork
        // truncated into its shared part. The torch path attends through cascade attention, the managed step reads the
        // segments in place: both must agree.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = TinyModels.Random(config);
        var twins = new KvCache[2];
        for (int twin = 0; twin < 2; twin++)
        {
            var (first, firstTwin) = PrefilledTwins(model, config, [7], capacity: 20, seed: 110);
            var (second, secondTwin) = PrefilledTwins(model, config, [5], capacity: 20, seed: 120);
            var (alone, aloneTwin) = PrefilledTwins(model, config, [4], capacity: 20, seed: 130);
            foreach (var c in new[] { firstTwin, secondTwin, aloneTwin }) c.Dispose();
            first.MinSharedTokens = second.MinSharedTokens = 0;
            first.SelectRows([0, 0, 0]);
            second.SelectRows([0, 0]);
            twins[twin] = KvCache.Concatenate([first, alone, second]);
            twins[twin].Truncate(2, 4); // the third fork of the first prompt keeps 4 of its 7 shared tokens
        }
        using var torchCache = twins[0];
        using var managedCache = twins[1];
        Assert.Equal(2, managedCache.SegmentCount);
        Assert.Equal(new long[] { 7, 7, 4, 0, 5, 5 }, managedCache.SharedLengths);
        for (int step = 0; step < 5; step++)
            StepBoth(model, torchCache, managedCache, Enumerable.Range(0, 6).Select(r => (r * 5 + step * 3 + 2) % config.VocabSize).ToArray(), $"{name}, step {step}");
        Assert.Equal(new long[] { 7, 7, 4, 0, 5, 5 }, managedCache.SharedLengths);
    }

    [Fact]
    public void DynamicRopePastTheContextGoesToTheTorchPath()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { MaxPositionEmbeddings = 6, RopeScaling = new RopeScaling { RopeType = "dynamic", Factor = 2 } };
        using var model = TinyModels.Random(config);
        var (torchCache, managedCache) = PrefilledTwins(model, config, [4], capacity: 10, seed: 95);
        using (torchCache)
        using (managedCache)
        {
            // Positions 4 and 5 stay within the context (default frequencies): managed.
            StepBoth(model, torchCache, managedCache, [7], "position 4");
            StepBoth(model, torchCache, managedCache, [8], "position 5");
            // Position 6 makes the call 7 long, past max_position_embeddings: declined.
            Assert.Null(model.TryManagedStep(tensor(new long[] { 9 }, [1, 1]), managedCache, [1]));
        }
    }

    [Fact]
    public void FollowsWeightsChangedInPlaceAndRetakesReplacedOnes()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { AttentionBias = true, NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        var (torchCache, managedCache) = PrefilledTwins(model, config, [5, 3], capacity: 16, seed: 98);
        using (torchCache)
        using (managedCache)
        {
            StepBoth(model, torchCache, managedCache, [2, 3], "before any change");

            // An optimizer-style update writes the same memory: the kept addresses see it.
            using (var factor = 1.5.ToScalar())
                foreach (var (name, p) in model.named_parameters())
                    if (name.Contains("proj.weight", StringComparison.Ordinal)) p.mul_(factor);
            StepBoth(model, torchCache, managedCache, [4, 5], "after an in-place update");

            // Module.to replaces every parameter: the fused groups come apart and the step declines until they are
            // fused again, then it takes the new tensors' addresses.
            model.to(ScalarType.Float64);
            model.to(ScalarType.Float32);
            using (var ids = tensor(new long[] { 6, 7 }, [2, 1]))
                Assert.Null(model.TryManagedStep(ids, managedCache, [1, 1]));
            model.Backbone.Fuse();
            StepBoth(model, torchCache, managedCache, [6, 7], "after the parameters were replaced and fused again");
        }
    }

    [Fact]
    public void AnOutOfRangeTokenIdIsAnErrorNamingInputIds()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama();
        using var model = TinyModels.Random(config);
        using var cache = new KvCache(config, rows: 1, capacity: 4, CPU, ScalarType.Float32);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.TryManagedStep(tensor(new long[] { config.VocabSize }, [1, 1]), cache, [1]));
        Assert.Equal("inputIds", error.ParamName);
        Assert.Equal(0, cache.Lengths[0]);
    }

    [Fact]
    public void ARotaryPositionOffByOneFailsTheComparison()
    {
        // The mutation: the managed step's frequencies scaled by (p + 1) / p, so the new token rotates as if it sat
        // one position later (the cached keys, prefilled by torch, stay right). The comparison must see it.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama();
        using var model = TinyModels.Random(config);
        const int position = 6;
        var (torchCache, managedCache) = PrefilledTwins(model, config, [position], capacity: 10, seed: 97);
        using (torchCache)
        using (managedCache)
        {
            using var ids = tensor(new long[] { 5 }, [1, 1]);
            var expected = model.TorchStep(ids, torchCache, [1]);
            using (var factor = ((position + 1.0) / position).ToScalar())
                model.Backbone.Rotary.InverseFrequencies.mul_(factor);
            var shifted = model.TryManagedStep(ids, managedCache, [1]);
            Assert.NotNull(shifted);
            double diff = (expected - shifted).abs().max().item<float>();
            double scale = expected.abs().max().item<float>();
            Assert.True(diff > 10 * Tolerance * scale, $"a rotary off by one moved the logits by only {diff:E3} (scale {scale:E3})");
        }
    }

    [Fact]
    public void ConcurrentStepsOnOneDecoderEqualEachAlone()
    {
        // Each thread takes its own scratch buffers; the weights are shared and only read. The prefills run first, on
        // this thread: only the managed steps run concurrently.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        const int Threads = 4, StepCount = 20;
        var caches = Enumerable.Range(0, Threads + 2).Select(i => Prefilled(model, config, seed: 200 + i % 2)).ToArray();
        var results = new float[Threads][];
        var threads = Enumerable.Range(0, Threads).Select(i => new Thread(() =>
        {
            using var threadScope = NewDisposeScope();
            using var threadNoGrad = no_grad();
            results[i] = Run(model, caches[i], StepCount);
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        var alone = new[] { Run(model, caches[Threads], StepCount), Run(model, caches[Threads + 1], StepCount) };
        for (int i = 0; i < Threads; i++) Assert.Equal(alone[i % 2], results[i]);
        foreach (var cache in caches) cache.Dispose();

        static KvCache Prefilled(LlamaDecoder model, ModelConfig config, int seed)
        {
            var cache = new KvCache(config, rows: 2, capacity: 32, CPU, ScalarType.Float32);
            var tokens = DecoderCacheTests.RandomTokens(config.VocabSize, 8, seed);
            using var input = tensor(tokens.Select(t => (long)t).ToArray(), [2, 4]);
            model.Forward(input, cache, [4, 4]).Dispose();
            return cache;
        }

        // The logits of every step, flattened.
        static float[] Run(LlamaDecoder model, KvCache cache, int steps)
        {
            var all = new List<float>();
            for (int s = 0; s < steps; s++)
            {
                using var ids = tensor(new long[] { 2 + s % 7, 3 + s % 5 }, [2, 1]);
                using var logits = model.TryManagedStep(ids, cache, [1, 1]) ?? throw new InvalidOperationException("declined");
                all.AddRange(logits.data<float>().ToArray());
            }
            return [.. all];
        }
    }

    /// <summary>Two caches holding the same ragged prefill (through the torch path) of random prompts of these lengths.</summary>
    private static (KvCache Torch, KvCache Managed) PrefilledTwins(LlamaDecoder model, ModelConfig config, int[] lengths, int capacity, int seed)
    {
        int rows = lengths.Length, width = lengths.Max();
        var ids = new long[rows * width];
        for (int r = 0; r < rows; r++)
        {
            var prompt = DecoderCacheTests.RandomTokens(config.VocabSize, lengths[r], seed + r);
            for (int t = 0; t < prompt.Length; t++) ids[r * width + t] = prompt[t];
        }
        using var input = tensor(ids, [rows, width]);
        var valid = lengths.Select(l => (long)l).ToArray();
        var torchCache = new KvCache(config, rows, capacity, CPU, ScalarType.Float32);
        var managedCache = new KvCache(config, rows, capacity, CPU, ScalarType.Float32);
        model.TorchStep(input, torchCache, valid).Dispose();
        model.TorchStep(input, managedCache, valid).Dispose();
        return (torchCache, managedCache);
    }

    /// <summary>One token per row through each path; the logits and the caches they leave must agree.</summary>
    private static void StepBoth(LlamaDecoder model, KvCache torchCache, KvCache managedCache, int[] next, string what)
    {
        using var ids = tensor(next.Select(t => (long)t).ToArray(), [next.Length, 1]);
        var ones = Enumerable.Repeat(1L, next.Length).ToArray();
        using var expected = model.TorchStep(ids, torchCache, ones);
        using var actual = model.TryManagedStep(ids, managedCache, ones);
        Assert.True(actual is not null, $"{what}: the managed step declined");
        Assert.Equal(expected.shape, actual.shape);
        AssertClose(expected, actual, what);
        Assert.Equal(torchCache.Lengths, managedCache.Lengths);
        Assert.Equal(torchCache.SharedLengths, managedCache.SharedLengths);
        Assert.Equal(torchCache.SuffixWidth, managedCache.SuffixWidth);
        for (int layer = 0; layer < torchCache.Layers; layer++)
        {
            AssertClose(torchCache.KeyBuffer(layer), managedCache.KeyBuffer(layer), $"{what}: keys of layer {layer}");
            AssertClose(torchCache.ValueBuffer(layer), managedCache.ValueBuffer(layer), $"{what}: values of layer {layer}");
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double scale = expected.abs().max().item<float>();
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(scale > 1e-3, $"{what}: all ~0");
        Assert.True(diff <= Tolerance * scale, $"{what}: max |diff| = {diff:E3} > {Tolerance:E0} x {scale:E3}");
    }
}
