using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TestTimeScaling.Torch;

// The kernels that score and sum two or three query heads of one key/value head together, so that each key and value
// vector loaded feeds two or three multiply-adds. Each keeps the one-head kernels' summation order, so the bits are
// the same (ManagedDecodeStepTests.BlockedAttentionGivesTheBitsOfOneKeyAtATime). The sums are written out one by one
// so that the JIT keeps them all in registers.
internal static unsafe partial class ManagedAttention
{
    // ScoreRun for three query heads (q, q + d, q + 2d) whose weights lie stride apart: each key is loaded once for all
    // three, so a multiply-add needs a third of the loads. Each score is Dots8's sum in Dots8's order: the same bits.
    private static void ScoreRun3(float* q, float* k, int count, int d, float scale, float* w, int stride, bool wide)
    {
        int j = 0;
        var factor = Vector256.Create(scale);
        if (wide)
            for (; j + 8 <= count; j += 8)
            {
                Dots8x3(q, k + (long)j * d, d, out var s0, out var s1, out var s2);
                (s0 * factor).Store(w + j);
                (s1 * factor).Store(w + stride + j);
                (s2 * factor).Store(w + 2L * stride + j);
            }
        var quarter = Vector128.Create(scale);
        for (; j + 4 <= count; j += 4)
        {
            Dots4x3(q, k + (long)j * d, d, out var s0, out var s1, out var s2);
            (s0 * quarter).Store(w + j);
            (s1 * quarter).Store(w + stride + j);
            (s2 * quarter).Store(w + 2L * stride + j);
        }
        for (; j < count; j++)
        {
            float* key = k + (long)j * d;
            w[j] = Dot(q, key, d) * scale;
            w[stride + j] = Dot(q + d, key, d) * scale;
            w[2L * stride + j] = Dot(q + 2 * d, key, d) * scale;
        }
    }

