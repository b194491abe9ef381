using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TestTimeScaling.Torch;

/// <summary>
/// <see cref="Gemv"/>'s 256-bit blocks, for CPUs without AVX-512: four weight rows against three rows of x per pass
/// (from three rows), then two, then one (four by four would spill the sixteen registers AVX2 has).
/// </summary>
internal static unsafe class GemvBlocks256
{
    /// <summary>Output columns [start, end) of every row of y [rows, outputs] = x [rows, n] · w [outputs, n]ᵀ + b.</summary>
    public static void Columns(float* w, float* x, float* b, float* y, int rows, int n, int outputs, int start, int end)
    {
        int o = start;
        bool three = rows >= ThreeRowsFrom;
        int passes = three ? rows / 3 + (rows % 3) / 2 + (rows % 3) % 2 : rows / 2 + rows % 2;
        // The next groups' cache lines, a share before each pass (none for fewer rows: too little time to cover).
        int lines = rows >= PrefetchFrom ? (4 * n + 15) / 16 : 0;
        for (; o + 4 <= end; o += 4)
        {
            float* wo = w + (nint)o * n;
            float* bo = b == null ? null : b + o;
            int r = 0, pass = 0;
            if (three)
                for (; r + 3 <= rows; r += 3, pass++)
                {
                    Prefetch(wo, n, lines, pass, passes);
                    Four3(wo, x + (nint)r * n, n, y + (nint)r * outputs + o, outputs, bo);
                }
            for (; r + 2 <= rows; r += 2, pass++)
            {
                Prefetch(wo, n, lines, pass, passes);
                Four2(wo, x + (nint)r * n, n, y + (nint)r * outputs + o, outputs, bo);
            }
            if (r < rows)
            {
                Prefetch(wo, n, lines, pass, passes);
                Four1(wo, x + (nint)r * n, n, y + (nint)r * outputs + o, bo);
            }
        }
        for (; o < end; o++)
            for (int r = 0; r < rows; r++)
                y[(nint)r * outputs + o] = GemvTail.Dot(w + (nint)o * n, x + (nint)r * n, n) + (b == null ? 0f : b[o]);
    }

    /// <summary>
    /// Row counts from which the 4x3 block runs (three rows of x per pass; the rest in 4x2 and 4x1 passes); below, 4x2
    /// passes only. Benchmarks vary it (int.MaxValue: never).
    /// </summary>
    internal static int ThreeRowsFrom { get; set; } = 3;

    /// <summary>
    /// Row counts from which each pass over a group first prefetches its share of the weight rows
    /// <see cref="GemvBlocks512.PrefetchDistance"/> ahead (int.MaxValue: never). With many rows a group's passes run
    /// long from cache; without it the hardware prefetchers, which lose each short row stream at its end, left the
    /// next group to come from memory on demand (--gemv-rows: the step's products out of cache at about two thirds of
    /// their in-cache rate).
    /// </summary>
    internal static int PrefetchFrom { get; set; } = 3;

    /// <summary>Pass <paramref name="pass"/> of <paramref name="passes"/>'s share of the <paramref name="lines"/> cache lines of the group ahead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* w, int n, int lines, int pass, int passes)
    {
        if (lines == 0 || !Sse.IsSupported) return;
        byte* ahead = (byte*)(w + (nint)GemvBlocks512.PrefetchDistance * n);
        for (int line = lines * pass / passes, last = lines * (pass + 1) / passes; line < last; line++)
            Sse.Prefetch0(ahead + (nint)line * 64);
    }

    private static void Four1(float* w, float* x, int n, float* y, float* b)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float* w1 = w + n, w2 = w1 + n, w3 = w2 + n;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var u = Vector256.Load(x + i);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), u, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + i), u, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + i), u, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + i), u, a3);
        }
        GemvTail.Store(y, b, GemvTail.Sum4(a0, a1, a2, a3) + GemvTail.Four(w, n, x, i));
    }

    private static void Four2(float* w, float* x, int n, float* y, int yStride, float* b)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        float* w1 = w + n, w2 = w1 + n, w3 = w2 + n, z = x + n;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v0 = Vector256.Load(w + i);
            var v1 = Vector256.Load(w1 + i);
            var v2 = Vector256.Load(w2 + i);
            var v3 = Vector256.Load(w3 + i);
            var u = Vector256.Load(x + i);
            a0 = Vector256.FusedMultiplyAdd(v0, u, a0);
            a1 = Vector256.FusedMultiplyAdd(v1, u, a1);
            a2 = Vector256.FusedMultiplyAdd(v2, u, a2);
            a3 = Vector256.FusedMultiplyAdd(v3, u, a3);
            u = Vector256.Load(z + i);
            c0 = Vector256.FusedMultiplyAdd(v0, u, c0);
            c1 = Vector256.FusedMultiplyAdd(v1, u, c1);
            c2 = Vector256.FusedMultiplyAdd(v2, u, c2);
            c3 = Vector256.FusedMultiplyAdd(v3, u, c3);
        }
        GemvTail.Store(y, b, GemvTail.Sum4(a0, a1, a2, a3) + GemvTail.Four(w, n, x, i));
        GemvTail.Store(y + yStride, b, GemvTail.Sum4(c0, c1, c2, c3) + GemvTail.Four(w, n, z, i));
    }
    /// <summary>
    /// Four weight rows against three rows of x: twelve accumulators, the three x vectors held and each weight vector
    /// loaded once for three fused multiply-adds, so the block is bound by the multiply-adds, not the loads (7 loads per
    /// 12 FMAs against 6 per 8 in 4x2), and horizontal sums come once per twelve dot products. 12 + 3 + 1 = all sixteen
    /// AVX2 registers.
    /// </summary>
    private static void Four3(float* w, float* x, int n, float* y, int yStride, float* b)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default;
        float* w1 = w + n, w2 = w1 + n, w3 = w2 + n, x1 = x + n, x2 = x1 + n;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var u0 = Vector256.Load(x + i);
            var u1 = Vector256.Load(x1 + i);
            var u2 = Vector256.Load(x2 + i);
            var v = Vector256.Load(w + i);
            a0 = Vector256.FusedMultiplyAdd(v, u0, a0);
            c0 = Vector256.FusedMultiplyAdd(v, u1, c0);
            d0 = Vector256.FusedMultiplyAdd(v, u2, d0);
            v = Vector256.Load(w1 + i);
            a1 = Vector256.FusedMultiplyAdd(v, u0, a1);
            c1 = Vector256.FusedMultiplyAdd(v, u1, c1);
            d1 = Vector256.FusedMultiplyAdd(v, u2, d1);
            v = Vector256.Load(w2 + i);
            a2 = Vector256.FusedMultiplyAdd(v, u0, a2);
            c2 = Vector256.FusedMultiplyAdd(v, u1, c2);
            d2 = Vector256.FusedMultiplyAdd(v, u2, d2);
            v = Vector256.Load(w3 + i);
            a3 = Vector256.FusedMultiplyAdd(v, u0, a3);
            c3 = Vector256.FusedMultiplyAdd(v, u1, c3);
            d3 = Vector256.FusedMultiplyAdd(v, u2, d3);
        }
        GemvTail.Store(y, b, GemvTail.Sum4(a0, a1, a2, a3) + GemvTail.Four(w, n, x, i));
        GemvTail.Store(y + yStride, b, GemvTail.Sum4(c0, c1, c2, c3) + GemvTail.Four(w, n, x1, i));
        GemvTail.Store(y + 2 * yStride, b, GemvTail.Sum4(d0, d1, d2, d3) + GemvTail.Four(w, n, x2, i));
    }
}
