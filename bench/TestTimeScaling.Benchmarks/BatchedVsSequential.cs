using System.Diagnostics;
using System.Numerics.Tensors;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// Issue 11's batching figure: n samples of one prompt as one batched call against n single-sample calls one after
/// another, on a named model (the 3.3M <see cref="DecodeThroughputBenchmarks"/> config, or the peer models), with one
/// untimed warm-up of each and then one timed pass of each. Beside the ratio it prints what bounds it, measured in the
/// same process: a 1-row and an n-row decode step alone (the ratio can be at most about n x t(1) / t(n)), the weights'
/// read time at the roofline (the least a 1-row step can cost) and the FLOP rate of the n-row step.
/// <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --batched-vs-sequential [model] [n] [threads]</c>.
/// </summary>
internal static class BatchedVsSequential
{
    private const string Prompt = "Q: 117 +205 /2 -69 *3 -200 +69\n";
    private const int NewTokens = DecodeThroughputBenchmarks.NewTokens;

    /// <summary>The 3.3M random Llama of <see cref="DecodeThroughputBenchmarks"/>.</summary>
    internal static readonly ModelConfig Tiny = new()
    {
        VocabSize = 256, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 4,
        NumAttentionHeads = 8, NumKeyValueHeads = 4, HeadDim = 32, MaxPositionEmbeddings = 512,
    };

    public static void Run(TextWriter output, string modelName = "22.6M", int n = 64, int threads = 2)
    {
        torch.set_num_threads(threads);
        var config = modelName == "3.3M" ? Tiny : PeerModels.ByName(modelName);
        using var model = LlamaDecoder.Create(config, seed: 1);
        var options = new GenerationEngineOptions { ReuseCacheAcrossCalls = false };
        using var engine = new GenerationEngine(model, new BenchmarkTokenizer(), options);

        double Batched() => Time(() => engine.SampleAsync(Request(n, 1)).GetAwaiter().GetResult());
        double Sequential() => Time(() =>
        {
            for (int i = 0; i < n; i++) engine.SampleAsync(Request(1, i)).GetAwaiter().GetResult();
        });

        Batched();
        Sequential();
        double batched = Batched(), sequential = Sequential();
        double ratio = sequential / batched;
        output.WriteLine($"{modelName}, {threads} thread(s), n = {n}, {NewTokens} new tokens per sample after a {Prompt.Length + 1}-token prompt:");
        output.WriteLine($"  batched {batched * 1e3:F0} ms ({n * NewTokens / batched:F0} tokens/s), sequential {sequential * 1e3:F0} ms ({n * NewTokens / sequential:F0} tokens/s): {ratio:F1}x");

        // What bounds the ratio: the call's n-row step (rows forked from the prompt, as the engine forks them) against
        // a 1-row step, fastest of several in this process; and dense n-row steps, attention by DecodeAttention and by
        // SDPA, rounds interleaved.
        double one = double.MaxValue, forked = double.MaxValue, decode = double.MaxValue, sdpa = double.MaxValue;
        try
        {
            for (int round = 0; round < 2; round++)
            {
                DecodeAttention.Enabled = true;
                one = Math.Min(one, StepSeconds(model, 1, forked: false));
                forked = Math.Min(forked, StepSeconds(model, n, forked: true));
                decode = Math.Min(decode, StepSeconds(model, n, forked: false));
                DecodeAttention.Enabled = false;
                sdpa = Math.Min(sdpa, StepSeconds(model, n, forked: false));
            }
        }
        finally
        {
            DecodeAttention.Enabled = true;
        }
        double draw = DrawSeconds(model, n);
        long weightBytes = model.NonEmbeddingParameterCount * sizeof(float);
        double read = ReadSeconds(weightBytes, threads);
        double flops = 2.0 * model.NonEmbeddingParameterCount * n;
        output.WriteLine($"  decode step: 1 row {one * 1e3:F2} ms; {n} rows forked from the prompt {forked * 1e3:F2} ms ({forked / one:F1}x, {flops / forked / 1e9:F1} GFLOP/s), so the steps bound the ratio by about {n * one / forked:F1}x");
        output.WriteLine($"  the draw of {n} rows with logprobs {draw * 1e3:F2} ms; the batched call's mean step {batched / NewTokens * 1e3:F2} ms (prefill included)");
        output.WriteLine($"  {n} dense rows (each prefilled): {decode * 1e3:F2} ms a step with DecodeAttention, {sdpa * 1e3:F2} ms with SDPA");
        output.WriteLine($"  weights {weightBytes / 1e6:F1} MB read in {read * 1e3:F2} ms on {threads} thread(s) ({weightBytes / read / 1e9:F1} GB/s): with 1-row steps at that roofline the bound is {n * read / forked:F1}x");
        output.WriteLine($"  20x needs an {n}-row step of at most {n * one / 20 * 1e3:F2} ms at today's 1-row step ({flops / (n * one / 20) / 1e9:F0} GFLOP/s), {n * read / 20 * 1e3:F2} ms at the roofline ({flops / (n * read / 20) / 1e9:F0} GFLOP/s)");
    }