    // Dots8 of three queries at once: 24 sums in registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dots8x3(float* q, float* k, int d, out Vector256<float> s0, out Vector256<float> s1, out Vector256<float> s2)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int i = 0; i < d; i += Vector256<float>.Count)
        {
            Vector256<float> u = Vector256.Load(q + i), t = Vector256.Load(q + d + i), r = Vector256.Load(q + 2 * d + i);
            var key = Vector256.Load(k + i);
            (a0, b0, c0) = (Vector256.FusedMultiplyAdd(u, key, a0), Vector256.FusedMultiplyAdd(t, key, b0), Vector256.FusedMultiplyAdd(r, key, c0));
            key = Vector256.Load(k + d + i);
            (a1, b1, c1) = (Vector256.FusedMultiplyAdd(u, key, a1), Vector256.FusedMultiplyAdd(t, key, b1), Vector256.FusedMultiplyAdd(r, key, c1));
            key = Vector256.Load(k + 2 * d + i);
            (a2, b2, c2) = (Vector256.FusedMultiplyAdd(u, key, a2), Vector256.FusedMultiplyAdd(t, key, b2), Vector256.FusedMultiplyAdd(r, key, c2));
            key = Vector256.Load(k + 3 * d + i);
            (a3, b3, c3) = (Vector256.FusedMultiplyAdd(u, key, a3), Vector256.FusedMultiplyAdd(t, key, b3), Vector256.FusedMultiplyAdd(r, key, c3));
            key = Vector256.Load(k + 4 * d + i);
            (a4, b4, c4) = (Vector256.FusedMultiplyAdd(u, key, a4), Vector256.FusedMultiplyAdd(t, key, b4), Vector256.FusedMultiplyAdd(r, key, c4));
            key = Vector256.Load(k + 5 * d + i);
            (a5, b5, c5) = (Vector256.FusedMultiplyAdd(u, key, a5), Vector256.FusedMultiplyAdd(t, key, b5), Vector256.FusedMultiplyAdd(r, key, c5));
            key = Vector256.Load(k + 6 * d + i);
            (a6, b6, c6) = (Vector256.FusedMultiplyAdd(u, key, a6), Vector256.FusedMultiplyAdd(t, key, b6), Vector256.FusedMultiplyAdd(r, key, c6));
            key = Vector256.Load(k + 7 * d + i);
            (a7, b7, c7) = (Vector256.FusedMultiplyAdd(u, key, a7), Vector256.FusedMultiplyAdd(t, key, b7), Vector256.FusedMultiplyAdd(r, key, c7));
        }
        s0 = Transposed(a0, a1, a2, a3, a4, a5, a6, a7);
        s1 = Transposed(b0, b1, b2, b3, b4, b5, b6, b7);
        s2 = Transposed(c0, c1, c2, c3, c4, c5, c6, c7);
    }

    // Dots8x3 four keys at a time: twelve sums, the most AVX2's 16 registers hold beside the operands.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dots4x3(float* q, float* k, int d, out Vector128<float> s0, out Vector128<float> s1, out Vector128<float> s2)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int i = 0; i < d; i += Vector256<float>.Count)
        {
            Vector256<float> u = Vector256.Load(q + i), t = Vector256.Load(q + d + i), r = Vector256.Load(q + 2 * d + i);
            var key = Vector256.Load(k + i);
            (a0, b0, c0) = (Vector256.FusedMultiplyAdd(u, key, a0), Vector256.FusedMultiplyAdd(t, key, b0), Vector256.FusedMultiplyAdd(r, key, c0));
            key = Vector256.Load(k + d + i);
            (a1, b1, c1) = (Vector256.FusedMultiplyAdd(u, key, a1), Vector256.FusedMultiplyAdd(t, key, b1), Vector256.FusedMultiplyAdd(r, key, c1));
            key = Vector256.Load(k + 2 * d + i);
            (a2, b2, c2) = (Vector256.FusedMultiplyAdd(u, key, a2), Vector256.FusedMultiplyAdd(t, key, b2), Vector256.FusedMultiplyAdd(r, key, c2));
            key = Vector256.Load(k + 3 * d + i);
            (a3, b3, c3) = (Vector256.FusedMultiplyAdd(u, key, a3), Vector256.FusedMultiplyAdd(t, key, b3), Vector256.FusedMultiplyAdd(r, key, c3));
        }
        s0 = Transposed(a0, a1, a2, a3);
        s1 = Transposed(b0, b1, b2, b3);
        s2 = Transposed(c0, c1, c2, c3);
    }

    // ScoreRun for two query heads (q, q + d) whose weights lie stride apart, four keys at a time: eight sums fit beside
    // their operands in AVX2's 16 registers, and each key is loaded once for both. Same sums in Dots8's order.
    private static void ScoreRun2(float* q, float* k, int count, int d, float scale, float* w, int stride)
    {
        int j = 0;
        var factor = Vector128.Create(scale);
        for (; j + 4 <= count; j += 4)
        {
            Dots4x2(q, k + (long)j * d, d, out var s0, out var s1);
            (s0 * factor).Store(w + j);
            (s1 * factor).Store(w + stride + j);
        }
        for (; j < count; j++)
        {
            float* key = k + (long)j * d;
            w[j] = Dot(q, key, d) * scale;
            w[stride + j] = Dot(q + d, key, d) * scale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dots4x2(float* q, float* k, int d, out Vector128<float> s0, out Vector128<float> s1)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        for (int i = 0; i < d; i += Vector256<float>.Count)
        {
            Vector256<float> u = Vector256.Load(q + i), t = Vector256.Load(q + d + i);
            var key = Vector256.Load(k + i);
            (a0, b0) = (Vector256.FusedMultiplyAdd(u, key, a0), Vector256.FusedMultiplyAdd(t, key, b0));
            key = Vector256.Load(k + d + i);
            (a1, b1) = (Vector256.FusedMultiplyAdd(u, key, a1), Vector256.FusedMultiplyAdd(t, key, b1));
            key = Vector256.Load(k + 2 * d + i);
            (a2, b2) = (Vector256.FusedMultiplyAdd(u, key, a2), Vector256.FusedMultiplyAdd(t, key, b2));
            key = Vector256.Load(k + 3 * d + i);
            (a3, b3) = (Vector256.FusedMultiplyAdd(u, key, a3), Vector256.FusedMultiplyAdd(t, key, b3));
        }
        s0 = Transposed(a0, a1, a2, a3);
        s1 = Transposed(b0, b1, b2, b3);
    }

    // [Σa0, Σa1, Σa2, Σa3] in the order Transposed of eight sums them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Transposed(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3)
    {
        var sums = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        return sums.GetLower() + sums.GetUpper();
    }

    // WeighRuns for two heads, 32 output floats at a time (eight sums), each value vector loaded once for both.
    private static void WeighRuns2(float* w, int stride, int count, float* v1, int count1, float* v2, int count2, int d, float* y)
    {
        Vector256<float> x = Vector256.Create(w[count]), t = Vector256.Create(w[stride + count]);
        for (int i = 0; i < d; i += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            Accumulate4x2(w, stride, v1 + i, count1, d, ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3);
            Accumulate4x2(w + count1, stride, v2 + i, count2, d, ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3);
            (a0 * x).Store(y + i);
            (a1 * x).Store(y + i + 8);
            (a2 * x).Store(y + i + 16);
            (a3 * x).Store(y + i + 24);
            (b0 * t).Store(y + d + i);
            (b1 * t).Store(y + d + i + 8);
            (b2 * t).Store(y + d + i + 16);
            (b3 * t).Store(y + d + i + 24);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate4x2(float* w, int stride, float* v, int count, int d, ref Vector256<float> y0, ref Vector256<float> y1,
        ref Vector256<float> y2, ref Vector256<float> y3, ref Vector256<float> z0, ref Vector256<float> z1, ref Vector256<float> z2, ref Vector256<float> z3)
    {
        Vector256<float> a0 = y0, a1 = y1, a2 = y2, a3 = y3, b0 = z0, b1 = z1, b2 = z2, b3 = z3;
        float* w1 = w + stride;
        for (int j = 0; j < count; j++, v += d)
        {
            Vector256<float> x = Vector256.Create(w[j]), t = Vector256.Create(w1[j]);
            var value = Vector256.Load(v);
            (a0, b0) = (Vector256.FusedMultiplyAdd(value, x, a0), Vector256.FusedMultiplyAdd(value, t, b0));
            value = Vector256.Load(v + 8);
            (a1, b1) = (Vector256.FusedMultiplyAdd(value, x, a1), Vector256.FusedMultiplyAdd(value, t, b1));
            value = Vector256.Load(v + 16);
            (a2, b2) = (Vector256.FusedMultiplyAdd(value, x, a2), Vector256.FusedMultiplyAdd(value, t, b2));
            value = Vector256.Load(v + 24);
            (a3, b3) = (Vector256.FusedMultiplyAdd(value, x, a3), Vector256.FusedMultiplyAdd(value, t, b3));
        }
        (y0, y1, y2, y3, z0, z1, z2, z3) = (a0, a1, a2, a3, b0, b1, b2, b3);
    }

    // WeighRuns for three heads whose weights lie stride apart (each followed, at count, by its inverse sum) and whose
    // outputs are consecutive: each value row is loaded once for all three. Same multiply-adds in the same order.
    private static void WeighRuns3(float* w, int stride, int count, float* v1, int count1, float* v2, int count2, int d, float* y, bool wide)
    {
        if (!wide)
        {
            WeighRuns3Narrow(w, stride, count, v1, count1, v2, count2, d, y);
            return;
        }
        for (int i = 0; i < d; i += 64)
        {
            Sums8 y0 = default, y1 = default, y2 = default;
            Accumulate8x3(w, stride, v1 + i, count1, d, ref y0, ref y1, ref y2);
            Accumulate8x3(w + count1, stride, v2 + i, count2, d, ref y0, ref y1, ref y2);
            y0.Store(y + i, Vector256.Create(w[count]));
            y1.Store(y + d + i, Vector256.Create(w[stride + count]));
            y2.Store(y + 2 * d + i, Vector256.Create(w[2L * stride + count]));
        }
    }

    // WeighRuns3 32 output floats at a time (twelve sums): AVX2's 16 registers.
    private static void WeighRuns3Narrow(float* w, int stride, int count, float* v1, int count1, float* v2, int count2, int d, float* y)
    {
        Vector256<float> x = Vector256.Create(w[count]), t = Vector256.Create(w[stride + count]), r = Vector256.Create(w[2L * stride + count]);
        for (int i = 0; i < d; i += 32)
        {
            var sums = new Sums4x3();
            Accumulate4x3(w, stride, v1 + i, count1, d, ref sums);
            Accumulate4x3(w + count1, stride, v2 + i, count2, d, ref sums);
            sums.Store(y + i, d, x, t, r);
        }
    }

    // Four vectors of three heads' outputs, summed over keys in registers.
    private struct Sums4x3
    {
        public Vector256<float> A0, A1, A2, A3, B0, B1, B2, B3, C0, C1, C2, C3;

        public readonly void Store(float* y, int d, Vector256<float> x, Vector256<float> t, Vector256<float> r)
        {
            (A0 * x).Store(y);
            (A1 * x).Store(y + 8);
            (A2 * x).Store(y + 16);
            (A3 * x).Store(y + 24);
            (B0 * t).Store(y + d);
            (B1 * t).Store(y + d + 8);
            (B2 * t).Store(y + d + 16);
            (B3 * t).Store(y + d + 24);
            (C0 * r).Store(y + 2 * d);
            (C1 * r).Store(y + 2 * d + 8);
            (C2 * r).Store(y + 2 * d + 16);
            (C3 * r).Store(y + 2 * d + 24);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate4x3(float* w, int stride, float* v, int count, int d, ref Sums4x3 sums)
    {
        Vector256<float> a0 = sums.A0, a1 = sums.A1, a2 = sums.A2, a3 = sums.A3, b0 = sums.B0, b1 = sums.B1, b2 = sums.B2, b3 = sums.B3;
        Vector256<float> c0 = sums.C0, c1 = sums.C1, c2 = sums.C2, c3 = sums.C3;
        float* w1 = w + stride, w2 = w + 2L * stride;
        for (int j = 0; j < count; j++, v += d)
        {
            Vector256<float> x = Vector256.Create(w[j]), t = Vector256.Create(w1[j]), r = Vector256.Create(w2[j]);
            var value = Vector256.Load(v);
            (a0, b0, c0) = (Vector256.FusedMultiplyAdd(value, x, a0), Vector256.FusedMultiplyAdd(value, t, b0), Vector256.FusedMultiplyAdd(value, r, c0));
            value = Vector256.Load(v + 8);
            (a1, b1, c1) = (Vector256.FusedMultiplyAdd(value, x, a1), Vector256.FusedMultiplyAdd(value, t, b1), Vector256.FusedMultiplyAdd(value, r, c1));
            value = Vector256.Load(v + 16);
            (a2, b2, c2) = (Vector256.FusedMultiplyAdd(value, x, a2), Vector256.FusedMultiplyAdd(value, t, b2), Vector256.FusedMultiplyAdd(value, r, c2));
            value = Vector256.Load(v + 24);
            (a3, b3, c3) = (Vector256.FusedMultiplyAdd(value, x, a3), Vector256.FusedMultiplyAdd(value, t, b3), Vector256.FusedMultiplyAdd(value, r, c3));
        }
        sums = new Sums4x3 { A0 = a0, A1 = a1, A2 = a2, A3 = a3, B0 = b0, B1 = b1, B2 = b2, B3 = b3, C0 = c0, C1 = c1, C2 = c2, C3 = c3 };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate8x3(float* w, int stride, float* v, int count, int d, ref Sums8 y0, ref Sums8 y1, ref Sums8 y2)
    {
        Vector256<float> a0 = y0.Y0, a1 = y0.Y1, a2 = y0.Y2, a3 = y0.Y3, a4 = y0.Y4, a5 = y0.Y5, a6 = y0.Y6, a7 = y0.Y7;
        Vector256<float> b0 = y1.Y0, b1 = y1.Y1, b2 = y1.Y2, b3 = y1.Y3, b4 = y1.Y4, b5 = y1.Y5, b6 = y1.Y6, b7 = y1.Y7;
        Vector256<float> c0 = y2.Y0, c1 = y2.Y1, c2 = y2.Y2, c3 = y2.Y3, c4 = y2.Y4, c5 = y2.Y5, c6 = y2.Y6, c7 = y2.Y7;
        float* w1 = w + stride, w2 = w + 2L * stride;
        for (int j = 0; j < count; j++, v += d)
        {
            Vector256<float> x = Vector256.Create(w[j]), t = Vector256.Create(w1[j]), r = Vector256.Create(w2[j]);
            var value = Vector256.Load(v);
            (a0, b0, c0) = (Vector256.FusedMultiplyAdd(value, x, a0), Vector256.FusedMultiplyAdd(value, t, b0), Vector256.FusedMultiplyAdd(value, r, c0));
            value = Vector256.Load(v + 8);
            (a1, b1, c1) = (Vector256.FusedMultiplyAdd(value, x, a1), Vector256.FusedMultiplyAdd(value, t, b1), Vector256.FusedMultiplyAdd(value, r, c1));
            value = Vector256.Load(v + 16);
            (a2, b2, c2) = (Vector256.FusedMultiplyAdd(value, x, a2), Vector256.FusedMultiplyAdd(value, t, b2), Vector256.FusedMultiplyAdd(value, r, c2));
            value = Vector256.Load(v + 24);
            (a3, b3, c3) = (Vector256.FusedMultiplyAdd(value, x, a3), Vector256.FusedMultiplyAdd(value, t, b3), Vector256.FusedMultiplyAdd(value, r, c3));
            value = Vector256.Load(v + 32);
            (a4, b4, c4) = (Vector256.FusedMultiplyAdd(value, x, a4), Vector256.FusedMultiplyAdd(value, t, b4), Vector256.FusedMultiplyAdd(value, r, c4));
            value = Vector256.Load(v + 40);
            (a5, b5, c5) = (Vector256.FusedMultiplyAdd(value, x, a5), Vector256.FusedMultiplyAdd(value, t, b5), Vector256.FusedMultiplyAdd(value, r, c5));
            value = Vector256.Load(v + 48);
            (a6, b6, c6) = (Vector256.FusedMultiplyAdd(value, x, a6), Vector256.FusedMultiplyAdd(value, t, b6), Vector256.FusedMultiplyAdd(value, r, c6));
            value = Vector256.Load(v + 56);
            (a7, b7, c7) = (Vector256.FusedMultiplyAdd(value, x, a7), Vector256.FusedMultiplyAdd(value, t, b7), Vector256.FusedMultiplyAdd(value, r, c7));
        }
        y0 = new Sums8 { Y0 = a0, Y1 = a1, Y2 = a2, Y3 = a3, Y4 = a4, Y5 = a5, Y6 = a6, Y7 = a7 };
        y1 = new Sums8 { Y0 = b0, Y1 = b1, Y2 = b2, Y3 = b3, Y4 = b4, Y5 = b5, Y6 = b6, Y7 = b7 };
        y2 = new Sums8 { Y0 = c0, Y1 = c1, Y2 = c2, Y3 = c3, Y4 = c4, Y5 = c5, Y6 = c6, Y7 = c7 };
    }
}
