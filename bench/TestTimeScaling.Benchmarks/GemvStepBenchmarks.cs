using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// The ceiling of a managed decode step: the weight products of one step of a peer model (per layer the fused q/k/v
/// [q+k+v, hidden], o [hidden, heads·head_dim], fused gate/up [2·intermediate, hidden] and down [hidden, intermediate];
/// then the head [vocab, hidden]) run back to back with <see cref="Gemv.Multiply(float*, float*, float*, float*, int, int, int, int)"/>
/// over raw memory at 1-16 rows, against the same bytes read by two threads (<see cref="Roofline.ParallelSum(float*, long, int)"/>
/// product by product, the same pool handoffs) and by one, and against libtorch's <c>linear</c> on the same weights.
/// Rounds interleave every variant and keep the fastest step of each, so the ratios hold on a loaded machine.
/// <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --gemv-step [22.6M|124.7M] [rounds] [spin µs]</c>
/// prints the table; <c>--filter '*GemvStep*'</c> runs the roofline and the kernel under BenchmarkDotNet.
/// </summary>
public unsafe class GemvStepBenchmarks
{
    private Tensor[] _weights = [];
    private Tensor _x = null!, _y = null!;

    /// <summary>The peer model whose step is run.</summary>
    [Params("22.6M", "124.7M")]
    public string Model { get; set; } = "124.7M";

