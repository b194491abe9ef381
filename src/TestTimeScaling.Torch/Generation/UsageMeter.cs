using System.Diagnostics;

namespace TestTimeScaling.Torch;

/// <summary>Counts what one call spends: tokens, forward passes, estimated FLOPs and KV-cache bytes read.</summary>
internal sealed class UsageMeter
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _flopsPerToken;
    private readonly long _attentionWidth;
    private long _prompt, _generated, _forwards;
    private double _flops, _kvBytes;

    public UsageMeter(LlamaDecoder model)
    {
        // A matmul costs 2 FLOPs per weight per token; attention adds 2 x 2 x layers x (heads x head_dim) per attended key.
        _flopsPerToken = 2 * model.NonEmbeddingParameterCount;
        _attentionWidth = 4L * model.Config.NumHiddenLayers * model.Config.NumAttentionHeads * model.Config.HeadDim;
    }

    /// <summary>
    /// Records one forward call that appended <paramref name="realTokens"/> tokens to rows
    /// <paramref name="firstRow"/>.. of <paramref name="cache"/> (<paramref name="rows"/> of them), read after the
    /// pass (its lengths include the new tokens). KV bytes read: each shared segment the rows reference once (cascade
    /// attention reads it once for all of them, up to the longest shared length) plus every row's own suffix, padded to
    /// the longest; with nothing shared that is rows x the longest row.
    /// </summary>
    public void Forward(KvCache cache, int firstRow, int rows, long realTokens)
    {
        long keyLength = 0, suffix = 0;
        Dictionary<KvSegment, long>? segments = null;
        for (int r = firstRow; r < firstRow + rows; r++)
        {
            long length = cache.Lengths[r], shared = cache.SharedLengths[r];
            keyLength = Math.Max(keyLength, length);
            suffix = Math.Max(suffix, length - shared);
            if (cache.SegmentOf(r) is not { } segment) continue;
            segments ??= new Dictionary<KvSegment, long>(ReferenceEqualityComparer.Instance);
            segments[segment] = Math.Max(segments.GetValueOrDefault(segment), shared);
        }
        long read = rows * suffix + (segments?.Values.Sum() ?? 0);
        _forwards++;
        _flops += (double)realTokens * _flopsPerToken + (double)realTokens * keyLength * _attentionWidth;
        _kvBytes += (double)read * cache.BytesPerToken;
    }

    public void Prefilled(long tokens) => _prompt += tokens;

    public void Generated(long tokens) => _generated += tokens;

    public Usage ToUsage() => new()
    {
        PromptTokens = _prompt,
        GeneratedTokens = _generated,
        ForwardPasses = _forwards,
        EstimatedFlops = _flops,
        KvCacheBytesRead = _kvBytes,
        WallTime = _clock.Elapsed,
    };
}
