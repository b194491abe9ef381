namespace TestTimeScaling.Torch;

/// <summary>Limits of a <see cref="DecodeScheduler"/>: how much runs at once, and how long a prefill may hold up decoding.</summary>
public sealed record DecodeSchedulerOptions
{
    /// <summary>
    /// Most rows (sequences) in flight across all requests, counting the rows of prefills under way. A request that
    /// would pass it waits in the queue; a request larger than the limit on its own runs when nothing else does.
    /// </summary>
    public int MaxRows { get; init; } = 256;

    /// <summary>
    /// Most bytes of KV cache the batch may hold (rows x capacity x bytes per token, across all layers). Requests
    /// beyond it wait like those beyond <see cref="MaxRows"/>.
    /// </summary>
    public long MaxKvCacheBytes { get; init; } = 2L << 30;

    /// <summary>
    /// Most tokens (rows x padded width) one prefill forward pass feeds, and the prefill tokens run between two
    /// decode steps: a long prompt is prefilled in pieces so that running rows keep decoding (chunked prefill).
    /// </summary>
    public int PrefillChunkTokens { get; init; } = 512;

    /// <summary>Throws when a limit is not positive, naming it.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRows, nameof(MaxRows));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxKvCacheBytes, nameof(MaxKvCacheBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PrefillChunkTokens, nameof(PrefillChunkTokens));
    }
}
