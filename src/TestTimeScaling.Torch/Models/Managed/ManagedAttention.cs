using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TestTimeScaling.Torch;

/// <summary>
/// One decode step's attention in managed code: each row's single query, per head, over that row's own keys (positions
/// 0..p, or the last <c>window</c> of them on a sliding layer): first those of its shared segment (positions below its
/// shared length, when it references one), then those of its own suffix slots; grouped-query (query head h reads kv
/// head h / (heads / kv_heads)), scaled by 1/sqrt(head_dim), a softmax made stable by its maximum, the values weighted
/// by it. Every shared key lies before the row's query, so the two parts are one softmax, with no merge. The (kv head,
/// row) units are independent: past a few thousand keys in all they are split across kernel threads.
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

    // Units [start, end) of (kv head, row), kv-major: the query heads of one kv head are done together, so each key and
    // value comes from memory once for all of them (then from L1), and consecutive units (the rows) read one kv head's
    // part of a shared segment while it is still in cache. Addresses cross into workers; spans are made where used.
    private static void Units(Shape shape, nint queries, nint keys, nint values, nint rows, int? window,
        nint output, nint scores, int scoreStride, int start, int end)
    {
        int d = shape.HeadDim, group = shape.Heads / shape.KvHeads;
        float scale = 1f / MathF.Sqrt(d);
        bool vectors = d % Vector256<float>.Count == 0 && Vector256.IsHardwareAccelerated;
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
                float inverse = 1f / Softmax(new Span<float>(w, count));
                // Kept after the weights: it scales the head's output once the values are summed.
                w[count] = inverse;
                new Span<float>(result + h * d, d).Clear();
            }
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
