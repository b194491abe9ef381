using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>The transformer trunk (Hugging Face's <c>model.*</c>): embeddings, decoder layers, final norm.</summary>
internal sealed class LlamaBackbone : nn.Module
{
    private readonly TokenEmbedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding _rotary;

    public LlamaBackbone(ModelConfig config, Device device) : base(nameof(LlamaBackbone))
    {
        embed_tokens = new TokenEmbedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        _rotary = new RotaryEmbedding(config, device);
        RegisterComponents();
    }

    /// <summary>Elements of the token embedding matrix.</summary>
    public long EmbeddingParameterCount
    {
        get => embed_tokens.Weight.numel();
    }

    /// <summary>The token embedding table (for the managed decode step, which reads its rows in place).</summary>
    internal TokenEmbedding Embedding => embed_tokens;

    /// <summary>Decoder layer <paramref name="index"/>.</summary>
    internal LlamaDecoderLayer Layer(int index) => layers[index];

    /// <summary>The final norm.</summary>
    internal RmsNorm FinalNorm => norm;

    /// <summary>The rotary frequency schedule.</summary>
    internal RotaryEmbedding Rotary => _rotary;

    /// <summary>Logits through the transposed embedding matrix, for models with tied embeddings.</summary>
    public Tensor TiedLogits(Tensor hidden) => nn.functional.linear(hidden, embed_tokens.Weight);

    /// <summary>Final hidden states [B, T, hidden] for token ids [B, T].</summary>
    /// <param name="inputIds">Token ids [B, T].</param>
    /// <param name="step">Positions and mask of this pass.</param>
    /// <param name="cache">The KV cache to read and append to, or null.</param>
    /// <param name="cancellationToken">Checked before every layer, so a long pass stops within one layer; the scope frees what was made.</param>
    public Tensor Forward(Tensor inputIds, AttentionStep step, KvCache? cache, CancellationToken cancellationToken = default)
    {
        using var scope = NewDisposeScope();
        var h = embed_tokens.forward(inputIds);
        var (cos, sin) = _rotary.Compute(step.Positions, step.KeyLength, h.dtype);
        for (int i = 0; i < layers.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            h = layers[i].Forward(h, cos, sin, step, cache, i);
        }
        return norm.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>Rebuilds every layer's fused projections after <c>Module.to</c> replaced the parameters.</summary>
    internal void Fuse()
    {
        foreach (var layer in layers) layer.Fuse();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _rotary.Dispose();
        base.Dispose(disposing);
    }
}
