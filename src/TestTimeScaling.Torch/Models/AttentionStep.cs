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
    private AttentionStep(Tensor positions, Tensor mask, Tensor? slidingMask, Tensor? writeSlots, long keyLength)
    {
        Positions = positions;
        Mask = mask;
        SlidingMask = slidingMask;
        WriteSlots = writeSlots;
        KeyLength = keyLength;
    }

    /// <summary>Absolute positions [B, T] (int64), for rotary embeddings.</summary>
    public Tensor Positions { get; }

    /// <summary>Boolean mask [B, 1, T, KeyLength]: true where a query may attend to a key (full attention).</summary>
    public Tensor Mask { get; }

    /// <summary>The mask of sliding-window layers, or null when the model has none.</summary>
    public Tensor? SlidingMask { get; }

    /// <summary>Cache slot of each token [B, T]; padding goes to the scratch slot. Null without a cache.</summary>
    public Tensor? WriteSlots { get; }

    /// <summary>Number of key slots attention reads; also 1 + the largest real position (the sequence length dynamic RoPE scales by).</summary>
    public long KeyLength { get; }

    /// <summary>A causal step over a whole sequence without a cache (training, reference forward).</summary>
    public static AttentionStep Causal(long batch, long length, Device device, int? slidingWindow = null)
    {
        var positions = arange(length, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, length);
        using var keys = arange(length, dtype: ScalarType.Int64, device: device).view(1, 1, 1, length);
        using var query = positions.view(batch, 1, length, 1);
        var mask = keys <= query;
        Tensor? sliding = null;
        if (slidingWindow is { } window)
        {
            using var inWindow = keys > query - window;
            sliding = mask.logical_and(inWindow);
        }
        return new AttentionStep(positions, mask, sliding, null, length);
    }

    /// <summary>A step that appends up to T tokens per row to a cache.</summary>
    public static AttentionStep Cached(KvCache cache, long tokensPerRow, IReadOnlyList<long> valid, int? slidingWindow = null)
    {
        int batch = cache.RowCount;
        var starts = cache.Lengths;
        long keyLength = 0;
        var slots = new long[batch * tokensPerRow];
        var positions = new long[batch * tokensPerRow];
        var padding = new bool[batch * tokensPerRow];
        for (int b = 0; b < batch; b++)
        {
            if (starts[b] + valid[b] > cache.Capacity)
                throw new InvalidOperationException($"Row {b} would hold {starts[b] + valid[b]} tokens, more than the cache capacity {cache.Capacity}.");
            keyLength = Math.Max(keyLength, starts[b] + valid[b]);
            for (int t = 0; t < tokensPerRow; t++)
            {
                positions[b * tokensPerRow + t] = starts[b] + t;
                slots[b * tokensPerRow + t] = t < valid[b] ? starts[b] + t : cache.ScratchSlot;
                padding[b * tokensPerRow + t] = t >= valid[b];
            }
        }
        var device = cache.Device;
        var pos = tensor(positions, [batch, tokensPerRow], dtype: ScalarType.Int64, device: device);
        var write = tensor(slots, [batch, tokensPerRow], dtype: ScalarType.Int64, device: device);
        using var keys = arange(keyLength, dtype: ScalarType.Int64, device: device).view(1, 1, 1, keyLength);
        using var query = pos.view(batch, 1, tokensPerRow, 1);
        var mask = keys <= query;
        Tensor? sliding = null;
        if (slidingWindow is { } window)
        {
            // A padding query can fall past every key of its window, leaving a row with nothing to attend to
            // (libtorch's CPU kernel returns zeros there, other SDPA backends may give NaN); its output is
            // discarded, so it simply keeps the full causal mask.
            using var pad = tensor(padding, [batch, 1, tokensPerRow, 1], device: device);
            using var inWindow = (keys > query - window).logical_or(pad);
            sliding = mask.logical_and(inWindow);
        }
        return new AttentionStep(pos, mask, sliding, write, keyLength);
    }

    public void Dispose()
    {
        Positions.Dispose();
        Mask.Dispose();
        SlidingMask?.Dispose();
        WriteSlots?.Dispose();
    }
}
