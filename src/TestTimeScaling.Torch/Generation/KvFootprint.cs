namespace TestTimeScaling.Torch;

/// <summary>
/// What one call's rows are expected to hold in the batch's KV cache, for the scheduler's admission: the shared
/// segments its fork makes (stored once for all of its rows) and the suffix slots each row needs besides them.
/// </summary>
/// <remarks>
/// It follows the cache's sharing rule (<see cref="KvCache.MinSharedTokens"/>): the prefill feeds the prompt once
/// and copies it to one row per prefix, which shares it when (prefixes - 1) x its length reaches the threshold; the
/// fork repeats each prefix's row <c>N</c> times, which shares a row that has no segment yet when (N - 1) x its
/// length reaches it (a row already on the prompt's segment copies only its prefix). It is an estimate made before
/// the call runs: rows reused from an earlier call may share differently.
/// </remarks>
/// <param name="SuffixCapacity">Slots the widest of the call's rows may need beyond what it shares.</param>
/// <param name="SegmentTokens">Tokens the call's shared segments hold, each counted once.</param>
internal readonly record struct KvFootprint(int SuffixCapacity, long SegmentTokens)
{
    /// <summary>The footprint of a call of <paramref name="n"/> rows per context, each row holding up to <paramref name="capacity"/> tokens.</summary>
    /// <param name="contexts">Prompt + prefix token ids, one per prefix.</param>
    /// <param name="promptLength">Leading tokens every context shares (the prompt).</param>
    /// <param name="n">Rows per context.</param>
    /// <param name="capacity">Tokens each row may hold.</param>
    /// <param name="minSharedTokens">The cache's threshold for sharing a repeated row.</param>
    public static KvFootprint Of(IReadOnlyList<int[]> contexts, int promptLength, int n, int capacity, int minSharedTokens)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        if (contexts.Count == 0) throw new ArgumentException("At least one context is needed.", nameof(contexts));
        // The prefill's first pass holds the prompt up to one token before the shortest context ends (PrefixCache.Begin).
        int prompt = Math.Min(promptLength, contexts.Min(c => c.Length) - 1);
        bool promptShared = contexts.Count > 1 && prompt > 0 && (long)(contexts.Count - 1) * prompt >= minSharedTokens;
        long segments = promptShared ? prompt : 0;
        int leastShared = int.MaxValue;
        foreach (var context in contexts)
        {
            int shared = promptShared ? prompt : 0;
            if (!promptShared && n > 1 && (long)(n - 1) * context.Length >= minSharedTokens)
            {
                shared = context.Length;
                segments += shared;
            }
            leastShared = Math.Min(leastShared, shared);
        }
        return new KvFootprint(capacity - leastShared, segments);
    }

    /// <summary>
    /// Bytes a batch of these calls holds at most: every row is as wide as the widest row's suffix (the batch's
    /// suffix buffer is one tensor), plus each call's segments once. With nothing shared this is rows x capacity.
    /// </summary>
    /// <param name="calls">Each call's rows in the batch and its footprint.</param>
    /// <param name="bytesPerToken">Bytes of one cached token across all layers.</param>
    public static long BatchBytes(IEnumerable<(int Rows, KvFootprint Footprint)> calls, long bytesPerToken)
    {
        ArgumentNullException.ThrowIfNull(calls);
        long rows = 0, segments = 0;
        int widest = 0;
        foreach (var (count, footprint) in calls)
        {
            if (count == 0) continue;
            rows += count;
            segments += footprint.SegmentTokens;
            widest = Math.Max(widest, footprint.SuffixCapacity);
        }
        // One more slot per row: the cache's scratch slot for padding.
        return (rows * (widest + 1L) + segments) * bytesPerToken;
    }
}
