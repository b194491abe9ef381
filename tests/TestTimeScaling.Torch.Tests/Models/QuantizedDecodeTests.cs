using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>
/// <see cref="LlamaDecoder.DecodeWeights"/> = Q8_0: the managed step on the Q8_0 copy equals the fp32 torch path over
/// the dequantized weights (so every projection is quantized and wired where it belongs), stays within the stated
/// tolerance of the fp32 model, keeps greedy tokens, and switching back gives the fp32 step bit for bit.
/// </summary>
public class QuantizedDecodeTests(ITestOutputHelper output)
{
    /// <summary>Kernel agreement with torch over the same (dequantized) weights, relative to the largest logit.</summary>
    private const double KernelTolerance = 1e-5;

    /// <summary>
    /// Q8_0 against the fp32 model, relative to the largest logit: measured 2.1e-2 to 5.7e-2 over six steps on the
    /// tiny variants (weights ten times the HF init, so activations are large and each layer amplifies the 0.2-0.6%
    /// per-weight error), stated with headroom. The 22.6M peer model at the HF init: docs/quantized-decode.md.
    /// </summary>
    private const double QuantizationTolerance = 1e-1;

    /// <summary>The cache-test variants but the tied ones (a tied head's Q8_0 copy cannot be mirrored by a dequantized fp32 model: its lookup stays fp32), and the score head.</summary>
    public static IEnumerable<object[]> UntiedVariants()
    {
        foreach (var variant in TinyModels.Variants())
            if (!((ModelConfig)variant[1]).TieWordEmbeddings) yield return variant;
        yield return ["token-classifier", TinyModels.Llama() with { Architecture = "LlamaForTokenClassification", NumLabels = 3 }];
    }

    [Theory]
    [MemberData(nameof(UntiedVariants))]
    public void EqualsTheTorchStepOverTheDequantizedWeights(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var quantized = TinyModels.Random(config);
        quantized.DecodeWeights = DecodeWeightFormat.Q8_0;
        using var mirror = TinyModels.Random(config);
        RoundTripProjections(mirror);
        using var quantizedCache = Prefilled(quantized, config, [3, 9, 6], seed: 40);
        using var mirrorCache = quantizedCache.CopyRows([0, 1, 2]);
        for (int step = 0; step < 6; step++)
        {
            using var ids = Ids([(step * 5 + 2) % config.VocabSize, (step * 7 + 3) % config.VocabSize, (step * 11 + 4) % config.VocabSize]);
            using var expected = mirror.TorchStep(ids, mirrorCache, [1, 1, 1]);
            using var actual = quantized.TryManagedStep(ids, quantizedCache, [1, 1, 1]);
            Assert.True(actual is not null, $"{name}: declined");
            Assert.True(RelativeDiff(expected, actual) <= KernelTolerance, $"{name}, step {step}: {RelativeDiff(expected, actual):E3}");
        }
    }

    [Theory]
    [MemberData(nameof(ManagedDecodeStepTests.Variants), MemberType = typeof(ManagedDecodeStepTests))]
    public void StaysWithinTheStatedToleranceOfTheFloat32Model(string name, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = TinyModels.Random(config);
        using var torchCache = Prefilled(model, config, [3, 9, 6], seed: 50);
        using var quantizedCache = torchCache.CopyRows([0, 1, 2]);
        model.DecodeWeights = DecodeWeightFormat.Q8_0;
        double worst = 0;
        for (int step = 0; step < 6; step++)
        {
            using var ids = Ids([(step * 5 + 2) % config.VocabSize, (step * 7 + 3) % config.VocabSize, (step * 11 + 4) % config.VocabSize]);
            using var expected = model.TorchStep(ids, torchCache, [1, 1, 1]);
            using var actual = model.TryManagedStep(ids, quantizedCache, [1, 1, 1]);
            Assert.True(actual is not null, $"{name}: declined");
            worst = Math.Max(worst, RelativeDiff(expected, actual));
        }
        output.WriteLine($"{name}: max |diff| / max |logit| = {worst:E3}");
        // Quantization must move the logits (the copy is used) but stay within the tolerance.
        Assert.True(worst > KernelTolerance, $"{name}: Q8_0 changed nothing ({worst:E3})");
        Assert.True(worst <= QuantizationTolerance, $"{name}: {worst:E3} > {QuantizationTolerance:E0}");
    }

