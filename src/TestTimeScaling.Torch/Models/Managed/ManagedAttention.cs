using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TestTimeScaling.Torch;

/// <summary>
/// One decode step's attention in managed code: each row's single query, per head, over that row's own keys (positions
/// 0..p, or the last <c>window</c> of them on a sliding layer): first those of its shared segment (positions below its
/// shared length, when it references one), then those of its own suffix slots; grouped-query (query head h reads kv
/// head h / (heads / kv_heads)), scaled by 1/sqrt(head_dim), a softmax made stable by its maximum, the values weighted
/// by it. Every shared key lies before the row's query, so the two parts are one softmax, with no merge. The (kv head,
/// row) units are independent: past a few thousand keys in all they are split across kernel threads.
/// </summary>
internal static unsafe partial class ManagedAttention
{
    /// <summary>Below this many key·query products (times head_dim) one thread does all pairs: a handoff costs more.</summary>
    private const long ParallelThreshold = 1 << 16;

    /// <summary>The shape of one step: heads, the cache layout, where each row's query sits.</summary>
    public readonly record struct Shape(int Rows, int Heads, int KvHeads, int HeadDim, int Slots, int QueryStride);

    /// <summary>
    /// Where one row's keys are for one layer: its position (the new token's), how many leading positions its shared
    /// segment holds (0: none), and that segment's keys and values ([kv_heads, SegmentLength, head_dim]).
    /// </summary>
    public struct RowKeys
    {
        public long Position;
        public int Shared;
        public int SegmentLength;
        public nint SegmentKeys;
        public nint SegmentValues;
    }

    /// <summary>
    /// output [rows, heads · head_dim] from queries (row r, head h at <paramref name="queries"/> + r · QueryStride +
    /// h · head_dim) against each row's shared segment and the suffix buffers [rows, kv_heads, Slots, head_dim] (suffix
    /// slot j of row r holds position Shared + j); row r attends to positions Position - window + 1 .. Position
    /// (window: null for full attention). <paramref name="scores"/> holds rows · heads · <paramref name="scoreStride"/>
    /// floats, scoreStride at least 2 + the largest position (a row's weights, then the inverse of their sum).
    /// </summary>
    public static void Run(Shape shape, float* queries, float* keys, float* values, RowKeys* rows, int? window,
        float* output, float* scores, int scoreStride, int maxThreads)
    {
        int units = shape.Rows * shape.KvHeads;
        long work = 0;
        for (int r = 0; r < shape.Rows; r++) work += Visible(rows[r].Position, window).Count;
        work *= (long)shape.Heads * shape.HeadDim;
        int threads = work < ParallelThreshold ? 1 : Math.Min(maxThreads, units);
        if (threads <= 1)
        {
            Units(shape, (nint)queries, (nint)keys, (nint)values, (nint)rows, window, (nint)output, (nint)scores, scoreStride, 0, units);
            return;
        }
        nint q = (nint)queries, k = (nint)keys, v = (nint)values, p = (nint)rows, o = (nint)output, s = (nint)scores;
        KernelThreads.Shared.Run(threads, part =>
            Units(shape, q, k, v, p, window, o, s, scoreStride, (int)((long)units * part / threads), (int)((long)units * (part + 1) / threads)));
    }

    /// <summary>The first visible position and how many: every key up to the query's position, or the window's last ones.</summary>
    private static (int First, int Count) Visible(long position, int? window)
    {
        long first = window is { } w ? Math.Max(0, position - w + 1) : 0;
        return ((int)first, (int)(position - first + 1));
    }

