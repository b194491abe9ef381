using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Builds the cache rows a call starts from, computing each shared token prefix once: the prompt is
/// prefilled a single time for all prefixes, and rows kept from the previous call are reused
/// (gathered, duplicated and truncated to the common prefix) when the new sequences start the same way.
/// </summary>
internal sealed class PrefixCache : IDisposable
{
    private KvCache? _retained;
    private List<int[]> _retainedTokens = [];

    /// <summary>Rows kept from the last call, and the tokens each holds.</summary>
    public int RetainedRows => _retained?.RowCount ?? 0;

    /// <summary>
    /// Returns a cache with one row per sequence, each holding all of its sequence, and the head
    /// output at each sequence's last token [sequences, vocab].
    /// </summary>
    /// <param name="model">The decoder.</param>
    /// <param name="sequences">Full token sequences (prompt + prefix); each at least one token long.</param>
    /// <param name="sharedLength">Leading tokens all sequences share (the prompt).</param>
    /// <param name="capacity">Tokens each row must be able to hold.</param>
    /// <param name="meter">Charged for the tokens actually computed.</param>
    public (KvCache Cache, Tensor Logits) Prepare(LlamaDecoder model, IReadOnlyList<int[]> sequences, int sharedLength, int capacity, UsageMeter meter)
    {
        var cache = TakeRetained(model);
        var rowTokens = _retainedTokens;
        _retainedTokens = [];

        // Compute the shared part (all but the last token, which every row feeds to get its logits) once.
        int shared = Math.Min(sharedLength, sequences.Min(s => s.Length) - 1);
        var sharedTokens = sequences[0][..shared];
        if (cache is null || !rowTokens.Any(t => CommonPrefix(t, sharedTokens) == shared))
        {
            cache?.Dispose();
            cache = new KvCache(model.Config, 1, capacity, model.Device, model.DType);
            if (shared > 0) Feed(model, cache, [sharedTokens], meter).Dispose();
            rowTokens = [sharedTokens];
        }
        cache.EnsureCapacity(capacity);

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
        cache.SelectRows(sources);
        for (int i = 0; i < sequences.Count; i++) cache.Truncate(i, keep[i]);
        var logits = Feed(model, cache, sequences.Select((s, i) => s[keep[i]..]).ToList(), meter);
        return (cache, logits);
    }

    /// <summary>Keeps a finished call's cache for the next call (or frees it when reuse is off).</summary>
    public void Retain(KvCache cache, List<int[]> tokensPerRow, bool reuse)
    {
        _retained?.Dispose();
        if (reuse)
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

    /// <summary>Appends ragged token lists to the cache rows in one padded forward call.</summary>
    internal static Tensor Feed(LlamaDecoder model, KvCache cache, IReadOnlyList<int[]> tokens, UsageMeter meter)
    {
        int width = tokens.Max(t => t.Length);
        var ids = new long[tokens.Count * width];
        for (int r = 0; r < tokens.Count; r++)
            for (int t = 0; t < tokens[r].Length; t++) ids[r * width + t] = tokens[r][t];
        var valid = tokens.Select(t => (long)t.Length).ToArray();
        long keyLength = cache.Lengths.Select((l, r) => l + valid[r]).Max();
        using var input = tensor(ids, [tokens.Count, width], dtype: ScalarType.Int64, device: model.Device);
        var logits = model.Forward(input, cache, valid);
        meter.Forward(cache, tokens.Count, valid.Sum(), keyLength);
        meter.Prefilled(valid.Sum());
        return logits;
    }

    private static int CommonPrefix(int[] a, int[] b)
    {
        int n = Math.Min(a.Length, b.Length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    public void Dispose()
    {
        _retained?.Dispose();
        _retained = null;
    }
}