    [Fact]
    public void GreedyTokensEqualTheFloat32ModelOverAShortGeneration()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama(vocab: 64) with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config, seed: 3);
        var prompt = DecoderCacheTests.RandomTokens(config.VocabSize, 5, seed: 7);
        var fp32 = Greedy(model, prompt, DecodeWeightFormat.Float32);
        var q8 = Greedy(model, prompt, DecodeWeightFormat.Q8_0);
        Assert.Equal(fp32, q8);
    }

    [Fact]
    public void SwitchedBackToFloat32TheStepIsTheFloat32StepBitForBit()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        using var twin = TinyModels.Random(config);
        using var cache = Prefilled(model, config, [4, 2], seed: 60);
        using var twinCache = cache.CopyRows([0, 1]);
        using var ids = Ids([5, 6]);

        model.DecodeWeights = DecodeWeightFormat.Q8_0;
        using (var probe = cache.CopyRows([0, 1]))
        using (var quantizedLogits = model.TryManagedStep(ids, probe, [1, 1]))
        using (var plainLogits = twin.TryManagedStep(ids, twinCache.CopyRows([0, 1]), [1, 1]))
            Assert.True(RelativeDiff(plainLogits!, quantizedLogits!) > KernelTolerance, "the Q8_0 step equals the fp32 one");

        model.DecodeWeights = DecodeWeightFormat.Float32;
        using var expected = twin.TryManagedStep(ids, twinCache, [1, 1]);
        using var actual = model.TryManagedStep(ids, cache, [1, 1]);
        Assert.Equal(0.0, (expected! - actual!).abs().max().item<float>());
    }

    [Fact]
    public void SettingTheFormatAgainRequantizesWeightsUpdatedInPlace()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        using var updated = TinyModels.Random(config);
        model.DecodeWeights = DecodeWeightFormat.Q8_0;
        using var cache = Prefilled(model, config, [4, 2], seed: 70);
        using (var first = model.TryManagedStep(Ids([5, 6]), cache.CopyRows([0, 1]), [1, 1])) Assert.NotNull(first);

        foreach (var m in new[] { model, updated })
            using (var factor = 1.5.ToScalar())
                foreach (var (name, p) in m.named_parameters())
                    if (name.Contains("proj.weight", StringComparison.Ordinal)) p.mul_(factor);
        model.DecodeWeights = DecodeWeightFormat.Q8_0;
        updated.DecodeWeights = DecodeWeightFormat.Q8_0;
        using var ids = Ids([5, 6]);
        using var expected = updated.TryManagedStep(ids, cache.CopyRows([0, 1]), [1, 1]);
        using var actual = model.TryManagedStep(ids, cache.CopyRows([0, 1]), [1, 1]);
        Assert.Equal(0.0, (expected! - actual!).abs().max().item<float>());
    }

    [Fact]
    public void AnUndefinedFormatIsAnErrorNamingTheValue()
    {
        using var model = TinyModels.Random(TinyModels.Llama());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.DecodeWeights = (DecodeWeightFormat)7);
        Assert.Equal("value", error.ParamName);
        Assert.Equal(DecodeWeightFormat.Float32, model.DecodeWeights);
    }

    /// <summary>Every 2-D weight but the embedding replaced by its Q8_0 round trip, so the fp32 path sees what the copy holds.</summary>
    private static unsafe void RoundTripProjections(LlamaDecoder model)
    {
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() != 2 || name.Contains("embed_tokens", StringComparison.Ordinal)) continue;
            var values = p.data<float>().ToArray();
            Q8Matrix matrix;
            fixed (float* w = values) matrix = Q8Matrix.Quantize(w, (int)p.shape[0], (int)p.shape[1]);
            using var back = tensor(matrix.Dequantize(), p.shape);
            p.copy_(back);
        }
    }

    private static int[] Greedy(LlamaDecoder model, int[] prompt, DecodeWeightFormat format)
    {
        model.DecodeWeights = format;
        using var cache = new KvCache(model.Config, rows: 1, capacity: 32, CPU, ScalarType.Float32);
        var logits = model.Forward(DecoderCacheTests.Ids(prompt), cache, [prompt.Length]);
        var tokens = new List<int>();
        for (int t = 0; t < 16; t++)
        {
            int next = (int)logits.argmax(-1).item<long>();
            tokens.Add(next);
            logits.Dispose();
            logits = model.Forward(DecoderCacheTests.Ids([next]), cache, [1]);
        }
        logits.Dispose();
        return [.. tokens];
    }

    private static KvCache Prefilled(LlamaDecoder model, ModelConfig config, int[] lengths, int seed)
    {
        int rows = lengths.Length, width = lengths.Max();
        var ids = new long[rows * width];
        for (int r = 0; r < rows; r++)
        {
            var prompt = DecoderCacheTests.RandomTokens(config.VocabSize, lengths[r], seed + r);
            for (int t = 0; t < prompt.Length; t++) ids[r * width + t] = prompt[t];
        }
        using var input = tensor(ids, [rows, width]);
        var cache = new KvCache(config, rows, capacity: 24, CPU, ScalarType.Float32);
        model.TorchStep(input, cache, lengths.Select(l => (long)l).ToArray()).Dispose();
        return cache;
    }

    private static Tensor Ids(int[] tokens) => tensor(tokens.Select(t => (long)t).ToArray(), [tokens.Length, 1]);

    private static double RelativeDiff(Tensor expected, Tensor actual) =>
        (expected - actual).abs().max().item<float>() / (double)expected.abs().max().item<float>();
}
