using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TestTimeScaling.Torch;

/// <summary>
/// One decode step's attention in managed code: each row's single query, per head, over that row's own keys (positions
/// 0..p, or the last <c>window</c> of them on a sliding layer): first those of its shared segment (positions below its
/// shared length, when it references one), then those of its own suffix slots; grouped-query (query head h reads kv
/// head h / (heads / kv_heads)), scaled by 1/sqrt(head_dim), a softmax made stable by its maximum, the values weighted
/// by it. Every shared key lies before the row's query, so the two parts are one softmax, with no merge. The (row,
/// head) pairs are independent: past a few thousand keys in all they are split across kernel threads.
/// </summary>
internal static unsafe class ManagedAttention
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
    /// floats, scoreStride at least 1 + the largest position.
    /// </summary>
    public static void Run(Shape shape, float* queries, float* keys, float* values, RowKeys* rows, int? window,
        float* output, float* scores, int scoreStride, int maxThreads)
    {
        int pairs = shape.Rows * shape.Heads;
        long work = 0;
        for (int r = 0; r < shape.Rows; r++) work += Visible(rows[r].Position, window).Count;
        work *= (long)shape.Heads * shape.HeadDim;
        int threads = work < ParallelThreshold ? 1 : Math.Min(maxThreads, pairs);
        if (threads <= 1)
        {
            Pairs(shape, (nint)queries, (nint)keys, (nint)values, (nint)rows, window, (nint)output, (nint)scores, scoreStride, 0, pairs);
            return;
        }
        nint q = (nint)queries, k = (nint)keys, v = (nint)values, p = (nint)rows, o = (nint)output, s = (nint)scores;
        KernelThreads.Shared.Run(threads, part =>
            Pairs(shape, q, k, v, p, window, o, s, scoreStride, (int)((long)pairs * part / threads), (int)((long)pairs * (part + 1) / threads)));
    }

    /// <summary>The first visible position and how many: every key up to the query's position, or the window's last ones.</summary>
    private static (int First, int Count) Visible(long position, int? window)
    {
        long first = window is { } w ? Math.Max(0, position - w + 1) : 0;
        return ((int)first, (int)(position - first + 1));
    }

    // Pairs [start, end) of (row, head), row-major; addresses cross into workers, spans are made where they are used.
    private static void Pairs(Shape shape, nint queries, nint keys, nint values, nint rows, int? window,
        nint output, nint scores, int scoreStride, int start, int end)
    {
        int d = shape.HeadDim, group = shape.Heads / shape.KvHeads;
        float scale = 1f / MathF.Sqrt(d);
        for (int pair = start; pair < end; pair++)
        {
            int row = pair / shape.Heads, head = pair % shape.Heads, kv = head / group;
            ref readonly var at = ref ((RowKeys*)rows)[row];
            var (first, count) = Visible(at.Position, window);
            // Positions below Shared come from the segment, the rest from the row's suffix slots.
            int fromSegment = Math.Max(0, at.Shared - first);
            int fromSuffix = count - fromSegment;
            long segmentAt = ((long)kv * at.SegmentLength + first) * d;
            float* k1 = (float*)at.SegmentKeys + segmentAt, v1 = (float*)at.SegmentValues + segmentAt;
            long suffixAt = (((long)row * shape.KvHeads + kv) * shape.Slots + Math.Max(first, at.Shared) - at.Shared) * d;
            float* k2 = (float*)keys + suffixAt, v2 = (float*)values + suffixAt;
            float* query = (float*)queries + (long)row * shape.QueryStride + head * d;
            float* weights = (float*)scores + (long)pair * scoreStride;
            float* result = (float*)output + (long)row * shape.Heads * d + head * d;
            if (d % Vector256<float>.Count == 0 && Vector256.IsHardwareAccelerated)
            {
                for (int j = 0; j < fromSegment; j++) weights[j] = Dot(query, k1 + (long)j * d, d) * scale;
                for (int j = 0; j < fromSuffix; j++) weights[fromSegment + j] = Dot(query, k2 + (long)j * d, d) * scale;
                float sum = Softmax(new Span<float>(weights, count));
                WeightedSum(v1, weights, fromSegment, v2, weights + fromSegment, fromSuffix, d, 1f / sum, result);
                continue;
            }
            var w = new Span<float>(weights, count);
            var q = new ReadOnlySpan<float>(query, d);
            for (int j = 0; j < count; j++)
            {
                float* key = j < fromSegment ? k1 + (long)j * d : k2 + (long)(j - fromSegment) * d;
                w[j] = TensorPrimitives.Dot(q, new ReadOnlySpan<float>(key, d)) * scale;
            }
            float total = Softmax(w);
            var y = new Span<float>(result, d);
            y.Clear();
            for (int j = 0; j < count; j++)
            {
                float* value = j < fromSegment ? v1 + (long)j * d : v2 + (long)(j - fromSegment) * d;
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(value, d), w[j], y, y);
            }
            TensorPrimitives.Multiply(y, 1f / total, y);
        }
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

    // result = inverse · (Σ_j w1[j] · v1_j + Σ_j w2[j] · v2_j), one vector of the head at a time across all keys.
    private static void WeightedSum(float* v1, float* w1, int n1, float* v2, float* w2, int n2, int d, float inverse, float* result)
    {
        for (int i = 0; i < d; i += Vector256<float>.Count)
        {
            var sum = Vector256<float>.Zero;
            for (int j = 0; j < n1; j++)
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(v1 + (long)j * d + i), Vector256.Create(w1[j]), sum);
            for (int j = 0; j < n2; j++)
                sum = Vector256.FusedMultiplyAdd(Vector256.Load(v2 + (long)j * d + i), Vector256.Create(w2[j]), sum);
            (sum * inverse).Store(result + i);
        }
    }
}
