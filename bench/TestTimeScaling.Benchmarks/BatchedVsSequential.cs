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
    private static readonly ModelConfig Tiny = new()
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

        // What bounds the ratio: a step of n rows against a step of 1 row (fastest of several, same process).
        double one = StepSeconds(model, 1), many = StepSeconds(model, n);
        long weightBytes = model.NonEmbeddingParameterCount * sizeof(float);
        double read = ReadSeconds(weightBytes, threads);
        double flops = 2.0 * model.NonEmbeddingParameterCount * n;
        output.WriteLine($"  decode step: 1 row {one * 1e3:F2} ms, {n} rows {many * 1e3:F2} ms ({many / one:F1}x; {flops / many / 1e9:F1} GFLOP/s): steps alone bound the ratio by about {n * one / many:F1}x");
        output.WriteLine($"  weights {weightBytes / 1e6:F1} MB read in {read * 1e3:F2} ms on {threads} thread(s) ({weightBytes / read / 1e9:F1} GB/s): a 1-row step at that roofline would bound it by {n * read / many:F1}x");
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

    /// <summary>The fastest of 3 rounds of 8 decode steps of <paramref name="rows"/> rows after the prompt, per step.</summary>
    private static double StepSeconds(LlamaDecoder model, int rows)
    {
        using var noGrad = no_grad();
        int[] prompt = [0, .. Prompt.Select(c => (int)c % 256)];
        double best = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            using var cache = new KvCache(model.Config, rows, prompt.Length + 16, model.Device, model.DType);
            using (var scope = NewDisposeScope())
            {
                var ids = Enumerable.Range(0, rows).SelectMany(_ => prompt.Select(t => (long)t)).ToArray();
                model.Forward(tensor(ids, [rows, prompt.Length]), cache, Enumerable.Repeat((long)prompt.Length, rows).ToArray());
            }
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
