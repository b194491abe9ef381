using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TestTimeScaling.Torch;

/// <summary>
/// <see cref="Gemv"/>'s 512-bit blocks: four weight rows against one, two or four rows of x per pass, so each
/// weight vector loaded from memory feeds up to four fused multiply-adds and each x vector (from L1) four.
/// </summary>
/// <remarks>
/// Four by four is sixteen accumulators plus four weight vectors and one x vector: 21 of the 32 registers AVX-512
/// gives, so nothing spills. More x rows reuse the four weight rows from L1 (12 KB at width 768) in further passes.
/// </remarks>
internal static unsafe class GemvBlocks512
{
    /// <summary>Output columns [start, end) of every row of y [rows, outputs] = x [rows, n] · w [outputs, n]ᵀ + b.</summary>
    public static void Columns(float* w, float* x, float* b, float* y, int rows, int n, int outputs, int start, int end)
    {
        // Passes over each group of four weight rows: 4x4, then 4x2, then 4x1 blocks of x rows.
        int passes = rows / 4 + (rows % 4) / 2 + rows % 2;
        int o = start;
        for (; o + 4 <= end; o += 4)
        {
            float* wo = w + (nint)o * n;
            float* bo = b == null ? null : b + o;
            int r = 0, pass = 0;
            for (; r + 4 <= rows; r += 4, pass++)
                Four4(wo, Ahead(wo, n, pass, passes), x + (nint)r * n, n, y + (nint)r * outputs + o, outputs, bo);
            for (; r + 2 <= rows; r += 2, pass++)
                Four2(wo, Ahead(wo, n, pass, passes), x + (nint)r * n, n, y + (nint)r * outputs + o, outputs, bo);
            // One row alone streams without prefetching: its loads keep enough lines in flight, and the extra
            // instructions measured slower (--gemv-step).
            if (r < rows) Four1(wo, rows == 1 ? default : Ahead(wo, n, pass, passes), x + (nint)r * n, n, y + (nint)r * outputs + o, bo);
        }
        for (; o < end; o++)
            for (int r = 0; r < rows; r++)
                y[(nint)r * outputs + o] = GemvTail.Dot(w + (nint)o * n, x + (nint)r * n, n) + (b == null ? 0f : b[o]);
    }

