using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// y = x Wᵀ + b for a few rows of x on the CPU in float32, streaming W ([out, in], row-major) once per call with
/// 512-bit fused multiply-adds (256-bit without AVX-512), its output rows split across torch's thread count.
/// </summary>
/// <remarks>
/// A decode step of a few rows is bound by reading the weights: each weight is used once per row, so the work is a
/// matrix-vector product. libtorch's fp32 <c>linear</c> reads [out, in] weights at well under the machine's
/// bandwidth for one row (docs/benchmarks.md, "Decode kernels"); this kernel reads four weight rows at a time against
/// up to four input rows in registers (<see cref="GemvBlocks512"/>; more rows take further passes over the four weight
/// rows while they sit in L1), so the weights pass through the cache once per call, and it prefetches the weight rows
/// two groups ahead so memory stays busy while those passes compute. The parts run on <see cref="KernelThreads"/>
/// without allocating. Results equal torch's within float32 rounding of a reordered sum (about 1e-6 relative).
/// </remarks>
internal static class Gemv
{
    /// <summary>
    /// Most rows of x <see cref="Applies"/> accepts. At 16 rows the kernel still ran a 124.7M decode step's products in
    /// less than half the time of libtorch's <c>linear</c> on 2 threads (--gemv-step, docs/benchmarks.md "Decode
    /// kernels"); past that the arithmetic dominates and libtorch's blocked GEMM is the better tool.
    /// <see cref="Multiply(float*, float*, float*, float*, int, int, int, int)"/> takes any row count.
    /// </summary>
    public const int MaxRows = 16;

    /// <summary>Below this many weights one thread does the whole product: the handoff would cost more than it saves.</summary>
    private const long ParallelThreshold = 1 << 15;

    /// <summary>
    /// Rows of x one pass over the weights takes. Every weight group is read from memory once per block and used for
    /// all its rows; at 64 rows that is compute enough to hide the read, and the block's rows (64 KB at width 256,
    /// 180 KB at 704) stay in L2. Past it, x no longer fit and streamed from L3 for every group: a 256-row step of the
    /// 22.6M model fell behind libtorch's GEMMs (--rows-step). A row's sums do not depend on its block.
    /// </summary>
    internal const int RowBlock = 64;

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
    public static unsafe Tensor Linear(Tensor x, Tensor weight, Tensor? bias, int maxThreads)
    {
        int inputs = checked((int)weight.shape[1]);
        int outputs = checked((int)weight.shape[0]);
        int rows = checked((int)(x.numel() / inputs));
        using var input = x.is_contiguous() ? x.alias() : x.contiguous();
        long[] shape = [.. x.shape[..^1], outputs];
        var y = empty(shape, ScalarType.Float32, x.device);
        if (rows == 0 || outputs == 0) return y;
        // Tensor memory is native and does not move: its address is taken once, here, and the parts use it.
        Multiply(Address(weight), Address(input), bias is null ? null : Address(bias), Address(y), rows, inputs, outputs, maxThreads);
        return y;
    }

    /// <summary>
    /// y [rows, outputs] = x [rows, inputs] · w [outputs, inputs]ᵀ + b [outputs] over raw float32 memory (row-major,
    /// contiguous; <paramref name="b"/> may be null), its output rows split across at most <paramref name="maxThreads"/>
    /// threads. For kernels that hold their own buffers (a managed decode step): no tensor is made or touched, nothing
    /// is allocated.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="w"/>, <paramref name="x"/> or <paramref name="y"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative row or output count, or a non-positive input or thread count.</exception>
    public static unsafe void Multiply(float* w, float* x, float* b, float* y, int rows, int inputs, int outputs, int maxThreads) =>
        Multiply(w, x, b, y, rows, inputs, outputs, maxThreads, Wide);

    /// <summary>
    /// Whether the 512-bit blocks run (AVX-512 present); otherwise the 256-bit ones. Tests and benchmarks reach either
    /// through the overload of <see cref="Multiply(float*, float*, float*, float*, int, int, int, int)"/> that takes it.
    /// </summary>
    internal static bool Wide => Vector512.IsHardwareAccelerated;

    /// <summary>Like the public overload, with the block width chosen by the caller (<paramref name="wide"/> needs AVX-512).</summary>
    internal static unsafe void Multiply(float* w, float* x, float* b, float* y, int rows, int inputs, int outputs, int maxThreads, bool wide)
    {
        if (w == null) throw new ArgumentNullException(nameof(w));
        if (x == null) throw new ArgumentNullException(nameof(x));
        if (y == null) throw new ArgumentNullException(nameof(y));
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegative(outputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxThreads);
        if (rows == 0 || outputs == 0) return;
        if (wide && !Vector512.IsHardwareAccelerated) throw new PlatformNotSupportedException("The 512-bit blocks need AVX-512.");
        var product = new Product
        {
            W = w, X = x, B = b, Y = y, Rows = rows, Inputs = inputs, Outputs = outputs, Wide = wide,
            Parts = (long)inputs * outputs < ParallelThreshold ? 1 : Math.Max(1, Math.Min(maxThreads, outputs / 4)),
        };
        if (product.Parts == 1) product.Columns(0, outputs);
        else KernelThreads.Shared.Run(product.Parts, &RunPart, (nint)(&product));
    }

    private static unsafe float* Address(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(CpuKernel.Floats(t)));

    private static unsafe void RunPart(nint state, int part) => ((Product*)state)->Part(part);

    /// <summary>One call's operands, on the caller's stack while the workers run its parts.</summary>
    private unsafe struct Product
    {
        public float* W, X, B, Y;
        public int Rows, Inputs, Outputs, Parts;
        public bool Wide;

        /// <summary>Part <paramref name="part"/> of <see cref="Parts"/>: whole four-row groups, so every part runs the blocked loop.</summary>
        public readonly void Part(int part)
        {
            int groups = (Outputs + 3) / 4;
            int start = (int)((long)groups * part / Parts) * 4;
            int end = Math.Min(Outputs, (int)((long)groups * (part + 1) / Parts) * 4);
            Columns(start, end);
        }

        public readonly void Columns(int start, int end)
        {
            // Rows in blocks: each block's rows of x stay in L2 while the part's weight groups pass over them.
            for (int r = 0; r < Rows; r += RowBlock)
            {
                int rows = Math.Min(RowBlock, Rows - r);
                float* x = X + (nint)r * Inputs, y = Y + (nint)r * Outputs;
                if (Wide) GemvBlocks512.Columns(W, x, B, y, rows, Inputs, Outputs, start, end);
                else GemvBlocks256.Columns(W, x, B, y, rows, Inputs, Outputs, start, end);
            }
        }
    }
}
