using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TestTimeScaling.Torch;

/// <summary>
/// y = x · dequant(W)ᵀ + b for a few fp32 rows of x against a <see cref="Q8Matrix"/>: the signed-byte weights are
/// widened, converted and scaled in registers (AVX-512: sixteen at a time) and never stored as fp32, so a decode step
/// reads about 1.1 bytes a weight instead of 4. Output rows are split across threads as <see cref="Gemv"/> splits them.
/// </summary>
/// <remarks>
/// Activations stay fp32 (llama.cpp quantizes them to Q8_0 per block too and multiplies in int8; that further error is
/// not taken here). The result equals an fp32 product over the dequantized weights within float32 rounding of a
/// reordered sum. Without AVX-512 each weight row is dequantized into a thread's scratch row and dotted with
/// <see cref="TensorPrimitives"/> (Vector256 or whatever the machine has): correct, slower.
/// </remarks>
internal static unsafe class GemvQ8
{
    /// <summary>Below this many weights one thread does the whole product: the handoff would cost more than it saves.</summary>
    private const long ParallelThreshold = 1 << 15;

    /// <summary>Bytes ahead of the current block that the loops prefetch.</summary>
    private const int PrefetchDistance = 2048;

    [ThreadStatic] private static float[]? t_row;

    /// <summary>Whether the AVX-512 kernel runs (default: when the CPU has it); tests turn it off to cover the fallback.</summary>
    internal static bool UseVector512 { get; set; } = Avx512F.IsSupported;

    /// <summary>
    /// y [rows, outputs] = x [rows, inputs] · dequant(<paramref name="w"/>)ᵀ + b [outputs] over raw fp32 memory
    /// (row-major, contiguous; <paramref name="b"/> may be null), output rows split across at most
    /// <paramref name="maxThreads"/> threads.
    /// </summary>
    public static void Multiply(Q8Matrix w, float* x, float* b, float* y, int rows, int maxThreads)
    {
        int outputs = w.Outputs;
        if (rows <= 0) return;
        long work = (long)w.Inputs * outputs;
        int threads = work < ParallelThreshold ? 1 : Math.Max(1, Math.Min(maxThreads, outputs / 4));
        if (threads == 1)
        {
            Range(w, x, b, y, rows, 0, outputs);
            return;
        }
        // Parts of whole four-row groups, as Gemv.Multiply splits them.
        int groups = (outputs + 3) / 4;
        nint xp = (nint)x, bp = (nint)b, yp = (nint)y;
        KernelThreads.Shared.Run(threads, part =>
        {
            int start = (int)((long)groups * part / threads) * 4;
            int end = Math.Min(outputs, (int)((long)groups * (part + 1) / threads) * 4);
            Range(w, (float*)xp, (float*)bp, (float*)yp, rows, start, end);
        });
    }

    /// <summary>Output columns [start, end) of every row.</summary>
    private static void Range(Q8Matrix w, float* x, float* b, float* y, int rows, int start, int end)
    {
        if (start >= end) return;
        if (!UseVector512)
        {
            Fallback(w, x, b, y, rows, start, end);
            return;
        }
        int inputs = w.Inputs, outputs = w.Outputs;
        int r = 0;
        // Four rows of x per pass over the weights; a remainder of two or three repeats its last row (same values
        // written twice), one row takes the two-weight-row loop.
        for (; r < rows; r += 4)
        {
            int left = rows - r;
            if (left == 1)
            {
                float* xr = x + (long)r * inputs, yr = y + (long)r * outputs;
                int o = start;
                if (inputs % Q8Block.Size == 0) for (; o + 4 <= end; o += 4) Quad(w, xr, b, yr, o);
                for (; o + 2 <= end; o += 2) Pair(w, xr, b, yr, o, o + 1);
                if (o < end) Pair(w, xr, b, yr, o, o);
                break;
            }
            int r1 = r + 1, r2 = r + Math.Min(2, left - 1), r3 = r + Math.Min(3, left - 1);
            for (int o = start; o < end; o++)
                Four(w, o, x + (long)r * inputs, x + (long)r1 * inputs, x + (long)r2 * inputs, x + (long)r3 * inputs, b,
                    y + (long)r * outputs, y + (long)r1 * outputs, y + (long)r2 * outputs, y + (long)r3 * outputs);
        }
    }