    private static void Four1(float* w, Lines p, float* x, int n, float* y, float* b)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float* w1 = w + n, w2 = w1 + n, w3 = w2 + n;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            p.Prefetch(i);
            var u = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), u, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), u, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), u, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), u, a3);
        }
        GemvTail.Store(y, b, Sum4(a0, a1, a2, a3) + GemvTail.Four(w, n, x, i));
    }

    private static void Four2(float* w, Lines p, float* x, int n, float* y, int yStride, float* b)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        float* w1 = w + n, w2 = w1 + n, w3 = w2 + n, z = x + n;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            p.Prefetch(i);
            var v0 = Vector512.Load(w + i);
            var v1 = Vector512.Load(w1 + i);
            var v2 = Vector512.Load(w2 + i);
            var v3 = Vector512.Load(w3 + i);
            var u = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(v0, u, a0);
            a1 = Vector512.FusedMultiplyAdd(v1, u, a1);
            a2 = Vector512.FusedMultiplyAdd(v2, u, a2);
            a3 = Vector512.FusedMultiplyAdd(v3, u, a3);
            u = Vector512.Load(z + i);
            c0 = Vector512.FusedMultiplyAdd(v0, u, c0);
            c1 = Vector512.FusedMultiplyAdd(v1, u, c1);
            c2 = Vector512.FusedMultiplyAdd(v2, u, c2);
            c3 = Vector512.FusedMultiplyAdd(v3, u, c3);
        }
        GemvTail.Store(y, b, Sum4(a0, a1, a2, a3) + GemvTail.Four(w, n, x, i));
        GemvTail.Store(y + yStride, b, Sum4(c0, c1, c2, c3) + GemvTail.Four(w, n, z, i));
    }

    private static void Four4(float* w, Lines p, float* x, int n, float* y, int yStride, float* b)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default;
        float* w1 = w + n, w2 = w1 + n, w3 = w2 + n;
        float* x1 = x + n, x2 = x1 + n, x3 = x2 + n;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            p.Prefetch(i);
            var v0 = Vector512.Load(w + i);
            var v1 = Vector512.Load(w1 + i);
            var v2 = Vector512.Load(w2 + i);
            var v3 = Vector512.Load(w3 + i);
            var u = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(v0, u, a0);
            a1 = Vector512.FusedMultiplyAdd(v1, u, a1);
            a2 = Vector512.FusedMultiplyAdd(v2, u, a2);
            a3 = Vector512.FusedMultiplyAdd(v3, u, a3);
            u = Vector512.Load(x1 + i);
            c0 = Vector512.FusedMultiplyAdd(v0, u, c0);
            c1 = Vector512.FusedMultiplyAdd(v1, u, c1);
            c2 = Vector512.FusedMultiplyAdd(v2, u, c2);
            c3 = Vector512.FusedMultiplyAdd(v3, u, c3);
            u = Vector512.Load(x2 + i);
            d0 = Vector512.FusedMultiplyAdd(v0, u, d0);
            d1 = Vector512.FusedMultiplyAdd(v1, u, d1);
            d2 = Vector512.FusedMultiplyAdd(v2, u, d2);
            d3 = Vector512.FusedMultiplyAdd(v3, u, d3);
            u = Vector512.Load(x3 + i);
            e0 = Vector512.FusedMultiplyAdd(v0, u, e0);
            e1 = Vector512.FusedMultiplyAdd(v1, u, e1);
            e2 = Vector512.FusedMultiplyAdd(v2, u, e2);
            e3 = Vector512.FusedMultiplyAdd(v3, u, e3);
        }
        GemvTail.Store(y, b, Sum4(a0, a1, a2, a3) + GemvTail.Four(w, n, x, i));
        GemvTail.Store(y + yStride, b, Sum4(c0, c1, c2, c3) + GemvTail.Four(w, n, x1, i));
        GemvTail.Store(y + 2 * yStride, b, Sum4(d0, d1, d2, d3) + GemvTail.Four(w, n, x2, i));
        GemvTail.Store(y + 3 * yStride, b, Sum4(e0, e1, e2, e3) + GemvTail.Four(w, n, x3, i));
    }

    /// <summary>
    /// Weight rows this far ahead of the group in work are prefetched (a multiple of four: whole groups; 0 prefetches
    /// the group in work, i.e. nothing new: the benchmark's "no prefetch"). The hardware prefetchers lose each 3 KB row stream at its end; two groups (24 KB) ahead is
    /// far more than the memory latency needs and well inside L1 (--gemv-step compares it with none).
    /// </summary>
    internal static int PrefetchDistance { get; set; } = 8;

    /// <summary>
    /// What pass <paramref name="pass"/> of <paramref name="passes"/> over the group at <paramref name="w"/> prefetches:
    /// weight row j of the group ahead when j % passes == pass, otherwise the row in work (already in L1, so free).
    /// Spreading the next group's lines over every pass keeps memory busy while the later passes (more rows of x)
    /// compute from L1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lines Ahead(float* w, int n, int pass, int passes)
    {
        float* ahead = w + (nint)PrefetchDistance * n;
        return new Lines(
            0 % passes == pass ? ahead : w,
            1 % passes == pass ? ahead + n : w + n,
            2 % passes == pass ? ahead + 2 * (nint)n : w + 2 * (nint)n,
            3 % passes == pass ? ahead + 3 * (nint)n : w + 3 * (nint)n);
    }

    /// <summary>Four rows whose cache lines a block prefetches as it goes, one line of each per 16 floats.</summary>
    private readonly struct Lines(float* a, float* b, float* c, float* d)
    {
        private readonly float* a = a, b = b, c = c, d = d;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(int i)
        {
            // default(Lines): nothing to prefetch.
            if (!Sse.IsSupported || a == null) return;
            Sse.Prefetch0(a + i);
            Sse.Prefetch0(b + i);
            Sse.Prefetch0(c + i);
            Sse.Prefetch0(d + i);
        }
    }

    /// <summary>The four lane sums [Σa, Σb, Σc, Σd].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d) =>
        GemvTail.Sum4(Half(a), Half(b), Half(c), Half(d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Half(Vector512<float> a) => a.GetLower() + a.GetUpper();
}
