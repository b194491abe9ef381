using System.Diagnostics;
using System.Globalization;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// What drawing the next tokens costs per path, before and after in one process (<c>--draw [rows] [vocab]
/// [threads]</c>; docs/benchmarks.md, "Sampling share"): the in-place CPU draw as it was (one thread,
/// <see cref="SequentialTokenDraw"/>, compiled from the tests) against the current one on one thread and on
/// <c>threads</c>, then the whole <see cref="TokenSampler"/> call per sampling setting (uniforms included; top-k and
/// top-p take the tensor form), and the floor: TensorPrimitives.Exp over as many logits on as many threads.
/// </summary>
internal static class TokenDrawBenchmarks
{
    private const int Rounds = 40;

    public static void Run(TextWriter output, int[] rowCounts, int vocab, int threads)
    {
        torch.set_num_threads(threads);
        output.WriteLine($"draw over {vocab} logits per row, {threads} threads, fastest (median) of {Rounds} calls, load {Load()}");
        foreach (int rows in rowCounts)
        {
            using var scope = NewDisposeScope();
            var logits = randn(rows, vocab, generator: new Generator(7)) * 3;
            var uniforms = Enumerable.Range(0, rows).Select(r => (r * 0.618034f) % 1).ToArray();
            var logprobs = new float[rows];
            output.WriteLine($"rows {rows}:");
            Line(output, "inverse CDF, T 1, logprobs", rows,
                () => SequentialTokenDraw.Draw(logits, 1.0, 0, uniforms, logprobs),
                () => CpuTokenDraw.Draw(logits, 1.0, 0, uniforms, logprobs, 1),
                () => CpuTokenDraw.Draw(logits, 1.0, 0, uniforms, logprobs, threads));
            Line(output, "inverse CDF, T 1, no logprobs", rows,
                () => SequentialTokenDraw.Draw(logits, 1.0, 0, uniforms, null),
                () => CpuTokenDraw.Draw(logits, 1.0, 0, uniforms, null, 1),
                () => CpuTokenDraw.Draw(logits, 1.0, 0, uniforms, null, threads));
            Line(output, "inverse CDF, T 0.7, logprobs", rows,
                () => SequentialTokenDraw.Draw(logits, 0.7, 0, uniforms, logprobs),
                () => CpuTokenDraw.Draw(logits, 0.7, 0, uniforms, logprobs, 1),
                () => CpuTokenDraw.Draw(logits, 0.7, 0, uniforms, logprobs, threads));
            Line(output, "inverse CDF, min-p 0.05, logprobs", rows,
                () => SequentialTokenDraw.Draw(logits, 1.0, 0.05, uniforms, logprobs),
                () => CpuTokenDraw.Draw(logits, 1.0, 0.05, uniforms, logprobs, 1),
                () => CpuTokenDraw.Draw(logits, 1.0, 0.05, uniforms, logprobs, threads));
            Line(output, "greedy, logprobs", rows,
                () => SequentialTokenDraw.Greedy(logits, logprobs),
                () => CpuTokenDraw.Greedy(logits, logprobs, 1),
                () => CpuTokenDraw.Greedy(logits, logprobs, threads));
            Line(output, "greedy, no logprobs", rows,
                () => SequentialTokenDraw.Greedy(logits, null),
                () => CpuTokenDraw.Greedy(logits, null, 1),
                () => CpuTokenDraw.Greedy(logits, null, threads));
            using var generator = new Generator(1);
            foreach (var (name, options) in new (string, SamplingOptions)[]
            {
                ("T 1, logprobs", new SamplingOptions { Temperature = 1.0, IncludeLogprobs = true }),
                ("greedy, logprobs", new SamplingOptions { Temperature = 0, IncludeLogprobs = true }),
                ("top-k 50, logprobs", new SamplingOptions { TopK = 50, IncludeLogprobs = true }),
                ("top-p 0.9, logprobs", new SamplingOptions { TopP = 0.9, IncludeLogprobs = true }),
            })
            {
                var (best, median) = Time(() => TokenSampler.Sample(logits, options, generator));
                output.WriteLine($"  TokenSampler.Sample, {name,-28} {Ms(best, median)}");
            }
            var weights = new float[rows * vocab];
            var source = logits.data<float>().ToArray();
            var (expBest, expMedian) = Time(() => ParallelExp(source, weights, threads));
            output.WriteLine($"  floor: TensorPrimitives.Exp of {rows} x {vocab} logits on {threads} threads {Ms(expBest, expMedian)}");
        }
    }

    private static void Line(TextWriter output, string name, int rows, Action before, Action oneThread, Action threads)
    {
        var (b, bm) = Time(before);
        var (o, om) = Time(oneThread);
        var (t, tm) = Time(threads);
        output.WriteLine($"  {name,-34} before {Ms(b, bm)}  after, 1 thread {Ms(o, om)}  after {Ms(t, tm)}  ({b / t:F1}x)");
    }

    private static (double Best, double Median) Time(Action action)
    {
        // Until the loops run fully optimised code (tier 1 after on-stack replacement) and the caches are warm.
        long warm = Stopwatch.GetTimestamp();
        for (int i = 0; i < 3 || Stopwatch.GetElapsedTime(warm).TotalMilliseconds < 300; i++) action();
        var times = new double[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return (times[0], times[Rounds / 2]);
    }

    private static string Ms(double best, double median) =>
        string.Create(CultureInfo.InvariantCulture, $"{best * 1e3,7:F3} ({median * 1e3:F3}) ms");

    /// <summary>exp of every logit, the rows' halves on the kernel threads: what any bit-identical draw must compute.</summary>
    private static unsafe void ParallelExp(float[] source, float[] target, int threads)
    {
        fixed (float* s = source, t = target)
        {
            nint sp = (nint)s, tp = (nint)t;
            int n = source.Length;
            KernelThreads.Shared.Run(threads, part =>
            {
                int from = (int)((long)n * part / threads), to = (int)((long)n * (part + 1) / threads);
                TensorPrimitives.Exp(new ReadOnlySpan<float>((float*)sp + from, to - from), new Span<float>((float*)tp + from, to - from));
            });
        }
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