    /// <summary>Rows of x (sequences in the decode batch).</summary>
    [Params(1, 2, 4, 8, 16)]
    public int Rows { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        var shapes = Shapes(PeerModels.ByName(Model));
        var generator = new torch.Generator(1);
        _weights = [.. shapes.Select(s => randn([s.Outputs, s.Inputs], generator: generator))];
        int widest = shapes.Max(s => Math.Max(s.Inputs, s.Outputs));
        _x = randn([Rows, widest], generator: generator);
        _y = empty(Rows, widest);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var w in _weights) w.Dispose();
        _x.Dispose();
        _y.Dispose();
    }

    /// <summary>The step's weights read once by two threads, product by product: the roofline.</summary>
    [Benchmark(Baseline = true)]
    public void WeightRead2() => Read(_weights, Threads);

    /// <summary>The step's products through <see cref="Gemv"/> on two threads.</summary>
    [Benchmark]
    public void GemvStep() => Kernel(_weights, _x, _y, Rows, Threads, Gemv.Wide);

    private const int Threads = 2;
    private static readonly int[] RowCounts = [1, 2, 4, 8, 16];

    public static void Run(string modelName = "124.7M", int rounds = 30)
    {
        torch.set_num_threads(Threads);
        var config = PeerModels.ByName(modelName);
        var shapes = Shapes(config);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new torch.Generator(1);
        var weights = shapes.Select(s => randn([s.Outputs, s.Inputs], generator: generator)).ToArray();
        int widest = shapes.Max(s => Math.Max(s.Inputs, s.Outputs));
        var xs = RowCounts.ToDictionary(r => r, r => randn([r, widest], generator: generator));
        var ys = RowCounts.ToDictionary(r => r, r => empty(r, widest));
        long bytes = shapes.Sum(s => (long)s.Inputs * s.Outputs) * sizeof(float);

        var variants = new List<(string Name, Action Step)>
        {
            ("read, 2 threads", () => Read(weights, Threads)),
            ("read, 1 thread", () => Read(weights, 1)),
            ("read, 2 threads, 512-bit x4", () => ReadWide(weights, Threads)),
        };
        foreach (int rows in RowCounts)
        {
            variants.Add(($"Gemv {Plural(rows)}, 2 threads", () => Kernel(weights, xs[rows], ys[rows], rows, Threads, Gemv.Wide)));
            variants.Add(($"Gemv {Plural(rows)}, 2 threads, no prefetch", () =>
            {
                int distance = GemvBlocks512.PrefetchDistance;
                GemvBlocks512.PrefetchDistance = 0;
                Kernel(weights, xs[rows], ys[rows], rows, Threads, Gemv.Wide);
                GemvBlocks512.PrefetchDistance = distance;
            }));
            if (rows == 1)
            {
                variants.Add(("Gemv 1 row, 1 thread", () => Kernel(weights, xs[rows], ys[rows], rows, 1, Gemv.Wide)));
                // A managed step does other work between products (norms, attention): 20 µs of it on the calling thread
                // after each product, with the workers' spin window at its default and at zero (block at once).
                foreach (double window in new[] { KernelThreads.SpinWindow.TotalMicroseconds, 0 })
                    variants.Add(($"Gemv 1 row + 20 µs between products, spin window {window:F0} µs", () =>
                    {
                        var saved = KernelThreads.SpinWindow;
                        KernelThreads.SpinWindow = TimeSpan.FromMicroseconds(window);
                        Kernel(weights, xs[rows], ys[rows], rows, Threads, Gemv.Wide, gapMicroseconds: 20);
                        KernelThreads.SpinWindow = saved;
                    }));
                if (Gemv.Wide) variants.Add(("Gemv 1 row, 2 threads, 256-bit", () => Kernel(weights, xs[rows], ys[rows], rows, Threads, wide: false)));
            }
            if (rows is 1 or 8 or 16) variants.Add(($"torch linear {Plural(rows)}", () => Torch(weights, xs[rows], rows)));
        }

        // One step per sample, many samples, the fastest kept: on a machine other jobs load, short samples are the
        // ones that catch both threads running.
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

        double read2 = best[0];
        Console.WriteLine($"{modelName}: {shapes.Length} products per step, {bytes / 1e6:F0} MB of weights; fastest of {rounds} interleaved steps; spin window {KernelThreads.SpinWindow.TotalMicroseconds:F0} µs; {(Gemv.Wide ? "AVX-512" : "256-bit")} blocks");
        Console.WriteLine("| variant | ms per step | GB/s of weights | share of the 2-thread read |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (int v = 0; v < variants.Count; v++)
            Console.WriteLine($"| {variants[v].Name} | {best[v] * 1e3:F2} | {bytes / best[v] / 1e9:F1} | {read2 / best[v]:P0} |");
    }

    /// <summary>(outputs, inputs) of every weight product of one decode step, in the order a step runs them.</summary>
    public static (int Outputs, int Inputs)[] Shapes(ModelConfig config)
    {
        int hidden = config.HiddenSize, head = config.HeadDim;
        int qkv = (config.NumAttentionHeads + 2 * config.NumKeyValueHeads) * head;
        var layer = new[] { (qkv, hidden), (hidden, config.NumAttentionHeads * head), (2 * config.IntermediateSize, hidden), (hidden, config.IntermediateSize) };
        return [.. Enumerable.Repeat(layer, config.NumHiddenLayers).SelectMany(l => l), (config.VocabSize, hidden)];
    }

    private static void Kernel(Tensor[] weights, Tensor x, Tensor y, int rows, int threads, bool wide, double gapMicroseconds = 0)
    {
        float* xp = Address(x), yp = Address(y);
        long gap = (long)(gapMicroseconds * Stopwatch.Frequency / 1e6);
        foreach (var w in weights)
        {
            Gemv.Multiply(Address(w), xp, null, yp, rows, (int)w.shape[1], (int)w.shape[0], threads, wide);
            if (gap == 0) continue;
            long until = Stopwatch.GetTimestamp() + gap;
            while (Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
        }
    }

    private static void Read(Tensor[] weights, int threads)
    {
        foreach (var w in weights)
        {
            if (threads == 1) TensorPrimitives.Sum<float>(new ReadOnlySpan<float>(Address(w), checked((int)w.numel())));
            else Roofline.ParallelSum(Address(w), w.numel(), threads);
        }
    }

    private static void ReadWide(Tensor[] weights, int threads)
    {
        foreach (var w in weights) Roofline.ParallelStream(Address(w), w.numel(), threads);
    }

    private static void Torch(Tensor[] weights, Tensor x, int rows)
    {
        using var scope = NewDisposeScope();
        foreach (var w in weights)
            nn.functional.linear(x.narrow(1, 0, w.shape[1]), w).Dispose();
    }

    private static string Plural(int rows) => rows == 1 ? "1 row" : $"{rows} rows";

    private static float* Address(Tensor t) =>
        (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(t.bytes)));
}
