using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>One pre-norm transformer block: x + attn(norm(x)), then h + mlp(norm(h)).</summary>
internal sealed class LlamaDecoderLayer : nn.Module
{
    private readonly RmsNorm input_layernorm, post_attention_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;

    public LlamaDecoderLayer(ModelConfig config, int layer) : base(nameof(LlamaDecoderLayer))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        self_attn = new LlamaAttention(config, layer);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        mlp = new LlamaMlp(config);
        RegisterComponents();
    }

    /// <summary>The norm before attention.</summary>
    internal RmsNorm InputNorm => input_layernorm;

    /// <summary>The norm before the feed-forward block.</summary>
    internal RmsNorm PostAttentionNorm => post_attention_layernorm;

    /// <summary>The attention block.</summary>
    internal LlamaAttention Attention => self_attn;

    /// <summary>The feed-forward block.</summary>
    internal LlamaMlp Mlp => mlp;

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionStep step, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(self_attn.Forward(input_layernorm.forward(x), cos, sin, step, cache, layer));
        return h.Plus(mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }

    /// <summary>Rebuilds the fused projections after <c>Module.to</c> replaced the parameters.</summary>
    internal void Fuse()
    {
        self_attn.Fuse();
        mlp.Fuse();
    }
}
