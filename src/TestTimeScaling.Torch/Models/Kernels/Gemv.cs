using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// y = x Wᵀ + b for a few rows of x on the CPU in float32, streaming W ([out, in], row-major) once per call with
/// 256-bit fused multiply-adds, its output rows split across torch's thread count.
/// </summary>
/// <remarks>
/// A decode step of a few rows is bound by reading the weights: each weight is used once per row, so the work is a
/// matrix-vector product. libtorch's fp32 <c>linear</c> reads [out, in] weights at well under the machine's
/// bandwidth for one row (docs/benchmarks.md, "Decode kernels"); this kernel reads four weight rows at a time against
/// one or two input rows kept in L1, so the weights pass through the cache once per call. Past <see cref="MaxRows"/> the
/// arithmetic dominates and libtorch's blocked GEMM is faster. Results equal torch's within float32 rounding of a
/// reordered sum (about 1e-6 relative).
/// </remarks>
internal static class Gemv
{
    /// <summary>
    /// Most rows of x the kernel takes. At 8 rows its FMAs (8 per weight vector) still take about as long as reading
    /// the weights on this class of CPU, while libtorch's GEMM reaches well under peak at such shapes; the
    /// DecodeKernelBenchmarks suite compares both per row count (docs/benchmarks.md, "Decode kernels").
    /// </summary>
    public const int MaxRows = 8;

    /// <summary>Below this many weights one thread does the whole product: the handoff would cost more than it saves.</summary>
    private const long ParallelThreshold = 1 << 15;

    /// <summary>
    /// Whether <see cref="Linear(Tensor, Tensor, Tensor?)"/> handles these operands: float32 CPU tensors, a contiguous 2-D weight (and bias) that
    /// needs no gradient now, at most <see cref="MaxRows"/> rows of x.
    /// </summary>
    public static bool Applies(Tensor x, Tensor weight, Tensor? bias)
    {
        if (!CpuKernel.Enabled || x.device_type != DeviceType.CPU || weight.device_type != DeviceType.CPU) return false;
        if (x.dtype != ScalarType.Float32 || weight.dtype != ScalarType.Float32 || weight.dim() != 2) return false;
        long inputs = weight.shape[1];
        if (x.dim() == 0 || x.shape[^1] != inputs || inputs == 0 || !weight.is_contiguous()) return false;
        if (x.numel() / inputs > MaxRows) return false;
        // Spans over tensor memory are int-indexed: 2 GiB of weights at most.
        if (weight.numel() > int.MaxValue / sizeof(float)) return false;
        if (bias is not null && (bias.dtype != ScalarType.Float32 || bias.device_type != DeviceType.CPU || !bias.is_contiguous() || bias.dim() != 1 || bias.shape[0] != weight.shape[0]))
            return false;
        // Under autograd the result must stay in the graph: leave it to torch.
        return !(is_grad_enabled() && (x.requires_grad || weight.requires_grad || (bias?.requires_grad ?? false)));
    }

    /// <summary>x [.., in] · weight [out, in]ᵀ + bias [out] → [.., out]; the caller has checked <see cref="Applies"/>.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => Linear(x, weight, bias, Math.Min(get_num_threads(), ThreadLimit));

    /// <summary>
    /// Whether projections use this kernel (off by default). Timed alone, a decode step with it was faster (19.6-20.0 ms
    /// against 23.8 ms on the 124.7M model, one row); inside whole generations on the idle 2-core machine it was slower
    /// (64 tokens in 1.6-2.9 s against 1.62-1.79 s with libtorch's linear, 2 threads), because its workers and
    /// libtorch's OpenMP threads, which spin after each op, take turns on the same cores. Until the two share one
    /// thread pool it stays opt-in.
    /// </summary>
    public static bool Enabled { get; set; }

    /// <summary>Most threads a product uses besides torch's thread count (default: no further limit); benchmarks vary it.</summary>
    public static int ThreadLimit { get; set; } = int.MaxValue;

    /// <summary>Like <see cref="Linear(Tensor, Tensor, Tensor?)"/> on at most <paramref name="maxThreads"/> threads.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, int maxThreads)
    {
        int inputs = checked((int)weight.shape[1]);
        int outputs = checked((int)weight.shape[0]);
        int rows = checked((int)(x.numel() / inputs));
        using var input = x.is_contiguous() ? x.alias() : x.contiguous();
        long[] shape = [.. x.shape[..^1], outputs];
        var y = empty(shape, ScalarType.Float32, x.device);
        if (rows == 0 || outputs == 0) return y;

        long work = (long)inputs * outputs;
        int threads = work < ParallelThreshold ? 1 : Math.Max(1, Math.Min(maxThreads, outputs / 4));
        if (threads == 1)
        {
            Compute(input, weight, bias, y, rows, inputs, 0, outputs);
            return y;
        }
        // Parts of whole four-row groups, so every thread runs the unrolled loop.
        int groups = (outputs + 3) / 4;
        KernelThreads.Shared.Run(threads, part =>
        {
            int start = (int)((long)groups * part / threads) * 4;
            int end = Math.Min(outputs, (int)((long)groups * (part + 1) / threads) * 4);
            Compute(input, weight, bias, y, rows, inputs, start, end);
        });
        return y;
    }

