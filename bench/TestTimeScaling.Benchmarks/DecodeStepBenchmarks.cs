using System.Diagnostics;
using System.Numerics.Tensors;
using TestTimeScaling;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// Decode steps of a peer model (default the 124.7M, fp32, 2 threads) at 1 and 8 rows after a 32-token prompt, through
/// each decode path: the managed step (no torch op inside) on two threads and on one, the torch path with the managed
/// GEMV for its products, the torch path with libtorch's products (the default before the managed step), and bare torch
/// ops; against the bandwidth roofline measured in the same process: one fp32 read, on one and on two threads, of the
/// weights a step must read (all but the embedding table, of which a step reads one row per sequence). Then whole
/// generations (the side-by-side suite's: greedy, 64 new tokens after the 32-token prompt, n = 1 and 8) with the managed
/// step on and off, where the threads of the two runtimes meet. Rounds interleave the variants and the fastest of each is
/// kept (generations: also the median), so the ratios hold on a loaded machine better than the absolute figures.
/// <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --decode-step [model] [rounds]</c>.
/// </summary>
internal static class DecodeStepBenchmarks
{
    private const int Threads = 2;
    private const int PromptLength = 32;
    private const int Steps = 32;
    private const int NewTokens = 64;

    private sealed record Path(string Name, bool Managed, bool Gemv, bool Kernels, int ThreadLimit);

    private static readonly Path[] StepPaths =
    [
        new("managed step, 2 threads", true, false, true, 2),
        new("managed step, 1 thread", true, false, true, 1),
        new("torch path + managed GEMV", false, true, true, 2),
        new("torch path (libtorch products)", false, false, true, 2),
        new("torch ops only", false, false, false, 2),
    ];

    private static readonly Path[] GenerationPaths =
    [
        new("managed step", true, false, true, int.MaxValue),
        new("torch path", false, false, true, int.MaxValue),
    ];

    public static void Run(string modelName = "124.7M", int rounds = 5)
    {
        torch.set_num_threads(Threads);
        var config = PeerModels.ByName(modelName);
        using var model = LlamaDecoder.Create(config, seed: 1);
        long weightBytes = model.NonEmbeddingParameterCount * sizeof(float);
        var buffer = new float[weightBytes / sizeof(float)];
        for (int i = 0; i < buffer.Length; i++) buffer[i] = i % 7;

        var best = new Dictionary<string, double>();
        void Keep(string name, double seconds) => best[name] = Math.Min(best.GetValueOrDefault(name, double.MaxValue), seconds);
        for (int round = 0; round < rounds; round++)
        {
            foreach (int rows in new[] { 1, 8 })
            foreach (var path in StepPaths)
            {
                Use(path);
                Keep($"{rows}-{path.Name}", StepSeconds(model, config, rows));
            }
            Use(GenerationPaths[0]);
            foreach (int rows in new[] { 1, 8 }) Keep($"{rows}-{ProductsOnly}", ProductSeconds(model, config, rows));
            var clock = Stopwatch.StartNew();
            TensorPrimitives.Sum<float>(buffer);
            Keep("read1", clock.Elapsed.TotalSeconds);
            clock.Restart();
            Roofline.ParallelSum(buffer, 2);
            Keep("read2", clock.Elapsed.TotalSeconds);
        }

        double read1 = best["read1"], read2 = best["read2"];
        Console.WriteLine($"{modelName}: a step reads {weightBytes / 1e6:F0} MB of weights; roofline {read1 * 1e3:F2} ms on 1 thread ({weightBytes / read1 / 1e9:F1} GB/s), {read2 * 1e3:F2} ms on 2 threads ({weightBytes / read2 / 1e9:F1} GB/s)");
        Console.WriteLine("| rows | path | ms per step | weights GB/s | share of 2-thread roofline | share of 1-thread roofline |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|");
        foreach (int rows in new[] { 1, 8 })
        foreach (string path in StepPaths.Select(p => p.Name).Append(ProductsOnly))
        {
            double t = best[$"{rows}-{path}"];
            Console.WriteLine($"| {rows} | {path} | {t * 1e3:F2} | {weightBytes / t / 1e9:F1} | {read2 / t:P0} | {read1 / t:P0} |");
        }

        // Whole generations: where libtorch's OpenMP threads (the prefill, the sampler) and the kernel threads meet.
        var times = new Dictionary<string, List<double>>();
        using var engine = new GenerationEngine(model, new PeerTokenizer(Prompt), new GenerationEngineOptions { ReuseCacheAcrossCalls = false, AddBosToken = false });
        foreach (int n in new[] { 1, 8 }) Generate(engine, n); // warm-up
        for (int round = 0; round < rounds; round++)
        foreach (int n in new[] { 1, 8 })
        foreach (var path in GenerationPaths)
        {
            Use(path);
            var clock = Stopwatch.StartNew();
            Generate(engine, n);
            string key = $"{n}-{path.Name}";
            if (!times.TryGetValue(key, out var list)) times[key] = list = [];
            list.Add(clock.Elapsed.TotalSeconds);
        }
        Use(GenerationPaths[0]);
        Console.WriteLine();
        Console.WriteLine($"Whole generations ({NewTokens} new tokens per sample, greedy, {rounds} interleaved rounds):");
        Console.WriteLine("| n | path | fastest ms | median ms | ms per step (median) | median vs torch path |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|");
        foreach (int n in new[] { 1, 8 })
        {
            double torchMedian = Median(times[$"{n}-{GenerationPaths[^1].Name}"]);
            foreach (var path in GenerationPaths)
            {
                var list = times[$"{n}-{path.Name}"];
                double median = Median(list);
                Console.WriteLine($"| {n} | {path.Name} | {list.Min() * 1e3:F0} | {median * 1e3:F0} | {median * 1e3 / NewTokens:F2} | {torchMedian / median:F2}x |");
            }
        }
    }

