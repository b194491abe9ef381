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
    private static readonly int[] RowCounts = [1, 3, 8, 16, 32, 64];

    public static void Run(TextWriter output, string modelName, int rounds, int threads)
    {
        set_num_threads(threads);
        var shapes = GemvStepBenchmarks.Shapes(PeerModels.ByName(modelName));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(1);
        var weights = shapes.Select(s => randn([s.Outputs, s.Inputs], generator: generator)).ToArray();
        int widest = shapes.Max(s => Math.Max(s.Inputs, s.Outputs));
        int most = RowCounts.Max();
        var x = randn([most, widest], generator: generator);
        var y = empty(most, widest);
        long multiplies = shapes.Sum(s => (long)s.Inputs * s.Outputs);

        var variants = new List<(string Name, int Rows, Action Step)>();
        foreach (int rows in RowCounts)
        {
            variants.Add(("4x2 passes", rows, () => WithThreeRowsFrom(int.MaxValue, () => Kernel(weights, x, y, rows, threads))));
            if (rows >= 3) variants.Add(("4x3 passes", rows, () => WithThreeRowsFrom(3, () => Kernel(weights, x, y, rows, threads))));
            if (rows >= 8) variants.Add(("torch linear", rows, () => Torch(weights, x, rows)));
        }

        var best = new double[variants.Count];
        Array.Fill(best, double.MaxValue);
        foreach (var variant in variants) variant.Step();
        for (int round = 0; round < rounds; round++)
            for (int v = 0; v < variants.Count; v++)
            {
                long start = Stopwatch.GetTimestamp();
                variants[v].Step();
                best[v] = Math.Min(best[v], Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

        output.WriteLine($"{modelName}: {shapes.Length} products per step, {multiplies / 1e6:F1} M weights; fastest of {rounds} interleaved steps; {threads} thread(s); {(Gemv.Wide ? "AVX-512" : "256-bit")} blocks");
        output.WriteLine("| rows | variant | ms per step | GFLOP/s |");
        output.WriteLine("|---:|---|---:|---:|");
        for (int v = 0; v < variants.Count; v++)
            output.WriteLine($"| {variants[v].Rows} | {variants[v].Name} | {best[v] * 1e3:F3} | {2.0 * multiplies * variants[v].Rows / best[v] / 1e9:F1} |");
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
