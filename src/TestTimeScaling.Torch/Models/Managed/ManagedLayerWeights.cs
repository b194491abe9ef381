using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// The addresses of one decoder layer's weights for <see cref="ManagedDecodeStep"/>, with the tensors they were taken
/// from: a step checks by reference that the layer still holds those tensors (<c>Module.to</c> and
/// <see cref="ProjectionGroup.Fuse"/> replace them) before it trusts the addresses.
/// </summary>
internal sealed unsafe class ManagedLayerWeights
{
    private readonly Tensor _inputNorm, _qkv, _output, _postNorm, _gateUp, _down;
    private readonly Tensor? _qkvBias, _queryNorm, _keyNorm, _outputBias, _gateUpBias, _downBias;

    private ManagedLayerWeights(LlamaDecoderLayer layer)
    {
        var attention = layer.Attention;
        var mlp = layer.Mlp;
        _inputNorm = layer.InputNorm.Weight;
        _qkv = attention.Qkv.JoinedWeight!;
        _qkvBias = attention.Qkv.JoinedBias;
        _queryNorm = attention.QueryNorm?.Weight;
        _keyNorm = attention.KeyNorm?.Weight;
        _output = attention.OutputProjection.Weight;
        _outputBias = attention.OutputProjection.Bias;
        _postNorm = layer.PostAttentionNorm.Weight;
        _gateUp = mlp.GateUp.JoinedWeight!;
        _gateUpBias = mlp.GateUp.JoinedBias;
        _down = mlp.Down.Weight;
        _downBias = mlp.Down.Bias;
        InputNormEpsilon = (float)layer.InputNorm.Epsilon;
        PostNormEpsilon = (float)layer.PostAttentionNorm.Epsilon;
        HeadNormEpsilon = (float)(attention.QueryNorm?.Epsilon ?? 0);
    }

    /// <summary>Epsilon of the norm before attention.</summary>
    public float InputNormEpsilon { get; }

    /// <summary>Epsilon of the norm before the feed-forward block.</summary>
    public float PostNormEpsilon { get; }

    /// <summary>Epsilon of Qwen3's per-head q/k norms (0 without them).</summary>
    public float HeadNormEpsilon { get; }

    public float* InputNorm { get; private set; }
    public float* Qkv { get; private set; }
    public float* QkvBias { get; private set; }
    public float* QueryNorm { get; private set; }
    public float* KeyNorm { get; private set; }
    public float* Output { get; private set; }
    public float* OutputBias { get; private set; }
    public float* PostNorm { get; private set; }
    public float* GateUp { get; private set; }
    public float* GateUpBias { get; private set; }
    public float* Down { get; private set; }
    public float* DownBias { get; private set; }

    /// <summary>
    /// The layer's weights, or null when one is not a contiguous float32 CPU tensor of the size the config gives it
    /// (the step reads them by address, so a size it does not expect must never reach it) or a fused group is not fused.
    /// </summary>
    public static ManagedLayerWeights? Capture(LlamaDecoderLayer layer, ModelConfig config)
    {
        if (layer.Attention.Qkv.JoinedWeight is null || layer.Mlp.GateUp.JoinedWeight is null) return null;
        var weights = new ManagedLayerWeights(layer);
        long hidden = config.HiddenSize, inner = config.IntermediateSize, dim = config.HeadDim;
        long qkv = (config.NumAttentionHeads + 2L * config.NumKeyValueHeads) * dim, heads = config.NumAttentionHeads * dim;
        (Tensor? Tensor, long Elements)[] expected =
        [
            (weights._inputNorm, hidden), (weights._qkv, qkv * hidden), (weights._qkvBias, qkv),
            (weights._queryNorm, dim), (weights._keyNorm, dim), (weights._output, hidden * heads), (weights._outputBias, hidden),
            (weights._postNorm, hidden), (weights._gateUp, 2 * inner * hidden), (weights._gateUpBias, 2 * inner),
            (weights._down, hidden * inner), (weights._downBias, hidden),
        ];
        foreach (var (t, elements) in expected)
            if (t is not null && (!TensorMemory.IsFloat32Cpu(t) || t.numel() != elements)) return null;
        weights.InputNorm = TensorMemory.Floats(weights._inputNorm);
        weights.Qkv = TensorMemory.Floats(weights._qkv);
        weights.QkvBias = Address(weights._qkvBias);
        weights.QueryNorm = Address(weights._queryNorm);
        weights.KeyNorm = Address(weights._keyNorm);
        weights.Output = TensorMemory.Floats(weights._output);
        weights.OutputBias = Address(weights._outputBias);
        weights.PostNorm = TensorMemory.Floats(weights._postNorm);
        weights.GateUp = TensorMemory.Floats(weights._gateUp);
        weights.GateUpBias = Address(weights._gateUpBias);
        weights.Down = TensorMemory.Floats(weights._down);
        weights.DownBias = Address(weights._downBias);
        return weights;
    }

    /// <summary>Whether <paramref name="layer"/> still holds exactly the tensors these addresses were taken from (reference checks only).</summary>
    public bool Matches(LlamaDecoderLayer layer)
    {
        var attention = layer.Attention;
        var mlp = layer.Mlp;
        return ReferenceEquals(_inputNorm, layer.InputNorm.Weight)
            && ReferenceEquals(_qkv, attention.Qkv.JoinedWeight) && ReferenceEquals(_qkvBias, attention.Qkv.JoinedBias)
            && ReferenceEquals(_queryNorm, attention.QueryNorm?.Weight) && ReferenceEquals(_keyNorm, attention.KeyNorm?.Weight)
            && ReferenceEquals(_output, attention.OutputProjection.Weight) && ReferenceEquals(_outputBias, attention.OutputProjection.Bias)
            && ReferenceEquals(_postNorm, layer.PostAttentionNorm.Weight)
            && ReferenceEquals(_gateUp, mlp.GateUp.JoinedWeight) && ReferenceEquals(_gateUpBias, mlp.GateUp.JoinedBias)
            && ReferenceEquals(_down, mlp.Down.Weight) && ReferenceEquals(_downBias, mlp.Down.Bias);
    }

    private static float* Address(Tensor? t) => t is null ? null : TensorMemory.Floats(t);
}
