namespace TestTimeScaling.Torch;

/// <summary>One tensor a checkpoint must hold: its Hugging Face name and shape.</summary>
internal sealed record ExpectedTensor(string Name, long[] Shape);

/// <summary>
/// The parameters of the decoder a <see cref="ModelConfig"/> describes, computed from the config alone.
/// It is the one source of truth the loader checks safetensors headers against (before anything is
/// allocated), and a test pins it to the names and shapes of the decoder's own state dict.
/// </summary>
internal static class TensorLayout
{
    /// <summary>
    /// Every parameter of the decoder built from <paramref name="config"/>, under its Hugging Face name
    /// (as in <see cref="LlamaDecoder.StateDict"/>) with its shape, in state-dict order. Allocates no tensor.
    /// </summary>
    /// <exception cref="InvalidDataException">The config is inconsistent (see <see cref="ModelConfig.Validate"/>).</exception>
    public static IReadOnlyList<ExpectedTensor> For(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        long hidden = config.HiddenSize, vocab = config.VocabSize, inter = config.IntermediateSize, headDim = config.HeadDim;
        long qWidth = checked(config.NumAttentionHeads * headDim), kvWidth = checked(config.NumKeyValueHeads * headDim);
        var list = new List<ExpectedTensor> { new("model.embed_tokens.weight", [vocab, hidden]) };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            string p = $"model.layers.{i}.";
            list.Add(new(p + "input_layernorm.weight", [hidden]));
            list.Add(new(p + "post_attention_layernorm.weight", [hidden]));
            Linear(list, p + "self_attn.q_proj", qWidth, hidden, config.HasQkvBias);
            Linear(list, p + "self_attn.k_proj", kvWidth, hidden, config.HasQkvBias);
            Linear(list, p + "self_attn.v_proj", kvWidth, hidden, config.HasQkvBias);
            Linear(list, p + "self_attn.o_proj", hidden, qWidth, config.HasOutputBias);
            if (config.HasQkNorm)
            {
                list.Add(new(p + "self_attn.q_norm.weight", [headDim]));
                list.Add(new(p + "self_attn.k_norm.weight", [headDim]));
            }
            Linear(list, p + "mlp.gate_proj", inter, hidden, config.HasMlpBias);
            Linear(list, p + "mlp.up_proj", inter, hidden, config.HasMlpBias);
            Linear(list, p + "mlp.down_proj", hidden, inter, config.HasMlpBias);
        }
        list.Add(new("model.norm.weight", [hidden]));
        if (config.IsTokenClassifier)
            Linear(list, "score", config.NumLabels, hidden, bias: true);
        else if (!config.TieWordEmbeddings)
            Linear(list, "lm_head", vocab, hidden, bias: false);
        return list;
    }

    /// <summary>Total number of parameter elements (a tied head counted once), overflow-checked.</summary>
    /// <exception cref="InvalidDataException">The config is inconsistent, or the count does not fit a <see cref="long"/>.</exception>
    public static long ParameterCount(ModelConfig config)
    {
        long total = 0;
        try
        {
            foreach (var tensor in For(config))
            {
                long elements = 1;
                foreach (long d in tensor.Shape) elements = checked(elements * d);
                total = checked(total + elements);
            }
        }
        catch (OverflowException ex)
        {
            throw new InvalidDataException("The parameter count of this config does not fit a 64-bit integer.", ex);
        }
        return total;
    }

    /// <summary>
    /// Whether a checkpoint tensor is a buffer transformers itself ignores on load (older Llama-family checkpoints
    /// saved the rotary tables, <c>*.rotary_emb.inv_freq</c>); every other tensor outside <see cref="For"/> is unused.
    /// </summary>
    public static bool IsIgnoredBuffer(string name) =>
        name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal) || name.EndsWith("rotary_emb.original_inv_freq", StringComparison.Ordinal);

    private static void Linear(List<ExpectedTensor> list, string name, long outputs, long inputs, bool bias)
    {
        list.Add(new(name + ".weight", [outputs, inputs]));
        if (bias) list.Add(new(name + ".bias", [outputs]));
    }
}