    private static SampleRequest Request(int n, long seed) => new()
    {
        Prompt = Prompt,
        N = n,
        Options = new SamplingOptions { Temperature = 1.0, MaxNewTokens = NewTokens, Seed = seed, IncludeLogprobs = true },
    };

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The fastest of 3 rounds of 8 decode steps of <paramref name="rows"/> rows after the prompt, per step; the rows are
    /// prefilled each (dense) or, <paramref name="forked"/>, forked from one row as the engine does (the prompt shared
    /// when the cache's rule shares it).
    /// </summary>
    private static double StepSeconds(LlamaDecoder model, int rows, bool forked)
    {
        using var noGrad = no_grad();
        int[] prompt = [0, .. Prompt.Select(c => (int)c % 256)];
        double best = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            int prefilled = forked ? 1 : rows;
            using var cache = new KvCache(model.Config, prefilled, prompt.Length + 16, model.Device, model.DType);
            using (var scope = NewDisposeScope())
            {
                var ids = Enumerable.Range(0, prefilled).SelectMany(_ => prompt.Select(t => (long)t)).ToArray();
                model.Forward(tensor(ids, [prefilled, prompt.Length]), cache, Enumerable.Repeat((long)prompt.Length, prefilled).ToArray());
            }
            if (forked) cache.SelectRows(new int[rows]);
            var valid = Enumerable.Repeat(1L, rows).ToArray();
            var last = Enumerable.Repeat(5L, rows).ToArray();
            var clock = Stopwatch.StartNew();
            for (int s = 0; s < 8; s++)
            {
                using var scope = NewDisposeScope();
                model.Forward(tensor(last, [rows, 1]), cache, valid);
            }
            best = Math.Min(best, clock.Elapsed.TotalSeconds / 8);
        }
        return best;
    }

    /// <summary>The fastest of 24 draws (temperature 1, with logprobs, as the call samples) from <paramref name="rows"/> rows of logits.</summary>
    private static double DrawSeconds(LlamaDecoder model, int rows)
    {
        using var logits = randn(rows, model.Config.VocabSize);
        using var generator = new Generator(1);
        var options = new SamplingOptions { Temperature = 1.0, IncludeLogprobs = true };
        double best = double.MaxValue;
        for (int round = 0; round < 24; round++)
        {
            var clock = Stopwatch.StartNew();
            TokenSampler.Sample(logits, options, generator);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>The fastest of 5 fp32 reads of as many bytes as the weights, split across <paramref name="threads"/> threads.</summary>
    private static double ReadSeconds(long bytes, int threads)
    {
        var buffer = new float[bytes / sizeof(float)];
        for (int i = 0; i < buffer.Length; i++) buffer[i] = i % 7;
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            var clock = Stopwatch.StartNew();
            if (threads == 1) TensorPrimitives.Sum<float>(buffer);
            else Roofline.ParallelSum(buffer, threads);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
