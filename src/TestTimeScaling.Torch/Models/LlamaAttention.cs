using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Multi-head attention with grouped-query key/value heads, rotary positions and an optional KV cache.</summary>
internal sealed class LlamaAttention : nn.Module
{
    // Field names are the Hugging Face parameter names (self_attn.q_proj.weight, ...).
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly int _heads, _kvHeads, _headDim;

    public LlamaAttention(ModelConfig config) : base(nameof(LlamaAttention))
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        q_proj = nn.Linear(config.HiddenSize, _heads * _headDim, hasBias: config.AttentionBias);
        k_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, hasBias: config.AttentionBias);
        v_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, hasBias: config.AttentionBias);
        o_proj = nn.Linear(_heads * _headDim, config.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>x [B, T, hidden] → [B, T, hidden].</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionStep step, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        var q = q_proj.forward(x).view(batch, length, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(batch, length, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(batch, length, _kvHeads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);

        if (cache is not null)
        {
            var slots = step.WriteSlots!.view(batch, 1, length, 1).expand(batch, _kvHeads, length, _headDim);
            cache.Write(layer, k, v, slots);
            (k, v) = cache.Read(layer, step.KeyLength);
        }

        // Grouped-query attention without copying keys: fold the query heads that share a key/value
        // head into the query-length axis, so each kv head is read once ([B, kv, rep*T, D]).
        int rep = _heads / _kvHeads;
        long keys = k.shape[2];
        var qGrouped = q.reshape(batch, _kvHeads, rep * length, _headDim);
        var mask = step.Mask.unsqueeze(2).expand(batch, 1, rep, length, keys).reshape(batch, 1, rep * length, keys);
        var attended = nn.functional.scaled_dot_product_attention(qGrouped, k, v, attn_mask: mask);
        var merged = attended.reshape(batch, _heads, length, _headDim).transpose(1, 2).reshape(batch, length, _heads * _headDim);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }
}
