using System.Diagnostics;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// One decode-step matrix product of a few rows, y = x Wᵀ, done every way the engine could: libtorch's
/// <c>linear</c> on the [out, in] weight (what Hugging Face stores), <c>matmul</c> on an [in, out] copy, <c>mv</c>
/// and <c>addmm</c>, a row-by-row <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>, and
/// the library's <see cref="Gemv"/> kernel on one and two threads; <see cref="WeightRead"/> and
/// <see cref="WeightRead2"/> are the bandwidth roofline (one fp32 read of W on one and two threads).
/// Shapes are the 124.7M peer model's: fused q/k/v (1280 x 768), fused gate/up (4096 x 768), down (768 x 2048) and
/// the head (32000 x 768).
/// </summary>
public class DecodeKernelBenchmarks
{
    /// <summary>Threads for torch and the kernel, as in the side-by-side suite.</summary>
    public const int Threads = 2;

    private Tensor _weight = null!, _weightT = null!, _bias = null!, _x = null!;
    private float[] _w = [], _xs = [], _y = [];

    /// <summary>Weight shape, "out x in".</summary>
    [Params("1280x768", "4096x768", "768x2048", "32000x768")]
    public string Shape { get; set; } = "1280x768";

    /// <summary>Rows of x (sequences in the decode batch).</summary>
    [Params(1, 4, 8)]
    public int Rows { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        var parts = Shape.Split('x');
        int outputs = int.Parse(parts[0]), inputs = int.Parse(parts[1]);
        _weight = randn(outputs, inputs);
        _weightT = _weight.t().contiguous();
        _bias = zeros(outputs);
        _x = randn(Rows, inputs);
        _w = _weight.data<float>().ToArray();
        _xs = _x.data<float>().ToArray();
        _y = new float[Rows * outputs];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _weight.Dispose();
        _weightT.Dispose();
        _bias.Dispose();
        _x.Dispose();
    }

    /// <summary>libtorch's linear on the [out, in] weight: the engine's path before the kernel.</summary>
    [Benchmark(Baseline = true)]
    public float TorchLinear() => Run(() => nn.functional.linear(_x, _weight));

    /// <summary>matmul against an [in, out] copy of the weight (the other layout).</summary>
    [Benchmark]
    public float TorchMatmulInOut() => Run(() => _x.matmul(_weightT));

    /// <summary>mv for one row, mm for more: the matrix-vector entry points.</summary>
    [Benchmark]
    public float TorchMvOrMm() => Run(() => Rows == 1 ? _weight.mv(_x[0]) : _x.mm(_weight.t()));

    /// <summary>addmm with a zero bias.</summary>
    [Benchmark]
    public float TorchAddmm() => Run(() => _bias.addmm(_x, _weight.t()));

    /// <summary>One TensorPrimitives.Dot per output and row, one thread, on managed arrays.</summary>
    [Benchmark]
    public float TensorPrimitivesDot()
    {
        int inputs = _xs.Length / Rows, outputs = _w.Length / inputs;
        for (int r = 0; r < Rows; r++)
        for (int o = 0; o < outputs; o++)
            _y[r * outputs + o] = TensorPrimitives.Dot(_w.AsSpan(o * inputs, inputs), _xs.AsSpan(r * inputs, inputs));
        return _y[0];
    }

    /// <summary>The library's kernel on one thread.</summary>
    [Benchmark]
    public float Kernel1() => Run(() => Gemv.Linear(_x, _weight, null, maxThreads: 1));

    /// <summary>The library's kernel on two threads.</summary>
    [Benchmark]
    public float Kernel2() => Run(() => Gemv.Linear(_x, _weight, null, maxThreads: 2));

    /// <summary>The roofline on one thread: one pass over W's bytes.</summary>
    [Benchmark]
    public float WeightRead() => TensorPrimitives.Sum<float>(_w);

    /// <summary>The roofline on two threads: each half of W summed on its own thread.</summary>
    [Benchmark]
    public float WeightRead2() => Roofline.ParallelSum(_w, 2);

    private static float Run(Func<Tensor> product)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var y = product();
        return y.numel() > 0 ? 1 : 0;
    }

    /// <summary>
    /// Every method on every shape and row count in one process, fastest of several rounds, printed as GB/s of weights
    /// read and as a ratio to the two-thread roofline: quick to read on a loaded machine, where BenchmarkDotNet's full
    /// run takes long. <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --decode-kernels</c>.
    /// </summary>
    public static void RunQuick(int rounds = 5)
    {
        var methods = new (string Name, Func<DecodeKernelBenchmarks, float> Run)[]
        {
            ("torch linear", b => b.TorchLinear()), ("torch matmul [in,out]", b => b.TorchMatmulInOut()),
            ("torch mv/mm", b => b.TorchMvOrMm()), ("torch addmm", b => b.TorchAddmm()),
            ("TensorPrimitives.Dot", b => b.TensorPrimitivesDot()), ("kernel 1 thread", b => b.Kernel1()),
            ("kernel 2 threads", b => b.Kernel2()), ("read 1 thread", b => b.WeightRead()), ("read 2 threads", b => b.WeightRead2()),
        };
        Console.WriteLine($"| shape | rows | {string.Join(" | ", methods.Select(m => m.Name))} |");
        Console.WriteLine($"|---|---:|{string.Concat(methods.Select(_ => "---:|"))}");
        foreach (string shape in new[] { "1280x768", "4096x768", "768x2048", "32000x768" })
        foreach (int rows in new[] { 1, 2, 4, 8 })
        {
            var bench = new DecodeKernelBenchmarks { Shape = shape, Rows = rows };
            bench.Setup();
            double bytes = bench._w.Length * 4.0;
            int repeats = Math.Max(3, (int)(400e6 / bytes)); // about 400 MB of weights per timed round
            var best = new double[methods.Length];
            Array.Fill(best, double.MaxValue);
            for (int round = 0; round < rounds; round++)
            for (int m = 0; m < methods.Length; m++)
            {
                methods[m].Run(bench);
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < repeats; i++) methods[m].Run(bench);
                best[m] = Math.Min(best[m], clock.Elapsed.TotalSeconds / repeats);
            }
            double roofline = best[^1];
            Console.WriteLine($"| {shape} | {rows} | {string.Join(" | ", best.Select(t => $"{bytes / t / 1e9:F1} GB/s ({roofline / t:P0})"))} |");
            bench.Cleanup();
        }
    }
}
