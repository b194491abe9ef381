using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Builds the cache rows a call starts from, computing each shared token prefix once: the prompt is
/// prefilled a single time for all prefixes, and rows kept from the previous call are reused
/// (gathered, duplicated and truncated to the common prefix) when the new sequences start the same way.
/// </summary>
/// <remarks>Thread-safe: the calls of one engine may run at the same time (they then compete for the one retained cache).</remarks>
internal sealed class PrefixCache : IDisposable
{
    private readonly object _lock = new();
    private KvCache? _retained;
    private List<int[]> _retainedTokens = [];
    private bool _disposed;

    /// <summary>Rows kept from the last call, and the tokens each holds.</summary>
    public int RetainedRows
    {
        get { lock (_lock) return _retained?.RowCount ?? 0; }
    }

    /// <summary>
    /// Plans the prefill of one call: a job that, run to its end, leaves a cache with one row per sequence, each
    /// holding all of its sequence, and the head output at each sequence's last token [sequences, vocab]. Takes over
    /// the retained rows (a call that runs at the same time starts from scratch).
    /// </summary>
    /// <param name="model">The decoder.</param>
    /// <param name="sequences">Full token sequences (prompt + prefix); each at least one token long.</param>
    /// <param name="sharedLength">Leading tokens all sequences share (the prompt).</param>
    /// <param name="capacity">Tokens each row must be able to hold.</param>
    /// <param name="meter">Charged for the tokens actually computed.</param>
    /// <param name="chunkTokens">Most tokens (rows x padded width) one forward pass of the job may feed.</param>
    public PrefillJob Begin(LlamaDecoder model, IReadOnlyList<int[]> sequences, int sharedLength, int capacity, UsageMeter meter, int chunkTokens)
    {
        KvCache? cache;
        List<int[]> rowTokens;
        lock (_lock)
        {
            cache = TakeRetained(model);
            rowTokens = _retainedTokens;
            _retainedTokens = [];
        }

        // Compute the shared part (all but the last token, which every row feeds to get its logits) once.
        int shared = Math.Min(sharedLength, sequences.Min(s => s.Length) - 1);
        var sharedTokens = sequences[0][..shared];
        int[] pending = [];
        if (cache is null || !rowTokens.Any(t => CommonPrefix(t, sharedTokens) == shared))
        {
            cache?.Dispose();
            cache = new KvCache(model.Config, 1, capacity, model.Device, model.DType);
            pending = sharedTokens;
            rowTokens = [sharedTokens];
        }

        // Each sequence starts from the cached row it shares most with, keeping at least one token to feed.
        var sources = new int[sequences.Count];
        var keep = new int[sequences.Count];
        for (int i = 0; i < sequences.Count; i++)
        {
            keep[i] = -1;
            for (int r = 0; r < rowTokens.Count; r++)
            {
                int common = Math.Min(CommonPrefix(rowTokens[r], sequences[i]), sequences[i].Length - 1);
                if (common > keep[i]) (sources[i], keep[i]) = (r, common);
            }
        }
        return new PrefillJob(model, cache, pending, sources, keep, sequences, capacity, meter, chunkTokens);
    }

    /// <summary>Keeps a finished call's cache for the next call (or frees it when reuse is off).</summary>
    public void Retain(KvCache cache, List<int[]> tokensPerRow, bool reuse)
    {
        lock (_lock)
        {
            _retained?.Dispose();
            if (reuse && !_disposed)
            {
                _retained = cache;
                _retainedTokens = tokensPerRow;
            }
            else
            {
                cache.Dispose();
                _retained = null;
                _retainedTokens = [];
            }
        }
    }

    private KvCache? TakeRetained(LlamaDecoder model)
    {
        var cache = _retained;
        _retained = null;
        if (cache is not null && (cache.Device.type != model.Device.type || cache.Device.index != model.Device.index || cache.DType != model.DType))
        {
            cache.Dispose();
            return null;
        }
        return cache;
    }

    /// <summary>Appends ragged token lists to the cache rows in one padded forward call, charging <paramref name="meter"/>.</summary>
    internal static Tensor Feed(LlamaDecoder model, KvCache cache, IReadOnlyList<int[]> tokens, UsageMeter meter)
    {
        long real = tokens.Sum(t => (long)t.Length);
        var logits = Feed(model, cache, tokens);
        meter.Forward(cache, 0, tokens.Count, real);
        meter.Prefilled(real);
        return logits;
    }

    /// <summary>Appends ragged token lists to the cache rows in one padded forward call; returns the head output at each row's last token.</summary>
    internal static Tensor Feed(LlamaDecoder model, KvCache cache, IReadOnlyList<int[]> tokens)
    {
        int width = tokens.Max(t => t.Length);
        var ids = new long[tokens.Count * width];
        for (int r = 0; r < tokens.Count; r++)
            for (int t = 0; t < tokens[r].Length; t++) ids[r * width + t] = tokens[r][t];
        var valid = tokens.Select(t => (long)t.Length).ToArray();
        using var input = tensor(ids, [tokens.Count, width], dtype: ScalarType.Int64, device: model.Device);
        return model.Forward(input, cache, valid);
    }

    private static int CommonPrefix(int[] a, int[] b)
    {
        int n = Math.Min(a.Length, b.Length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _retained?.Dispose();
            _retained = null;
        }
    }
}
