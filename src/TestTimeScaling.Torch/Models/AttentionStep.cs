using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Where the tokens of one forward call sit: their positions, the cache slots they are written to,
/// and which keys each may attend to. Built once per call and shared by every layer.
/// </summary>
/// <remarks>
/// Row b feeds T tokens of which the first <c>valid[b]</c> are real (the rest pad a ragged batch).
/// Token t of row b sits at position <c>start[b] + t</c> and may attend to keys 0..start[b]+t.
/// </remarks>
internal sealed class AttentionStep : IDisposable
{
    private AttentionStep(Tensor positions, Tensor mask, Tensor? writeSlots, long keyLength)
    {
        Positions = positions;
        Mask = mask;
        WriteSlots = writeSlots;
        KeyLength = keyLength;
    }

    /// <summary>Absolute positions [B, T] (int64), for rotary embeddings.</summary>
    public Tensor Positions { get; }

    /// <summary>Boolean mask [B, 1, T, KeyLength]: true where a query may attend to a key.</summary>
    public Tensor Mask { get; }

    /// <summary>Cache slot of each token [B, T]; padding goes to the scratch slot. Null without a cache.</summary>
    public Tensor? WriteSlots { get; }

    /// <summary>Number of key slots attention reads.</summary>
    public long KeyLength { get; }

    /// <summary>A causal step over a whole sequence without a cache (training, reference forward).</summary>
    public static AttentionStep Causal(long batch, long length, Device device)
    {
        var positions = arange(length, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, length);
        var keys = arange(length, dtype: ScalarType.Int64, device: device);
        var mask = (keys.view(1, 1, 1, length) <= positions.view(batch, 1, length, 1));
        return new AttentionStep(positions, mask, null, length);
    }

    /// <summary>A step that appends up to T tokens per row to a cache.</summary>
    public static AttentionStep Cached(KvCache cache, long tokensPerRow, IReadOnlyList<long> valid)
    {
        int batch = cache.RowCount;
        var starts = cache.Lengths;
        long keyLength = 0;
        var slots = new long[batch * tokensPerRow];
        var positions = new long[batch * tokensPerRow];
        for (int b = 0; b < batch; b++)
        {
            if (starts[b] + valid[b] > cache.Capacity)
                throw new InvalidOperationException($"Row {b} would hold {starts[b] + valid[b]} tokens, more than the cache capacity {cache.Capacity}.");
            keyLength = Math.Max(keyLength, starts[b] + valid[b]);
            for (int t = 0; t < tokensPerRow; t++)
            {
                positions[b * tokensPerRow + t] = starts[b] + t;
                slots[b * tokensPerRow + t] = t < valid[b] ? starts[b] + t : cache.ScratchSlot;
            }
        }
        var device = cache.Device;
        var pos = tensor(positions, [batch, tokensPerRow], dtype: ScalarType.Int64, device: device);
        var write = tensor(slots, [batch, tokensPerRow], dtype: ScalarType.Int64, device: device);
        using var keys = arange(keyLength, dtype: ScalarType.Int64, device: device);
        var mask = keys.view(1, 1, 1, keyLength) <= pos.view(batch, 1, tokensPerRow, 1);
        return new AttentionStep(pos, mask, write, keyLength);
    }

    public void Dispose()
    {
        Positions.Dispose();
        Mask.Dispose();
        WriteSlots?.Dispose();
    }
}
