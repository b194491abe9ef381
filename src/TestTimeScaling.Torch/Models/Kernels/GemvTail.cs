using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TestTimeScaling.Torch;

/// <summary>
/// What <see cref="Gemv"/>'s 256- and 512-bit blocks share: the horizontal sums of four accumulators, the scalar
/// rest of a row that is not a whole number of vectors, single weight rows past the last group of four, and the store.
/// </summary>
internal static unsafe class GemvTail
{
    /// <summary>The four lane sums [Σa, Σb, Σc, Σd].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        Vector128<float> qa = a.GetLower() + a.GetUpper(), qb = b.GetLower() + b.GetUpper();
        Vector128<float> qc = c.GetLower() + c.GetUpper(), qd = d.GetLower() + d.GetUpper();
        // Two rounds of pairwise sums transpose as they add: [a0+a1, a2+a3, b0+b1, b2+b3], then [Σa, Σb, Σc, Σd].
        if (Sse3.IsSupported) return Sse3.HorizontalAdd(Sse3.HorizontalAdd(qa, qb), Sse3.HorizontalAdd(qc, qd));
        return Vector128.Create(Vector128.Sum(qa), Vector128.Sum(qb), Vector128.Sum(qc), Vector128.Sum(qd));
    }

    /// <summary>Σ over k in [from, n) of w[j·n + k]·x[k] for the four weight rows j = 0..3 (zero when from = n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Four(float* w, int n, float* x, int from)
    {
        if (from >= n) return Vector128<float>.Zero;
        float d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        for (int i = from; i < n; i++)
        {
            float xi = x[i];
            d0 += w[i] * xi;
            d1 += w[n + i] * xi;
            d2 += w[2 * n + i] * xi;
            d3 += w[3 * n + i] * xi;
        }
        return Vector128.Create(d0, d1, d2, d3);
    }

    /// <summary>One weight row against one row of x (the outputs past the last group of four).</summary>
    public static float Dot(float* w, float* x, int n)
    {
        var a = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= n; i += 8) a = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a);
        float d = Vector256.Sum(a);
        for (; i < n; i++) d += w[i] * x[i];
        return d;
    }

    /// <summary>y[0..3] = sums + b[0..3] (b may be null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* y, float* b, Vector128<float> sums)
    {
        if (b != null) sums += Vector128.Load(b);
        sums.Store(y);
    }
}
