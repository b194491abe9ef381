using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Where the tokens of one forward call sit: their positions, the cache slots they are written to,
/// and which keys each may attend to. Built once per call and shared by every layer.
/// </summary>
/// <remarks>
/// Row b feeds T tokens of which the first <c>valid[b]</c> are real (the rest pad a ragged batch).
/// Token t of row b sits at position <c>start[b] + t</c> and may attend to keys 0..start[b]+t; a layer with a
/// sliding window of w sees only keys k with position - k &lt; w (transformers' sliding_window_overlay). The
/// cache keeps every key (slot = position), so the window is a mask, identical in the cached and full paths.
/// </remarks>
internal sealed class AttentionStep : IDisposable
{
    private AttentionStep(Tensor positions, Tensor mask, Tensor? slidingMask, Tensor? writeSlots, long keyLength, long suffixLength)
    {
        Positions = positions;
        Mask = mask;
        SlidingMask = slidingMask;
        WriteSlots = writeSlots;
        KeyLength = keyLength;
        SuffixLength = suffixLength;
    }

    /// <summary>Absolute positions [B, T] (int64), for rotary embeddings.</summary>
    public Tensor Positions { get; }

    /// <summary>
    /// Boolean mask [B, 1, T, SuffixLength]: true where a query may attend to a key (full attention). With a cache, key
    /// j of row b is the row's own suffix slot j, at position shared[b] + j (the position itself when nothing is shared).
    /// </summary>
    public Tensor Mask { get; }

    /// <summary>The mask of sliding-window layers, or null when the model has none.</summary>
    public Tensor? SlidingMask { get; }

    /// <summary>Cache slot of each token [B, T]; padding goes to the scratch slot. Null without a cache.</summary>
    public Tensor? WriteSlots { get; }

    /// <summary>Number of key slots attention reads; also 1 + the largest real position (the sequence length dynamic RoPE scales by).</summary>
    public long KeyLength { get; }

    /// <summary>Suffix slots attention reads from the cache (<see cref="KeyLength"/> when no row has a shared segment).</summary>
    public long SuffixLength { get; }

    /// <summary>
    /// The rows grouped by the shared segment they reference; empty when none does (then attention is one dense pass).
    /// When not empty, attention is cascaded: each group's queries against its segment, every row against its own
    /// suffix, the two merged by their log-sum-exp.
    /// </summary>
    public IReadOnlyList<SharedPrefixGroup> SharedGroups { get; private init; } = [];

    /// <summary>Additive float32 form of <see cref="Mask"/>, [B, T, SuffixLength] (0 or -inf); only with shared groups or in a cached step of one token per row.</summary>
    public Tensor? SuffixBias { get; private init; }

    /// <summary>Additive float32 form of <see cref="SlidingMask"/>, [B, T, SuffixLength]; only with sliding layers, when <see cref="SuffixBias"/> is set.</summary>
    public Tensor? SlidingSuffixBias { get; private init; }

    /// <summary>A causal step over a whole sequence without a cache (training, reference forward).</summary>
    public static AttentionStep Causal(long batch, long length, Device device, int? slidingWindow = null)
    {
        var positions = HeldScalars.Arange(length, ScalarType.Int64, device).unsqueeze(0).expand(batch, length);
        using var keys = HeldScalars.Arange(length, ScalarType.Int64, device).view(1, 1, 1, length);
        using var query = positions.view(batch, 1, length, 1);
        var mask = keys <= query;
        Tensor? sliding = null;
        if (slidingWindow is { } window)
        {
            using var width = window.ToScalar();
            using var inWindow = keys > query - width;
            sliding = mask.logical_and(inWindow);
        }
        return new AttentionStep(positions, mask, sliding, null, length, length);
    }

