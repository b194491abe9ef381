using TestTimeScaling.Torch.Caching;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Models;

/// <summary>The transformer trunk (Hugging Face's <c>model.*</c>): embeddings, decoder layers, final norm.</summary>
internal sealed class LlamaBackbone : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding _rotary;

    public LlamaBackbone(ModelConfig config, Device device) : base(nameof(LlamaBackbone))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new LlamaDecoderLayer(config)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        _rotary = new RotaryEmbedding(config, device);
        RegisterComponents();
    }

    /// <summary>The token embedding matrix [vocab, hidden], also the output projection when embeddings are tied.</summary>
    public Tensor EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Final hidden states [B, T, hidden] for token ids [B, T].</summary>
    public Tensor Forward(Tensor inputIds, AttentionStep step, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = embed_tokens.forward(inputIds);
        var (cos, sin) = _rotary.Compute(step.Positions, h.dtype);
        for (int i = 0; i < layers.Count; i++)
            h = layers[i].Forward(h, cos, sin, step, cache, i);
        return norm.forward(h).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _rotary.Dispose();
        base.Dispose(disposing);
    }
}
