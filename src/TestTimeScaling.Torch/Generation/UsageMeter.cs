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

    /// <summary>Records one forward call: <paramref name="realTokens"/> tokens over <paramref name="rows"/> rows that each read <paramref name="keyLength"/> cached slots.</summary>
    public void Forward(KvCache cache, long rows, long realTokens, long keyLength)
    {
        _forwards++;
        _flops += (double)realTokens * _flopsPerToken + (double)realTokens * keyLength * _attentionWidth;
        _kvBytes += (double)rows * keyLength * cache.BytesPerToken;
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