    private static readonly int[] Prompt = Enumerable.Range(0, PromptLength).Select(i => 3 + (i * 7919) % 31000).ToArray();

    private static void Use(Path path)
    {
        ManagedDecodeStep.Enabled = path.Managed;
        Gemv.Enabled = path.Gemv; // opt-in in the library; this bench times it
        CpuKernel.Enabled = path.Kernels;
        Gemv.ThreadLimit = path.ThreadLimit;
    }

    private static void Generate(GenerationEngine engine, int n) => engine.SampleAsync(new SampleRequest
    {
        Prompt = PeerTokenizer.PromptText,
        N = n,
        Options = new SamplingOptions { Temperature = 0, MaxNewTokens = NewTokens, IncludeLogprobs = false },
    }).GetAwaiter().GetResult();

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private const string ProductsOnly = "the managed step's products alone";

    // The managed step's weight products (q/k/v, o, gate/up and down per layer, then the head) with nothing between
    // them, on the same buffers and threads: what the step would cost if attention, norms and the rest were free.
    private static unsafe double ProductSeconds(LlamaDecoder model, ModelConfig config, int rows)
    {
        var weights = ManagedWeights.Capture(model.Backbone, model.OutputHead, config) ?? throw new InvalidOperationException("The model does not qualify.");
        var s = new ManagedStepBuffers(config, Math.Max(rows, Gemv.MaxRows));
        int hidden = config.HiddenSize, inner = config.IntermediateSize, heads = config.NumAttentionHeads * config.HeadDim;
        int qkv = (config.NumAttentionHeads + 2 * config.NumKeyValueHeads) * config.HeadDim, threads = get_num_threads();
        var logits = new float[rows * weights.HeadOutputs];
        // Plain inputs (scratch memory starts uninitialised; denormals would slow the products down).
        new Span<float>(s.Normed, rows * hidden).Fill(0.5f);
        new Span<float>(s.Attention, rows * heads).Fill(0.5f);
        new Span<float>(s.Activated, rows * inner).Fill(0.5f);
        double fastest = double.MaxValue;
        fixed (float* y = logits)
        {
            for (int step = 0; step < Steps; step++)
            {
                var clock = Stopwatch.StartNew();
                for (int l = 0; l < config.NumHiddenLayers; l++)
                {
                    var layer = weights.Layer(l);
                    Gemv.Multiply(layer.Qkv, s.Normed, layer.QkvBias, s.Qkv, rows, hidden, qkv, threads);
                    Gemv.Multiply(layer.Output, s.Attention, layer.OutputBias, s.Projected, rows, heads, hidden, threads);
                    Gemv.Multiply(layer.GateUp, s.Normed, layer.GateUpBias, s.GateUp, rows, hidden, 2 * inner, threads);
                    Gemv.Multiply(layer.Down, s.Activated, layer.DownBias, s.Projected, rows, inner, hidden, threads);
                }
                Gemv.Multiply(weights.Head, s.Normed, weights.HeadBias, y, rows, hidden, weights.HeadOutputs, threads);
                fastest = Math.Min(fastest, clock.Elapsed.TotalSeconds);
            }
        }
        return fastest;
    }

    // Fastest of Steps decode steps after a fresh prefill, per step.
    private static double StepSeconds(LlamaDecoder model, ModelConfig config, int rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = new KvCache(config, rows, PromptLength + Steps + 1, CPU, ScalarType.Float32);
        var prompt = tensor(Enumerable.Range(0, rows * PromptLength).Select(i => (long)(3 + i * 7919 % 31000)).ToArray()).view(rows, PromptLength);
        model.Forward(prompt, cache, Enumerable.Repeat((long)PromptLength, rows).ToArray());
        var valid = Enumerable.Repeat(1L, rows).ToArray();
        double fastest = double.MaxValue;
        for (int s = 0; s < Steps; s++)
        {
            using var stepScope = NewDisposeScope();
            var ids = full([rows, 1], 5 + s, ScalarType.Int64);
            var clock = Stopwatch.StartNew();
            model.Forward(ids, cache, valid);
            fastest = Math.Min(fastest, clock.Elapsed.TotalSeconds);
        }
        return fastest;
    }
}
