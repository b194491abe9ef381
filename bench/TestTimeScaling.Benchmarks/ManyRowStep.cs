using System.Diagnostics;
using System.Runtime.InteropServices;
using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// Decode steps of many rows forked from one prompt (as the engine's batched call forks them) through the managed step,
/// against the same step's weight products alone and the torch path: what the step costs beyond its products at 1-256
/// rows. One thread is timed by its CPU time, which other processes' load does not inflate; two threads by the clock.
/// <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --rows-step [model] [rounds] [threads] [rows,..]</c>.
/// </summary>
internal static unsafe class ManyRowStep
{
    private const string Prompt = "Q: 117 +205 /2 -69 *3 -200 +69\n";
    private const int Steps = 4;

    public static void Run(TextWriter output, string modelName, int rounds, int threads, int[] rowCounts)
    {
        set_num_threads(threads);
        Gemv.ThreadLimit = threads;
        var config = modelName == "3.3M" ? BatchedVsSequential.Tiny : PeerModels.ByName(modelName);
        using var model = LlamaDecoder.Create(config, seed: 1);
        using var noGrad = no_grad();
        var best = new Dictionary<string, double>();
        void Keep(string name, double seconds) => best[name] = Math.Min(best.GetValueOrDefault(name, double.MaxValue), seconds);
        // Warm-up: every method of the step reaches its optimized code (tiered compilation promotes after 30 calls).
        foreach (int rows in rowCounts)
            for (int i = 0; i < 5; i++)
            {
                StepSeconds(model, rows, threads, managed: true);
                ProductSeconds(model, config, rows, threads);
            }
        Thread.Sleep(200);
        for (int round = 0; round < rounds; round++)
            foreach (int rows in rowCounts)
            {
                Keep($"{rows}|managed step", StepSeconds(model, rows, threads, managed: true));
                Keep($"{rows}|products alone", ProductSeconds(model, config, rows, threads));
                if (rows >= 32 && round < 2) Keep($"{rows}|torch path", StepSeconds(model, rows, threads, managed: false));
            }
        ManagedDecodeStep.Enabled = true;
        double flopsPerRow = 2.0 * model.NonEmbeddingParameterCount;
        output.WriteLine($"{modelName}, {threads} thread(s){(threads == 1 ? " (thread CPU time)" : "")}, rows forked from a {Prompt.Length + 1}-token prompt, fastest of {rounds} rounds of {Steps} steps:");
        output.WriteLine("| rows | variant | ms per step | GFLOP/s |");
        output.WriteLine("|---:|---|---:|---:|");
        foreach (var (key, seconds) in best)
        {
            var parts = key.Split('|');
            int rows = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            output.WriteLine($"| {rows} | {parts[1]} | {seconds * 1e3:F2} | {flopsPerRow * rows / seconds / 1e9:F1} |");
        }
    }

    private static double Now(int threads) => threads == 1 ? ThreadSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    private static double StepSeconds(LlamaDecoder model, int rows, int threads, bool managed)
    {
        ManagedDecodeStep.Enabled = managed;
        int[] prompt = [0, .. Prompt.Select(c => (int)c % 256)];
        using var cache = new KvCache(model.Config, 1, prompt.Length + Steps + 1, model.Device, model.DType);
        using (var scope = NewDisposeScope())
            model.Forward(tensor(prompt.Select(t => (long)t).ToArray(), [1, prompt.Length]), cache, [prompt.Length]);
        cache.SelectRows(new int[rows]);
        var valid = Enumerable.Repeat(1L, rows).ToArray();
        var last = Enumerable.Repeat(5L, rows).ToArray();
        double fastest = double.MaxValue;
        for (int s = 0; s < Steps; s++)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(last, [rows, 1]);
            double start = Now(threads);
            model.Forward(ids, cache, valid);
            fastest = Math.Min(fastest, Now(threads) - start);
        }
        ManagedDecodeStep.Enabled = true;
        return fastest;
    }

    private static double ProductSeconds(LlamaDecoder model, ModelConfig config, int rows, int threads)
    {
        var weights = ManagedWeights.Capture(model.Backbone, model.OutputHead, config) ?? throw new InvalidOperationException("The model does not qualify.");
        var s = new ManagedStepBuffers(config, Math.Max(rows, Gemv.MaxRows));
        int hidden = config.HiddenSize, inner = config.IntermediateSize, heads = config.NumAttentionHeads * config.HeadDim;
        int qkv = (config.NumAttentionHeads + 2 * config.NumKeyValueHeads) * config.HeadDim;
        var logits = new float[rows * weights.HeadOutputs];
        new Span<float>(s.Normed, rows * hidden).Fill(0.5f);
        new Span<float>(s.Attention, rows * heads).Fill(0.5f);
        new Span<float>(s.Activated, rows * inner).Fill(0.5f);
        double fastest = double.MaxValue;
        fixed (float* y = logits)
            for (int step = 0; step < Steps; step++)
            {
                double start = Now(threads);
                for (int l = 0; l < config.NumHiddenLayers; l++)
                {
                    var layer = weights.Layer(l);
                    Gemv.Multiply(layer.Qkv, s.Normed, layer.QkvBias, s.Qkv, rows, hidden, qkv, threads);
                    Gemv.Multiply(layer.Output, s.Attention, layer.OutputBias, s.Projected, rows, heads, hidden, threads);
                    Gemv.Multiply(layer.GateUp, s.Normed, layer.GateUpBias, s.GateUp, rows, hidden, 2 * inner, threads);
                    Gemv.Multiply(layer.Down, s.Activated, layer.DownBias, s.Projected, rows, inner, hidden, threads);
                }
                Gemv.Multiply(weights.Head, s.Normed, weights.HeadBias, y, rows, hidden, weights.HeadOutputs, threads);
                fastest = Math.Min(fastest, Now(threads) - start);
            }
        return fastest;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID, Linux).</summary>
    internal static double ThreadSeconds()
    {
        ClockGetTime(3, out var t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