    /// <summary>Sixteen quants widened to fp32 and scaled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sixteen(sbyte* q, Vector512<float> scale) =>
        Avx512F.Multiply(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q))), scale);

    /// <summary>Weight rows <paramref name="o0"/> and <paramref name="o1"/> against one row of x (o1 may equal o0).</summary>
    private static void Pair(Q8Matrix w, float* x, float* b, float* y, int o0, int o1)
    {
        int inputs = w.Inputs, full = inputs / Q8Block.Size;
        sbyte* q0 = w.Quants + (long)o0 * inputs, q1 = w.Quants + (long)o1 * inputs;
        float* s0 = w.Scales + (long)o0 * w.BlocksPerRow, s1 = w.Scales + (long)o1 * w.BlocksPerRow;
        Vector512<float> a0 = default, a1 = default, c0 = default, c1 = default;
        for (int k = 0; k < full; k++)
        {
            int at = k * Q8Block.Size;
            var xl = Vector512.Load(x + at);
            var xh = Vector512.Load(x + at + 16);
            // The rows are short (a few hundred bytes each): ask for the lines well ahead, past the row's end, into the
            // next rows (rows are contiguous), so the reads keep enough memory requests in flight.
            Sse.Prefetch0(q1 + at + PrefetchDistance);
            var d0 = Vector512.Create(s0[k]);
            var d1 = Vector512.Create(s1[k]);
            a0 = Avx512F.FusedMultiplyAdd(Sixteen(q0 + at, d0), xl, a0);
            c0 = Avx512F.FusedMultiplyAdd(Sixteen(q0 + at + 16, d0), xh, c0);
            a1 = Avx512F.FusedMultiplyAdd(Sixteen(q1 + at, d1), xl, a1);
            c1 = Avx512F.FusedMultiplyAdd(Sixteen(q1 + at + 16, d1), xh, c1);
        }
        float y0 = Vector512.Sum(a0 + c0) + Tail(w, o0, x), y1 = Vector512.Sum(a1 + c1) + Tail(w, o1, x);
        y[o0] = y0 + (b is null ? 0f : b[o0]);
        y[o1] = y1 + (b is null ? 0f : b[o1]);
    }

    /// <summary>
    /// Weight rows <paramref name="o"/> .. o + 3 against one row of x, rows of whole blocks only: four independent
    /// sums per block keep the loop from waiting on one accumulator, and the call and the final reductions are shared
    /// by four rows.
    /// </summary>
    private static void Quad(Q8Matrix w, float* x, float* b, float* y, int o)
    {
        int inputs = w.Inputs, full = inputs / Q8Block.Size, blocks = w.BlocksPerRow;
        sbyte* q0 = w.Quants + (long)o * inputs, q1 = q0 + inputs, q2 = q1 + inputs, q3 = q2 + inputs;
        float* s0 = w.Scales + (long)o * blocks, s1 = s0 + blocks, s2 = s1 + blocks, s3 = s2 + blocks;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int k = 0; k < full; k++)
        {
            int at = k * Q8Block.Size;
            Sse.Prefetch0(q3 + at + PrefetchDistance);
            var xl = Vector512.Load(x + at);
            var xh = Vector512.Load(x + at + 16);
            a0 = Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(Widen(q0 + at + 16), xh, Avx512F.Multiply(Widen(q0 + at), xl)), Vector512.Create(s0[k]), a0);
            a1 = Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(Widen(q1 + at + 16), xh, Avx512F.Multiply(Widen(q1 + at), xl)), Vector512.Create(s1[k]), a1);
            a2 = Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(Widen(q2 + at + 16), xh, Avx512F.Multiply(Widen(q2 + at), xl)), Vector512.Create(s2[k]), a2);
            a3 = Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(Widen(q3 + at + 16), xh, Avx512F.Multiply(Widen(q3 + at), xl)), Vector512.Create(s3[k]), a3);
        }
        y[o] = Vector512.Sum(a0) + (b is null ? 0f : b[o]);
        y[o + 1] = Vector512.Sum(a1) + (b is null ? 0f : b[o + 1]);
        y[o + 2] = Vector512.Sum(a2) + (b is null ? 0f : b[o + 2]);
        y[o + 3] = Vector512.Sum(a3) + (b is null ? 0f : b[o + 3]);
    }

    /// <summary>Sixteen quants widened to fp32, unscaled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(sbyte* q) =>
        Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q)));

    /// <summary>Weight row <paramref name="o"/> against four rows of x (some may repeat).</summary>
    private static void Four(Q8Matrix w, int o, float* x0, float* x1, float* x2, float* x3, float* b, float* y0, float* y1, float* y2, float* y3)
    {
        int inputs = w.Inputs, full = inputs / Q8Block.Size;
        sbyte* q = w.Quants + (long)o * inputs;
        float* s = w.Scales + (long)o * w.BlocksPerRow;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int k = 0; k < full; k++)
        {
            int at = k * Q8Block.Size;
            Sse.Prefetch0(q + at + PrefetchDistance);
            var d = Vector512.Create(s[k]);
            var wl = Sixteen(q + at, d);
            var wh = Sixteen(q + at + 16, d);
            a0 = Avx512F.FusedMultiplyAdd(wl, Vector512.Load(x0 + at), a0);
            c0 = Avx512F.FusedMultiplyAdd(wh, Vector512.Load(x0 + at + 16), c0);
            a1 = Avx512F.FusedMultiplyAdd(wl, Vector512.Load(x1 + at), a1);
            c1 = Avx512F.FusedMultiplyAdd(wh, Vector512.Load(x1 + at + 16), c1);
            a2 = Avx512F.FusedMultiplyAdd(wl, Vector512.Load(x2 + at), a2);
            c2 = Avx512F.FusedMultiplyAdd(wh, Vector512.Load(x2 + at + 16), c2);
            a3 = Avx512F.FusedMultiplyAdd(wl, Vector512.Load(x3 + at), a3);
            c3 = Avx512F.FusedMultiplyAdd(wh, Vector512.Load(x3 + at + 16), c3);
        }
        float bias = b is null ? 0f : b[o];
        y0[o] = Vector512.Sum(a0 + c0) + Tail(w, o, x0) + bias;
        y1[o] = Vector512.Sum(a1 + c1) + Tail(w, o, x1) + bias;
        y2[o] = Vector512.Sum(a2 + c2) + Tail(w, o, x2) + bias;
        y3[o] = Vector512.Sum(a3 + c3) + Tail(w, o, x3) + bias;
    }

    /// <summary>The product over a row's last, shorter block (0 when the row is whole blocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(Q8Matrix w, int o, float* x)
    {
        int inputs = w.Inputs, from = inputs / Q8Block.Size * Q8Block.Size;
        if (from == inputs) return 0f;
        sbyte* q = w.Quants + (long)o * inputs;
        float d = w.Scales[(long)o * w.BlocksPerRow + w.BlocksPerRow - 1], sum = 0f;
        for (int i = from; i < inputs; i++) sum += q[i] * d * x[i];
        return sum;
    }

    /// <summary>Without AVX-512: each weight row dequantized into a scratch row, then dotted with every row of x.</summary>
    private static void Fallback(Q8Matrix w, float* x, float* b, float* y, int rows, int start, int end)
    {
        int inputs = w.Inputs, outputs = w.Outputs;
        var scratch = t_row is { } held && held.Length >= inputs ? held : t_row = new float[inputs];
        var row = scratch.AsSpan(0, inputs);
        for (int o = start; o < end; o++)
        {
            TensorPrimitives.ConvertChecked<sbyte, float>(new ReadOnlySpan<sbyte>(w.Quants + (long)o * inputs, inputs), row);
            float* s = w.Scales + (long)o * w.BlocksPerRow;
            for (int k = 0; k < w.BlocksPerRow; k++)
            {
                var block = row.Slice(k * Q8Block.Size, Math.Min(Q8Block.Size, inputs - k * Q8Block.Size));
                TensorPrimitives.Multiply(block, s[k], block);
            }
            for (int r = 0; r < rows; r++)
                y[(long)r * outputs + o] = TensorPrimitives.Dot(row, new ReadOnlySpan<float>(x + (long)r * inputs, inputs)) + (b is null ? 0f : b[o]);
        }
    }
}
