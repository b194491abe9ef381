using System.Diagnostics;
using System.Numerics.Tensors;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// Decode steps of the 124.7M peer model (fp32, 2 threads) at 1 and 8 rows after a 32-token prompt, with the decode
/// kernels and fused products on and off (the torch ops they replaced), against the bandwidth roofline measured in
/// the same process: one fp32 read, on one and on two threads, of the weights a step must read (all but the
/// embedding table, of which a step reads one row per sequence). Rounds interleave the variants and the fastest of
/// each is kept, so the ratios hold on a loaded machine better than the absolute figures.
/// <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --decode-step [model] [rounds]</c>.
/// </summary>
internal static class DecodeStepBenchmarks
{
    private const int Threads = 2;
    private const int PromptLength = 32;
    private const int Steps = 32;

    // The variants: kernels with the products on two threads and on one, and the torch ops they replaced.
    private static readonly (string Name, bool Kernels, int Threads)[] Paths =
        [("kernels, products on 2 threads", true, 2), ("kernels, products on 1 thread", true, 1), ("torch ops", false, 2)];

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
            foreach (var (path, kernels, threads) in Paths)
            {
                CpuKernel.Enabled = kernels;
                Gemv.Enabled = kernels; // opt-in in the library; this bench times it
                Gemv.ThreadLimit = threads;
                Keep($"{rows}-{path}", StepSeconds(model, config, rows));
            }
            CpuKernel.Enabled = true;
            Gemv.Enabled = false;
            Gemv.ThreadLimit = int.MaxValue;
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
        foreach (var (path, _, _) in Paths)
        {
            double t = best[$"{rows}-{path}"];
            Console.WriteLine($"| {rows} | {path} | {t * 1e3:F2} | {weightBytes / t / 1e9:F1} | {read2 / t:P0} | {read1 / t:P0} |");
        }
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
