namespace TestTimeScaling.Torch;

/// <summary>Bounds, consistency and support checks of a <see cref="ModelConfig"/>, before anything is allocated.</summary>
internal static class ConfigValidation
{
    public static void Validate(ModelConfig c, string source)
    {
        if (!ModelConfig.SupportedModelTypes.Contains(c.ModelType))
            throw new NotSupportedException($"'{source}': model_type \"{c.ModelType}\" is not supported; supported: {string.Join(", ", ModelConfig.SupportedModelTypes)}.");
        if (c.Architecture is null || !ModelConfig.SupportedHeads.Any(h => c.Architecture.EndsWith(h, StringComparison.Ordinal)))
            throw new NotSupportedException($"'{source}': architectures[0] \"{c.Architecture}\" is not supported; the head must be one of {string.Join(", ", ModelConfig.SupportedHeads)}.");

        InRange(source, "vocab_size", c.VocabSize, 1, ConfigLimits.MaxVocabSize);
        InRange(source, "hidden_size", c.HiddenSize, 1, ConfigLimits.MaxHiddenSize);
        InRange(source, "intermediate_size", c.IntermediateSize, 1, ConfigLimits.MaxIntermediateSize);
        InRange(source, "num_hidden_layers", c.NumHiddenLayers, 1, ConfigLimits.MaxLayers);
        InRange(source, "num_attention_heads", c.NumAttentionHeads, 1, ConfigLimits.MaxHeads);
        InRange(source, "num_key_value_heads", c.NumKeyValueHeads, 1, ConfigLimits.MaxHeads);
        InRange(source, "head_dim", c.HeadDim, 1, ConfigLimits.MaxHeadDim);
        InRange(source, "max_position_embeddings", c.MaxPositionEmbeddings, 1, ConfigLimits.MaxPositions);
        InRange(source, "num_labels", c.NumLabels, 0, ConfigLimits.MaxLabels);
        if (c.NumAttentionHeads % c.NumKeyValueHeads != 0)
            throw new InvalidDataException($"'{source}': num_attention_heads ({c.NumAttentionHeads}) must be a multiple of num_key_value_heads ({c.NumKeyValueHeads}).");
        if (c.IsTokenClassifier && c.NumLabels <= 0)
            throw new InvalidDataException($"'{source}': a {c.Architecture} needs \"num_labels\" > 0.");

        Positive(source, "rms_norm_eps", c.RmsNormEps);
        Positive(source, "rope_theta", c.RopeTheta);
        if (!double.IsFinite(c.PartialRotaryFactor) || c.PartialRotaryFactor <= 0 || c.PartialRotaryFactor > 1)
            throw new InvalidDataException($"'{source}': \"partial_rotary_factor\" must be in (0, 1], got {c.PartialRotaryFactor}.");
        int rotary = c.RotaryDim;
        if (rotary < 2 || rotary % 2 != 0)
            throw new InvalidDataException($"'{source}': the rotated width int(head_dim * partial_rotary_factor) = {rotary} must be even and at least 2 (head_dim {c.HeadDim}).");

        if (c.HiddenAct is null || !Activations.Supported.Contains(c.HiddenAct))
            throw new NotSupportedException($"'{source}': hidden_act \"{c.HiddenAct}\" is not supported (supported: {string.Join(", ", Activations.Supported)}).");

        ValidateSliding(c, source);
        if (c.RopeScaling is { } rope) ValidateRope(c, rope, source);

        if (c.BosTokenId is { } bos) TokenId(source, "bos_token_id", bos, c.VocabSize);
        for (int i = 0; i < c.EosTokenIds.Count; i++) TokenId(source, c.EosTokenIds.Count == 1 ? "eos_token_id" : $"eos_token_id[{i}]", c.EosTokenIds[i], c.VocabSize);
        if (c.PadTokenId is { } pad) TokenId(source, "pad_token_id", pad, c.VocabSize);
        if (c.TorchDtype is null) throw new InvalidDataException($"'{source}': \"torch_dtype\" must be a string.");
    }

