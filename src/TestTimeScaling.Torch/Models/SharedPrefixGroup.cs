using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// The rows of one forward call that reference one shared KV segment: their queries attend to the segment's keys
/// together, in one matrix product per layer, so the segment is read once per step whatever the number of rows.
/// </summary>
internal sealed class SharedPrefixGroup : IDisposable
{
    /// <summary>
    /// The additive mask value of slots a row does not read: far below any score yet finite, so that a row whose
    /// sliding window excludes the whole segment gets a finite (ignored) partial result instead of NaN.
    /// </summary>
    public const float Masked = -1e30f;

    public SharedPrefixGroup(KvSegment segment, Tensor? rows, long rowCount, long keyLength, Tensor bias, Tensor? slidingBias)
    {
        Segment = segment;
        Rows = rows;
        RowCount = rowCount;
        KeyLength = keyLength;
        Bias = bias;
        SlidingBias = slidingBias;
    }

    /// <summary>The segment the rows share.</summary>
    public KvSegment Segment { get; }

    /// <summary>The rows' batch indices (int64 [n]), or null when the group is every row of the batch in order.</summary>
    public Tensor? Rows { get; }

    /// <summary>Number of rows (n).</summary>
    public long RowCount { get; }

    /// <summary>Segment slots read: the longest shared length among the rows.</summary>
    public long KeyLength { get; }

    /// <summary>Additive float32 mask [n, 1, KeyLength]: 0 where a row's shared length covers the slot, <see cref="Masked"/> past it.</summary>
    public Tensor Bias { get; }

    /// <summary>The mask of sliding-window layers [n, T, KeyLength] (slots behind a query's window also masked), or null.</summary>
    public Tensor? SlidingBias { get; }

    public void Dispose()
    {
        Rows?.Dispose();
        Bias.Dispose();
        SlidingBias?.Dispose();
    }
}
