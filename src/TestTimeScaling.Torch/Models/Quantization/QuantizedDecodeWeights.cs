namespace TestTimeScaling.Torch;

/// <summary>
/// The Q8_0 copies of a decoder's projection matrices that <see cref="ManagedDecodeStep"/> multiplies with under
/// <see cref="DecodeWeightFormat.Q8_0"/>: per layer the fused q/k/v, o_proj, the fused gate/up and down_proj, and the
/// head. Taken from the fp32 addresses of one <see cref="ManagedWeights"/>, so they are retaken with it whenever a
/// weight tensor is replaced.
/// </summary>
internal sealed unsafe class QuantizedDecodeWeights
{
    private readonly Layer[] _layers;

    private QuantizedDecodeWeights(Layer[] layers, Q8Matrix head)
    {
        _layers = layers;
        Head = head;
    }

    /// <summary>The head's copy [outputs, hidden] (the tied embedding's when the head is tied).</summary>
    public Q8Matrix Head { get; }

    /// <summary>Layer <paramref name="index"/>'s copies.</summary>
    public Layer LayerAt(int index) => _layers[index];

    /// <summary>Quantizes every projection of <paramref name="weights"/> (shapes from <paramref name="config"/>).</summary>
    public static QuantizedDecodeWeights Quantize(ManagedWeights weights, ModelConfig config)
    {
        int hidden = config.HiddenSize, inner = config.IntermediateSize;
        int heads = config.NumAttentionHeads * config.HeadDim, qkv = (config.NumAttentionHeads + 2 * config.NumKeyValueHeads) * config.HeadDim;
        var layers = new Layer[config.NumHiddenLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            var layer = weights.Layer(l);
            layers[l] = new Layer(
                Q8Matrix.Quantize(layer.Qkv, qkv, hidden),
                Q8Matrix.Quantize(layer.Output, hidden, heads),
                Q8Matrix.Quantize(layer.GateUp, 2 * inner, hidden),
                Q8Matrix.Quantize(layer.Down, hidden, inner));
        }
        return new QuantizedDecodeWeights(layers, Q8Matrix.Quantize(weights.Head, weights.HeadOutputs, hidden));
    }

    /// <summary>One layer's copies.</summary>
    public sealed record Layer(Q8Matrix Qkv, Q8Matrix Output, Q8Matrix GateUp, Q8Matrix Down);
}