    /// <summary>
    /// y [rows, outputs] = x [rows, inputs] · w [outputs, inputs]ᵀ + b [outputs] over raw float32 memory (row-major,
    /// contiguous; <paramref name="b"/> may be null), its output rows split across at most <paramref name="maxThreads"/>
    /// threads. For kernels that hold their own buffers (a managed decode step): no tensor is made or touched.
    /// </summary>
    public static unsafe void Multiply(float* w, float* x, float* b, float* y, int rows, int inputs, int outputs, int maxThreads)
    {
        if (rows <= 0 || outputs <= 0) return;
        long work = (long)inputs * outputs;
        int threads = work < ParallelThreshold ? 1 : Math.Max(1, Math.Min(maxThreads, outputs / 4));
        if (threads == 1)
        {
            RowsAt((nint)w, (nint)x, (nint)b, (nint)y, rows, inputs, outputs, 0, outputs);
            return;
        }
        int groups = (outputs + 3) / 4;
        nint wp = (nint)w, xp = (nint)x, bp = (nint)b, yp = (nint)y;
        KernelThreads.Shared.Run(threads, part =>
        {
            int start = (int)((long)groups * part / threads) * 4;
            int end = Math.Min(outputs, (int)((long)groups * (part + 1) / threads) * 4);
            RowsAt(wp, xp, bp, yp, rows, inputs, outputs, start, end);
        });
    }

    // Spans cannot cross into a worker's lambda; addresses can, and each part makes its own spans.
    private static unsafe void RowsAt(nint w, nint x, nint b, nint y, int rows, int inputs, int outputs, int start, int end) =>
        Rows(new ReadOnlySpan<float>((void*)w, checked(inputs * outputs)), new ReadOnlySpan<float>((void*)x, checked(rows * inputs)),
            b == 0 ? default : new ReadOnlySpan<float>((void*)b, outputs), new Span<float>((void*)y, checked(rows * outputs)),
            rows, inputs, outputs, start, end);

    private static void Compute(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int inputs, int start, int end)
    {
        // Spans are made on the thread that uses them (they cannot cross threads); getting one is a native call.
        ReadOnlySpan<float> w = MemoryMarshal.Cast<byte, float>(weight.bytes);
        ReadOnlySpan<float> xs = MemoryMarshal.Cast<byte, float>(x.bytes);
        ReadOnlySpan<float> b = bias is null ? default : MemoryMarshal.Cast<byte, float>(bias.bytes);
        Span<float> ys = MemoryMarshal.Cast<byte, float>(y.bytes);
        int outputs = checked((int)weight.shape[0]);
        Rows(w, xs, b, ys, rows, inputs, outputs, start, end);
    }

