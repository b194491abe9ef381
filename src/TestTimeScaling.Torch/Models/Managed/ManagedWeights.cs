using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// The addresses of every weight a <see cref="ManagedDecodeStep"/> reads, taken once from the decoder's modules and
/// checked by reference before each step (<see cref="Matches"/>): getting an address is a few native calls, and a
/// step reads about a dozen tensors per layer.
/// </summary>
internal sealed unsafe class ManagedWeights
{
    private readonly Tensor _embedding, _finalNorm, _head;
    private readonly Tensor? _headBias;
    private readonly ManagedLayerWeights[] _layers;

    private ManagedWeights(Tensor embedding, ManagedLayerWeights[] layers, Tensor finalNorm, float finalEpsilon, Tensor head, Tensor? headBias, ManagedRotary rotary)
    {
        _embedding = embedding;
        _layers = layers;
        _finalNorm = finalNorm;
        _head = head;
        _headBias = headBias;
        FinalNormEpsilon = finalEpsilon;
        Rotary = rotary;
        Embedding = TensorMemory.Floats(embedding);
        FinalNorm = TensorMemory.Floats(finalNorm);
        Head = TensorMemory.Floats(head);
        HeadBias = headBias is null ? null : TensorMemory.Floats(headBias);
        HeadOutputs = checked((int)head.shape[0]);
    }

    /// <summary>The token embedding table [vocab, hidden].</summary>
    public float* Embedding { get; }

    /// <summary>The final norm's scale [hidden].</summary>
    public float* FinalNorm { get; }

    /// <summary>Epsilon of the final norm.</summary>
    public float FinalNormEpsilon { get; }

    /// <summary>The head [outputs, hidden]: lm_head, the score head, or the embedding table when tied.</summary>
    public float* Head { get; }

    /// <summary>The head's bias [outputs] (the score head's), or null.</summary>
    public float* HeadBias { get; }

    /// <summary>Rows of the head: the vocabulary or the labels.</summary>
    public int HeadOutputs { get; }

    /// <summary>The rotary frequencies as plain numbers.</summary>
    public ManagedRotary Rotary { get; }

    /// <summary>The Q8_0 copy of these weights' projections, once a step under <see cref="DecodeWeightFormat.Q8_0"/> made it.</summary>
    public QuantizedDecodeWeights? Quantized { get; set; }

    /// <summary>Layer <paramref name="index"/>'s weights.</summary>
    public ManagedLayerWeights Layer(int index) => _layers[index];

    /// <summary>
    /// The weights of <paramref name="model"/> with <paramref name="head"/> (null: the tied embedding), or null when
    /// any is not a contiguous float32 CPU tensor of its expected size or a fused group is not fused.
    /// </summary>
    public static ManagedWeights? Capture(LlamaBackbone model, Projection? head, ModelConfig config)
    {
        var layers = new ManagedLayerWeights[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++)
            if ((layers[i] = ManagedLayerWeights.Capture(model.Layer(i), config)!) is null) return null;
        var embedding = model.Embedding.Weight;
        var headWeight = head?.Weight ?? embedding;
        var headBias = head?.Bias;
        var finalNorm = model.FinalNorm.Weight;
        var invFreq = model.Rotary.InverseFrequencies;
        long hidden = config.HiddenSize;
        if (!Fits(embedding, (long)config.VocabSize * hidden) || !Fits(finalNorm, hidden)
            || !TensorMemory.IsFloat32Cpu(headWeight) || headWeight.dim() != 2 || headWeight.shape[1] != hidden
            || (headBias is not null && !Fits(headBias, headWeight.shape[0]))
            || !Fits(invFreq, config.RotaryDim / 2))
            return null;
        var rotary = new ManagedRotary(invFreq.data<float>().ToArray(), config.RotaryDim, model.Rotary.AttentionFactor);
        return new ManagedWeights(embedding, layers, finalNorm, (float)model.FinalNorm.Epsilon, headWeight, headBias, rotary);
    }

    /// <summary>Whether the decoder still holds exactly the tensors these addresses were taken from.</summary>
    public bool Matches(LlamaBackbone model, Projection? head)
    {
        var embedding = model.Embedding.Weight;
        if (!ReferenceEquals(_embedding, embedding) || !ReferenceEquals(_finalNorm, model.FinalNorm.Weight)
            || !ReferenceEquals(_head, head?.Weight ?? embedding) || !ReferenceEquals(_headBias, head?.Bias))
            return false;
        for (int i = 0; i < _layers.Length; i++)
            if (!_layers[i].Matches(model.Layer(i))) return false;
        return true;
    }

    private static bool Fits(Tensor t, long elements) => TensorMemory.IsFloat32Cpu(t) && t.numel() == elements;
}
