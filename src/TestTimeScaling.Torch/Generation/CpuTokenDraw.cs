using System.Buffers;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// The inverse-CDF draw over whole rows (temperature, optional min-p, no top-k or top-p) done in place on CPU logits:
/// per row one pass for the maximum and one pass that exponentiates each block of 256 in a small buffer
/// (<see cref="BlockWeights"/>) and keeps only its sum, then the block and the token inside it are found against
/// those sums with the row's uniform number. Nothing of the vocabulary's size is written, where the tensor form
/// writes the exponentials and reads them again. Greedy rows (the argmax, and its logprob from the same block sums)
/// take the same route.
/// </summary>
/// <remarks>
/// <para>Same distribution as the tensor form (and the same uniform per row from the same generators): the chosen
/// token is the first whose cumulative weight exceeds u x total, a zero-weight token is never chosen. Block sums are
/// added in double precision, in block order.</para>
/// <para>Rows are shared among torch's thread count of <see cref="KernelThreads"/> once there are
/// <see cref="ParallelThreshold"/> logits: whole rows when there are at least two per thread, else each row's blocks
/// in slices (a batch-1 step). Either way every row's arithmetic is the one-thread arithmetic (see
/// <see cref="TokenDrawJob"/>), so tokens and logprobs do not depend on the thread count. An earlier measurement found
/// two threads slower here while torch's OpenMP threads spun after the step's ops; the decode step now runs in managed
/// code on the same kernel threads, which are awake when the logits arrive (docs/benchmarks.md, "Sampling share").</para>
/// </remarks>
internal static unsafe class CpuTokenDraw
{
    /// <summary>Logits (rows x vocabulary) from which a call is shared among threads: 15-40 µs of exponentials on one.</summary>
    internal const long ParallelThreshold = 1 << 14;

    /// <summary>
    /// Whether <paramref name="logits"/> can be read in place: float32, contiguous, in CPU memory, two dimensions, and
    /// within one span (under 2 GiB).
    /// </summary>
    public static bool Applies(Tensor logits) =>
        logits.device_type == DeviceType.CPU && logits.dtype == ScalarType.Float32 && logits.dim() == 2 && logits.is_contiguous()
        && logits.numel() < int.MaxValue / sizeof(float);

    /// <summary>
    /// Draws one token per row of <paramref name="logits"/> [rows, vocab] at <paramref name="temperature"/> (&gt; 0),
    /// dropping tokens whose probability is below <paramref name="minP"/> times the row's best (0: none); fills
    /// <paramref name="logprobs"/> (when given) with the chosen tokens' log-probabilities under the model (before
    /// temperature and truncation).
    /// </summary>
    public static long[] Draw(Tensor logits, double temperature, double minP, float[] uniforms, float[]? logprobs) =>
        Draw(logits, temperature, minP, uniforms, logprobs, DefaultThreads);

    /// <summary>Like <see cref="Draw(Tensor, double, double, float[], float[])"/> on at most <paramref name="threads"/> threads (tests and benches vary it).</summary>
    internal static long[] Draw(Tensor logits, double temperature, double minP, float[] uniforms, float[]? logprobs, int threads)
    {
        int rows = (int)logits.shape[0];
        if (uniforms.Length != rows) throw new ArgumentException($"One uniform number per row is needed ({rows}), got {uniforms.Length}.", nameof(uniforms));
        return Run(logits, greedy: false, (float)(1 / temperature), (float)minP, uniforms, logprobs, threads);
    }

    /// <summary>The most likely token per row (the first of equals, as argmax), with its log-probability when <paramref name="logprobs"/> is given.</summary>
    public static long[] Greedy(Tensor logits, float[]? logprobs) => Greedy(logits, logprobs, DefaultThreads);

    /// <summary>Like <see cref="Greedy(Tensor, float[])"/> on at most <paramref name="threads"/> threads.</summary>
    internal static long[] Greedy(Tensor logits, float[]? logprobs, int threads) =>
        Run(logits, greedy: true, 1, 0, [], logprobs, threads);

    /// <summary>torch's thread count, which the managed decode step's kernels use too.</summary>
    private static int DefaultThreads => torch.get_num_threads();

    private static long[] Run(Tensor logits, bool greedy, float inverse, float minP, float[] uniforms, float[]? logprobs, int threads)
    {
        int rows = (int)logits.shape[0], vocab = (int)logits.shape[1];
        var tokens = new long[rows];
        if (rows == 0 || vocab == 0) return tokens;
        bool wantLogprob = logprobs is not null;
        int blocks = (vocab + TokenDrawJob.BlockSize - 1) / TokenDrawJob.BlockSize;
        // An argmax alone costs about an eighth of a logit's exponential: it needs eight times the rows to pay for threads.
        long work = greedy && !wantLogprob ? (long)rows * vocab / 8 : (long)rows * vocab;
        if (work < ParallelThreshold) threads = 1;
        // Too few rows to give each thread two: split each row's blocks instead, one slice per thread.
        int slices = threads > 1 && rows < 2 * threads && blocks >= 2 * threads ? threads : 1;
        int perRow = 3 * blocks + 1 + slices;
        float[] scratch = ArrayPool<float>.Shared.Rent(rows * perRow);
        try
        {
            fixed (float* u = uniforms, lp = logprobs, s = scratch)
            fixed (long* t = tokens)
            {
                var job = new TokenDrawJob
                {
                    Logits = TensorMemory.Floats(logits), Rows = rows, Vocab = vocab, Blocks = blocks,
                    Inverse = inverse, MinP = minP, Greedy = greedy, WantLogprob = wantLogprob,
                    Uniforms = u, Tokens = t, Logprobs = lp,
                    Kept = s, Unmasked = s + rows * blocks, Plain = s + 2 * rows * blocks,
                    Maxes = s + 3 * rows * blocks, SliceMaxes = s + 3 * rows * blocks + rows, Slices = slices,
                };
                if (slices == 1)
                {
                    job.Run(threads, TokenDrawPhase.WholeRows, rows);
                    return tokens;
                }
                if (greedy)
                {
                    // The argmax is one cheap pass; only the logprob's sums are worth sharing.
                    for (int r = 0; r < rows; r++)
                    {
                        var row = new ReadOnlySpan<float>(job.Logits + (long)r * vocab, vocab);
                        int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
                        tokens[r] = best;
                        job.Maxes[r] = row[best];
                    }
                    if (!wantLogprob) return tokens;
                }
                else
                {
                    job.Run(threads, TokenDrawPhase.SliceMaxes, rows * slices);
                    for (int r = 0; r < rows; r++) job.CombineSliceMaxes(r);
                }
                job.Run(threads, TokenDrawPhase.SliceSums, rows * slices);
                for (int r = 0; r < rows; r++) job.Finish(r);
            }
            return tokens;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