    private static void ValidateSliding(ModelConfig c, string source)
    {
        if (c.SlidingWindow is { } window && window < 1)
            throw new InvalidDataException($"'{source}': \"sliding_window\" must be positive, got {window}.");
        if (c.MaxWindowLayers < 0)
            throw new InvalidDataException($"'{source}': \"max_window_layers\" must not be negative, got {c.MaxWindowLayers}.");
        if (c.LayerTypes is { } types && c.ModelType is "qwen2" or "qwen3")
        {
            if (types.Count != c.NumHiddenLayers)
                throw new InvalidDataException($"'{source}': \"layer_types\" has {types.Count} entries for {c.NumHiddenLayers} layers.");
            for (int i = 0; i < types.Count; i++)
            {
                if (types[i] is not ("full_attention" or "sliding_attention"))
                    throw new NotSupportedException($"'{source}': layer_types[{i}] \"{types[i]}\" is not supported (full_attention, sliding_attention).");
                if (types[i] == "sliding_attention" && c.EffectiveSlidingWindow is null)
                    throw new InvalidDataException($"'{source}': layer_types[{i}] is \"sliding_attention\" but no sliding window is in effect (use_sliding_window false or sliding_window null).");
            }
        }
    }

    private static void ValidateRope(ModelConfig c, RopeScaling rope, string source)
    {
        if (!RopeScaling.SupportedTypes.Contains(rope.RopeType))
            throw new NotSupportedException($"'{source}': rope_scaling type \"{rope.RopeType}\" is not supported (supported: {string.Join(", ", RopeScaling.SupportedTypes)}).");
        if (rope.RopeType == "default") return;
        Positive(source, "rope_scaling.factor", rope.Factor);
        switch (rope.RopeType)
        {
            case "llama3":
                Positive(source, "rope_scaling.low_freq_factor", rope.LowFreqFactor);
                Positive(source, "rope_scaling.high_freq_factor", rope.HighFreqFactor);
                if (rope.HighFreqFactor <= rope.LowFreqFactor)
                    throw new InvalidDataException($"'{source}': rope_scaling.high_freq_factor ({rope.HighFreqFactor}) must exceed low_freq_factor ({rope.LowFreqFactor}).");
                InRange(source, "rope_scaling.original_max_position_embeddings", rope.OriginalMaxPositionEmbeddings, 1, ConfigLimits.MaxPositions);
                break;
            case "dynamic":
                if (c.RotaryDim <= 2)
                    throw new InvalidDataException($"'{source}': dynamic rope scaling needs a rotated width above 2 (it raises the base to dim / (dim - 2)).");
                break;
            case "yarn":
                if (c.RopeTheta <= 1)
                    throw new InvalidDataException($"'{source}': yarn rope scaling needs rope_theta > 1 (it divides by log(rope_theta)), got {c.RopeTheta}.");
                InRange(source, "rope_scaling.original_max_position_embeddings", rope.OriginalMaxPositionEmbeddings, 0, ConfigLimits.MaxPositions);
                if (rope.AttentionFactor is { } attention) Positive(source, "rope_scaling.attention_factor", attention);
                Finite(source, "rope_scaling.beta_fast", rope.BetaFast);
                Finite(source, "rope_scaling.beta_slow", rope.BetaSlow);
                Finite(source, "rope_scaling.mscale", rope.Mscale);
                Finite(source, "rope_scaling.mscale_all_dim", rope.MscaleAllDim);
                double derived = RotaryEmbedding.YarnAttentionFactor(rope);
                if (!double.IsFinite(derived) || derived <= 0)
                    throw new InvalidDataException($"'{source}': the yarn attention factor derived from rope_scaling (factor, mscale, mscale_all_dim) is {derived}; it must be finite and positive.");
                if (rope.BetaFast < 0 || rope.BetaSlow < 0)
                    throw new InvalidDataException($"'{source}': rope_scaling.beta_fast and beta_slow must not be negative.");
                break;
        }
    }

    private static void InRange(string source, string key, long value, long min, long max)
    {
        if (value < min || value > max)
            throw new InvalidDataException($"'{source}': \"{key}\" must be in [{min}, {max}], got {value}.");
    }

    private static void Positive(string source, string key, double value)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new InvalidDataException($"'{source}': \"{key}\" must be a finite positive number, got {value}.");
    }

    private static void Finite(string source, string key, double? value)
    {
        if (value is { } v && !double.IsFinite(v))
            throw new InvalidDataException($"'{source}': \"{key}\" must be finite, got {v}.");
    }

    private static void TokenId(string source, string key, int id, int vocab)
    {
        if (id < 0 || id >= vocab)
            throw new InvalidDataException($"'{source}': \"{key}\" {id} is outside the vocabulary [0, {vocab}).");
    }
}
