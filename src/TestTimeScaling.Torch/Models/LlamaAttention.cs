using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Multi-head attention with grouped-query key/value heads, rotary positions, an optional KV cache, the
/// biases each family has (Llama/Qwen3 <c>attention_bias</c>: q, k, v and o; Qwen2: q, k, v), Qwen3's per-head
/// q/k RMSNorm, and a sliding window on the layers the config makes sliding.
/// </summary>
internal sealed class LlamaAttention : nn.Module
{
    // Field names are the Hugging Face parameter names (self_attn.q_proj.weight, ...).
    private readonly Projection q_proj, k_proj, v_proj, o_proj;
    private readonly RmsNorm? q_norm, k_norm;
    // q, k and v weights are slices of one buffer: one product per call instead of three.
    private readonly ProjectionGroup _qkv;
    private readonly int _heads, _kvHeads, _headDim;
    private readonly bool _sliding;

    public LlamaAttention(ModelConfig config, int layer) : base(nameof(LlamaAttention))
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        _sliding = config.IsSlidingLayer(layer);
        q_proj = new Projection(config.HiddenSize, _heads * _headDim, config.HasQkvBias);
        k_proj = new Projection(config.HiddenSize, _kvHeads * _headDim, config.HasQkvBias);
        v_proj = new Projection(config.HiddenSize, _kvHeads * _headDim, config.HasQkvBias);
        o_proj = new Projection(_heads * _headDim, config.HiddenSize, config.HasOutputBias);
        _qkv = new ProjectionGroup(q_proj, k_proj, v_proj);
        if (config.HasQkNorm)
        {
            q_norm = new RmsNorm(_headDim, config.RmsNormEps);
            k_norm = new RmsNorm(_headDim, config.RmsNormEps);
        }
        RegisterComponents();
    }

    /// <summary>The fused q/k/v projections (q columns, then k, then v).</summary>
    internal ProjectionGroup Qkv => _qkv;

    /// <summary>The output projection.</summary>
    internal Projection OutputProjection => o_proj;

    /// <summary>Qwen3's per-head query norm, or null.</summary>
    internal RmsNorm? QueryNorm => q_norm;

    /// <summary>Qwen3's per-head key norm, or null.</summary>
    internal RmsNorm? KeyNorm => k_norm;

    /// <summary>x [B, T, hidden] → [B, T, hidden].</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionStep step, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        Tensor q, k, v;
        var joined = q_norm is null ? _qkv.ForwardJoined(x) : null;
        if (joined is not null && RotaryKernel.Applies(joined, cos, sin))
        {
            // One product, then the rotation read straight out of it into [B, heads, T, D]; v stays a view.
            q = RotaryKernel.Apply(joined, _qkv.Offset(0), _heads, _headDim, cos, sin);
            k = RotaryKernel.Apply(joined, _qkv.Offset(1), _kvHeads, _headDim, cos, sin);
            v = joined.narrow(-1, _qkv.Offset(2), _kvHeads * _headDim).view(batch, length, _kvHeads, _headDim).transpose(1, 2);
        }
        else
        {
            var qkv = joined is not null ? _qkv.Split(joined) : _qkv.Forward(x);
            q = qkv[0].view(batch, length, _heads, _headDim);
            k = qkv[1].view(batch, length, _kvHeads, _headDim);
            v = qkv[2].view(batch, length, _kvHeads, _headDim).transpose(1, 2);
            // Qwen3 normalises each head of q and k (over head_dim) before the rotation.
            if (q_norm is not null) q = q_norm.forward(q);
            if (k_norm is not null) k = k_norm.forward(k);
            q = RotaryEmbedding.Apply(q.transpose(1, 2), cos, sin);
            k = RotaryEmbedding.Apply(k.transpose(1, 2), cos, sin);
        }

        if (cache is not null)
        {
            var slots = step.WriteSlots!.view(batch, 1, length, 1).expand(batch, _kvHeads, length, _headDim);
            cache.Write(layer, k, v, slots);
            (k, v) = cache.Read(layer, step.SuffixLength);
            // Rows that share a segment: the segment read once for all of them, then merged with each row's suffix.
            if (step.SharedGroups.Count > 0)
                return o_proj.forward(CascadeAttention.Forward(q, k, v, step, layer, _sliding)).MoveToOuterDisposeScope();
            // A decode step: two small products, cheaper than SDPA's masked CPU kernel at these shapes.
            if (length == 1 && DecodeAttention.Enabled && step.SuffixBias is { } bias)
                return o_proj.forward(DecodeAttention.Forward(q, k, v, _sliding ? step.SlidingSuffixBias! : bias)).MoveToOuterDisposeScope();
        }

        // Grouped-query attention without copying keys: fold the query heads that share a key/value
        // head into the query-length axis, so each kv head is read once ([B, kv, rep*T, D]).
        int rep = _heads / _kvHeads;
        long keys = k.shape[2];
        var qGrouped = q.reshape(batch, _kvHeads, rep * length, _headDim);
        var layerMask = _sliding ? step.SlidingMask! : step.Mask;
        var mask = layerMask.unsqueeze(2).expand(batch, 1, rep, length, keys).reshape(batch, 1, rep * length, keys);
        var attended = nn.functional.scaled_dot_product_attention(qGrouped, k, v, attn_mask: mask);
        var merged = attended.reshape(batch, _heads, length, _headDim).transpose(1, 2).reshape(batch, length, _heads * _headDim);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>Rebuilds the fused q/k/v buffer after <c>Module.to</c> replaced the parameters.</summary>
    internal void Fuse() => _qkv.Fuse();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _qkv.Dispose();
        base.Dispose(disposing);
    }
}
