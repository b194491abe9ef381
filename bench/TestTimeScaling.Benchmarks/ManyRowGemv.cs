using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TestTimeScaling.Torch;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// The weight products of one decode step of a peer model (<see cref="GemvStepBenchmarks.Shapes"/>) at many rows:
/// <see cref="Gemv"/>'s block shapes against each other and against libtorch's <c>linear</c>, in ms per step and GFLOP/s.
/// Rounds interleave the variants and keep the fastest of each, so the comparison holds on a loaded machine.
/// <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --gemv-rows [22.6M|124.7M] [rounds] [threads]</c>.
/// </summary>
internal static unsafe class ManyRowGemv
{
    private static readonly int[] DefaultRowCounts = [1, 3, 8, 16, 32, 64];

    public static void Run(TextWriter output, string modelName, int rounds, int threads, int[]? rowCounts = null)
    {
        var RowCounts = rowCounts ?? DefaultRowCounts;
        set_num_threads(threads);
        var shapes = GemvStepBenchmarks.Shapes(PeerModels.ByName(modelName));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(1);
        var weights = shapes.Select(s => randn([s.Outputs, s.Inputs], generator: generator)).ToArray();
        int widest = shapes.Max(s => Math.Max(s.Inputs, s.Outputs));
        int most = Math.Max(64, RowCounts.DefaultIfEmpty(1).Max());
        var x = randn([most, widest], generator: generator);
        var y = empty(most, widest);
        long multiplies = shapes.Sum(s => (long)s.Inputs * s.Outputs);

        var variants = new List<(string Name, int Rows, Action Step)>();
        foreach (int rows in RowCounts)
        {
            variants.Add(("4x2 passes", rows, () => WithThreeRowsFrom(int.MaxValue, () => Kernel(weights, x, y, rows, threads))));
            if (rows >= 3) variants.Add(("4x3 passes", rows, () => WithThreeRowsFrom(3, () => Kernel(weights, x, y, rows, threads))));
            if (rows >= 3) variants.Add(("4x3 passes, no prefetch", rows, () => WithoutPrefetch(() => Kernel(weights, x, y, rows, threads))));
            if (rows >= 8) variants.Add(("torch linear", rows, () => Torch(weights, x, rows)));
            foreach (int distance in new[] { 4, 16, 32 })
                if (rows >= 8) variants.Add(($"4x3 passes, prefetch {distance} rows ahead", rows, () => WithDistance(distance, () => Kernel(weights, x, y, rows, threads))));
            if (rows >= 32)
            {
                // The head alone (the last product) and the layers alone: which part falls short of the blocks' in-cache rate.
                var head = weights[^1..];
                var layers = weights[..^1];
                variants.Add(("4x3 passes, head only", rows, () => Kernel(head, x, y, rows, threads)));
                variants.Add(("4x3 passes, layers only", rows, () => Kernel(layers, x, y, rows, threads)));
            }
        }

        // In cache, one thread: 64 rows (64 KB) against 64 weight rows of width 256 (64 KB), repeated: the blocks'
        // arithmetic alone, against the core's multiply-add peak measured the same way.
        var small = randn([64, 256], generator: generator);
        variants.Add(("in cache, 1 thread, 4x3", 64, () => WithThreeRowsFrom(3, () => InCache(small, x, y))));
        variants.Add(("in cache, 1 thread, 4x3, 15 rows of x (in L1)", 64, () => WithThreeRowsFrom(3, () => InCache(small, x, y, 15))));
        variants.Add(("in cache, 1 thread, 4x2", 64, () => WithThreeRowsFrom(int.MaxValue, () => InCache(small, x, y))));
        variants.Add(("peak, 1 thread", 64, () => Peak()));

        var best = new double[variants.Count];
        Array.Fill(best, double.MaxValue);
        foreach (var variant in variants) variant.Step();
        for (int round = 0; round < rounds; round++)
            for (int v = 0; v < variants.Count; v++)
            {
                // One thread: its own CPU time, which other processes' load does not inflate (they only delay it).
                double start = threads == 1 ? ThreadSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
                variants[v].Step();
                double end = threads == 1 ? ThreadSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
                best[v] = Math.Min(best[v], end - start);
            }

        output.WriteLine($"{modelName}: {shapes.Length} products per step, {multiplies / 1e6:F1} M weights; fastest of {rounds} interleaved steps; {threads} thread(s){(threads == 1 ? " (thread CPU time)" : "")}; {(Gemv.Wide ? "AVX-512" : "256-bit")} blocks");
        output.WriteLine("| rows | variant | ms per step | GFLOP/s |");
        output.WriteLine("|---:|---|---:|---:|");
        for (int v = 0; v < variants.Count; v++)
        {
            double flops = variants[v].Name.EndsWith("head only", StringComparison.Ordinal) ? 2.0 * shapes[^1].Inputs * shapes[^1].Outputs * variants[v].Rows
                : variants[v].Name.EndsWith("layers only", StringComparison.Ordinal) ? 2.0 * (multiplies - (long)shapes[^1].Inputs * shapes[^1].Outputs) * variants[v].Rows
                : variants[v].Name.StartsWith("in cache", StringComparison.Ordinal) ? InCacheFlops
                : variants[v].Name.StartsWith("peak", StringComparison.Ordinal) ? PeakFlops : 2.0 * multiplies * variants[v].Rows;
            output.WriteLine($"| {variants[v].Rows} | {variants[v].Name} | {best[v] * 1e3:F3} | {flops / best[v] / 1e9:F1} |");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID, Linux).</summary>
    private static double ThreadSeconds()
    {
        ClockGetTime(3, out var t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    private const int InCacheRepeats = 100;
    private const double InCacheFlops = 2.0 * 64 * 64 * 256 * InCacheRepeats;

    private static void InCache(Tensor w, Tensor x, Tensor y, int rows = 64)
    {
        float* wp = Address(w), xp = Address(x), yp = Address(y);
        // The same multiply-adds whatever the rows: 64 / rows times over.
        for (int i = 0; i < InCacheRepeats * 64 / rows; i++) Gemv.Multiply(wp, xp, null, yp, rows, 256, 64, 1, wide: false);
    }

    private const int PeakIterations = 200_000;
    private const double PeakFlops = 2.0 * 8 * 12 * PeakIterations;

    // Twelve independent multiply-add chains in registers: two FMA pipes with 4-cycle latency need eight.
    private static float Peak()
    {
        var m = System.Runtime.Intrinsics.Vector256.Create(0.999f);
        var a = System.Runtime.Intrinsics.Vector256.Create(0.001f);
        System.Runtime.Intrinsics.Vector256<float> s0 = a, s1 = a, s2 = a, s3 = a, s4 = a, s5 = a, s6 = a, s7 = a, s8 = a, s9 = a, s10 = a, s11 = a;
        for (int i = 0; i < PeakIterations; i++)
        {
            s0 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s0, m, a);
            s1 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s1, m, a);
            s2 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s2, m, a);
            s3 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s3, m, a);
            s4 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s4, m, a);
            s5 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s5, m, a);
            s6 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s6, m, a);
            s7 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s7, m, a);
            s8 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s8, m, a);
            s9 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s9, m, a);
            s10 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s10, m, a);
            s11 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(s11, m, a);
        }
        return System.Runtime.Intrinsics.Vector256.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11);
    }

    private static void WithDistance(int distance, Action step)
    {
        int saved = GemvBlocks512.PrefetchDistance;
        GemvBlocks512.PrefetchDistance = distance;
        try { step(); }
        finally { GemvBlocks512.PrefetchDistance = saved; }
    }

    private static void WithoutPrefetch(Action step)
    {
        int saved = GemvBlocks256.PrefetchFrom;
        GemvBlocks256.PrefetchFrom = int.MaxValue;
        try { step(); }
        finally { GemvBlocks256.PrefetchFrom = saved; }
    }

    private static void WithThreeRowsFrom(int rows, Action step)
    {
        int saved = GemvBlocks256.ThreeRowsFrom;
        GemvBlocks256.ThreeRowsFrom = rows;
        try { step(); }
        finally { GemvBlocks256.ThreeRowsFrom = saved; }
    }

    private static void Kernel(Tensor[] weights, Tensor x, Tensor y, int rows, int threads)
    {
        float* xp = Address(x), yp = Address(y);
        foreach (var w in weights)
            Gemv.Multiply(Address(w), xp, null, yp, rows, (int)w.shape[1], (int)w.shape[0], threads, wide: false);
    }

    private static void Torch(Tensor[] weights, Tensor x, int rows)
    {
        using var scope = NewDisposeScope();
        var rowsOfX = x.narrow(0, 0, rows);
        foreach (var w in weights)
            nn.functional.linear(rowsOfX.narrow(1, 0, w.shape[1]), w).Dispose();
    }

    private static float* Address(Tensor t) =>
        (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(t.bytes)));
}