    // Units [start, end) of (kv head, row), kv-major: the query heads of one kv head are done together, three or two at
    // a time in registers, so each key and value vector is loaded once for them all (a multiply-add per load was the
    // limit, not the arithmetic), and consecutive units (the rows) read one kv head's part of a shared segment while it
    // is still in cache. Addresses cross into workers; spans are made where used.
    private static void Units(Shape shape, nint queries, nint keys, nint values, nint rows, int? window,
        nint output, nint scores, int scoreStride, int start, int end)
    {
        int d = shape.HeadDim, group = shape.Heads / shape.KvHeads;
        float scale = 1f / MathF.Sqrt(d);
        bool vectors = d % Vector256<float>.Count == 0 && Vector256.IsHardwareAccelerated;
        bool blocked = Blocked && Avx.IsSupported;
        // Three heads at a time (ManagedAttentionHeadGroups.cs): in 64-float pieces of a head with AVX-512's 32 registers,
        // in 32-float pieces with AVX2's 16 (or when the head is no multiple of 64); two at a time for what is left.
        // Wide is read once: a switch flipped by another thread mid-call must not pair one form's width with the other's
        // loop.
        bool wide = Wide && d % 64 == 0;
        // Implies vectors and blocked (AVX is there, the head is whole vectors).
        bool grouped = blocked && Grouped && d % 32 == 0;
        for (int unit = start; unit < end; unit++)
        {
            int kv = unit / shape.Rows, row = unit % shape.Rows, firstHead = kv * group;
            ref readonly var at = ref ((RowKeys*)rows)[row];
            var (first, count) = Visible(at.Position, window);
            // Positions below Shared come from the segment, the rest from the row's suffix slots.
            int fromSegment = Math.Max(0, at.Shared - first);
            int fromSuffix = count - fromSegment;
            long segmentAt = ((long)kv * at.SegmentLength + first) * d;
            float* k1 = (float*)at.SegmentKeys + segmentAt, v1 = (float*)at.SegmentValues + segmentAt;
            long suffixAt = (((long)row * shape.KvHeads + kv) * shape.Slots + Math.Max(first, at.Shared) - at.Shared) * d;
            float* k2 = (float*)keys + suffixAt, v2 = (float*)values + suffixAt;
            float* query = (float*)queries + (long)row * shape.QueryStride + firstHead * d;
            float* weights = (float*)scores + ((long)row * shape.Heads + firstHead) * scoreStride;
            float* result = (float*)output + ((long)row * shape.Heads + firstHead) * d;
            if (vectors && blocked)
            {
                // The segment's keys, then the suffix's: two contiguous runs, eight keys at a time; three query heads at
                // once where the registers allow.
                int h = 0;
                for (; grouped && h + 3 <= group; h += 3)
                {
                    float* w = weights + (long)h * scoreStride;
                    ScoreRun3(query + h * d, k1, fromSegment, d, scale, w, scoreStride, wide);
                    ScoreRun3(query + h * d, k2, fromSuffix, d, scale, w + fromSegment, scoreStride, wide);
                }
                for (; grouped && h + 2 <= group; h += 2)
                {
                    float* w = weights + (long)h * scoreStride;
                    ScoreRun2(query + h * d, k1, fromSegment, d, scale, w, scoreStride);
                    ScoreRun2(query + h * d, k2, fromSuffix, d, scale, w + fromSegment, scoreStride);
                }
                for (; h < group; h++)
                {
                    float* w = weights + (long)h * scoreStride;
                    ScoreRun(query + h * d, k1, fromSegment, d, scale, w);
                    ScoreRun(query + h * d, k2, fromSuffix, d, scale, w + fromSegment);
                }
            }
            else
                for (int j = 0; j < count; j++)
                {
                    float* key = j < fromSegment ? k1 + (long)j * d : k2 + (long)(j - fromSegment) * d;
                    for (int h = 0; h < group; h++)
                        weights[(long)h * scoreStride + j] = (vectors ? Dot(query + h * d, key, d)
                            : TensorPrimitives.Dot(new ReadOnlySpan<float>(query + h * d, d), new ReadOnlySpan<float>(key, d))) * scale;
                }
            for (int h = 0; h < group; h++)
            {
                float* w = weights + (long)h * scoreStride;
                // Kept after the weights: it scales the head's output once the values are summed.
                w[count] = 1f / Softmax(new Span<float>(w, count));
            }
            int weighed = 0;
            for (; grouped && weighed + 3 <= group; weighed += 3)
                WeighRuns3(weights + (long)weighed * scoreStride, scoreStride, count, v1, fromSegment, v2, fromSuffix, d, result + weighed * d, wide);
            for (; grouped && weighed + 2 <= group; weighed += 2)
                WeighRuns2(weights + (long)weighed * scoreStride, scoreStride, count, v1, fromSegment, v2, fromSuffix, d, result + weighed * d);
            for (int h = weighed; h < group; h++)
            {
                float* w = weights + (long)h * scoreStride;
                float inverse = w[count];
                if (vectors && blocked)
                {
                    WeighRuns(w, v1, fromSegment, v2, fromSuffix, d, inverse, result + h * d);
                    continue;
                }
                new Span<float>(result + h * d, d).Clear();
            }
            if (vectors && blocked) continue;
            for (int j = 0; j < count; j++)
            {
                float* value = j < fromSegment ? v1 + (long)j * d : v2 + (long)(j - fromSegment) * d;
                for (int h = 0; h < group; h++)
                {
                    float wj = weights[(long)h * scoreStride + j];
                    if (vectors) AddScaled(value, wj, result + h * d, d);
                    else TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(value, d), wj, new ReadOnlySpan<float>(result + h * d, d), new Span<float>(result + h * d, d));
                }
            }
            for (int h = 0; h < group; h++)
            {
                var y = new Span<float>(result + h * d, d);
                TensorPrimitives.Multiply(y, weights[(long)h * scoreStride + count], y);
            }
        }
    }

    /// <summary>
    /// Whether scores are taken eight keys at a time and each head's weighted values summed in registers (default;
    /// needs AVX). Either way every score and every output element is summed in the same order, so the results are the
    /// same bits: per key and head, the old path's dot product and its accumulation in the output row cost more in
    /// horizontal sums, loads and stores than the arithmetic (about a tenth of a 64-row step of the 22.6M model).
    /// Tests and benchmarks switch it.
    /// </summary>
    internal static bool Blocked { get; set; } = true;

    /// <summary>
    /// Whether three heads' scores take eight keys and their outputs 64 floats at a time (24 sums in registers), which
    /// needs AVX-512's 32 vector registers; otherwise four keys and 32 floats (12 sums, AVX2's 16). Same bits either
    /// way. Tests switch it so that both run on one machine.
    /// </summary>
    internal static bool Wide { get; set; } = Avx512F.VL.IsSupported;

    /// <summary>
    /// Whether the blocked path takes two or three query heads per pass over the keys and values (default) or one,
    /// which loads each key and value vector once per head. Same bits either way; benchmarks switch it.
    /// </summary>
    internal static bool Grouped { get; set; } = true;

    // w[j] = q · k_j · scale for the count keys of one contiguous run, eight at a time, then one at a time.
    private static void ScoreRun(float* q, float* k, int count, int d, float scale, float* w)
    {
        int j = 0;
        var factor = Vector256.Create(scale);
        for (; j + 8 <= count; j += 8)
        {
            float* k0 = k + (long)j * d;
            (Dots8(q, k0, d) * factor).Store(w + j);
        }
        for (; j < count; j++) w[j] = Dot(q, k + (long)j * d, d) * scale;
    }

    // The dot products of q with eight consecutive keys, each summed as Dot sums one: lane by lane, then the halves'
    // pairs, then the halves (Vector256.Sum's order), transposed as they add.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Dots8(float* q, float* k, int d)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int i = 0; i < d; i += Vector256<float>.Count)
        {
            var u = Vector256.Load(q + i);
            a0 = Vector256.FusedMultiplyAdd(u, Vector256.Load(k + i), a0);
            a1 = Vector256.FusedMultiplyAdd(u, Vector256.Load(k + d + i), a1);
            a2 = Vector256.FusedMultiplyAdd(u, Vector256.Load(k + 2 * d + i), a2);
            a3 = Vector256.FusedMultiplyAdd(u, Vector256.Load(k + 3 * d + i), a3);
            a4 = Vector256.FusedMultiplyAdd(u, Vector256.Load(k + 4 * d + i), a4);
            a5 = Vector256.FusedMultiplyAdd(u, Vector256.Load(k + 5 * d + i), a5);
            a6 = Vector256.FusedMultiplyAdd(u, Vector256.Load(k + 6 * d + i), a6);
            a7 = Vector256.FusedMultiplyAdd(u, Vector256.Load(k + 7 * d + i), a7);
        }
        return Transposed(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    // [Σa0, ..., Σa7], each sum in Vector256.Sum's order: lane pairs, then the halves' pairs, then the halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Transposed(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        // [a0 01, a0 23, a1 01, a1 23 | a0 45, a0 67, a1 45, a1 67], then [Σa0, Σa1, Σa2, Σa3 lower | the same upper].
        var low = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        var high = Avx.HorizontalAdd(Avx.HorizontalAdd(a4, a5), Avx.HorizontalAdd(a6, a7));
        return Avx.Permute2x128(low, high, 0x20) + Avx.Permute2x128(low, high, 0x31);
    }

    // y = inverse · Σ_j w[j] v_j over the segment's run of values, then the suffix's, with y's vectors held in registers
    // (eight or four at a time) across all keys: each step the same fused multiply-add as AddScaled into a zeroed row.
    // Eight sums in flight, not four: each sum waits on its last multiply-add, so four of them kept the core at half
    // its multiply-add rate; with eight, one pass over a 64-wide head reads each value row once.
    private static void WeighRuns(float* w, float* v1, int count1, float* v2, int count2, int d, float inverse, float* y)
    {
        var scale = Vector256.Create(inverse);
        int i = 0;
        for (; i + 64 <= d; i += 64)
        {
            var sums = new Sums8();
            Accumulate8(w, v1 + i, count1, d, ref sums);
            Accumulate8(w + count1, v2 + i, count2, d, ref sums);
            sums.Store(y + i, scale);
        }
        for (; i + 32 <= d; i += 32)
        {
            Vector256<float> y0 = default, y1 = default, y2 = default, y3 = default;
            Accumulate4(w, v1 + i, count1, d, ref y0, ref y1, ref y2, ref y3);
            Accumulate4(w + count1, v2 + i, count2, d, ref y0, ref y1, ref y2, ref y3);
            (y0 * scale).Store(y + i);
            (y1 * scale).Store(y + i + 8);
            (y2 * scale).Store(y + i + 16);
            (y3 * scale).Store(y + i + 24);
        }
        for (; i < d; i += Vector256<float>.Count)
        {
            var a = Vector256<float>.Zero;
            for (int j = 0; j < count1; j++) a = Vector256.FusedMultiplyAdd(Vector256.Load(v1 + (long)j * d + i), Vector256.Create(w[j]), a);
            for (int j = 0; j < count2; j++) a = Vector256.FusedMultiplyAdd(Vector256.Load(v2 + (long)j * d + i), Vector256.Create(w[count1 + j]), a);
            (a * scale).Store(y + i);
        }
    }

    // Eight vectors of one head's output, summed over keys in registers.
    private struct Sums8
    {
        public Vector256<float> Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7;

        public readonly void Store(float* y, Vector256<float> scale)
        {
            (Y0 * scale).Store(y);
            (Y1 * scale).Store(y + 8);
            (Y2 * scale).Store(y + 16);
            (Y3 * scale).Store(y + 24);
            (Y4 * scale).Store(y + 32);
            (Y5 * scale).Store(y + 40);
            (Y6 * scale).Store(y + 48);
            (Y7 * scale).Store(y + 56);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate8(float* w, float* v, int count, int d, ref Sums8 sums)
    {
        Vector256<float> a0 = sums.Y0, a1 = sums.Y1, a2 = sums.Y2, a3 = sums.Y3, a4 = sums.Y4, a5 = sums.Y5, a6 = sums.Y6, a7 = sums.Y7;
        for (int j = 0; j < count; j++, v += d)
        {
            var wj = Vector256.Create(w[j]);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), wj, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), wj, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), wj, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), wj, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 32), wj, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 40), wj, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 48), wj, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 56), wj, a7);
        }
        sums = new Sums8 { Y0 = a0, Y1 = a1, Y2 = a2, Y3 = a3, Y4 = a4, Y5 = a5, Y6 = a6, Y7 = a7 };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate4(float* w, float* v, int count, int d, ref Vector256<float> y0, ref Vector256<float> y1, ref Vector256<float> y2, ref Vector256<float> y3)
    {
        Vector256<float> a0 = y0, a1 = y1, a2 = y2, a3 = y3;
        for (int j = 0; j < count; j++, v += d)
        {
            var wj = Vector256.Create(w[j]);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), wj, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), wj, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), wj, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), wj, a3);
        }
        y0 = a0;
        y1 = a1;
        y2 = a2;
        y3 = a3;
    }

    /// <summary>exp(w - max(w)) in place; returns the sum.</summary>
    private static float Softmax(Span<float> w)
    {
        float max = TensorPrimitives.Max(w);
        TensorPrimitives.Subtract(w, max, w);
        TensorPrimitives.Exp(w, w);
        return TensorPrimitives.Sum(w);
    }

    // q · k over d (a multiple of the vector width): one call per key costs more than the product at head_dim 64.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* q, float* k, int d)
    {
        var sum = Vector256<float>.Zero;
        for (int i = 0; i < d; i += Vector256<float>.Count)
            sum = Vector256.FusedMultiplyAdd(Vector256.Load(q + i), Vector256.Load(k + i), sum);
        return Vector256.Sum(sum);
    }

    // y += w · v over d (a multiple of the vector width).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* v, float w, float* y, int d)
    {
        var scale = Vector256.Create(w);
        for (int i = 0; i < d; i += Vector256<float>.Count)
            Vector256.FusedMultiplyAdd(Vector256.Load(v + i), scale, Vector256.Load(y + i)).Store(y + i);
    }
}