    /// <summary>A step that appends up to T tokens per row to a cache.</summary>
    public static AttentionStep Cached(KvCache cache, long tokensPerRow, IReadOnlyList<long> valid, int? slidingWindow = null)
    {
        int batch = cache.RowCount;
        var starts = cache.Lengths;
        var shared = cache.SharedLengths;
        long keyLength = 0, suffixLength = 0;
        bool anyShared = false;
        for (int b = 0; b < batch; b++)
        {
            if (starts[b] + valid[b] > cache.Capacity)
                throw new InvalidOperationException($"Row {b} would hold {starts[b] + valid[b]} tokens, more than the cache capacity {cache.Capacity}.");
            keyLength = Math.Max(keyLength, starts[b] + valid[b]);
            suffixLength = Math.Max(suffixLength, starts[b] - shared[b] + valid[b]);
            anyShared |= shared[b] > 0;
        }
        cache.PrepareAppend(valid);
        var slots = new long[batch * tokensPerRow];
        var positions = new long[batch * tokensPerRow];
        var padding = new bool[batch * tokensPerRow];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < tokensPerRow; t++)
            {
                positions[b * tokensPerRow + t] = starts[b] + t;
                slots[b * tokensPerRow + t] = t < valid[b] ? starts[b] - shared[b] + t : cache.ScratchSlot;
                padding[b * tokensPerRow + t] = t >= valid[b];
            }
        }
        var device = cache.Device;
        var pos = tensor(positions, [batch, tokensPerRow], dtype: ScalarType.Int64, device: device);
        var write = tensor(slots, [batch, tokensPerRow], dtype: ScalarType.Int64, device: device);
        // Suffix slot j of row b holds position shared[b] + j.
        using var slotPositions = HeldScalars.Arange(suffixLength, ScalarType.Int64, device).view(1, 1, 1, suffixLength);
        using var offsets = anyShared ? tensor(shared.ToArray(), [batch, 1, 1, 1], dtype: ScalarType.Int64, device: device) : null;
        using var keys = offsets is null ? slotPositions.alias() : slotPositions.Plus(offsets);
        using var query = pos.view(batch, 1, tokensPerRow, 1);
        using var pad = slidingWindow is null ? null : tensor(padding, [batch, 1, tokensPerRow, 1], device: device);
        var mask = keys <= query;
        Tensor? sliding = null;
        if (slidingWindow is { } window)
        {
            // A padding query can fall past every key of its window, leaving a row with nothing to attend to
            // (libtorch's CPU kernel returns zeros there, other SDPA backends may give NaN); its output is
            // discarded, so it simply keeps the full causal mask.
            using var width = window.ToScalar();
            using var inWindow = (keys > query - width).logical_or(pad!);
            sliding = mask.logical_and(inWindow);
        }
        // A decode step (one token per row) attends through DecodeAttention, which takes the mask as an additive bias.
        if (!anyShared && tokensPerRow != 1) return new AttentionStep(pos, mask, sliding, write, keyLength, suffixLength);
        if (!anyShared)
        {
            return new AttentionStep(pos, mask, sliding, write, keyLength, suffixLength)
            {
                SuffixBias = Bias(mask),
                SlidingSuffixBias = sliding is null ? null : Bias(sliding),
            };
        }
        return new AttentionStep(pos, mask, sliding, write, keyLength, suffixLength)
        {
            SharedGroups = SharedPrefixGroups(cache, pos, pad, slidingWindow),
            SuffixBias = Bias(mask),
            SlidingSuffixBias = sliding is null ? null : Bias(sliding),
        };
    }

    /// <summary>One group per shared segment, with the rows that reference it and their masks over its slots.</summary>
    private static List<SharedPrefixGroup> SharedPrefixGroups(KvCache cache, Tensor positions, Tensor? padding, int? slidingWindow)
    {
        var rowsOf = new Dictionary<KvSegment, List<int>>(ReferenceEqualityComparer.Instance);
        var order = new List<KvSegment>();
        for (int b = 0; b < cache.RowCount; b++)
        {
            if (cache.SegmentOf(b) is not { } segment) continue;
            if (!rowsOf.TryGetValue(segment, out var rows)) rowsOf[segment] = rows = [];
            if (rows.Count == 0) order.Add(segment);
            rows.Add(b);
        }
        var device = cache.Device;
        var groups = new List<SharedPrefixGroup>(order.Count);
        foreach (var segment in order)
        {
            var rows = rowsOf[segment];
            int n = rows.Count;
            var shared = rows.Select(b => cache.SharedLengths[b]).ToArray();
            long keyLength = shared.Max();
            bool everyRow = n == cache.RowCount && rows.Select((b, i) => b == i).All(x => x);
            Tensor? index = tensor(rows.Select(b => (long)b).ToArray(), dtype: ScalarType.Int64, device: device);
            // Every shared slot lies before every query of its row (a row appends after its shared part), so only
            // the row's shared length and, on sliding layers, the window bound which slots it reads.
            using var slot = HeldScalars.Arange(keyLength, ScalarType.Int64, device).view(1, 1, keyLength);
            using var limit = tensor(shared, [n, 1, 1], dtype: ScalarType.Int64, device: device);
            using var covered = slot < limit; // [n, 1, S]
            Tensor? slidingBias = null;
            if (slidingWindow is { } window)
            {
                using var rowPositions = positions.index_select(0, index).unsqueeze(-1); // [n, T, 1]
                using var rowPadding = padding!.index_select(0, index).view(n, -1, 1);
                using var width = window.ToScalar();
                using var inWindow = (slot > rowPositions - width).logical_or(rowPadding);
                using var visible = covered.logical_and(inWindow); // [n, T, S]
                slidingBias = Bias(visible, SharedPrefixGroup.Masked);
            }
            if (everyRow)
            {
                index.Dispose();
                index = null;
            }
            groups.Add(new SharedPrefixGroup(segment, index, n, keyLength, Bias(covered, SharedPrefixGroup.Masked), slidingBias));
        }
        return groups;
    }

    /// <summary>0 where <paramref name="visible"/> (squeezed of a [B, 1, ..] head axis) is true, <paramref name="masked"/> elsewhere, in float32.</summary>
    private static Tensor Bias(Tensor visible, float masked = float.NegativeInfinity)
    {
        using var squeezed = visible.dim() == 4 ? visible.squeeze(1) : visible.alias();
        using var hidden = squeezed.logical_not();
        using var fill = masked.ToScalar();
        return zeros(squeezed.shape, dtype: ScalarType.Float32, device: visible.device).masked_fill_(hidden, fill);
    }

    public void Dispose()
    {
        Positions.Dispose();
        Mask.Dispose();
        SlidingMask?.Dispose();
        WriteSlots?.Dispose();
        SuffixBias?.Dispose();
        SlidingSuffixBias?.Dispose();
        foreach (var group in SharedGroups) group.Dispose();
    }
}