    /// <summary>Output columns [start, end) of every row: four weight rows at a time, each against every row of x.</summary>
    internal static void Rows(ReadOnlySpan<float> w, ReadOnlySpan<float> x, ReadOnlySpan<float> b, Span<float> y,
        int rows, int inputs, int outputs, int start, int end)
    {
        int o = start;
        for (; o + 4 <= end; o += 4)
        {
            ref float w0 = ref Unsafe.AsRef(in w[o * inputs]);
            int r = 0;
            // Two input rows per pass: eight sums from six loads per step instead of four from five.
            for (; r + 2 <= rows; r += 2)
            {
                Dot4x2(ref w0, ref Unsafe.AsRef(in x[r * inputs]), ref Unsafe.AsRef(in x[(r + 1) * inputs]), inputs, out var first, out var second);
                Store(y, b, r * outputs + o, o, first);
                Store(y, b, (r + 1) * outputs + o, o, second);
            }
            for (; r < rows; r++)
            {
                ref float xr = ref Unsafe.AsRef(in x[r * inputs]);
                Dot4(ref w0, ref xr, inputs, out float d0, out float d1, out float d2, out float d3);
                Store(y, b, r * outputs + o, o, Vector128.Create(d0, d1, d2, d3));
            }
        }
        for (; o < end; o++)
        {
            ref float wo = ref Unsafe.AsRef(in w[o * inputs]);
            for (int r = 0; r < rows; r++)
            {
                ref float xr = ref Unsafe.AsRef(in x[r * inputs]);
                y[r * outputs + o] = Dot1(ref wo, ref xr, inputs) + (b.IsEmpty ? 0f : b[o]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<float> y, ReadOnlySpan<float> b, int at, int o, Vector128<float> sums)
    {
        if (!b.IsEmpty) sums += Vector128.Create(b[o], b[o + 1], b[o + 2], b[o + 3]);
        sums.CopyTo(y.Slice(at, 4));
    }

    /// <summary>Dot products of four consecutive weight rows (stride <paramref name="n"/>) with two input rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x2(ref float w, ref float x, ref float z, int n, out Vector128<float> first, out Vector128<float> second)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        nuint n1 = (nuint)n, n2 = (nuint)(2 * n), n3 = (nuint)(3 * n);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            nuint at = (nuint)i;
            var xv = Vector256.LoadUnsafe(ref x, at);
            var zv = Vector256.LoadUnsafe(ref z, at);
            var v0 = Vector256.LoadUnsafe(ref w, at);
            var v1 = Vector256.LoadUnsafe(ref w, n1 + at);
            var v2 = Vector256.LoadUnsafe(ref w, n2 + at);
            var v3 = Vector256.LoadUnsafe(ref w, n3 + at);
            a0 = Vector256.FusedMultiplyAdd(v0, xv, a0);
            a1 = Vector256.FusedMultiplyAdd(v1, xv, a1);
            a2 = Vector256.FusedMultiplyAdd(v2, xv, a2);
            a3 = Vector256.FusedMultiplyAdd(v3, xv, a3);
            c0 = Vector256.FusedMultiplyAdd(v0, zv, c0);
            c1 = Vector256.FusedMultiplyAdd(v1, zv, c1);
            c2 = Vector256.FusedMultiplyAdd(v2, zv, c2);
            c3 = Vector256.FusedMultiplyAdd(v3, zv, c3);
        }
        float d0 = Vector256.Sum(a0), d1 = Vector256.Sum(a1), d2 = Vector256.Sum(a2), d3 = Vector256.Sum(a3);
        float e0 = Vector256.Sum(c0), e1 = Vector256.Sum(c1), e2 = Vector256.Sum(c2), e3 = Vector256.Sum(c3);
        for (; i < n; i++)
        {
            float xi = Unsafe.Add(ref x, i), zi = Unsafe.Add(ref z, i);
            float u0 = Unsafe.Add(ref w, i), u1 = Unsafe.Add(ref w, n + i), u2 = Unsafe.Add(ref w, 2 * n + i), u3 = Unsafe.Add(ref w, 3 * n + i);
            d0 += u0 * xi; d1 += u1 * xi; d2 += u2 * xi; d3 += u3 * xi;
            e0 += u0 * zi; e1 += u1 * zi; e2 += u2 * zi; e3 += u3 * zi;
        }
        first = Vector128.Create(d0, d1, d2, d3);
        second = Vector128.Create(e0, e1, e2, e3);
    }

    /// <summary>Dot products of four consecutive weight rows (stride <paramref name="n"/>) with one input row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(ref float w, ref float x, int n, out float d0, out float d1, out float d2, out float d3)
    {
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero;
        var a3 = Vector256<float>.Zero;
        int i = 0;
        nuint n1 = (nuint)n, n2 = (nuint)(2 * n), n3 = (nuint)(3 * n);
        for (; i + 8 <= n; i += 8)
        {
            var xv = Vector256.LoadUnsafe(ref x, (nuint)i);
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)i), xv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, n1 + (nuint)i), xv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, n2 + (nuint)i), xv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, n3 + (nuint)i), xv, a3);
        }
        d0 = Vector256.Sum(a0);
        d1 = Vector256.Sum(a1);
        d2 = Vector256.Sum(a2);
        d3 = Vector256.Sum(a3);
        for (; i < n; i++)
        {
            float xi = Unsafe.Add(ref x, i);
            d0 += Unsafe.Add(ref w, i) * xi;
            d1 += Unsafe.Add(ref w, n + i) * xi;
            d2 += Unsafe.Add(ref w, 2 * n + i) * xi;
            d3 += Unsafe.Add(ref w, 3 * n + i) * xi;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot1(ref float w, ref float x, int n)
    {
        var a = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= n; i += 8)
            a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)i), Vector256.LoadUnsafe(ref x, (nuint)i), a);
        float d = Vector256.Sum(a);
        for (; i < n; i++) d += Unsafe.Add(ref w, i) * Unsafe.Add(ref x, i);
        return d;
    }
}
